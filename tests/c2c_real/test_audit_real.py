"""The C2C leakage audit on real data: GfG test/validation and g4g splits against g4g train."""

from __future__ import annotations

import json

from fusionbench.cli import main
from fusionbench.data.audit import c2c_leakage, real_c2c_splits
from fusionbench.data.sources import avatar
from tests.c2c_real.conftest import MIRROR, needs_mirror

pytestmark = needs_mirror


def test_finds_the_verbatim_gfg_test_overlaps_and_near_duplicates(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf"))
    assert main(["audit", "--c2c-real", str(MIRROR), "--json", "--write-clean", str(tmp_path / "clean")]) == 0
    report = json.loads(capsys.readouterr().out)
    test = report["splits"]["transcoder_gfg/test"]
    # 339 distinct Java functions of the GfG test set are verbatim in g4g train (341 items: two repeat)
    assert (test["items"], test["verbatim"], test["verbatim_distinct"]) == (948, 341, 339)
    assert test["verbatim"] <= test["normalized"] <= test["near"]
    dropped = set(report["train_ids_to_drop"])
    clean = list(avatar.rows(tmp_path / "clean/train.jsonl"))
    assert len(clean) == 2388 - len(dropped) and not dropped & {row["id"] for row in clean}
    # the cleaned split has no evaluation item left in it
    _, evaluations = real_c2c_splits(MIRROR)
    cleaned = {row["id"]: (row["java"], row["python"]) for row in clean}
    again = c2c_leakage(cleaned, evaluations)
    assert all(c["verbatim"] == c["near"] == c["normalized"] == 0 for c in again.splits.values())
    from fusionbench.data import load_dataset

    loaded = load_dataset("c2c", source="avatar", data_dir=tmp_path / "clean", cache_dir=tmp_path / "hf2")
    assert {s: loaded[s].num_rows for s in loaded} == {"train": len(clean), "validation": 341, "test": 682}


def test_write_clean_never_overwrites(tmp_path, capsys):
    (tmp_path / "clean").mkdir()
    assert main(["audit", "--c2c-real", str(MIRROR), "--write-clean", str(tmp_path / "clean")]) == 2
    assert "already exists" in capsys.readouterr().err
