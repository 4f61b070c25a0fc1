"""VQA accuracy: the official normalisation quirk by quirk, aggregates and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fusionbench.errors import FormatError, FusionBenchError, KeyMismatchError
from fusionbench.metrics.vqa import VQAAccumulator, VQAStats, normalize_answer, score_vqa, vqa_score, vqa_stats


@pytest.mark.parametrize(
    ("raw", "lang", "expected"),
    [
        ("Yes.", "en", "yes"),
        ("\tTwo dogs\n", "en", "2 dogs"),
        ("The cat", "en", "cat"),
        ("a an the", "en", ""),
        ("none", "en", "0"),
        ("dont", "en", "don't"),
        ("Im", "en", "im"),  # the table's capitalised key never matches after lower-casing
        ("x-ray", "en", "x ray"),  # no space around the mark: replaced by a space
        ("x - ray", "en", "x ray"),  # a space next to it: deleted
        ("x-ray, 1,5", "en", "xray 15"),  # digit-comma-digit anywhere: every mark deleted
        ("3.5", "en", "3.5"),  # a period before a digit stays
        ("end.", "en", "end"),
        ("a.b.c", "en", "abc"),
        ("(blue)!", "en", "blue"),
        ("Две кошки", "ru", "2 кошка"),
        ("Красные", "ru", "красный"),
        ("никакого", "ru", "0"),
        ("Один!", "ru", "1"),
        ("the", "ru", "the"),  # English rules do not apply to Russian
        ("ёлки-палки", "ru", "ёлка палка"),
    ],
)
def test_normalisation_quirks(raw, lang, expected):
    assert normalize_answer(raw, lang) == expected


def test_period_deletion_is_capped_at_32():
    assert normalize_answer("." * 40, "en") == "." * 8
    assert normalize_answer("a" + "." * 32 + "b", "en") == "ab"


def test_references_are_not_normalised_by_default():
    assert vqa_stats("yes", {"answer": "Yes", "lang": "en"}) == VQAStats(0, 1)
    assert vqa_stats("yes", {"answer": "Yes", "lang": "en"}, normalize_references=True) == VQAStats(1, 1)


def test_answer_lists_match_any_member():
    assert vqa_stats("два", {"answer": ["2", "two"], "lang": "ru"}).correct == 1


def test_key_sets_must_be_equal_and_languages_known():
    refs = {"0": {"answer": "yes", "question_id": 0, "lang": "en"}}
    with pytest.raises(KeyMismatchError):
        score_vqa({}, refs)
    with pytest.raises(KeyMismatchError):
        score_vqa({"0": "yes", "1": "no"}, refs)
    with pytest.raises(FormatError, match="unknown language"):
        score_vqa({"0": "yes"}, {"0": {"answer": "yes", "question_id": 0, "lang": "de"}})


def test_aggregates_and_empty_corpus():
    assert vqa_score(VQAStats(1, 3)).rounded == 0.333
    with pytest.raises(FusionBenchError):
        vqa_score(VQAStats())


def test_signature_names_the_dictionary_and_options():
    refs = {"0": {"answer": "yes", "question_id": 0, "lang": "en"}}
    official = score_vqa({"0": "yes"}, refs)
    assert "mode:official" in official.signature and "dict:ru-" in official.signature
    extended = score_vqa({"0": "yes"}, refs, normalize_references=True, by_language=True)
    assert "refnorm:yes" in extended.signature and "breakdown:lang" in extended.signature
    assert extended.by_language["en"].score == 1.0


answers = st.sampled_from(["Yes.", "no", "Two", "2", "две", "красная", "красный", "the cat", "cat"])
items = st.lists(st.tuples(answers, answers, st.sampled_from(["en", "ru"])), min_size=1, max_size=25)


def corpus(rows):
    refs = {str(i): {"answer": r, "question_id": i, "lang": lang} for i, (_, r, lang) in enumerate(rows)}
    preds = {str(i): p for i, (p, _, _) in enumerate(rows)}
    return preds, refs


@given(items)
def test_key_order_does_not_change_the_score(rows):
    preds, refs = corpus(rows)
    reordered = dict(reversed(list(refs.items())))
    assert score_vqa(preds, reordered).score == score_vqa(preds, refs).score


@given(items, st.integers(min_value=1, max_value=4))
def test_batches_accumulate_to_the_whole(rows, batches):
    preds, refs = corpus(rows)
    acc = VQAAccumulator(by_language=True)
    keys = list(refs)
    for i in range(batches):
        part = keys[i::batches]
        acc.update({k: preds[k] for k in part}, {k: refs[k] for k in part})
    assert acc.compute().to_dict() == score_vqa(preds, refs, by_language=True).to_dict()
