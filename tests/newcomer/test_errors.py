"""What a newcomer's first mistakes get: one clear line, and a hint where a guess is safe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fusionbench.cli import main
from fusionbench.errors import FusionBenchError

SAMPLE_TEST = Path(__file__).resolve().parents[2] / "fusionbench" / "data" / "sample_data" / "test"


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fusionbench: error:"), err
    return lines[0]


def test_a_bad_split_name_lists_the_splits(tmp_path):
    pytest.importorskip("datasets")
    from fusionbench import load_dataset

    with pytest.raises(FusionBenchError) as caught:
        load_dataset("htr", "dev", cache_dir=tmp_path)
    assert "'dev'" in str(caught.value) and "train, validation, test" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert load_dataset("htr", "test[:3]", cache_dir=tmp_path).num_rows == 3  # control: slices still work


def test_a_missing_ref_dir_is_called_missing(tmp_path, capsys):
    (tmp_path / "preds").mkdir()
    assert main(["score", str(tmp_path / "nowhere"), str(tmp_path / "preds")]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "reference directory not found" in line and "nowhere" in line
    assert main(["score", str(tmp_path / "preds"), str(tmp_path / "preds")]) == 2  # control: exists, empty
    assert "no reference file in the reference directory" in capsys.readouterr().err


@pytest.mark.parametrize("wrong, right", [
    ("predictions_HTR.json", "prediction_HTR.json"),
    ("prediction_htr.json", "prediction_HTR.json"),
    ("prediction_VQA.JSON", "prediction_VQA.json"),
])
def test_a_near_miss_prediction_file_gets_a_hint(tmp_path, capsys, wrong, right):
    task = right[len("prediction_"):-len(".json")]
    preds = tmp_path / "preds"
    preds.mkdir()
    (preds / wrong).write_text("{}", encoding="utf-8")
    assert main(["score", str(SAMPLE_TEST), str(preds), "--tasks", task]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert f"did you mean {right}? found {wrong}" in line


def test_an_unrelated_file_gets_no_hint(tmp_path, capsys):
    preds = tmp_path / "preds"
    preds.mkdir()
    (preds / "notes.json").write_text("{}", encoding="utf-8")
    assert main(["score", str(SAMPLE_TEST), str(preds), "--tasks", "HTR"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "no prediction file for HTR" in line and "did you mean" not in line


def test_a_near_miss_reference_file_gets_a_hint(tmp_path, capsys):
    refs = tmp_path / "refs"
    refs.mkdir()
    (refs / "true_HTR.jsn").write_text("{}", encoding="utf-8")
    assert main(["score", str(refs), str(refs)]) == 2
    assert "did you mean true_HTR.json? found true_HTR.jsn" in _one_error_line(capsys.readouterr().err)


def _blocked(modules: list[str], code: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter where importing ``modules`` fails as if not installed."""
    blocker = (
        "import sys\n"
        f"for name in {modules!r}:\n"
        "    sys.modules[name] = None  # import raises ImportError\n"
    )
    return subprocess.run([sys.executable, "-c", blocker + code, *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def test_public_sources_name_the_sources_extra(tmp_path):
    pytest.importorskip("datasets")
    code = (
        "from fusionbench import load_dataset\n"
        "from fusionbench.errors import FusionBenchError\n"
        f"try:\n    load_dataset('htr', source='fusionbrain', cache_dir={str(tmp_path)!r})\n"
        "except FusionBenchError as exc:\n    print('ERROR', exc)\n"
    )
    result = _blocked(["requests", "aiohttp"], code)
    assert "ERROR downloading https://" in result.stdout, result.stderr[-2000:]
    assert "fusionbench-eval[sources]" in result.stdout and "requests and aiohttp" in result.stdout


def test_the_sources_extra_declares_what_downloads_need():
    tomllib = pytest.importorskip("tomllib")
    from fusionbench.data.source_splits import SOURCES_EXTRA

    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())["project"]
    declared = {spec.split(">")[0].split("=")[0] for spec in project["optional-dependencies"]["sources"]}
    assert set(SOURCES_EXTRA) <= declared


def test_baselines_without_torch_is_one_line(tmp_path):
    # the real command, in an interpreter where torch cannot be imported (a sitecustomize blocks it)
    (tmp_path / "sitecustomize.py").write_text("import sys\nsys.modules['torch'] = None\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "fusionbench.baselines", "--help"], capture_output=True,
                            text=True, timeout=300, env=env)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("python -m fusionbench.baselines: error:") and "fusionbench-eval[baselines]" in lines[0]
    assert result.stdout == ""


def test_importing_baselines_without_torch_is_a_short_import_error():
    code = "try:\n    import fusionbench.baselines\nexcept ImportError as exc:\n" \
           "    print('IMPORT', exc, exc.__cause__ is None and exc.__suppress_context__)\n"
    result = _blocked(["torch"], code)
    assert "IMPORT fusionbench.baselines needs the baselines extra" in result.stdout
    assert result.stdout.strip().endswith("True")


def test_baselines_help_with_torch_still_works():
    pytest.importorskip("torch")
    result = subprocess.run([sys.executable, "-m", "fusionbench.baselines", "--help"], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0 and "train" in result.stdout


def test_every_train_option_has_help():
    pytest.importorskip("torch")
    import argparse

    from fusionbench.baselines.cli import _parser

    parser = _parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    train = sub.choices["train"]
    options = [a for a in train._actions if a.option_strings and a.dest != "help"]
    assert len(options) >= 20
    missing = [a.option_strings[0] for a in options if not (a.help and a.help.strip())]
    assert missing == []
