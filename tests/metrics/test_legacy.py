"""The legacy C2C route: py-tree-sitter 0.2.0 with the 2021 compiled grammar reproduces 2021 numbers.

These tests need the official repository's ``evaluation/C2C_codeBLEU/parser/my-languages.so``
(never shipped with fusionbench): set ``FUSIONBENCH_LEGACY_GRAMMAR`` to its path.  The pinned
values are what the official scripts print with py-tree-sitter 0.2.0 and that file under
``PYTHONHASHSEED=0``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import fusionbench
from fusionbench.errors import MissingFileError

GRAMMAR = os.environ.get("FUSIONBENCH_LEGACY_GRAMMAR")
GOLDEN = Path(__file__).resolve().parents[1] / "golden"
needs_grammar = pytest.mark.skipif(not GRAMMAR, reason="set FUSIONBENCH_LEGACY_GRAMMAR to the 2021 my-languages.so")


def test_missing_grammar_file_is_a_clear_error(tmp_path):
    with pytest.raises(MissingFileError, match="compiled grammar not found"):
        fusionbench.evaluate(GOLDEN / "official", tasks=["C2C"], c2c_grammar=tmp_path / "nope.so")


@needs_grammar
def test_legacy_route_reproduces_the_2021_scripts_bit_for_bit():
    c2c = fusionbench.evaluate(GOLDEN / "official", tasks=["C2C"], c2c_grammar=GRAMMAR).scores["C2C"]
    assert c2c.details["components"] == {
        "ngram_match": 0.6266762673811924,
        "weighted_ngram_match": 0.646498904614536,
        "syntax_match": 0.4800693240901213,
        "dataflow_match": 0.5134649910233393,
    }
    assert c2c.score == 0.5666773717772973
    assert "runtime:tree-sitter-0.2.0" in c2c.signature and "mode:legacy" in c2c.signature


@needs_grammar
def test_legacy_route_uses_hash_seed_zero():
    c2c = fusionbench.evaluate(GOLDEN / "c2c_hashseed", c2c_grammar=GRAMMAR).scores["C2C"]
    assert c2c.score == 0.6648326353467776
