"""Streaming accumulators over sufficient statistics.

An accumulator sums per-item statistics as batches arrive and aggregates only in
:meth:`Accumulator.compute`.  Because every metric is an aggregate of summed statistics, feeding
a corpus batch by batch (in corpus order) gives exactly the number of one call on the whole set.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any, Generic, TypeVar

from fusionbench.metrics.result import TaskScore

__all__ = ["Accumulator", "ItemStats"]

S = TypeVar("S")


class ItemStats(Generic[S]):
    """The statistics of one item with its key and language (``None`` when unknown)."""

    __slots__ = ("key", "language", "stats")

    def __init__(self, key: str, language: str | None, stats: S) -> None:
        self.key = key
        self.language = language
        self.stats = stats

    def __repr__(self) -> str:
        return f"ItemStats({self.key!r}, {self.language!r}, {self.stats!r})"


class Accumulator(ABC, Generic[S]):
    """Base class: ``update(predictions, references)`` / ``compute()`` / ``reset()`` / ``merge()``.

    Subclasses define :meth:`item_stats` (per-item statistics of one batch, in reference-key
    order), :meth:`zero` (the empty statistics) and :meth:`aggregate` (statistics to score).
    Options given to the constructor are passed to both.
    """

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.reset()

    # -- to implement -------------------------------------------------------------------------
    @abstractmethod
    def zero(self) -> S:
        """The statistics of an empty corpus."""

    @abstractmethod
    def item_stats(self, predictions: Mapping[str, Any], references: Mapping[str, Any]) -> Iterable[ItemStats[S]]:
        """Per-item statistics of one batch, validating it as the official rules require."""

    @abstractmethod
    def aggregate(self, stats: S, by_language: Mapping[str, S] | None = None) -> TaskScore:
        """Turn summed statistics into a score."""

    # -- shared behaviour ---------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything seen so far."""
        self.total: S = self.zero()
        self.per_language: dict[str, S] = {}
        self.items = 0

    def update(self, predictions: Mapping[str, Any], references: Mapping[str, Any]) -> None:
        """Add one batch (official prediction and reference objects with equal key sets)."""
        self.add(list(self.item_stats(predictions, references)))  # validate whole batch first

    def add(self, batch: Iterable[ItemStats[S]]) -> None:
        """Add already computed per-item statistics (e.g. kept for a bootstrap)."""
        batch = list(batch)
        for item in batch:
            self.total = self.total + item.stats
            if item.language is not None:
                self.per_language[item.language] = self.per_language.get(item.language, self.zero()) + item.stats
        self.items += len(batch)

    def merge(self, other: Accumulator[S]) -> None:
        """Add the statistics of another accumulator of the same metric and options."""
        if type(other) is not type(self) or other.options != self.options:
            raise ValueError("can only merge accumulators of the same metric and options")
        self.total = self.total + other.total
        for lang, stats in other.per_language.items():
            self.per_language[lang] = self.per_language.get(lang, self.zero()) + stats
        self.items += other.items

    def compute(self) -> TaskScore:
        """The score of everything seen since the last reset."""
        return self.aggregate(self.total, self.per_language if self.options.get("by_language") else None)
