"""The optional compiled n-gram accelerator (``_speedups.c``) equals the pure-Python ``ngram_stats``.

Every field of every pair is compared by value, by type and by ``repr`` (the weighted unigram
numerator and denominator are ints or floats depending on the tokens, and must come out the
same).  When the extension is not built the comparisons skip, unless
``FUSIONBENCH_REQUIRE_SPEEDUPS=1`` (set by ``.ci/run``), which turns its absence into a failure.
The pure fallback of ``ngram_stats_many`` and the end-to-end golden scores are tested either way.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fusionbench.metrics.codebleu import ngram
from fusionbench.metrics.codebleu.ngram import (
    PYTHON_KEYWORDS, NgramStats, ngram_stats, ngram_stats_many, speedups_available,
)
from fusionbench.synthetic import write_set

REPO = Path(__file__).resolve().parents[3]
GOLDEN = REPO / "tests" / "golden"
MIRROR = Path(os.environ.get("FUSIONBENCH_AVATAR_MIRROR") or REPO.parent / "shared/data/avatar-a246ee5")
GFG = MIRROR / "transcoder_test_gfg"

needs_speedups = pytest.mark.skipif(not speedups_available(),
                                    reason="the compiled accelerator is not built (or FUSIONBENCH_PURE_PYTHON=1)")


def assert_same(pairs: list[tuple[str, str]]) -> None:
    """The accelerated batch equals the pure function pair by pair, field by field, type by type."""
    fast = ngram_stats_many(pairs)
    assert len(fast) == len(pairs)
    for (prediction, reference), got in zip(pairs, fast):
        want = ngram_stats(prediction, reference)
        assert repr(got) == repr(want), (prediction, reference)
        assert got == want
        for name in ("matches", "hyp_ngrams", "weighted_matches", "ref_ngrams"):
            assert [type(x) for x in getattr(got, name)] == [type(x) for x in getattr(want, name)], name
        assert type(got.hyp_len) is type(got.ref_len) is int


def test_required_speedups_are_built():
    if os.environ.get("FUSIONBENCH_REQUIRE_SPEEDUPS") != "1":
        pytest.skip("FUSIONBENCH_REQUIRE_SPEEDUPS is not 1")
    assert os.environ.get("FUSIONBENCH_PURE_PYTHON") != "1", "FUSIONBENCH_PURE_PYTHON=1 disables the accelerator"
    assert speedups_available(), "fusionbench.metrics.codebleu._speedups is not importable (was the extension built?)"


# --- hypothesis: unicode whitespace, keywords, repeated tokens, empty strings -----------------

# str.split() splits on these (\x1c-\x1f, \x85, \xa0, \u2028, \u3000, ...) but not on \u200b.
WHITESPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2003\u200a\u2028\u2029\u202f\u205f\u3000"
KEYWORDS = sorted(PYTHON_KEYWORDS)
WORDS = KEYWORDS + ["x", "y", "(", ")", ":", "NEW_LINE", "INDENT", "ифа", "\u200b", "é", "e\u0301", "𝔘",
                    "0", "00"]

token = st.one_of(st.sampled_from(WORDS), st.text(alphabet="abif\u00e9\U0001d518", min_size=1, max_size=3))
separator = st.text(alphabet=WHITESPACE, min_size=1, max_size=3)


@st.composite
def code(draw, max_tokens: int = 40) -> str:
    tokens = draw(st.lists(token, max_size=max_tokens))
    seps = draw(st.lists(separator, min_size=len(tokens) + 1, max_size=len(tokens) + 1))
    edge = draw(st.sampled_from(["", "lead", "trail", "both"]))
    text = "".join(s + t for s, t in zip(seps, tokens))
    return (text if edge in ("lead", "both") else text.lstrip()) + (seps[-1] if edge in ("trail", "both") else "")


@needs_speedups
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(code(), code()), max_size=6))
def test_equals_pure_on_generated_batches(pairs):
    assert_same(pairs)


@needs_speedups
@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.text(max_size=60))
def test_equals_pure_on_arbitrary_text(prediction, reference):
    assert_same([(prediction, reference), (reference, prediction), (prediction, prediction)])


@needs_speedups
@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32), st.integers(1, 6))
def test_equals_pure_on_long_repetitive_token_lists(seed, vocabulary):
    # thousands of tokens from a tiny vocabulary: many repeated n-grams, long probe chains
    rng = random.Random(seed)
    words = rng.sample(KEYWORDS, 2) + ["a", "b", "c", "d"][:vocabulary]
    text = lambda: " ".join(rng.choices(words, k=rng.randrange(0, 3000)))  # noqa: E731
    pairs = [(text(), text()) for _ in range(3)]
    assert_same(pairs)


@needs_speedups
def test_equals_pure_on_type_edges():
    # all-keyword references keep int sums; one non-keyword turns them float; max(1, x) stays int 1
    assert_same([("if", "if"), ("if x", "if if else"), ("x", "x"), ("x y z w v", "x y z w v"),
                 ("", "x"), ("x", ""), ("", ""), (" \u3000 ", "\x1c"), ("a a a a a", "a b a b a")])
    got = ngram_stats_many([("if", "if if"), ("x", "x y")])
    assert [type(v) for v in (got[0].weighted_matches[0], got[0].ref_ngrams[0])] == [int, int]
    assert [type(v) for v in (got[1].weighted_matches[0], got[1].ref_ngrams[0])] == [float, int]


# --- real and public-size data -----------------------------------------------------------------

@needs_speedups
@pytest.mark.skipif(not GFG.is_dir(), reason=f"the AVATAR mirror is not at {MIRROR} (set FUSIONBENCH_AVATAR_MIRROR)")
def test_equals_pure_on_avatar_tokens():
    python = [line for split in ("test", "valid")
              for line in (GFG / f"{split}.java-python.python").read_text(encoding="utf-8").splitlines()]
    java = [line for split in ("test", "valid")
            for line in (GFG / f"{split}.java-python.java").read_text(encoding="utf-8").splitlines()]
    rng = random.Random(14)

    def damaged(text: str) -> str:
        tokens = text.split()
        for _ in range(len(tokens) // 8):
            i = rng.randrange(len(tokens))
            tokens[i:i + 1] = rng.choice([[], [tokens[i], tokens[i]], [rng.choice(KEYWORDS)]])
        return " ".join(tokens)

    pairs = ([(damaged(p), p) for p in python] + [(a, b) for a, b in zip(python, python[1:])]
             + [(j, p) for j, p in zip(java, python)])
    assert len(pairs) > 4000
    assert_same(pairs)


@pytest.fixture(scope="module")
def public_size_c2c(tmp_path_factory) -> tuple[dict, dict]:
    directory = tmp_path_factory.mktemp("public")
    assert write_set(directory)["C2C"] == 1699
    read = lambda name: json.loads((directory / name).read_text(encoding="utf-8"))  # noqa: E731
    return read("prediction_C2C.json"), read("true_C2C.json")


@needs_speedups
def test_equals_pure_on_public_size_synthetic_set(public_size_c2c):
    predictions, references = public_size_c2c
    assert_same([(predictions[k], references[k]) for k in references])


# --- the batch entry point either way ----------------------------------------------------------

@pytest.fixture(params=["compiled", "pure"])
def mode(request, monkeypatch):
    if request.param == "compiled" and not speedups_available():
        pytest.skip("the compiled accelerator is not built")
    if request.param == "pure":
        monkeypatch.setattr(ngram, "_COMPILED", None)
    return request.param


def test_batch_accepts_any_iterable_of_pairs(mode):
    pairs = [("return x", "return x + 1"), ("", "pass")]
    assert ngram_stats_many(iter(pairs)) == [ngram_stats(p, r) for p, r in pairs]
    assert ngram_stats_many([]) == []
    assert all(type(s) is NgramStats for s in ngram_stats_many(pairs))


@pytest.mark.parametrize("bad", [[(b"x", "x")], [("x", None)], [("x",)], [("a", "b", "c")], [42]])
def test_batch_rejects_non_str_pairs(mode, bad):
    with pytest.raises((TypeError, ValueError)):
        ngram_stats_many([("fine", "fine")] + bad)


@needs_speedups
def test_compiled_names_the_bad_item_and_checks_its_arguments():
    from fusionbench.metrics.codebleu import _speedups

    with pytest.raises(TypeError, match=r"item 1 must hold two str, not \(str, bytes\)"):
        _speedups.ngram_stats_many([("a", "b"), ("a", b"b")], PYTHON_KEYWORDS)
    with pytest.raises(TypeError, match="item 0 must be a"):
        _speedups.ngram_stats_many([("a", "b", "c")], PYTHON_KEYWORDS)
    with pytest.raises(TypeError, match="keywords must be a set"):
        _speedups.ngram_stats_many([("a", "b")], list(PYTHON_KEYWORDS))
    with pytest.raises(TypeError):
        _speedups.ngram_stats_many(5, PYTHON_KEYWORDS)


@needs_speedups
def test_compiled_keeps_no_memory_or_references():
    pairs = [(" ".join(random.Random(i).choices(["if", "x", "y", "(", ")", "зз"], k=300)), "if x ( y ) зз " * 20)
             for i in range(20)]
    probe = pairs[0][0]
    refs_before = sys.getrefcount(probe), sys.getrefcount(PYTHON_KEYWORDS)
    ngram_stats_many(pairs)  # warm up (caches, freelists)
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(300):
            ngram_stats_many(pairs)
        grown = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    assert grown < 64 * 1024  # one leaked workspace per call would be several MiB here
    assert (sys.getrefcount(probe), sys.getrefcount(PYTHON_KEYWORDS)) == refs_before


# --- end to end: golden C2C fixtures, pure process against default process ---------------------

SCORE_GOLDEN = """
import json, sys
from pathlib import Path
from fusionbench.metrics.codebleu import score_c2c
from fusionbench.metrics.codebleu.ngram import speedups_available
golden = Path(sys.argv[1])
cases = json.loads((golden / "c2c_components.json").read_text(encoding="utf-8"))["cases"]
inputs = {name: (c["predictions"], c["references"]) for name, c in cases.items()}
official = golden / "official"
inputs["official"] = tuple(json.loads((official / f"{p}_C2C.json").read_text(encoding="utf-8"))
                           for p in ("prediction", "true"))
