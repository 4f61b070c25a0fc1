"""Which compiled accelerator, if any, the structural passes use.

The C data-flow walk (:mod:`._flowaccel`, built from ``_flowaccel.c`` by ``setup.py`` where a C
compiler is available) gives exactly the graphs of :func:`.dataflow.data_flow`; it is used when it
was built and the environment does not set ``FUSIONBENCH_PURE_PYTHON=1`` (read at each call, so a
test or a user can switch it off for one run).  Without it the pure-Python walk runs, with the same
results.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

__all__ = ["PURE_PYTHON_ENV", "flow_accelerator"]

#: Set to ``1`` to use the pure-Python code even where the accelerators were built.
PURE_PYTHON_ENV = "FUSIONBENCH_PURE_PYTHON"

try:
    from fusionbench.metrics.codebleu._flowaccel import data_flow as _c_data_flow
except ImportError:  # not built (no compiler at install time): the Python walk is used
    _c_data_flow = None


def flow_accelerator() -> Callable[[Any, str, str], list | None] | None:
    """``_flowaccel.data_flow(root, source, parents)`` if usable now, else ``None``.

    The function returns ``None`` for a tree it does not support (deeper than
    ``_flowaccel.MAX_FLAT_DEPTH``, or with a field child outside its node's children); the caller
    then runs :func:`.dataflow.data_flow`.
    """
    if _c_data_flow is None or os.environ.get(PURE_PYTHON_ENV) == "1":
        return None
    return _c_data_flow
