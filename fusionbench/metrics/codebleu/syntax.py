"""CodeBLEU's syntax match: reference subtrees found among the candidate's subtrees.

Official rule, per item: walk each tree from the root, keeping the root and every descendant
that has children (reached through nodes that have children); each kept node contributes its
S-expression.  A reference subtree matches when the same S-expression occurs anywhere among the
candidate's kept nodes (membership, not clipped counts).  Counts are pooled over the corpus;
:func:`fusionbench.metrics.codebleu.structure.structural_counts` does the matching.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["subtree_sexps"]


def _modern_sexp(node: Any) -> str:
    return str(node)


def subtree_sexps(root: Any, sexp: Callable[[Any], str] = _modern_sexp) -> list[str]:
    """S-expressions of the root and of every descendant that has children.

    Args:
        root: a tree-sitter root node.
        sexp: renders a node (``str(node)`` on modern runtimes, ``node.sexp()`` on 0.2.0).
    """
    found = []
    stack = [root]
    while stack:
        node = stack.pop()
        found.append(sexp(node))
        stack.extend(child for child in node.children if child.child_count)
    return found
