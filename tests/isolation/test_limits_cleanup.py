"""Limits over the whole work folder, flagged breaches, and clean-up that never follows a link.

Some tests also run the harness as an unprivileged user (uid 65534 via ``setpriv``) where the
machine allows it: that is where a link-following clean-up or a per-process memory cap would hurt.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from fusionbench.isolation import Limits, bwrap_path, run_entrypoint
from fusionbench.isolation.cleanup import remove_tree

BWRAP = bwrap_path()
needs_bwrap = pytest.mark.skipif(BWRAP is None, reason="bubblewrap is not installed (CI installs it)")
REPO = Path(__file__).resolve().parents[2]
SMALL = Limits(wall_time_s=30, memory_bytes=400 * 1024**2, max_processes=40, output_bytes=5 * 1024**2,
               max_files=500)


def _run(tmp_path: Path, code: str, limits: Limits = SMALL, sandbox: bool = True):
    work = tmp_path / "work"
    (work / "output").mkdir(parents=True, exist_ok=True)
    (work / "run.py").write_text(textwrap.dedent(code), encoding="utf-8")
    return run_entrypoint("python run.py", work, limits=limits, sandbox=sandbox)


# -- limits over the whole work folder -----------------------------------------------------------
@needs_bwrap
def test_bytes_written_outside_output_count(tmp_path):
    outcome = _run(tmp_path, """
    import time
    with open("elsewhere.bin", "wb") as f:   # not under output/
        for _ in range(40):
            f.write(b"x" * (1 << 20)); f.flush()
            time.sleep(0.02)
    time.sleep(5)
    """, Limits(**{**SMALL.to_dict(), "output_bytes": 20 * 1024**2}))
    assert outcome.status == "output_limit"


@needs_bwrap
def test_a_sparse_file_counts_at_its_apparent_size(tmp_path):
    outcome = _run(tmp_path, """
    import time
    with open("holes.bin", "wb") as f:
        f.truncate(4 * 1024 * 1024)   # under the per-file limit, no blocks
    with open("holes2.bin", "wb") as f:
        f.truncate(4 * 1024 * 1024)   # together over the 5 MiB cap
    time.sleep(5)
    """)
    assert outcome.status == "output_limit"


@needs_bwrap
def test_too_many_files_stop_the_run(tmp_path):
    outcome = _run(tmp_path, """
    import os, time
    os.makedirs("many")
    for i in range(5000):
        open(f"many/{i}", "w").close()
    time.sleep(5)
    """)
    assert outcome.status == "file_limit"


@needs_bwrap
def test_a_write_cut_at_the_file_size_limit_is_flagged_even_if_the_entrypoint_carries_on(tmp_path):
    outcome = _run(tmp_path, """
    try:
        with open("output/big.bin", "wb") as f:
            f.write(b"x" * (6 * 1024 * 1024))   # over the 5 MiB per-file limit
    except OSError as exc:
        print("carried on after", exc.errno)
    """, Limits(**{**SMALL.to_dict(), "output_bytes": 5 * 1024**2}))
    assert "carried on after" in outcome.stdout["text"], outcome.stderr["text"]
    assert "file_size_limit_hit" in outcome.flags


@needs_bwrap
@pytest.mark.parametrize("how", ["seek", "truncate"])
def test_a_sparse_write_refused_at_the_file_size_limit_is_flagged(tmp_path, how):
    outcome = _run(tmp_path, f"""
    try:
        with open("output/sparse.bin", "wb") as f:
            if {how!r} == "seek":
                f.seek(10 * 1024**3)   # 10 GiB of holes, then one byte: refused by RLIMIT_FSIZE
                f.write(b"x")
            else:
                f.truncate(10 * 1024**3)
    except OSError as exc:
        print("carried on after", exc.errno)
    """)
    assert outcome.status == "ok" and "carried on after 27" in outcome.stdout["text"], outcome.stderr["text"]
    assert "file_size_limit_hit" in outcome.flags
    assert not (tmp_path / "work" / ".fusionbench-limits").exists()


@needs_bwrap
def test_a_small_honest_run_has_no_flags(tmp_path):
    outcome = _run(tmp_path, "open('output/a.txt', 'w').write('hello')\n")
    assert outcome.status == "ok" and outcome.flags == []


# -- clean-up ------------------------------------------------------------------------------------
def _hostile_tree(root: Path, outside: Path) -> None:
    """Links to an outside file and folder, folders at mode 000 and 0o300, deep nesting."""
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "f").write_text("x")
    os.symlink(outside, root / "a" / "link-to-file")
    os.symlink(outside.parent, root / "a" / "link-to-folder")
    (root / "locked").mkdir()
    (root / "locked" / "inner").mkdir()
    os.symlink(outside, root / "locked" / "inner" / "link")
    (root / "locked" / "inner" / "g").write_text("y")
    os.chmod(root / "locked" / "inner", 0o000)
    os.chmod(root / "locked", 0o300)
    deep = root
    for _ in range(300):
        deep = deep / "d"
    os.makedirs(deep)


def test_cleanup_never_follows_links_and_copes_with_any_mode(tmp_path):
    outside = tmp_path / "outside" / "host-file"
    outside.parent.mkdir()
    outside.write_text("keep")
    os.chmod(outside, 0o600)
    os.chmod(outside.parent, 0o755)
    root = tmp_path / "tree"
    root.mkdir()
    _hostile_tree(root, outside)
    remove_tree(root)
    assert not root.exists()
    assert outside.read_text() == "keep" and outside.stat().st_mode & 0o777 == 0o600
    assert outside.parent.stat().st_mode & 0o777 == 0o755


def test_control_the_old_cleanup_changes_a_host_file_through_a_link(tmp_path):
    """The control: the clean-up this replaced (rmtree, then chmod by path) does follow the link."""
    outside = tmp_path / "host-file"
    outside.write_text("keep")
    os.chmod(outside, 0o600)
    root = tmp_path / "tree"
    (root / "locked").mkdir(parents=True)
    os.symlink(outside, root / "locked" / "link")
    names = []

    def retry(function, name, _):  # the old error handler
        names.append(name)
        os.chmod(os.path.dirname(name), 0o700)
        os.chmod(name, 0o700)
        function(name)

    os.chmod(root / "locked", 0o500)  # an entry cannot be removed: the handler runs on the link
    if os.geteuid() == 0:  # root ignores the mode; call the handler as the failed unlink would
        retry(os.unlink, str(root / "locked" / "link"), None)
    else:
        shutil.rmtree(root, onerror=retry)
    assert outside.stat().st_mode & 0o777 == 0o700  # the host file's mode changed


UNPRIVILEGED = shutil.which("setpriv") is not None and os.geteuid() == 0
#: A Python that uid 65534 can start (the test environment's may live under a private /root).
SYSTEM_PYTHON = "/usr/bin/python3"


def _as_nobody(code: str, cwd: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", sys.executable, "-c",
                           textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(REPO),
                               "HOME": str(cwd)})


@pytest.fixture
def nobody_dir():
    """A folder that uid 65534 owns and can reach (pytest's own tmp folders are private to root)."""
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="fusionbench-nobody-"))
    os.chmod(base, 0o755)
    os.chown(base, 65534, 65534)
    yield base
    remove_tree(base)


