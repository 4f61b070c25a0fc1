"""Training and predicting C2C alone from a chosen public source (``--source avatar --data-dir``)."""

from __future__ import annotations

import json

import pytest

from fusionbench.baselines.cli import main

# Five AVATAR-style pairs whose texts share no identifier with the sample benchmark's C2C rows.
_PAIRS = [
    (f"zq{i}", f"static int zebraQuux{i} ( int yak ) {{ return yak * {i} ; }}",
     f"def zebraQuux{i} ( yak ) : NEW_LINE INDENT return yak * {i} NEW_LINE DEDENT")
    for i in range(5)
]


@pytest.fixture()
def avatar_dir(tmp_path):
    """A folder in AVATAR's layout (train/valid/test.jsonl), as ``fusionbench audit --write-clean`` writes."""
    root = tmp_path / "clean"
    root.mkdir()
    for stem, pairs in (("train", _PAIRS), ("valid", _PAIRS[:2]), ("test", _PAIRS[2:4])):
        lines = [json.dumps({"id": i, "java": [j], "python": [p]}) for i, j, p in pairs]
        (root / f"{stem}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def test_train_c2c_from_avatar_folder_uses_only_its_rows(avatar_dir, tmp_path):
    from fusionbench.baselines.train import Trainer, TrainConfig

    config = TrainConfig(preset="tiny", overrides={"tokenizer_vocab": 300}, tasks=("c2c",), source="avatar",
                         data_dir=str(avatar_dir), steps=2, batch_size=2, output_dir=str(tmp_path / "ck"),
                         progress=False, device="cpu")
    trainer = Trainer(config, resume=False)
    assert list(trainer.rows) == ["c2c"]
    assert [r["id"] for r in trainer.rows["c2c"]] == [p[0] for p in _PAIRS]
    # The tokenizer is trained on the given rows alone: their identifier is one token or few,
    # and the HTR alphabet is empty (no HTR rows in this source).
    assert trainer.model.alphabet == ""
    assert len(trainer.model.tokenizer.encode("zebraQuux")) <= 3
    summary = trainer.run()
    assert summary["steps"] == 2 and list(summary["final_loss"]) == ["c2c"]
    assert (tmp_path / "ck" / "checkpoint.pt").is_file()


def test_predict_split_of_a_c2c_source_writes_only_c2c(avatar_dir, tmp_path, capsys):
    assert main(["train", "--tasks", "c2c", "--source", "avatar", "--data-dir", str(avatar_dir), "--steps", "1",
                 "--batch-size", "2", "--set", "tokenizer_vocab=300", "--set", "max_c2c_tokens=4",
                 "--output", str(tmp_path / "ck"), "--device", "cpu", "--no-progress"]) == 0
    assert main(["predict", str(tmp_path / "ck"), "--split", "test", "--source", "avatar",
                 "--data-dir", str(avatar_dir), "--output", str(tmp_path / "out")]) == 0
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["prediction_C2C.json"]
    predictions = json.loads((tmp_path / "out" / "prediction_C2C.json").read_text(encoding="utf-8"))
    assert sorted(predictions) == ["zq2", "zq3"]


@pytest.mark.parametrize("argv, expected", [
    (["--tasks", "c2c,htr", "--source", "avatar"], "data source 'avatar' serves only c2c; cannot use it for htr"),
    (["--tasks", "c2c", "--source", "avatr"], "unknown data source 'avatr'; expected one of"),
])
def test_train_refuses_a_bad_source_with_one_clear_error(avatar_dir, tmp_path, capsys, argv, expected):
    status = main(["train", *argv, "--data-dir", str(avatar_dir), "--steps", "1", "--output", str(tmp_path / "ck"),
                   "--no-progress"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("fusionbench: error: ") and expected in err and err.count("\n") == 1
    assert not (tmp_path / "ck").exists()
