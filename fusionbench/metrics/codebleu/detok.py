"""Rebuild real Python source from AVATAR tokens (an extension, not the official behaviour).

AVATAR writes Python as space-separated tokens with ``NEW_LINE``, ``INDENT`` and ``DEDENT`` for
the layout.  The official scorer parses that token string as it is, so the layout tokens become
identifiers inside error nodes.  :func:`detokenize` turns the layout tokens back into newlines
and four-space indentation, keeping every other token (joined by single spaces, which Python's
tokenizer accepts between any two tokens), so that the syntax and data-flow components see real
Python.
"""

from __future__ import annotations

__all__ = ["detokenize"]

INDENT_UNIT = "    "


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
