"""How fast does fusionbench score a public-test-size FusionBrain set, against its peers?

Generates a deterministic set of the size of the 2021 public test (C2C 1,699 pairs, HTR 14,973
words, zsOD 1,000 images with 7–10 positive and 7–10 negative descriptions each, VQA 5,446
questions half English half Russian), writes it in the official file layout, and times, each in
fresh processes (imports, worker start-up and reading included), median of ``--repeat`` runs:

* per task and all four in one call (the README's table);
* goal 1, cold: all four tasks, empty caches, against the four official scripts run one after
  the other (``--official DIR``: a checkout of github.com/ai-forever/fusion_brain_aij2021; the
  C2C script is patched on the fly for the pinned modern tree-sitter: ``str(node)`` for
  ``node.sexp()``, the pinned grammar for ``my-languages.so``; it runs under PYTHONHASHSEED=0);
* goal 2: C2C alone, our whole process against PyPI ``codebleu`` 0.7.0's in-process
  ``calc_codebleu`` call on the same pairs (``--peer-python``: an interpreter with codebleu 0.7.0,
  e.g. a throw-away venv; ``--setup-peer DIR`` creates one there);
* goal 3: streaming 640 pairs to ``CodeBLEUAccumulator`` in batches of 32 against one call
  (same result required);
* goal 4, warm: a new prediction file against references scored before (the reference cache
  filled by an earlier run) against the official scripts.

Every goal line prints both times, their ratio (from the same run) and the peak memory (MiB,
maximum resident set of the process and its children) beside each.  It also prints the parse
floor: the wall time of parsing every distinct C2C string once with the pinned tree-sitter, spread
over one process per core, and nothing else (no start-up, no reading, no analysis).  No scorer
built on that parser can beat the ratio official time / floor on the machine.  It prints numbers; it never
passes or fails.  Timings on a shared machine are noisy: compare ratios from one run.

    python benchmarks/score_speed.py [--repeat 3] [--official DIR] [--peer-python PY] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fusionbench.synthetic import MAKERS, write_set

CHILD = """
import json, os, resource, sys, time
t0 = time.perf_counter()
import fusionbench
t1 = time.perf_counter()
report = fusionbench.evaluate(sys.argv[1], sys.argv[1], tasks=sys.argv[2].split(","))
t2 = time.perf_counter()
from fusionbench.metrics.codebleu.workers import shutdown_workers
shutdown_workers()  # so that the workers' peak memory is counted below
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"import_s": t1 - t0, "score_s": t2 - t1, "total_s": t2 - t0,
                  "peak_mib": max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, children) / 1024,
                  "scores": {k: repr(v.score) for k, v in report.scores.items()}}))
"""

STREAM = """
import json, resource, sys, time
from pathlib import Path
d, mode, n, batch = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
refs = json.loads((d / "true_C2C.json").read_text(encoding="utf-8"))
preds = json.loads((d / "prediction_C2C.json").read_text(encoding="utf-8"))
keys = list(refs)[:n]
t0 = time.perf_counter()
from fusionbench.metrics.codebleu import CodeBLEUAccumulator
acc = CodeBLEUAccumulator()
step = batch if mode == "batches" else n
for i in range(0, n, step):
    part = keys[i:i + step]
    acc.update({k: preds[k] for k in part}, {k: refs[k] for k in part})
score = acc.compute()
t1 = time.perf_counter()
from fusionbench.metrics.codebleu.workers import shutdown_workers
shutdown_workers()
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"score_s": t1 - t0, "score": repr(score.score), "stats": score.stats,
                  "peak_mib": max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, children) / 1024}))
