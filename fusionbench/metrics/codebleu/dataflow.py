"""CodeBLEU's data-flow match: GraphCodeBERT data-flow graphs of Python, compared after renaming.

This reproduces the official scorer's behaviour, quirks included:

* tokens are the tree's leaves (a ``string`` node counts as one token; comments are skipped),
  cut out of ``code.split("\\n")`` with tree-sitter points whose columns are **byte** offsets
  applied to **str** lines, so tokens after a non-ASCII character are shifted (points are
  derived here from byte offsets, which identify a token exactly as points do);
* the graph is built by the GraphCodeBERT walk (assignments, ``for``/``while`` loops visited
  twice, ``if`` branches merging their variable states, default parameters); any exception
  during the walk (for example on error-recovery trees) yields an empty graph;
* nodes without edges are dropped; duplicate nodes are merged through Python ``set``\\ s, so the
  order of parent names depends on string hashing (``PYTHONHASHSEED``).  With
  ``parents="official"`` the code performs exactly the official set operations, and the official
  value is the one obtained in a process started with ``PYTHONHASHSEED=0``; ``parents="sorted"``
  sorts those names instead (an extension that no longer depends on the hash seed);
* variables are renamed ``var_0, var_1, …`` in order of first use, and reference edges are matched
  against candidate edges with removal.

Only node attributes that py-tree-sitter 0.2.0 also has are used (``type``, ``children``,
``child_count``, ``start_byte``, ``end_byte``, ``child_by_field_name``), so the legacy route runs
this very module under the old runtime.
"""

from __future__ import annotations

from bisect import bisect_right
from operator import itemgetter
from collections.abc import Callable
from typing import Any

__all__ = ["DataFlowEdge", "data_flow", "dataflow_counts", "normalize_data_flow", "normalized_counts"]

# (variable name, token index, relation, parent names, parent token indices)
DataFlowEdge = tuple[str, int, str, list[str], list[int]]

_LEAF_TYPES = ("string_literal", "string", "character_literal")
_ASSIGNMENTS = ("assignment", "augmented_assignment", "for_in_clause")


_index = itemgetter(1)


def _by_index(edges: list) -> list:
    """``sorted(edges, key=lambda e: e[1])`` (stable), skipping the work for 0 or 1 edge."""
    return edges if len(edges) < 2 else sorted(edges, key=_index)


def _token_spans(node: Any) -> list[tuple[int, int]]:
    kind = node.type  # _is_token, inlined: this runs once per node
    if (kind in _LEAF_TYPES or node.child_count == 0) and kind != "comment":
        return [(node.start_byte, node.end_byte)]
    spans: list[tuple[int, int]] = []
    for child in node.children:
        spans += _token_spans(child)
    return spans


def _variable_spans(node: Any, index_to_code: dict) -> list[tuple[int, int]]:
    kind = node.type
    if (kind in _LEAF_TYPES or node.child_count == 0) and kind != "comment":
        span = (node.start_byte, node.end_byte)
        if kind != index_to_code[span][1]:
            return [span]
        return []
    spans: list[tuple[int, int]] = []
    for child in node.children:
        spans += _variable_spans(child, index_to_code)
    return spans


def _point(offset: int, line_starts: list[int]) -> tuple[int, int]:
    row = bisect_right(line_starts, offset) - 1
    return row, offset - line_starts[row]


def _slice_token(span: tuple[int, int], lines: list[str], line_starts: list[int]) -> str:
    """The official token text: byte columns of the token's points applied to str lines."""
    start_row, start_col = _point(span[0], line_starts)
    end_row, end_col = _point(span[1], line_starts)
    if start_row == end_row:
        return lines[start_row][start_col:end_col]
    text = lines[start_row][start_col:]
    for row in range(start_row + 1, end_row):
        text += lines[row]
    return text + lines[end_row][:end_col]


