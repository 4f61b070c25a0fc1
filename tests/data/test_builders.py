"""``fusionbench.load_dataset`` on challenge-layout folders: features, streaming, errors, cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("datasets")
PIL = pytest.importorskip("PIL.Image")

import fusionbench  # noqa: E402
from fusionbench.errors import FormatError, FusionBenchError, KeyMismatchError, MissingFileError  # noqa: E402


def dump(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")


def image(path: Path, size=(32, 16), colour=(200, 10, 10)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    PIL.new("RGB", size, colour).save(path)


@pytest.fixture()
def layout(tmp_path) -> Path:
    root = tmp_path / "split"
    image(root / "input/HTR/images/0.png")
    image(root / "input/HTR/images/1.png", colour=(0, 0, 0))
    dump(root / "true_HTR.json", {"0.png": "мама", "1.png": "cat"})
    image(root / "input/zsOD/images/7.jpg", size=(64, 48))
    dump(root / "input/zsOD/requests.json", {"7.jpg": ["a red square", "синий круг"]})
    dump(root / "true_zsOD.json", {"7.jpg": {"a red square": [[1, 2, 10, 12]], "синий круг": []}})
    image(root / "input/VQA/images/7.jpg")
    dump(root / "input/VQA/questions.json", {"0": {"file_name": "7.jpg", "question": "Какого цвета квадрат?"}})
    dump(root / "true_VQA.json", {"0": {"answer": ["красный"], "question_id": 11, "lang": "ru"}})
    dump(root / "input/C2C/requests.json", {"0": "int f ( int x ) { return x ; }"})
    dump(root / "true_C2C.json", {"0": "def f ( x ) : NEW_LINE INDENT return x NEW_LINE DEDENT"})
    return root


def test_each_config_loads_as_a_test_split_with_its_features(layout, tmp_path):
    cache = tmp_path / "cache"
    htr = fusionbench.load_dataset("htr", data_dir=layout, cache_dir=cache)
    assert list(htr) == ["test"]
    rows = htr["test"]
    assert rows["text"] == ["мама", "cat"] and rows["language"] == ["ru", "en"]
    assert rows[0]["image"].size == (32, 16)

    zsod = fusionbench.load_dataset("zsod", "test", data_dir=layout, cache_dir=cache)
    descriptions = zsod[0]["descriptions"]
    assert (zsod[0]["width"], zsod[0]["height"]) == (64, 48)
    assert descriptions[0] == {"text": "a red square", "language": "en", "positive": True, "boxes": [[1.0, 2.0, 10.0, 12.0]]}
    assert descriptions[1]["positive"] is False and descriptions[1]["language"] == "ru"

    vqa = fusionbench.load_dataset("VQA", "test", data_dir=layout, cache_dir=cache)
    assert vqa[0]["answers"] == ["красный"] and vqa[0]["question_id"] == 11 and vqa[0]["image_id"] == "7"

    c2c = fusionbench.load_dataset("c2c", "test", data_dir=layout, cache_dir=cache)
    assert c2c[0]["java"].startswith("int f") and "NEW_LINE" in c2c[0]["python"]


def test_streaming_gives_the_same_rows(layout, tmp_path):
    stored = fusionbench.load_dataset("zsod", "test", data_dir=layout, cache_dir=tmp_path / "c")
    streamed = fusionbench.load_dataset("zsod", "test", data_dir=layout, streaming=True)
    first = next(iter(streamed))
    assert first["descriptions"] == stored[0]["descriptions"] and first["image_id"] == "7.jpg"


@pytest.mark.parametrize(
    ("breakage", "error", "pattern"),
    [
        (lambda r: (r / "input/HTR/images/1.png").unlink(), KeyMismatchError, "1 in true_HTR.json but not in input/HTR/images"),
        (lambda r: (r / "input/HTR/images/0.png").write_bytes(b"not a png"), FormatError, "broken or unreadable image"),
        (lambda r: (r / "true_HTR.json").unlink(), MissingFileError, "true_HTR.json"),
    ],
)
def test_broken_htr_folders_fail_with_one_clear_error(layout, tmp_path, breakage, error, pattern):
    breakage(layout)
    with pytest.raises(error, match=pattern):
        fusionbench.load_dataset("htr", data_dir=layout, cache_dir=tmp_path / "cache")


def test_negative_box_and_unknown_language_are_refused(layout, tmp_path):
    dump(layout / "true_zsOD.json", {"7.jpg": {"a red square": [[1, 2, -10, 12]], "синий круг": []}})
    with pytest.raises(FormatError, match="negative size"):
        fusionbench.load_dataset("zsod", data_dir=layout, cache_dir=tmp_path / "c1")
    dump(layout / "true_VQA.json", {"0": {"answer": ["красный"], "question_id": 11, "lang": "de"}})
    with pytest.raises(FormatError, match="unknown language"):
        fusionbench.load_dataset("vqa", data_dir=layout, cache_dir=tmp_path / "c2")


def test_a_failed_prepare_leaves_no_dataset_behind(layout, tmp_path):
    cache = tmp_path / "cache"
    good = json.loads((layout / "true_HTR.json").read_text())
    dump(layout / "true_HTR.json", {"0.png": "мама", "1.png": 5})
    with pytest.raises(FormatError):
        fusionbench.load_dataset("htr", data_dir=layout, cache_dir=cache)
    dump(layout / "true_HTR.json", good)
    assert fusionbench.load_dataset("htr", "test", data_dir=layout, cache_dir=cache)["text"] == ["мама", "cat"]


def test_sources_are_checked(layout):  # noqa: D103
    with pytest.raises(FusionBenchError, match="unknown source"):
        fusionbench.load_dataset("htr", source="nowhere")
    with pytest.raises(FusionBenchError, match="data_dir not found"):
        fusionbench.load_dataset("htr", data_dir=layout / "missing")


@pytest.mark.parametrize("config", ["htr", "zsod", "vqa", "c2c"])
def test_the_shipped_sample_streams_offline(config):
    rows = list(fusionbench.load_dataset(config, "test", streaming=True))
    assert len(rows) in (40, 120, 200)  # zsOD images, C2C pairs, HTR words / VQA questions


def test_the_sample_has_train_validation_and_test(tmp_path, monkeypatch):
    monkeypatch.setenv("FUSIONBENCH_CACHE", str(tmp_path / "fb"))
    ds = fusionbench.load_dataset("c2c", cache_dir=tmp_path / "hf")
    assert {k: len(v) for k, v in ds.items()} == {"train": 2000, "validation": 60, "test": 120}
    assert (tmp_path / "fb" / "sample-v1-seed2021" / "train" / "meta.json").is_file()


def _htr_validation_paths(monkeypatch, frozen: Path, cache: Path) -> list[str]:
    from fusionbench.data import sample_source

    monkeypatch.setattr(sample_source, "FROZEN", frozen)
    dataset = fusionbench.load_dataset("htr", split="validation", cache_dir=cache)
    return [row["path"] for row in dataset.cast_column("image", __import__("datasets").Image(decode=False))["image"]]


@pytest.mark.parametrize("control", [False, True])
def test_sample_cache_from_a_moved_installation_is_not_reused(tmp_path, monkeypatch, control):
    """The prepared sample refers to its images by path: an installation that moved (a deleted
    clone, another venv) must prepare it again, not hand out paths that no longer exist."""
    import shutil

    from fusionbench.data import sample_source

    monkeypatch.setenv("FUSIONBENCH_CACHE", str(tmp_path / "fb-cache"))
    if control:  # the key without the location: the stale paths come back
        monkeypatch.setattr(sample_source, "location_fingerprint", lambda seed=2021: "same")
    real = sample_source.FROZEN
    first, second = tmp_path / "one" / "sample_data", tmp_path / "two" / "sample_data"
    shutil.copytree(real, first)
    paths = _htr_validation_paths(monkeypatch, first, tmp_path / "hf")
    assert paths and all(p.startswith(str(first)) and Path(p).is_file() for p in paths)
    shutil.copytree(first, second)
    shutil.rmtree(first)  # the first installation is gone
    paths = _htr_validation_paths(monkeypatch, second, tmp_path / "hf")
    if control:
        assert not any(Path(p).is_file() for p in paths)
    else:
        assert paths and all(p.startswith(str(second)) and Path(p).is_file() for p in paths)
