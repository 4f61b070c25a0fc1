"""Refuse parse trees too deep for the S-expression renderer, by item key, before any worker sees them.

CodeBLEU's syntax match renders trees as S-expressions (``str(node)``; ``node.sexp()`` in the 2021
route).  tree-sitter writes them with a recursive C function, so a pathologically nested string
(``x = ((((…1))))``, ``a+a+…+a``, ``f(f(…))`` some 15,000 levels deep) overflows the C stack and kills
the process with SIGSEGV, in the official scorer as in ours.  Real code never nests like that (CPython
itself refuses 200 nested parentheses), so such an item is refused with a clear error naming its key
instead of scoring it: the one departure from the official scorer, which would crash.

The default route checks each tree in the scoring workers, which parse every string anyway
(:func:`.structure.analyse` with ``max_depth``), before rendering it; the 2021 route, whose old
runtime runs elsewhere, is checked here beforehand with the pinned parser
(:func:`check_tree_depths`).

Only long strings can be deep: in tree-sitter-python a visible node is at most a few levels above a
node that spans fewer characters, so a string of ``n`` characters has a tree at most ``3 n`` deep,
and strings shorter than :data:`MAX_TREE_DEPTH` ``// 3`` are never parsed here (almost every item).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from fusionbench.errors import FormatError, json_path

__all__ = ["MAX_TREE_DEPTH", "check_tree_depths", "too_deep_error", "tree_depth"]

#: The deepest tree scored.  Rendering crashed from about 15,000 levels (nested lists) on this
#: machine's 8 MiB stack; every shape tried rendered fine at 10,000.
MAX_TREE_DEPTH = 5_000


def tree_depth(root: object, limit: int | None = None) -> int:
    """The depth of a tree-sitter tree (root = 0), walked with a cursor (no recursion).

    Stops early, returning a value above ``limit``, once the walk goes deeper than ``limit``.
    """
    cursor = root.walk()  # type: ignore[attr-defined]
    depth = deepest = 0
    while True:
        if cursor.goto_first_child():
            depth += 1
            if depth > deepest:
                deepest = depth
                if limit is not None and deepest > limit:
                    return deepest
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return deepest
            depth -= 1


def check_tree_depths(
    items: Iterable[tuple[str, str, str]],
    *,
    transform: Callable[[str], str] | None = None,
    limit: int = MAX_TREE_DEPTH,
) -> None:
    """Raise :class:`FormatError` for the first (key, role, code) whose tree is deeper than ``limit``.

    ``role`` is ``"prediction"`` or ``"reference"``; ``transform`` is applied before parsing, as the
    scorer does (detokenisation).
    """
    parse = None
    for key, role, code in items:
        if len(code) <= limit // 3:
            continue
        source = transform(code) if transform else code
        if len(source) <= limit // 3:
            continue
        if parse is None:
            from fusionbench.metrics.codebleu.parse import parse
        depth = tree_depth(parse(source).root_node, limit)
        if depth > limit:
            raise too_deep_error(key, role, depth, limit)


def too_deep_error(key: str, role: str, depth: int, limit: int = MAX_TREE_DEPTH) -> FormatError:
    """The error for item ``key`` whose ``role`` string has a tree ``depth`` levels deep."""
    return FormatError(
        f"C2C {role} {key!r} nests more than {limit:,} levels deep; tree-sitter's recursive "
        "S-expression writer would crash on it (the official scorer does), so it is refused",
        path=json_path(key), expected=f"code whose parse tree is at most {limit:,} levels deep",
        found=f"a tree at least {depth:,} levels deep",
    )
