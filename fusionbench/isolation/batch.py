"""Run many small untrusted Python scripts quickly: a few long-lived sandboxes, one process per script.

Starting one bubblewrap sandbox per script costs more than most scripts run, so
:func:`run_scripts` starts ``workers`` sandboxes (the harness's own sandbox,
:func:`fusionbench.isolation.sandbox.base_sandbox_args`: unprivileged uid, no capabilities, no nested
user namespaces, read-only system, no network; its locks verified by the same probe) and feeds
each one script at a time over a pipe.  Inside, a small driver
(:mod:`fusionbench.isolation.batch_driver`) runs every script as its own process group in a
fresh private folder, under a wall-clock timeout and per-process limits (address space, CPU time,
file size), then kills whatever the script left behind and empties ``/tmp`` before the next one.
Each sandbox is in its own cgroup (process-count and memory caps for the whole sandbox) where
cgroups can be made.  A script that kills its driver costs only itself: the host reports it as
an error and starts a fresh sandbox for the rest.  A script that freezes its driver (``SIGSTOP``)
costs only itself too: the host reads each answer under its own deadline
(:func:`request_deadline`), then kills that sandbox, reports the item as ``timeout`` and goes on
with a fresh one.
"""

from __future__ import annotations

import json
import os
import queue
import select
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fusionbench.errors import SandboxError
from fusionbench.isolation.cgroup import RunCgroup

__all__ = ["ScriptResult", "run_scripts"]

MiB = 1024**2
#: How long the host waits for the driver to start and answer its first ping.
START_DEADLINE_S = 60.0


def request_deadline(timeout_s: float) -> float:
    """The host's own limit on one request: the driver's timeout plus its clean-up, with a margin.

    The driver enforces ``timeout_s`` itself; this deadline only matters when the driver cannot
    answer at all (a script stopped it with ``SIGSTOP``, or the sandbox froze), so that one script
    costs its own item and never hangs the whole batch.
    """
    return timeout_s * 1.5 + 10.0


@dataclass(frozen=True)
class ScriptResult:
    """What one script did: ``status`` is ``ok`` (exit 0), ``error``, ``timeout`` or ``output_limit``."""

    status: str
    exit_code: int | None
    stdout: str  # the last ``keep_stdout`` bytes (4 KiB unless asked)
    stderr: str  # the last 4 KiB
    wall_s: float


def _python() -> Path:
    """The interpreter that runs the scripts: the base installation, not a virtual environment."""
    return Path(os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable))


def _bwrap() -> str:
    """bwrap's path, once the sandbox's locks are verified (the probe is cached per process)."""
    from fusionbench.isolation.sandbox import bwrap_path, verify_locks

    path = bwrap_path()
    if path is None:
        raise SandboxError(
            "bubblewrap (bwrap) is not installed or cannot create namespaces here; the C2C execution "
            "metric runs candidate code only inside it",
            expected="the 'bwrap' command (Debian/Ubuntu: apt-get install bubblewrap)",
        )
    verify_locks(path)
    return path


def _command(bwrap: str, python: Path, driver: str) -> list[str]:
    from fusionbench.isolation.sandbox import base_sandbox_args

    args = base_sandbox_args(bwrap)
    prefix = Path(sys.base_prefix).resolve()
    for path in sorted({prefix, python.parent.parent}):
        if not str(path).startswith(("/usr/", "/bin", "/lib")) and path != Path("/usr"):
            args += ["--ro-bind", str(path), str(path)]
    return args + ["--chdir", "/tmp", "--", str(python), "-I", "-S", "-B", "-c", driver]


