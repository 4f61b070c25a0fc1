"""``grammar="2021"``: the official 2021 grammar, fetched from its pinned commit (or a mirror) and cached."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import fusionbench
from fusionbench.errors import FusionBenchError
from fusionbench.metrics.codebleu import legacy
from fusionbench.pinned import fetch_pinned
from tests.c2c_real.conftest import GRAMMAR_2021

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
needs_grammar = pytest.mark.skipif(not GRAMMAR_2021.is_file(), reason=f"no 2021 grammar at {GRAMMAR_2021}")


@needs_grammar
def test_2021_route_through_the_mirror_equals_the_recorded_2021_values(monkeypatch):
    monkeypatch.setenv(legacy.LEGACY_GRAMMAR_ENV, str(GRAMMAR_2021))
    report = fusionbench.evaluate(GOLDEN / "official", tasks=["C2C"], c2c_grammar="2021")
    c2c = report.scores["C2C"]
    assert c2c.score == 0.5666773717772973  # what the official 2021 scripts print (tests/metrics/test_legacy.py)
    assert "grammar:legacy-66d01dcb2f38" in c2c.signature
    assert "C2C grammar: 2021 official" in report.table()


@needs_grammar
def test_download_is_verified_and_cached(tmp_path, monkeypatch):
    monkeypatch.delenv(legacy.LEGACY_GRAMMAR_ENV, raising=False)
    monkeypatch.setenv("FUSIONBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(legacy.GRAMMAR_2021, "url", GRAMMAR_2021.as_uri())  # a mirror standing in for GitHub
    path = legacy.official_2021_grammar()
    assert path.is_relative_to(tmp_path / "cache") and path.read_bytes() == GRAMMAR_2021.read_bytes()
    monkeypatch.setitem(legacy.GRAMMAR_2021, "url", (tmp_path / "gone.so").as_uri())
    assert legacy.official_2021_grammar() == path  # the cached copy, no download


def test_mirror_with_the_wrong_sum_is_one_clear_error(tmp_path, monkeypatch):
    wrong = tmp_path / "my-languages.so"
    wrong.write_bytes(b"not a grammar")
    monkeypatch.setenv(legacy.LEGACY_GRAMMAR_ENV, str(wrong))
    with pytest.raises(FusionBenchError) as info:
        legacy.official_2021_grammar()
    assert str(wrong) in str(info.value) and legacy.GRAMMAR_2021["sha256"] in str(info.value)


def test_corrupt_download_leaves_nothing_in_the_cache(tmp_path):
    source = tmp_path / "served.bin"
    source.write_bytes(b"corrupt")
    cache = tmp_path / "cache"
    expected = hashlib.sha256(b"the pinned file").hexdigest()
    with pytest.raises(FusionBenchError, match=f"expected {expected}") as info:
        fetch_pinned(source.as_uri(), expected, cache / "file.bin")
    assert "nothing was cached" in str(info.value)
    assert list(cache.iterdir()) == []


def test_offline_names_the_url_and_where_to_place_the_file(tmp_path):
    url = "http://127.0.0.1:9/my-languages.so"  # the discard port: nothing answers
    with pytest.raises(FusionBenchError) as info:
        fetch_pinned(url, "0" * 64, tmp_path / "cache/my-languages.so", timeout_s=5)
    message = str(info.value)
    assert url in message and str(tmp_path / "cache/my-languages.so") in message
    assert list((tmp_path / "cache").iterdir()) == []


def test_good_download_is_renamed_into_place(tmp_path):
    source = tmp_path / "served.bin"
    source.write_bytes(b"the pinned file")
    target = fetch_pinned(source.as_uri(), hashlib.sha256(b"the pinned file").hexdigest(), tmp_path / "c/f.bin")
    assert target.read_bytes() == b"the pinned file" and [p.name for p in target.parent.iterdir()] == ["f.bin"]