class _Walker:
    """The GraphCodeBERT data-flow walk over one tree."""

    def __init__(self, index_to_code: dict, unique_names: Callable[[list[str]], list[str]]) -> None:
        self.index_to_code = index_to_code
        self.unique_names = unique_names

    def _edges_from(self, left_nodes: list, right_nodes: list, states: dict) -> list[DataFlowEdge]:
        edges: list[DataFlowEdge] = []
        for left, right in zip(left_nodes, right_nodes):
            left_spans = _variable_spans(left, self.index_to_code)
            right_spans = _variable_spans(right, self.index_to_code)
            for span in left_spans:
                idx, code = self.index_to_code[span]
                edges.append((code, idx, "computedFrom",
                              [self.index_to_code[s][1] for s in right_spans],
                              [self.index_to_code[s][0] for s in right_spans]))
                states[code] = [idx]
        return edges

    @staticmethod
    def _split_sides(node: Any) -> tuple[list, list]:
        left_field = node.child_by_field_name("left")
        right_field = node.child_by_field_name("right")
        right_nodes = [x for x in right_field.children if x.type != ","]
        left_nodes = [x for x in left_field.children if x.type != ","]
        if len(right_nodes) != len(left_nodes):
            left_nodes, right_nodes = [left_field], [right_field]
        if not left_nodes:
            left_nodes = [left_field]
        if not right_nodes:
            right_nodes = [right_field]
        return left_nodes, right_nodes

    def _merge_loop(self, edges: list[DataFlowEdge]) -> list[DataFlowEdge]:
        merged: dict[tuple[str, int, str], list] = {}
        for name, idx, relation, parents, parent_idx in edges:
            key = (name, idx, relation)
            if key not in merged:
                merged[key] = [parents, parent_idx]
            else:
                merged[key][0] = self.unique_names(merged[key][0] + parents)
                merged[key][1] = sorted(list(set(merged[key][1] + parent_idx)))
        result = [(k[0], k[1], k[2], v[0], v[1]) for k, v in sorted(merged.items(), key=lambda t: t[0][1])]
        return _by_index(result)

    def walk(self, node: Any, states: dict) -> tuple[list[DataFlowEdge], dict]:
        # The official walk copies ``states`` on entry.  Every caller but the ``elif``/``else``
        # branches of ``_if_statement`` (which pass a copy) replaces its dict by the returned
        # one, and state lists are never changed in place, so updating in place is the same.
        kind = node.type
        if (kind in _LEAF_TYPES or node.child_count == 0) and kind != "comment":  # _is_token
            idx, code = self.index_to_code[(node.start_byte, node.end_byte)]
            if kind == code:
                return [], states
            if code in states:
                return [(code, idx, "comesFrom", [code], states[code].copy())], states
            if kind == "identifier":
                states[code] = [idx]
            return [(code, idx, "comesFrom", [], [])], states
        if kind == "default_parameter":
            return self._default_parameter(node, states)
        if kind in _ASSIGNMENTS:
            return self._assignment(node, states)
        if kind == "if_statement":
            return self._if_statement(node, states)
        if kind == "for_statement":
            return self._for_statement(node, states)
        if kind == "while_statement":
            return self._while_statement(node, states)
        edges: list[DataFlowEdge] = []
        children = node.children
        kinds = [child.type for child in children]
        if "for_in_clause" in kinds:  # for-in clauses first, as in the official walk
            for child, child_kind in zip(children, kinds):
                if child_kind == "for_in_clause":
                    found, states = self.walk(child, states)
                    edges += found
            for child, child_kind in zip(children, kinds):
                if child_kind != "for_in_clause":
                    found, states = self.walk(child, states)
                    edges += found
        else:
            for child in children:
                found, states = self.walk(child, states)
                edges += found
        return _by_index(edges), states

    def _default_parameter(self, node: Any, states: dict) -> tuple[list[DataFlowEdge], dict]:
        name = node.child_by_field_name("name")
        value = node.child_by_field_name("value")
        edges: list[DataFlowEdge] = []
        if value is None:
            for span in _variable_spans(name, self.index_to_code):
                idx, code = self.index_to_code[span]
                edges.append((code, idx, "comesFrom", [], []))
                states[code] = [idx]
            return _by_index(edges), states
        name_spans = _variable_spans(name, self.index_to_code)
        value_spans = _variable_spans(value, self.index_to_code)
        found, states = self.walk(value, states)
        edges += found
        for span1 in name_spans:
            idx1, code1 = self.index_to_code[span1]
            for span2 in value_spans:
                idx2, code2 = self.index_to_code[span2]
                edges.append((code1, idx1, "comesFrom", [code2], [idx2]))
            states[code1] = [idx1]
        return _by_index(edges), states

    def _assignment(self, node: Any, states: dict) -> tuple[list[DataFlowEdge], dict]:
        if node.type == "for_in_clause":
            right_nodes = [node.children[-1]]
            left_nodes = [node.child_by_field_name("left")]
        else:
            if node.child_by_field_name("right") is None:
                return [], states
            left_nodes, right_nodes = self._split_sides(node)
        edges: list[DataFlowEdge] = []
        for right in right_nodes:
            found, states = self.walk(right, states)
            edges += found
        edges += self._edges_from(left_nodes, right_nodes, states)
        return _by_index(edges), states

    def _if_statement(self, node: Any, states: dict) -> tuple[list[DataFlowEdge], dict]:
        edges: list[DataFlowEdge] = []
        current = states.copy()
        branch_states = []
        has_else = "else" in node.type
        for child in node.children:
            if "else" in child.type:
                has_else = True
            if child.type not in ("elif_clause", "else_clause"):
                found, current = self.walk(child, current)
                edges += found
            else:
                found, new_states = self.walk(child, states.copy())
                edges += found
                branch_states.append(new_states)
        branch_states.append(current)
        if not has_else:
            branch_states.append(states)
        merged: dict[str, list[int]] = {}
        for branch in branch_states:
            for key in branch:
                if key not in merged:
                    merged[key] = branch[key].copy()
                else:
                    merged[key] += branch[key]
        for key in merged:
            merged[key] = sorted(list(set(merged[key])))
        return _by_index(edges), merged

    def _for_statement(self, node: Any, states: dict) -> tuple[list[DataFlowEdge], dict]:
        edges: list[DataFlowEdge] = []
        for _ in range(2):  # the loop body is visited twice so that back edges appear
            left_nodes, right_nodes = self._split_sides(node)
            for right in right_nodes:
                found, states = self.walk(right, states)
                edges += found
            edges += self._edges_from(left_nodes, right_nodes, states)
            if node.children[-1].type == "block":
                found, states = self.walk(node.children[-1], states)
                edges += found
        return self._merge_loop(edges), states

    def _while_statement(self, node: Any, states: dict) -> tuple[list[DataFlowEdge], dict]:
        edges: list[DataFlowEdge] = []
        for _ in range(2):
            for child in node.children:
                found, states = self.walk(child, states)
                edges += found
        return self._merge_loop(edges), states


