"""The compiled data-flow walk (``_flowaccel``) against the Python one (``dataflow.data_flow``).

The C walk must return exactly the Python graph (same edges, same order, same element types,
parent names in the same set order) on every tree it accepts, and ``None`` exactly where it leaves
a tree to Python.  ``_flowaccel.structure`` gives the same graph and the tree's shape, from which
``syntax.subtree_sexps_shaped`` must give exactly ``syntax.subtree_sexps_fast``'s list (with
``cut_subtrees`` and ``cut_rendering`` too), and ``structure(..., normalized=True)`` exactly
``freeze_flow(normalize_data_flow(graph))``.  Without the built module these tests skip, unless
``FUSIONBENCH_REQUIRE_SPEEDUPS=1`` (CI), where a missing module fails.
"""

from __future__ import annotations

import gc
import json
import os
import random
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fusionbench.metrics.codebleu import accel, dataflow
from fusionbench.metrics.codebleu.dataflow import data_flow
from fusionbench.metrics.codebleu.detok import detokenize
from fusionbench.metrics.codebleu.parse import parse
from fusionbench.metrics.codebleu.dataflow import normalize_data_flow
from fusionbench.metrics.codebleu.structure import analyse, freeze_flow
from fusionbench.metrics.codebleu.syntax import (
    _masked_parentheses,
    _missing_leaves,
    subtree_sexps_fast,
    subtree_sexps_shaped,
)
from fusionbench.synthetic import write_set

REPO = Path(__file__).resolve().parents[3]
GOLDEN = REPO / "tests" / "golden"
MIRROR = Path(os.environ.get("FUSIONBENCH_AVATAR_MIRROR") or REPO.parent / "shared/data/avatar-a246ee5")
REQUIRED = os.environ.get("FUSIONBENCH_REQUIRE_SPEEDUPS") == "1"
OPTIONS = ("official", "sorted")

try:
    from fusionbench.metrics.codebleu import _flowaccel
except ImportError:  # not built: the C tests skip (or fail under FUSIONBENCH_REQUIRE_SPEEDUPS=1)
    _flowaccel = None

needs_c = pytest.mark.skipif(_flowaccel is None and not REQUIRED, reason="_flowaccel is not built")


def test_accelerator_is_built_where_required():
    if not REQUIRED:
        pytest.skip("FUSIONBENCH_REQUIRE_SPEEDUPS is not 1")
    assert _flowaccel is not None, "FUSIONBENCH_REQUIRE_SPEEDUPS=1 but _flowaccel could not be imported"


def _shape(graph: list) -> list:
    """Each edge's element types (lists by their items' types), to compare types as well as values."""
    return [(type(e), [type(x) if not isinstance(x, list) else (list, [type(y) for y in x]) for x in e])
            for e in graph]


def _frozen_shape(edges: list) -> list:
    """The element types of frozen edges (tuple of str, str, tuple of str), item by item."""
    return [(type(e), type(e[0]), type(e[1]), type(e[2]), [type(p) for p in e[2]]) for e in edges]


def _mismatch(source: str, parents: str) -> str | None:
    """Why the C graph of ``source`` differs from the Python one (``None`` if it does not)."""
    root = parse(source).root_node
    expected = data_flow(source, root, parents=parents)
    got = _flowaccel.data_flow(root, source, parents)
    if got is None:
        return "C left a supported tree to Python"
    if got != expected:
        return f"graphs differ: {got[:4]} != {expected[:4]}"
    if _shape(got) != _shape(expected):
        return "element types differ"
    both = _flowaccel.structure(root, source, parents)
    if both is None or both[0] != got or _shape(both[0]) != _shape(got):
        return "structure() gives another graph than data_flow()"
    normalized = _flowaccel.structure(root, source, parents, True)
    frozen = freeze_flow(normalize_data_flow(expected))
    if normalized is None or normalized[0] != frozen or _frozen_shape(normalized[0]) != _frozen_shape(frozen):
        return "structure(normalized=True) differs from freeze_flow(normalize_data_flow(graph))"
    if normalized[1] != both[1]:
        return "structure(normalized=True) gives another shape"
    SHAPES.append(both[1] is not None)
    syntax = subtree_sexps_fast(root)
    if subtree_sexps_shaped(root, both[1]) != syntax:
        return "S-expressions from the shape differ from subtree_sexps_fast"
    if subtree_sexps_shaped(root, both[1], _flowaccel.cut_subtrees) != syntax:
        return "S-expressions cut in C differ from subtree_sexps_fast"
    if subtree_sexps_shaped(root, both[1], _flowaccel.cut_subtrees, _flowaccel.cut_rendering) != syntax:
        return "S-expressions cut from the whole rendering in C differ from subtree_sexps_fast"
    if both[1] is not None:
        WHOLE.append(_flowaccel.cut_rendering(str(root), both[1]) is not None)
    return None


