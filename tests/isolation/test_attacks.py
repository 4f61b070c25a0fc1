"""Attacks on the sandbox by a submission that runs as root outside it (as CI and containers do).

Each attack is run twice: in the hardened sandbox, where it must fail with the safe outcome
asserted, and, as a control, in a sandbox with the pre-hardening flags (``--unshare-all`` only,
which keeps every capability when the harness is root), where the same code must succeed.  A
control never points at the real environment: it attacks temporary copies bound read-only.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest

import fusionbench
import fusionbench.isolation.sandbox as sandbox
from fusionbench.errors import SandboxError
from fusionbench.harness.runner import run_submission
from fusionbench.isolation import Limits, bwrap_path, run_entrypoint, verify_locks

BWRAP = bwrap_path()
pytestmark = pytest.mark.skipif(BWRAP is None, reason="bubblewrap is not installed (CI installs it)")
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="the controls need a root harness")

LIMITS = Limits(wall_time_s=30, memory_bytes=400 * 1024**2, max_processes=40, output_bytes=20 * 1024**2)

#: Shared by the attacks: libc's mount calls from Python.
PRELUDE = """
import ctypes, json, os, sys
libc = ctypes.CDLL(None, use_errno=True)
MS_REMOUNT, MS_BIND, MNT_DETACH = 32, 4096, 2
def mounts():
    return [line.split() for line in open("/proc/self/mountinfo")]
def remount_rw(path):
    return libc.mount(None, path.encode(), None, MS_REMOUNT | MS_BIND, None)
"""


@pytest.fixture
def old_flags(monkeypatch):
    """The sandbox as it was before hardening (the control): no uid change, capabilities kept."""
    monkeypatch.setattr(sandbox, "HARDENING", ())
    monkeypatch.setattr(sandbox, "verify_locks", lambda bwrap: {"uid": 0, "locks_verified": []})


def _attack(tmp_path: Path, code: str, **kwargs) -> sandbox.RunOutcome:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    (work / "attack.py").write_text(PRELUDE + textwrap.dedent(code), encoding="utf-8")
    kwargs.setdefault("limits", LIMITS)
    return run_entrypoint("python attack.py", work, output_dir=work, **kwargs)


# -- the probe -----------------------------------------------------------------------------------
def test_the_record_names_the_uid_capabilities_and_locks():
    locks = verify_locks(BWRAP)
    assert locks["uid"] == sandbox.SANDBOX_UID and locks["gid"] == sandbox.SANDBOX_GID
    assert set(locks["capabilities"].values()) == {"0" * 16}
    assert locks["locks_verified"] == list(sandbox.LOCKS)


@as_root
def test_a_weaker_sandbox_is_refused_naming_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "HARDENING", ())  # the old flags: the probe finds root with capabilities
    with pytest.raises(SandboxError, match="not_root.*no_capabilities.*no_mount"):
        run_entrypoint("true", tmp_path, limits=LIMITS)
    monkeypatch.setattr(sandbox, "HARDENING", ("--unshare-user", "--uid", "65534", "--gid", "65534"))
    with pytest.raises(SandboxError, match="no_capabilities") as info:
        run_entrypoint("true", tmp_path, limits=LIMITS)
    assert "not_root" not in str(info.value)


# -- 1. unmount the masks and read the answers ---------------------------------------------------
UNMASK = """
for fields in reversed(mounts()):
    mount_point = fields[4]
    if fields[fields.index("-") + 1] == "tmpfs" and mount_point not in ("/tmp", "/dev"):
        print("umount", mount_point, libc.umount2(mount_point.encode(), MNT_DETACH))
import fusionbench
answers = {}
path = os.path.join(os.path.dirname(fusionbench.__file__), "data", "sample_data", "test", "true_HTR.json")
try:
    answers = json.load(open(path, encoding="utf-8"))
except Exception as exc:
    print("no answers:", type(exc).__name__)
