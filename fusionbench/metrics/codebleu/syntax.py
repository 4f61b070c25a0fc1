"""CodeBLEU's syntax match: reference subtrees found among the candidate's subtrees.

Official rule, per item: walk each tree from the root, keeping the root and every descendant
that has children (the walk descends only through children that have children, which reaches
every node with children).  Each kept node contributes its S-expression (``str(node)`` on the
modern runtime, ``node.sexp()`` on py-tree-sitter 0.2.0).  A reference subtree matches when the
same S-expression occurs anywhere among the candidate's kept nodes: membership, not clipped
counts.  Counts are pooled over the corpus; the score is matches / reference subtrees.

Rendering every kept node with ``str(node)`` re-renders each subtree once per ancestor, which is
most of the cost of the component.  :func:`subtree_sexps_fast` renders the tree once and cuts
every kept node's S-expression out of that one string.  It rests on three facts about
``ts_node_string`` in the tree-sitter runtime, each checked against ``str(node)`` by the tests on
thousands of trees (AVATAR-like token strings, cut real Python, parse errors, ``MISSING`` and
``UNEXPECTED`` leaves, non-ASCII text):

1. The text the root's rendering prints for a printed node is exactly ``str(node)`` (the same
   alias, the same field names for its children) apart from the ``field: `` prefix before its
   opening parenthesis.
2. Printed nodes appear in pre-order: the k-th ``(`` opens the k-th printed node and the k-th
   ``)`` closes the k-th printed node in post-order, once the contents of the two leaf forms
   that may contain parentheses, ``(MISSING "…")`` and ``(UNEXPECTED '…')``, are masked.
3. A node is printed when it is named (``node.is_named``, alias-aware) or missing.  Missing
   leaves of anonymous tokens and of hidden tokens (``(MISSING _newline)``) are recognised by
   their exact text, listed from the grammar's symbol table; the hidden ones are not reachable
   through the node API at all, so both kinds are dropped from the parenthesis lists.

The named nodes are then walked in pre-order, keeping their counters in step with the
parenthesis lists, and the text of every named node that has children is cut out.  Anonymous
nodes that have children (``not in`` and ``is not`` are aliases of two tokens) are not printed
inside their parent; they are detected exactly (see :func:`_cut_named`), and the tree is then
walked node by node with a cursor, rendering those few with ``str(node)`` as the official walk
does.  If any consistency check fails (unbalanced counts, non-ASCII rendering, an anonymous root)
the function falls back to the plain official walk, so the result is always that of
``str(node)``.
"""

from __future__ import annotations

import re
from itertools import accumulate
from collections.abc import Callable, Collection, Iterable
from functools import lru_cache
from typing import Any

__all__ = [
    "match_counts",
    "subtree_sexps",
    "subtree_sexps_fast",
    "subtree_sexps_shaped",
    "syntax_counts",
    "syntax_counts_generic",
]

_MISSING = "(MISSING "
_UNEXPECTED = "(UNEXPECTED "
#: ``ts_subtree__write_char_to_string``: a quoted printable ASCII character, one of four escapes,
#: a decimal code point, or INVALID.
_UNEXPECTED_LEAF = re.compile(r"\(UNEXPECTED (?:'\\[0ntr]'|'[ -~]'|-?[0-9]+|INVALID)\)")


def _official_sexp(node: Any) -> str:
    return str(node)


def subtree_sexps(root: Any, sexp: Callable[[Any], str] = _official_sexp) -> list[str]:
    """S-expressions of the root and of every descendant that has children, the official way.

    Only ``node.children`` is used (``len(child.children)`` for the child test), which
    py-tree-sitter 0.2.0 also has, so the legacy route can pass ``lambda n: n.sexp()``.

    Args:
        root: a tree-sitter root node.
        sexp: renders a node (``str`` on modern runtimes, ``node.sexp()`` on 0.2.0).

    Returns:
        The S-expressions in the official walk's order (the root first).
    """
    found = []
    stack = [root]
    while stack:
        node = stack.pop()
        found.append(sexp(node))
        stack.extend(child for child in node.children if len(child.children) != 0)
    return found


