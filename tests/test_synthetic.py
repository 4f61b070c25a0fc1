"""The synthetic generator is deterministic and writes valid official files."""

from __future__ import annotations

import hashlib

from fusionbench.formats import read_task_file
from fusionbench.synthetic import write_set
from fusionbench.tasks import TASK_ORDER


def digest(directory) -> str:
    h = hashlib.sha256()
    for file in sorted(directory.iterdir()):
        h.update(file.name.encode() + file.read_bytes())
    return h.hexdigest()


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for d in (a, b, c):
        d.mkdir()
    write_set(a, seed=1, scale=0.005)
    write_set(b, seed=1, scale=0.005)
    write_set(c, seed=2, scale=0.005)
    assert digest(a) == digest(b) != digest(c)


def test_files_are_valid_and_cover_the_quirks(tmp_path):
    counts = write_set(tmp_path, seed=0, scale=0.02)
    assert counts == {"C2C": 34, "HTR": 299, "zsOD": 20, "VQA": 109}
    for task in TASK_ORDER:
        read_task_file(tmp_path, task, "reference")
        read_task_file(tmp_path, task, "prediction")
    _, htr_pred = read_task_file(tmp_path, "HTR", "prediction")
    assert len(htr_pred) < counts["HTR"]  # some predictions are missing
    _, zsod_ref = read_task_file(tmp_path, "zsOD", "reference")
    assert any(boxes == [] for descs in zsod_ref.values() for boxes in descs.values())  # negatives
