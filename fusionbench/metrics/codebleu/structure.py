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
    from fusionbench.metrics.codebleu.accel import compiled_structure
    from fusionbench.metrics.codebleu.dataflow import data_flow, normalize_data_flow, normalized_counts
    from fusionbench.metrics.codebleu.depth import tree_depth
    from fusionbench.metrics.codebleu.syntax import subtree_sexps, subtree_sexps_fast, subtree_sexps_shaped
except ImportError:  # loaded by file path inside the legacy helper environment
    from dataflow import data_flow, normalize_data_flow, normalized_counts  # type: ignore[no-redef]
    from syntax import subtree_sexps, subtree_sexps_fast  # type: ignore[no-redef]
    tree_depth = None  # type: ignore[assignment]  # the legacy route is checked by its caller

    def compiled_structure() -> None:  # type: ignore[misc]
        return None  # the legacy route runs the Python walk under the old runtime

__all__ = ["Analysis", "StructuralCounts", "TreeTooDeep", "analyse", "freeze_flow", "structural_counts"]

#: (syntax matches, reference subtrees, data-flow matches, reference data-flow edges)
StructuralCounts = tuple[int, int, int, int]
#: (subtree S-expressions, normalised data-flow edges as (name, relation, (parents, …)))
Analysis = tuple[list[str], list[tuple[str, str, tuple[str, ...]]]]


class TreeTooDeep(Exception):
    """A string's tree is deeper than the S-expression writer survives (see :mod:`.depth`).

    Attributes:
        depth: the depth found (at least the limit + 1).
        index: the pair's position in the ``pairs`` given to :func:`structural_counts`.
        role: ``"prediction"`` or ``"reference"``.
    """

    def __init__(self, depth: int, index: int = -1, role: str = "") -> None:
        super().__init__(f"parse tree at least {depth} levels deep")
        self.depth, self.index, self.role = depth, index, role
        self.chunk = 0  # which worker's share it was found in (set by the worker pool)


def _check_depth(source: str, root: Any, limit: int | None) -> None:
    if limit is not None and len(source) > limit // 3:  # shorter strings cannot be that deep
        depth = tree_depth(root, limit)
        if depth > limit:
            raise TreeTooDeep(depth)


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
    max_depth: int | None = None,
) -> Analysis:
    """The subtree S-expressions and normalised data-flow graph of one source string.

    Raises:
        TreeTooDeep: ``max_depth`` is given and the tree is deeper (checked before rendering).
    """
    source = transform(code) if transform else code
    root = parse(source).root_node
    _check_depth(source, root, max_depth)
    if sexp is str:  # modern runtime
        compiled = compiled_structure()  # C where built: one read of the tree for both passes
        # normalized (4th argument): the graph comes back as freeze_flow(normalize_data_flow(...))
        found = compiled[0](root, source, parents, True) if compiled is not None else None  # None: to Python
        if found is not None:
            flow, shape = found
            return subtree_sexps_shaped(root, shape, compiled[1], compiled[2]), flow
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
    max_depth: int | None = None,
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
        max_depth: refuse trees deeper than this (see :mod:`.depth`); ``None``: no check.

    Raises:
        TreeTooDeep: for the first string too deep, in the order (prediction, reference) of each
            pair, pairs in order; ``index`` and ``role`` name it.
    """
    table: MutableMapping[str, Analysis] = {} if memo is None else memo
    sets: dict[str, set[str]] = {}

    def get(code: str) -> Analysis:
        found = table.get(code)
        if found is None and known is not None:
            found = known.get(code)
        if found is None:
            found = analyse(code, parse, sexp=sexp, parents=parents, transform=transform, max_depth=max_depth)
            table[code] = found
        return found

    results: list[StructuralCounts] = []
    for index, (reference, candidate) in enumerate(pairs):
        role = "prediction"  # analysed first: it is the one named when both are too deep
        try:
            cand_subtrees, cand_flow = get(candidate)
            role = "reference"
            ref_subtrees, ref_flow = get(reference)
        except TreeTooDeep as exc:
            exc.index, exc.role = index, role
            raise
        cand_set = sets.get(candidate)
        if cand_set is None:
            cand_set = sets[candidate] = set(cand_subtrees)
        syntax_matches = sum(1 for s in ref_subtrees if s in cand_set)
        flow_matches, flow_total = normalized_counts(ref_flow, cand_flow)
        results.append((syntax_matches, len(ref_subtrees), flow_matches, flow_total))
    return results
