"""The gold/candidate split of the GfG scripts: rules found by AST, outputs decoded safely."""

from __future__ import annotations

import collections
import math

import pytest

from fusionbench.metrics.execution import load_tests, run_items
from fusionbench.metrics.execution.programs import (
    ScriptShapeError,
    candidate_program,
    compare,
    decode,
    gold_program,
    outputs_of,
    plan_script,
)
from tests.c2c_real.conftest import MIRROR, gfg_split, needs_bwrap, needs_mirror
from tests.c2c_real.helpers import EVEN_ODD

pytestmark = [needs_mirror]


def test_every_script_has_a_known_rule_or_does_not_compile():
    suite = load_tests(MIRROR)
    rules: collections.Counter[str] = collections.Counter()
    for test_id in suite.scripts:
        try:
            plan = plan_script(suite.script(test_id))
        except SyntaxError:
            rules["does not compile"] += 1
            continue
        rules[plan.rule] += 1
        assert "f_gold" not in candidate_program(plan, "def f_filled(*a):\n    pass\n", "#O:")
        assert "def f_gold" in gold_program(plan, "#G:")
    assert rules == {"equal": 625, "mutated_arguments": 49, "relative_float": 26, "equal_one_argument": 1,
                     "does not compile": 1}


def test_an_unknown_comparison_is_refused_with_its_reason():
    script = load_tests(MIRROR).script(EVEN_ODD).replace("== f_gold", "!= f_gold")
    with pytest.raises(ScriptShapeError, match="compares outputs in a way"):
        plan_script(script)


def test_outputs_decode_to_builtins_only():
    tagged = ["L", [1, ["F", "nan"], ["T", ["a", None, True]], ["S", [2]], ["D", [["k", ["I", "0x10"]]]]]]
    value = decode(tagged)
    assert value[0] == 1 and math.isnan(value[1]) and value[2:] == [("a", None, True), {2}, {"k": 16}]
    assert type(value[2][2]) is bool and decode(tagged) != decode(tagged)  # nan != nan, as in the scripts
    value = decode(["L", [["F", "inf"], ["R", [0, 3, 1]], ["Z", [1]]]])
    assert value == [math.inf, range(3), frozenset({1})]
    opaque = decode(["X", "map"])
    assert opaque != opaque and not compare("equal", opaque, opaque)
    for bad in [(1, 2), {"a": 1}, ["Q", []], ["F", 1.5], 1.5, ["L", "abc"]]:
        with pytest.raises(ValueError):
            decode(bad)
    assert outputs_of("noise #O:[1, ['F', '2.5']]\n", "#O:") == [1, 2.5]
    assert outputs_of("#O:__import__('os').system('true')", "#O:") is None  # not a literal: never run
    assert outputs_of("#O:[[[" * 5000, "#O:") is None


def test_the_float_rule_is_the_scripts():
    assert compare("relative_float", 1.0, 1.0005) and not compare("relative_float", 1.0, 1.01)
    with pytest.raises(TypeError):
        compare("relative_float", "a", 1.0)


@needs_bwrap
def test_a_mutating_candidate_is_judged_by_its_arguments_after_the_call():
    # STOOGE_SORT compares the arguments after the call (param[i] == filled_function_param[i])
    reference = gfg_split("test")["STOOGE_SORT"][1]
    predictions = {
        "reference": reference,
        "sorts": "def f ( arr , l , h ) : NEW_LINE INDENT arr [ l : h + 1 ] = sorted ( arr [ l : h + 1 ] ) NEW_LINE DEDENT",
        "noop": "def f ( arr , l , h ) : NEW_LINE INDENT pass NEW_LINE DEDENT",
    }
    outcomes = run_items(predictions, dict.fromkeys(predictions, reference), load_tests(MIRROR))
    by_key = {o.key: o for o in outcomes}
    assert by_key["reference"].status == "success" and by_key["sorts"].status == "success"
    assert (by_key["noop"].status, by_key["noop"].passed) == ("failure", 9)  # one input is already sorted
