"""The data-flow walk of :mod:`.dataflow` over a :class:`~.flat.FlatTree` instead of binding nodes.

Step for step the same walk as :class:`.dataflow._Walker` (the same visits, the same edges in the
same order, the same set operations, an exception anywhere giving an empty graph), reading node
facts from lists.  :func:`data_flow_flat` therefore returns exactly what
:func:`.dataflow.data_flow` returns for the tree that was flattened; the tests compare the two on
thousands of trees.  Where a walk would read a field that is absent (``None``), indexing the lists
with ``None`` raises, as reading an attribute of ``None`` does in the node walk.
"""

from __future__ import annotations

from collections.abc import Callable

from fusionbench.metrics.codebleu.dataflow import (
    _ASSIGNMENTS,
    _LEAF_TYPES,
    DataFlowEdge,
    _by_index,
    index_tokens,
    linked_edges,
    merge_nodes,
    unique_function,
)
from fusionbench.metrics.codebleu.flat import FlatTree

__all__ = ["data_flow_flat", "token_spans"]


def token_spans(tree: FlatTree) -> list[tuple[int, int]]:
    """Byte spans of the official tokens (leaves, whole strings; comments skipped), in order."""
    kinds, children, starts, ends = tree.kinds, tree.children, tree.starts, tree.ends
    spans: list[tuple[int, int]] = []
    stack = [0]
    while stack:
        node = stack.pop()
        kind = kinds[node]
        kids = children[node]
        if (kind in _LEAF_TYPES or not kids) and kind != "comment":
            spans.append((starts[node], ends[node]))
        elif kids:
            stack.extend(reversed(kids))
    return spans


