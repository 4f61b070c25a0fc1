"""The Hub export loads with stock ``datasets`` and carries the images inside the Parquet files."""

from __future__ import annotations

import shutil

import pytest

datasets = pytest.importorskip("datasets")

from fusionbench.data.export import export_hub  # noqa: E402
from fusionbench.errors import FusionBenchError  # noqa: E402

from .test_builders import layout  # noqa: E402,F401 - the challenge-layout fixture


def test_export_loads_with_stock_datasets_without_the_source_folder(layout, tmp_path):  # noqa: F811
    out = export_hub(tmp_path / "hub", configs=["zsod", "htr", "c2c"], data_dir=layout, cache_dir=tmp_path / "c")
    card = (out / "README.md").read_text()
    assert "config_name: zsod" in card and "path: zsod/test-*.parquet" in card
    assert "## FusionBrain zero-shot object detection" in card  # the dataset card is reused
    shutil.rmtree(layout)  # images must be embedded, not referenced
    zsod = datasets.load_dataset(str(out), "zsod", split="test", cache_dir=str(tmp_path / "c2"))
    assert zsod[0]["descriptions"][0]["boxes"] == [[1.0, 2.0, 10.0, 12.0]]
    assert zsod[0]["image"].size == (64, 48)
    htr = datasets.load_dataset(str(out), "htr", split="test", cache_dir=str(tmp_path / "c2"))
    assert htr["text"] == ["мама", "cat"]


def test_existing_export_folder_is_refused_and_nothing_half_written(layout, tmp_path):  # noqa: F811
    (tmp_path / "hub").mkdir()
    with pytest.raises(FusionBenchError, match="already exists"):
        export_hub(tmp_path / "hub", configs=["c2c"], data_dir=layout)
    (layout / "true_C2C.json").write_text("{}", encoding="utf-8")
    with pytest.raises(FusionBenchError):
        export_hub(tmp_path / "hub2", configs=["c2c"], data_dir=layout, cache_dir=tmp_path / "c")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("hub", ".hub"))) == ["hub"]


def test_cli_export_hub(layout, tmp_path):  # noqa: F811
    from fusionbench.cli import main

    assert main(["export", "hub", str(tmp_path / "out"), "--configs", "c2c", "--data-dir", str(layout)]) == 0
    assert (tmp_path / "out" / "c2c" / "test-00000-of-00001.parquet").is_file()
    assert main(["export", "hub", str(tmp_path / "out"), "--configs", "c2c", "--data-dir", str(layout)]) == 2


def test_challenge_export_round_trips_the_sample_test_split(tmp_path):
    from fusionbench.data.challenge import read_split
    from fusionbench.data.export import export_challenge
    from fusionbench.data.sample_source import frozen_split
    from fusionbench.tasks import TASK_ORDER

    out = export_challenge(tmp_path / "challenge", split="test", cache_dir=tmp_path / "c")
    assert not list((out / "input").rglob("true_*.json"))  # answers are kept apart
    merged = tmp_path / "merged"
    shutil.copytree(out / "input", merged / "input")
    for answers in (out / "answers").iterdir():
        shutil.copy(answers, merged / answers.name)
    original = frozen_split("test")
    for task in TASK_ORDER:
        def strip(rows):
            return [{k: (v.rsplit("/", 1)[-1] if k == "image" else v) for k, v in row.items()} for row in rows]
        assert strip(read_split(merged, task)) == strip(read_split(original, task)), task
    for image in original.rglob("*.png"):
        assert (merged / image.relative_to(original)).read_bytes() == image.read_bytes()


def test_cli_export_challenge(layout, tmp_path):  # noqa: F811
    from fusionbench.cli import main

    assert main(["export", "challenge", str(tmp_path / "ch"), "--tasks", "c2c,htr", "--data-dir", str(layout)]) == 0
    assert (tmp_path / "ch" / "answers" / "true_HTR.json").is_file()
    assert (tmp_path / "ch" / "input" / "C2C" / "requests.json").is_file()
