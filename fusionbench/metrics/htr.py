"""HTR: string accuracy, exactly as the official FusionBrain scorer computes it.

Official rule: for every reference key, the prediction is the predicted string or ``""`` when the
key is missing; an item is correct when both strings are equal with no normalisation at all (no
strip, no case folding, no Unicode normalisation).  Extra prediction keys are ignored.  The score
is correct / number of reference keys.

Extensions (each named in the signature): per-language breakdown (a reference containing a
Cyrillic letter is ``ru``, else ``en``) and corpus-level character and word error rates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from fusionbench.errors import FusionBenchError
from fusionbench.metrics.accumulator import Accumulator, ItemStats
from fusionbench.metrics.result import TaskScore
from fusionbench.signature import format_signature

__all__ = [
    "HTRAccumulator",
    "HTRStats",
    "htr_item_stats",
    "htr_language",
    "htr_score",
    "htr_stats",
    "levenshtein",
    "score_htr",
]

_CYRILLIC = re.compile("[\u0400-\u04ff]")


@dataclass(frozen=True)
class HTRStats:
    """Sufficient statistics of HTR (all integers, so any grouping sums exactly).

    Attributes:
        correct: items whose prediction equals the reference.
        total: reference items.
        char_errors, char_total: character edits and reference characters (error-rate extension).
        word_errors, word_total: word edits and reference words (error-rate extension).
    """

    correct: int = 0
    total: int = 0
    char_errors: int = 0
    char_total: int = 0
    word_errors: int = 0
    word_total: int = 0

    def __add__(self, other: HTRStats) -> HTRStats:
        return HTRStats(
            self.correct + other.correct, self.total + other.total,
            self.char_errors + other.char_errors, self.char_total + other.char_total,
            self.word_errors + other.word_errors, self.word_total + other.word_total,
        )


def htr_language(reference: str) -> str:
    """``ru`` if the reference contains a Cyrillic letter, else ``en``.

    >>> htr_language("Hello"), htr_language("Привет1")
    ('en', 'ru')
    """
    return "ru" if _CYRILLIC.search(reference) else "en"


def levenshtein(a: Iterable[object], b: Iterable[object]) -> int:
    """Edit distance (insertions, deletions, substitutions, each costing 1) between two sequences."""
    a, b = list(a), list(b)
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def htr_stats(prediction: str, reference: str, *, error_rates: bool = False) -> HTRStats:
    """Statistics of one item.

    >>> htr_stats("мама", "мама").correct, htr_stats("Мама", "мама").correct
    (1, 0)
    """
    correct = int(prediction == reference)
    if not error_rates:
        return HTRStats(correct=correct, total=1)
    if correct:
        char_errors = word_errors = 0
    else:
        char_errors = levenshtein(prediction, reference)
        word_errors = levenshtein(prediction.split(), reference.split())
    return HTRStats(correct, 1, char_errors, len(reference), word_errors, len(reference.split()))


def htr_item_stats(
    predictions: Mapping[str, str], references: Mapping[str, str], *, error_rates: bool = False
) -> list[ItemStats[HTRStats]]:
    """Per-item statistics in reference-key order; a missing prediction counts as ``""``."""
    return [
        ItemStats(key, htr_language(reference), htr_stats(predictions.get(key, ""), reference, error_rates=error_rates))
        for key, reference in references.items()
    ]


def _signature(error_rates: bool, by_language: bool) -> str:
    extended = error_rates or by_language
    return format_signature({
        "task": "HTR",
        "mode": "extended" if extended else "official",
        "norm": "none",
        "rates": True if error_rates else None,
        "breakdown": "lang" if by_language else None,
    })


def htr_score(
    stats: HTRStats,
    by_language: Mapping[str, HTRStats] | None = None,
    *,
    error_rates: bool = False,
) -> TaskScore:
    """Aggregate summed statistics into the HTR score.

    Raises:
        FusionBenchError: there are no reference items (the official script divides by zero).
    """
    if stats.total == 0:
        raise FusionBenchError("HTR: no reference items to score (the official scorer would divide by zero)")
    details: dict[str, object] = {"correct": stats.correct, "total": stats.total}
    if error_rates:
        details["cer"] = stats.char_errors / stats.char_total if stats.char_total else 0.0
        details["wer"] = stats.word_errors / stats.word_total if stats.word_total else 0.0
    per_language = None
    if by_language is not None:
        per_language = {
            lang: htr_score(sub, error_rates=error_rates) for lang, sub in sorted(by_language.items()) if sub.total
        }
    stat_fields = ("correct", "total", "char_errors", "char_total", "word_errors", "word_total")
    kept = stat_fields if error_rates else stat_fields[:2]
    return TaskScore(
        task="HTR",
        score=stats.correct / stats.total,
        signature=_signature(error_rates, by_language is not None),
        stats={name: getattr(stats, name) for name in kept},
        details=details,
        by_language=per_language,
    )


class HTRAccumulator(Accumulator[HTRStats]):
    """Streaming HTR scorer: ``update(predictions, references)`` per batch, then ``compute()``.

    Args:
        by_language: keep per-language statistics.
        error_rates: also accumulate character and word error rates.
    """

    def __init__(self, *, by_language: bool = False, error_rates: bool = False) -> None:
        super().__init__(by_language=by_language, error_rates=error_rates)

    def zero(self) -> HTRStats:
        return HTRStats()

    def item_stats(self, predictions: Mapping[str, str], references: Mapping[str, str]) -> list[ItemStats[HTRStats]]:
        return htr_item_stats(predictions, references, error_rates=self.options["error_rates"])

    def aggregate(self, stats: HTRStats, by_language: Mapping[str, HTRStats] | None = None) -> TaskScore:
        return htr_score(stats, by_language, error_rates=self.options["error_rates"])


def score_htr(
    predictions: Mapping[str, str],
    references: Mapping[str, str],
    *,
    by_language: bool = False,
    error_rates: bool = False,
) -> TaskScore:
    """Score HTR predictions against references (official rule unless an extension is asked for).

    Example:
        >>> score_htr({"0.png": "мама", "2.png": "x"}, {"0.png": "мама", "1.png": "", "3.png": "Cat"}).score
        0.6666666666666666
    """
    accumulator = HTRAccumulator(by_language=by_language, error_rates=error_rates)
    accumulator.update(predictions, references)
    return accumulator.compute()