class _FlatWalker:
    """:class:`.dataflow._Walker` on lists (see the module doc)."""

    def __init__(self, tree: FlatTree, index_to_code: dict, unique_names: Callable[[list[str]], list[str]]) -> None:
        self.kinds = tree.kinds
        self.starts = tree.starts
        self.ends = tree.ends
        self.children = tree.children
        self.fields = tree.fields
        self.index_to_code = index_to_code
        self.unique_names = unique_names

    def _variable_spans(self, node: int) -> list[tuple[int, int]]:
        kinds, children, starts, ends, index_to_code = (
            self.kinds, self.children, self.starts, self.ends, self.index_to_code)
        spans: list[tuple[int, int]] = []
        stack = [node]
        while stack:
            node = stack.pop()
            kind = kinds[node]
            kids = children[node]
            if (kind in _LEAF_TYPES or not kids) and kind != "comment":
                span = (starts[node], ends[node])
                if kind != index_to_code[span][1]:
                    spans.append(span)
            elif kids:
                stack.extend(reversed(kids))
        return spans

    def _edges_from(self, left_nodes: list[int], right_nodes: list[int], states: dict) -> list[DataFlowEdge]:
        edges: list[DataFlowEdge] = []
        index_to_code = self.index_to_code
        for left, right in zip(left_nodes, right_nodes):
            left_spans = self._variable_spans(left)
            right_spans = self._variable_spans(right)
            for span in left_spans:
                idx, code = index_to_code[span]
                edges.append((code, idx, "computedFrom",
                              [index_to_code[s][1] for s in right_spans],
                              [index_to_code[s][0] for s in right_spans]))
                states[code] = [idx]
        return edges

    def _split_sides(self, node: int) -> tuple[list[int], list[int]]:
        kinds, children = self.kinds, self.children
        fields = self.fields[node]
        left_field, right_field = fields["left"], fields["right"]
        right_nodes = [x for x in children[right_field] if kinds[x] != ","]  # type: ignore[index]
        left_nodes = [x for x in children[left_field] if kinds[x] != ","]  # type: ignore[index]
        if len(right_nodes) != len(left_nodes):
            left_nodes, right_nodes = [left_field], [right_field]  # type: ignore[list-item]
        if not left_nodes:
            left_nodes = [left_field]  # type: ignore[list-item]
        if not right_nodes:
            right_nodes = [right_field]  # type: ignore[list-item]
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

    def walk(self, node: int, states: dict) -> tuple[list[DataFlowEdge], dict]:
        kind = self.kinds[node]
        kids = self.children[node]
        if (kind in _LEAF_TYPES or not kids) and kind != "comment":
            idx, code = self.index_to_code[(self.starts[node], self.ends[node])]
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
        kinds = self.kinds
        walk = self.walk
        if any(kinds[child] == "for_in_clause" for child in kids):  # for-in clauses first
            for child in kids:
                if kinds[child] == "for_in_clause":
                    found, states = walk(child, states)
                    edges += found
            for child in kids:
                if kinds[child] != "for_in_clause":
                    found, states = walk(child, states)
                    edges += found
        else:
            for child in kids:
                found, states = walk(child, states)
                edges += found
        return _by_index(edges), states

    def _default_parameter(self, node: int, states: dict) -> tuple[list[DataFlowEdge], dict]:
        fields = self.fields[node]
        name, value = fields["name"], fields["value"]
        index_to_code = self.index_to_code
        edges: list[DataFlowEdge] = []
        if value is None:
            for span in self._variable_spans(name):  # type: ignore[arg-type]
                idx, code = index_to_code[span]
                edges.append((code, idx, "comesFrom", [], []))
                states[code] = [idx]
            return _by_index(edges), states
        name_spans = self._variable_spans(name)  # type: ignore[arg-type]
        value_spans = self._variable_spans(value)
        found, states = self.walk(value, states)
        edges += found
        for span1 in name_spans:
            idx1, code1 = index_to_code[span1]
            for span2 in value_spans:
                idx2, code2 = index_to_code[span2]
                edges.append((code1, idx1, "comesFrom", [code2], [idx2]))
            states[code1] = [idx1]
        return _by_index(edges), states

    def _assignment(self, node: int, states: dict) -> tuple[list[DataFlowEdge], dict]:
        if self.kinds[node] == "for_in_clause":
            right_nodes = [self.children[node][-1]]
            left_nodes = [self.fields[node]["left"]]
        else:
            if self.fields[node]["right"] is None:
                return [], states
            left_nodes, right_nodes = self._split_sides(node)
        edges: list[DataFlowEdge] = []
        for right in right_nodes:
            found, states = self.walk(right, states)
            edges += found
        edges += self._edges_from(left_nodes, right_nodes, states)  # type: ignore[arg-type]
        return _by_index(edges), states

    def _if_statement(self, node: int, states: dict) -> tuple[list[DataFlowEdge], dict]:
        kinds = self.kinds
        edges: list[DataFlowEdge] = []
        current = states.copy()
        branch_states = []
        has_else = "else" in kinds[node]
        for child in self.children[node]:
            child_kind = kinds[child]
            if "else" in child_kind:
                has_else = True
            if child_kind not in ("elif_clause", "else_clause"):
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

    def _for_statement(self, node: int, states: dict) -> tuple[list[DataFlowEdge], dict]:
        edges: list[DataFlowEdge] = []
        last = self.children[node][-1]
        for _ in range(2):  # the loop body is visited twice so that back edges appear
            left_nodes, right_nodes = self._split_sides(node)
            for right in right_nodes:
                found, states = self.walk(right, states)
                edges += found
            edges += self._edges_from(left_nodes, right_nodes, states)
            if self.kinds[last] == "block":
                found, states = self.walk(last, states)
                edges += found
        return self._merge_loop(edges), states

    def _while_statement(self, node: int, states: dict) -> tuple[list[DataFlowEdge], dict]:
        edges: list[DataFlowEdge] = []
        for _ in range(2):
            for child in self.children[node]:
                found, states = self.walk(child, states)
                edges += found
        return self._merge_loop(edges), states


def data_flow_flat(code: str, tree: FlatTree, *, parents: str = "official") -> list[DataFlowEdge]:
    """:func:`.dataflow.data_flow` of ``code`` from its flattened tree (the same graph)."""
    unique = unique_function(parents)
    graph: list[DataFlowEdge]
    try:
        index_to_code = index_tokens(code, token_spans(tree))
        try:
            edges, _ = _FlatWalker(tree, index_to_code, unique).walk(0, {})
        except Exception:  # noqa: BLE001 - the official walk gives up silently, and so must we
            edges = []
        graph = linked_edges(edges)
    except Exception:  # noqa: BLE001 - as data_flow
        graph = []
    return merge_nodes(graph, unique)
