"""Syntax match: hand counts, the fast path against ``str(node)``, parity with the official scorer."""

from __future__ import annotations

import inspect
import json
import random
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fusionbench.metrics.codebleu.parse import parse
from fusionbench.metrics.codebleu.syntax import (
    match_counts,
    subtree_sexps,
    subtree_sexps_fast,
    syntax_counts,
    syntax_counts_generic,
)

GOLDEN = Path(__file__).parents[2] / "golden" / "c2c_components.json"
CASES = json.loads(GOLDEN.read_text("utf-8"))["cases"]

VOCAB = (
    "NEW_LINE NEW_LINE NEW_LINE INDENT INDENT DEDENT DEDENT def class return if elif else for while in "
    "not is and or None True False lambda yield try except finally with as import from pass break "
    "continue raise global print ( ( ) ) [ ] { } : : , , . = == += -= + - * ** / // % < > <= != @ "
    "x y n arr i j итог é self f g 0 1 2 10 3.5 \" ' \"\"\" ab пример \\ $ ? ` ; # -> ..."
).split()


def _avatar_like(rng: random.Random) -> str:
    """A random AVATAR-style token string: code-like tokens and layout tokens, full of errors."""
    return " ".join(rng.choice(VOCAB) for _ in range(rng.randint(0, 60)))


def _real_snippets(rng: random.Random, count: int) -> list[str]:
    """Real Python cut at random places (unbalanced brackets, cut strings, MISSING tokens)."""
    import json.decoder
    import textwrap

    sources = [inspect.getsource(module) for module in (json.decoder, textwrap, random)]
    lines = [line for source in sources for line in source.splitlines(keepends=True)]
    found = []
    for _ in range(count):
        start = rng.randrange(len(lines))
        chunk = "".join(lines[start:start + rng.randint(1, 25)])
        found.append(chunk[:rng.randint(0, len(chunk))] if rng.random() < 0.7 else chunk)
    return found


def _corpus() -> list[str]:
    rng = random.Random(20210)
    fixed = [text for case in CASES.values() for side in ("references", "predictions") for text in case[side].values()]
    fixed += [
        "", "pass", "x not in y", "a is not b", "x = $ 3", "x = ?", "x = é", "f(*, a)", "x = ( 1 , [ 2",
        "if x :", "s = 'a\\nb'", "def f(x):\n    return [x", "def f(x):\n    if x:\n", "while x : NEW_LINE",
        'print ( " привет мир " ) NEW_LINE', "x = \x00 1", "x = \t\r\n\x7f ü",
    ]
    return fixed + [_avatar_like(rng) for _ in range(2500)] + _real_snippets(rng, 500)


@pytest.fixture(scope="module")
def corpus_roots() -> list:
    return [parse(text).root_node for text in _corpus()]


def test_fast_path_equals_str_node_on_thousands_of_trees(corpus_roots):
    for root in corpus_roots:
        assert Counter(subtree_sexps_fast(root)) == Counter(subtree_sexps(root, str))


def test_corpus_exercises_every_special_rendering(corpus_roots):
    renderings = "\n".join(str(root) for root in corpus_roots)
    for form in ("(MISSING _newline)", '(MISSING "', "(MISSING identifier)", "(UNEXPECTED '", "(UNEXPECTED 1"):
        assert form in renderings
    anonymous_inner = [s for root in corpus_roots for s in subtree_sexps(root) if s.startswith(("(not in", "(is not"))]
    assert anonymous_inner


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(VOCAB), max_size=40))
def test_fast_path_equals_str_node_on_random_token_strings(tokens):
    root = parse(" ".join(tokens)).root_node
    assert Counter(subtree_sexps_fast(root)) == Counter(subtree_sexps(root, str))


def test_fast_counts_equal_generic_counts_on_pairs(corpus_roots):
    rng = random.Random(7)
    for _ in range(500):
        ref, cand = rng.choice(corpus_roots), rng.choice(corpus_roots)
        assert syntax_counts(ref, cand) == syntax_counts_generic(ref, cand, str)


def test_kept_nodes_are_the_root_and_nodes_with_children():
    # module, expression_statement, assignment, call, argument_list; identifiers and the integer
    # have no children and are left out
    sexps = subtree_sexps_fast(parse("x = f ( 1 )").root_node)
    assert len(sexps) == 5
    assert "(argument_list (integer))" in sexps
    assert "(identifier)" not in sexps


def test_nodes_with_only_anonymous_children_are_kept():
    sexps = subtree_sexps_fast(parse("pass\n").root_node)
    assert sorted(sexps) == ["(module (pass_statement))", "(pass_statement)"]


def test_anonymous_nodes_with_children_contribute_their_own_rendering():
    sexps = subtree_sexps_fast(parse("x not in y").root_node)
    assert '(not in("not")("in")' in sexps


def test_root_without_children_still_counts():
    assert syntax_counts(parse("").root_node, parse("").root_node) == (1, 1)
    assert syntax_counts(parse("").root_node, parse("x").root_node) == (0, 1)


def test_membership_not_clipped_counts():
    # the reference has the call subtree twice, the candidate once: both copies match
    ref = parse("f ( 1 )\nf ( 1 )\n").root_node
    cand = parse("f ( 1 )").root_node
    call = "(call function: (identifier) arguments: (argument_list (integer)))"
    assert Counter(subtree_sexps(ref))[call] == 2
    # reference: module, 2 x (expression_statement, call, argument_list); all but module match
    assert syntax_counts(ref, cand) == (6, 7)


def test_match_counts_by_hand():
    assert match_counts(["a", "a", "b", "c"], {"a", "c"}) == (3, 4)
    assert match_counts([], set()) == (0, 0)


def test_identifier_text_does_not_matter():
    assert syntax_counts(parse("x = f ( 1 )").root_node, parse("y = g ( 2 )").root_node) == (5, 5)


def test_generic_path_accepts_any_renderer():
    ref, cand = parse("x = 1").root_node, parse("y = 2").root_node
    assert syntax_counts_generic(ref, cand, lambda node: node.type) == (3, 3)


@pytest.mark.parametrize("case", sorted(CASES))
def test_parity_with_official_syntax_match(case):
    data = CASES[case]
    matches = total = 0
    for key, reference in data["references"].items():
        m, t = syntax_counts(parse(reference).root_node, parse(data["predictions"][key]).root_node)
        matches += m
        total += t
    assert matches / total == data["official"]["syntax_match"]


def test_pinned_official_syntax_values():
    # printed by the official evaluate.py --verbose (see tests/golden/c2c_components.json)
    assert {name: case["official"]["syntax_match"] for name, case in CASES.items()} == {
        "mixed": 0.3737864077669903,
        "empty_predictions": 0.0,
        "no_unigram_match": 0.0,
        "short_predictions": 0.0,
        "keywords": 0.18181818181818182,
    }
