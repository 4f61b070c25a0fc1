"""The integral (overall) FusionBrain score."""

from __future__ import annotations

from collections.abc import Mapping

from fusionbench.metrics.result import TaskScore, round3

__all__ = ["integral_score"]


def integral_score(scores: Mapping[str, float | TaskScore]) -> float:
    """The sum of the task scores, each rounded to 3 decimals (0 to 4 for the four tasks).

    The official leaderboard rounds each task first, then adds.  The sum of 3-decimal values is
    rounded to 3 decimals once more only to remove binary floating-point noise
    (``0.1 + 0.2 == 0.30000000000000004``); it never changes a digit.

    >>> integral_score({"HTR": 0.12345, "zsOD": 0.5, "VQA": 0.2996})
    0.923
    """
    total = 0.0
    for value in scores.values():
        total += value.rounded if isinstance(value, TaskScore) else round3(value)
    return round3(total)
