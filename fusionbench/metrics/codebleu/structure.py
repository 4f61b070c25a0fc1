"""Syntax and data-flow counts per item, parsing each distinct string once.

:func:`structural_counts` is what runs inside the worker processes (see :mod:`.workers`); it is
also importable by path from the legacy helper environment, so it takes the parser and the
S-expression renderer as arguments and imports nothing but the sibling pure-Python modules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

try:  # normal package import
    from fusionbench.metrics.codebleu.dataflow import data_flow, dataflow_counts
    from fusionbench.metrics.codebleu.syntax import subtree_sexps, subtree_sexps_fast
except ImportError:  # loaded by file path inside the legacy helper environment
    from dataflow import data_flow, dataflow_counts  # type: ignore[no-redef]
    from syntax import subtree_sexps, subtree_sexps_fast  # type: ignore[no-redef]

__all__ = ["StructuralCounts", "structural_counts"]

#: (syntax matches, reference subtrees, data-flow matches, reference data-flow edges)
StructuralCounts = tuple[int, int, int, int]


def structural_counts(
    pairs: Sequence[tuple[str, str]],
    parse: Callable[[str], Any],
    *,
    sexp: Callable[[Any], str] = str,
    parents: str = "official",
    transform: Callable[[str], str] | None = None,
) -> list[StructuralCounts]:
    """Counts for each (reference, candidate) pair, in order.

    Args:
        pairs: (reference, candidate) source strings.
        parse: parses a source string into a tree-sitter tree.
        sexp: renders a node as its S-expression (``str`` on modern runtimes).
        parents: data-flow parent order, ``"official"`` or ``"sorted"``.
        transform: applied to each string before parsing (e.g. detokenisation); ``None`` = as is.
    """
    cache: dict[str, tuple[list[str], set[str], list]] = {}

    def analyse(code: str) -> tuple[list[str], set[str], list]:
        if code not in cache:
            source = transform(code) if transform else code
            root = parse(source).root_node
            # modern runtime: all S-expressions cut from one str(root) (same multiset as str(node))
            subtrees = subtree_sexps_fast(root) if sexp is str else subtree_sexps(root, sexp)
            cache[code] = (subtrees, set(subtrees), data_flow(source, root, parents=parents))
        return cache[code]

    results: list[StructuralCounts] = []
    for reference, candidate in pairs:
        ref_subtrees, _, ref_graph = analyse(reference)
        _, cand_set, cand_graph = analyse(candidate)
        syntax_matches = sum(1 for s in ref_subtrees if s in cand_set)
        flow_matches, flow_total = dataflow_counts(ref_graph, cand_graph)
        results.append((syntax_matches, len(ref_subtrees), flow_matches, flow_total))
    return results
