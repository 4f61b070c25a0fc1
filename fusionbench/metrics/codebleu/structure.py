"""Syntax and data-flow counts per item, analysing each distinct string once.

:func:`structural_counts` is what runs inside the worker processes (see :mod:`.workers`); it is
also importable by path from the legacy helper environment, so it takes the parser and the
S-expression renderer as arguments and imports nothing but the sibling pure-Python modules.

The analysis of one string (:class:`Analysis`) is everything the counts need from its tree: its
subtree S-expressions and its data-flow graph, already renamed (``var_0``, ``var_1``, …) and
frozen into tuples.  Analyses can be kept across calls (``memo``) and supplied from a cache
(``known``); a supplied analysis must be exactly what :func:`analyse` would return.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping, Sequence
from typing import Any

try:  # normal package import
    from fusionbench.metrics.codebleu.accel import cut_accelerator, structure_accelerator
    from fusionbench.metrics.codebleu.dataflow import data_flow, normalize_data_flow, normalized_counts
    from fusionbench.metrics.codebleu.syntax import subtree_sexps, subtree_sexps_fast, subtree_sexps_shaped
except ImportError:  # loaded by file path inside the legacy helper environment
    from dataflow import data_flow, normalize_data_flow, normalized_counts  # type: ignore[no-redef]
    from syntax import subtree_sexps, subtree_sexps_fast  # type: ignore[no-redef]

    def structure_accelerator() -> None:  # type: ignore[misc]
        return None  # the legacy route runs the Python walk under the old runtime

__all__ = ["Analysis", "StructuralCounts", "analyse", "freeze_flow", "structural_counts"]

#: (syntax matches, reference subtrees, data-flow matches, reference data-flow edges)
StructuralCounts = tuple[int, int, int, int]
#: (subtree S-expressions, normalised data-flow edges as (name, relation, (parents, …)))
Analysis = tuple[list[str], list[tuple[str, str, tuple[str, ...]]]]


def freeze_flow(edges: Sequence[Sequence[Any]]) -> list[tuple[str, str, tuple[str, ...]]]:
    """Normalised edges as hashable tuples (equality is that of the official lists)."""
    return [(name, relation, tuple(parents)) for name, relation, parents in edges]


def analyse(
    code: str,
    parse: Callable[[str], Any],
    *,
    sexp: Callable[[Any], str] = str,
    parents: str = "official",
    transform: Callable[[str], str] | None = None,
) -> Analysis:
    """The subtree S-expressions and normalised data-flow graph of one source string."""
    source = transform(code) if transform else code
    root = parse(source).root_node
    if sexp is str:  # modern runtime
        fast = structure_accelerator()  # C where built: one read of the tree for both passes
        found = fast(root, source, parents) if fast is not None else None  # None: left to Python
        if found is not None:
            flow, shape = found
            subtrees = subtree_sexps_shaped(root, shape, cut_accelerator())
            return subtrees, freeze_flow(normalize_data_flow(flow))
        # S-expressions cut from one str(root) (the same multiset as str(node) for each node)
        subtrees = subtree_sexps_fast(root)
        return subtrees, freeze_flow(normalize_data_flow(data_flow(source, root, parents=parents)))
    subtrees = subtree_sexps(root, sexp)
    return subtrees, freeze_flow(normalize_data_flow(data_flow(source, root, parents=parents)))


def structural_counts(
    pairs: Sequence[tuple[str, str]],
    parse: Callable[[str], Any],
    *,
    sexp: Callable[[Any], str] = str,
    parents: str = "official",
    transform: Callable[[str], str] | None = None,
    memo: MutableMapping[str, Analysis] | None = None,
    known: MutableMapping[str, Analysis] | None = None,
) -> list[StructuralCounts]:
    """Counts for each (reference, candidate) pair, in order.

    Args:
        pairs: (reference, candidate) source strings.
        parse: parses a source string into a tree-sitter tree.
        sexp: renders a node as its S-expression (``str`` on modern runtimes).
        parents: data-flow parent order, ``"official"`` or ``"sorted"``.
        transform: applied to each string before parsing (e.g. detokenisation); ``None`` = as is.
        memo: analyses by string, read and filled (kept by the caller across calls with the
            same parser and options).
        known: analyses by string to use as they are (e.g. read from a cache); not filled.
    """
    table: MutableMapping[str, Analysis] = {} if memo is None else memo
    sets: dict[str, set[str]] = {}

    def get(code: str) -> Analysis:
        found = table.get(code)
        if found is None and known is not None:
            found = known.get(code)
        if found is None:
            found = analyse(code, parse, sexp=sexp, parents=parents, transform=transform)
            table[code] = found
        return found

    results: list[StructuralCounts] = []
    for reference, candidate in pairs:
        ref_subtrees, ref_flow = get(reference)
        cand_subtrees, cand_flow = get(candidate)
        cand_set = sets.get(candidate)
        if cand_set is None:
            cand_set = sets[candidate] = set(cand_subtrees)
        syntax_matches = sum(1 for s in ref_subtrees if s in cand_set)
        flow_matches, flow_total = normalized_counts(ref_flow, cand_flow)
        results.append((syntax_matches, len(ref_subtrees), flow_matches, flow_total))
    return results
