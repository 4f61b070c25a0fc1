"""The result object every metric returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TaskScore", "round3"]


def round3(value: float) -> float:
    """Round to 3 decimals exactly as the official scripts and leaderboard do (``round(x, 3)``)."""
    return round(float(value), 3)


@dataclass(frozen=True)
class TaskScore:
    """The score of one task.

    Attributes:
        task: official task name (``C2C``, ``HTR``, ``zsOD`` or ``VQA``).
        score: the unrounded score in [0, 1].
        signature: the rendered signature (see :mod:`fusionbench.signature`).
        stats: the sufficient statistics the score was aggregated from (counts; C2C's weighted
            n-gram numerators are floats, as in the official code).
        details: further fields that appear at the top level of the JSON output, e.g.
            ``tp``/``fp``/``fn``/``precision``/``recall`` for zsOD or ``components`` for C2C.
        by_language: per-language scores, present only when a breakdown was asked for.
    """

    task: str
    score: float
    signature: str
    stats: Mapping[str, Any] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)
    by_language: Mapping[str, TaskScore] | None = None

    @property
    def rounded(self) -> float:
        """The score rounded to 3 decimals, the value the leaderboard used."""
        return round3(self.score)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``score``, ``rounded``, the details, ``signature``, ``stats``."""
        out: dict[str, Any] = {"score": self.score, "rounded": self.rounded}
        out.update(self.details)
        out["signature"] = self.signature
        out["stats"] = dict(self.stats)
        if self.by_language is not None:
            out["languages"] = {lang: s.to_dict() for lang, s in self.by_language.items()}
        return out

    def __str__(self) -> str:
        return f"{self.task} = {self.rounded:.3f} ({self.signature})"
