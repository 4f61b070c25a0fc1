"""``fusionbench.evaluate``: objects or directories, task selection, options, errors."""

from __future__ import annotations

import json

import pytest

import fusionbench
from fusionbench.errors import FusionBenchError, KeyMismatchError, MissingFileError

REFS = {
    "HTR": {"0.png": "мама", "1.png": "Cat", "2.png": "dog"},
    "zsOD": {"1.jpg": {"a cat": [[0, 0, 10, 10]], "кошка": [[0, 0, 10, 10]], "a dog": []}},
    "VQA": {
        "0": {"answer": "yes", "question_id": 0, "lang": "en"},
        "1": {"answer": ["2", "два"], "question_id": 1, "lang": "ru"},
    },
}
PREDS = {
    "HTR": {"0.png": "мама", "1.png": "cat", "2.png": "dog"},
    "zsOD": {"1.jpg": {"a cat": [[0, 0, 10, 10]], "кошка": [], "a dog": []}},
    "VQA": {"0": "Yes.", "1": "две"},
}


def test_objects_are_scored_per_task_with_overall():
    report = fusionbench.evaluate(PREDS, REFS)
    assert list(report.scores) == ["HTR", "zsOD", "VQA"]
    assert report.scores["HTR"].score == pytest.approx(2 / 3, abs=0)
    zsod = report.scores["zsOD"]
    assert (zsod.details["tp"], zsod.details["fp"], zsod.details["fn"]) == (1, 0, 1)
    assert zsod.score == pytest.approx(2 / 3, abs=0)
    assert report.scores["VQA"].score == 1.0  # "Yes." -> "yes", "две" -> lemma "два" -> "2"
    assert report.overall == round(0.667 + 0.667 + 1.0, 3)


def test_tasks_argument_accepts_config_names_and_strings():
    assert list(fusionbench.evaluate(PREDS, REFS, tasks=["zsod"]).scores) == ["zsOD"]
    assert list(fusionbench.evaluate(PREDS, REFS, tasks="vqa,htr").scores) == ["HTR", "VQA"]


def test_directories_and_objects_agree(tmp_path):
    for task in REFS:
        (tmp_path / f"true_{task}.json").write_text(json.dumps(REFS[task], ensure_ascii=False), encoding="utf-8")
        (tmp_path / f"prediction_{task}.json").write_text(json.dumps(PREDS[task], ensure_ascii=False), encoding="utf-8")
    from_dir = fusionbench.evaluate(tmp_path)  # references default to the same directory
    from_objects = fusionbench.evaluate(PREDS, REFS)
    assert from_dir.to_dict() == from_objects.to_dict()
    assert from_dir.sources["HTR"]["reference"].endswith("true_HTR.json")


def test_by_language_breakdown_is_an_option_named_in_the_signature():
    plain = fusionbench.evaluate(PREDS, REFS)
    split = fusionbench.evaluate(PREDS, REFS, by_language=True)
    assert plain.scores["HTR"].by_language is None
    assert set(split.scores["HTR"].by_language) == {"en", "ru"}
    assert split.scores["HTR"].by_language["ru"].score == 1.0
    assert split.scores["HTR"].by_language["en"].score == 0.5
    assert split.scores["HTR"].signature != plain.scores["HTR"].signature
    assert split.scores["HTR"].score == plain.scores["HTR"].score


def test_missing_task_prediction_is_an_error():
    with pytest.raises(MissingFileError, match="no prediction for zsOD"):
        fusionbench.evaluate({"HTR": PREDS["HTR"]}, REFS)


def test_vqa_key_mismatch_is_an_error_not_a_score():
    with pytest.raises(KeyMismatchError):
        fusionbench.evaluate({"VQA": {"0": "yes"}}, {"VQA": REFS["VQA"]})


def test_unknown_option_is_refused():
    with pytest.raises(TypeError, match="unknown option"):
        fusionbench.evaluate(PREDS, REFS, by_lang=True)
    with pytest.raises(FusionBenchError, match="zsod_matching"):
        fusionbench.evaluate(PREDS, REFS, zsod_matching="hungarian")


def test_objects_without_references_are_refused():
    with pytest.raises(FusionBenchError, match="references are required"):
        fusionbench.evaluate(PREDS)
