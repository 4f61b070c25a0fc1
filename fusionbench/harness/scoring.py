"""Score a folder of predictions task by task, keeping per-item statistics for the bootstrap.

Unlike :func:`fusionbench.evaluate`, a broken task does not stop the others: a missing or invalid
prediction file scores 0 and its reason is kept.  The numbers are the same as ``evaluate``'s
(both aggregate the same per-item statistics through the task's accumulator).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fusionbench.errors import FusionBenchError
from fusionbench.evaluation import accumulator_for
from fusionbench.formats import find_task_file, read_task_file
from fusionbench.metrics.accumulator import ItemStats
from fusionbench.metrics.result import TaskScore, round3

__all__ = ["TaskOutcome", "bootstrap_intervals", "score_predictions"]


@dataclass
class TaskOutcome:
    """One task's result in a run: ``status`` is ``scored``, ``missing`` or ``invalid``."""

    task: str
    status: str
    score: TaskScore | None = None
    reason: str | None = None
    items: list[ItemStats[Any]] = field(default_factory=list)
    aggregate: Callable[[Any], float] | None = None
    prediction_sha256: str | None = None

    @property
    def value(self) -> float:
        """The unrounded score (0 when not scored)."""
        return self.score.score if self.score is not None else 0.0

    @property
    def rounded(self) -> float:
        return round3(self.value)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status}
        if self.score is not None:
            out.update(self.score.to_dict())
        else:
            out.update({"score": 0.0, "rounded": 0.0})
        if self.reason:
            out["reason"] = self.reason
        out["prediction_sha256"] = self.prediction_sha256
        return out


def score_predictions(
    predictions_dir: str | os.PathLike[str],
    references_dir: str | os.PathLike[str],
    tasks: Sequence[str],
    options: Mapping[str, Any] | None = None,
    *,
    shown_as: str | None = None,
) -> dict[str, TaskOutcome]:
    """Score every task in ``tasks``; a task whose prediction is missing or invalid scores 0.

    Reference problems are not the submission's fault and raise :class:`FusionBenchError`.
    ``shown_as`` replaces ``predictions_dir`` in the recorded reasons (e.g. ``"output"``, the
    folder the submission wrote, rather than a temporary copy).
    """
    from fusionbench.harness.datasource import hash_file

    options = dict(options or {})
    outcomes: dict[str, TaskOutcome] = {}
    for task in tasks:
        _, reference = read_task_file(references_dir, task, "reference")
        found = find_task_file(predictions_dir, task, "prediction")
        if found is None:
            outcomes[task] = TaskOutcome(task, "missing", reason=f"no prediction_{task}.json was written")
            continue
        sha = hash_file(found)
        accumulator = accumulator_for(task, **options)
        try:
            _, prediction = read_task_file(predictions_dir, task, "prediction")
            items = list(accumulator.item_stats(prediction, reference))
        except FusionBenchError as exc:
            reason = " ".join(str(exc).split())
            if shown_as is not None:
                reason = reason.replace(str(Path(predictions_dir)), shown_as)
            outcomes[task] = TaskOutcome(task, "invalid", reason=reason, prediction_sha256=sha)
            continue
        accumulator.add(items)
        score = accumulator.compute()
        outcomes[task] = TaskOutcome(task, "scored", score=score, items=items,
                                     aggregate=lambda stats, acc=accumulator: acc.aggregate(stats).score,
                                     prediction_sha256=sha)
    return outcomes


def bootstrap_intervals(outcomes: Mapping[str, TaskOutcome], *, samples: int = 1000, seed: int = 12345,
                        level: float = 0.95) -> dict[str, Any]:
    """Seeded percentile intervals per task and for the overall score (unscored tasks: [0, 0])."""
    from fusionbench.harness.bootstrap import bootstrap_scores, confidence_interval

    per_task: dict[str, list[float]] = {}
    for index, (task, outcome) in enumerate(outcomes.items()):
        if outcome.status == "scored" and outcome.items:
            per_task[task] = bootstrap_scores([i.stats for i in outcome.items], outcome.aggregate,
                                              samples=samples, seed=seed + index)
        else:
            per_task[task] = [0.0] * samples
    intervals: dict[str, Any] = {
        task: dict(zip(("low", "high"), confidence_interval(values, level))) for task, values in per_task.items()
    }
    overall = [sum(values) for values in zip(*per_task.values())] if per_task else [0.0]
    intervals["overall"] = dict(zip(("low", "high"), confidence_interval(overall, level)))
    return {"samples": samples, "seed": seed, "level": level, "method": "percentile bootstrap over items",
            "intervals": intervals}


def predictions_in(folder: Path, tasks: Sequence[str]) -> list[Path]:
    """The official prediction files present in ``folder`` for ``tasks``."""
    return [p for p in (find_task_file(folder, t, "prediction") for t in tasks) if p is not None]
