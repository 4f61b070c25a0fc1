"""What a clone, an sdist and a wheel carry, and what they tell the user: licences, cards,
examples, the published name, the example submission's declared sharing ratio."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
tomllib = pytest.importorskip("tomllib")  # Python >= 3.11


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_distribution_name_is_publishable_and_the_import_name_stays():
    name = _project()["project"]["name"]
    normalised = name.lower().replace("_", "-").replace(".", "-")
    assert normalised != "fusion-bench" and normalised.replace("-", "") != "fusionbench"  # PyPI's clash rule
    assert (ROOT / "fusionbench" / "__init__.py").is_file()
    assert _project()["project"]["license"]["text"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert "license: MIT" in (ROOT / "CITATION.cff").read_text(encoding="utf-8")  # one licence everywhere


def test_the_readme_installs_what_pyproject_names():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    name = _project()["project"]["name"]
    assert readme.index("make demo") < readme.index("make test") < 600  # the first two commands
    assert "pip install ." in readme and "git+https://" in readme and f'"{name}[' in readme
    assert '"fusionbench[' not in readme  # the old, unpublishable name


def _build(kind: str, out: Path) -> Path:
    """Build an sdist or wheel of a clean copy of the tracked files (the repository stays untouched)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    src = out / "src"
    for name in files.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            (src / name).write_bytes((ROOT / name).read_bytes())
    code = f"from setuptools import build_meta as b; print(b.build_{kind}({str(out)!r}))"
    result = subprocess.run([sys.executable, "-c", code], cwd=src, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return out / result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> list[str]:
    if subprocess.run(["git", "-C", str(ROOT), "rev-parse"], capture_output=True).returncode != 0:
        pytest.skip("not a git checkout")
    path = _build("sdist", tmp_path_factory.mktemp("sdist"))
    with tarfile.open(path) as archive:
        return [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]


def test_the_sdist_carries_licence_examples_and_cards(sdist):
    for name in ("LICENSE", "Makefile", "examples/submissions/trivial/metadata.json",
                 "examples/submissions/baseline/metadata.json", "fusionbench/data/dataset_cards/htr.md",
                 "tests/test_packaging.py", "benchmarks/score_speed.py"):
        assert name in sdist, name


def test_the_wheel_carries_the_dataset_cards(tmp_path):
    if subprocess.run(["git", "-C", str(ROOT), "rev-parse"], capture_output=True).returncode != 0:
        pytest.skip("not a git checkout")
    with zipfile.ZipFile(_build("wheel", tmp_path)) as wheel:
        names = set(wheel.namelist())
    assert {f"fusionbench/data/dataset_cards/{c}.md" for c in ("htr", "zsod", "vqa", "c2c")} <= names
    assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith("LICENSE") for n in names)


def test_the_exported_hub_card_has_licences_per_config(tmp_path):
    pytest.importorskip("datasets")
    from fusionbench.data.export import export_hub

    out = export_hub(tmp_path / "hub", configs=["c2c", "zsod"], cache_dir=tmp_path / "cache")
    card = (out / "README.md").read_text(encoding="utf-8")
    header = card.split("---", 2)[1]
    licence_lines = header.split("license:\n", 1)[1].split("pretty_name:")[0].split()
    assert sorted(x for x in licence_lines if x != "-") == ["cc-by-4.0", "cc-by-sa-4.0", "mit"]
    assert "- `c2c`: mit, cc-by-sa-4.0" in card and "- `zsod`: mit, cc-by-4.0" in card
    assert "\n## FusionBrain Java-to-Python translation\n" in card  # the per-config cards follow, a level down
    assert "\n## FusionBrain zero-shot object detection\n" in card and "### Sources" in card
    import datasets

    assert datasets.load_dataset(str(out), "c2c", split="test").num_rows == 120  # the YAML still loads


def test_the_baseline_example_declares_the_models_sharing_ratio(capsys):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from fusionbench.baselines.cli import main

    metadata = json.loads((ROOT / "examples/submissions/baseline/metadata.json").read_text(encoding="utf-8"))
    assert metadata["name"] == "baseline-tiny"
    # the model `train --preset tiny` builds (same vocabularies); M/N depends on the architecture only
    assert main(["describe", "--preset", "tiny", "--json"]) == 0
    computed = json.loads(capsys.readouterr().out)["sharing_ratio"]
    assert metadata["sharing_ratio"] == round(computed, 3)
