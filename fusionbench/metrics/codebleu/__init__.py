"""C2C: CodeBLEU on AVATAR-tokenised Python, exactly as the official FusionBrain scorer.

CodeBLEU = 0.25·BLEU + 0.25·weighted BLEU + 0.25·syntax match + 0.25·data-flow match, all on a
0–1 scale, over the raw token strings.  Every component is a ratio of pooled counts, so the
metric splits into per-item statistics (:class:`CodeBLEUStats`) and an aggregate
(:func:`codebleu_score`), and streams exactly (:class:`CodeBLEUAccumulator`).

Official rule on keys: every reference key needs a prediction (the official script stops reading
and then fails an assertion); extra prediction keys are ignored.  Items are taken in reference
order.  See :mod:`.ngram`, :mod:`.syntax`, :mod:`.dataflow` and :mod:`.workers` for the quirks.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fusionbench.errors import FusionBenchError, KeyMismatchError, json_path
from fusionbench.metrics.accumulator import Accumulator, ItemStats
from fusionbench.metrics.codebleu.ngram import NgramStats, bleu_from_stats, ngram_stats_many, weighted_bleu_from_stats
from fusionbench.metrics.result import TaskScore
from fusionbench.signature import format_signature

__all__ = [
    "CodeBLEUAccumulator",
    "CodeBLEUStats",
    "codebleu_item_stats",
    "codebleu_score",
    "score_c2c",
]

WEIGHTS = (0.25, 0.25, 0.25, 0.25)


@dataclass(frozen=True)
class CodeBLEUStats:
    """Sufficient statistics of CodeBLEU (see :class:`~.ngram.NgramStats` for the n-gram part)."""

    ngram: NgramStats = field(default_factory=NgramStats)
    syntax_matches: int = 0
    syntax_total: int = 0
    dataflow_matches: int = 0
    dataflow_total: int = 0

    def __add__(self, other: CodeBLEUStats) -> CodeBLEUStats:
        return CodeBLEUStats(
            self.ngram + other.ngram,
            self.syntax_matches + other.syntax_matches,
            self.syntax_total + other.syntax_total,
            self.dataflow_matches + other.dataflow_matches,
            self.dataflow_total + other.dataflow_total,
        )


def _check_keys(predictions: Mapping[str, str], references: Mapping[str, str]) -> None:
    missing = [key for key in references if key not in predictions]
    if missing:
        raise KeyMismatchError(
            f"C2C: {len(missing)} reference item(s) have no prediction (first: {missing[0]!r})",
            path=json_path(missing[0]), expected="a prediction for every reference key",
        )


def codebleu_item_stats(
    predictions: Mapping[str, str],
    references: Mapping[str, str],
    *,
    detokenize: bool = False,
    dataflow_parents: str = "official",
    grammar: str | os.PathLike[str] | None = None,
) -> list[ItemStats[CodeBLEUStats]]:
    """Per-item statistics in reference-key order.

    Raises:
        KeyMismatchError: a reference key has no prediction.
        FormatError: a string nests too deep to be scored (see :mod:`.depth`), named by its key.
    """
    from fusionbench.metrics.codebleu.depth import check_tree_depths, too_deep_error
    from fusionbench.metrics.codebleu.structure import TreeTooDeep
    from fusionbench.metrics.codebleu.workers import start_structural_counts

    _check_keys(predictions, references)
    keys = list(references)
    pairs = [(references[k], predictions[k]) for k in keys]
    if grammar is not None:  # the default route checks depths in the workers, on the trees they parse
        transform = None
        if detokenize:
            from fusionbench.metrics.codebleu.detok import detokenize as transform
        check_tree_depths(((k, role, code) for k, (ref, cand) in zip(keys, pairs)
                           for role, code in (("prediction", cand), ("reference", ref))), transform=transform)
    try:
        wait = start_structural_counts(pairs, parents=dataflow_parents, detokenize=detokenize, grammar=grammar)
        ngrams = ngram_stats_many([(cand, ref) for ref, cand in pairs])  # while the workers parse
        counts = wait()
    except TreeTooDeep as exc:
        raise too_deep_error(keys[exc.index], exc.role, exc.depth) from None
    return [
        ItemStats(key, None, CodeBLEUStats(ngram, *item_counts))
        for key, ngram, item_counts in zip(keys, ngrams, counts)
    ]


def _grammar_label(grammar: str | os.PathLike[str] | None) -> tuple[str, str]:
    from fusionbench.metrics.codebleu.parse import GRAMMAR, RUNTIME

    if grammar is None:
        return GRAMMAR, RUNTIME
    digest = hashlib.sha256(Path(grammar).read_bytes()).hexdigest()[:12]
    return f"legacy-{digest}", "tree-sitter-0.2.0"


def _signature(detokenize: bool, dataflow_parents: str, grammar: str | os.PathLike[str] | None) -> str:
    grammar_name, runtime = _grammar_label(grammar)
    extended = detokenize or dataflow_parents != "official"
    return format_signature({
        "task": "C2C",
        "mode": "extended" if extended else ("legacy" if grammar is not None else "official"),
        "tok": "detok" if detokenize else "avatar",
        "grammar": grammar_name,
        "runtime": runtime,
        "dfparents": "hashseed0" if dataflow_parents == "official" else "sorted",
        "hash": sys.hash_info.algorithm if dataflow_parents == "official" else None,
    })


def codebleu_score(
    stats: CodeBLEUStats,
    *,
    detokenize: bool = False,
    dataflow_parents: str = "official",
    grammar: str | os.PathLike[str] | None = None,
) -> TaskScore:
    """Aggregate summed statistics into CodeBLEU and its four components.

    Raises:
        FusionBenchError: there are no items (the official script divides by zero).
    """
    if stats.syntax_total == 0:
        raise FusionBenchError("C2C: no items to score (the official scorer would divide by zero)")
    ngram = bleu_from_stats(stats.ngram)
    weighted = weighted_bleu_from_stats(stats.ngram)
    syntax = stats.syntax_matches / stats.syntax_total
    # Officially 0 when no reference has any data flow (the script prints a warning).
    dataflow = stats.dataflow_matches / stats.dataflow_total if stats.dataflow_total else 0
    alpha, beta, gamma, theta = WEIGHTS
    total = alpha * ngram + beta * weighted + gamma * syntax + theta * dataflow
    n = stats.ngram
    return TaskScore(
        task="C2C",
        score=float(total),
        signature=_signature(detokenize, dataflow_parents, grammar),
        stats={
            "matches": list(n.matches), "hyp_ngrams": list(n.hyp_ngrams),
            "weighted_matches": list(n.weighted_matches), "ref_ngrams": list(n.ref_ngrams),
            "hyp_len": n.hyp_len, "ref_len": n.ref_len, "items": n.items,
            "syntax_matches": stats.syntax_matches, "syntax_total": stats.syntax_total,
            "dataflow_matches": stats.dataflow_matches, "dataflow_total": stats.dataflow_total,
        },
        details={"components": {
            "ngram_match": float(ngram), "weighted_ngram_match": float(weighted),
            "syntax_match": float(syntax), "dataflow_match": float(dataflow),
        }},
    )


class CodeBLEUAccumulator(Accumulator[CodeBLEUStats]):
    """Streaming CodeBLEU: feed batches in corpus order to get exactly the whole-corpus value."""

    def __init__(
        self,
        *,
        detokenize: bool = False,
        dataflow_parents: str = "official",
        grammar: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(detokenize=detokenize, dataflow_parents=dataflow_parents, grammar=grammar)

    def zero(self) -> CodeBLEUStats:
        return CodeBLEUStats()

    def item_stats(self, predictions, references) -> list[ItemStats[CodeBLEUStats]]:
        return codebleu_item_stats(predictions, references, **self.options)

    def aggregate(self, stats: CodeBLEUStats, by_language=None) -> TaskScore:
        return codebleu_score(stats, **self.options)


def score_c2c(
    predictions: Mapping[str, str],
    references: Mapping[str, str],
    *,
    detokenize: bool = False,
    dataflow_parents: str = "official",
    grammar: str | os.PathLike[str] | None = None,
) -> TaskScore:
    """Score C2C predictions with CodeBLEU (official rule unless an extension is asked for)."""
    accumulator = CodeBLEUAccumulator(detokenize=detokenize, dataflow_parents=dataflow_parents, grammar=grammar)
    accumulator.update(predictions, references)
    return accumulator.compute()