out = {}
for name, (predictions, references) in inputs.items():
    score = score_c2c(predictions, references)
    out[name] = {"score": repr(score.score), "components": repr(score.details["components"]),
                 "stats": repr(score.stats)}
print(json.dumps({"speedups": speedups_available(), "scores": out}))
"""


def score_golden(tmp_path: Path, pure: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("FUSIONBENCH_PURE_PYTHON", "FUSIONBENCH_REQUIRE_SPEEDUPS")}
    if pure:
        env["FUSIONBENCH_PURE_PYTHON"] = "1"
    env["FUSIONBENCH_CACHE"] = str(tmp_path / ("pure" if pure else "default"))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-c", SCORE_GOLDEN, str(GOLDEN)], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_golden_c2c_scores_identical_pure_and_default(tmp_path):
    pure, default = score_golden(tmp_path, pure=True), score_golden(tmp_path, pure=False)
    assert pure["speedups"] is False
    built = importlib.util.find_spec("fusionbench.metrics.codebleu._speedups") is not None
    assert default["speedups"] is built  # whatever FUSIONBENCH_PURE_PYTHON says in this process
    assert default["scores"] == pure["scores"]
    cases = json.loads((GOLDEN / "c2c_components.json").read_text(encoding="utf-8"))["cases"]
    for name, case in cases.items():
        assert default["scores"][name]["score"] == repr(case["official"]["codebleu"]), name
    assert default["scores"]["official"]["score"] == repr(0.5615106594369024)  # the official script's print
