"""zsOD F1: official quirks on hand-made boxes, aggregates, extension and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fusionbench.errors import KeyMismatchError
from fusionbench.metrics.zsod import ZsODAccumulator, ZsODStats, iou, score_zsod, zsod_score, zsod_stats

REF = [[0, 0, 10, 10]]
HIT = [1, 1, 10, 10]  # IoU 81/119 = 0.68
MISS = [50, 50, 5, 5]


def test_consecutive_equal_boxes_count_once_non_adjacent_twice():
    assert zsod_stats([HIT, HIT, HIT], REF) == ZsODStats(tp=1, fp=0, fn=0)
    assert zsod_stats([HIT, MISS, HIT], REF) == ZsODStats(tp=2, fp=1, fn=0)


def test_int_and_float_boxes_are_equal_for_the_run_rule():
    assert zsod_stats([[1, 1, 10, 10], [1.0, 1.0, 10.0, 10.0]], REF) == ZsODStats(tp=1)


def test_a_run_is_a_hit_if_any_member_hits():
    # equal as lists, but the float corner 2**53 + 3 rounds while the int one is exact
    ref = [[2**53, 0, 4, 2.25]]
    as_float, as_int = [float(2**53), 0.0, 3.0, 1.0], [2**53, 0, 3, 1]
    assert as_float == as_int and iou(as_float, ref[0]) < 0.5 <= iou(as_int, ref[0])
    assert zsod_stats([as_float, as_int], ref) == ZsODStats(tp=1)
    assert zsod_stats([as_int, as_float], ref) == ZsODStats(tp=1)


def test_several_predictions_on_one_reference_are_all_true_positives():
    assert zsod_stats([HIT, [0, 0, 10, 10]], REF) == ZsODStats(tp=2)


def test_false_negatives_are_max_of_zero_and_the_count_difference():
    two_refs = [[0, 0, 10, 10], [100, 100, 10, 10]]
    assert zsod_stats([MISS], two_refs) == ZsODStats(tp=0, fp=1, fn=1)
    assert zsod_stats([MISS, MISS, HIT], two_refs) == ZsODStats(tp=1, fp=1, fn=0)


def test_empty_and_negative_descriptions():
    assert zsod_stats([], []) == ZsODStats()
    assert zsod_stats([[]], []) == ZsODStats()  # [[]] is read as no boxes
    assert zsod_stats([[]], REF) == ZsODStats(fn=1)
    assert zsod_stats([HIT, HIT], []) == ZsODStats(fp=2)  # no run rule on negatives
    assert zsod_stats([], REF * 3) == ZsODStats(fn=3)


def test_iou_exactly_one_half_is_a_hit():
    assert iou([0, 0, 10, 10], [0, 0, 5, 10]) == 0.5
    assert zsod_stats([[0, 0, 5, 10]], REF) == ZsODStats(tp=1)


def test_iou_quirks_follow_the_official_float64_arithmetic():
    assert iou([0, 0, 0, 0], [0, 0, 0, 0]) == 0.0  # 0/0 -> nan -> 0
    assert iou([5, 5, -2, 4], [0, 0, 10, 10]) == 0.0  # negative width: no intersection, negative area
    # a negative-area box shrinks the union: 0 / (100 - 50), still no overlap
    assert iou([0, 0, 10, 10], [0, 0, 10, -5]) == 0.0
    assert iou([0, 0, 4, 4], [2, 2, -2, -2]) == 0.0
    # float64 throughout: 1/3 exactly as numpy computes it
    assert iou([0, 0, 10, 10], [5, 0, 10, 10]) == 50 / 150


def test_missing_image_or_description_is_an_error():
    refs = {"1.jpg": {"a cat": REF, "a dog": []}}
    with pytest.raises(KeyMismatchError, match="image keys"):
        score_zsod({}, refs)
    with pytest.raises(KeyMismatchError, match="a dog"):
        score_zsod({"1.jpg": {"a cat": []}}, refs)


def test_prediction_only_descriptions_are_ignored():
    result = score_zsod({"1.jpg": {"a cat": [HIT], "extra": [MISS]}}, {"1.jpg": {"a cat": REF}})
    assert (result.details["tp"], result.details["fp"], result.details["fn"]) == (1, 0, 0)


def test_aggregate_zero_rules():
    assert zsod_score(ZsODStats()).score == 0
    assert zsod_score(ZsODStats(fp=3)).score == 0
    result = zsod_score(ZsODStats(tp=2, fp=2, fn=6))
    assert (result.details["precision"], result.details["recall"]) == (0.5, 0.25)
    assert result.score == 2 * 0.5 * 0.25 / 0.75


def test_one_to_one_matching_extension():
    assert zsod_stats([HIT, [0, 0, 10, 10]], REF, matching="one_to_one") == ZsODStats(tp=1, fp=1, fn=0)
    result = score_zsod({"i": {"d": [HIT, HIT]}}, {"i": {"d": REF}}, matching="one_to_one")
    assert "match:one_to_one" in result.signature and "mode:extended" in result.signature


def test_language_breakdown_from_the_description_script():
    refs = {"i": {"кошка": REF, "a cat": REF}}
    result = score_zsod({"i": {"кошка": [HIT], "a cat": []}}, refs, by_language=True)
    assert result.by_language["ru"].score == 1.0 and result.by_language["en"].score == 0


coords = st.integers(min_value=-3, max_value=20)
boxes = st.lists(st.tuples(coords, coords, coords, coords).map(list), max_size=4)
images = st.dictionaries(
    st.sampled_from(["1.jpg", "2.jpg", "3.jpg"]),
    st.dictionaries(st.sampled_from(["a", "b", "кот"]), st.tuples(boxes, boxes), min_size=1),
    min_size=1,
)


def split(corpus):
    refs = {i: {d: r for d, (r, _) in descs.items()} for i, descs in corpus.items()}
    preds = {i: {d: p for d, (_, p) in descs.items()} for i, descs in corpus.items()}
    return preds, refs


@given(images)
def test_key_order_does_not_change_the_score(corpus):
    preds, refs = split(corpus)
    reversed_refs = {i: dict(reversed(list(d.items()))) for i, d in reversed(list(refs.items()))}
    assert score_zsod(preds, reversed_refs).to_dict() == score_zsod(preds, refs).to_dict()


@given(images)
def test_images_accumulate_to_the_whole(corpus):
    preds, refs = split(corpus)
    acc = ZsODAccumulator()
    for image in refs:
        acc.update({image: preds[image]}, {image: refs[image]})
    assert acc.compute().to_dict() == score_zsod(preds, refs).to_dict()


@given(boxes, boxes, st.randoms(use_true_random=False))
def test_permuting_predictions_only_matters_through_the_run_rule(pred, ref, rnd):
    # Collapse runs first: a permutation of distinct boxes gives the same counts.
    distinct = []
    for box in pred:
        if box not in distinct:
            distinct.append(box)
    shuffled = list(distinct)
    rnd.shuffle(shuffled)
    assert zsod_stats(shuffled, ref) == zsod_stats(distinct, ref)
    # and duplicating a box in place (a run) changes nothing but FN's max(0, T-P)
    if distinct and ref:
        doubled = distinct[:1] + distinct
        a, b = zsod_stats(doubled, ref), zsod_stats(distinct, ref)
        assert (a.tp, a.fp) == (b.tp, b.fp) and a.fn == max(0, len(ref) - len(doubled))