"""

PEER = """
import json, resource, sys, time
from pathlib import Path
d = Path(sys.argv[1])
refs = json.loads((d / "true_C2C.json").read_text(encoding="utf-8"))
preds = json.loads((d / "prediction_C2C.json").read_text(encoding="utf-8"))
from codebleu import calc_codebleu
keys = list(refs)
t0 = time.perf_counter()
result = calc_codebleu([refs[k] for k in keys], [preds[k] for k in keys], lang="python")
t1 = time.perf_counter()
print(json.dumps({"score_s": t1 - t0, "score": result["codebleu"],
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

FLOOR = """
import json, os, sys, time
from multiprocessing import get_context
from pathlib import Path
d = Path(sys.argv[1])
t0 = time.perf_counter()
refs = json.loads((d / "true_C2C.json").read_text(encoding="utf-8"))
preds = json.loads((d / "prediction_C2C.json").read_text(encoding="utf-8"))
strings = list(dict.fromkeys([*refs.values(), *preds.values()]))
from fusionbench.metrics.codebleu.parse import get_parser

def parse_all(share):
    parser = get_parser()
    start = time.process_time()
    for text in share:
        parser.parse(text.encode("utf-8"))
    return time.process_time() - start

count = os.cpu_count() or 1
shares = [strings[i::count] for i in range(count)]
get_parser()
with get_context("fork").Pool(count) as pool:
    t1 = time.perf_counter()
    cpu = pool.map(parse_all, shares)
    t2 = time.perf_counter()
print(json.dumps({"parse_s": t2 - t1, "cpu_s": sum(cpu), "strings": len(strings), "processes": count,
                  "total_s": t2 - t0}))
"""

#: Official script folders, their file names per task, and whether they need the pinned tree-sitter.
OFFICIAL = {
    "C2C": "evaluation/C2C_codeBLEU",
    "HTR": "evaluation/HTR_string_accuracy",
    "zsOD": "evaluation/zsOD_F1",
    "VQA": "evaluation/VQA_accuracy",
}


def run_timed(
    cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, float, str]:
    """(wall seconds, peak MiB of the process itself, stdout) of one process, start-up included."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:3])} failed: {err.read().decode(errors='replace')[-800:]}")
        return seconds, usage.ru_maxrss / 1024, out.read().decode("utf-8", "replace")


def median_run(repeat: int, once) -> dict:
    """The run with the median wall time of ``repeat`` calls of ``once()`` (each returns a dict with "s")."""
    runs = [once() for _ in range(repeat)]
    best = sorted(runs, key=lambda r: r["s"])[len(runs) // 2]
    return {**best, "s_all": [round(r["s"], 3) for r in runs], "s": statistics.median(r["s"] for r in runs)}


def ours(directory: Path, tasks: list[str], cache: Path | None = None, *, pure: bool = False) -> dict:
    """fusionbench in a fresh interpreter; a fresh empty cache unless ``cache`` is given.

    ``pure``: with ``FUSIONBENCH_PURE_PYTHON=1`` (the compiled accelerators switched off).
    """
    with tempfile.TemporaryDirectory() as empty:
        env = dict(os.environ, FUSIONBENCH_CACHE=str(cache or empty))
        if pure:
            env["FUSIONBENCH_PURE_PYTHON"] = "1"
        seconds, _, out = run_timed([sys.executable, "-c", CHILD, str(directory), ",".join(tasks)], env=env)
    result = json.loads(out)
    return {"s": seconds, "peak_mib": result["peak_mib"], "score_s": result["score_s"],
            "import_s": result["import_s"], "scores": result["scores"]}


def prepare_official(repo: Path, work: Path) -> Path:
    """Copy the official evaluation folders; patch the C2C one for the pinned modern tree-sitter.

    Also writes ``compat/sitecustomize.py``: pymorphy2 0.9.1 (official VQA) calls
    ``inspect.getargspec``, which Python 3.11 removed.
    """
    target = work / "official"
    (target / "compat").mkdir(parents=True)
    (target / "compat" / "sitecustomize.py").write_text(
        "import inspect\nif not hasattr(inspect, 'getargspec'):\n"
        "    inspect.getargspec = lambda f: tuple(inspect.getfullargspec(f)[:4])\n", encoding="utf-8")
    for task, folder in OFFICIAL.items():
        shutil.copytree(repo / folder, target / task, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    for name in ("syntax_match.py", "dataflow_match.py"):
        path = target / "C2C" / name
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"Language\('parser/my-languages\.so', lang\)",
                      "Language(__import__('tree_sitter_python').language())", text)
        text = re.sub(r"(\w+)\.set_language\((\w+)\)", r"\1.language = \2", text)
        text = text.replace("cur_node.sexp()", "str(cur_node)")
        path.write_text(text, encoding="utf-8")
    return target


def official(folder: Path, directory: Path, python_for: dict[str, str]) -> dict:
    """The four official scripts, one after the other (C2C under PYTHONHASHSEED=0)."""
    total, peak = 0.0, 0.0
    for task in OFFICIAL:
        env = dict(os.environ, PYTHONHASHSEED="0", PYTHONPATH=str(folder / "compat"))
        cmd = [python_for[task], "evaluate.py", "--ref_path", str(directory / f"true_{task}.json"),
               "--pred_path", str(directory / f"prediction_{task}.json")]
        seconds, mib, _ = run_timed(cmd, cwd=folder / task, env=env)
        total += seconds
        peak = max(peak, mib)
    return {"s": total, "peak_mib": peak}


def streaming(directory: Path, mode: str, pairs: int, batch: int) -> dict:
    with tempfile.TemporaryDirectory() as empty:
        env = dict(os.environ, FUSIONBENCH_CACHE=empty)
        cmd = [sys.executable, "-c", STREAM, str(directory), mode, str(pairs), str(batch)]
        seconds, _, out = run_timed(cmd, env=env)
    result = json.loads(out)
    return {"s": seconds, **result}


def parse_floor(directory: Path) -> dict:
    """Only parsing: every distinct C2C string once, spread over one process per core."""
    _, _, out = run_timed([sys.executable, "-c", FLOOR, str(directory)])
    result = json.loads(out)
    return {"s": result["parse_s"], **result}


def peer(python: str, directory: Path) -> dict:
    _, _, out = run_timed([python, "-c", PEER, str(directory)])
    result = json.loads(out)
    return {"s": result["score_s"], "peak_mib": result["peak_mib"], "score": result["score"]}


def new_predictions(source: Path, target: Path) -> None:
    """The same references with other C2C predictions (each key gets its neighbour's prediction)."""
    target.mkdir()
    for item in source.iterdir():
        shutil.copy(item, target / item.name)
    preds = json.loads((source / "prediction_C2C.json").read_text(encoding="utf-8"))
    keys = list(preds)
    shifted = {k: preds[keys[(i + 1) % len(keys)]] for i, k in enumerate(keys)}
    (target / "prediction_C2C.json").write_text(json.dumps(shifted, ensure_ascii=False), encoding="utf-8")


def setup_peer(folder: Path) -> str:
    """A throw-away venv with codebleu 0.7.0 (and what the official VQA script needs)."""
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    python = str(folder / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "-q", "codebleu==0.7.0", "tree-sitter-python==0.21.0",
                    "pymorphy2==0.9.1", "pymorphy2-dicts-ru", "DAWG-Python", "numpy"], check=True)
    return python


def goal_line(name: str, ours_r: dict, other: dict | None, other_name: str, target: str) -> str:
    left = f"{ours_r['s']:8.3f} s {ours_r['peak_mib']:7.1f} MiB"
    if other is None:
        return f"{name:34} {left}   {other_name}: not measured ({target})"
    ratio = other["s"] / ours_r["s"] if ours_r["s"] else float("inf")
    return (f"{name:34} {left}   {other_name} {other['s']:8.3f} s {other['peak_mib']:7.1f} MiB"
            f"   ratio {ratio:6.2f}x  ({target})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the public-test size")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--official", type=Path, default=os.environ.get("FUSIONBENCH_OFFICIAL_REPO"),
                        help="checkout of ai-forever/fusion_brain_aij2021 (default $FUSIONBENCH_OFFICIAL_REPO)")
    parser.add_argument("--official-python", default=None,
                        help="interpreter for the official HTR/zsOD/VQA scripts (needs numpy, pymorphy2); "
                             "default: --peer-python, else this one")
    parser.add_argument("--peer-python", default=os.environ.get("FUSIONBENCH_PEER_PYTHON"),
                        help="interpreter with codebleu 0.7.0 installed")
    parser.add_argument("--setup-peer", type=Path, help="create a throw-away venv with codebleu 0.7.0 here first")
    parser.add_argument("--stream-pairs", type=int, default=640)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--skip-tasks", action="store_true", help="skip the per-task table")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args()
    if args.setup_peer:
        args.peer_python = setup_peer(args.setup_peer)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        directory = work / "set"
        directory.mkdir()
        counts = write_set(directory, args.seed, args.scale)
        counts["all"] = sum(counts.values())
        results: dict = {"counts": counts}

        if not args.skip_tasks:
            tasks = {task: median_run(args.repeat, lambda t=task: ours(directory, [t])) for task in MAKERS}
            results["tasks"] = tasks
            print(f"{'task':6} {'items':>7} {'total s':>8} {'score s':>8} {'items/s':>9} {'peak MiB':>9}")
            for task, r in tasks.items():
                rate = counts[task] / r["score_s"] if r["score_s"] else float("inf")
                print(f"{task:6} {counts[task]:7d} {r['s']:8.3f} {r['score_s']:8.3f} {rate:9.0f} {r['peak_mib']:9.1f}")
            print()

        goals: dict = {}
        floor = median_run(args.repeat, lambda: parse_floor(directory))
        results["parse_floor"] = floor
        print(f"parse floor: {floor['strings']} distinct C2C strings parsed in {floor['processes']} processes: "
              f"{floor['s']:.3f} s wall ({floor['cpu_s']:.3f} s CPU; start-up, reading and everything else "
              "excluded)")
        cold = median_run(args.repeat, lambda: ours(directory, list(MAKERS)))
        c2c = median_run(args.repeat, lambda: ours(directory, ["C2C"]))
        c2c_pure = median_run(args.repeat, lambda: ours(directory, ["C2C"], pure=True))
        off = None
        if args.official:
            folder = prepare_official(Path(args.official), work)
            other_python = args.official_python or args.peer_python or sys.executable
            python_for = {"C2C": sys.executable, "HTR": other_python, "zsOD": other_python, "VQA": other_python}
            off = median_run(args.repeat, lambda: official(folder, directory, python_for))
        peer_r = median_run(args.repeat, lambda: peer(args.peer_python, directory)) if args.peer_python else None

        stream_dir = work / "stream"
        stream_dir.mkdir()
        write_set(stream_dir, args.seed, max(args.scale, args.stream_pairs / 1699))
        one = median_run(args.repeat, lambda: streaming(stream_dir, "one", args.stream_pairs, args.batch))
        batches = median_run(args.repeat, lambda: streaming(stream_dir, "batches", args.stream_pairs, args.batch))
        same = one["score"] == batches["score"] and one["stats"] == batches["stats"]

        cache = work / "cache"
        ours(directory, list(MAKERS), cache=cache)  # an earlier run fills the reference cache
        fresh = work / "new-predictions"
        new_predictions(directory, fresh)
        warm = median_run(args.repeat, lambda: ours(fresh, list(MAKERS), cache=cache))

        goals = {"cold_all": {"ours": cold, "official": off}, "c2c": {"ours": c2c, "peer": peer_r,
                                                                     "pure_python": c2c_pure},
                 "streaming": {"one_call": one, "batches": batches, "same_result": same},
                 "warm_all": {"ours": warm, "official": off}}
        results["goals"] = goals
        print(f"goals (median of {args.repeat}; wall time of fresh processes; peak = max RSS incl. children)")
        print(goal_line("1 cold, all four vs official", cold, off, "official", "target >= 10x"
                        if off else "pass --official DIR"))
        print(goal_line("2 C2C alone vs codebleu 0.7.0", c2c, peer_r, "codebleu", "target >= 8x; peer timed "
                        "in-process" if peer_r else "pass --peer-python or --setup-peer"))
        print(goal_line("  the same, pure Python", c2c_pure, peer_r, "codebleu", "FUSIONBENCH_PURE_PYTHON=1: "
                        "no compiled accelerator" if peer_r else "pass --peer-python or --setup-peer"))
        ratio = batches["s"] / one["s"]
        print(f"{'3 streaming ' + str(args.batch) + '-batches vs one call':34} {batches['s']:8.3f} s "
              f"{batches['peak_mib']:7.1f} MiB   one call {one['s']:8.3f} s {one['peak_mib']:7.1f} MiB   "
              f"ratio {ratio:6.2f}x  (target <= 1.3x; {args.stream_pairs} pairs; "
              f"same result: {'yes' if same else 'NO'})")
        print(goal_line("4 warm, all four vs official", warm, off, "official", "target >= 15x"
                        if off else "pass --official DIR"))
        if off:
            print(f"(the official scripts take {off['s'] / floor['s']:.1f}x the parse floor: no scorer on the pinned "
                  "parser can be faster than that ratio on this machine)")
        if peer_r:
            print(f"(codebleu 0.7.0 takes {peer_r['s'] / floor['s']:.1f}x the parse floor)")
        print(f"(import alone {cold['import_s']:.3f} s; C2C scores: ours {cold['scores'].get('C2C')}"
              + (f", codebleu 0.7.0 {peer_r['score']!r}" if peer_r else "") + ")")
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
