"""HTR string accuracy: official quirks, aggregates, extensions and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fusionbench.errors import FusionBenchError
from fusionbench.metrics.htr import HTRAccumulator, HTRStats, htr_score, htr_stats, levenshtein, score_htr


def test_missing_prediction_counts_as_empty_string():
    # an empty reference with a missing prediction is correct
    assert score_htr({}, {"0.png": "", "1.png": "кот"}).score == 0.5


def test_no_normalisation_at_all():
    refs = {"0": "кот", "1": "Cat", "2": "é"}
    preds = {"0": "кот ", "1": "cat", "2": "e\u0301"}  # trailing space, case, NFD vs NFC
    assert score_htr(preds, refs).stats["correct"] == 0


def test_extra_prediction_keys_are_ignored():
    assert score_htr({"0": "a", "junk": "b"}, {"0": "a"}).score == 1.0


def test_empty_reference_corpus_is_an_error_not_a_division_by_zero():
    with pytest.raises(FusionBenchError, match="no reference items"):
        score_htr({"0": "a"}, {})


def test_aggregate_from_hand_counts():
    assert htr_score(HTRStats(correct=3, total=4)).score == 0.75
    assert htr_score(HTRStats(correct=0, total=7)).rounded == 0.0


def test_language_breakdown_by_cyrillic_letter():
    result = score_htr({"0": "кот", "1": "x"}, {"0": "кот", "1": "dog", "2": "№5"}, by_language=True)
    assert result.by_language["ru"].score == 1.0
    assert result.by_language["en"].stats == {"correct": 0, "total": 2}
    assert "breakdown:lang" in result.signature and "mode:extended" in result.signature


def test_error_rates_are_corpus_level():
    result = score_htr({"0": "kitten", "1": "a b"}, {"0": "sitting", "1": "a b c"}, error_rates=True)
    # kitten->sitting: 3 char edits over 7; "a b"->"a b c": 2 char edits, 1 word edit
    assert result.details["cer"] == (3 + 2) / (7 + 5)
    assert result.details["wer"] == (1 + 1) / (1 + 3)
    assert "rates:yes" in result.signature


def test_levenshtein_examples():
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("", "abc") == 3 and levenshtein("abc", "abc") == 0
    assert levenshtein(["a", "b"], ["b"]) == 1


def test_item_statistics():
    assert htr_stats("мама", "мама") == HTRStats(1, 1)
    assert htr_stats("мамa", "мама") == HTRStats(0, 1)  # Latin a


texts = st.text(alphabet="абвabc ", max_size=4)
corpora = st.dictionaries(st.text(alphabet="0123456789", min_size=1, max_size=3), st.tuples(texts, texts), min_size=1, max_size=30)


@given(corpora, st.randoms(use_true_random=False))
def test_key_order_does_not_change_the_score(corpus, rnd):
    refs = {k: r for k, (r, _) in corpus.items()}
    preds = {k: p for k, (_, p) in corpus.items()}
    keys = list(refs)
    rnd.shuffle(keys)
    shuffled = {k: refs[k] for k in keys}
    assert score_htr(preds, shuffled).score == score_htr(preds, refs).score


@given(corpora, st.integers(min_value=1, max_value=5))
def test_batches_accumulate_to_the_whole(corpus, batches):
    refs = {k: r for k, (r, _) in corpus.items()}
    preds = {k: p for k, (_, p) in corpus.items()}
    acc = HTRAccumulator(error_rates=True)
    keys = list(refs)
    for i in range(batches):
        part = keys[i::batches]
        acc.update({k: preds[k] for k in part}, {k: refs[k] for k in part})
    assert acc.compute().to_dict() == score_htr(preds, refs, error_rates=True).to_dict()
