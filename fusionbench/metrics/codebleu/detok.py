"""Rebuild real Python source from AVATAR tokens (an extension, not the official behaviour).

AVATAR writes Python as space-separated tokens with ``NEW_LINE``, ``INDENT`` and ``DEDENT`` for
the layout.  The official scorer parses that token string as it is, so the layout tokens become
identifiers inside error nodes.  :func:`detokenize` turns the layout tokens back into newlines
and four-space indentation, keeping every other token (joined by single spaces, which Python's
tokenizer accepts between any two tokens), so that the syntax and data-flow components see real
Python.
"""

from __future__ import annotations

import keyword
import re

__all__ = ["detokenize", "detokenize_source"]

INDENT_UNIT = "    "
SPACE_MARK = "\u2581"  # AVATAR's "▁": a space inside a string literal
_QUOTES = ("'", '"')


def detokenize(code: str) -> str:
    """Turn an AVATAR token string into Python source.

    >>> print(detokenize("def f ( x ) : NEW_LINE INDENT return x NEW_LINE DEDENT"))
    def f ( x ) :
        return x
    """
    lines: list[str] = []
    depth = 0
    current: list[str] = []
    for token in code.split():
        if token == "NEW_LINE":
            if current:
                lines.append(INDENT_UNIT * depth + " ".join(current))
                current = []
        elif token == "INDENT":
            if current:
                lines.append(INDENT_UNIT * depth + " ".join(current))
                current = []
            depth += 1
        elif token == "DEDENT":
            if current:
                lines.append(INDENT_UNIT * depth + " ".join(current))
                current = []
            depth = max(0, depth - 1)
        else:
            current.append(token)
    if current:
        lines.append(INDENT_UNIT * depth + " ".join(current))
    return "\n".join(lines) + ("\n" if lines else "")


def _string_prefix(token: str) -> tuple[int, str] | None:
    """(length of prefix + opening quote, quote) when ``token`` opens a string literal."""
    start = 0
    while start < len(token) and start < 2 and token[start] in "rRbBuUfF":
        start += 1
    if start < len(token) and token[start] in _QUOTES:
        quote = token[start:start + 3] if token[start:start + 3] in ("'''", '"""') else token[start]
        return start + len(quote), quote
    return None


def _closes(token: str, quote: str, skip: int = 0) -> bool:
    """Whether ``token`` (after its first ``skip`` characters) ends with an unescaped ``quote``."""
    body = token[skip:]
    if not body.endswith(quote):
        return False
    backslashes = len(body) - len(quote) - len(body[: len(body) - len(quote)].rstrip("\\"))
    return backslashes % 2 == 0


def _merge_strings(tokens: list[str]) -> list[str]:
    """Join the tokens of each string literal back into one token (``▁`` becomes a space).

    AVATAR splits a literal at spaces and punctuation: ``' Not ▁ a ▁ valid '`` is
    ``'Not a valid'``, ``"1 ▁ 2"`` is ``"1 2"`` and ``" "`` (two quote tokens) is ``""``.
    """
    merged: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        opening = _string_prefix(token)
        index += 1
        if opening is None:
            merged.append(token)
            continue
        skip, quote = opening
        parts = [token]
        closed = len(token) > skip and _closes(token, quote, skip)
        while not closed and index < len(tokens):
            parts.append(tokens[index])
            closed = _closes(tokens[index], quote)
            index += 1
        merged.append("".join(parts).replace(SPACE_MARK, " "))
    return merged


_ASSIGN = re.compile(r"^(=|[-+*/%&|^@]=|//=|\*\*=|>>=|<<=)$")
_NAME = re.compile(r"^[A-Za-z_]\w*$")


def _is_name(token: str) -> bool:
    return bool(_NAME.match(token)) and not keyword.iskeyword(token)


def _ends_expression(token: str) -> bool:
    return (_is_name(token) or token in (")", "]", "}", "True", "False", "None")
            or token[:1].isdigit() or token[-1:] in _QUOTES)


def detokenize_source(code: str) -> str:
    """Turn an AVATAR token string into the Python source it was made from, for running it.

    Unlike :func:`detokenize` (kept as it is: CodeBLEU's ``detokenize`` extension depends on its
    exact output), string literals are rebuilt too: their tokens are joined without spaces and
    ``▁`` becomes a space.  Layout tokens anywhere (also after ``INDENT``/``DEDENT`` or twice in a
    row) only end the current line; an ``INDENT`` or ``DEDENT`` inside brackets is ignored.  One
    repair: AVATAR lost the separator in some ``a = 0 ; b = 0`` lines (``a = 0 b = 0``); a name
    followed by an assignment operator right after the end of an expression, outside brackets, on
    a line that already assigns, starts a new line (never valid Python otherwise).

    >>> print(detokenize_source("def f ( ) : NEW_LINE INDENT return ' a ▁ b ' NEW_LINE DEDENT"), end="")
    def f ( ) :
        return 'a b'
    """
    lines: list[str] = []
    depth = 0
    brackets = 0
    current: list[str] = []

    def flush() -> None:
        if current:
            lines.append(INDENT_UNIT * depth + " ".join(current))
            current.clear()

    tokens = _merge_strings(code.split())
    for position, token in enumerate(tokens):
        if (brackets == 0 and current and _ASSIGN.match(tokens[position + 1] if position + 1 < len(tokens) else "")
                and _is_name(token) and _ends_expression(current[-1])
                and any(_ASSIGN.match(t) for t in current)):
            flush()
        if token in ("NEW_LINE", "INDENT", "DEDENT"):
            if brackets > 0:  # a line break inside brackets: Python joins the lines anyway
                continue
            flush()
            if token == "INDENT":
                depth += 1
            elif token == "DEDENT":
                depth = max(0, depth - 1)
            continue
        if token in ("(", "[", "{"):
            brackets += 1
        elif token in (")", "]", "}"):
            brackets = max(0, brackets - 1)
        current.append(token)
    flush()
    return "\n".join(lines) + ("\n" if lines else "")
