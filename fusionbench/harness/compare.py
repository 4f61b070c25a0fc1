"""``fusionbench compare A B``: is B's difference from A more than resampling noise?

Both records must come from the same references (equal hashes) and the same scoring options.
Their saved predictions are re-scored item by item; the items are aligned by reference key, so the
test is paired, as sacrebleu's is for BLEU:

* ``bootstrap`` (default): resample items with replacement, the same indices for A and B, and
  re-aggregate each system's summed statistics; the p-value is two-sided under the null hypothesis,
  from the bootstrap distribution of the difference shifted to mean 0 (Koehn 2004; Graham et al.);
* ``ar``: approximate randomisation: swap each item's statistics between A and B with probability
  1/2; the p-value is the share of trials whose absolute difference reaches the observed one.

Both p-values are ``(1 + hits) / (1 + trials)``.  The overall row's A and B are the overall scores
as ``run`` and ``leaderboard`` show them (the sum of the rounded task scores), its difference is
theirs; its interval and p-value resample the sum of the task differences, each task on its own
items.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fusionbench.errors import FusionBenchError
from fusionbench.harness.bootstrap import flatten_stats, unflatten_stats
from fusionbench.harness.record import PREDICTIONS_DIR, RECORD_NAME, read_record
from fusionbench.harness.scoring import TaskOutcome, score_predictions
from fusionbench.metrics.integral import integral_score

__all__ = ["Comparison", "compare_records"]


@dataclass
class Comparison:
    """Per-task and overall rows: A, B, B − A, the difference's interval and its p-value."""

    a: str
    b: str
    method: str
    trials: int
    seed: int
    rows: dict[str, dict[str, float | None]]

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "method": self.method, "trials": self.trials, "seed": self.seed,
                "tasks": {k: v for k, v in self.rows.items() if k != "overall"}, "overall": self.rows["overall"]}

    def table(self) -> str:
        header = ("task", "A", "B", "B-A", "95% CI of B-A", "p")
        rows = [header]
        for task, row in self.rows.items():
            digits = 3 if task == "overall" else 4  # overall: a sum of 3-decimal scores, shown as run shows it
            rows.append((task, f"{row['a']:.{digits}f}", f"{row['b']:.{digits}f}", f"{row['delta']:+.{digits}f}",
                         "n/a" if row["ci_low"] is None else f"[{row['ci_low']:+.4f}, {row['ci_high']:+.4f}]", f"{row['p_value']:.4f}"))
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        lines.append("")
        lines.append(f"A = {self.a}\nB = {self.b}")
        method = "paired bootstrap" if self.method == "bootstrap" else "approximate randomisation"
        lines.append(f"{method}, {self.trials} trials, seed {self.seed}; p is two-sided")
        return "\n".join(lines)


def _matrix(outcome: TaskOutcome) -> tuple[Any, Any, Callable[[Any], float]] | None:
    import numpy as np

    if outcome.status != "scored" or not outcome.items:
        return None
    stats = [item.stats for item in outcome.items]
    return np.array([flatten_stats(s) for s in stats], dtype=np.float64), stats[0], outcome.aggregate


def _score_of(side: tuple[Any, Any, Callable[[Any], float]] | None, totals: Any) -> float:
    if side is None:
        return 0.0
    _, template, aggregate = side
    return float(aggregate(unflatten_stats(template, totals.tolist())))


def _task_samples(a: TaskOutcome, b: TaskOutcome, method: str, trials: int, seed: int) -> tuple[list[float], float]:
    """The resampled differences B − A and the observed difference."""
    import numpy as np

    side_a, side_b = _matrix(a), _matrix(b)
    observed = b.value - a.value
    n = len((a if side_a else b).items) if (side_a or side_b) else 0
    if n == 0:
        return [0.0] * trials, observed
    zeros = np.zeros((n, 1))
    mat_a = side_a[0] if side_a else zeros
    mat_b = side_b[0] if side_b else zeros
    rng = np.random.default_rng(seed)
    deltas = []
    for _ in range(trials):
        if method == "bootstrap":
            index = rng.integers(0, n, n)
            deltas.append(_score_of(side_b, mat_b[index].sum(axis=0)) - _score_of(side_a, mat_a[index].sum(axis=0)))
        else:
            swap = rng.random(n) < 0.5
            if side_a and side_b:
                new_a = np.where(swap[:, None], mat_b, mat_a).sum(axis=0)
                new_b = np.where(swap[:, None], mat_a, mat_b).sum(axis=0)
                deltas.append(_score_of(side_b, new_b) - _score_of(side_a, new_a))
            else:  # one side scored 0 as a whole: nothing item-level to swap
                deltas.append(observed if rng.random() < 0.5 else -observed)
    return deltas, observed