SHAPES: list[bool] = []  # whether each checked tree had a shape (the syntax fast path was taken)
WHOLE: list[bool] = []  # whether cut_rendering took each shaped tree (no leaf to mask)


def _assert_same(sources, parents_options=OPTIONS) -> int:
    checked = 0
    for parents in parents_options:
        for source in sources:
            why = _mismatch(source, parents)
            assert why is None, f"{parents}: {source[:120]!r}: {why}"
            checked += 1
    return checked


def _c2c_strings(folder: Path) -> list[str]:
    strings: set[str] = set()
    for path in sorted(folder.rglob("*C2C.json")):
        data = json.loads(path.read_text("utf-8"))
        strings.update(v for v in (data.values() if isinstance(data, dict) else data) if isinstance(v, str))
    return sorted(strings)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> list[str]:
    folder = tmp_path_factory.mktemp("synthetic")
    write_set(folder, 0, 1.0)
    strings = _c2c_strings(folder)
    assert len(strings) > 3000
    return strings


@needs_c
def test_synthetic_public_size_set(synthetic):
    SHAPES.clear()
    WHOLE.clear()
    assert _assert_same(synthetic) == 2 * len(synthetic)
    assert SHAPES.count(False) < len(SHAPES) // 100  # the shape path is the rule, not the exception
    assert WHOLE.count(True) > len(WHOLE) // 2  # and cut_rendering takes most trees


@needs_c
def test_golden_fixtures():
    strings = _c2c_strings(GOLDEN)
    assert len(strings) >= 10
    _assert_same(strings)
    _assert_same([detokenize(s) for s in strings])


@needs_c
@pytest.mark.skipif(not (MIRROR / "transcoder_test_gfg").is_dir(), reason=f"the AVATAR mirror is not at {MIRROR}")
@pytest.mark.parametrize("split", ["test", "valid"])
def test_real_avatar_programs(split):
    folder = MIRROR / "transcoder_test_gfg"
    python = (folder / f"{split}.java-python.python").read_text("utf-8").splitlines()
    java = (folder / f"{split}.java-python.java").read_text("utf-8").splitlines()
    # the token strings as scored, their detokenised form, and Java (error trees all over)
    _assert_same(python + [detokenize(s) for s in python] + java)


def _real_python_files() -> list[str]:
    """This repository's own modules: real multi-line Python with comments and docstrings."""
    return [p.read_text("utf-8") for p in sorted((REPO / "fusionbench").rglob("*.py"))]


NON_ASCII = [
    "def f(имя):\n    # комментарий\n    итог = имя + 'é'\n    for ч in итог:\n        итог = итог + ч\n    return итог\n",
    "x = 'ü'; y = x\nif y:\n    z = y  # ß\nelse:\n    z = '日本'\nprint(z, x)\n",
    'def g(a="ñ", *b, c=1, **d):\n    """Ünïcode docstring."""\n    while a:\n        a, b = b, a\n    return [v for v in d if v]\n',
    "s = f'{x!r} – {y:>{w}}'\nt = s\n",
]


