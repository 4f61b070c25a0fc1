"""Trees too deep for tree-sitter's recursive S-expression writer are refused by key, never a crash."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fusionbench.errors import FormatError
from fusionbench.metrics.codebleu import codebleu_item_stats
from fusionbench.metrics.codebleu.depth import MAX_TREE_DEPTH, check_tree_depths, tree_depth
from fusionbench.metrics.codebleu.parse import parse

REFERENCE = "def f ( x ) : NEW_LINE INDENT return x NEW_LINE DEDENT"
DEEP = {
    "unary": "x = " + "- " * 60_000 + "1",
    "sum": "x = " + " + ".join(["a"] * 30_000),
    "parentheses": "x = " + "(" * 50_000 + "1" + ")" * 50_000,
    "calls": "x = " + "f(" * 20_000 + ")" * 20_000,
}


def test_tree_depth_is_the_real_depth():
    # module > expression_statement > assignment > parenthesized_expression x2 > integer
    assert tree_depth(parse("x = ((1))").root_node) == 5
    assert tree_depth(parse("x = " + "(" * 300 + "1" + ")" * 300).root_node) == 303
    assert tree_depth(parse("x = " + "-" * 9_000 + "1").root_node, limit=100) == 101  # stops early


@pytest.mark.parametrize("shape", sorted(DEEP))
def test_deep_prediction_is_refused_by_key_in_process(shape):
    with pytest.raises(FormatError, match=r"prediction 'b' nests more than 5,000 levels") as caught:
        codebleu_item_stats({"a": REFERENCE, "b": DEEP[shape]}, {"a": REFERENCE, "b": REFERENCE})
    assert caught.value.path == '$["b"]'


def test_deep_reference_is_named_as_a_reference():
    with pytest.raises(FormatError, match="reference 'k'"):
        check_tree_depths([("k", "reference", DEEP["unary"])])


def test_nesting_that_the_official_scorer_handles_is_still_scored():
    """300 nested brackets (deeper than CPython accepts) render fine: scored, not refused."""
    nested = "x = " + "(" * 300 + "1" + ")" * 300
    (stats,) = codebleu_item_stats({"k": nested}, {"k": REFERENCE})
    assert stats.stats.syntax_total > 0
    check_tree_depths([("k", "prediction", "x = " + "-" * (MAX_TREE_DEPTH - 10) + "1")])  # at the limit: accepted


def _score(tmp_path, shape):
    ref, pred = tmp_path / "ref", tmp_path / "pred"
    ref.mkdir()
    pred.mkdir()
    (ref / "true_C2C.json").write_text(json.dumps({"0": REFERENCE, "1": REFERENCE}), encoding="utf-8")
    (pred / "prediction_C2C.json").write_text(json.dumps({"0": REFERENCE, "1": DEEP[shape]}), encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "fusionbench", "score", str(ref), str(pred)],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("shape", ["unary", "sum"])
def test_score_command_exits_2_with_one_line_naming_the_key(tmp_path, shape):
    done = _score(tmp_path, shape)
    assert done.returncode == 2, (done.returncode, done.stderr[-500:])
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fusionbench: error: ") and '$["1"]' in lines[0], lines


def test_control_rendering_such_a_tree_really_crashes():
    """Without the guard the process dies: str(root) on the unary chain overflows the C stack."""
    code = f"from fusionbench.metrics.codebleu.parse import parse; str(parse({DEEP['unary']!r}).root_node)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=300)
    assert done.returncode < 0, done.returncode  # killed by a signal (SIGSEGV)


def test_deep_item_in_a_later_worker_share_is_named_by_its_key():
    """The workers check depths on the trees they parse; the first deep item in corpus order is named."""
    from fusionbench.metrics.codebleu.workers import worker_count

    if worker_count(80) < 2:
        pytest.skip("one core: the corpus is not split between workers")
    keys = [f"k{i}" for i in range(80)]
    references = {k: REFERENCE for k in keys}
    predictions = {k: f"x = {i}" for i, k in enumerate(keys)}
    predictions["k70"] = DEEP["sum"]
    references["k75"] = DEEP["unary"]
    with pytest.raises(FormatError, match=r"prediction 'k70' nests more than") as caught:
        codebleu_item_stats(predictions, references)
    assert caught.value.path == '$["k70"]'
    predictions["k70"] = "x = 1"
    with pytest.raises(FormatError, match=r"reference 'k75'"):
        codebleu_item_stats(predictions, references)
    references["k75"] = REFERENCE
    predictions["k75"] = DEEP["unary"]
    references["k75"] = DEEP["sum"]  # both deep: the prediction is named, as the check reads it first
    with pytest.raises(FormatError, match=r"prediction 'k75'"):
        codebleu_item_stats(predictions, references)
    predictions["k75"] = references["k75"] = REFERENCE
    assert len(codebleu_item_stats(predictions, references)) == 80  # the pool still works afterwards