names = sorted(os.listdir("input/HTR/images"))
os.makedirs("output", exist_ok=True)
json.dump({n: answers.get(n, "") for n in names}, open("output/prediction_HTR.json", "w"))
"""


def _submission(folder: Path, code: str) -> Path:
    folder.mkdir()
    (folder / "run.py").write_text(PRELUDE + textwrap.dedent(code), encoding="utf-8")
    (folder / "metadata.json").write_text(json.dumps({"entrypoint": "python run.py"}), encoding="utf-8")
    return folder


def _run(submission: Path, tmp_path: Path) -> dict:
    record, _ = run_submission(submission, data="sample", tasks="HTR", out=tmp_path / "results", limits=LIMITS,
                               bootstrap_samples=20)
    return record


def test_unmounting_the_masks_reads_no_answers(tmp_path):
    record = _run(_submission(tmp_path / "unmask", UNMASK), tmp_path)
    assert record["execution"]["status"] == "ok", record["execution"]["stderr"]["text"]
    assert record["tasks"]["HTR"]["score"] == 0.0
    assert record["isolation"]["uid"] == sandbox.SANDBOX_UID and record["isolation"]["locks_verified"]


@as_root
def test_control_unmounting_the_masks_works_with_the_old_flags(tmp_path, old_flags):
    record = _run(_submission(tmp_path / "unmask", UNMASK), tmp_path)
    assert record["tasks"]["HTR"]["score"] == 1.0


# -- 2. remount the read-only binds read-write and write into the environment --------------------
REMOUNT = """
targets = json.loads(os.environ["TARGETS"])
for fields in mounts():
    remount_rw(fields[4])
for target in targets:
    try:
        open(os.path.join(target, "fusionbench-attack-marker"), "w").write("owned")
        print("WROTE", target)
    except OSError as exc:
        print("refused", target, exc.errno)
"""


def _environment_targets() -> list[Path]:
    import site
    import sys

    return sorted({Path(p) for p in site.getsitepackages() if Path(p).is_dir()} | {Path(sys.prefix)}
                  | {Path(sys.prefix) / "bin", Path(sys.base_prefix), Path("/usr"), Path("/usr/lib")})


def test_remounting_the_environment_writes_nothing(tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    real = _environment_targets()
    try:
        outcome = _attack(tmp_path, REMOUNT, env={"TARGETS": json.dumps([str(p) for p in [*real, copy]])},
                          readonly=[copy])
        assert outcome.status == "ok", outcome.stderr["text"]
        assert "WROTE" not in outcome.stdout["text"]
        for target in [*real, copy]:
            assert not (target / "fusionbench-attack-marker").exists(), target
    finally:  # should the sandbox ever fail, do not leave the real environment modified
        for target in real:
            (target / "fusionbench-attack-marker").unlink(missing_ok=True)


@as_root
def test_control_remounting_writes_with_the_old_flags(tmp_path, old_flags):
    copy = tmp_path / "copy"
    copy.mkdir()
    outcome = _attack(tmp_path, REMOUNT, env={"TARGETS": json.dumps([str(copy)])}, readonly=[copy])
    assert (copy / "fusionbench-attack-marker").read_text() == "owned", outcome.stdout["text"]


# -- 3. patch the scorer so that a later honest submission scores 1 ------------------------------
PATCH = """
target = os.environ["TARGET"]
for fields in mounts():
    remount_rw(fields[4])
try:
    with open(target, "a") as handle:
        handle.write("\\nprint('patched by a submission')\\n")
    print("PATCHED")
except OSError as exc:
    print("refused", exc.errno)
