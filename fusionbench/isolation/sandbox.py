"""Run a submission's entrypoint isolated from everything but its work directory, under limits.

Isolation comes from an existing, audited tool, bubblewrap (``bwrap``): new user, PID, network,
IPC, UTS and cgroup namespaces (``--unshare-all``: no network at all), an unprivileged identity
inside whoever runs the harness (uid/gid 65534, every capability dropped, no new privileges, no
nested user namespaces: ``--unshare-user --uid --gid --disable-userns --cap-drop ALL``, bwrap >=
0.8), so that even a harness run as root gives the submission no way to unmount a mask, remount a
read-only bind or mount a cgroup.  A probe run in the same sandbox checks these locks before the
entrypoint starts (:func:`verify_locks`) and the run is refused, naming what is missing, rather
than run with weaker isolation.  The root is made of read-only
binds of the system directories and the Python environment, a private ``/tmp``, and the work
directory as the only writable place.  Anything holding answers that happens to lie under a bound
directory is masked (an empty tmpfs over a folder, ``/dev/null`` over a file).  ``--die-with-parent``
and the PID namespace mean that no process outlives the run: when the sandbox's first process
ends, the kernel kills every other process in the namespace.

Limits, applied to the whole process tree where a cgroup can be made (see
:mod:`fusionbench.isolation.cgroup`), else per process with ``setrlimit``:

* wall time (the whole group is killed; recorded as ``timeout``);
* memory (cgroup memory cap with the kernel's OOM kill, else ``RLIMIT_AS``; ``memory_limit``);
* process count (cgroup ``pids.max``, else ``RLIMIT_NPROC``);
* output size (``RLIMIT_FSIZE`` for any single file and a watchdog over the output folder's total,
  deleted files that the run's processes still hold open on its device included; ``output_limit``);
* stdout/stderr are read through pipes and only their first and last bytes are kept.

Without bwrap the same limits apply to a plain child process group, but only when the caller asks
for it explicitly (``sandbox=False``, ``--no-sandbox``); the record then says ``"mode": "none"``.
"""

from __future__ import annotations

import ast
import functools
import os
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fusionbench.errors import SandboxError
from fusionbench.isolation.cgroup import RunCgroup

__all__ = ["LOCKS", "SANDBOX_GID", "SANDBOX_UID", "Limits", "RunOutcome", "bwrap_path", "run_entrypoint",
           "verify_locks"]

GiB = 1024**3

#: The identity of the submission inside the sandbox (``nobody``/``nogroup``): never root.
SANDBOX_UID = 65534
SANDBOX_GID = 65534

#: The bwrap flags that take every privilege away from the sandbox, whoever runs the harness.
HARDENING: tuple[str, ...] = ("--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_GID),
                              "--disable-userns", "--cap-drop", "ALL")

#: The locks the start-up probe checks, each with what it means.
LOCKS = {
    "not_root": "the uid and gid inside are not 0",
    "no_capabilities": "no effective, permitted, inheritable, ambient or bounding capability",
    "no_new_privs": "no_new_privs is set (setuid binaries give nothing)",
    "no_nested_userns": "a nested user namespace cannot be created",
    "no_mount": "nothing can be mounted (tmpfs, cgroup)",
    "no_remount": "a read-only bind cannot be remounted read-write",
    "no_umount": "a mask cannot be unmounted",
    "no_proc_sys_write": "host-wide kernel settings cannot be opened for writing (/proc/sys, /proc/sysrq-trigger, "
                         "/sys)",
}

#: Kernel files that a root harness's sandbox uid (which maps to host uid 0) could otherwise write:
#: the probe opens each for writing (opens only, never writes) and requires every open to fail.
KERNEL_WRITE_TARGETS = ("/proc/sys/kernel/core_pattern", "/proc/sys/vm/drop_caches", "/proc/sysrq-trigger",
                        "/sys/kernel/mm/transparent_hugepage/enabled")