def match_counts(ref_sexps: Iterable[str], cand_sexps: Collection[str]) -> tuple[int, int]:
    """(matches, reference subtrees): how many reference S-expressions occur among the candidate's.

    Args:
        ref_sexps: the reference's S-expressions, duplicates included (each one counts).
        cand_sexps: the candidate's S-expressions; pass a set for speed (membership only).

    >>> match_counts(["(a)", "(a)", "(b)"], {"(a)"})
    (2, 3)
    """
    matches = total = 0
    for sexp in ref_sexps:
        total += 1
        if sexp in cand_sexps:
            matches += 1
    return matches, total


def syntax_counts_generic(ref_root: Any, cand_root: Any, sexp: Callable[[Any], str]) -> tuple[int, int]:
    """Syntax-match counts of one item with any S-expression renderer (the slow official walk).

    Args:
        ref_root: root node of the reference tree.
        cand_root: root node of the candidate tree.
        sexp: renders a node, e.g. ``lambda n: n.sexp()`` with py-tree-sitter 0.2.0.

    Returns:
        (matches, reference subtrees).
    """
    return match_counts(subtree_sexps(ref_root, sexp), set(subtree_sexps(cand_root, sexp)))


def syntax_counts(ref_root: Any, cand_root: Any) -> tuple[int, int]:
    """Syntax-match counts of one item on the modern runtime, identical to ``str(node)`` matching.

    Callers scoring a corpus should rather cache :func:`subtree_sexps_fast` (and a set of it) per
    distinct string and call :func:`match_counts`: a string is then rendered once.

    Args:
        ref_root: root node of the reference tree.
        cand_root: root node of the candidate tree.

    Returns:
        (matches, reference subtrees).

    >>> from fusionbench.metrics.codebleu.parse import parse
    >>> syntax_counts(parse("x = f ( 1 )").root_node, parse("print ( f ( 1 ) )").root_node)
    (2, 5)
    """
    return match_counts(subtree_sexps_fast(ref_root), set(subtree_sexps_fast(cand_root)))


def subtree_sexps_fast(root: Any) -> list[str]:
    """The S-expressions of :func:`subtree_sexps` (the same multiset), from one rendering.

    Needs the modern runtime (``Node.is_named``, ``named_children``, ``descendant_count``, tree
    cursors).  The order is pre-order, not the official walk's; the syntax match does not see it.

    Args:
        root: a tree-sitter node of the pinned grammar, normally a tree's root node.

    Returns:
        ``str(node)`` for the root and for every descendant that has children.
    """
    if root.child_count == 0 or not root.is_named:
        return subtree_sexps(root)
    leaves = _missing_leaves()
    if leaves is None:
        return subtree_sexps(root)
    text = str(root)
    masked = _masked_parentheses(text, *leaves)
    if masked is None:
        return subtree_sexps(root)
    opens, closes = masked
    found = _cut_named(root, text, opens, closes)
    if found is None:  # an anonymous node with children somewhere: walk every visible node
        found = _cut(root, text, opens, closes)
    return subtree_sexps(root) if found is None else found