def _official_unique(names: list[str]) -> list[str]:
    return list(set(names))  # order depends on the process's string hashing, as officially


def _sorted_unique(names: list[str]) -> list[str]:
    return sorted(set(names))


def unique_function(parents: str) -> Callable[[list[str]], list[str]]:
    """How duplicate parent names are merged: official set order, or sorted."""
    return _sorted_unique if parents == "sorted" else _official_unique


def index_tokens(code: str, spans: list[tuple[int, int]]) -> dict:
    """The official ``index_to_code``: each token's byte span to (token index, token text).

    Tokens with the same span (zero-width leaves at one place) keep the last index, as officially.
    """
    index_to_code: dict = {}
    if "\n" not in code:
        # One row: the official slice is the str sliced at the token's byte offsets.
        for idx, span in enumerate(spans):
            index_to_code[span] = (idx, code[span[0]:span[1]])
    elif code.isascii():
        # Byte offsets are str offsets, and the official row-by-row slicing only drops the
        # line breaks: the same text as _slice_token, without locating rows.
        for idx, span in enumerate(spans):
            text = code[span[0]:span[1]]
            index_to_code[span] = (idx, text.replace("\n", "") if "\n" in text else text)
    else:
        lines = code.split("\n")
        line_starts = [0]
        for line in lines[:-1]:
            line_starts.append(line_starts[-1] + len(line.encode("utf-8")) + 1)
        for idx, span in enumerate(spans):
            index_to_code[span] = (idx, _slice_token(span, lines, line_starts))
    return index_to_code


