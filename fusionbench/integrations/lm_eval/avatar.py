"""Python source to AVATAR tokens: the inverse of :func:`fusionbench.metrics.codebleu.detok.detokenize`.

C2C references are AVATAR token strings (``def f ( x ) : NEW_LINE INDENT return x NEW_LINE
DEDENT``): every Python token separated by one space, the layout written as ``NEW_LINE``,
``INDENT`` and ``DEDENT``, comments dropped, and inside string literals each space written as
`` ▁ `` and the quotes set apart (``'a b'`` is ``' a ▁ b '``).  Today's models
answer in ordinary Python, so the task pack turns their code into this form before CodeBLEU sees
it; otherwise every layout token would count as a miss.

:func:`tokenize_python` uses Python's own tokenizer, so it follows Python's rules for
indentation, continuation lines and brackets.  A string literal whose body already holds ``▁`` (what
``detokenize`` leaves) is only split on its spaces, which makes ``tokenize_python(detokenize(x)) == x`` for
most AVATAR lines (see the tests for the measured rate on the GfG data).  Source that Python's tokenizer rejects (an unclosed bracket or string, a
model answer cut off mid-line) is tokenised by a simple regular expression instead, line by line,
with indentation measured in leading spaces.
"""

from __future__ import annotations

import io
import re
import tokenize as _tokenize

__all__ = ["extract_code", "tokenize_python"]

SPACE_MARK = "\u2581"  # ▁
_STRING_PREFIX = re.compile(r"^([rRbBuUfF]{0,2})('''|\"\"\"|'|\")", re.S)
_FALLBACK = re.compile(
    r"""[rRbBuUfF]{0,2}(?:'''.*?'''|\"\"\".*?\"\"\"|'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")"""
    r"""|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?[jJ]?|\.\d+|\w+"""
    r"""|\*\*=?|//=?|>>=?|<<=?|->|:=|[-+*/%&|^@=<>!]=|[^\s\w]""",
    re.S,
)
_CODE_LINE = re.compile(
    r"(def|class|import|from|async|if|elif|else|for|while|try|except|finally|with|return|print|@|#)\b"
    r"|[A-Za-z_][\w.]*(\[.*\])?\s*(=|\+=|-=|\*=|/=|\(|,)"
)
_FENCE = re.compile(r"```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)


def _string_tokens(literal: str) -> list[str]:
    """One string literal as AVATAR tokens: each space of the body becomes `` ▁ ``, then split on spaces.

    A body that already holds ``▁`` is AVATAR text that :func:`detokenize` left in place; it is only
    split, as is one already written with a space inside each quote.  Otherwise each quote is set
apart from the body by a space, except next to a digit (AVATAR writes ``'0'`` but ``' a '``).
    """
    match = _STRING_PREFIX.match(literal)
    if match is None or len(literal) < len(match.group(0)) + len(match.group(2)) or not literal.endswith(match.group(2)):
        return [literal]
    opening, quote = match.group(0), match.group(2)
    body = literal[len(opening):len(literal) - len(quote)]
    if SPACE_MARK in body or (len(body) >= 2 and body[0] == body[-1] == " " and "  " not in body):
        return literal.split()  # already AVATAR text
    encoded = body.replace(" ", f" {SPACE_MARK} ")
    head = "" if encoded[:1].isdigit() else " "  # AVATAR keeps a quote next to a digit glued to it
    tail = "" if encoded[-1:].isdigit() else " "
    return f"{opening}{head}{encoded}{tail}{quote}".split()


def _with_python_tokenizer(source: str) -> list[str]:
    out: list[str] = []
    reader = io.StringIO(source).readline
    for tok in _tokenize.generate_tokens(reader):
        kind = tok.type
        if kind in (_tokenize.COMMENT, _tokenize.NL, _tokenize.ENCODING, _tokenize.ENDMARKER):
            continue
        if kind == _tokenize.NEWLINE:
            if out and out[-1] not in ("NEW_LINE", "INDENT", "DEDENT"):
                out.append("NEW_LINE")
        elif kind == _tokenize.INDENT:
            out.append("INDENT")
        elif kind == _tokenize.DEDENT:
            out.append("DEDENT")
        elif kind == _tokenize.STRING:
            out.extend(_string_tokens(tok.string))
        elif getattr(_tokenize, "FSTRING_START", None) is not None and kind in (
            _tokenize.FSTRING_START, _tokenize.FSTRING_MIDDLE, _tokenize.FSTRING_END,  # type: ignore[attr-defined]
        ):
            out.extend(tok.string.split())
        elif tok.string.strip():
            out.append(tok.string)
    return out


def _with_regex(source: str) -> list[str]:
    out: list[str] = []
    stack = [0]
    for line in source.splitlines():
        code = line.split("#", 1)[0] if "'" not in line and '"' not in line else line
        if not code.strip():
            continue
        width = len(code) - len(code.lstrip(" \t"))
        if width > stack[-1]:
            stack.append(width)
            out.append("INDENT")
        while width < stack[-1] and len(stack) > 1:
            stack.pop()
            out.append("DEDENT")
        for token in _FALLBACK.findall(code.strip()):
            out.extend(_string_tokens(token) if token[-1:] in "'\"" else [token])
        out.append("NEW_LINE")
    out.extend("DEDENT" for _ in stack[1:])
    return out


def tokenize_python(source: str) -> str:
    """Python source as one AVATAR token string ("" for source without code).

    >>> tokenize_python("def f(x):\\n    return x  # same\\n")
    'def f ( x ) : NEW_LINE INDENT return x NEW_LINE DEDENT'
    >>> tokenize_python("print('a b')")
    "print ( ' a ▁ b ' )"
    """
    source = source.replace("\r\n", "\n").expandtabs(4)
    if not source.strip():
        return ""
    try:
        tokens = _with_python_tokenizer(source if source.endswith("\n") else source + "\n")
    except (_tokenize.TokenError, IndentationError, SyntaxError):
        tokens = _with_regex(source)
    if tokens and tokens[-1] == "NEW_LINE":  # AVATAR lines end with the last DEDENT, not a NEW_LINE
        tokens.pop()
    return " ".join(tokens)


def extract_code(answer: str) -> str:
    """The Python code of a model's answer: the first ```python fence, else the first fence, else the text.

    An unclosed fence (an answer cut off by the length limit) counts up to the end of the answer.
    Without a fence, the code runs from the first line that starts a definition (``def``,
    ``class``, ``import``, ``from``, a decorator) to the first line at the left margin that does
    not look like code, so sentences before and after it do not become code.

    >>> extract_code("Here it is:\\n```python\\ndef f():\\n    pass\\n```\\nDone.")
    'def f():\\n    pass\\n'
    """
    fences = _FENCE.findall(answer)
    for language, body in fences:
        if language.lower() in ("python", "py", "python3"):
            return body
    if fences:
        return fences[0][1]
    lines = answer.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if re.match(r"\s*(def |class |import |from |@|async def )", line):
            kept = lines[index:index + 1]
            for following in lines[index + 1:]:
                if following[:1].strip() and not _CODE_LINE.match(following):
                    break  # prose after the code, at the left margin
                kept.append(following)
            return "".join(kept)
    return answer