"""

HONEST = """
names = sorted(os.listdir("input/HTR/images"))
os.makedirs("output", exist_ok=True)
json.dump({n: "" for n in names}, open("output/prediction_HTR.json", "w"))
"""


def test_the_scorer_cannot_be_patched_and_later_runs_score_the_same(tmp_path):
    scorer = Path(fusionbench.__file__).resolve().parent / "metrics" / "htr.py"
    original = scorer.read_bytes()
    try:
        before = _run(_submission(tmp_path / "honest1", HONEST), tmp_path)["tasks"]["HTR"]["score"]
        outcome = _attack(tmp_path, PATCH, env={"TARGET": str(scorer)})
        assert outcome.status == "ok" and "PATCHED" not in outcome.stdout["text"], outcome.stdout["text"]
        assert hashlib.sha256(scorer.read_bytes()).digest() == hashlib.sha256(original).digest()
        after = _run(_submission(tmp_path / "honest2", HONEST), tmp_path)["tasks"]["HTR"]["score"]
        assert after == before
    finally:
        if scorer.read_bytes() != original:
            scorer.write_bytes(original)


@as_root
def test_control_the_scorer_copy_is_patched_with_the_old_flags(tmp_path, old_flags):
    copy = tmp_path / "metrics"
    shutil.copytree(Path(fusionbench.__file__).resolve().parent / "metrics", copy)
    outcome = _attack(tmp_path, PATCH, env={"TARGET": str(copy / "htr.py")}, readonly=[copy])
    assert "PATCHED" in outcome.stdout["text"], outcome.stdout["text"] + outcome.stderr["text"]
    assert b"patched by a submission" in (copy / "htr.py").read_bytes()


# -- 4. mount the cgroup file system and lift the process cap ------------------------------------
CGROUP = """
import subprocess, time
os.makedirs("/tmp/cg", exist_ok=True)
lifted = False
for options in (b"pids", b""):
    if libc.mount(b"cgroup", b"/tmp/cg", b"cgroup2" if not options else b"cgroup", 0, options or None) == 0:
        for name in ("pids.max",):
            try:
                open(os.path.join("/tmp/cg", name), "w").write("max")
                lifted = True
            except OSError as exc:
                print("write refused", exc.errno)
        break
print("LIFTED" if lifted else "mount refused")
children, refused = [], 0
for _ in range(80):
    try:
        children.append(subprocess.Popen(["sleep", "20"]))
    except OSError:
        refused += 1
print("REFUSED", refused)
"""


def _cgroup_attack(tmp_path):
    outcome = _attack(tmp_path, CGROUP, limits=Limits(wall_time_s=30, memory_bytes=400 * 1024**2, max_processes=20,
                                                      output_bytes=1024**2))
    cgroup = outcome.isolation["cgroup"]
    if cgroup is None or "pids" not in cgroup["controllers"]:
        pytest.skip("no pids cgroup on this machine")
    return outcome, int(outcome.stdout["text"].split("REFUSED")[1].split()[0])


def test_the_cgroup_cannot_be_mounted_nor_the_process_cap_lifted(tmp_path):
    outcome, refused = _cgroup_attack(tmp_path)
    assert "LIFTED" not in outcome.stdout["text"] and "mount refused" in outcome.stdout["text"]
    assert refused >= 55 and "process_limit_hit" in outcome.flags
    assert outcome.isolation["cgroup"]["max_processes"] == 20


@as_root
def test_control_the_process_cap_is_lifted_with_the_old_flags(tmp_path, old_flags):
    outcome, refused = _cgroup_attack(tmp_path)
    assert "LIFTED" in outcome.stdout["text"], outcome.stdout["text"]
    assert refused == 0


# -- host-wide kernel settings through /proc/sys (the sandbox uid is host uid 0 under a root harness) --
PROC_SYS = """
opened = []
for path in ("/proc/sys/kernel/core_pattern", "/proc/sys/vm/drop_caches", "/proc/sys/fs/file-max"):
    try:
        os.close(os.open(path, os.O_WRONLY))  # opened for writing and closed: nothing is ever written
        opened.append(path)
    except OSError:
        pass
print(json.dumps(opened))
"""


def test_proc_sys_cannot_be_opened_for_writing(tmp_path):
    outcome = _attack(tmp_path, PROC_SYS)
    assert outcome.status == "ok", outcome.stderr
    assert json.loads(outcome.stdout["text"]) == []
    assert "no_proc_sys_write" in outcome.isolation["locks_verified"]


@as_root
def test_control_proc_sys_opens_for_writing_without_the_read_only_bind(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "PROC_SYS_READ_ONLY", ())
    # the probe notices the missing bind and refuses the run, naming the lock
    with pytest.raises(SandboxError, match="no_proc_sys_write") as info:
        run_entrypoint("true", tmp_path, limits=LIMITS)
    assert "not_root" not in str(info.value)
    # and past the probe, the same attack opens every file (open only, nothing written)
    monkeypatch.setattr(sandbox, "verify_locks", lambda bwrap: {"uid": 65534, "locks_verified": []})
    outcome = _attack(tmp_path, PROC_SYS)
    assert outcome.status == "ok", outcome.stderr
    assert len(json.loads(outcome.stdout["text"])) == 3
