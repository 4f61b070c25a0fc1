"""One pass over a parse tree into plain Python lists, for the syntax and data-flow passes.

Both structural components read the same few facts of every node (its type, byte span, whether it
is named, its children) many times: the data-flow walk visits loop bodies twice and collects the
leaves of assignment sides again, the syntax pass visits every named node.  Reading them through
the tree-sitter binding costs a call (and often a new ``Node`` object) each time.  :func:`flatten`
reads each fact once, in one walk, into lists indexed by the node's pre-order number; the passes
then only index lists.  The children are exactly ``node.children`` (visible nodes, extras such as
comments included), in order.

Fields are read with ``node.child_by_field_name`` (the call the official walk makes), only on the
nodes whose fields the data-flow walk asks for, and located among the node's children by node
equality.  A field child that is not among the children, or a tree deeper than
:data:`MAX_FLAT_DEPTH` (where the recursive official walk may hit Python's recursion limit at a
depth that depends on the caller's stack), makes :func:`flatten` return ``None``: callers then use
the node-by-node implementation, so every result is the one that implementation gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["FIELDS", "MAX_FLAT_DEPTH", "FlatTree", "flatten"]

#: The fields the data-flow walk reads, per node type.
FIELDS: dict[str, tuple[str, ...]] = {
    "assignment": ("left", "right"),
    "augmented_assignment": ("left", "right"),
    "for_in_clause": ("left",),
    "for_statement": ("left", "right"),
    "default_parameter": ("name", "value"),
}
#: Deeper trees are left to the node-by-node implementation (see the module doc).
MAX_FLAT_DEPTH = 150


@dataclass
class FlatTree:
    """The nodes of one tree in pre-order (index 0 is the root).

    Attributes:
        kinds: ``node.type``.
        starts, ends: ``node.start_byte``, ``node.end_byte``.
        named: ``node.is_named``.
        children: the indices of ``node.children``, in order (an empty tuple for a leaf).
        fields: for nodes of a type in :data:`FIELDS`, the index of each field's child, or
            ``None`` where ``child_by_field_name`` returns ``None``.
        anonymous_parents: whether some node that is not named has children (the syntax pass
            then needs the node API, see :func:`.syntax.subtree_sexps_fast`).
    """

    kinds: list[str]
    starts: list[int]
    ends: list[int]
    named: list[bool]
    children: list[tuple[int, ...]]
    fields: dict[int, dict[str, int | None]]
    anonymous_parents: bool


def flatten(root: Any) -> FlatTree | None:
    """Read ``root`` and all its descendants once (see the module doc); ``None`` if not supported."""
    kinds: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    named: list[bool] = []
    fields: dict[int, dict[str, int | None]] = {}
    anonymous_parents = False
    # (node, depth, parent index, position among the parent's children); children are pushed in
    # reverse so that they pop in order
    stack: list[tuple[Any, int, int, int]] = [(root, 0, -1, 0)]
    slots_of: list[list[int]] = []  # per node: the indices of its children, filled as they pop
    add_kind, add_start, add_end, add_named = kinds.append, starts.append, ends.append, named.append
    while stack:
        node, depth, parent, position = stack.pop()
        index = len(kinds)
        if parent >= 0:
            slots_of[parent][position] = index
        kind = node.type
        add_kind(kind)
        add_start(node.start_byte)
        add_end(node.end_byte)
        is_named = node.is_named
        add_named(is_named)
        kids = node.children
        if not kids:
            slots_of.append([])
            continue
        if depth >= MAX_FLAT_DEPTH:
            return None
        if not is_named:
            anonymous_parents = True
        slots_of.append([0] * len(kids))
        wanted = FIELDS.get(kind)
        if wanted is not None:
            found: dict[str, int | None] = {}
            for name in wanted:
                child = node.child_by_field_name(name)
                if child is None:
                    found[name] = None
                    continue
                for place, kid in enumerate(kids):
                    if kid == child:
                        found[name] = place  # a position for now, an index below
                        break
                else:
                    return None
            fields[index] = found
        for place in range(len(kids) - 1, -1, -1):
            stack.append((kids[place], depth + 1, index, place))
    children = [tuple(slots) for slots in slots_of]
    for index, found in fields.items():
        kids = children[index]
        for name, place in found.items():
            if place is not None:
                found[name] = kids[place]
    return FlatTree(kinds, starts, ends, named, children, fields, anonymous_parents)
