"""Which compiled accelerator, if any, the structural passes use.

The C data-flow walk (:mod:`._flowaccel`, built from ``_flowaccel.c`` by ``setup.py`` where a C
compiler is available) gives exactly the graphs of :func:`.dataflow.data_flow`, and from the same
read of the tree the shape that lets the syntax pass skip its own walk; it is used when it
was built and the environment does not set ``FUSIONBENCH_PURE_PYTHON=1`` (read at each call, so a
test or a user can switch it off for one run).  Without it the pure-Python walk runs, with the same
results.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

__all__ = [
    "PURE_PYTHON_ENV",
    "compiled_path",
    "compiled_structure",
    "cut_accelerator",
    "flow_accelerator",
    "rendering_cut_accelerator",
    "structure_accelerator",
]

#: Set to ``1`` to use the pure-Python code even where the accelerators were built.
PURE_PYTHON_ENV = "FUSIONBENCH_PURE_PYTHON"

try:
    from fusionbench.metrics.codebleu import _flowaccel
    from fusionbench.metrics.codebleu._flowaccel import data_flow as _c_data_flow
    from fusionbench.metrics.codebleu._flowaccel import cut_rendering as _c_cut_rendering
    from fusionbench.metrics.codebleu._flowaccel import cut_subtrees as _c_cut_subtrees
    from fusionbench.metrics.codebleu._flowaccel import structure as _c_structure
except ImportError:  # not built (no compiler at install time): the Python walk is used
    _flowaccel = None  # type: ignore[assignment]
    _c_data_flow = _c_structure = _c_cut_subtrees = _c_cut_rendering = None


def compiled_path() -> str | None:
    """The file of the compiled module where it was built (part of the reference cache's key)."""
    return getattr(_flowaccel, "__file__", None)


def _usable(function: Callable[..., Any] | None) -> Callable[..., Any] | None:
    """``function`` unless it was not built or ``FUSIONBENCH_PURE_PYTHON=1`` (read now)."""
    if function is None or os.environ.get(PURE_PYTHON_ENV) == "1":
        return None
    return function


def flow_accelerator() -> Callable[[Any, str, str], list | None] | None:
    """``_flowaccel.data_flow(root, source, parents)`` if usable now, else ``None``.

    The function returns ``None`` for a tree it does not support (deeper than
    ``_flowaccel.MAX_FLAT_DEPTH``, or with a field child outside its node's children); the caller
    then runs :func:`.dataflow.data_flow`.
    """
    return _usable(_c_data_flow)


def structure_accelerator() -> Callable[..., tuple[list, bytes | None] | None] | None:
    """``_flowaccel.structure(root, source, parents, normalized=False)`` if usable now, else ``None``.

    The function returns ``(data_flow graph, shape)`` from one read of the tree, the shape being
    what :func:`.syntax.subtree_sexps_shaped` needs, or ``None`` where ``data_flow`` would.  With
    ``normalized`` true the graph is already ``freeze_flow(normalize_data_flow(graph))``.
    """
    return _usable(_c_structure)


def cut_accelerator() -> Callable[[str, list[int], list[int], bytes], list[str] | None] | None:
    """``_flowaccel.cut_subtrees`` (the ``cut`` of :func:`.syntax.subtree_sexps_shaped`), or ``None``."""
    return _usable(_c_cut_subtrees)


def rendering_cut_accelerator() -> Callable[[str, bytes], list[str] | None] | None:
    """``_flowaccel.cut_rendering`` (the ``cut_whole`` of :func:`.syntax.subtree_sexps_shaped`), or ``None``."""
    return _usable(_c_cut_rendering)


def compiled_structure() -> tuple[Callable[..., Any], Callable[..., Any] | None, Callable[..., Any] | None] | None:
    """``(structure, cut_subtrees, cut_rendering)`` for :func:`.structure.analyse`, or ``None``.

    One look at the environment per analysed string instead of one per function.
    """
    structure = _usable(_c_structure)
    return None if structure is None else (structure, _c_cut_subtrees, _c_cut_rendering)