def _p_value(deltas: list[float], observed: float, method: str) -> float:
    import numpy as np

    values = np.asarray(deltas)
    if method == "bootstrap":
        hits = np.sum(np.abs(values - values.mean()) >= abs(observed) - 1e-15)
    else:
        hits = np.sum(np.abs(values) >= abs(observed) - 1e-15)
    return float((1 + hits) / (1 + len(values)))


#: Options that only add detail (breakdowns, error rates) and leave every task score unchanged.
DETAIL_OPTIONS = ("by_language", "htr_error_rates")


def _scoring_options(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k not in DETAIL_OPTIONS}


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _load(path: str | os.PathLike[str]) -> tuple[Path, dict[str, Any]]:
    path = Path(path)
    if path.is_dir():
        path = path / RECORD_NAME
    return path, read_record(path)


def compare_records(
    a: str | os.PathLike[str], b: str | os.PathLike[str], *, method: str = "bootstrap", trials: int = 1000,
    seed: int = 12345, level: float = 0.95,
) -> Comparison:
    """Compare two run records on their common tasks.

    Raises:
        FusionBenchError: different references or scoring options, no task in common, bad method.
    """
    import numpy as np

    if method not in ("bootstrap", "ar"):
        raise FusionBenchError(f"method must be 'bootstrap' or 'ar', not {method!r}")
    path_a, record_a = _load(a)
    path_b, record_b = _load(b)
    common = [t for t in record_a["tasks"] if t in record_b["tasks"]]
    if not common:
        raise FusionBenchError("the two records have no task in common", file=str(path_b))
    if _scoring_options(record_a["options"]) != _scoring_options(record_b["options"]):
        raise FusionBenchError("the records were scored with different options; their numbers are not comparable",
                               file=str(path_b), expected=repr(_scoring_options(record_a["options"])),
                               found=repr(_scoring_options(record_b["options"])))
    refs_a, refs_b = record_a["dataset"]["references_sha256"], record_b["dataset"]["references_sha256"]
    for task in common:
        if refs_a.get(task) != refs_b.get(task):
            raise FusionBenchError(f"{task}: the records were scored against different references",
                                   file=str(path_b), path=f'$["dataset"]["references_sha256"]["{task}"]')
    from fusionbench.harness.datasource import hash_file, resolve_data

    split = resolve_data(record_a["dataset"]["location"], record_a["dataset"]["split"])
    actual = {task: hash_file(split.reference_file(task)) for task in common}  # re-resolved, not trusted
    for task in common:
        if actual[task] != refs_a.get(task):
            raise FusionBenchError(f"{task}: the references found now differ from those the records were scored "
                                   "against", file=str(split.references),
                                   expected=f"sha256 {refs_a.get(task)}", found=f"sha256 {actual[task]}")
    references = split.references
    outcomes_a = score_predictions(path_a.parent / PREDICTIONS_DIR, references, common, record_a["options"],
                                   max_bytes=(record_a.get("limits") or {}).get("prediction_bytes"))
    outcomes_b = score_predictions(path_b.parent / PREDICTIONS_DIR, references, common, record_b["options"],
                                   max_bytes=(record_b.get("limits") or {}).get("prediction_bytes"))
    rows: dict[str, dict[str, float | None]] = {}
    all_deltas = []
    tail = (1 - level) / 2 * 100
    for index, task in enumerate(common):
        deltas, observed = _task_samples(outcomes_a[task], outcomes_b[task], method, trials, seed + index)
        all_deltas.append(deltas)
        low, high = np.percentile(deltas, [tail, 100 - tail]) if method == "bootstrap" else (None, None)
        rows[task] = {"a": outcomes_a[task].value, "b": outcomes_b[task].value, "delta": observed,
                      "ci_low": _float(low), "ci_high": _float(high), "p_value": _p_value(deltas, observed, method)}
    overall = [sum(values) for values in zip(*all_deltas)]
    observed = sum(r["delta"] for r in rows.values())
    low, high = np.percentile(overall, [tail, 100 - tail]) if method == "bootstrap" else (None, None)
    # overall is the one definition used everywhere: the sum of the rounded task scores
    overall_a = integral_score({t: outcomes_a[t].value for t in common})
    overall_b = integral_score({t: outcomes_b[t].value for t in common})
    rows["overall"] = {"a": overall_a, "b": overall_b, "delta": round(overall_b - overall_a, 3),
                       "ci_low": _float(low), "ci_high": _float(high), "p_value": _p_value(overall, observed, method)}
    return Comparison(str(path_a), str(path_b), method, trials, seed, rows)
