"""The exact detokeniser used to run C2C translations (``detokenize_source``)."""

from __future__ import annotations

import pytest

from fusionbench.metrics.codebleu.detok import detokenize, detokenize_source
from fusionbench.metrics.execution.candidate import CandidateError, fill_script, filled_function


@pytest.mark.parametrize(("tokens", "expected"), [
    ("x = ' Not ▁ a ▁ valid ▁ trianglen '", "x = 'Not a valid trianglen'"),
    ('print ( "1 ▁ 2" , end = " ▁ " )', 'print ( "1 2" , end = " " )'),
    ('x = " "', 'x = ""'),
    ("c = '0' + ' \\0'", "c = '0' + '\\0'"),
    ('s = " \\" a "', 's = "\\"a"'),
    ('s = " don \' t "', 's = "don\'t"'),
])
def test_string_literals_are_rebuilt(tokens, expected):
    assert detokenize_source(tokens) == expected + "\n"


def test_layout_and_lost_statement_separators():
    source = detokenize_source(
        "def f ( n ) : NEW_LINE INDENT a = 0 b = n - 1 NEW_LINE x = g ( k = 1 , NEW_LINE j = 2 ) NEW_LINE "
        "a = b = 0 NEW_LINE NEW_LINE return a + b NEW_LINE DEDENT"
    )
    assert source == ("def f ( n ) :\n    a = 0\n    b = n - 1\n    x = g ( k = 1 , j = 2 )\n"
                      "    a = b = 0\n    return a + b\n")
    compile(source, "<test>", "exec")


def test_codebleu_detokenize_is_unchanged():
    # the CodeBLEU extension's detokeniser keeps string tokens as they are (its values are golden)
    assert detokenize("x = ' a ▁ b ' NEW_LINE") == "x = ' a ▁ b '\n"


def test_first_function_renamed_with_its_recursive_calls():
    function = filled_function("def fib ( n ) : NEW_LINE INDENT return n if n < 2 else fib ( n - 1 ) + fib ( n - 2 ) "
                               "NEW_LINE DEDENT def other ( ) : NEW_LINE INDENT return fib ( 3 ) NEW_LINE DEDENT")
    assert function == "def f_filled ( n ) :\n    return n if n < 2 else f_filled ( n - 1 ) + f_filled ( n - 2 )\n"
    assert fill_script("a\n#TOFILL\nb\n", function) == "a\n" + function + "\nb\n"


@pytest.mark.parametrize("prediction", ["def f ( : NEW_LINE", "x = 1 NEW_LINE", ""])
def test_no_runnable_function_is_a_candidate_error(prediction):
    with pytest.raises(CandidateError):
        filled_function(prediction)
