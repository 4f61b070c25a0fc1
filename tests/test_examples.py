"""The example submission used by ``make demo`` runs on the sample test inputs and is scored."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import fusionbench
from fusionbench.data.sample_source import frozen_split

ROOT = Path(__file__).resolve().parents[1]


def test_trivial_submission_runs_and_scores_as_a_trivial_baseline(tmp_path):
    test = frozen_split("test")
    subprocess.run([sys.executable, str(ROOT / "examples/submissions/trivial/run.py"),
                    "--input", str(test / "input"), "--output", str(tmp_path)], check=True)
    report = fusionbench.evaluate(tmp_path, test)
    assert list(report.scores) == ["C2C", "HTR", "zsOD", "VQA"]
    assert report.scores["HTR"].score == 0.0 and report.scores["zsOD"].score == 0.0
    assert 0.0 < report.scores["VQA"].score < 0.5  # the most frequent answer only
    assert 0.3 < report.scores["C2C"].score < 0.95  # token mapping is far from exact
