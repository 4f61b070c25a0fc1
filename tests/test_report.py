"""Signatures, the integral score and the report's renderings."""

from __future__ import annotations

import pytest

from fusionbench import __version__
from fusionbench.metrics.integral import integral_score
from fusionbench.metrics.result import TaskScore, round3
from fusionbench.report import Report
from fusionbench.signature import Signature, format_signature


def test_signature_drops_unset_keys_writes_booleans_and_puts_version_last():
    text = format_signature({"version": "9", "task": "zsOD", "match": None, "refnorm": True, "iou": 0.5})
    assert text == "task:zsOD|refnorm:yes|iou:0.5|version:9"
    assert format_signature({"task": "HTR"}).endswith(f"|version:{__version__}")


def test_signature_parses_back():
    sig = Signature(task="VQA", mode="official")
    assert Signature.parse(str(sig)) == {"task": "VQA", "mode": "official", "version": __version__}


def test_integral_rounds_each_task_before_summing():
    # 0.0004 + 0.0004 would round to 0.001 if summed first; officially each rounds to 0.0
    assert integral_score({"HTR": 0.0004, "VQA": 0.0004}) == 0.0
    assert integral_score({"HTR": 0.1, "zsOD": 0.2}) == 0.3  # no 0.30000000000000004
    assert integral_score({}) == 0.0


def test_round3_matches_python_round_half_even_on_binary_floats():
    assert round3(0.0005) == round(0.0005, 3) and round3(2 / 3) == 0.667


def make(task: str, score: float) -> TaskScore:
    return TaskScore(task=task, score=score, signature=f"task:{task}", stats={"n": 1}, details={"x": 1})


def test_report_dict_follows_the_contract():
    report = Report({"HTR": make("HTR", 0.12345), "VQA": make("VQA", 0.5)})
    payload = report.to_dict()
    assert set(payload) == {"fusionbench_version", "tasks", "overall"}
    assert payload["tasks"]["HTR"]["score"] == 0.12345 and payload["tasks"]["HTR"]["rounded"] == 0.123
    assert payload["tasks"]["HTR"]["x"] == 1 and payload["overall"] == pytest.approx(0.623, abs=0)


def test_table_lists_every_task_and_language():
    sub = {"en": make("HTR", 1.0), "ru": make("HTR", 0.0)}
    report = Report({"HTR": TaskScore("HTR", 0.5, "task:HTR", by_language=sub)})
    table = report.table()
    assert "HTR" in table and "en" in table and "ru" in table and "0.500" in table and "overall" in table
