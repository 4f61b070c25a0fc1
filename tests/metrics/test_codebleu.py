"""CodeBLEU: n-gram statistics, degenerate aggregates, syntax and data-flow on small programs."""

from __future__ import annotations

import pytest

from fusionbench.errors import FusionBenchError, KeyMismatchError
from fusionbench.metrics.codebleu import CodeBLEUAccumulator, CodeBLEUStats, codebleu_score, score_c2c
from fusionbench.metrics.codebleu.dataflow import data_flow, dataflow_counts, normalize_data_flow
from fusionbench.metrics.codebleu.detok import detokenize
from fusionbench.metrics.codebleu.ngram import NgramStats, bleu_from_stats, ngram_stats, weighted_bleu_from_stats
from fusionbench.metrics.codebleu.parse import parse
from fusionbench.metrics.codebleu.structure import structural_counts

FIB = "def fib ( n ) : NEW_LINE INDENT a , b = 0 , 1 NEW_LINE for _ in range ( n ) : NEW_LINE INDENT a , b = b , a + b NEW_LINE DEDENT return a NEW_LINE DEDENT"


def test_ngram_counts_by_hand():
    s = ngram_stats("return x + x", "return x")
    assert s.matches == (2, 1, 0, 0)  # "x" clipped to 1 occurrence
    assert s.hyp_ngrams == (4, 3, 2, 1)
    # weighted: clipped over reference types, keyword "return" weighs 1, "x" 0.2
    assert s.weighted_matches == (1.2, 1, 0, 0)
    assert s.ref_ngrams == (1.2, 1, 1, 1)  # max(1, ...) per order
    assert (s.hyp_len, s.ref_len, s.items) == (4, 2, 1)


def test_empty_prediction_gets_denominator_one_per_order():
    s = ngram_stats("", "return x")
    assert s.hyp_ngrams == (1, 1, 1, 1) and s.matches == (0, 0, 0, 0)
    assert bleu_from_stats(s) == 0 and weighted_bleu_from_stats(s) == 0


def test_smoothing_adds_epsilon_to_zero_numerators_over_the_corpus_denominator():
    s = NgramStats(matches=(3, 1, 0, 0), hyp_ngrams=(4, 3, 2, 1), hyp_len=4, ref_len=4, items=1)
    import math

    terms = [0.25 * math.log(3 / 4), 0.25 * math.log(1 / 3), 0.25 * math.log(0.1 / 2), 0.25 * math.log(0.1 / 1)]
    expected = math.exp(math.fsum(terms))  # brevity penalty 1 (equal lengths)
    assert bleu_from_stats(s) == expected


def test_brevity_penalty_of_weighted_variant_uses_two_tokens_per_reference():
    s = ngram_stats("return", "return x y z w")
    # BLEU: hypothesis of 1 token against 5 -> penalised; weighted: 1 < 2 -> penalised less
    assert bleu_from_stats(s) < weighted_bleu_from_stats(s)


def test_unreduced_fractions_are_summed_over_the_corpus():
    a, b = ngram_stats("a b", "a c"), ngram_stats("a b c d", "a b c d")
    total = a + b
    assert total.matches == (5, 3, 2, 1) and total.hyp_ngrams == (6, 4, 3, 2)  # max(1, .) per item


def test_perfect_translation_scores_one():
    result = score_c2c({"0": FIB}, {"0": FIB})
    assert result.details["components"] == {"ngram_match": 1.0, "weighted_ngram_match": 1.0,
                                            "syntax_match": 1.0, "dataflow_match": 1.0}
    assert result.score == 1.0


def test_missing_prediction_is_an_error_and_extra_keys_are_ignored():
    with pytest.raises(KeyMismatchError, match="no prediction"):
        score_c2c({}, {"0": FIB})
    assert score_c2c({"0": FIB, "x": "junk"}, {"0": FIB}).score == 1.0


def test_no_items_is_an_error():
    with pytest.raises(FusionBenchError):
        codebleu_score(CodeBLEUStats())


def test_syntax_counts_membership_not_clipped():
    # reference subtrees: module, 2 x (expression_statement, call, argument_list) = 7; the
    # candidate has each inner subtree once, and both reference copies match (not clipped to 1)
    [(matches, total, _, _)] = structural_counts([("f(a)\nf(a)\n", "f(a)\n")], parse)
    assert (matches, total) == (6, 7)
    code = "def f ( x ) : NEW_LINE INDENT return x NEW_LINE DEDENT"
    [(matches, total, _, _)] = structural_counts([(code, code)], parse)
    assert matches == total and total > 1
    [(matches, total, _, _)] = structural_counts([(code, "")], parse)
    assert matches == 0 and total > 1


def test_data_flow_edges_of_a_small_program():
    source = "x = 1\ny = x + 2\n"
    graph = data_flow(source, parse(source).root_node)
    # literals are variables too in GraphCodeBERT's graph
    assert graph == [("x", 0, "computedFrom", ["1"], [2]), ("1", 2, "comesFrom", [], []),
                     ("y", 3, "computedFrom", ["x", "2"], [5, 7]), ("x", 5, "comesFrom", ["x"], [0]),
                     ("2", 7, "comesFrom", [], [])]
    assert normalize_data_flow(graph)[:3] == [("var_1", "computedFrom", ["var_0"]), ("var_0", "comesFrom", []),
                                              ("var_3", "computedFrom", ["var_1", "var_2"])]
    assert dataflow_counts(graph, graph) == (5, 5)
    assert dataflow_counts(graph, []) == (0, 5)
    assert dataflow_counts([], graph) == (0, 0)


def test_token_slicing_uses_byte_columns_on_str_lines():
    # after "é" (2 bytes) every column is one character off, as in the official code
    source = "s = 'é'\nt = s\n"
    graph = data_flow(source, parse(source).root_node)
    assert ("t", "computedFrom") in [(e[0], e[2]) for e in graph]
    source = "é = 1; t = é\n"
    names = [e[0] for e in data_flow(source, parse(source).root_node)]
    assert "é" not in names  # the identifier is cut out shifted


def test_detokenize_rebuilds_layout():
    assert detokenize(FIB).splitlines() == [
        "def fib ( n ) :",
        "    a , b = 0 , 1",
        "    for _ in range ( n ) :",
        "        a , b = b , a + b",
        "    return a",
    ]
    assert detokenize("") == ""
    result = score_c2c({"0": FIB}, {"0": FIB}, detokenize=True)
    assert result.score == 1.0 and "tok:detok" in result.signature and "mode:extended" in result.signature


def test_accumulating_in_corpus_order_is_bit_identical():
    refs = {str(i): FIB.replace("n", f"n{i}") for i in range(12)}
    preds = {k: v.replace("a + b", "b + a") if int(k) % 3 else "" for k, v in refs.items()}
    acc = CodeBLEUAccumulator()
    keys = list(refs)
    for start in range(0, len(keys), 5):
        part = keys[start:start + 5]
        acc.update({k: preds[k] for k in part}, {k: refs[k] for k in part})
    assert acc.compute().to_dict() == score_c2c(preds, refs).to_dict()
