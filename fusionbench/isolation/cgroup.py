"""A throw-away control group for one submission run: process-count and memory caps that hold for
the whole process tree, an out-of-memory counter, and a reliable way to kill every member.

Linux only, and only where the caller may create cgroups (root, or a delegated cgroup-v2 subtree).
Both layouts are handled: cgroup v1 (one hierarchy per controller, ``pids`` and ``memory``) and
the unified v2 hierarchy.  :meth:`RunCgroup.create` returns ``None`` where nothing can be created;
the runner then falls back to per-process resource limits and says so in the record.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from fusionbench.errors import SandboxError

__all__ = ["RunCgroup", "forget_inherited", "remove_leftovers"]

ROOT = Path("/sys/fs/cgroup")


def _own_paths() -> dict[str, str]:
    """Controller (``pids``, ``memory``, or ``""`` for v2) to this process's cgroup path."""
    paths: dict[str, str] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return paths
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            paths[controller] = path
    return paths


def _write(path: Path, value: str) -> None:
    with open(path, "w") as handle:
        handle.write(value)


@dataclass
class RunCgroup:
    """The cgroup directories of one run (one per v1 controller, or one v2 directory)."""

    version: int
    directories: dict[str, Path]  # controller ("pids", "memory") to its directory
    memory_bytes: int | None
    max_processes: int | None
    controllers: list[str] = field(default_factory=list)

    # -- creation -------------------------------------------------------------------------
    @classmethod
    def create(cls, *, memory_bytes: int | None, max_processes: int | None) -> RunCgroup | None:
        """Make a fresh cgroup with the given caps, or return ``None`` where that is not possible."""
        if _CLOSING:
            raise SandboxError("no new cgroup: this process is stopping (its cgroups are being removed)")
        if not ROOT.is_dir():
            return None
        name = f"fusionbench-{uuid.uuid4().hex[:12]}"
        own = _own_paths()
        if (ROOT / "cgroup.controllers").is_file():  # pure v2
            group = cls._create_v2(ROOT / own.get("", "/").lstrip("/") / name, memory_bytes, max_processes)
        else:
            group = cls._create_v1(own, name, memory_bytes, max_processes)
        if group is not None:
            _LIVE[id(group)] = group
        return group

    @classmethod
    def _create_v1(cls, own: dict[str, str], name: str, memory_bytes: int | None,
                   max_processes: int | None) -> RunCgroup | None:
        wanted = {"pids": max_processes, "memory": memory_bytes}
        directories: dict[str, Path] = {}
        try:
            for controller, cap in wanted.items():
                if cap is None or not (ROOT / controller / "cgroup.procs").is_file():
                    continue
                directory = ROOT / controller / own.get(controller, "/").lstrip("/") / name
                directory.mkdir()
                directories[controller] = directory
                if controller == "pids":
                    _write(directory / "pids.max", str(cap))
                else:
                    _write(directory / "memory.limit_in_bytes", str(cap))
                    try:  # no swap beyond the cap, where the kernel accounts swap
                        _write(directory / "memory.memsw.limit_in_bytes", str(cap))
                    except OSError:
                        pass
        except OSError:
            cls(1, directories, memory_bytes, max_processes).remove()
            return None
        if not directories:
            return None
        return cls(1, directories, memory_bytes, max_processes, sorted(directories))

    @classmethod
    def _create_v2(cls, directory: Path, memory_bytes: int | None, max_processes: int | None) -> RunCgroup | None:
        try:
            enabled = (directory.parent / "cgroup.subtree_control").read_text().split()
            directory.mkdir()
        except OSError:
            return None
        group = cls(2, {"pids": directory, "memory": directory}, memory_bytes, max_processes)
        try:
            if max_processes is not None and "pids" in enabled:
                _write(directory / "pids.max", str(max_processes))
                group.controllers.append("pids")
            if memory_bytes is not None and "memory" in enabled:
                _write(directory / "memory.max", str(memory_bytes))
                try:
                    _write(directory / "memory.swap.max", "0")
                except OSError:
                    pass
                group.controllers.append("memory")
        except OSError:
            group.remove()
            return None
        if not group.controllers:
            group.remove()
            return None
        return group

    # -- use ------------------------------------------------------------------------------
    def enter(self) -> None:
        """Move the calling process into the cgroup (called in the child before ``exec``)."""
        for directory in {str(d) for d in self.directories.values()}:
            _write(Path(directory) / "cgroup.procs", "0")

    def members(self) -> set[int]:
        """The process ids now in the cgroup."""
        pids: set[int] = set()
        for directory in {str(d) for d in self.directories.values()}:
            try:
                pids.update(int(p) for p in (Path(directory) / "cgroup.procs").read_text().split())
            except OSError:
                pass
        return pids

    def kill_all(self, timeout: float = 5.0) -> None:
        """SIGKILL every member until none is left (members may fork while being killed)."""
        deadline = time.monotonic() + timeout
        while True:
            pids = self.members()
            if not pids or time.monotonic() > deadline:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.02)

    def _event(self, controller: str, file: str, key: str) -> int:
        """A counter from a ``key value`` events file of ``controller`` (0 when unavailable)."""
        directory = self.directories.get(controller)
        if directory is None or controller not in self.controllers:
            return 0
        try:
            for line in (directory / file).read_text().splitlines():
                name, _, value = line.partition(" ")
                if name == key:
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def out_of_memory(self) -> bool:
        """Whether the kernel killed a member for exceeding the memory cap."""
        return self._event("memory", "memory.oom_control" if self.version == 1 else "memory.events", "oom_kill") > 0

    def process_cap_hit(self) -> bool:
        """Whether a fork was refused because of the process cap."""
        return self._event("pids", "pids.events", "max") > 0

    def remove(self) -> None:
        """Kill what is left and delete the cgroup directories."""
        _LIVE.pop(id(self), None)
        if self.directories:
            self.kill_all()
        for directory in {str(d) for d in self.directories.values()}:
            for _ in range(50):
                try:
                    os.rmdir(directory)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)

    def describe(self) -> dict[str, object]:
        """What the record says about this cgroup."""
        return {"version": self.version, "controllers": list(self.controllers),
                "memory_bytes": self.memory_bytes if "memory" in self.controllers else None,
                "max_processes": self.max_processes if "pids" in self.controllers else None}


