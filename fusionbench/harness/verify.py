"""``fusionbench verify``: re-score a record's saved predictions and confirm every number.

Checks, in order: the record's schema; the options and limits (valid, in their canonical form);
the record key (recomputed from the submission hash, data, tasks, options and limits, and matched
against the record and its folder name, so a relabelled record fails); the submission's files
against the recorded hash when they are given; the saved prediction files against their recorded
hashes; the data (re-resolved from the record's source, split and location) against the recorded
input and reference hashes; then every task's score, rounded score, status, statistics and
interval, and the overall score, recomputed exactly (floats compared for equality, not closeness).

What cannot be re-checked without running the submission again (``execution``, ``isolation``,
``environment``, ``timings``) is listed in :attr:`Verification.unchecked`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fusionbench.harness.datasource import hash_file, resolve_data
from fusionbench.harness.record import PREDICTIONS_DIR, RECORD_NAME, read_record
from fusionbench.harness.scoring import bootstrap_intervals, score_predictions
from fusionbench.metrics.integral import integral_score

__all__ = ["Verification", "verify_record"]


@dataclass
class Verification:
    """The outcome of a verification: ``ok`` when ``problems`` is empty."""

    record: Path
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            lines = [f"OK: {self.record}: {len(self.checked)} checks passed (options, limits, record key, prediction, "
                     "input and reference hashes; every task's status, score, statistics, signature and interval; "
                     "the overall score)"]
        else:
            lines = [f"FAILED: {self.record}: {len(self.problems)} of {len(self.problems) + len(self.checked)} checks"]
            lines += [f"  MISMATCH {p}" for p in self.problems]
        lines += [f"  not checked: {u}" for u in self.unchecked]
        return "\n".join(lines)


def _as_saved(value: Any) -> Any:
    """``value`` as it reads back from JSON (tuples become lists, keys strings)."""
    return json.loads(json.dumps(value, ensure_ascii=False))


def _compare(result: Verification, what: str, recorded: Any, recomputed: Any) -> None:
    if recorded == _as_saved(recomputed):
        result.checked.append(what)
    else:
        result.problems.append(f"{what}: recorded {recorded!r}, recomputed {recomputed!r}")


def _check_sections(result: Verification, record: dict[str, Any], record_path: Path,
                    submission: str | os.PathLike[str] | None) -> None:
    """Options, limits, record key and (when its files are given) the submission hash."""
    from fusionbench.errors import FusionBenchError
    from fusionbench.evaluation import _check_options
    from fusionbench.harness.runner import results_folder, run_key
    from fusionbench.isolation.sandbox import Limits

    try:
        _compare(result, "options", record["options"], _check_options(dict(record["options"])))
    except (FusionBenchError, TypeError, AttributeError) as exc:
        result.problems.append(f"options: not valid scoring options ({exc})")
    limits = record.get("limits")
    if limits is None:
        result.unchecked.append("limits (none recorded: an in-process run)")
    else:
        try:
            recomputed = Limits(**limits).to_dict()
            if "score_time_s" not in limits:  # a record from before the scoring time limit existed
                recomputed.pop("score_time_s")
            _compare(result, "limits", limits, recomputed)
        except (FusionBenchError, TypeError) as exc:
            result.problems.append(f"limits: not valid limits ({' '.join(str(exc).split())})")
    key = (record.get("record_key") or {}).get("sha256")
    if key is None:
        result.unchecked.append("record key (none recorded: a record from an older fusionbench)")
    else:
        fresh = run_key(record["submission"].get("sha256", ""), record["dataset"], record.get("tasks_run", []),
                        record["options"], limits)
        _compare(result, "record key (submission hash, data, tasks, options, limits)", key, fresh)
        expected = results_folder(record_path.parent.parent, record["submission"].get("name", ""),
                                  record["dataset"].get("split", ""), fresh).name
        folder = record_path.parent.name
        if folder == expected or folder.startswith(expected + "-"):
            result.checked.append("folder name matches the record key")
        else:
            result.unchecked.append(f"folder name ({folder!r} is not {expected!r}: renamed or moved)")
    if submission is None:
        result.unchecked.append("submission files (give the submission to check its hash)")
    else:
        from fusionbench.harness.submission import load_submission

        _compare(result, "submission hash", record["submission"].get("sha256"), load_submission(submission).sha256)
    result.unchecked.append("execution, isolation, environment and timings (they describe the run itself)")


def verify_record(path: str | os.PathLike[str], *, data: str | os.PathLike[str] | None = None,
                  submission: str | os.PathLike[str] | None = None) -> Verification:
    """Re-score a record's predictions and compare everything it claims.

    Args:
        path: ``record.json`` or the run folder holding it.
        data: where the data lives now, if not where the record says (the hashes must still match).
        submission: the submission's folder or zip, to check its files against the recorded hash.

    Raises:
        FormatError: the file is not a run record.
    """
    record_path = Path(path)
    if record_path.is_dir():
        record_path = record_path / RECORD_NAME
    record = read_record(record_path)
    result = Verification(record_path)
    _check_sections(result, record, record_path, submission)
    predictions = record_path.parent / PREDICTIONS_DIR
    dataset = record["dataset"]
    tasks = list(record["tasks"])

    for task in tasks:
        expected = record["tasks"][task].get("prediction_sha256")
        found = predictions / f"prediction_{task}.json"
        actual = hash_file(found) if found.is_file() else None
        _compare(result, f"{task} prediction file hash", expected, actual)

    location = data if data is not None else dataset["location"]
    split = resolve_data(location, dataset["split"])
    identity = split.identity(tasks)
    for key in ("inputs_sha256", "references_sha256"):
        for task in tasks:
            _compare(result, f"{task} {key.replace('_sha256', '')} hash", dataset[key].get(task), identity[key][task])
    if result.problems:  # different files: the scores below would not be comparable
        return result

    max_bytes = (record.get("limits") or {}).get("prediction_bytes")
    outcomes = score_predictions(predictions, split.references, tasks, record["options"], max_bytes=max_bytes,
                                 time_limit_s=(record.get("limits") or {}).get("score_time_s"))
    bootstrap = record["bootstrap"]
    intervals = bootstrap_intervals(outcomes, samples=bootstrap["samples"], seed=bootstrap["seed"],
                                    level=bootstrap["level"])
    for task, outcome in outcomes.items():
        saved = record["tasks"][task]
        fresh = outcome.to_dict()
        for key in ("status", "score", "rounded", "signature", "stats", "reason", "languages"):
            if key in saved or key in fresh:
                _compare(result, f"{task} {key}", saved.get(key), fresh.get(key))
        _compare(result, f"{task} confidence interval", saved.get("ci"), intervals["intervals"][task])
    overall = integral_score({t: o.value for t, o in outcomes.items()})
    _compare(result, "overall", record["overall"], overall)
    _compare(result, "overall confidence interval", record["overall_ci"], intervals["intervals"]["overall"])
    return result