@needs_c
def test_real_multiline_python_with_comments_and_non_ascii():
    sources = _real_python_files()
    assert len(sources) > 50
    sources += NON_ASCII + [s.replace("\n", "\r\n") for s in NON_ASCII]
    # non-ASCII text before every line shifts the official (byte-column) token texts
    sources += ["# ё\n" + "\n".join("é" * (i % 3) + line for i, line in enumerate(s.splitlines())) for s in sources[:40]]
    _assert_same(sources)


#: one-line non-ASCII code: the official token text is the str sliced at BYTE offsets (shifted)
ONE_LINE_NON_ASCII = [
    "x = 'é' ; y = x ; z = y + x",
    "итог = 1 ; for ч in итог : итог = итог + ч",
    "def f ( a = 'ñ' , * b , c = 1 ) : return a if b else c",
    "s = '日本' ; t , u = s , s ; v = t + u",
    "a = b = '€' ; c = a",
]


@needs_c
def test_one_line_non_ascii_keeps_the_byte_offset_slices():
    checked = 0
    for source in ONE_LINE_NON_ASCII:
        root = parse(source).root_node
        spans = dataflow._token_spans(root)
        texts = [text for _, text in dataflow.index_tokens(source, spans).values()]
        encoded = source.encode("utf-8")
        decoded = [encoded[a:b].decode("utf-8", "replace") for a, b in spans]
        assert texts != decoded  # the control: these inputs do exercise the shifted slices
        assert data_flow(source, root)  # and they have edges to compare
        checked += _assert_same([source])
    assert checked == 2 * len(ONE_LINE_NON_ASCII)


@needs_c
def test_ascii_tokens_across_lines_lose_their_line_breaks():
    source = 'x = """a\nb\n"""\ny = x\nz = (x,\n     y)\nw = z\n'
    root = parse(source).root_node
    texts = [text for _, text in dataflow.index_tokens(source, dataflow._token_spans(root)).values()]
    assert '"""ab"""' in texts  # the control: a token text did lose its line breaks
    _assert_same([source, source.replace("\n", "\r\n")])


ERROR_TREES = [
    "x = (1,", "def f(:", "for x in : pass", "a = = b", "if x: y = 1\nelif: z\nelse", "while : x = 1",
    "def f(a=, b): return a", "x, y = 1", "x, = y, z, w", "for a, b in : c = a", "[x for in y]",
    "lambda x=: x", "a += ", "a = b = c =", "if a:\n  b = 1\n c = 2", ") ( ] [", "x = 'unterminated",
    "class C(:\n    def m(self, x=1, y):\n        self.x = x", "print ( 'a' \"b\" ) = 3", "f(a=1)(b=2) = c",
    "x = $ y", "a ? b = a", "def f ( ) : $ = 1", "x = 1 !",
]


def _flags(node) -> set[str]:
    found = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n.is_missing:
            found.add("missing")
        if n.type == "ERROR":
            found.add("error")
        stack.extend(n.children)
    return found


@needs_c
def test_error_trees():
    flags = set().union(*(_flags(parse(s).root_node) for s in ERROR_TREES))
    assert flags == {"missing", "error"}  # both kinds of error recovery are exercised
    assert any("UNEXPECTED" in str(parse(s).root_node) for s in ERROR_TREES)
    WHOLE.clear()
    _assert_same(ERROR_TREES)
    assert False in WHOLE  # some error trees have leaves to mask: cut_rendering leaves them to Python


TOKENS = (
    "NEW_LINE NEW_LINE INDENT DEDENT def class return if elif else for while in not and or None lambda "
    "yield try except finally with as import pass break continue global ( ( ) ) [ ] { } : : , , , . = = "
    "== += -= + - * ** / % < > != x y n arr i j итог é self f g 0 1 2 3.5 \" ' ab # -> ... = ; \\"
).split()


@needs_c
@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=70), st.booleans())
def test_token_soups(tokens, detok):
    source = " ".join(tokens)
    _assert_same([detokenize(source) if detok else source])


def _nested(levels: int) -> str:
    return "x = " + "(" * levels + "y" + ")" * levels + "\nz = x"


def _deepest_parent(root) -> int:
    """The greatest depth of a node with children (the root at depth 0)."""
    deepest, stack = 0, [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if node.children:
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in node.children)
    return deepest


