"""Hand-made cases: box geometry, Hungarian matching, CTC decoding, the alphabet."""

from __future__ import annotations

import pytest
import torch

from fusionbench.baselines.heads.htr import build_alphabet, ctc_greedy_decode, encode_text
from fusionbench.baselines.heads.zsod import box_iou_giou, cxcywh_to_xyxy, hungarian_match


def test_iou_and_giou_of_two_overlapping_squares():
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    b = torch.tensor([[1.0, 1.0, 3.0, 3.0]])
    iou, giou = box_iou_giou(a, b)
    assert iou.item() == pytest.approx(1 / 7)
    assert giou.item() == pytest.approx(1 / 7 - 2 / 9)  # hull 3x3 = 9, union 7


def test_centre_form_converts_to_corners():
    assert cxcywh_to_xyxy(torch.tensor([0.5, 0.5, 0.2, 0.4])).tolist() == pytest.approx([0.4, 0.3, 0.6, 0.7])


def test_hungarian_assigns_each_reference_to_its_closest_prediction_one_to_one():
    targets = torch.tensor([[0.8, 0.8, 0.2, 0.2], [0.2, 0.2, 0.2, 0.2]])
    boxes = torch.tensor([[0.21, 0.2, 0.2, 0.2], [0.5, 0.5, 0.9, 0.9], [0.79, 0.8, 0.2, 0.2]])
    scores = torch.tensor([0.1, 0.9, 0.1])
    rows, cols = hungarian_match(boxes, scores, targets)
    assert dict(zip(rows.tolist(), cols.tolist())) == {0: 1, 2: 0}


def test_hungarian_prefers_the_high_score_among_equal_boxes():
    targets = torch.tensor([[0.5, 0.5, 0.2, 0.2]])
    boxes = torch.tensor([[0.5, 0.5, 0.2, 0.2], [0.5, 0.5, 0.2, 0.2]])
    rows, cols = hungarian_match(boxes, torch.tensor([0.2, 0.8]), targets)
    assert rows.tolist() == [1] and cols.tolist() == [0]


def test_negative_description_matches_nothing():
    rows, cols = hungarian_match(torch.rand(12, 4), torch.rand(12), torch.zeros(0, 4))
    assert len(rows) == len(cols) == 0


def test_ctc_greedy_decode_collapses_repeats_and_drops_blanks():
    alphabet = "abc"
    # frames: a a _ a b b _ _ c c  ->  "aabc" (the blank separates the repeated a)
    assert ctc_greedy_decode([1, 1, 0, 1, 2, 2, 0, 0, 3, 3], alphabet) == "aabc"
    assert ctc_greedy_decode([0, 0, 0], alphabet) == ""


def test_alphabet_is_sorted_and_encoding_skips_unknown_characters():
    alphabet = build_alphabet(["мама", "cat"])
    assert alphabet == "actам"
    assert encode_text("cat!", alphabet) == [2, 1, 3]