#: The cgroups this process created and has not removed yet (see :func:`remove_leftovers`).
_LIVE: dict[int, RunCgroup] = {}
#: Set by :func:`remove_leftovers`: threads still running may not create more cgroups.
_CLOSING = False


def forget_inherited() -> None:
    """In a forked child: the parent's cgroups are the parent's to remove, not this process's."""
    global _CLOSING
    _LIVE.clear()
    _CLOSING = False


def remove_leftovers() -> int:
    """Kill the members of and remove every cgroup this process created and has not removed
    (threads stopped by an interrupt never reach their clean-up); returns how many there were.

    For a process about to exit (the harness's scoring child): afterwards :meth:`RunCgroup.create`
    refuses (threads still running would make new ones), and it reaps the process's own exited
    children, since a member killed but not yet reaped keeps its cgroup busy.
    """
    global _CLOSING
    _CLOSING = True
    removed = 0
    for _ in range(5):  # a thread may have been inside create() when the flag was set
        groups = list(_LIVE.values())
        if not groups:
            break
        _remove(groups)
        removed += len(groups)
        time.sleep(0.05)
    return removed


def _remove(groups: list[RunCgroup]) -> None:
    for group in groups:
        for pid in group.members():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    deadline = time.monotonic() + 3.0
    while any(group.members() for group in groups) and time.monotonic() < deadline:
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass
        time.sleep(0.02)
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass
    for group in groups:
        group.remove()
