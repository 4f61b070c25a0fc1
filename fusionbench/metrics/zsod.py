"""zsOD: F1 over boxes at IoU 0.5, exactly as the official FusionBrain scorer computes it.

Official rule, per (image, description), with counts pooled over the corpus:

* prediction ``[[]]`` is read as ``[]``;
* no prediction, no reference: nothing; boxes on a negative description (reference ``[]``): each
  box is a false positive; no prediction for a positive description: each reference box is a
  false negative;
* both non-empty: FN += max(0, #reference − #predicted); predicted boxes are walked in order and
  **runs of consecutive equal boxes count once** (Python list equality, so ``10 == 10.0``); a box
  (or run) is a TP if its IoU with *any* reference box is ≥ 0.5, else an FP.  There is no
  one-to-one matching: several predictions on one reference box are all TPs.

IoU follows the official float64 arithmetic, quirks included: corners are ``(x, y, x+w, y+h)``,
the intersection is clipped at 0, areas come from the corners as given (a negative width gives a
negative area), 0/0 counts as 0 and a positive intersection over a zero union is ±infinity.

Extensions (named in the signature): ``matching="one_to_one"`` (each reference box matched at
most once, greedily by descending IoU; every predicted box counts, duplicates included;
FN = unmatched references) and a per-language breakdown by the script of the description.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fusionbench.errors import FusionBenchError, KeyMismatchError, json_path
from fusionbench.metrics.accumulator import Accumulator, ItemStats
from fusionbench.metrics.keys import require_equal_keys
from fusionbench.metrics.result import TaskScore
from fusionbench.signature import format_signature

__all__ = [
    "ZsODAccumulator",
    "ZsODStats",
    "description_language",
    "iou",
    "score_zsod",
    "zsod_item_stats",
    "zsod_score",
    "zsod_stats",
]

Box = Sequence[float]
MATCHINGS = ("official", "one_to_one")
_CYRILLIC = re.compile("[\u0400-\u04ff]")


@dataclass(frozen=True)
class ZsODStats:
    """Sufficient statistics of zsOD: true positives, false positives, false negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: ZsODStats) -> ZsODStats:
        return ZsODStats(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


def description_language(description: str) -> str:
    """``ru`` if the description contains a Cyrillic letter, else ``en``."""
    return "ru" if _CYRILLIC.search(description) else "en"


def iou(box_a: Box, box_b: Box) -> float:
    """IoU of two ``[x, y, w, h]`` boxes with the official scorer's float64 semantics.

    >>> iou([0, 0, 10, 10], [5, 0, 10, 10])
    0.3333333333333333
    >>> iou([0, 0, 0, 0], [0, 0, 0, 0])  # 0/0 counts as 0
    0.0
    """
    ax, ay, aw, ah = box_a
    bx, by, bw, bh = box_b
    ax2, ay2, bx2, by2 = ax + aw, ay + ah, bx + bw, by + bh
    # The official code stores the max of left/top and min of right/bottom in a float64 array.
    width = float(min(bx2, ax2)) - float(max(bx, ax))
    height = float(min(by2, ay2)) - float(max(by, ay))
    width = 0.0 if width < 0 else width
    height = 0.0 if height < 0 else height
    inter = width * height
    area_a = (ax2 - ax) * (ay2 - ay)
    area_b = (bx2 - bx) * (by2 - by)
    union = float(area_a + area_b) - inter
    if union == 0.0:
        if inter == 0.0 or math.isnan(inter):
            return 0.0  # numpy gives nan, which the official code maps to 0
        return math.copysign(math.inf, union)
    result = inter / union
    return 0.0 if math.isnan(result) else result


def _official_counts(pred: list[Box], ref: list[Box], threshold: float) -> ZsODStats:
    # The official code groups consecutive predictions equal to the run's first box and counts a
    # run as a TP if ANY member hits: members compare equal as lists yet can differ in IoU
    # (an int 2**53 and its float rounding give different corner arithmetic).
    runs: list[bool] = []
    first: Box | None = None
    for box in pred:
        hit = any(iou(box, target) >= threshold for target in ref)
        if first is not None and box == first:
            runs[-1] = runs[-1] or hit
        else:
            first = box
            runs.append(hit)
    tp = sum(runs)
    return ZsODStats(tp=tp, fp=len(runs) - tp, fn=max(0, len(ref) - len(pred)))


def _one_to_one_counts(pred: list[Box], ref: list[Box], threshold: float) -> ZsODStats:
    pairs = sorted(
        ((iou(p, r), i, j) for i, p in enumerate(pred) for j, r in enumerate(ref)),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    used_pred: set[int] = set()
    used_ref: set[int] = set()
    for value, i, j in pairs:
        if value < threshold:
            break
        if i not in used_pred and j not in used_ref:
            used_pred.add(i)
            used_ref.add(j)
    matched = len(used_pred)
    return ZsODStats(tp=matched, fp=len(pred) - matched, fn=len(ref) - matched)


def zsod_stats(
    prediction: list[Box], reference: list[Box], *, matching: str = "official", iou_threshold: float = 0.5
) -> ZsODStats:
    """Statistics of one (image, description) item.

    >>> zsod_stats([[0, 0, 10, 10], [0, 0, 10, 10], [1, 1, 10, 10]], [[0, 0, 10, 10]])
    ZsODStats(tp=2, fp=0, fn=0)
    """
    if matching not in MATCHINGS:
        raise FusionBenchError(f"unknown zsOD matching {matching!r}; expected one of {', '.join(MATCHINGS)}")
    pred = [] if prediction == [[]] else list(prediction)
    ref = list(reference)
    if not pred:
        return ZsODStats(fn=len(ref))
    if not ref:
        return ZsODStats(fp=len(pred))
    if matching == "official":
        return _official_counts(pred, ref, iou_threshold)
    return _one_to_one_counts(pred, ref, iou_threshold)


def zsod_item_stats(
    predictions: Mapping[str, Mapping[str, list[Box]]],
    references: Mapping[str, Mapping[str, list[Box]]],
    *,
    matching: str = "official",
    iou_threshold: float = 0.5,
) -> list[ItemStats[ZsODStats]]:
    """Per-(image, description) statistics in reference order.

    Raises:
        KeyMismatchError: the image key sets differ, or a reference description has no
            prediction for its image (both are assertions in the official scorer).
    """
    require_equal_keys("zsOD", "image", predictions, references)
    items: list[ItemStats[ZsODStats]] = []
    for image, descriptions in references.items():
        predicted = predictions[image]
        for description, boxes in descriptions.items():
            if description not in predicted:
                raise KeyMismatchError(
                    f"zsOD: no prediction for description {description!r} of image {image!r}",
                    path=json_path(image, description),
                    expected="every reference description in the prediction for its image",
                )
            stats = zsod_stats(predicted[description], boxes, matching=matching, iou_threshold=iou_threshold)
            items.append(ItemStats(f"{image}\x1f{description}", description_language(description), stats))
    return items


def _signature(matching: str, iou_threshold: float, by_language: bool) -> str:
    extended = matching != "official" or iou_threshold != 0.5 or by_language
    return format_signature({
        "task": "zsOD",
        "mode": "extended" if extended else "official",
        "iou": iou_threshold,
        "match": matching,
        "breakdown": "lang" if by_language else None,
    })


def zsod_score(
    stats: ZsODStats,
    by_language: Mapping[str, ZsODStats] | None = None,
    *,
    matching: str = "official",
    iou_threshold: float = 0.5,
) -> TaskScore:
    """Aggregate summed counts into precision, recall and F1 with the official zero rules.

    recall = TP/(TP+FN) if TP+FN > 0 else 0; precision = TP/(TP+FP) if TP+FP > 0 else 0;
    F1 = 2PR/(P+R) if P > 0 or R > 0 else 0.
    """
    recall = stats.tp / (stats.tp + stats.fn) if stats.tp + stats.fn > 0 else 0
    precision = stats.tp / (stats.tp + stats.fp) if stats.tp + stats.fp > 0 else 0
    f1 = 2 * precision * recall / (precision + recall) if precision > 0 or recall > 0 else 0
    per_language = None
    if by_language is not None:
        per_language = {
            lang: zsod_score(sub, matching=matching, iou_threshold=iou_threshold)
            for lang, sub in sorted(by_language.items())
        }
    return TaskScore(
        task="zsOD",
        score=float(f1),
        signature=_signature(matching, iou_threshold, by_language is not None),
        stats={"tp": stats.tp, "fp": stats.fp, "fn": stats.fn},
        details={"tp": stats.tp, "fp": stats.fp, "fn": stats.fn,
                 "precision": float(precision), "recall": float(recall)},
        by_language=per_language,
    )


class ZsODAccumulator(Accumulator[ZsODStats]):
    """Streaming zsOD scorer; a batch is a set of whole images (official key rules per batch)."""

    def __init__(self, *, by_language: bool = False, matching: str = "official", iou_threshold: float = 0.5) -> None:
        if matching not in MATCHINGS:
            raise FusionBenchError(f"unknown zsOD matching {matching!r}; expected one of {', '.join(MATCHINGS)}")
        super().__init__(by_language=by_language, matching=matching, iou_threshold=iou_threshold)

    def zero(self) -> ZsODStats:
        return ZsODStats()

    def item_stats(self, predictions, references) -> list[ItemStats[ZsODStats]]:
        return zsod_item_stats(
            predictions, references, matching=self.options["matching"], iou_threshold=self.options["iou_threshold"]
        )

    def aggregate(self, stats: ZsODStats, by_language: Mapping[str, ZsODStats] | None = None) -> TaskScore:
        return zsod_score(stats, by_language, matching=self.options["matching"],
                          iou_threshold=self.options["iou_threshold"])


def score_zsod(
    predictions: Mapping[str, Mapping[str, list[Box]]],
    references: Mapping[str, Mapping[str, list[Box]]],
    *,
    by_language: bool = False,
    matching: str = "official",
    iou_threshold: float = 0.5,
) -> TaskScore:
    """Score zsOD predictions against references (official rule unless an extension is asked for)."""
    accumulator = ZsODAccumulator(by_language=by_language, matching=matching, iou_threshold=iou_threshold)
    accumulator.update(predictions, references)
    return accumulator.compute()
