"""One challenge layout everywhere: every reader takes ``input/`` + ``answers/`` and the flat form
(answers beside ``input/``), and every writer writes ``input/`` + ``answers/``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fusionbench.cli import main
from fusionbench.data.challenge import locate_split, read_split
from fusionbench.errors import MissingFileError


def _tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_export_challenge_writes_input_and_answers(exported):
    files = _tree(exported)
    assert {"answers/true_HTR.json", "answers/true_C2C.json", "input/C2C/requests.json"} <= files
    assert not any(name.startswith("true_") for name in files)  # nothing beside input/
    assert not any("true_" in name for name in files if name.startswith("input/"))


@pytest.mark.parametrize("task", ["HTR", "C2C"])
def test_read_split_reads_both_forms_the_same(exported, flat, task):
    from_answers = read_split(exported, task)
    from_flat = read_split(flat, task)
    assert len(from_answers) == len(json.loads((exported / "answers" / f"true_{task}.json").read_text("utf-8")))
    strip = (lambda rows, root: [{k: str(v).replace(str(root), "") for k, v in r.items()} for r in rows])
    assert strip(from_answers, exported) == strip(from_flat, flat)


def test_locate_split_names_what_is_missing(tmp_path, exported):
    with pytest.raises(MissingFileError, match="data directory not found"):
        locate_split(tmp_path / "nowhere")
    with pytest.raises(MissingFileError, match="no input/ folder"):
        locate_split(tmp_path)
    (tmp_path / "input").mkdir()
    with pytest.raises(MissingFileError, match="no true_<TASK>.json"):
        locate_split(tmp_path)
    found = locate_split(exported.parent, "split")  # DIR/<split> as `run --data DIR --split` takes it
    assert found.answers == exported / "answers" and found.inputs == exported / "input"


def test_load_dataset_takes_both_forms(exported, flat, tmp_path):
    from fusionbench import load_dataset

    a = load_dataset("c2c", "test", data_dir=exported, cache_dir=tmp_path / "a")
    b = load_dataset("c2c", "test", data_dir=flat, cache_dir=tmp_path / "b")
    assert a.num_rows == b.num_rows == 120 and a["python"] == b["python"]


def test_harness_data_folder_takes_both_forms(exported, flat):
    from fusionbench.harness.datasource import resolve_data

    a, b = resolve_data(exported), resolve_data(flat)
    assert a.references == exported / "answers" and b.references == flat
    assert a.tasks() == b.tasks() == ["C2C", "HTR"]
    assert a.identity(["HTR"])["references_sha256"] == b.identity(["HTR"])["references_sha256"]


def test_score_takes_a_challenge_folder_as_ref_dir(exported, tmp_path, capsys):
    preds = tmp_path / "preds"
    preds.mkdir()
    truth = json.loads((exported / "answers" / "true_HTR.json").read_text("utf-8"))
    (preds / "prediction_HTR.json").write_text(json.dumps(truth, ensure_ascii=False), "utf-8")
    for ref_dir in (exported, exported / "answers"):
        assert main(["score", str(ref_dir), str(preds), "--tasks", "HTR", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["tasks"]["HTR"]["score"] == 1.0


def test_export_hub_takes_a_challenge_folder(exported, tmp_path):
    from fusionbench.data.export import export_hub

    out = export_hub(tmp_path / "hub", configs=["c2c"], data_dir=exported, cache_dir=tmp_path / "cache")
    assert (out / "c2c" / "test-00000-of-00001.parquet").is_file()


def test_audit_write_clean_writes_what_export_challenge_writes(exported, flat, tmp_path, capsys):
    # train = the flat copy with one C2C item that leaks from the test split (answers/ form)
    requests = flat / "input" / "C2C" / "requests.json"
    truth = flat / "true_C2C.json"
    java, python = json.loads(requests.read_text("utf-8")), json.loads(truth.read_text("utf-8"))
    train = tmp_path / "train"
    import shutil

    shutil.copytree(flat, train)
    shutil.rmtree(train / "input" / "HTR")  # C2C only: the HTR images would all duplicate the test's
    (train / "true_HTR.json").unlink()
    first = next(iter(java))
    # one item copied from the test split (a leak) and three of its own
    java_train = {f"t{first}": java[first]}
    python_train = {f"t{first}": python[first]}
    for n in range(3):
        java_train[f"own{n}"] = f"static int f ( int a ) {{ return a * {n + 1000} ; }}"
        python_train[f"own{n}"] = f"def f ( a ) : NEW_LINE INDENT return a * {n + 1000} NEW_LINE DEDENT"
    (train / "input/C2C/requests.json").write_text(json.dumps(java_train, ensure_ascii=False), "utf-8")
    (train / "true_C2C.json").write_text(json.dumps(python_train, ensure_ascii=False), "utf-8")
    code = main(["audit", "--train", str(train), "--validation", str(exported), "--test", str(exported),
                 "--json", "--write-clean", str(tmp_path / "clean")])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert f"t{first}" in report["train_items_to_drop"]["C2C/train"]
    clean = tmp_path / "clean"
    assert {p.name for p in clean.iterdir()} == {p.name for p in exported.iterdir()} == {"input", "answers"}
    assert _tree(clean) == {n for n in _tree(exported) if "HTR" not in n}  # same files, same places
    kept = json.loads((clean / "answers" / "true_C2C.json").read_text("utf-8"))
    assert sorted(kept) == ["own0", "own1", "own2"]
    assert set(kept) == set(json.loads((clean / "input/C2C/requests.json").read_text("utf-8")))
    # the clean split reads back through the one reader
    assert len(read_split(clean, "C2C")) == len(kept)
    assert os.stat(clean).st_mode & 0o777 == 0o777 & ~_umask()


def test_audit_write_clean_refuses_an_existing_folder(tmp_path, flat, capsys):
    (tmp_path / "clean").mkdir()
    code = main(["audit", "--train", str(flat), "--test", str(flat), "--write-clean", str(tmp_path / "clean")])
    assert code == 2
    assert "already exists" in capsys.readouterr().err


def _umask() -> int:
    from fusionbench.jsonio import current_umask

    return current_umask()
