"""The leakage audit finds planted duplicates and reports none on clean splits."""

from __future__ import annotations

import json
import shutil

import pytest

pytest.importorskip("PIL")

from fusionbench.data.audit import audit, normalize_code, write_clean_split  # noqa: E402
from fusionbench.data.sample import generate  # noqa: E402
from fusionbench.data.sample_source import frozen_split  # noqa: E402

SMALL = {"HTR": 10, "zsOD": 4, "VQA": 20, "C2C": 10}


def test_identifier_normalisation():
    assert normalize_code("def f ( x ) : return x + y") == normalize_code("def g ( a ) : return a + b")
    assert normalize_code("x = 1") != normalize_code("x = 2")


def test_clean_splits_show_no_train_overlap(tmp_path):
    train = generate("train", tmp_path / "train", sizes=SMALL)
    report = audit({"train": train, "test": frozen_split("test")})
    assert all(e == n == 0 for row in report.images.values() for (t, s), (e, n) in row.items() if s == "train")
    assert report.code == {"test": 0} and not report.duplicates


def test_planted_duplicates_are_found_and_cleaned(tmp_path):
    train = generate("train", tmp_path / "train", sizes=SMALL)
    test = frozen_split("test")
    # plant: one HTR test image (re-saved, so only the pixels match) and one C2C test pair
    from PIL import Image

    leaked = sorted((test / "input/HTR/images").iterdir())[0]
    Image.open(leaked).save(train / "input/HTR/images/leak.png")
    labels = json.loads((train / "true_HTR.json").read_text(encoding="utf-8"))
    labels["leak.png"] = "x"
    (train / "true_HTR.json").write_text(json.dumps(labels, ensure_ascii=False), encoding="utf-8")
    for name in ("input/C2C/requests.json", "true_C2C.json"):
        source = json.loads((test / name).read_text(encoding="utf-8"))
        target = json.loads((train / name).read_text(encoding="utf-8"))
        target["leak"] = source["0"]
        (train / name).write_text(json.dumps(target, ensure_ascii=False), encoding="utf-8")

    report = audit({"train": train, "test": test})
    assert report.images[("HTR", "test")][("HTR", "train")] == (1, 1)
    assert report.code["test"] == 1
    assert report.duplicates == {("HTR", "train"): {"leak.png"}, ("C2C", "train"): {"leak"}}
    assert "HTR/test" in report.table() and report.to_dict()["c2c_duplicates"] == {"test": 1}

    clean = write_clean_split(train, tmp_path / "clean", report)
    again = audit({"train": clean, "test": test})
    assert not again.duplicates and again.code["test"] == 0
    assert "leak.png" not in json.loads((clean / "answers" / "true_HTR.json").read_text(encoding="utf-8"))
    shutil.rmtree(clean)
