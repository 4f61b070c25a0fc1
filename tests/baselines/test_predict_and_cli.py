"""Prediction files are valid official files; the CLI describes a model."""

from __future__ import annotations

import json
import shutil

import pytest

from fusionbench.baselines.cli import main
from fusionbench.baselines.predict import input_rows, predict_input, predict_rows, write_predictions
from fusionbench.data.sample_source import frozen_split
from fusionbench.formats import read_task_file


@pytest.fixture()
def small_input(tmp_path):
    """A challenge input/ directory with a few items of each task, copied from the sample test split."""
    source = frozen_split("test") / "input"
    target = tmp_path / "input"
    for task in ("HTR", "zsOD", "VQA"):
        (target / task / "images").mkdir(parents=True)
    for image in sorted((source / "HTR" / "images").iterdir())[:3]:
        shutil.copy(image, target / "HTR" / "images")
    requests = json.loads((source / "zsOD" / "requests.json").read_text(encoding="utf-8"))
    first = sorted(requests)[0]
    shutil.copy(source / "zsOD" / "images" / first, target / "zsOD" / "images")
    (target / "zsOD" / "requests.json").write_text(json.dumps({first: requests[first][:3]}), encoding="utf-8")
    questions = dict(list(json.loads((source / "VQA" / "questions.json").read_text(encoding="utf-8")).items())[:2])
    for q in questions.values():
        shutil.copy(source / "VQA" / "images" / q["file_name"], target / "VQA" / "images")
    (target / "VQA" / "questions.json").write_text(json.dumps(questions), encoding="utf-8")
    java = dict(list(json.loads((source / "C2C" / "requests.json").read_text(encoding="utf-8")).items())[:2])
    (target / "C2C").mkdir()
    (target / "C2C" / "requests.json").write_text(json.dumps(java), encoding="utf-8")
    return target


def test_predict_input_writes_four_valid_official_files(small_input, tmp_path, tiny_model):
    tiny_model.config.max_c2c_tokens = 12
    paths = predict_input(tiny_model, small_input, tmp_path / "out", threshold=0.0)
    assert sorted(p.name for p in paths) == ["prediction_C2C.json", "prediction_HTR.json",
                                             "prediction_VQA.json", "prediction_zsOD.json"]
    for task in ("C2C", "HTR", "zsOD", "VQA"):
        _, data = read_task_file(tmp_path / "out", task, "prediction")
        assert len(data) == {"C2C": 2, "HTR": 3, "zsOD": 1, "VQA": 2}[task]
    _, zsod = read_task_file(tmp_path / "out", "zsOD", "prediction")
    boxes = next(iter(zsod.values()))
    assert len(boxes) == 3 and all(len(b) == 12 for b in boxes.values())  # threshold 0 keeps all 12 queries


def test_predict_rows_on_dataset_rows_are_scorable(rows, tmp_path, tiny_model):
    import fusionbench
    from fusionbench.baselines.predict import reference_object

    predictions = {"htr": predict_rows(tiny_model, "htr", rows["htr"][:4]),
                   "vqa": predict_rows(tiny_model, "vqa", rows["vqa"][:4])}
    write_predictions(predictions, tmp_path)
    report = fusionbench.evaluate(tmp_path, {"HTR": reference_object("htr", rows["htr"][:4]),
                                             "VQA": reference_object("vqa", rows["vqa"][:4])})
    assert set(report.scores) == {"HTR", "VQA"}


def test_input_rows_of_a_missing_task_is_none(tmp_path):
    assert input_rows(tmp_path, "c2c") is None


def test_cli_describe_reports_the_sharing_ratio(capsys):
    assert main(["describe", "--preset", "tiny", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["total"] == sum(info["modules"][m]["total"] for m in info["modules"]) + \
        sum(h["total"] for h in info["heads"].values())
    assert 0 < info["sharing_ratio"] < 1 and info["shared_by_all_tasks"] < info["total"]


def test_cli_reports_missing_pretrained_weights(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("FUSIONBENCH_GPT2_DIR", str(tmp_path / "nowhere"))
    assert main(["describe", "--preset", "gpt2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fusionbench: error:") and "FUSIONBENCH_GPT2_DIR" in err


def test_cli_train_passes_task_weights_and_head_lr_scale(tmp_path):
    import torch

    out = tmp_path / "ckpt"
    assert main(["train", "--tasks", "htr,vqa", "--steps", "2", "--batch-size", "htr=2,vqa=3", "--task-weights",
                 "htr=0.7,vqa=0.3", "--head-lr-scale", "htr=6", "--output", str(out), "--no-progress"]) == 0
    state = torch.load(out / "checkpoint.pt", map_location="cpu", weights_only=False)
    assert state["train_config"]["weights_by_task"] == {"htr": 0.7, "vqa": 0.3}
    assert state["train_config"]["head_lr_scale"] == {"htr": 6.0}
    assert state["train_config"]["batch_size"] == {"htr": 2, "vqa": 3}


def test_cli_train_refuses_a_malformed_task_list(tmp_path):
    import pytest

    with pytest.raises(SystemExit, match="--head-lr-scale expects TASK=NUMBER"):
        main(["train", "--head-lr-scale", "htr:6", "--output", str(tmp_path / "x")])
    with pytest.raises(SystemExit, match="--batch-size expects"):
        main(["train", "--batch-size", "many", "--output", str(tmp_path / "x")])