@needs_c
def test_deep_trees_fall_back_at_the_depth_limit_with_the_same_result(monkeypatch):
    monkeypatch.delenv(accel.PURE_PYTHON_ENV, raising=False)
    limit = _flowaccel.MAX_FLAT_DEPTH
    assert limit == 150
    around = []
    for levels in range(140, 160):
        source = _nested(levels)
        root = parse(source).root_node
        deepest = _deepest_parent(root)
        around.append(deepest)
        got = _flowaccel.data_flow(root, source, "official")
        assert (got is None) == (deepest >= limit), (levels, deepest)
        if got is not None:
            assert got == data_flow(source, root)
    assert min(around) < limit <= max(around)  # both sides of the limit were seen
    # through structure.analyse: the same analysis with and without the accelerator
    for source in (_nested(200), _nested(100), "[" * 300 + "]" * 300):
        with_c = analyse(source, parse)
        monkeypatch.setenv(accel.PURE_PYTHON_ENV, "1")
        assert accel.flow_accelerator() is None and accel.structure_accelerator() is None
        assert accel.cut_accelerator() is None
        assert analyse(source, parse) == with_c
        monkeypatch.delenv(accel.PURE_PYTHON_ENV)


class FakeNode:
    """A node with the attributes both walks read, to build trees the grammar would not give."""

    _symbols: dict[str, int] = {}

    def __init__(self, kind: str, start: int, end: int, children=(), fields=None):
        self.type = kind
        self.kind_id = self._symbols.setdefault(kind, len(self._symbols))
        self.start_byte, self.end_byte = start, end
        self.children = list(children)
        self.child_count = len(self.children)
        self.is_named = kind.isidentifier()
        self.fields = fields or {}

    def child_by_field_name(self, name):
        return self.fields.get(name)


def _leaf(kind: str, source: str, text: str) -> FakeNode:
    start = source.index(text)
    return FakeNode(kind, start, start + len(text))


@needs_c
def test_a_field_outside_the_children_is_left_to_python():
    source = "a = b"
    a, eq, b = _leaf("identifier", source, "a"), _leaf("=", source, "="), _leaf("identifier", source, "b")
    stranger = _leaf("identifier", source, "b")
    node = FakeNode("assignment", 0, 5, [a, eq, b], {"left": a, "right": stranger})
    root = FakeNode("module", 0, 5, [node])
    assert _flowaccel.data_flow(root, source, "official") is None
    node.fields["right"] = b  # the control: among the children, the tree is taken
    assert _flowaccel.data_flow(root, source, "official") == data_flow(source, root) != []


@needs_c
@pytest.mark.parametrize("missing", ["left", "right", "both"])
def test_a_missing_field_gives_up_as_the_python_walk_does(missing):
    source = "for a in b : c = a"
    a, b = _leaf("identifier", source, "a"), _leaf("identifier", source, "b")
    c, a2 = FakeNode("identifier", 14, 15), FakeNode("identifier", 17, 18)
    body = FakeNode("block", 14, 18, [FakeNode("assignment", 14, 18, [c, FakeNode("=", 16, 17), a2],
                                                {"left": c, "right": a2})])
    kids = [FakeNode("for", 0, 3), a, FakeNode("in", 6, 8), b, FakeNode(":", 11, 12), body]
    fields = {"left": a, "right": b}
    if missing in ("left", "both"):
        del fields["left"]
    if missing in ("right", "both"):
        del fields["right"]
    root = FakeNode("module", 0, len(source), [FakeNode("for_statement", 0, len(source), kids, fields)])
    assert data_flow(source, root) == []  # the Python walk raises and gives up...
    assert _flowaccel.data_flow(root, source, "official") == []  # ...and so does C
    complete = FakeNode("module", 0, len(source), [FakeNode("for_statement", 0, len(source), kids,
                                                             {"left": a, "right": b})])
    assert _flowaccel.data_flow(complete, source, "official") == data_flow(source, complete) != []


