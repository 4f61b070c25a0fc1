"""VQA: accuracy after normalising the prediction, exactly as the official FusionBrain scorer.

Official rule: the key sets of predictions and references must be equal; each prediction is
normalised (:func:`~fusionbench.metrics.vqa_normalize.normalize_answer`, with the reference's
``lang``) and is correct when it equals the reference answer or is in the reference list.
Reference answers are compared **as they are**, so a reference that is not already normalised can
never match.  The official scorer prints the mean rounded to 3 decimals; fusionbench reports the
unrounded mean as ``score`` and that value as ``rounded``.

Extensions (named in the signature): ``normalize_references=True`` normalises the references
too; a per-language breakdown by the reference ``lang``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fusionbench.errors import FormatError, FusionBenchError, json_path
from fusionbench.formats import VQA_LANGUAGES
from fusionbench.metrics.accumulator import Accumulator, ItemStats
from fusionbench.metrics.keys import require_equal_keys
from fusionbench.metrics.result import TaskScore
from fusionbench.metrics.vqa_normalize import morph_versions, normalize_answer
from fusionbench.signature import format_signature

__all__ = ["VQAAccumulator", "VQAStats", "normalize_answer", "score_vqa", "vqa_item_stats", "vqa_score", "vqa_stats"]

LANGUAGES = VQA_LANGUAGES  # one definition, shared with file validation


@dataclass(frozen=True)
class VQAStats:
    """Sufficient statistics of VQA: correct answers and questions."""

    correct: int = 0
    total: int = 0

    def __add__(self, other: VQAStats) -> VQAStats:
        return VQAStats(self.correct + other.correct, self.total + other.total)


def _answers(reference: Mapping[str, Any]) -> list[str]:
    answer = reference["answer"]
    return answer if isinstance(answer, list) else [answer]


def vqa_stats(prediction: str, reference: Mapping[str, Any], *, normalize_references: bool = False) -> VQAStats:
    """Statistics of one question.

    >>> vqa_stats("Two.", {"answer": "2", "lang": "en"})
    VQAStats(correct=1, total=1)
    >>> vqa_stats("Yes", {"answer": "Yes", "lang": "en"})  # the reference is not normalised
    VQAStats(correct=0, total=1)
    """
    lang = reference["lang"]
    answers = _answers(reference)
    if normalize_references:
        answers = [normalize_answer(a, lang) for a in answers]
    return VQAStats(correct=int(normalize_answer(prediction, lang) in answers), total=1)


def vqa_item_stats(
    predictions: Mapping[str, str], references: Mapping[str, Mapping[str, Any]], *, normalize_references: bool = False
) -> list[ItemStats[VQAStats]]:
    """Per-question statistics in reference-key order.

    Raises:
        KeyMismatchError: the key sets differ (an assertion in the official scorer).
        FormatError: a reference declares a language other than ``en`` or ``ru``.
    """
    require_equal_keys("VQA", "question", predictions, references)
    items = []
    for key, reference in references.items():
        lang = reference.get("lang")
        if lang not in LANGUAGES:
            raise FormatError("unknown language", path=json_path(key, "lang"), expected='"en" or "ru"', found=repr(lang))
        stats = vqa_stats(predictions[key], reference, normalize_references=normalize_references)
        items.append(ItemStats(key, lang, stats))
    return items


def _signature(normalize_references: bool, by_language: bool) -> str:
    morph, dictionary = morph_versions()
    return format_signature({
        "task": "VQA",
        "mode": "extended" if normalize_references or by_language else "official",
        "refnorm": normalize_references,
        "morph": f"pymorphy3-{morph}",
        "dict": f"ru-{dictionary}",
        "breakdown": "lang" if by_language else None,
    })


def vqa_score(
    stats: VQAStats, by_language: Mapping[str, VQAStats] | None = None, *, normalize_references: bool = False
) -> TaskScore:
    """Aggregate summed statistics into accuracy.

    Raises:
        FusionBenchError: there are no questions (the official scorer divides by zero).
    """
    if stats.total == 0:
        raise FusionBenchError("VQA: no questions to score (the official scorer would divide by zero)")
    per_language = None
    if by_language is not None:
        per_language = {
            lang: vqa_score(sub, normalize_references=normalize_references)
            for lang, sub in sorted(by_language.items()) if sub.total
        }
    return TaskScore(
        task="VQA",
        score=stats.correct / stats.total,
        signature=_signature(normalize_references, by_language is not None),
        stats={"correct": stats.correct, "total": stats.total},
        details={"correct": stats.correct, "total": stats.total},
        by_language=per_language,
    )


class VQAAccumulator(Accumulator[VQAStats]):
    """Streaming VQA scorer: ``update(predictions, references)`` per batch, then ``compute()``."""

    def __init__(self, *, by_language: bool = False, normalize_references: bool = False) -> None:
        super().__init__(by_language=by_language, normalize_references=normalize_references)

    def zero(self) -> VQAStats:
        return VQAStats()

    def item_stats(self, predictions, references) -> list[ItemStats[VQAStats]]:
        return vqa_item_stats(predictions, references, normalize_references=self.options["normalize_references"])

    def aggregate(self, stats: VQAStats, by_language: Mapping[str, VQAStats] | None = None) -> TaskScore:
        return vqa_score(stats, by_language, normalize_references=self.options["normalize_references"])


def score_vqa(
    predictions: Mapping[str, str],
    references: Mapping[str, Mapping[str, Any]],
    *,
    by_language: bool = False,
    normalize_references: bool = False,
) -> TaskScore:
    """Score VQA predictions against references (official rule unless an extension is asked for)."""
    accumulator = VQAAccumulator(by_language=by_language, normalize_references=normalize_references)
    accumulator.update(predictions, references)
    return accumulator.compute()