def linked_edges(edges: list[DataFlowEdge]) -> list[DataFlowEdge]:
    """The walk's edges in token order, without the nodes that have no edge."""
    edges = _by_index(edges)
    linked: set[int] = set()
    for edge in edges:
        if edge[-1]:
            linked.add(edge[1])
        for parent in edge[-1]:
            linked.add(parent)
    return [edge for edge in edges if edge[1] in linked]


def merge_nodes(graph: list[DataFlowEdge], unique: Callable[[list[str]], list[str]]) -> list[DataFlowEdge]:
    """Merge the edges of one token (the official final step, through sets)."""
    merged: dict[int, DataFlowEdge] = {}
    for edge in graph:
        if edge[1] not in merged:
            merged[edge[1]] = edge
        else:
            old = merged[edge[1]]
            merged[edge[1]] = (edge[0], edge[1], edge[2], unique(old[3] + edge[3]), list(set(old[4] + edge[4])))
    return list(merged.values())


def data_flow(code: str, root: Any, *, parents: str = "official") -> list[DataFlowEdge]:
    """The merged data-flow graph of ``code`` whose parse tree is ``root``.

    Args:
        code: the source string that was parsed.
        root: its tree-sitter root node.
        parents: ``"official"`` (set order, hash-seed dependent) or ``"sorted"``.
    """
    unique = unique_function(parents)
    graph: list[DataFlowEdge]
    try:
        index_to_code = index_tokens(code, _token_spans(root))
        try:
            edges, _ = _Walker(index_to_code, unique).walk(root, {})
        except Exception:  # noqa: BLE001 - the official walk gives up silently, and so must we
            edges = []
        graph = linked_edges(edges)
    except Exception:  # noqa: BLE001 - e.g. recursion too deep on a pathological tree
        graph = []
    return merge_nodes(graph, unique)


def normalize_data_flow(graph: list[DataFlowEdge]) -> list[tuple[str, str, list[str]]]:
    """Rename variables to ``var_0, var_1, …`` in order of first use (parents before the node)."""
    names: dict[str, str] = {}
    normalized = []
    for name, _, relation, parents, _ in graph:
        for parent in parents:
            if parent not in names:
                names[parent] = f"var_{len(names)}"
        if name not in names:
            names[name] = f"var_{len(names)}"
        normalized.append((names[name], relation, [names[p] for p in parents]))
    return normalized


def dataflow_counts(ref_graph: list[DataFlowEdge], cand_graph: list[DataFlowEdge]) -> tuple[int, int]:
    """(matched reference edges, reference edges); each candidate edge matches at most once."""
    return normalized_counts(normalize_data_flow(ref_graph), normalize_data_flow(cand_graph))


def normalized_counts(reference: list, candidate: list) -> tuple[int, int]:
    """:func:`dataflow_counts` on already normalised graphs (``candidate`` is not modified).

    Edges may be tuples or (after a JSON round trip) lists: both sides must use the same form.
    """
    candidate = list(candidate)
    if not reference:
        return 0, 0
    matched = 0
    for edge in reference:
        if edge in candidate:
            matched += 1
            candidate.remove(edge)
    return matched, len(reference)
