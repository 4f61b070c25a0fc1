"""Bootstrap confidence intervals from per-item sufficient statistics.

Because every metric aggregates summed per-item statistics, a bootstrap sample is just a
resampled sum of rows of a statistics matrix: nothing is re-tokenised or re-parsed, so 1,000
samples of a public-size set take a fraction of a second.  The overall (integral) interval adds
the tasks' resampled scores, each task resampled on its own items.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["bootstrap_report", "bootstrap_scores", "confidence_interval", "flatten_stats", "unflatten_stats"]


def flatten_stats(stats: Any) -> list[float]:
    """The numbers of a statistics dataclass (nested dataclasses and tuples included), in field order."""
    values: list[float] = []
    for f in dataclasses.fields(stats):
        value = getattr(stats, f.name)
        if dataclasses.is_dataclass(value):
            values += flatten_stats(value)
        elif isinstance(value, tuple):
            values += list(value)
        else:
            values.append(value)
    return values


def unflatten_stats(template: Any, values: Sequence[float]) -> Any:
    """Rebuild a statistics dataclass shaped like ``template`` from ``values``."""
    position = 0

    def build(like: Any) -> Any:
        nonlocal position
        kwargs = {}
        for f in dataclasses.fields(like):
            value = getattr(like, f.name)
            if dataclasses.is_dataclass(value):
                kwargs[f.name] = build(value)
            elif isinstance(value, tuple):
                kwargs[f.name] = tuple(_number(v) for v in values[position:position + len(value)])
                position += len(value)
            else:
                kwargs[f.name] = _number(values[position])
                position += 1
        return type(like)(**kwargs)

    return build(template)


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


def bootstrap_scores(
    items: Sequence[Any], aggregate: Callable[[Any], float], *, samples: int = 1000, seed: int = 12345
) -> list[float]:
    """Scores of ``samples`` resamples (with replacement) of the per-item statistics ``items``."""
    import numpy as np

    if not items:
        raise ValueError("no items to resample")
    matrix = np.array([flatten_stats(s) for s in items], dtype=np.float64)
    rng = np.random.default_rng(seed)
    template = items[0]
    scores = []
    for _ in range(samples):
        totals = matrix[rng.integers(0, len(items), len(items))].sum(axis=0)
        scores.append(float(aggregate(unflatten_stats(template, totals.tolist()))))
    return scores


def confidence_interval(scores: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """The percentile interval of bootstrap scores."""
    import numpy as np

    tail = (1 - level) / 2 * 100
    low, high = np.percentile(np.asarray(scores), [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_report(
    tasks: Mapping[str, tuple[Sequence[Any], Callable[[Any], float]]],
    *,
    samples: int = 1000,
    seed: int = 12345,
    level: float = 0.95,
) -> dict[str, Any]:
    """Intervals per task and for the sum of the tasks.

    Args:
        tasks: task name to (per-item statistics, aggregate returning the unrounded score).
    """
    per_task = {name: bootstrap_scores(items, aggregate, samples=samples, seed=seed + i)
                for i, (name, (items, aggregate)) in enumerate(tasks.items())}
    overall = [sum(values) for values in zip(*per_task.values())]
    report = {name: dict(zip(("low", "high"), confidence_interval(values, level))) for name, values in per_task.items()}
    report["overall"] = dict(zip(("low", "high"), confidence_interval(overall, level)))
    report["samples"], report["seed"], report["level"] = samples, seed, level
    return report
