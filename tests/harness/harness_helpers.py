"""Helpers for harness tests: tiny submissions written on the fly, small limits."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from fusionbench.isolation.sandbox import Limits, bwrap_path

BWRAP = bwrap_path()
needs_bwrap = pytest.mark.skipif(BWRAP is None, reason="bubblewrap is not installed (CI installs it)")

#: Small limits so that hostile submissions are stopped within seconds.
FAST = Limits(wall_time_s=20, memory_bytes=400 * 1024**2, max_processes=64, output_bytes=5 * 1024**2)


def write_submission(folder: Path, code: str, *, entrypoint: str = "python run.py", **metadata: object) -> Path:
    """A submission folder with ``run.py`` holding ``code`` (dedented) and a ``metadata.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "run.py").write_text(textwrap.dedent(code), encoding="utf-8")
    (folder / "metadata.json").write_text(json.dumps({"entrypoint": entrypoint, **metadata}), encoding="utf-8")
    return folder


#: Writes an HTR prediction of "" for every input image (a valid, zero-scoring output).
EMPTY_HTR = """
import json, os
os.makedirs("output", exist_ok=True)
names = sorted(os.listdir("input/HTR/images"))
json.dump({n: "" for n in names}, open("output/prediction_HTR.json", "w"))
"""
