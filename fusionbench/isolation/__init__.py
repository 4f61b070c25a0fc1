"""Running untrusted code: bubblewrap sandbox, resource limits, cgroups, cleanup.

Infrastructure below both :mod:`fusionbench.metrics` (the C2C execution metric runs candidate
functions here) and :mod:`fusionbench.harness` (submissions run here); it imports neither.
"""

from fusionbench.isolation.sandbox import Limits, RunOutcome, bwrap_path, run_entrypoint

__all__ = ["Limits", "RunOutcome", "bwrap_path", "run_entrypoint"]
