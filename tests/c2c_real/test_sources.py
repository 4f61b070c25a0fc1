"""The ``transcoder_gfg`` and ``avatar_g4g`` sources on the shared mirror: sizes, ids, checksums."""

from __future__ import annotations

import shutil

import pytest

from fusionbench.data import load_dataset
from fusionbench.errors import FusionBenchError
from tests.c2c_real.conftest import MIRROR, gfg_split, needs_mirror

pytestmark = needs_mirror


def test_transcoder_gfg_splits_ids_and_has_test(tmp_path):
    data = load_dataset("c2c", source="transcoder_gfg", data_dir=MIRROR, cache_dir=tmp_path)
    assert {split: data[split].num_rows for split in data} == {"test": 948, "validation": 470}
    test = data["test"]
    assert test.column_names == ["id", "java", "python", "has_test"]
    expected = gfg_split("test")
    assert test["id"] == list(expected)
    assert test[0]["python"] == expected[test[0]["id"]][1]
    scripts = {p.stem for p in (MIRROR / "transcoder_evaluation_gfg/python").glob("*.py")}
    assert sum(test["has_test"]) == 464 and sum(data["validation"]["has_test"]) == 238
    assert all(h == (i in scripts) for i, h in zip(test["id"], test["has_test"]))


def test_avatar_g4g_splits(tmp_path):
    data = load_dataset("c2c", source="avatar_g4g", data_dir=MIRROR, cache_dir=tmp_path)
    assert {split: data[split].num_rows for split in data} == {"train": 2388, "validation": 341, "test": 682}
    assert data["train"][0]["id"] == "geeksforgeeks_886_A"
    assert data["train"][0]["python"].startswith("def gcd ( a , b ) : NEW_LINE INDENT")
    assert len(set(data["train"]["id"])) == 2388


def test_mirror_file_with_the_wrong_sum_is_one_clear_error(tmp_path):
    mirror = tmp_path / "mirror"
    shutil.copytree(MIRROR / "transcoder_test_gfg", mirror / "transcoder_test_gfg")
    bad = mirror / "transcoder_test_gfg/valid.java-python.java"
    bad.write_text(bad.read_text(encoding="utf-8") + "extra\n", encoding="utf-8")
    with pytest.raises(FusionBenchError) as info:
        load_dataset("c2c", source="transcoder_gfg", data_dir=mirror, cache_dir=tmp_path / "hf")
    message = str(info.value)
    assert str(bad) in message and "d72605c0aa34f6d007de0a3f035503674af4bdf7fa33c834bf1172b4c47fea6c" in message


def test_offline_download_names_the_url_and_the_file_to_place(tmp_path, monkeypatch):
    from fusionbench.metrics.execution import pins

    monkeypatch.setattr(pins, "AVATAR_URL", "http://127.0.0.1:9/data/")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "0")
    with pytest.raises(FusionBenchError) as info:
        load_dataset("c2c", source="avatar_g4g", cache_dir=tmp_path)
    message = str(info.value)
    assert "http://127.0.0.1:9/data/g4g_functions.zip" in message and "data_dir=" in message
    assert "07952c1b9927164c60d75311183e47640664fa93abb5e63fcbc65deaa6f59a5c" in message
