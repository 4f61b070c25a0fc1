"""Fixtures for harness tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fusionbench.data.sample_source import frozen_split


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A challenge-layout split with HTR and VQA copied from the sample test split (answers beside input/)."""
    source = frozen_split("test")
    target = tmp_path / "data"
    for task in ("HTR", "VQA"):
        shutil.copytree(source / "input" / task, target / "input" / task)
        shutil.copy(source / f"true_{task}.json", target / f"true_{task}.json")
    return target
