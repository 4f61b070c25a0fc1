"""Scoring is bounded in time and leaves nothing behind: a prediction that is cheap to write and
slow to score (CodeBLEU's data flow is quadratic in variables x statements) makes its task invalid
at the scoring time limit, the other tasks are still scored, and the scoring child's process group
(its CodeBLEU workers included) is gone afterwards, also when the harness is stopped with SIGTERM."""

from __future__ import annotations

import dataclasses
import json
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
slow = ("def f(c):\\n" + "".join(f"    v{i} = 1\\n" for i in range(n)) + "    if c:\\n        pass\\n" * n
        + "    return c\\n")
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



def _stop(harness: subprocess.Popen) -> None:
    """After a failed assertion: stop the harness the way under test (SIGTERM), then for sure."""
    if harness.poll() is None:
        harness.terminate()
        try:
            harness.wait(timeout=30)
        except subprocess.TimeoutExpired:
            harness.kill()
            harness.wait()


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
        _stop(harness)
    time.sleep(1)
    assert harness.returncode != 0
    assert _marked(marker) == []
    assert not (tmp_path / "results").exists() or not any(p.name.startswith(".staging-")
                                                         for p in (tmp_path / "results").iterdir())


#: Every C2C candidate SIGSTOPs the sandboxed test driver that runs it: execution scoring hangs.
STOPPER = """
import json, os
keys = json.load(open("input/C2C/requests.json"))
stop = ("def f ( * a ) : NEW_LINE INDENT import os , signal NEW_LINE "
        "os . kill ( os . getppid ( ) , signal . SIGSTOP ) NEW_LINE DEDENT")
os.makedirs("output", exist_ok=True)
json.dump({k: stop for k in keys}, open("output/prediction_C2C.json", "w"))
"""


def _cgroup_dirs() -> set[str]:
    root = Path("/sys/fs/cgroup")
    return {str(p) for p in root.glob("**/fusionbench-*") if p.is_dir()} if root.is_dir() else set()


def _is_bwrap(pid: int) -> bool:
    try:
        return b"bwrap" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _sandboxes_of(parents: list[int]) -> list[int]:
    """bwrap processes whose parent is one of ``parents`` (their environment is not inherited)."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                ppid = int(Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[1])
                if ppid in parents and b"bwrap" in Path(entry.path, "cmdline").read_bytes():
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return found


@pytest.mark.skipif(os.geteuid() != 0, reason="sandbox cgroups are made by a root harness")
def test_sigterm_during_c2c_execution_leaves_no_sandbox_nor_cgroup(tmp_path):
    from tests.c2c_real.conftest import MIRROR, gfg_split

    if not (MIRROR / "transcoder_evaluation_gfg" / "python").is_dir():
        pytest.skip(f"the AVATAR mirror is not at {MIRROR}")
    scripts = MIRROR / "transcoder_evaluation_gfg" / "python"
    pairs = dict([(k, v) for k, v in gfg_split("test").items() if (scripts / f"{k}.py").is_file()][:6])
    assert len(pairs) == 6
    data = tmp_path / "data"
    (data / "input" / "C2C").mkdir(parents=True)
    (data / "input" / "C2C" / "requests.json").write_text(json.dumps({k: j for k, (j, _) in pairs.items()}))
    (data / "true_C2C.json").write_text(json.dumps({k: p for k, (_, p) in pairs.items()}))
    submission = write_submission(tmp_path / "sub", STOPPER)
    marker = f"FB_SIGTERM_EXEC_{uuid.uuid4().hex}"
    before = _cgroup_dirs()
    harness = subprocess.Popen(
        [sys.executable, "-m", "fusionbench", "run", str(submission), "--data", str(data), "--c2c-exec",
         "--c2c-tests", str(MIRROR / "transcoder_evaluation_gfg" / "python"), "--out", str(tmp_path / "results"),
         "--bootstrap", "10"], env={**os.environ, marker: "1"}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not _sandboxes_of(_marked(marker)):  # a test sandbox of the scoring child runs
            assert harness.poll() is None, harness.stderr.read().decode()
            assert time.monotonic() < deadline, "execution scoring never started"
            time.sleep(0.1)
        time.sleep(3)  # the candidates stop their drivers
        sandboxes = _sandboxes_of(_marked(marker))
        names = {part.rsplit("/", 1)[-1] for pid in sandboxes
                 for part in Path(f"/proc/{pid}/cgroup").read_text().split() if "fusionbench-" in part}
        created = {d for d in _cgroup_dirs() - before if d.rsplit("/", 1)[-1] in names}  # of these sandboxes
        harness.send_signal(signal.SIGTERM)
        harness.wait(timeout=30)
    finally:
        _stop(harness)
    time.sleep(1)
    assert created  # the control: the sandboxes had cgroups of their own while they ran
    assert _marked(marker) == []
    assert sandboxes and not [pid for pid in sandboxes if _is_bwrap(pid)]
    assert {d for d in created if os.path.isdir(d)} == set()


def test_a_record_from_before_the_scoring_limit_still_verifies(tmp_path):
    from fusionbench.harness.runner import results_folder, run_key
    from fusionbench.harness.verify import verify_record

    trivial = Path(__file__).resolve().parents[2] / "examples" / "submissions" / "trivial"
    record, path = run_submission(trivial, out=tmp_path / "results", tasks="HTR", limits=FAST, bootstrap_samples=20)
    assert record["limits"]["score_time_s"] == FAST.score_time_s
    del record["limits"]["score_time_s"]  # as an older fusionbench wrote it
    key = run_key(record["submission"]["sha256"], record["dataset"], record["tasks_run"], record["options"],
                  record["limits"])
    record["record_key"]["sha256"] = key
    old = results_folder(tmp_path / "results", record["submission"]["name"], "test", key)
    path.parent.rename(old)
    (old / "record.json").write_text(json.dumps(record), encoding="utf-8")
    result = verify_record(old / "record.json")
    assert result.ok, result.summary()
    assert "limits" in result.checked