# Run in a fresh interpreter: C against Python on the given strings, for both options, and a
# digest of each official C graph (to compare graphs between hash seeds).
_PROBE = """
import hashlib, json, sys
from fusionbench.metrics.codebleu import _flowaccel
from fusionbench.metrics.codebleu.dataflow import data_flow
from fusionbench.metrics.codebleu.parse import parse
strings = json.load(open(sys.argv[1], encoding="utf-8"))
bad, digests = 0, {"official": [], "sorted": []}
for s in strings:
    root = parse(s).root_node
    for parents in ("official", "sorted"):
        c = _flowaccel.data_flow(root, s, parents)
        bad += c != data_flow(s, root, parents=parents)
        digests[parents].append(hashlib.sha256(repr(c).encode()).hexdigest())
print(json.dumps({"bad": bad, "digests": digests}))
"""


def _probe(strings_file: Path, seed: str) -> dict:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run([sys.executable, "-c", _PROBE, str(strings_file)], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=600, check=True)
    return json.loads(done.stdout)


@needs_c
def test_official_order_under_hash_seed_zero_and_a_random_seed(synthetic, tmp_path):
    strings = synthetic[::3] + _c2c_strings(GOLDEN) + NON_ASCII
    path = tmp_path / "strings.json"
    path.write_text(json.dumps(strings), "utf-8")
    seed = str(random.SystemRandom().randint(1, 2**32 - 1))
    zero, other = _probe(path, "0"), _probe(path, seed)
    assert zero["bad"] == 0 and other["bad"] == 0, seed
    # the control: the official parent order does depend on the seed (so the comparison above
    # sees set order), the sorted one does not
    assert zero["digests"]["sorted"] == other["digests"]["sorted"]
    assert zero["digests"]["official"] != other["digests"]["official"], seed


def _traced_growth(calls) -> int:
    """Bytes still allocated after running ``calls`` (a list of thunks) a second time."""
    for call in calls:
        call()  # warm caches (the binding keeps each node's children, the kind table, imports)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for call in calls:
            call()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


@needs_c
def test_cut_subtrees_refuses_what_the_python_cut_refuses():
    text = "(a (b) (c (d)))"
    opens, closes = [0, 3, 7, 10], [5, 12, 13, 14]
    assert _flowaccel.cut_subtrees(text, opens, closes, b"\x01\x00\x01\x00") == ["(c (d))", text]
    assert _flowaccel.cut_subtrees(text, opens, closes, b"\x01\x01\x01\x01") == ["(b)", "(d)", "(c (d))", text]
    assert _flowaccel.cut_subtrees(text, opens, closes, b"\x01\x00\x01") is None  # count differs
    assert _flowaccel.cut_subtrees(text, opens, [5, 12, 13, 13], b"\x01" * 4) is None  # not balanced
    assert _flowaccel.cut_subtrees(text + " ", opens, closes, b"\x01" * 4) is None  # root not last
    assert _flowaccel.cut_subtrees(text, [0, 3, 7, 16], closes, b"\x01" * 4) is None  # unbalanced


@needs_c
def test_cut_rendering_is_cut_subtrees_on_the_masked_positions_or_none():
    leaves = _missing_leaves()
    text = "(a (b) (c (d)))"
    shape = b"\x01\x00\x01\x00"
    assert _masked_parentheses(text, *leaves) == ([0, 3, 7, 10], [5, 12, 13, 14])
    assert _flowaccel.cut_rendering(text, shape) == _flowaccel.cut_subtrees(text, [0, 3, 7, 10], [5, 12, 13, 14], shape)
    assert _flowaccel.cut_rendering(text, shape) == ["(c (d))", text]
    assert _flowaccel.cut_rendering(text, b"\x01" * 4) == ["(b)", "(d)", "(c (d))", text]
    assert _flowaccel.cut_rendering(text, b"\x01" * 3) is None  # count differs
    assert _flowaccel.cut_rendering(text, b"\x01" * 5) is None
    assert _flowaccel.cut_rendering(text, b"") is None
    assert _flowaccel.cut_rendering(text + " ", shape) is None  # root not last
    assert _flowaccel.cut_rendering("(a (b)) (c (d))", shape) is None  # two roots
    assert _flowaccel.cut_rendering("(a (b) (c (d))", b"\x01" * 4) is None  # unbalanced
    assert _flowaccel.cut_rendering("(a (b) (c (é)))", b"\x01" * 4) is None  # non-ASCII
    # leaves to mask (whose masking the Python cut does) are left to it
    for leaf in ('(MISSING ")")', "(MISSING identifier)", "(UNEXPECTED '(')", "(UNEXPECTED 7)"):
        rendering = f"(a (b) (c {leaf}))"
        assert _flowaccel.cut_rendering(rendering, b"\x01" * rendering.count("(")) is None
    # the control: the same count of parentheses without a leaf is cut
    assert _flowaccel.cut_rendering("(a (b) (c (MISSINGx)))", b"\x01" * 4) is not None


