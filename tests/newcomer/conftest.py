"""Fixtures of the newcomer tests: one exported challenge split (``input/`` + ``answers/``) and
the same split with its answers beside ``input/`` (the flat form)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("datasets")


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """HTR and C2C of the sample test split as ``fusionbench export challenge`` writes them."""
    from fusionbench.data.export import export_challenge

    root = tmp_path_factory.mktemp("exported")
    return export_challenge(root / "split", split="test", tasks=["HTR", "C2C"],
                            cache_dir=root / "cache")


@pytest.fixture(scope="session")
def flat(exported: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same split with ``true_<TASK>.json`` beside ``input/`` (no ``answers/``)."""
    target = tmp_path_factory.mktemp("flat") / "split"
    shutil.copytree(exported / "input", target / "input")
    for truth in (exported / "answers").iterdir():
        shutil.copy(truth, target / truth.name)
    return target