class _Sandbox:
    """One running sandbox and its driver (restarted by the caller when it dies)."""

    def __init__(self, command: list[str], memory_bytes: int, processes: int, plain: bool) -> None:
        self.cgroup = None if plain else RunCgroup.create(memory_bytes=memory_bytes, max_processes=processes)
        enter = self.cgroup.enter if self.cgroup is not None else None
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
            start_new_session=True, preexec_fn=enter,  # noqa: PLW1509 - joins the cgroup only
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        )
        self._buffer = b""
        self.expired = False
        ready = self.ask({"ping": True}, START_DEADLINE_S)
        if ready is None or ready.get("status") != "ready" or ready.get("sandboxed") != (not plain):
            self.stderr.seek(0)
            detail = " ".join(self.stderr.read()[-600:].decode("utf-8", "replace").split())
            self.close()
            raise SandboxError(f"the batch sandbox did not start ({detail or 'no message'})",
                               expected="bubblewrap >= 0.8 (for --disable-userns) able to create user namespaces")

    def ask(self, request: dict[str, Any], deadline_s: float) -> dict[str, Any] | None:
        """Send one request and read the answer line; ``None`` when the driver died or froze.

        The answer is read from the raw pipe with ``poll`` so that a driver that never answers
        (stopped by a script) is given up after ``deadline_s`` (``self.expired`` then says so and
        the sandbox is killed at once) instead of blocking ``readline`` forever.
        """
        try:
            assert self.process.stdin is not None and self.process.stdout is not None
            self.process.stdin.write((json.dumps(request) + "\n").encode())
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            return None
        fd = self.process.stdout.fileno()
        poller = select.poll()  # not select.select: that fails on descriptors above 1023
        poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        end = time.monotonic() + deadline_s
        while b"\n" not in self._buffer:
            left = end - time.monotonic()
            if left <= 0:
                self.expired = True
                self.kill()
                return None
            try:
                if not poller.poll(max(1, int(left * 1000))):
                    continue
                chunk = os.read(fd, 65536)
            except OSError:
                return None
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            return None

    def kill(self) -> None:
        """Kill the whole sandbox now (its process group and its cgroup), without waiting for it."""
        try:
            os.killpg(self.process.pid, 9)
        except OSError:
            pass
        if self.cgroup is not None:
            self.cgroup.kill_all()

    def close(self) -> None:
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.process.pid, 9)
        except OSError:
            pass
        self.process.wait()
        self.stderr.close()
        if self.cgroup is not None:
            self.cgroup.kill_all()
            self.cgroup.remove()


def run_scripts(
    scripts: Sequence[str],
    *,
    timeout_s: float = 10.0,
    memory_bytes: int = 2048 * MiB,
    output_bytes: int = 4 * MiB,
    processes: int = 64,
    workers: int | None = None,
    sandbox: bool = True,
    keep_stdout: int = 4096,
) -> list[ScriptResult]:
    """Run each Python script (source text) isolated; results in the order of ``scripts``.

    Args:
        scripts: complete Python programs; each sees only its own empty folder and a read-only
            system, no network.
        timeout_s: wall-clock limit per script.
        memory_bytes: address-space limit per script (the sandbox's cgroup gets twice that).
        output_bytes: the largest file a script may write, its stdout and stderr included.
        processes: process cap of each sandbox (cgroup ``pids.max``; ``RLIMIT_NPROC`` as well).
        workers: sandboxes running at once (default: the CPU count, at most 8).
        sandbox: ``False`` runs the driver without bubblewrap (tests of the protocol only).
        keep_stdout: how many bytes of the end of each script's stdout come back (stderr: 4 KiB).

    Raises:
        SandboxError: bubblewrap is missing or cannot create namespaces.
    """
    if timeout_s <= 0:
        raise SandboxError(f"the per-script timeout must be positive, not {timeout_s!r}")
    driver = Path(__file__).with_name("batch_driver.py").read_text(encoding="utf-8")
    python = _python()
    command = _command(_bwrap(), python, driver) if sandbox else [str(python), "-I", "-S", "-B", "-c", driver]
    workers = max(1, min(workers or min(os.cpu_count() or 1, 8), len(scripts) or 1))
    pending: queue.Queue[int] = queue.Queue()
    for index in range(len(scripts)):
        pending.put(index)
    results: list[ScriptResult | None] = [None] * len(scripts)
    failures: list[BaseException] = []

    def work() -> None:
        box: _Sandbox | None = None
        try:
            while True:
                try:
                    index = pending.get_nowait()
                except queue.Empty:
                    return
                if box is None:
                    box = _Sandbox(command, 2 * memory_bytes + 256 * MiB, processes, not sandbox)
                answer = box.ask({"script": scripts[index], "timeout": timeout_s, "memory": memory_bytes,
                                  "output": output_bytes, "processes": processes, "sandboxed": sandbox,
                                  "keep_stdout": keep_stdout},
                                 request_deadline(timeout_s))
                if answer is not None and answer.get("status") == "refused":  # never expected after the ping
                    raise SandboxError("the batch driver is not inside its own sandbox; refusing to run scripts")
                if answer is None and box.expired:  # the driver froze (stopped by the script?): restart
                    box.close()
                    box = None
                    answer = {"status": "timeout", "exit_code": None, "stdout": "", "stderr": "",
                              "wall_s": request_deadline(timeout_s)}
                elif answer is None:  # the script killed its driver (or the sandbox failed): restart
                    box.close()
                    box = None
                    answer = {"status": "error", "exit_code": None, "stdout": "", "wall_s": 0.0,
                              "stderr": "the test runner stopped while this script ran (killed by it?)"}
                results[index] = ScriptResult(answer["status"], answer["exit_code"], answer["stdout"],
                                              answer["stderr"], float(answer["wall_s"]))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            failures.append(exc)
        finally:
            if box is not None:
                box.close()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return [r for r in results if r is not None]