#: Runs inside the sandbox with the same flags as the entrypoint and prints what it could do.
_PROBE = r"""
import ctypes, json, os
KERNEL_WRITE_TARGETS = %r
libc = ctypes.CDLL(None, use_errno=True)
status = {}
for line in open("/proc/self/status"):
    key, _, value = line.partition(":")
    status[key] = value.strip()
caps = {k: status.get(k, "?") for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")}
def refused(rc):
    return rc != 0
def open_refused(path):  # opens for writing and closes at once: nothing is ever written
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return True
    os.close(fd)
    return False
found = {
    "uid": os.getuid(), "gid": os.getgid(), "euid": os.geteuid(), "egid": os.getegid(), "capabilities": caps,
    "not_root": 0 not in (os.getuid(), os.geteuid(), os.getgid(), os.getegid()),
    "no_capabilities": all(v.strip("0") == "" for v in caps.values()),
    "no_new_privs": status.get("NoNewPrivs") == "1",
    "no_mount": refused(libc.mount(b"none", b"/tmp", b"tmpfs", 0, None))
                and refused(libc.mount(b"cgroup", b"/tmp", b"cgroup", 0, b"pids")),
    "no_remount": refused(libc.mount(None, b"/usr", None, 32 | 4096, None)),  # MS_REMOUNT | MS_BIND
    "no_umount": refused(libc.umount2(b"/usr", 2)),  # MNT_DETACH
    "no_proc_sys_write": all(open_refused(p) for p in KERNEL_WRITE_TARGETS),
    "no_nested_userns": refused(libc.unshare(0x10000000)),  # CLONE_NEWUSER, last: it changes our namespace
}
print(json.dumps(found))
""" % (KERNEL_WRITE_TARGETS,)


def _default_memory() -> int:
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        total = 16 * GiB
    return int(min(16 * GiB, total * 0.75))


