"""The command line: the JSON contract, the table, exit statuses and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fusionbench import __version__
from fusionbench.cli import main

HTR_TRUE = {"0.png": "мама", "1.png": "Hello", "2.png": ""}
HTR_PRED = {"0.png": "мама", "1.png": "hello"}  # 2.png missing: "" == "" counts as correct
ZSOD_TRUE = {"1.jpg": {"a cat": [[0, 0, 10, 10]], "a dog": []}}
ZSOD_PRED = {"1.jpg": {"a cat": [[1, 1, 10, 10], [50, 50, 5, 5]], "a dog": [[0, 0, 1, 1]]}}


def write_json(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")


@pytest.fixture()
def dirs(tmp_path):
    ref, pred = tmp_path / "true", tmp_path / "pred"
    write_json(ref / "true_HTR.json", HTR_TRUE)
    write_json(pred / "prediction_HTR.json", HTR_PRED)
    write_json(ref / "true_OD.json", ZSOD_TRUE)
    write_json(pred / "prediction_zsOD.json", ZSOD_PRED)
    return ref, pred


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_json_output_is_exactly_one_object_with_the_contract_keys(dirs, capsys):
    ref, pred = dirs
    status, out, err = run(capsys, "score", str(ref), str(pred), "--json")
    assert status == 0
    payload = json.loads(out)  # exactly one object: json.loads refuses trailing data
    assert payload["fusionbench_version"] == __version__
    assert list(payload["tasks"]) == ["HTR", "zsOD"]
    htr = payload["tasks"]["HTR"]
    assert htr["score"] == pytest.approx(2 / 3, abs=0) and htr["rounded"] == 0.667
    assert htr["signature"].startswith("task:HTR|mode:official")
    zsod = payload["tasks"]["zsOD"]
    # cat: 1 TP (IoU 81/119 >= .5) + 1 FP; dog (negative): 1 FP
    assert (zsod["tp"], zsod["fp"], zsod["fn"]) == (1, 2, 0)
    assert payload["overall"] == round(0.667 + zsod["rounded"], 3)


def test_table_output_names_tasks_and_overall(dirs, capsys):
    ref, pred = dirs
    status, out, _ = run(capsys, "score", str(ref), str(pred), "--by-language")
    assert status == 0
    assert "HTR" in out and "zsOD" in out and "overall" in out and "ru" in out


def test_tasks_option_restricts_scoring(dirs, capsys):
    ref, pred = dirs
    status, out, _ = run(capsys, "score", str(ref), str(pred), "--tasks", "zsod", "--json")
    assert status == 0 and list(json.loads(out)["tasks"]) == ["zsOD"]


def test_out_file_is_written(dirs, capsys, tmp_path):
    ref, pred = dirs
    target = tmp_path / "report.json"
    status, out, _ = run(capsys, "score", str(ref), str(pred), "--json", "--out", str(target))
    assert status == 0 and json.loads(target.read_text()) == json.loads(out)


def test_missing_prediction_file_is_exit_2_one_line(dirs, capsys):
    ref, pred = dirs
    (pred / "prediction_HTR.json").unlink()
    status, out, err = run(capsys, "score", str(ref), str(pred), "--json")
    assert status == 2 and out == ""
    assert err.startswith("fusionbench: error:") and err.count("\n") == 1
    assert "prediction_HTR.json" in err


def test_swapped_directories_are_diagnosed(dirs, capsys):
    ref, pred = dirs
    status, _, err = run(capsys, "score", str(pred), str(ref))
    assert status == 2 and "swapped" in err


def test_invalid_value_names_file_and_path(dirs, capsys):
    ref, pred = dirs
    write_json(pred / "prediction_zsOD.json", {"1.jpg": {"a cat": [[0, 0, 10]], "a dog": []}})
    status, _, err = run(capsys, "score", str(ref), str(pred))
    assert status == 2
    assert "prediction_zsOD.json" in err and '$["1.jpg"]["a cat"][0]' in err


def test_missing_zsod_description_is_an_error_not_a_score(dirs, capsys):
    ref, pred = dirs
    write_json(pred / "prediction_zsOD.json", {"1.jpg": {"a cat": []}})
    status, out, err = run(capsys, "score", str(ref), str(pred), "--json")
    assert status == 2 and out == "" and "a dog" in err


def test_bad_arguments_are_one_line_exit_2(capsys):
    status, _, err = run(capsys, "score", "only-one-dir")
    assert status == 2 and err.startswith("fusionbench: error:") and err.count("\n") == 1
    status, _, err = run(capsys, "score", "a", "b", "--zsod-matching", "hungarian")
    assert status == 2 and "invalid choice" in err


def test_module_entry_point_runs(dirs):
    ref, pred = dirs
    proc = subprocess.run(
        [sys.executable, "-m", "fusionbench", "score", str(ref), str(pred), "--json"],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["tasks"]["HTR"]["rounded"] == 0.667
