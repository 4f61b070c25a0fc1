"""``fusionbench verify``: re-score a record's saved predictions and confirm every number.

Checks, in order: the record's schema; the saved prediction files against their recorded hashes;
the data (re-resolved from the record's source, split and location) against the recorded input and
reference hashes; then every task's score, rounded score, status, statistics and interval, and the
overall score, recomputed exactly (floats compared for equality, not closeness).
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

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            return (f"OK: {self.record}: {len(self.checked)} checks passed (prediction, input and reference "
                    "hashes; every task's status, score, statistics, signature and interval; the overall score)")
        lines = [f"FAILED: {self.record}: {len(self.problems)} of {len(self.problems) + len(self.checked)} checks"]
        lines += [f"  MISMATCH {p}" for p in self.problems]
        return "\n".join(lines)


def _as_saved(value: Any) -> Any:
    """``value`` as it reads back from JSON (tuples become lists, keys strings)."""
    return json.loads(json.dumps(value, ensure_ascii=False))


def _compare(result: Verification, what: str, recorded: Any, recomputed: Any) -> None:
    if recorded == _as_saved(recomputed):
        result.checked.append(what)
    else:
        result.problems.append(f"{what}: recorded {recorded!r}, recomputed {recomputed!r}")


def verify_record(path: str | os.PathLike[str], *, data: str | os.PathLike[str] | None = None) -> Verification:
    """Re-score a record's predictions and compare everything it claims.

    Args:
        path: ``record.json`` or the run folder holding it.
        data: where the data lives now, if not where the record says (the hashes must still match).

    Raises:
        FormatError: the file is not a run record.
    """
    record_path = Path(path)
    if record_path.is_dir():
        record_path = record_path / RECORD_NAME
    record = read_record(record_path)
    result = Verification(record_path)
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

    outcomes = score_predictions(predictions, split.references, tasks, record["options"])
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
