"""Reading and validating official files: every bad input gets one located error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fusionbench.errors import FormatError, MissingFileError, json_path
from fusionbench.formats import find_task_file, read_task_file, tasks_in_directory, validate
from fusionbench.jsonio import read_json_object, write_json_atomic


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_json_path_renders_keys_and_indices():
    assert json_path("img.jpg", "a \"dog\"", 2) == '$["img.jpg"]["a \\"dog\\""][2]'


def test_not_json_names_file_line_and_column(tmp_path):
    f = write(tmp_path / "true_HTR.json", '{"0.png": "a",\n "1.png": }')
    with pytest.raises(FormatError) as err:
        read_json_object(f)
    assert str(f) in str(err.value) and "line 2" in str(err.value)


def test_not_utf8_names_offset(tmp_path):
    f = write(tmp_path / "true_HTR.json", b'{"0.png": "' + "мама".encode("cp1251") + b'"}')
    with pytest.raises(FormatError, match="not valid UTF-8.*offset 11"):
        read_json_object(f)


def test_utf8_bom_is_accepted(tmp_path):
    f = write(tmp_path / "x.json", b"\xef\xbb\xbf" + '{"a": "б"}'.encode())
    assert read_json_object(f) == {"a": "б"}


def test_top_level_must_be_object(tmp_path):
    f = write(tmp_path / "x.json", '["a", "b"]')
    with pytest.raises(FormatError, match=r"top level must be a JSON object.*found list"):
        read_json_object(f)


def test_duplicate_keys_are_refused_with_their_path(tmp_path):
    f = write(tmp_path / "true_zsOD.json", '{"1.jpg": {"a cat": [], "a dog": [], "a cat": [[0,0,1,1]]}}')
    with pytest.raises(FormatError) as err:
        read_json_object(f)
    assert "duplicate key 'a cat'" in str(err.value)
    assert '$["1.jpg"]' in str(err.value)


def test_duplicate_top_level_key(tmp_path):
    f = write(tmp_path / "x.json", '{"0": "a", "0": "b"}')
    with pytest.raises(FormatError, match=r"duplicate key '0'.* at \$|at \$: duplicate key '0'"):
        read_json_object(f)


def test_oversized_file_is_refused_before_reading(tmp_path, monkeypatch):
    f = write(tmp_path / "x.json", '{"0": "' + "a" * 5000 + '"}')
    with pytest.raises(FormatError, match="too large"):
        read_json_object(f, max_bytes=1000)
    monkeypatch.setenv("FUSIONBENCH_MAX_JSON_BYTES", "100")
    with pytest.raises(FormatError, match="limit is 100 bytes"):
        read_json_object(f)


def test_missing_file(tmp_path):
    with pytest.raises(MissingFileError, match="file not found"):
        read_json_object(tmp_path / "nope.json")


@pytest.mark.parametrize(
    ("task", "role", "data", "pattern"),
    [
        ("HTR", "reference", {"0.png": 5}, r'\$\["0.png"\].*expected a string, found number 5'),
        ("HTR", "prediction", {"0.png": None}, r"found null"),
        ("C2C", "prediction", {"0": ["def"]}, r"expected a string"),
        ("zsOD", "reference", {"1.jpg": {"a cat": "[1,2,3,4]"}}, r"expected a list of boxes"),
        ("zsOD", "reference", {"1.jpg": {"a cat": [[1, 2, 3]]}}, r'\["a cat"\]\[0\].*4 numbers'),
        ("zsOD", "prediction", {"1.jpg": {"a cat": [[1, 2, 3, 4, 5]]}}, r"4 numbers"),
        ("zsOD", "prediction", {"1.jpg": {"a cat": [[1, 2, "3", 4]]}}, r'\[0\]\[2\].*non-numeric'),
        ("zsOD", "prediction", {"1.jpg": {"a cat": [[1, 2, True, 4]]}}, r"found boolean true"),
        ("zsOD", "prediction", {"1.jpg": {"a cat": [[1, 2, float("nan"), 4]]}}, r"not finite"),
        ("zsOD", "prediction", {"1.jpg": {"a cat": [[1, 2, float("inf"), 4]]}}, r"not finite"),
        ("zsOD", "reference", {"1.jpg": {"a cat": [[]]}}, r"4 numbers"),
        ("zsOD", "prediction", {"1.jpg": ["a cat"]}, r"mapping descriptions"),
        ("VQA", "reference", {"0": {"answer": "да", "question_id": 1, "lang": "de"}}, r"unknown language.*'de'"),
        ("VQA", "reference", {"0": {"answer": "yes", "question_id": 1}}, r'\["lang"\].*missing field'),
        ("VQA", "reference", {"0": {"answer": [], "question_id": 1, "lang": "en"}}, r"empty answer list"),
        ("VQA", "reference", {"0": "yes"}, r"looks like a prediction"),
        ("VQA", "prediction", {"0": {"answer": "yes", "lang": "en"}}, r"looks like a reference"),
        ("VQA", "prediction", {"0": 2}, r"expected a string"),
        ("HTR", "reference", {}, r"reference file is empty"),
    ],
)
def test_invalid_values_are_located(task, role, data, pattern):
    with pytest.raises(FormatError, match=pattern):
        validate(task, data, role, file="f.json")


def test_valid_objects_pass():
    validate("zsOD", {"1.jpg": {"a cat": [[0, 0.5, 10, 10]], "a dog": []}}, "reference")
    validate("zsOD", {"1.jpg": {"a cat": [[]]}}, "prediction")
    validate("VQA", {"0": {"answer": ["2", "два"], "question_id": 7, "lang": "ru"}}, "reference")
    validate("HTR", {}, "prediction")


def test_od_alias_is_found_and_ambiguity_refused(tmp_path):
    write(tmp_path / "true_OD.json", "{}")
    assert find_task_file(tmp_path, "zsOD", "reference").name == "true_OD.json"
    assert tasks_in_directory(tmp_path, "reference") == ["zsOD"]
    write(tmp_path / "true_zsOD.json", "{}")
    with pytest.raises(FormatError, match="keep only one"):
        find_task_file(tmp_path, "zsod", "reference")


def test_read_task_file_reports_expected_names(tmp_path):
    with pytest.raises(MissingFileError, match="prediction_zsOD.json or prediction_OD.json"):
        read_task_file(tmp_path, "zsOD", "prediction")


def test_atomic_write_leaves_no_partial_file(tmp_path):
    target = tmp_path / "out.json"
    write_json_atomic(target, {"a": 1})
    with pytest.raises(ValueError):
        write_json_atomic(target, {"a": float("nan")})  # not serialisable as strict JSON
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