def subtree_sexps_shaped(
    root: Any,
    shape: bytes | None,
    cut: Callable[[str, list[int], list[int], bytes], list[str] | None] | None = None,
    cut_whole: Callable[[str, bytes], list[str] | None] | None = None,
) -> list[str]:
    """:func:`subtree_sexps_fast` (the same list) from the tree's shape read by the accelerator.

    ``shape`` holds, for each named node in pre-order, whether it has children (``None`` when the
    root is a leaf or not named, or some anonymous node has children).  Every named node's parent
    is then named, so the named nodes in pre-order are the printed nodes in the rendering's order
    and each one's text runs from its ``(`` to the matching ``)``: the node API walk of
    :func:`_cut_named` is not needed.  The texts come in the order of their ``)`` (post-order), as
    :func:`_cut_named` gives them.  Anything else (a count that does not agree) goes to
    :func:`subtree_sexps_fast`.  ``cut`` (``_flowaccel.cut_subtrees``) does the matching and the
    cutting in C, with the same result; without it they run here.  ``cut_whole``
    (``_flowaccel.cut_rendering``) also finds the parentheses in C where the rendering has no leaf
    to mask (no ``(MISSING ``/``(UNEXPECTED ``, ASCII): the result of ``cut`` on the positions
    :func:`_masked_parentheses` gives, or ``None`` for anything else, which then goes the way above.
    """
    if shape is None:
        return subtree_sexps_fast(root)
    leaves = _missing_leaves()
    if leaves is None:
        return subtree_sexps(root)
    text = str(root)
    if cut_whole is not None:
        found = cut_whole(text, shape)
        if found is not None:
            return found
    masked = _masked_parentheses(text, *leaves)
    if masked is None:
        return subtree_sexps(root)
    opens, closes = masked
    if cut is not None:
        found = cut(text, opens, closes, shape)
        return subtree_sexps_fast(root) if found is None else found
    ends = _matching(opens, closes)
    if ends is None or len(shape) != len(opens) or not ends or ends[0] != len(text) - 1:
        return subtree_sexps_fast(root)
    spans = sorted([(end, start) for has_children, start, end in zip(shape, opens, ends) if has_children])
    return [text[start:end + 1] for end, start in spans]


def _matching(opens: list[int], closes: list[int]) -> list[int] | None:
    """For each ``(`` position (sorted), the position of its matching ``)``; ``None`` if unbalanced."""
    ends = [0] * len(opens)
    waiting: list[int] = []
    j, count = 0, len(closes)
    try:
        for k, start in enumerate(opens):
            while j < count and closes[j] < start:
                ends[waiting.pop()] = closes[j]
                j += 1
            waiting.append(k)
        while j < count:
            ends[waiting.pop()] = closes[j]
            j += 1
    except IndexError:
        return None
    return None if waiting else ends


@lru_cache(maxsize=1)
def _missing_leaves() -> tuple[re.Pattern[str], frozenset[str]] | None:
    """A matcher for ``(MISSING …)`` leaves and the texts of those not counted as named nodes.

    A missing leaf prints as ``(MISSING name)`` when its symbol is named and ``(MISSING "name")``
    otherwise.  Visible named ones are named nodes in the node API and stay; the others (visible
    anonymous tokens, hidden tokens such as ``_newline``) are dropped from the parenthesis lists.
    Hidden symbols report themselves as unnamed in the API, so both spellings are listed for them.
    Returns ``None`` when the texts are ambiguous (one is a prefix of another, or a text is both
    kept and dropped); the caller then uses the plain walk.
    """
    from fusionbench.metrics.codebleu.parse import get_parser

    language = get_parser().language
    keep: set[str] = set()
    drop: set[str] = set()
    for kind in range(language.node_kind_count):
        name = language.node_kind_for_id(kind)
        if name is None:
            continue
        named, quoted = f"(MISSING {name})", f'(MISSING "{name}")'
        if not language.node_kind_is_visible(kind):
            drop.update((named, quoted))
        elif language.node_kind_is_named(kind):
            keep.add(named)
        else:
            drop.add(quoted)
    texts = sorted(keep | drop)
    prefix_free = all(not b.startswith(a) for a, b in zip(texts, texts[1:]))
    if keep & drop or not prefix_free:
        return None
    pattern = re.compile("|".join(re.escape(t) for t in sorted(texts, key=len, reverse=True)))
    return pattern, frozenset(drop)


def _positions(data: bytes, char: bytes) -> list[int]:
    """Offsets of every ``char`` in ``data`` (split and running sums run in C; no numpy import).

    >>> _positions(b"(a(b))", b"(")
    [0, 2]
    """
    pieces = data.split(char)
    return [total + k for k, total in enumerate(accumulate(map(len, pieces[:-1])))]


