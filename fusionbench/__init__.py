"""fusionbench: the reference package for the FusionBrain (AIJ 2021) multitask benchmark.

Exact official metrics for C2C, HTR, zsOD and VQA, their file formats, and (lazily imported)
datasets, harness and baselines.  ``import fusionbench`` stays light: no torch, no datasets.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "evaluate"]


def __getattr__(name: str):  # PEP 562: keep the top-level import cheap
    if name == "evaluate":
        from fusionbench.evaluation import evaluate

        return evaluate
    if name == "load_dataset":
        from fusionbench.data import load_dataset

        return load_dataset
    raise AttributeError(f"module 'fusionbench' has no attribute {name!r}")
