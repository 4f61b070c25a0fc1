"""Exact FusionBrain metrics, torch-free.

Each task module follows one design: per-item sufficient statistics (a frozen dataclass that
supports ``+``), an aggregate that turns summed statistics into a :class:`TaskScore`, a
convenience function that does both over whole official objects, and a streaming accumulator.
"""

from fusionbench.metrics.sharing import SharingReport, sharing_ratio

__all__ = ["SharingReport", "sharing_ratio"]
