"""C2C sample pairs: Java methods and their Python translations in AVATAR tokens.

A small grammar (integer arithmetic, comparisons, ``if``/``else``, ``for`` loops over ranges and
arrays, a bounded ``while``, string building) emits both languages token by token, so each pair
is equivalent by construction.  Only constructs with the same semantics in both languages are
used: ``/`` and ``%`` only on non-negative loop indices with positive literal divisors (Java's
``/`` is then Python's ``//``), ``long`` arithmetic in Java, loops with literal bounds (``while`` loops count a variable ``k``).  As a
guard, every Python function is run on fixed inputs and rejected if a value leaves the 32-bit
range; the tests compile and run the Java side too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

__all__ = ["C2CPair", "make_c2c_pair", "SAMPLE_INPUTS"]

LOCALS = ("res", "acc", "total", "cnt", "best", "cur", "val", "tmp")
FUNCTIONS = ("solve", "compute", "countItems", "findValue", "sumUp", "check", "process", "calc", "mix", "walk")
#: Inputs every generated function is run on: (a, b, arr).
SAMPLE_INPUTS = ((0, 0, [1]), (3, 5, [2, 7, 1]), (7, 2, [5, 0, 9, 4]), (9, 9, [8, 8]))


@dataclass
class C2CPair:
    """A translation pair; ``name`` is the function name, parameters are ``a, b, arr``."""

    java: str
    python: str
    name: str


@dataclass
class _Out:
    java: list[str] = field(default_factory=list)
    python: list[str] = field(default_factory=list)

    def both(self, text: str) -> None:
        self.java += text.split()
        self.python += text.split()

    def j(self, text: str) -> None:
        self.java += text.split()

    def p(self, text: str) -> None:
        self.python += text.split()


class _Grammar:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.vars = ["a", "b"]
        self.indices: list[str] = []
        self.depth = 0

    def expr(self, out: _Out, depth: int = 0) -> None:
        rng = self.rng
        roll = rng.random()
        if depth >= 2 or roll < 0.35:
            out.both(rng.choice(self.vars) if rng.random() < 0.75 else str(rng.randint(0, 9)))
        elif roll < 0.5 and self.indices:
            index, divisor = rng.choice(self.indices), rng.randint(2, 4)
            if rng.random() < 0.5:
                out.j(f"( {index} / {divisor} )")
                out.p(f"( {index} // {divisor} )")
            else:
                out.both(f"( {index} % {divisor} )")
        elif roll < 0.6:
            out.j("arr [ ( int ) ( ")
            out.p("arr [ (")
            out.both(rng.choice(self.indices) if self.indices else "0")
            out.j("% arr . length ) ]")
            out.p("% len ( arr ) ) ]")
        else:
            out.both("(")
            self.expr(out, depth + 1)
            out.both(rng.choice(["+", "-", "*"]) if depth == 0 else rng.choice(["+", "-"]))
            self.expr(out, depth + 1)
            out.both(")")

    def condition(self, out: _Out) -> None:
        self.expr(out, 1)
        out.both(self.rng.choice(["<", ">", "<=", ">=", "==", "!="]))
        self.expr(out, 1)

    def block(self, out: _Out, statements: int) -> None:
        out.j("{")
        out.p("NEW_LINE INDENT")
        for _ in range(statements):
            self.statement(out)
        out.j("}")
        out.p("DEDENT")

    def statement(self, out: _Out) -> None:
        rng = self.rng
        roll = rng.random()
        if self.depth < 2 and roll < 0.25:
            index = "ij"[self.depth]
            if rng.random() < 0.4:
                out.j(f"for ( int {index} = 0 ; {index} < arr . length ; {index} ++ )")
                out.p(f"for {index} in range ( len ( arr ) ) :")
            else:
                bound = rng.randint(2, 5)
                out.j(f"for ( int {index} = 0 ; {index} < {bound} ; {index} ++ )")
                out.p(f"for {index} in range ( {bound} ) :")
            self.indices.append(index)
            self.depth += 1
            self.block(out, rng.randint(1, 2))
            self.depth -= 1
            self.indices.pop()
        elif self.depth < 2 and roll < 0.45:
            out.j("if (")
            out.p("if")
            self.condition(out)
            out.j(")")
            out.p(":")
            self.depth += 1
            self.block(out, rng.randint(1, 2))
            if rng.random() < 0.5:
                out.j("else")
                out.p("else :")
                self.block(out, 1)
            self.depth -= 1
        elif self.depth == 0 and roll < 0.52 and "k" not in self.vars:
            var = rng.choice([v for v in self.vars if v not in ("a", "b")] or ["a"])
            limit, step = rng.randint(2, 4), rng.randint(1, 9)
            out.j(f"long k = 0 ; while ( k < {limit} ) {{ {var} = {var} + {step} ; k ++ ; }}")
            out.p(f"k = 0 NEW_LINE while k < {limit} : NEW_LINE INDENT {var} = {var} + {step} NEW_LINE k += 1 NEW_LINE DEDENT")
            self.vars.append("k")
        else:
            fresh = [v for v in LOCALS if v not in self.vars]
            if fresh and (rng.random() < 0.4 or len(self.vars) < 3) and self.depth == 0:
                var = rng.choice(fresh)
                out.j(f"long {var} =")
                out.p(f"{var} =")
                self.expr(out)
                out.j(";")
                out.p("NEW_LINE")
                self.vars.append(var)
            else:
                var = rng.choice(self.vars)
                out.both(f"{var} {rng.choice(['+=', '-=', '='])}")
                self.expr(out)
                out.j(";")
                out.p("NEW_LINE")


def _tidy(tokens: list[str]) -> str:
    out: list[str] = []
    for token in tokens:
        if token == "NEW_LINE" and out and out[-1] in ("NEW_LINE", "INDENT", "DEDENT"):
            continue
        out.append(token)
    return " ".join(out)


def _runs_in_range(pair: C2CPair) -> bool:
    from fusionbench.metrics.codebleu.detok import detokenize

    namespace: dict = {}
    try:
        exec(compile(detokenize(pair.python), "<sample>", "exec"), namespace)  # our own generated code
        function = namespace[pair.name]
        return all(abs(function(a, b, list(arr))) < 2**31 for a, b, arr in SAMPLE_INPUTS)
    except (ArithmeticError, IndexError, RecursionError, KeyError):
        return False


def make_c2c_pair(rng: random.Random) -> C2CPair:
    """One equivalent Java/Python pair with parameters ``(a, b, arr)`` returning an integer."""
    while True:
        grammar = _Grammar(rng)
        name = f"{rng.choice(FUNCTIONS)}{rng.randint(0, 99)}"
        out = _Out()
        out.j(f"static long {name} ( long a , long b , long [ ] arr ) {{")
        out.p(f"def {name} ( a , b , arr ) : NEW_LINE INDENT")
        for _ in range(rng.randint(2, 4)):
            grammar.statement(out)
        out.both("return")
        grammar.expr(out)
        out.j("; }")
        out.p("NEW_LINE DEDENT")
        pair = C2CPair(" ".join(out.java), _tidy(out.python), name)
        if _runs_in_range(pair):
            return pair
