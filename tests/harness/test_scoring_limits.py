"""Scoring is bounded in time and leaves nothing behind: a prediction that is cheap to write and
slow to score (CodeBLEU's data flow is quadratic in variables x statements) makes its task invalid
at the scoring time limit, the other tasks are still scored, and the scoring child's process group
(its CodeBLEU workers included) is gone afterwards, also when the harness is stopped with SIGTERM."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from harness_helpers import FAST, needs_bwrap, write_submission

from fusionbench.harness.runner import run_submission

pytestmark = needs_bwrap

#: n variables then n ``if`` statements in the first C2C item; an empty HTR prediction.
SLOW_C2C = """
import json, os
n = int(os.environ["N"])
keys = json.load(open("input/C2C/requests.json"))
slow = "def f(c):\\n" + "".join(f"    v{i} = 1\\n" for i in range(n)) + "    if c:\\n        pass\\n" * n + "    return c\\n"
os.makedirs("output", exist_ok=True)
json.dump({k: (slow if i == 0 else "def f ( ) : NEW_LINE INDENT return 0 NEW_LINE DEDENT") for i, k in enumerate(keys)},
          open("output/prediction_C2C.json", "w"))
json.dump({n: "" for n in sorted(os.listdir("input/HTR/images"))}, open("output/prediction_HTR.json", "w"))
"""


def _marked(marker: str) -> list[int]:
    """Live processes whose environment holds ``marker`` (read from /proc; zombies have none)."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker.encode() in Path(entry.path, "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def _worker_running(marker: str) -> bool:
    for pid in _marked(marker):
        try:
            if b"codebleu.worker" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return True
        except OSError:
            pass
    return False


def _run_slow(tmp_path: Path, n: int, score_time_s: float, monkeypatch) -> dict:
    marker = f"FB_SCORE_TEST_{uuid.uuid4().hex}"
    monkeypatch.setenv(marker, "1")  # inherited by the scoring child and its CodeBLEU workers
    submission = write_submission(tmp_path / "sub", SLOW_C2C)
    limits = dataclasses.replace(FAST, score_time_s=score_time_s)
    started = time.monotonic()
    record, _ = run_submission(submission, out=tmp_path / "results", tasks="C2C,HTR", limits=limits,
                               bootstrap_samples=20, env={"N": str(n)})
    record["_wall"] = time.monotonic() - started
    monkeypatch.delenv(marker)
    time.sleep(0.5)
    record["_left"] = _marked(marker)
    return record


def test_a_prediction_slower_to_score_than_the_limit_makes_its_task_invalid(tmp_path, monkeypatch):
    record = _run_slow(tmp_path, 3000, 1.0, monkeypatch)
    c2c = record["tasks"]["C2C"]
    assert c2c["status"] == "invalid"
    assert "longer than the 1-second scoring limit" in c2c["reason"] and "\n" not in c2c["reason"]
    assert record["tasks"]["HTR"]["status"] == "scored"  # the other task is still scored
    assert record["limits"]["score_time_s"] == 1.0
    assert record["_wall"] < 30
    assert record["_left"] == []  # the scoring child and its workers are gone


def test_control_the_same_prediction_is_scored_under_the_default_limit(tmp_path, monkeypatch):
    record = _run_slow(tmp_path, 1500, 600.0, monkeypatch)
    assert record["tasks"]["C2C"]["status"] == "scored"
    assert record["tasks"]["HTR"]["status"] == "scored"
    assert record["_left"] == []


def test_sigterm_while_scoring_leaves_no_process_behind(tmp_path):
    marker = f"FB_SIGTERM_TEST_{uuid.uuid4().hex}"
    submission = write_submission(tmp_path / "sub", SLOW_C2C)
    env = {**os.environ, marker: "1"}
    harness = subprocess.Popen(
        [sys.executable, "-m", "fusionbench", "run", str(submission), "--tasks", "C2C,HTR", "--out",
         str(tmp_path / "results"), "--bootstrap", "10", "--env", "N=8000", "--time-limit", "60"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not _worker_running(marker):  # scoring has started: a CodeBLEU worker of the scoring child
            assert harness.poll() is None, harness.stderr.read().decode()
            assert time.monotonic() < deadline, "scoring never started"
            time.sleep(0.1)
        time.sleep(0.5)
        harness.send_signal(signal.SIGTERM)
        harness.wait(timeout=30)
    finally:
        if harness.poll() is None:
            harness.kill()
            harness.wait()
    time.sleep(1)
    assert harness.returncode != 0
    assert _marked(marker) == []
    assert not (tmp_path / "results").exists() or not any(p.name.startswith(".staging-")
                                                         for p in (tmp_path / "results").iterdir())
