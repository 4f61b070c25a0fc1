"""The C2C worker pool: started once and reused, gone at exit, forgotten by forked children."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fusionbench.metrics.codebleu import workers
from fusionbench.synthetic import make_c2c

PACKAGE_ROOT = str(Path(__file__).resolve().parents[3])


def pairs(n: int = 240, seed: int = 2) -> list[tuple[str, str]]:
    refs, preds = make_c2c(random.Random(seed), n)
    return [(refs[k], preds[k]) for k in refs]


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def wait_gone(pids: list[int], seconds: float = 10) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = [pid for pid in pids if alive(pid)]
        if not left:
            return []
        time.sleep(0.05)
    return [pid for pid in pids if alive(pid)]


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FUSIONBENCH_CACHE", str(tmp_path))
    workers.shutdown_workers()
    yield
    workers.shutdown_workers()


def test_pool_is_reused_across_calls_and_shut_down():
    first = workers.compute_structural_counts(pairs(), processes=2)
    pids = workers.worker_pids()
    assert len(pids) == 2 and all(alive(pid) for pid in pids)
    second = workers.compute_structural_counts(pairs(), processes=2)
    assert workers.worker_pids() == pids  # the same processes served the second call
    assert first == second
    workers.shutdown_workers()
    assert workers.worker_pids() == []
    assert wait_gone(pids) == []
    assert workers.compute_structural_counts(pairs(), processes=2) == first  # restarts on demand


EXIT_SCRIPT = """
import json, random, sys
from fusionbench.metrics.codebleu import workers
from fusionbench.synthetic import make_c2c
refs, preds = make_c2c(random.Random(2), 240)
workers.compute_structural_counts([(refs[k], preds[k]) for k in refs], processes=2)
print(json.dumps(workers.worker_pids()), flush=True)
if sys.argv[1] == "exit":
    raise SystemExit(0)
if sys.argv[1] == "error":
    raise RuntimeError("the caller fails after scoring")
import os, signal
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("ending", ["exit", "error", "killed"])
def test_no_worker_left_behind_when_the_caller_ends(ending, tmp_path):
    env = dict(os.environ, PYTHONHASHSEED="3")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_ROOT, env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, "-c", EXIT_SCRIPT, ending], env=env, capture_output=True, text=True,
                          timeout=600)
    pids = json.loads(proc.stdout.splitlines()[0])
    assert len(pids) == 2  # control: the workers did exist
    assert wait_gone(pids) == []


FORK_SCRIPT = """
import json, os, random, sys
from fusionbench.metrics.codebleu import workers
from fusionbench.synthetic import make_c2c
refs, preds = make_c2c(random.Random(2), 240)
pairs = [(refs[k], preds[k]) for k in refs]
before = workers.compute_structural_counts(pairs, processes=2)
parent_pids = workers.worker_pids()
read, write = os.pipe()
child = os.fork()
if child == 0:
    os.close(read)
    inherited = workers.worker_pids()  # forgotten: the child never talks to the parent's workers
    counts = workers.compute_structural_counts(pairs, processes=2)
    own = workers.worker_pids()
    os.write(write, json.dumps({"inherited": inherited, "same": counts == before, "own": own}).encode())
    os.close(write)
    sys.exit(0)  # atexit stops the child's own workers
os.close(write)
report = json.loads(os.fdopen(read).read())
os.waitpid(child, 0)
after = workers.compute_structural_counts(pairs, processes=2)
print(json.dumps({**report, "parent": parent_pids, "parent_after": workers.worker_pids(), "again": after == before}))
"""


def test_forked_child_forgets_the_parents_pool():
    env = dict(os.environ, PYTHONHASHSEED="5")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_ROOT, env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, "-c", FORK_SCRIPT], env=env, capture_output=True, text=True,
                          timeout=600, check=True)
    report = json.loads(proc.stdout)
    assert report["inherited"] == []
    assert report["same"] and report["again"]
    assert set(report["own"]).isdisjoint(report["parent"])
    assert report["parent_after"] == report["parent"]  # the parent's workers survived the child
    assert wait_gone(report["own"] + report["parent"]) == []


def test_a_worker_killed_from_outside_is_replaced():
    # e.g. a sandbox that sweeps up the children of the scoring process between two calls
    import signal

    first = workers.compute_structural_counts(pairs(), processes=2)
    victims = workers.worker_pids()
    os.kill(victims[0], signal.SIGKILL)
    assert wait_gone(victims[:1]) == []
    assert workers.compute_structural_counts(pairs(), processes=2) == first
    assert victims[0] not in workers.worker_pids()
