"""Split a GfG test script into a trusted gold run and a candidate run that cannot reach the gold.

TransCoder's scripts put the candidate ``f_filled`` next to ``f_gold`` in one process, so a
candidate that walks its caller's frames (or ``gc``, or reads its own script) can find ``f_gold``
and call it.  Here each test becomes two programs, run as separate processes:

* the **gold program**: the script's head (imports, ``f_gold``) and the ``param`` set-up of its
  main block, then ``f_gold`` on a deep copy of each parameter set; it prints the outputs (for
  the scripts that compare mutated arguments, the arguments after the call);
* the **candidate program**: the same without ``f_gold`` (its ``def`` removed via :mod:`ast`) and
  without any gold output, with ``f_filled`` in its place; it prints ``f_filled``'s outputs.

Outputs travel as a tagged literal (nested lists of ``None``, bool, int, str, read back with
:func:`ast.literal_eval`; :func:`decode` rebuilds int, float with nan/inf, str, list, tuple, dict,
set, frozenset, range; anything else is *opaque*, equal to nothing), never pickle.  The host then applies exactly the comparison of the script's own main block
(:data:`RULES`), found by matching its AST; a script of any other shape has no usable test.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

__all__ = ["RULES", "ScriptPlan", "ScriptShapeError", "candidate_program", "compare", "decode",
           "gold_program", "outputs_of", "plan_script"]

#: The comparison each script shape uses (the main block's loop body, as source).
RULES = {
    "equal": "if f_filled(*parameters_set) == f_gold(*parameters_set):\n    n_success += 1",
    "equal_one_argument": "if f_filled(parameters_set) == f_gold(parameters_set):\n    n_success += 1",
    "relative_float": ("if abs(1 - (0.0000001 + abs(f_gold(*parameters_set))) / "
                       "(abs(f_filled(*parameters_set)) + 0.0000001)) < 0.001:\n    n_success += 1"),
    "mutated_arguments": ("f_filled(*filled_function_param[i])\nf_gold(*parameters_set)\n"
                          "if parameters_set == filled_function_param[i]:\n    n_success += 1"),
}
_TAIL = ["n_success = 0", "print('#Results: %i, %i' % (n_success, len(param)))"]
_RULE_DUMPS = {ast.dump(ast.parse(src)): name for name, src in RULES.items()}

#: The encoder both programs embed: a tagged literal of builtin values (see :func:`decode`).
ENCODER = '''
def _fb_encode(value, depth=0):
    kind = type(value)
    if depth > 200:
        return ["X", "too deep"]
    if value is None or kind is bool or kind is str:
        return value
    if kind is int:
        return value if -2**53 < value < 2**53 else ["I", hex(value)]
    if kind is float:
        return ["F", repr(value)]
    if kind in (list, tuple, set, frozenset):
        tag = {list: "L", tuple: "T", set: "S", frozenset: "Z"}[kind]
        return [tag, [_fb_encode(item, depth + 1) for item in value]]
    if kind is dict:
        return ["D", [[_fb_encode(k, depth + 1), _fb_encode(v, depth + 1)] for k, v in value.items()]]
    if kind is range:
        return ["R", [value.start, value.stop, value.step]]
    return ["X", kind.__name__]
'''


class ScriptShapeError(ValueError):
    """The test script is not of a known shape; the message says how (the item has no usable test)."""


@dataclass(frozen=True)
class ScriptPlan:
    """The parts of one test script: head without/with ``f_gold``, the set-up, and the rule."""

    head_with_gold: str
    head_without_gold: str
    setup: str
    rule: str
    uses_random: bool = False


def plan_script(script: str) -> ScriptPlan:
    """Cut a test script into its parts and find its comparison rule.

    Raises:
        SyntaxError: the script does not compile (the test itself is broken).
        ScriptShapeError: the script compiles but its main block is not one of :data:`RULES`.
    """
    head, marker, tail = script.partition("#TOFILL")
    if not marker:
        raise ScriptShapeError("the test script has no #TOFILL line")
    head_tree, tail_tree = ast.parse(head), ast.parse(tail)
    golds = [n for n in head_tree.body if isinstance(n, ast.FunctionDef) and n.name == "f_gold"]
    others = [n for n in head_tree.body if n not in golds and not isinstance(n, (ast.Import, ast.ImportFrom))]
    if len(golds) != 1 or others:
        raise ScriptShapeError("the script's head is not imports and one f_gold function")
    gold = golds[0]
    lines = head.splitlines(keepends=True)
    first = min([gold.lineno, *(d.lineno for d in gold.decorator_list)])
    head_without_gold = "".join(lines[:first - 1] + lines[gold.end_lineno:])
    if len(tail_tree.body) != 1 or not isinstance(tail_tree.body[0], ast.If) or tail_tree.body[0].orelse:
        raise ScriptShapeError("the script's tail is not one `if __name__ == '__main__':` block")
    body = tail_tree.body[0].body
    start = next((i for i, n in enumerate(body) if ast.unparse(n) == _TAIL[0]), None)
    if start is None or len(body) != start + 3 or ast.unparse(body[start + 2]) != _TAIL[1]:
        raise ScriptShapeError("the script's main block does not end with n_success = 0, the loop, the #Results line")
    loop = body[start + 1]
    if (not isinstance(loop, ast.For) or loop.orelse or ast.unparse(loop.target) != "(i, parameters_set)"
            or ast.unparse(loop.iter) != "enumerate(param)"):
        raise ScriptShapeError("the script's loop is not `for i, parameters_set in enumerate(param)`")
    rule = _RULE_DUMPS.get(ast.dump(ast.Module(body=loop.body, type_ignores=[])))
    if rule is None:
        raise ScriptShapeError("the script compares outputs in a way fusionbench does not know")
    setup = "\n".join(ast.unparse(n) for n in body[:start]) + "\n"
    if not any(isinstance(n, ast.Assign) and any(getattr(t, "id", None) == "param" for t in n.targets)
               for n in body[:start]):
        raise ScriptShapeError("the script's main block does not define param")
    uses_random = any(alias.name.split(".")[0] == "random" for node in head_tree.body
                      if isinstance(node, ast.Import) for alias in node.names) or any(
        node.module == "random" for node in head_tree.body if isinstance(node, ast.ImportFrom))
    return ScriptPlan(head, head_without_gold, setup, rule, uses_random)


def _program(plan: ScriptPlan, head: str, function: str, calls: str, marker: str) -> str:
    # the random module is seeded alike before each call on both sides where the script uses it: the
    # original scripts call both functions on the same objects in one process, so a shuffle that
    # returns its argument passes there (SHUFFLE_A_GIVEN_ARRAY); seeded, the same algorithm passes here
    seed = "    __import__('random').seed(i)\n" if plan.uses_random else ""
    return (f"{head}\n{function}\n{plan.setup}\nimport copy as _fb_copy\n{ENCODER}\n"
            f"_fb_outputs = []\nfor i, parameters_set in enumerate(param):\n{seed}{calls}"
            f"print({marker!r} + repr(_fb_outputs))\n")


def _calls(rule: str, name: str, mutated: str) -> str:
    return _calls_of(rule, name, mutated)


def _calls_of(rule: str, name: str, mutated: str) -> str:
    if rule == "mutated_arguments":
        return (f"    _fb_args = _fb_copy.deepcopy({mutated}[i])\n    {name}(*_fb_args)\n"
                "    _fb_outputs.append(_fb_encode(_fb_args))\n")
    star = "" if rule == "equal_one_argument" else "*"
    return (f"    _fb_args = _fb_copy.deepcopy(parameters_set)\n"
            f"    _fb_outputs.append(_fb_encode({name}({star}_fb_args)))\n")


def gold_program(plan: ScriptPlan, marker: str) -> str:
    """The trusted run: ``f_gold`` on a deep copy of each parameter set, outputs after ``marker``."""
    return _program(plan, plan.head_with_gold, "", _calls(plan.rule, "f_gold", "param"), marker)


def candidate_program(plan: ScriptPlan, function: str, marker: str) -> str:
    """The candidate run: no ``f_gold`` and no gold output in it, ``f_filled``'s outputs after ``marker``."""
    return _program(plan, plan.head_without_gold, function,
                    _calls(plan.rule, "f_filled", "filled_function_param"), marker)


