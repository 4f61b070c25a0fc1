"""Files deleted while still open keep their blocks on the disk but vanish from a scan of the work
folder: the output watchdog also counts what the run's processes hold open that way."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import fusionbench.isolation.sandbox as sandbox
from fusionbench.isolation import Limits, bwrap_path, run_entrypoint

MiB = 1024**2
LIMITS = Limits(wall_time_s=30, memory_bytes=400 * MiB, max_processes=40, output_bytes=5 * MiB)

#: 4 x 3 MiB (each under the 5 MiB per-file limit), each deleted right after it is created and kept open.
HOLDER = """
import os, time
fds, chunk = [], os.urandom(1 << 20)
for i in range(4):
    fd = os.open(f"blob{i}", os.O_WRONLY | os.O_CREAT, 0o600)
    os.unlink(f"blob{i}")
    for _ in range(3):
        os.write(fd, chunk)
    fds.append(fd)
time.sleep(4)
print("held to the end")
"""


def _run(tmp_path: Path, use_sandbox: bool) -> sandbox.RunOutcome:
    work = tmp_path / "work"
    work.mkdir()
    (work / "hold.py").write_text(textwrap.dedent(HOLDER), encoding="utf-8")
    return run_entrypoint("python hold.py", work, limits=LIMITS, sandbox=use_sandbox)


@pytest.mark.parametrize("use_sandbox", [
    pytest.param(True, marks=pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap is not installed")),
    False], ids=["bwrap", "no-sandbox"])
def test_deleted_files_held_open_count_against_the_output_limit(tmp_path, use_sandbox):
    outcome = _run(tmp_path, use_sandbox)
    assert outcome.status == "output_limit", outcome.stderr
    assert "deleted_files_held_open" in outcome.flags
    assert "held to the end" not in outcome.stdout["text"]


def test_control_without_counting_them_the_run_ends_ok(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "_deleted_open_bytes", lambda pids, device: 0)
    outcome = _run(tmp_path, False)
    assert outcome.status == "ok", outcome.stderr
    assert "held to the end" in outcome.stdout["text"]
