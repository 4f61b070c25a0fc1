"""pyproject.toml lists every subpackage: a folder missing from the list would be left out of the wheel."""

from __future__ import annotations

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

ROOT = Path(__file__).resolve().parents[1]


def _packages_on_disk() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapped = {name: ROOT / folder for name, folder in config.get("package-dir", {}).items()}
    roots = {"fusionbench": ROOT / "fusionbench", **mapped}
    found = set()
    for name, folder in roots.items():
        for init in folder.rglob("__init__.py"):
            relative = init.parent.relative_to(folder).parts
            found.add(".".join((name, *relative)))
    return found


def test_every_package_is_installed():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = config.get("packages")
    if isinstance(listed, list):  # an explicit list: it must name every package folder
        assert sorted(_packages_on_disk() - set(listed)) == []
    else:  # automatic discovery of fusionbench*
        assert config["packages"]["find"]["include"] == ["fusionbench*"]
