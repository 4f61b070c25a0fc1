"""The official key rules shared by the metrics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fusionbench.errors import KeyMismatchError

__all__ = ["require_equal_keys"]


def require_equal_keys(task: str, noun: str, predictions: Mapping[str, Any], references: Mapping[str, Any]) -> None:
    """Raise unless both objects have the same keys (an assertion in the official zsOD and VQA scorers).

    Args:
        task: official task name, for the message.
        noun: what a key stands for (``"image"``, ``"question"``).

    Raises:
        KeyMismatchError: naming how many keys are missing or extra, and the first of each.
    """
    if predictions.keys() == references.keys():
        return
    missing = [k for k in references if k not in predictions]
    extra = [k for k in predictions if k not in references]
    parts = []
    if missing:
        parts.append(f"{len(missing)} {noun}(s) without a prediction (first: {missing[0]!r})")
    if extra:
        parts.append(f"{len(extra)} prediction(s) for an unknown {noun} (first: {extra[0]!r})")
    raise KeyMismatchError(f"{task}: the {noun} keys of predictions and references must be equal: " + "; ".join(parts))