@needs_c
def test_no_memory_is_kept_between_calls(synthetic):
    trees = [(s, parse(s).root_node) for s in synthetic[:400] + ERROR_TREES + ONE_LINE_NON_ASCII + NON_ASCII
             + [_nested(200)]]
    calls = [lambda s=s, r=r, p=p, f=f: f(r, s, p)
             for s, r in trees for p in OPTIONS for f in (_flowaccel.data_flow, _flowaccel.structure)] * 2
    calls += [lambda s=s, r=r, p=p: _flowaccel.structure(r, s, p, True) for s, r in trees for p in OPTIONS]
    text, opens, closes = "(a (b) (c (d)))", [0, 3, 7, 10], [5, 12, 13, 14]
    calls += [lambda shape=shape: _flowaccel.cut_subtrees(text, opens, closes, shape)
              for shape in (b"\x01\x00\x01\x00", b"\x01" * 3, b"\x01" * 4)] * 200
    calls += [lambda t=t, shape=shape: _flowaccel.cut_rendering(t, shape)
              for t in (text, text + " ", "(a (b) (c (MISSING x)))") for shape in (b"\x01" * 3, b"\x01" * 4)] * 100
    renderings = [(str(r), _flowaccel.structure(r, s)[1]) for s, r in trees[:200]]
    calls += [lambda t=t, shape=shape: _flowaccel.cut_rendering(t, shape) for t, shape in renderings if shape]
    assert len(calls) > 3600
    assert _traced_growth(calls) < 16_384
    kept: list = []  # the control: keeping one graph per call is seen
    assert _traced_growth([lambda c=c: kept.append(c()) for c in calls]) > 100_000


@needs_c
def test_structure_analyse_uses_the_accelerator_unless_disabled(monkeypatch, synthetic):
    calls = []
    real = _flowaccel.structure

    def spy(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.delenv(accel.PURE_PYTHON_ENV, raising=False)  # (CI also runs these tests with it set)
    monkeypatch.setattr(accel, "_c_structure", spy)
    sample = synthetic[:60]
    with_c = [analyse(s, parse, parents=p) for s in sample for p in OPTIONS]
    assert len(calls) == len(with_c)
    monkeypatch.setenv(accel.PURE_PYTHON_ENV, "1")
    without = [analyse(s, parse, parents=p) for s in sample for p in OPTIONS]
    assert len(calls) == len(with_c)  # not called again
    assert without == with_c


def test_pure_python_analysis_without_the_module(monkeypatch, synthetic):
    """With the module absent (as after an install without a compiler) the Python walk runs."""
    monkeypatch.setattr(accel, "_c_data_flow", None)
    monkeypatch.setattr(accel, "_c_structure", None)
    monkeypatch.setattr(accel, "_c_cut_subtrees", None)
    monkeypatch.setattr(accel, "_c_cut_rendering", None)
    assert accel.flow_accelerator() is None and accel.structure_accelerator() is None
    assert accel.cut_accelerator() is None and accel.rendering_cut_accelerator() is None
    for source in synthetic[:30]:
        root = parse(source).root_node
        flow = dataflow.normalize_data_flow(data_flow(source, root))
        assert analyse(source, parse)[1] == [(n, r, tuple(p)) for n, r, p in flow]

