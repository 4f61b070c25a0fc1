"""``fusionbench import lm-eval OUTPUT_DIR``: an lm-eval run of the task pack as a fusionbench record.

lm-eval writes ``results_<date>.json`` and, with ``--log_samples``, one
``samples_<task>_<date>.jsonl`` per task into ``OUTPUT_DIR/<model>/``.  Each logged sample of the
pack carries the row's record (:func:`~.pack.process_results`): its key, the parsed official
prediction, the data location and split, the prompt version.  The import

1. finds the newest results file (one model folder; several are refused, pass one of them),
2. rebuilds ``prediction_<TASK>.json`` for every fusionbench task of the run, in reference order,
3. resolves the same data and split, and refuses a run that did not cover every item
   (``--limit``), because a record scores the whole split,
4. scores the files with the harness (per-item statistics, bootstrap intervals) and writes a
   ``fusionbench.run/1`` record beside a ``predictions/`` copy, so ``verify``, ``compare`` and
   ``leaderboard`` treat it like any run.  The submission section names the model, its arguments,
   lm-eval's and transformers' versions, the generation settings, the pack and prompt versions,
   the signature of each score with those versions added, and lm-eval's own numbers; a difference
   between those and fusionbench's is reported (it cannot happen for a full run of the pack).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from fusionbench.errors import FormatError, FusionBenchError, MissingFileError

__all__ = ["find_results", "import_lm_eval", "read_samples"]

_MAIN_METRIC = {"C2C": "codebleu", "HTR": "acc", "zsOD": "f1", "VQA": "acc"}
_RESULTS = re.compile(r"^results_(.+)\.json$")
_REQUIRED = ("task", "index", "key", "description", "prediction", "reference", "data", "split")


def find_results(output_dir: str | os.PathLike[str]) -> tuple[Path, str]:
    """The newest ``results_<date>.json`` under ``output_dir`` (one model folder) and its date id."""
    root = Path(output_dir)
    if not root.is_dir():
        raise MissingFileError("no lm-eval output folder here", file=str(root),
                               expected="the folder given to lm_eval --output_path")
    found = sorted(p for p in root.rglob("results_*.json") if _RESULTS.match(p.name))
    if not found:
        raise MissingFileError("no lm-eval results_*.json in the folder", file=str(root),
                               expected="an lm_eval --output_path folder (run with --log_samples)")
    folders = sorted({p.parent for p in found})
    if len(folders) > 1:
        raise FusionBenchError("several lm-eval model folders in the output folder", file=str(root),
                               expected=f"one of them: {', '.join(str(f) for f in folders)}")
    newest = found[-1]
    return newest, _RESULTS.match(newest.name).group(1)  # type: ignore[union-attr]


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise FormatError(f"not a readable JSON file ({exc})", file=str(path)) from exc
    if not isinstance(value, dict) or not isinstance(value.get("results"), dict):
        raise FormatError("not an lm-eval results file", file=str(path), path='$["results"]',
                          expected="an object with a results object")
    return value


def read_samples(path: Path, task: str) -> list[dict[str, Any]]:
    """The pack's per-row records of one task from lm-eval's samples file."""
    metric = _MAIN_METRIC[task]
    records = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"unreadable samples file ({exc})", file=str(path)) from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            sample = json.loads(line)
        except ValueError as exc:
            raise FormatError(f"line {number} is not JSON ({exc.msg})", file=str(path)) from exc
        record = sample.get(metric) if isinstance(sample, dict) else None
        if not isinstance(record, dict) or any(k not in record for k in _REQUIRED) or record["task"] != task:
            raise FormatError(f"line {number} holds no fusionbench record under {metric!r}", file=str(path),
                              expected=f"a sample logged by the fusionbench task pack ({', '.join(_REQUIRED)})")
        records.append(record)
    if not records:
        raise FormatError("the samples file is empty", file=str(path))
    return records


def _task_names() -> dict[str, str]:
    from fusionbench.integrations.lm_eval import TASK_NAMES

    return {name: task for task, name in TASK_NAMES.items()}


def _model_name(config: dict[str, Any], results: dict[str, Any]) -> str:
    """The model's name: ``pretrained=``/``model=`` of its arguments, else lm-eval's model type."""
    args = config.get("model_args")
    if isinstance(args, dict):
        named = args.get("pretrained") or args.get("model")
    else:
        found = re.search(r"(?:^|,)\s*(?:pretrained|model)=([^,]+)", str(args or ""))
        named = found.group(1) if found else None
    return str(named or config.get("model") or results.get("model_name") or "lm-eval")


def _sha_of_files(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).hexdigest().encode() + b"\n")
    return digest.hexdigest()


def import_lm_eval(
    output_dir: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] = "fusionbench-results",
    name: str | None = None,
    samples: int = 1000,
    seed: int = 12345,
) -> tuple[dict[str, Any], Path]:
    """Write a run record for the lm-eval run in ``output_dir``; return the record and its path.

    Raises:
        FusionBenchError: no or several results, no sample logs, malformed logs, samples of
            different data, or a run that did not cover every item.
    """
    from fusionbench.evaluation import _check_options
    from fusionbench.harness.datasource import resolve_data
    from fusionbench.harness.runner import finish_run, results_folder
    from fusionbench.integrations.lm_eval import PACK_VERSION
    from fusionbench.integrations.lm_eval.data import build_rows
    from fusionbench.integrations.lm_eval.pack import official_objects
    from fusionbench.jsonio import write_json_atomic
    from fusionbench.tasks import TASK_ORDER

    started = time.monotonic()
    results_path, date_id = find_results(output_dir)
    results = _read_json(results_path)
    names = _task_names()
    tasks = [names[n] for n in results["results"] if n in names]
    if not tasks:
        raise FormatError("the lm-eval run has no fusionbench task", file=str(results_path),
                          expected=f"results for one of {', '.join(names)}")
    tasks = [t for t in TASK_ORDER if t in tasks]
    by_task: dict[str, list[dict[str, Any]]] = {}
    for task in tasks:
        lm_name = {v: k for k, v in names.items()}[task]
        path = results_path.parent / f"samples_{lm_name}_{date_id}.jsonl"
        if not path.is_file():
            raise MissingFileError("no per-sample log for a task of the run", file=str(path),
                                   expected="lm_eval run with --log_samples")
        by_task[task] = read_samples(path, task)
    locations = {(r["data"], r["split"]) for records in by_task.values() for r in records}
    if len(locations) != 1:
        raise FormatError("the samples come from different data", file=str(results_path),
                          found=", ".join(f"{d} ({s})" for d, s in sorted(locations)))
    data, split = locations.pop()
    source = resolve_data(data, split)
    for task, records in by_task.items():
        expected = len(build_rows(task, {"data": data, "split": split}))
        indices = {r["index"] for r in records}
        if len(indices) != expected:
            raise FusionBenchError(
                f"{task}: the run answered {len(indices)} of the {expected} rows of {data} ({split}); "
                "a record scores the whole split", file=str(results_path), expected="an lm-eval run without --limit",
            )
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    try:
        (staging / "predictions").mkdir()
        for task, records in by_task.items():
            _, predictions, _ = official_objects(records)
            write_json_atomic(staging / "predictions" / f"prediction_{task}.json", predictions, indent=None)
        sha = _sha_of_files(staging / "predictions")
        config = results.get("config") or {}
        model = _model_name(config, results)
        run_name = name or f"lm-eval-{model}"
        prompt_versions = {task: sorted({str(r.get("prompt_version")) for r in records})
                           for task, records in by_task.items()}
        lm_scores = {task: results["results"][{v: k for k, v in names.items()}[task]].get(f"{_MAIN_METRIC[task]},none")
                     for task in tasks}
        metadata = {
            "lm_eval": {
                "version": results.get("lm_eval_version"), "transformers_version": results.get("transformers_version"),
                "model": config.get("model"), "model_args": config.get("model_args"), "model_name": model,
                "limit": config.get("limit"), "results_file": str(results_path), "date": results.get("date"),
                "chat_template_sha": results.get("chat_template_sha"),
                "system_instruction_sha": results.get("system_instruction_sha"),
                "generation_kwargs": {task: (results.get("configs", {}).get(lm, {}) or {}).get("generation_kwargs")
                                      for lm, task in names.items() if task in by_task},
                "scores": lm_scores,
            },
            "pack_version": PACK_VERSION, "prompt_versions": prompt_versions,
        }
        submission = {"name": run_name, "origin": str(results_path), "kind": "lm-eval", "sha256": sha,
                      "files": None, "bytes": None, "entrypoint": None, "image": None, "metadata": metadata}
        final = results_folder(out, run_name, split, sha)
        record, record_path = finish_run(
            data=source, tasks=tasks, staging=staging, final=final, submission=submission, execution=None,
            isolation={"mode": "external", "runner": "lm-eval"}, limits=None, options=_check_options({}),
            samples=samples, seed=seed, timings={}, log=lambda _: None, started=started,
            shown_as="predictions",
        )
    except BaseException:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)  # our own files only
        raise
    version = metadata["lm_eval"]["version"]
    signatures = {task: f"{record['tasks'][task].get('signature', '')}|harness:lm-eval-{version}"
                        f"|pack:{PACK_VERSION}|prompt:{','.join(prompt_versions[task])}" for task in tasks}
    record["submission"]["metadata"]["signatures"] = signatures
    write_json_atomic(record_path, record)
    for task in tasks:
        ours, theirs = record["tasks"][task]["score"], lm_scores[task]
        if theirs is not None and ours != theirs:
            print(f"fusionbench: warning: {task}: lm-eval reported {theirs!r}, fusionbench scores {ours!r}",
                  file=sys.stderr)
    return record, record_path