@dataclass(frozen=True)
class Limits:
    """Resource limits of one run (the defaults follow the challenge: 90 minutes of wall time)."""

    wall_time_s: float = 90 * 60
    memory_bytes: int = field(default_factory=_default_memory)
    max_processes: int = 512
    output_bytes: int = 1 * GiB  # written anywhere in the work folder (sparse files at their apparent size)
    log_bytes: int = 32 * 1024  # kept of stdout and of stderr, each: half from the start, half from the end
    max_files: int = 100_000  # files and folders the entrypoint may create in the work folder
    prediction_bytes: int = 64 * 1024**2  # the largest prediction file the harness reads (apparent size)
    score_time_s: float = 600.0  # wall time to score one task's prediction file (in a child process)

    def __post_init__(self) -> None:
        for name in ("wall_time_s", "memory_bytes", "max_processes", "output_bytes", "log_bytes", "max_files",
                     "prediction_bytes", "score_time_s"):
            if getattr(self, name) <= 0:
                raise SandboxError(f"limit {name} must be positive, not {getattr(self, name)!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RunOutcome:
    """What happened to the entrypoint.

    ``status`` is ``ok`` (exit 0), ``error`` (non-zero exit), ``timeout``, ``memory_limit``,
    ``output_limit`` (bytes written in the work folder) or ``file_limit`` (files created there);
    ``flags`` adds facts such as ``process_limit_hit``, ``file_size_limit_hit`` (a write was cut at
    the per-file size limit, even if the entrypoint carried on) or ``memory_limit_hit``.
    """

    status: str
    exit_code: int | None
    wall_s: float
    stdout: dict[str, Any]
    stderr: dict[str, Any]
    isolation: dict[str, Any]
    flags: list[str] = field(default_factory=list)


class _TailBuffer:
    """Keeps the first and the last ``limit / 2`` bytes of a stream and counts the rest."""

    def __init__(self, limit: int) -> None:
        self.half = max(1, limit // 2)
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.half - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            if len(self.tail) > self.half:
                del self.tail[: len(self.tail) - self.half]

    def render(self) -> dict[str, Any]:
        kept = len(self.head) + len(self.tail)
        text = self.head.decode("utf-8", "replace")
        if self.total > kept:
            text += f"\n[... {self.total - kept} bytes not kept ...]\n"
        text += self.tail.decode("utf-8", "replace")
        return {"text": text, "bytes": self.total, "truncated": self.total > kept}


def _drain(stream: Any, buffer: _TailBuffer) -> None:
    while True:
        chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
        if not chunk:
            break
        buffer.feed(chunk)
    stream.close()


_BWRAP_OK: set[str] = set()


def bwrap_path() -> str | None:
    """The bubblewrap executable, if installed and able to create namespaces here (a success is
    remembered for the process)."""
    path = shutil.which("bwrap")
    if path is None:
        return None
    if path in _BWRAP_OK:
        return path
    try:
        probe = subprocess.run([path, "--unshare-all", "--ro-bind", "/", "/", "true"],
                               capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if probe.returncode != 0:
        return None
    _BWRAP_OK.add(path)
    return path


@functools.lru_cache(maxsize=8)
def _bwrap_version(path: str) -> str:
    try:
        return subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10,
                              check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


#: Files of /etc a Python program may need; the rest of /etc (shadow, keys, ...) stays invisible.
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group", "nsswitch.conf",
             "hosts", "ssl", "ca-certificates", "alternatives", "mime.types", "fonts", "os-release")


def _under(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def _site_dirs() -> list[Path]:
    import site

    dirs = [Path(p) for p in site.getsitepackages()]
    user = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    if user:
        dirs.append(Path(user))
    return [d for d in dirs if d.is_dir()]


def _installed_source_dirs(site_dir: Path) -> set[Path]:
    """Folders that ``.pth`` files and editable-install finders in ``site_dir`` point at."""
    found: set[Path] = set()
    for pth in site_dir.glob("*.pth"):
        try:
            lines = pth.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        found.update(Path(line.strip()) for line in lines
                     if line.strip() and not line.startswith(("#", "import ", "import\t")))
    for finder in site_dir.glob("__editable__*finder.py"):
        try:
            text = finder.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        match = re.search(r"^MAPPING[^=]*=\s*(\{.*?\})\s*$", text, re.MULTILINE)
        if match:
            try:
                found.update(Path(v) for v in ast.literal_eval(match.group(1)).values())
            except (ValueError, SyntaxError):
                pass
    return {p for p in found if p.is_absolute() and p.exists()}


def _python_paths() -> list[Path]:
    """Read-only paths the environment's Python needs: its prefixes, site-packages, what installed
    packages point at (``.pth`` lines, editable installs) and fusionbench itself.

    Deliberately not ``sys.path`` as a whole: that can hold the current directory or a project
    root (pytest puts one there), which may hold answers.
    """
    import fusionbench

    candidates = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix), Path(sys.base_exec_prefix),
                  Path(sys.executable).parent, Path(fusionbench.__file__).resolve().parent,
                  Path(os.path.realpath(sys.executable)).parent.parent}
    for site_dir in _site_dirs():
        candidates.add(site_dir)
        candidates.update(_installed_source_dirs(site_dir))
    resolved = {Path(os.path.realpath(p)) for p in candidates if p.exists()} | {p for p in candidates if p.exists()}
    system = [Path(p) for p in ("/usr", "/bin", "/sbin", "/lib")]
    return sorted(p for p in resolved if p != Path("/") and not any(_under(p, s) for s in system))


#: ``/proc/sys`` bound read-only over the fresh ``/proc``: a harness run as root maps the sandbox's
#: uid to host uid 0, and ``/proc/sys`` files are checked by owner, not by capability, so without
#: this a submission could set host-wide sysctls (``kernel.core_pattern``, ``vm.drop_caches``...).
#: (bwrap 0.8's ``--remount-ro /proc/sys`` fails: ``/proc/sys`` is no mount of its own there.)
PROC_SYS_READ_ONLY: tuple[str, ...] = ("--ro-bind", "/proc/sys", "/proc/sys")


def base_sandbox_args(bwrap: str) -> list[str]:
    """The start of every sandbox command: all namespaces, the :data:`HARDENING` flags, no process
    outliving its parent, and a read-only system (``/usr``, the top-level library folders, the
    :data:`ETC_FILES`) with fresh ``/proc`` (its ``/proc/sys`` read-only), ``/dev`` and a private ``/tmp``.

    Both the harness's entrypoint sandbox and :mod:`fusionbench.isolation.batch` build on it, so
    the locks that :func:`verify_locks` checks hold for both.
    """
    args = [bwrap, "--unshare-all", *HARDENING, "--die-with-parent", "--new-session", "--proc", "/proc",
            *PROC_SYS_READ_ONLY, "--dev", "/dev", "--tmpfs", "/tmp", "--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for name in ETC_FILES:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return args


def _bwrap_command(bwrap: str, workdir: Path, command: Sequence[str], masked: Sequence[Path],
                   readonly: Sequence[Path] = ()) -> list[str]:
    args = base_sandbox_args(bwrap)
    gpus = sorted(Path("/dev").glob("nvidia*"))
    for device in gpus:  # GPUs, where present; the CUDA driver also reads /sys
        args += ["--dev-bind-try", str(device), str(device)]
    if gpus:
        args += ["--ro-bind-try", "/sys", "/sys"]
    bound: list[Path] = [Path("/usr")]
    for path in _python_paths():
        args += ["--ro-bind", str(path), str(path)]
        bound.append(path)
    for path in readonly:  # extra read-only folders the caller asks for (e.g. a scorer's helpers)
        args += ["--ro-bind", str(path), str(path)]
        bound.append(Path(path))
    for path in masked:  # answers that a bound folder would otherwise show
        path = Path(os.path.realpath(path))
        if any(_under(path, b) for b in bound) and path.exists():
            args += ["--tmpfs", str(path)] if path.is_dir() else ["--ro-bind", "/dev/null", str(path)]
    args += ["--bind", str(workdir), str(workdir), "--chdir", str(workdir), "--", *command]
    return args


_LOCK_CACHE: dict[tuple[str, ...], dict[str, Any]] = {}
_LOCK_GUARD = threading.Lock()  # one probe at a time; a second caller waits and takes the cached result


def verify_locks(bwrap: str) -> dict[str, Any]:
    """Run the probe in a sandbox built exactly as the entrypoint's and return what it found.

    The result is cached per process for the same bwrap and flags (the locks do not depend on the
    work folder).  Returns ``{"uid", "gid", "capabilities", "locks_verified"}``.

    Raises:
        SandboxError: a lock is not in force (named), or the probe could not run (bwrap too old for
            ``--disable-userns``, for instance).
    """
    with _LOCK_GUARD:
        return _verify_locks(bwrap)


def prefetch_locks() -> threading.Thread:
    """Start :func:`verify_locks` in a background thread (so a caller can stage files meanwhile);
    a failure is not cached, so the later call in :func:`run_entrypoint` raises it."""
    def probe() -> None:
        bwrap = bwrap_path()
        if bwrap is not None:
            try:
                verify_locks(bwrap)
            except SandboxError:
                pass

    thread = threading.Thread(target=probe, name="fusionbench-lock-probe", daemon=True)
    thread.start()
    return thread


def _verify_locks(bwrap: str) -> dict[str, Any]:
    key = (bwrap, *HARDENING, *PROC_SYS_READ_ONLY, str(os.geteuid()))
    if key in _LOCK_CACHE:
        return _LOCK_CACHE[key]
    import json
    import tempfile

    with tempfile.TemporaryDirectory(prefix="fusionbench-probe-") as tmp:
        command = _bwrap_command(bwrap, Path(tmp), [sys.executable, "-I", "-S", "-c", _PROBE], [])
        probe = None
        try:
            probe = subprocess.run(command, capture_output=True, timeout=60, check=False, cwd=tmp,
                                   env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
            found = json.loads(probe.stdout.decode("utf-8", "replace").strip().splitlines()[-1])
        except (OSError, subprocess.TimeoutExpired, ValueError, IndexError):
            detail = " ".join(probe.stderr.decode("utf-8", "replace").split())[-300:] if probe else ""
            raise SandboxError(
                f"the sandbox's lock probe did not run ({detail or 'no output'})",
                expected="bubblewrap >= 0.8 (for --disable-userns), or --no-sandbox to run without isolation",
            ) from None
    missing = [name for name in LOCKS if found.get(name) is not True]
    if missing:
        raise SandboxError(
            "the sandbox is weaker than required, refusing to run: "
            + "; ".join(f"{name} ({LOCKS[name]}) is not in force" for name in missing),
            expected="bubblewrap >= 0.8 honouring --unshare-user --uid --gid --disable-userns --cap-drop ALL, "
                     "or --no-sandbox to run without isolation",
        )
    result = {"uid": found["uid"], "gid": found["gid"], "capabilities": found["capabilities"],
              "locks_verified": list(LOCKS)}
    _LOCK_CACHE[key] = result
    return result


def _rlimits(cgroup: RunCgroup | None) -> list[str]:
    """The resource limits set per process: what the cgroup (if any) does not already cap."""
    controllers = cgroup.controllers if cgroup else []
    names = ["CORE", "FSIZE"]
    if "memory" not in controllers:
        names.append("AS")
    if "pids" not in controllers and os.geteuid() != 0:  # the kernel ignores RLIMIT_NPROC for root
        names.append("NPROC")
    return names


def _limit_setter(limits: Limits, cgroup: RunCgroup | None, names: Sequence[str]) -> Any:
    """The function the child runs before ``exec``: join the cgroup, set the rlimits ``names``."""
    values = {"CORE": 0, "FSIZE": limits.output_bytes, "AS": limits.memory_bytes}
    if "NPROC" in names:
        # RLIMIT_NPROC counts every process of the user, so allow for those already running.
        values["NPROC"] = limits.max_processes + _processes_of(os.getuid())
    chosen = [(getattr(resource, f"RLIMIT_{name}"), values[name]) for name in names]

    def apply() -> None:
        if cgroup is not None:
            cgroup.enter()
        for kind, value in chosen:
            resource.setrlimit(kind, (value, value))

    return apply


def _processes_of(uid: int) -> int:
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


@dataclass
class _Usage:
    """What a scan of the work folder found: bytes (apparent size or allocated blocks, whichever is
    larger, so sparse files count in full), entries (files, folders, links), the largest regular
    file, and whether the scan stopped early at the entry cap."""

    bytes: int = 0
    files: int = 0
    largest: int = 0  # of the regular files modified since ``since_ns`` (all of them by default)
    truncated: bool = False


def _tree_usage(path: Path, max_entries: int | None = None, since_ns: int = 0) -> _Usage:
    """Scan ``path`` without following links; stop after ``max_entries`` entries (bounded cost)."""
    usage = _Usage()
    stack = [path]
    seen = 0
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            usage.files += 1
            if max_entries is not None and seen > max_entries:
                usage.truncated = True
                return usage
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                stack.append(Path(entry.path))
                continue
            size = max(info.st_size, info.st_blocks * 512)
            usage.bytes += size
            if stat.S_ISREG(info.st_mode) and info.st_mtime_ns >= since_ns:
                usage.largest = max(usage.largest, info.st_size)
    return usage


def _tree_size(path: Path) -> int:
    """Bytes under ``path`` (see :func:`_tree_usage`)."""
    return _tree_usage(path).bytes


def _children_by_parent() -> dict[int, list[int]]:
    """Every process's children, keyed by parent pid (one scan of ``/proc``)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def _descendants(root: int) -> list[int]:
    """``root`` and all its descendants (from ``/proc``)."""
    children = _children_by_parent()
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, ()))
    return found


def _deleted_open_bytes(pids: Sequence[int] | set[int], device: int) -> int:
    """Bytes of files on ``device`` that were deleted but are still held open by ``pids`` (their
    ``/proc/<pid>/fd`` links end in `` (deleted)``): invisible to a scan of the folder, yet on the
    disk until closed.  Each file counts once (apparent size or allocated blocks, the larger)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for pid in pids:
        folder = f"/proc/{pid}/fd"
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            link = f"{folder}/{name}"
            try:
                if not os.readlink(link).endswith(" (deleted)"):
                    continue
                info = os.stat(link)  # follows the fd to the open file itself
            except OSError:
                continue
            if info.st_dev != device or not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) in seen:
                continue
            seen.add((info.st_dev, info.st_ino))
            total += max(info.st_size, info.st_blocks * 512)
    return total


def _descendants_rss(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, in bytes (from ``/proc``)."""
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for pid in _descendants(root):
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
        except (OSError, IndexError, ValueError):
            pass
    return total


def _kill_group(process: subprocess.Popen[bytes], cgroup: RunCgroup | None) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        pass
    if cgroup is not None:
        cgroup.kill_all()


def _own_children() -> set[int]:
    """The pids whose parent is this process (read from ``/proc``)."""
    return set(_children_by_parent().get(os.getpid(), ()))


def _sweep_orphans(known: set[int]) -> None:
    """Kill processes re-parented to us (we are a child subreaper during the run).

    ``known`` are children to spare: the entrypoint itself and whatever this process already had
    before the run (the C2C scoring worker pool, for instance), which cannot be the submission's.
    """
    for pid in _own_children() - known:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass


def _set_subreaper(on: bool) -> bool:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1 if on else 0, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


#: Read-only folder put on the entrypoint's PYTHONPATH: its sitecustomize notes SIGXFSZ (see there).
SITE_HOOKS = Path(__file__).resolve().parent / "site_hooks"
#: Where that hook notes a write cut at the file-size limit (in the work folder; removed after the run).
LIMIT_LOG_NAME = ".fusionbench-limits"


def _noted_file_size_limit(path: Path) -> bool:
    """Whether the hook noted a SIGXFSZ (a regular file, read without following links); removes it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        noted = stat.S_ISREG(os.fstat(fd).st_mode) and b"SIGXFSZ" in os.read(fd, 64)
    finally:
        os.close(fd)
    try:
        os.unlink(path)
    except OSError:
        pass
    return noted


def _usage_status(usage: _Usage, baseline: _Usage, limits: Limits) -> str | None:
    """``output_limit`` or ``file_limit`` when the work folder grew past a limit, else ``None``."""
    if usage.bytes - baseline.bytes >= limits.output_bytes:
        return "output_limit"
    if usage.truncated or usage.files - baseline.files > limits.max_files:
        return "file_limit"
    return None


def run_entrypoint(
    entrypoint: str,
    workdir: str | os.PathLike[str],
    *,
    limits: Limits | None = None,
    sandbox: bool = True,
    masked: Sequence[str | os.PathLike[str]] = (),
    readonly: Sequence[str | os.PathLike[str]] = (),
    output_dir: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    heartbeat: Callable[[str], None] | None = None,
    heartbeat_every_s: float = 30.0,
) -> RunOutcome:
    """Run ``entrypoint`` (a shell command line) in ``workdir`` and wait for it under ``limits``.

    Args:
        entrypoint: the submission's command, run with ``/bin/sh -c`` as the challenge's did.
        workdir: the only writable directory (the submission's files, ``input/``, ``output/``).
        limits: resource limits (default :class:`Limits`).
        sandbox: ``True`` requires bubblewrap; ``False`` runs a plain process group (recorded).
        masked: paths that must stay invisible inside the sandbox even if a bound folder holds them.
        readonly: extra folders or files bound read-only at the same path (the system, the Python
            environment and fusionbench are always bound).
        output_dir: kept for compatibility; the whole work folder is watched (what the entrypoint
            writes anywhere in it counts against ``limits.output_bytes`` and ``limits.max_files``).
        env: extra environment variables for the entrypoint (the parent's environment is not passed).
        heartbeat: called every ``heartbeat_every_s`` seconds with a progress line (elapsed time,
            size of the output so far) while the entrypoint runs.

    Raises:
        SandboxError: ``sandbox=True`` but bubblewrap is missing or cannot create namespaces.
    """
    limits = limits or Limits()
    work = Path(workdir).resolve()
    watched = work
    device = os.stat(work).st_dev  # deleted files still open on this device count as output too
    baseline = _tree_usage(watched)
    started_ns = time.time_ns() - 50_000_000  # file times come from a coarse clock: a small margin
    command = ["/bin/sh", "-c", entrypoint]
    isolation: dict[str, Any] = {"mode": "none", "network": "host", "filesystem": "host", "uid": os.getuid(),
                                 "gid": os.getgid(), "capabilities": None, "locks_verified": []}
    if sandbox:
        bwrap = bwrap_path()
        if bwrap is None:
            raise SandboxError(
                "bubblewrap (bwrap) is not installed or cannot create namespaces here",
                expected="the 'bwrap' command (Debian/Ubuntu: apt-get install bubblewrap), "
                         "or run with --no-sandbox to accept a plain process group without isolation",
            )
        locks = verify_locks(bwrap)
        command = _bwrap_command(bwrap, work, command, [Path(m) for m in masked],
                                 [Path(r).resolve() for r in readonly])
        isolation = {"mode": "bwrap", "bwrap": _bwrap_version(bwrap), "network": "none",
                     "filesystem": "read-only system and Python environment; writable work directory only",
                     "namespaces": "user,pid,net,ipc,uts,cgroup", **locks}

    cgroup = RunCgroup.create(memory_bytes=limits.memory_bytes, max_processes=limits.max_processes)
    isolation["cgroup"] = cgroup.describe() if cgroup else None
    rlimits = _rlimits(cgroup)
    isolation["rlimits"] = rlimits
    if (not cgroup or "pids" not in cgroup.controllers) and os.geteuid() == 0:
        isolation["warning"] = "running as root without a pids cgroup: the process-count limit is not enforced"

    child_env = {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "HOME": str(work),
                 "TMPDIR": "/tmp" if sandbox else str(work), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
                 "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1", "FUSIONBENCH_SANDBOX": isolation["mode"]}
    limit_log = work / LIMIT_LOG_NAME
    child_env.update(env or {})
    child_env.update({"PYTHONPATH": os.pathsep.join(p for p in (str(SITE_HOOKS), child_env.get("PYTHONPATH")) if p),
                      "FUSIONBENCH_LIMIT_LOG": str(limit_log)})
    out_buf, err_buf = _TailBuffer(limits.log_bytes), _TailBuffer(limits.log_bytes)
    spared = _own_children()  # children from before the run are ours, not the submission's
    subreaper = _set_subreaper(True)
    started = time.monotonic()
    status, flags = None, []
    process = None
    try:
        process = subprocess.Popen(
            command, cwd=work, env=child_env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True,
            # the child must join the cgroup and set its limits between fork and exec; nothing in it
            # takes a lock that another thread could hold (file writes and setrlimit only)
            preexec_fn=_limit_setter(limits, cgroup, rlimits),  # noqa: PLW1509
        )
        readers = [threading.Thread(target=_drain, args=(process.stdout, out_buf), daemon=True),
                   threading.Thread(target=_drain, args=(process.stderr, err_buf), daemon=True)]
        for reader in readers:
            reader.start()
        next_beat = started + heartbeat_every_s
        next_scan, tree_memory = started, cgroup is None or "memory" not in cgroup.controllers
        while process.poll() is None:
            now = time.monotonic()
            if now - started > limits.wall_time_s:
                status = "timeout"
            elif now >= next_scan:  # a scan's cost is bounded by the file cap; space them by their cost
                usage = _tree_usage(watched, baseline.files + limits.max_files + 1)
                held = _deleted_open_bytes(cgroup.members() if cgroup is not None else _descendants(process.pid),
                                           device)
                if held and usage.bytes + held - baseline.bytes >= limits.output_bytes:
                    usage.bytes += held
                    if "deleted_files_held_open" not in flags:
                        flags.append("deleted_files_held_open")
                next_scan = time.monotonic() + max(0.05, 10 * (time.monotonic() - now))
                status = _usage_status(usage, baseline, limits)
                if status is None and tree_memory and _descendants_rss(process.pid) > limits.memory_bytes:
                    status = "memory_limit"
                if heartbeat is not None and now >= next_beat:
                    next_beat += heartbeat_every_s
                    heartbeat(f"still running: {now - started:.0f} s of {limits.wall_time_s:g} s, "
                              f"work folder +{max(0, usage.bytes - baseline.bytes) / 1024**2:.1f} MiB")
            if status:
                _kill_group(process, cgroup)
                break
            time.sleep(0.05)
        process.wait()
        wall = time.monotonic() - started
        _kill_group(process, cgroup)  # whatever the entrypoint left running
        if subreaper:
            _sweep_orphans({process.pid} | spared)
        for reader in readers:
            reader.join(timeout=5)
        code = process.returncode
        if status is None:
            if cgroup is not None and cgroup.out_of_memory():
                status = "memory_limit"
            elif code in (-signal.SIGXFSZ, 128 + signal.SIGXFSZ):
                status = "output_limit"
            elif (breach := _usage_status(_tree_usage(watched, baseline.files + limits.max_files + 1),
                                          baseline, limits)) is not None:
                status = breach
            elif code != 0 and b"MemoryError" in bytes(err_buf.tail + err_buf.head) and not cgroup:
                status = "memory_limit"
            else:
                status = "ok" if code == 0 else "error"
        if cgroup is not None and cgroup.process_cap_hit():
            flags.append("process_limit_hit")
        if _tree_usage(watched, baseline.files + limits.max_files + 1, started_ns).largest >= limits.output_bytes \
                or _noted_file_size_limit(limit_log):
            flags.append("file_size_limit_hit")  # a file at the per-file limit, or a SIGXFSZ noted by the hook
        if status == "memory_limit" and "memory_limit_hit" not in flags:
            flags.append("memory_limit_hit")
    finally:
        if process is not None and process.returncode is None:  # interrupted (a signal, an error): stop it all
            _kill_group(process, cgroup)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if subreaper:
            _set_subreaper(False)
        if cgroup is not None:
            cgroup.remove()
    return RunOutcome(status=status, exit_code=code, wall_s=round(wall, 3), stdout=out_buf.render(),
                      stderr=err_buf.render(), isolation=isolation, flags=flags)