def _masked_parentheses(
    text: str, missing: re.Pattern[str], dropped: frozenset[str]
) -> tuple[list[int], list[int]] | None:
    """Positions of the node-delimiting ``(`` and ``)`` of ``text``, dropped leaves left out.

    Returns ``None`` when the rendering has a form this module does not know (non-ASCII text, an
    unknown ``MISSING``/``UNEXPECTED`` leaf); the caller then uses the plain walk.
    """
    try:
        data = bytearray(text.encode("ascii"))
    except UnicodeEncodeError:
        return None
    skipped: list[tuple[int, int]] = []  # (open, close) of dropped leaves
    for marker, pattern in ((_MISSING, missing), (_UNEXPECTED, _UNEXPECTED_LEAF)):
        start = text.find(marker)
        while start >= 0:
            leaf = pattern.match(text, start)
            if leaf is None:
                return None
            end = leaf.end()
            data[start + 1:end - 1] = b"." * (end - start - 2)
            if marker is _MISSING and leaf.group() in dropped:
                skipped.append((start, end - 1))
            start = text.find(marker, end)
    masked_bytes = bytes(data)
    opens = _positions(masked_bytes, b"(")
    closes = _positions(masked_bytes, b")")
    if skipped:
        drop_open = {o for o, _ in skipped}
        drop_close = {c for _, c in skipped}
        opens = [o for o in opens if o not in drop_open]
        closes = [c for c in closes if c not in drop_close]
    if len(opens) != len(closes):
        return None
    return opens, closes


def _cut_named(root: Any, text: str, opens: list[int], closes: list[int]) -> list[str] | None:
    """The fast walk: named nodes only, through ``named_children``.

    ``pre`` counts named nodes entered (the index into ``opens``), ``post`` named nodes left (the
    index into ``closes``); anonymous leaves are not printed, so skipping them keeps both in step.
    Anonymous nodes *with* children would be skipped together with their subtrees.  They are
    detected exactly by counting: every visible node but the root is a child of a visited named
    node unless it lies below an anonymous node with children, so the summed ``child_count`` of
    the visited nodes equals ``root.descendant_count - 1`` if and only if there is none.  Returns
    ``None`` when there is one or a count is off; the caller then uses :func:`_cut`.
    """
    found: list[str] = []
    children = root.child_count
    stack = [(iter(root.named_children), opens[0])]
    pre, post = 1, 0
    try:
        while stack:
            kids, start = stack[-1]
            for kid in kids:
                count = kid.child_count
                if count:
                    children += count
                    stack.append((iter(kid.named_children), opens[pre]))
                    pre += 1
                    break
                pre += 1  # a named leaf: its "(" and its ")"
                post += 1
            else:
                stack.pop()
                found.append(text[start:closes[post] + 1])
                post += 1
    except IndexError:
        return None
    if children != root.descendant_count - 1 or pre != len(opens) or post != len(closes) or found[-1] != text:
        return None
    return found


def _cut(root: Any, text: str, opens: list[int], closes: list[int]) -> list[str] | None:
    """The general walk: every visible node, with a tree cursor.

    Like :func:`_cut_named`, but anonymous nodes with children are visited too and rendered with
    ``str(node)`` (they are not printed inside their parent).  The root is left last, so its text
    comes last and must be the whole rendering.  Returns ``None`` if a count is off.
    """
    found: list[str] = []
    starts: list[int] = []  # for each open inner node: its "(" position, or -1 if not printed
    pre = post = 0
    cursor = root.walk()
    try:
        while True:
            node = cursor.node
            if cursor.goto_first_child():
                if node.is_named:
                    starts.append(opens[pre])
                    pre += 1
                else:  # an anonymous node with children: not printed inside its parent
                    found.append(str(node))
                    starts.append(-1)
                continue
            if node.is_named:  # a printed leaf
                pre += 1
                post += 1
            while not cursor.goto_next_sibling():
                if not cursor.goto_parent():
                    break
                start = starts.pop()
                if start >= 0:
                    found.append(text[start:closes[post] + 1])
                    post += 1
            else:
                continue
            break
    except IndexError:
        return None
    if starts or pre != len(opens) or post != len(closes) or not found or found[-1] != text:
        return None
    return found
