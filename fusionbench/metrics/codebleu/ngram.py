"""BLEU and keyword-weighted BLEU, the first two CodeBLEU components, as sufficient statistics.

Both follow the official CodeBLEU scripts (NLTK-derived) exactly:

* tokens are ``str.split()`` of the raw strings, one reference per item;
* BLEU-4 with uniform weights: per item, clipped n-gram matches over ``max(1, #hypothesis
  n-grams)``; numerators and denominators are summed *unreduced* over the corpus (the official
  code builds ``Fraction(..., _normalize=False)``);
* weighted BLEU: per item, for n = 1 each reference token type weighs 1 if it is a Python keyword
  and 0.2 otherwise; matches are clipped over the reference n-grams and divided by
  ``max(1, weighted #reference n-grams)``, so it behaves like a recall;
* both: 0 if there is no unigram match; smoothing method 1 (0.1 added to zero numerators, then
  divided by the corpus denominator); brevity penalty from the summed lengths;
* quirk: the weighted variant measures each reference's length as ``len([tokens, weights])``,
  i.e. 2, so its brevity penalty compares the hypothesis length with 2 per item (in practice it
  is 1 unless the predictions are almost empty).

The weighted unigram numerators are floats.  Each item's float is computed in the official term
order (reference token types in first-occurrence order) and items are summed in corpus order, so
the result is bit-identical to the official script.  Summing independently computed shards in
another grouping may differ in the last bit only.

:func:`ngram_stats_many` computes a whole list of pairs at once.  It uses the optional compiled
accelerator ``_speedups`` (built from ``_speedups.c`` by ``pip install`` where a C compiler is
available) unless ``FUSIONBENCH_PURE_PYTHON=1`` (read once, at import), and :func:`ngram_stats`
otherwise; both give identical values and types (``tests/metrics/codebleu/test_speedups.py``).
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, fields

__all__ = [
    "PYTHON_KEYWORDS", "NgramStats", "ngram_stats", "ngram_stats_many", "speedups_available",
    "bleu_from_stats", "weighted_bleu_from_stats",
]

#: The 35 keywords of Python 3, weighted 1 in the weighted n-gram match (all else 0.2).
PYTHON_KEYWORDS = frozenset(
    "False None True and as assert async await break class continue def del elif else except "
    "finally for from global if import in is lambda nonlocal not or pass raise return try while "
    "with yield".split()
)
KEYWORD_WEIGHT = 1
OTHER_WEIGHT = 0.2
MAX_ORDER = 4
EPSILON = 0.1
WEIGHTS = (0.25, 0.25, 0.25, 0.25)


@dataclass(frozen=True)
class NgramStats:
    """Per-item (or summed) statistics of both n-gram components.

    Attributes:
        matches: clipped matches for n = 1..4 (shared by both components).
        hyp_ngrams: BLEU denominators, ``max(1, #hypothesis n-grams)`` per item.
        weighted_matches: weighted-BLEU numerators (n = 1 weighted, a float).
        ref_ngrams: weighted-BLEU denominators, ``max(1, weighted #reference n-grams)`` per item.
        hyp_len, ref_len: token counts for the brevity penalty.
        items: number of items (the weighted variant's brevity penalty uses 2 per item).
    """

    matches: tuple[int, ...] = (0, 0, 0, 0)
    hyp_ngrams: tuple[int, ...] = (0, 0, 0, 0)
    weighted_matches: tuple[float, ...] = (0, 0, 0, 0)
    ref_ngrams: tuple[float, ...] = (0, 0, 0, 0)
    hyp_len: int = 0
    ref_len: int = 0
    items: int = 0

    def __add__(self, other: NgramStats) -> NgramStats:
        values = []
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            values.append(tuple(x + y for x, y in zip(a, b)) if isinstance(a, tuple) else a + b)
        return NgramStats(*values)


def ngram_stats(prediction: str, reference: str) -> NgramStats:
    """Statistics of one (prediction, reference) pair of token strings.

    Unigrams are counted as bare tokens rather than 1-tuples and missing counts are read with
    ``dict.get``; the float numerators are summed in the official term order (reference types in
    first-occurrence order, starting from the int 0), so the values are bit-identical.

    >>> s = ngram_stats("return x + 1", "return x")
    >>> s.matches, s.hyp_ngrams, s.weighted_matches, s.ref_ngrams
    ((2, 1, 0, 0), (4, 3, 2, 1), (1.2, 1, 0, 0), (1.2, 1, 1, 1))
    """
    hyp = prediction.split()
    ref = reference.split()
    matches, hyp_ngrams, weighted, ref_ngrams = [], [], [], []
    for n in range(1, MAX_ORDER + 1):
        if n == 1:
            hyp_counts, ref_counts = Counter(hyp), Counter(ref)
        else:
            hyp_counts = Counter(zip(*(hyp[i:] for i in range(n)))) if len(hyp) >= n else Counter()
            ref_counts = Counter(zip(*(ref[i:] for i in range(n)))) if len(ref) >= n else Counter()
        ref_get, hyp_get = ref_counts.get, hyp_counts.get
        # BLEU: clip hypothesis counts by reference counts (iteration order is irrelevant: ints).
        matches.append(sum([min(c, ref_get(g, 0)) for g, c in hyp_counts.items()]))
        hyp_ngrams.append(max(1, max(0, len(hyp) - n + 1)))
        # Weighted BLEU: clip over the reference n-grams, in the reference's first-occurrence order.
        if n == 1:
            total: float = 0  # starts as int 0, as in the official code
            reference_total: float = 0
            for token, count in ref_counts.items():
                weight = KEYWORD_WEIGHT if token in PYTHON_KEYWORDS else OTHER_WEIGHT
                total += min(count, hyp_get(token, 0)) * weight
                reference_total += count * weight
            weighted.append(total)
            ref_ngrams.append(max(1, reference_total))
        else:
            weighted.append(sum([min(c, hyp_get(g, 0)) for g, c in ref_counts.items()]))
            ref_ngrams.append(max(1, max(0, len(ref) - n + 1)))
    return NgramStats(tuple(matches), tuple(hyp_ngrams), tuple(weighted), tuple(ref_ngrams), len(hyp), len(ref), 1)


def _load_speedups():
    """The compiled ``ngram_stats_many``, or None (not built, or ``FUSIONBENCH_PURE_PYTHON=1``)."""
    if os.environ.get("FUSIONBENCH_PURE_PYTHON") == "1":
        return None
    # The C code hard-codes the two weights and their types (an int 1, a float 0.2).
    if (type(KEYWORD_WEIGHT), KEYWORD_WEIGHT, type(OTHER_WEIGHT), OTHER_WEIGHT, MAX_ORDER) != (int, 1, float, 0.2, 4):
        return None
    try:
        from fusionbench.metrics.codebleu._speedups import ngram_stats_many as compiled
    except ImportError:
        return None
    return compiled


_COMPILED = _load_speedups()


def speedups_available() -> bool:
    """Whether :func:`ngram_stats_many` runs the compiled accelerator in this process."""
    return _COMPILED is not None


def ngram_stats_many(pairs: Iterable[tuple[str, str]]) -> list[NgramStats]:
    """:func:`ngram_stats` of each ``(prediction, reference)`` pair, in order, in one call.

    Uses the compiled accelerator when :func:`speedups_available` (identical values and types).

    Raises:
        TypeError: an item is not a pair of two ``str``.
    """
    if _COMPILED is not None:
        return [NgramStats(m, h, w, r, hyp_len, ref_len, 1)
                for m, h, w, r, hyp_len, ref_len in _COMPILED(pairs, PYTHON_KEYWORDS)]
    stats = []
    for index, (prediction, reference) in enumerate(pairs):
        if not (isinstance(prediction, str) and isinstance(reference, str)):
            raise TypeError(f"ngram_stats_many(): item {index} must hold two str, "
                            f"not ({type(prediction).__name__}, {type(reference).__name__})")
        stats.append(ngram_stats(prediction, reference))
    return stats


def _brevity_penalty(ref_len: int, hyp_len: int) -> float:
    if hyp_len > ref_len:
        return 1
    if hyp_len == 0:
        return 0
    return math.exp(1 - ref_len / hyp_len)


#: What the weighted variant takes as each reference's length: ``len([tokens, weights])``.
WEIGHTED_REFERENCE_LENGTH = 2


def _combine(numerators: tuple[float, ...], denominators: tuple[float, ...], ref_len: int, hyp_len: int) -> float:
    if numerators[0] == 0:
        return 0
    logs = []
    for weight, num, den in zip(WEIGHTS, numerators, denominators):
        value = (num + EPSILON) / den if num == 0 else num / den  # smoothing method 1
        logs.append(weight * math.log(value))
    return _brevity_penalty(ref_len, hyp_len) * math.exp(math.fsum(logs))


def bleu_from_stats(stats: NgramStats) -> float:
    """Corpus BLEU-4 (smoothing method 1) from summed statistics, as the official ``bleu.py``."""
    return _combine(stats.matches, stats.hyp_ngrams, stats.ref_len, stats.hyp_len)


def weighted_bleu_from_stats(stats: NgramStats) -> float:
    """Corpus keyword-weighted BLEU from summed statistics, as the official ``weighted_ngram_match.py``."""
    return _combine(stats.weighted_matches, stats.ref_ngrams, WEIGHTED_REFERENCE_LENGTH * stats.items, stats.hyp_len)
