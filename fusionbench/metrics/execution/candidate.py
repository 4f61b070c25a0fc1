"""Turn a C2C prediction (AVATAR tokens) into the ``f_filled`` function a GfG test script calls.

The steps are those of TransCoder's computational accuracy: rebuild the Python source
(:func:`~fusionbench.metrics.codebleu.detok.detokenize_source`), take the first top-level
function, rename it ``f_filled`` (its calls to itself too) and put it at the script's
``#TOFILL`` line.  Nothing here runs the code: parsing uses :mod:`ast` and :mod:`tokenize` only.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize

from fusionbench.metrics.codebleu.detok import detokenize_source

__all__ = ["FILLED_NAME", "TOFILL", "CandidateError", "fill_script", "filled_function"]

FILLED_NAME = "f_filled"
TOFILL = "#TOFILL"


class CandidateError(ValueError):
    """The prediction has no runnable function; the message is the item's first error line."""


def _rename(source: str, old: str, new: str) -> str:
    tokens = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME and token.string == old:
            token = token._replace(string=new)
        tokens.append(token)
    return tokenize.untokenize(tokens)


def filled_function(prediction: str) -> str:
    """The source of the prediction's first top-level function, renamed ``f_filled``.

    Raises:
        CandidateError: the source does not parse, or it defines no top-level function.
    """
    source = detokenize_source(prediction)
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise CandidateError(f"SyntaxError: {exc.msg} (line {exc.lineno})") from None
    except (ValueError, RecursionError, MemoryError) as exc:  # NUL bytes, absurd nesting
        raise CandidateError(f"{type(exc).__name__}: the candidate does not compile") from None
    function = next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if function is None:
        raise CandidateError("no top-level function in the candidate")
    lines = source.splitlines()
    first = min([function.lineno, *(d.lineno for d in function.decorator_list)])
    text = "\n".join(lines[first - 1:function.end_lineno]) + "\n"
    try:
        return _rename(text, function.name, FILLED_NAME)
    except (tokenize.TokenError, SyntaxError) as exc:  # pragma: no cover - ast accepted it
        raise CandidateError(f"{type(exc).__name__}: {exc}") from None


def fill_script(script: str, function: str, nonce: str | None = None) -> str:
    """The test script with ``function`` at its ``#TOFILL`` line (which must be there).

    With a ``nonce``, the script's own names are made harder to reach from the candidate: its
    gold function ``f_gold`` becomes ``f_gold_<nonce>`` (a candidate that just calls ``f_gold``
    fails) and its result line prints ``#Results-<nonce>:`` (a candidate that prints a
    ``#Results:`` line and exits does not pass).  Code that inspects the script's frames or
    source can still find both: this raises the bar, it is not a proof, so execution accuracy
    no longer runs this one-process form (:mod:`.programs` splits gold and candidate runs); it
    stays for the attack tests' control.
    """
    head, marker, tail = script.partition(TOFILL)
    if not marker:
        raise ValueError("the test script has no #TOFILL line")
    if nonce is not None:
        head, tail = (re.sub(r"\bf_gold\b", f"f_gold_{nonce}", part) for part in (head, tail))
        tail = tail.replace("#Results:", f"#Results-{nonce}:")
    return head + function + tail
