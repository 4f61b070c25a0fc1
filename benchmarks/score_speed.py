"""How fast does fusionbench score a public-test-size FusionBrain set?

Generates a deterministic set of the size of the 2021 public test (C2C 1,699 pairs, HTR 14,973
words, zsOD 1,000 images with 7–10 positive and 7–10 negative descriptions each, VQA 5,446
questions half English half Russian), writes it in the official file layout, then scores it in
fresh processes (so imports and worker start-up are counted) and prints seconds, items/s and
peak memory per task and for the whole set.  It prints numbers; it never passes or fails.

    python benchmarks/score_speed.py [--seed 0] [--scale 1.0] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from fusionbench.synthetic import MAKERS, write_set

CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
import fusionbench
t1 = time.perf_counter()
report = fusionbench.evaluate(sys.argv[1], sys.argv[1], tasks=sys.argv[2].split(","))
t2 = time.perf_counter()
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"import_s": t1 - t0, "score_s": t2 - t1, "total_s": t2 - t0,
                  "peak_mib": max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, children) / 1024,
                  "scores": {k: v.score for k, v in report.scores.items()}}))
"""


def measure(directory: Path, tasks: list[str], repeat: int) -> dict:
    """Median of ``repeat`` runs, each in a fresh interpreter."""
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", CHILD, str(directory), ",".join(tasks)],
                             capture_output=True, text=True, check=True).stdout
        runs.append(json.loads(out))
    best = sorted(runs, key=lambda r: r["total_s"])[len(runs) // 2]
    best["total_s_all"] = [round(r["total_s"], 3) for r in runs]
    best["total_s_median"] = statistics.median(r["total_s"] for r in runs)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the public-test size")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        counts = write_set(directory, args.seed, args.scale)
        results = {task: measure(directory, [task], args.repeat) for task in MAKERS}
        results["all"] = measure(directory, list(MAKERS), args.repeat)
    counts["all"] = sum(counts.values())
    print(f"{'task':6} {'items':>7} {'total s':>8} {'score s':>8} {'items/s':>9} {'peak MiB':>9}")
    for task, r in results.items():
        rate = counts[task] / r["score_s"] if r["score_s"] else float("inf")
        print(f"{task:6} {counts[task]:7d} {r['total_s_median']:8.3f} {r['score_s']:8.3f} {rate:9.0f} {r['peak_mib']:9.1f}")
    print("(total = fresh interpreter: import + read + validate + score; median of "
          f"{args.repeat} runs; import alone {results['all']['import_s']:.3f} s)")
    if args.json:
        print(json.dumps({"counts": counts, "results": results}))


if __name__ == "__main__":
    main()
