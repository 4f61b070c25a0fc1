"""The loop that runs inside one batch sandbox (started as ``python -I -S -c <this file's text>``).

It must not import fusionbench (the sandbox does not need it) and uses the standard library only.
Protocol: one JSON object per line on stdin, ``{"script": text, "timeout": s, "memory": bytes,
"output": bytes, "keep_stdout": bytes}``; one JSON object per line on stdout, ``{"status", "exit_code", "stdout",
"stderr", "wall_s"}``, status ``ok``/``error``/``timeout``/``output_limit``.

Each script runs as its own process group in a fresh folder under ``/tmp`` with its stdout and
stderr going to files there (capped by ``RLIMIT_FSIZE``), under ``RLIMIT_AS``/``RLIMIT_CPU``.
Afterwards every other process in the sandbox's PID namespace is killed and every writable place
(``/tmp``, ``/dev/shm``, ``/dev/mqueue``, System V shared memory, queues and semaphores) is
emptied, so nothing one script starts or writes reaches the next.  The driver makes itself non-dumpable,
so a script cannot reach the driver's pipes through ``/proc``; if a script kills the driver
anyway, the host sees the pipe close and restarts a sandbox for the remaining scripts.
"""

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time

KEEP = 4096  # bytes kept from the end of each stream


def _non_dumpable():
    try:
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except Exception:  # noqa: BLE001 - best effort; the host copes with a killed driver
        pass


def _in_own_sandbox():
    """True only inside a fresh PID namespace whose init is bubblewrap (we are its first child).

    Sweeping and emptying ``/tmp`` outside one would kill the host's processes and delete its
    files, so both are refused unless the host asked for them *and* this holds.
    """
    try:
        with open("/proc/1/cmdline", "rb") as handle:
            init = handle.read().split(b"\0")[0]
    except OSError:
        return False
    return os.getpid() <= 3 and os.getppid() == 1 and os.path.basename(init) == b"bwrap"


def _sweep():
    me = os.getpid()
    for _ in range(3):
        found = False
        for name in os.listdir("/proc"):
            if name.isdigit() and int(name) not in (1, me):
                try:
                    os.kill(int(name), signal.SIGKILL)
                    found = True
                except OSError:
                    pass
        while True:  # reap our own children
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        if not found:
            return
        time.sleep(0.01)


#: The places a script can write to inside the sandbox (the rest of the system is read-only).
WRITABLE = ("/tmp", "/dev/shm", "/dev/mqueue")


def _empty_writable():
    """Empty every writable folder and drop System V IPC objects, so no script leaves anything behind."""
    for folder in WRITABLE:
        _empty(folder)
    _remove_sysv_ipc()


def _remove_sysv_ipc():
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
    except Exception:  # noqa: BLE001 - no ctypes: nothing to remove with
        return
    for kind, remove in (("shm", lambda i: libc.shmctl(i, 0, None)), ("msg", lambda i: libc.msgctl(i, 0, None)),
                         ("sem", lambda i: libc.semctl(i, 0, 0))):  # IPC_RMID = 0
        try:
            with open("/proc/sysvipc/" + kind) as handle:
                rows = handle.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) > 1 and fields[1].isdigit():
                remove(int(fields[1]))


def _empty(folder):
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        path = os.path.join(folder, name)
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                os.chmod(path, 0o700)
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)
        except OSError:
            pass


def _tail(path, keep=KEEP):
    try:
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - keep))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _limits(request):
    timeout = float(request["timeout"])

    def apply():
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_AS, (request["memory"], request["memory"]))
        resource.setrlimit(resource.RLIMIT_FSIZE, (request["output"], request["output"]))
        cpu = int(timeout) + 2
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_NPROC, (request.get("processes", 64),) * 2)

    return apply


def run_one(request, sandboxed):
    import tempfile

    folder = "/tmp/run" if sandboxed else tempfile.mkdtemp(prefix="fusionbench-script-")
    os.makedirs(folder, exist_ok=True)
    script = os.path.join(folder, "script.py")
    with open(script, "w", encoding="utf-8") as handle:
        handle.write(request["script"])
    out_path, err_path = os.path.join(folder, ".stdout"), os.path.join(folder, ".stderr")
    started = time.monotonic()
    status = None
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        child = subprocess.Popen(
            [sys.executable, "-I", "-S", "-B", "script.py"], cwd=folder, stdin=subprocess.DEVNULL,
            stdout=out, stderr=err, start_new_session=True, close_fds=True,
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0", "HOME": folder},
            preexec_fn=_limits(request),  # noqa: PLW1509 - the driver is single-threaded
        )
        try:
            child.wait(timeout=float(request["timeout"]))
        except subprocess.TimeoutExpired:
            status = "timeout"
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except OSError:
                pass
            child.wait()
    wall = time.monotonic() - started
    code = child.returncode
    stdout, stderr = _tail(out_path, int(request.get("keep_stdout", KEEP))), _tail(err_path)
    if sandboxed:
        _sweep()
        _empty_writable()
    else:  # the protocol without isolation (tests only): the script's own process group and folder
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except OSError:
            pass
        shutil.rmtree(folder, ignore_errors=True)
    if status is None:
        if code in (-signal.SIGXFSZ, 128 + signal.SIGXFSZ):
            status = "output_limit"
        elif code in (-signal.SIGXCPU, -signal.SIGKILL) and wall >= float(request["timeout"]) * 0.9:
            status = "timeout"
        else:
            status = "ok" if code == 0 else "error"
    return {"status": status, "exit_code": code, "stdout": stdout, "stderr": stderr, "wall_s": round(wall, 4)}


def main():
    _non_dumpable()
    sandboxed = _in_own_sandbox()
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        if request.get("ping"):  # the host checks that the sandbox started before sending scripts
            sys.stdout.write(json.dumps({"status": "ready", "sandboxed": sandboxed}) + "\n")
            sys.stdout.flush()
            continue
        if request.get("sandboxed") and not sandboxed:
            sys.stdout.write(json.dumps({"status": "refused"}) + "\n")
            sys.stdout.flush()
            return
        result = run_one(request, sandboxed and bool(request.get("sandboxed")))
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


main()