@pytest.mark.skipif(not UNPRIVILEGED, reason="needs root to switch to an unprivileged user with setpriv")
def test_cleanup_as_an_unprivileged_user(nobody_dir):
    base = nobody_dir
    done = _as_nobody("""
    import os
    from pathlib import Path
    outside = Path("outside"); outside.write_text("keep"); os.chmod(outside, 0o600)
    root = Path("tree"); root.mkdir()
    (root / "locked" / "inner").mkdir(parents=True)
    os.symlink(outside.resolve(), root / "locked" / "inner" / "link")
    os.chmod(root / "locked" / "inner", 0o000)
    os.chmod(root / "locked", 0o000)
    from fusionbench.isolation.cleanup import remove_tree
    remove_tree(root)
    print("GONE", not root.exists(), oct(outside.stat().st_mode & 0o777))
    """, base)
    assert "GONE True 0o600" in done.stdout, done.stdout + done.stderr


@pytest.mark.skipif(not UNPRIVILEGED, reason="needs root to switch to an unprivileged user with setpriv")
@pytest.mark.parametrize("watchdog", [True, False], ids=["capped", "control-without-tree-watchdog"])
def test_the_memory_cap_covers_the_process_tree_as_an_unprivileged_user(nobody_dir, watchdog):
    base = nobody_dir
    (base / "work" / "output").mkdir(parents=True)
    for path in (base / "work", base / "work" / "output"):
        os.chown(path, 65534, 65534)
    (base / "work" / "run.py").write_text(textwrap.dedent("""
    import subprocess, sys, time
    hog = "b = bytearray(150 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); import time; time.sleep(6)"
    children = [subprocess.Popen([sys.executable, "-c", hog]) for _ in range(4)]   # 600 MB in all
    for child in children:
        child.wait()
    """))
    done = _as_nobody(("""
    import fusionbench.isolation.sandbox as sandbox
    sandbox._descendants_rss = lambda pid: 0   # the control: each process is still under its own cap
    """ if not watchdog else "") + """
    from fusionbench.isolation import Limits, run_entrypoint
    limits = Limits(wall_time_s=25, memory_bytes=400 * 1024**2, max_processes=40, output_bytes=2**20)
    outcome = run_entrypoint(f"{PYTHON} run.py", "work", limits=limits, sandbox=False)
    print(outcome.stderr["text"][-300:])
    print("STATUS", outcome.status, outcome.isolation["cgroup"])
    """.replace("{PYTHON}", SYSTEM_PYTHON), base)
    expected = "STATUS memory_limit None" if watchdog else "STATUS ok None"
    assert expected in done.stdout, done.stdout + done.stderr