class _Opaque:
    """A value that was not a builtin the encoder knows: equal to nothing, itself included."""

    __slots__ = ("kind",)

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __eq__(self, other: object) -> bool:
        return False

    def __ne__(self, other: object) -> bool:
        return True

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<opaque {self.kind}>"


def decode(value: Any) -> Any:
    """A tagged literal (from :data:`ENCODER`) back to Python values; nothing else is ever built.

    Raises:
        ValueError: not a tagged literal of that form.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)):
        raise ValueError("not a tagged value")
    tag, body = value
    if tag == "F" and isinstance(body, str) and len(body) < 400:
        return float(body)
    if tag == "I" and isinstance(body, str) and len(body) < 100_000:
        return int(body, 16)
    if tag == "X":
        return _Opaque(str(body)[:100])
    if tag == "R" and isinstance(body, list) and len(body) == 3 and all(type(v) is int for v in body):
        return range(*body)
    if not isinstance(body, list):
        raise ValueError("not a tagged value")
    if tag == "D":
        if not all(isinstance(pair, list) and len(pair) == 2 for pair in body):
            raise ValueError("not a tagged dict")
        return {decode(k): decode(v) for k, v in body}
    items = [decode(item) for item in body]
    builders = {"L": list, "T": tuple, "S": set, "Z": frozenset}
    if tag not in builders:
        raise ValueError(f"unknown tag {tag!r}")
    return builders[tag](items)


def outputs_of(stdout: str, marker: str) -> list[Any] | None:
    """The decoded outputs after the last ``marker`` (to the end of its line); ``None`` if unreadable.

    The marker is searched anywhere in a line: functions that print without a final newline
    (``print(x, end=" ")``) leave the marker in the middle of their last line.
    """
    at = stdout.rfind(marker)
    if at < 0:
        return None
    try:
        values = ast.literal_eval(stdout[at + len(marker):].split("\n", 1)[0])
        if not isinstance(values, list):
            return None
        return [decode(v) for v in values]
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def compare(rule: str, gold: Any, filled: Any) -> bool:
    """One parameter set's verdict, exactly as the script's main block decides it.

    Raises:
        Exception: what the script's own comparison would raise (``TypeError`` from ``abs``, ...).
    """
    if rule == "relative_float":
        return bool(abs(1 - (0.0000001 + abs(gold)) / (abs(filled) + 0.0000001)) < 0.001)
    if rule == "mutated_arguments":
        return bool(gold == filled)
    return bool(filled == gold)

