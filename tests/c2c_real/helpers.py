"""Candidates for the execution tests, written as Python and turned into AVATAR tokens."""

from __future__ import annotations

#: A GfG test of the test split whose gold function is ``return ( n % 2 == 0 )``.
EVEN_ODD = "CHECK_WHETHER_GIVEN_NUMBER_EVEN_ODD"


def avatar(source: str) -> str:
    """Python with four-space indentation (tokens already space-separated) to AVATAR tokens."""
    out: list[str] = []
    depth = 0
    for line in source.strip("\n").splitlines():
        if not line.strip():
            continue
        indent = (len(line) - len(line.lstrip())) // 4
        while depth > indent:
            out.append("DEDENT")
            depth -= 1
        if indent > depth:
            out.append("INDENT")
            depth = indent
        out += [line.strip(), "NEW_LINE"]
    return " ".join(out + ["DEDENT"] * depth)


def even_odd(*body: str) -> str:
    """A candidate for :data:`EVEN_ODD` whose body is ``body`` (lines, indented by the helper)."""
    return avatar("def isEven ( n ) :\n" + "\n".join("    " + line for line in body))


CORRECT = even_odd("return n % 2 == 0")