# -- signals -------------------------------------------------------------------------------------
@needs_bwrap
@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_the_harness_removes_temp_folders_cgroups_and_staging(tmp_path, number):
    submission = tmp_path / "sleeper"
    submission.mkdir()
    (submission / "metadata.json").write_text(json.dumps({"entrypoint": "python run.py"}))
    marker = f"sleeper-{os.getpid()}-{number}"
    (submission / "run.py").write_text(f"import time\nprint({marker!r}, flush=True)\ntime.sleep(300)\n")
    temp = tmp_path / "tmp"
    temp.mkdir()
    out = tmp_path / "results"
    harness = subprocess.Popen([sys.executable, "-m", "fusionbench", "run", str(submission), "--tasks", "HTR",
                                "--out", str(out), "--time-limit", "200"],
                               env={**os.environ, "TMPDIR": str(temp)}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    cgroups: set[str] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not cgroups:
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and b"time.sleep(300)" not in (entry / "cmdline").read_bytes() \
                        and b"run.py" in (entry / "cmdline").read_bytes():
                    cgroups |= {line.split(":", 2)[2] for line in (entry / "cgroup").read_text().splitlines()
                                if "fusionbench-" in line}
                    cgroups.add("found")
            except OSError:
                pass
        time.sleep(0.2)
    assert cgroups, "the sleeper never started"
    assert any(temp.iterdir()) and any(out.glob(".staging-*"))
    harness.send_signal(number)
    harness.communicate(timeout=60)
    assert harness.returncode != 0
    assert list(temp.iterdir()) == []
    assert list(out.glob(".staging-*")) == [] and list(out.glob("*/record.json")) == []
    for path in cgroups - {"found"}:
        for controller in ("pids", "memory", ""):
            assert not (Path("/sys/fs/cgroup") / controller / path.lstrip("/")).exists()


@needs_bwrap
@pytest.mark.parametrize("sandbox", [True, False], ids=["bwrap", "no-sandbox"])
def test_a_run_whose_submission_leaves_links_and_mode_000_folders_cleans_up_and_records(tmp_path, sandbox):
    from fusionbench.harness.runner import run_submission

    host = tmp_path / "host" / "file"
    host.parent.mkdir()
    host.write_text("keep")
    os.chmod(host, 0o600)
    submission = tmp_path / "sub"
    submission.mkdir()
    (submission / "metadata.json").write_text(json.dumps({"entrypoint": "python run.py"}))
    (submission / "run.py").write_text(textwrap.dedent(f"""
    import json, os
    os.makedirs("trap/inner")
    os.symlink({str(host)!r}, "trap/inner/link")
    os.symlink({str(host.parent)!r}, "trap/dirlink")
    os.chmod("trap/inner", 0o000)
    os.chmod("trap", 0o000)
    os.makedirs("output/sub")
    names = sorted(os.listdir("input/HTR/images"))
    json.dump({{n: "" for n in names}}, open("output/prediction_HTR.json", "w"))
    os.chmod("output/sub", 0o000)
    print("CWD", os.getcwd())
    """))
    record, path = run_submission(submission, data="sample", tasks="HTR", out=tmp_path / "results", sandbox=sandbox,
                                  limits=SMALL, bootstrap_samples=20)
    assert record["execution"]["status"] == "ok", record["execution"]["stderr"]["text"]
    assert record["tasks"]["HTR"]["status"] == "scored" and path.is_file()
    cwd = record["execution"]["stdout"]["text"].split("CWD", 1)[1].split()[0]
    assert not os.path.exists(os.path.dirname(cwd))
    assert host.read_text() == "keep" and host.stat().st_mode & 0o777 == 0o600


def test_the_orphan_sweep_spares_children_the_caller_had_before_the_run(tmp_path):
    """The caller's own children (e.g. the C2C scoring workers) survive; the entrypoint's orphan does not."""
    mine = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        code = textwrap.dedent("""
            import os, subprocess, sys
            child = subprocess.Popen([sys.executable, "-c", "import os, time; open('orphan.pid', 'w').write(str(os.getpid())); time.sleep(60)"], start_new_session=True)
            while not os.path.exists("orphan.pid"):
                pass
            """)
        work = tmp_path / "work"
        work.mkdir()
        (work / "run.py").write_text(code, encoding="utf-8")
        outcome = run_entrypoint(f"{sys.executable} run.py", work, limits=Limits(wall_time_s=30), sandbox=False)
        assert outcome.status == "ok", outcome.stderr
        orphan = int((work / "orphan.pid").read_text())
        time.sleep(0.2)
        assert mine.poll() is None  # the caller's child lives on
        with pytest.raises(ProcessLookupError):  # control: the submission's orphan was swept
            os.kill(orphan, 0)
    finally:
        mine.kill()
        mine.wait()
