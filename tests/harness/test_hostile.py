"""Hostile and broken submissions: each is contained, stopped or scored 0 with a recorded reason."""

from __future__ import annotations

import dataclasses
import json
import os
import textwrap
import time
import uuid
import zipfile
from pathlib import Path

import pytest
from harness_helpers import EMPTY_HTR, FAST, needs_bwrap, write_submission

from fusionbench.errors import FusionBenchError, MissingFileError, SandboxError
from fusionbench.harness.runner import run_submission

pytestmark = needs_bwrap

#: Looks for the answers everywhere it can and copies whatever it finds into its HTR prediction.
THIEF = """
import json, os, sys
found = {}
def take(path):
    try:
        data = json.load(open(path, encoding="utf-8"))
    except Exception:
        return
    if isinstance(data, dict) and any(str(k).endswith(".png") for k in data):
        found[path] = data
for rel in ("..", "../..", "../../..", os.environ.get("HINT", "/nonexistent")):
    for name in ("true_HTR.json", "answers/true_HTR.json"):
        take(os.path.join(rel, name))
if os.environ.get("FUSIONBENCH_SANDBOX") == "bwrap":  # the visible file system is small: search all of it
    for root, dirs, files in os.walk("/"):
        dirs[:] = [d for d in dirs if os.path.join(root, d) not in ("/proc", "/sys", "/dev")]
        for f in files:
            if f.startswith("true_") or f == "meta.json":
                take(os.path.join(root, f))
import fusionbench  # the shipped sample's answers live in the package: they must be masked
take(os.path.join(os.path.dirname(fusionbench.__file__), "data", "sample_data", "test", "true_HTR.json"))
print("FOUND", sorted(found))
answers = {}
for data in found.values():
    answers.update(data)
names = sorted(os.listdir("input/HTR/images"))
os.makedirs("output", exist_ok=True)
json.dump({n: answers.get(n, "") for n in names}, open("output/prediction_HTR.json", "w"))
"""


def _run(submission, tmp_path, **kwargs):
    kwargs.setdefault("limits", FAST)
    kwargs.setdefault("tasks", "HTR")
    kwargs.setdefault("bootstrap_samples", 50)
    return run_submission(submission, out=tmp_path / "results", **kwargs)


def test_a_thief_finds_no_answers_in_the_sandbox(tmp_path, data_dir):
    thief = write_submission(tmp_path / "thief", THIEF)
    record, _ = _run(thief, tmp_path, data=data_dir, env={"HINT": str(data_dir)})
    assert record["execution"]["status"] == "ok", record["execution"]["stderr"]["text"]
    assert "FOUND []" in record["execution"]["stdout"]["text"]
    assert record["tasks"]["HTR"]["score"] == 0.0
    # the shipped sample's own answers are masked too
    record, _ = _run(thief, tmp_path, data="sample")
    assert "FOUND []" in record["execution"]["stdout"]["text"], record["execution"]["stdout"]["text"]
    assert record["tasks"]["HTR"]["score"] == 0.0


def test_without_the_sandbox_the_same_thief_succeeds(tmp_path, data_dir):
    """The control: the thief is not harmless, the sandbox is what stops it."""
    thief = write_submission(tmp_path / "thief", THIEF)
    record, _ = _run(thief, tmp_path, data=data_dir, env={"HINT": str(data_dir)}, sandbox=False)
    assert record["isolation"]["mode"] == "none"
    assert record["tasks"]["HTR"]["score"] == 1.0


def test_a_sleeper_is_killed_at_the_time_limit(tmp_path, data_dir):
    sleeper = write_submission(tmp_path / "sleeper", "import time\ntime.sleep(600)\n")
    started = time.monotonic()
    record, _ = _run(sleeper, tmp_path, data=data_dir, limits=dataclasses.replace(FAST, wall_time_s=1.5))
    assert time.monotonic() - started < 15
    assert record["execution"]["status"] == "timeout"
    assert record["tasks"]["HTR"]["status"] == "missing" and record["tasks"]["HTR"]["score"] == 0.0


def _alive_with(marker: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


@pytest.mark.parametrize("sandbox", [True, False], ids=["bwrap", "no-sandbox"])
def test_a_child_that_outlives_its_parent_is_killed(tmp_path, data_dir, sandbox):
    marker = f"orphan-{uuid.uuid4().hex}"
    code = f"""
    import os, subprocess, sys
    # a detached grandchild in its own session, then the entrypoint exits at once
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", "{marker}"],
                     start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    {EMPTY_HTR.strip().replace(chr(10), chr(10) + '    ')}
    """
    forker = write_submission(tmp_path / "forker", code)
    record, _ = _run(forker, tmp_path, data=data_dir, sandbox=sandbox)
    assert record["execution"]["status"] == "ok", record["execution"]["stderr"]["text"]
    assert _alive_with(marker) == []


def test_unbounded_memory_is_stopped_and_recorded(tmp_path, data_dir):
    hog = write_submission(tmp_path / "hog", """
    chunks = []
    while True:
        chunks.append(bytearray(16 * 1024 * 1024))
    """)
    record, _ = _run(hog, tmp_path, data=data_dir, limits=dataclasses.replace(FAST, memory_bytes=200 * 1024**2))
    assert record["execution"]["status"] == "memory_limit"
    assert record["tasks"]["HTR"]["score"] == 0.0


def test_ten_gigabytes_of_output_stop_at_the_cap(tmp_path, data_dir):
    flood = write_submission(tmp_path / "flood", """
    import os
    os.makedirs("output", exist_ok=True)
    block = b"x" * (1 << 20)
    with open("output/prediction_HTR.json", "wb") as f:
        for _ in range(10 * 1024):  # 10 GiB
            f.write(block)
    """)
    record, path = _run(flood, tmp_path, data=data_dir)
    assert record["execution"]["status"] == "output_limit"
    assert record["tasks"]["HTR"]["status"] == "invalid" and record["tasks"]["HTR"]["score"] == 0.0
    kept = path.parent / "predictions" / "prediction_HTR.json"
    assert kept.stat().st_size <= FAST.output_bytes


def test_too_many_processes_are_refused(tmp_path, data_dir):
    spawner = write_submission(tmp_path / "spawner", textwrap.dedent("""
    import subprocess, sys
    children, refused = [], 0
    for _ in range(200):
        try:
            children.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]))
        except OSError:
            refused += 1
    print("REFUSED", refused)
    """) + EMPTY_HTR)
    record, _ = _run(spawner, tmp_path, data=data_dir, limits=dataclasses.replace(FAST, max_processes=20))
    cgroup = record["isolation"]["cgroup"]
    if cgroup is None or "pids" not in cgroup["controllers"]:
        pytest.skip("no pids cgroup on this machine")
    assert "process_limit_hit" in record["execution"]["flags"]
    refused = int(record["execution"]["stdout"]["text"].split("REFUSED")[1].split()[0])
    assert refused > 150


def test_broken_outputs_score_zero_with_reasons_and_other_tasks_still_count(tmp_path, data_dir):
    broken = write_submission(tmp_path / "broken", """
    import json, os
    os.makedirs("output", exist_ok=True)
    open("output/prediction_HTR.json", "w").write('{"test_0.png": "a",')   # not JSON
    questions = json.load(open("input/VQA/questions.json", encoding="utf-8"))
    json.dump({"no-such-question": "yes"}, open("output/prediction_VQA.json", "w"))  # wrong keys
    """)
    record, _ = _run(broken, tmp_path, data=data_dir, tasks=None)
    htr, vqa = record["tasks"]["HTR"], record["tasks"]["VQA"]
    assert htr["status"] == "invalid" and htr["reason"].startswith("output/prediction_HTR.json") and htr["score"] == 0.0
    assert vqa["status"] == "invalid" and vqa["score"] == 0.0 and vqa["reason"]
    assert record["overall"] == 0.0


def test_nan_boxes_make_zsod_invalid(tmp_path):
    nan_boxes = write_submission(tmp_path / "nan", """
    import json, os
    os.makedirs("output", exist_ok=True)
    requests = json.load(open("input/zsOD/requests.json", encoding="utf-8"))
    out = {img: {d: [[float("nan"), 0, 1, 1]] for d in ds} for img, ds in requests.items()}
    open("output/prediction_zsOD.json", "w").write(json.dumps(out))  # json writes NaN, which is not JSON
    """)
    record, _ = _run(nan_boxes, tmp_path, data="sample", tasks="zsOD")
    zsod = record["tasks"]["zsOD"]
    assert zsod["status"] == "invalid" and zsod["score"] == 0.0 and "nan" in zsod["reason"]
    assert zsod["reason"].startswith("output/prediction_zsOD.json")


def test_a_failing_exit_is_recorded_and_valid_outputs_still_scored(tmp_path, data_dir):
    failing = write_submission(tmp_path / "failing", EMPTY_HTR + """
    import json
    json.dump({n: "x" for n in names}, open("output/prediction_HTR.json", "w"))
    raise SystemExit(3)
    """.replace("\n    ", "\n"))
    record, _ = _run(failing, tmp_path, data=data_dir)
    assert record["execution"]["status"] == "error" and record["execution"]["exit_code"] == 3
    assert record["tasks"]["HTR"]["status"] == "scored"
    assert "scored_despite_failed_run" in record["execution"]["flags"]


def _zip(path: Path, members: list[tuple[str, bytes]], *, symlink: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata.json", '{"entrypoint": "python run.py"}')
        for name, data in members:
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo("link")
            info.external_attr = (0o120777 << 16)
            zf.writestr(info, symlink)
    return path


@pytest.mark.parametrize("case", ["dotdot", "absolute", "symlink", "bomb"])
def test_dangerous_zips_are_refused_before_anything_runs(tmp_path, data_dir, case):
    marker = tmp_path / "ran"
    run_py = f"open({str(marker)!r}, 'w').write('ran')".encode()
    members = {"dotdot": [("../../x", b"x")], "absolute": [("/tmp/x", b"x")], "symlink": [],
               "bomb": [("big.bin", b"\0" * (300 * 1024**2))]}[case]
    archive = _zip(tmp_path / f"{case}.zip", [("run.py", run_py), *members],
                   symlink="/etc/passwd" if case == "symlink" else None)
    with pytest.raises(SandboxError):
        _run(archive, tmp_path, data=data_dir)
    assert not marker.exists()
    assert not any((tmp_path / "results").glob("*/record.json"))


def test_a_zip_with_one_top_folder_runs(tmp_path, data_dir):
    archive = tmp_path / "sub.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("mysub/metadata.json", '{"entrypoint": "python run.py", "name": "zipped"}')
        zf.writestr("mysub/run.py", EMPTY_HTR)
    record, _ = _run(archive, tmp_path, data=data_dir)
    assert record["submission"]["kind"] == "zip" and record["submission"]["name"] == "zipped"
    assert record["tasks"]["HTR"]["status"] == "scored"


@pytest.mark.parametrize(("content", "message"), [
    (None, "no metadata.json"),
    ("{not json", "metadata.json"),
    ('{"image": "x"}', "entrypoint"),
    ('{"entrypoint": ""}', "entrypoint"),
    ('{"entrypoint": "python run.py", "sharing_ratio": 2}', "sharing_ratio"),
])
def test_missing_or_malformed_metadata_is_a_clear_error(tmp_path, data_dir, content, message):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "run.py").write_text("print(1)")
    if content is not None:
        (folder / "metadata.json").write_text(content)
    with pytest.raises(FusionBenchError, match=message) as info:
        _run(folder, tmp_path, data=data_dir)
    assert "metadata.json" in str(info.value)
    assert not any((tmp_path / "results").glob("*/record.json"))


def test_without_bwrap_the_run_refuses_unless_no_sandbox_is_explicit(tmp_path, data_dir, monkeypatch):
    from fusionbench.isolation import sandbox

    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    submission = write_submission(tmp_path / "ok", EMPTY_HTR)
    with pytest.raises(SandboxError, match="--no-sandbox"):
        _run(submission, tmp_path, data=data_dir)
    record, _ = _run(submission, tmp_path, data=data_dir, sandbox=False)
    assert record["isolation"]["mode"] == "none" and record["tasks"]["HTR"]["status"] == "scored"


def test_a_task_without_references_is_refused(tmp_path, data_dir):
    submission = write_submission(tmp_path / "ok", EMPTY_HTR)
    with pytest.raises(MissingFileError, match="C2C"):
        _run(submission, tmp_path, data=data_dir, tasks="C2C")


def test_the_work_directory_is_gone_after_the_run(tmp_path, data_dir):
    spy = write_submission(tmp_path / "spy", EMPTY_HTR + "\nprint('CWD', os.getcwd())\n")
    record, _ = _run(spy, tmp_path, data=data_dir)
    cwd = record["execution"]["stdout"]["text"].split("CWD", 1)[1].split()[0]
    assert not os.path.exists(cwd)
    assert json.loads(json.dumps(record)) == record  # the record is plain JSON


def test_a_link_to_the_answers_in_output_is_not_followed(tmp_path, data_dir):
    """Inside the sandbox the link dangles; the parent must not follow it either."""
    linker = write_submission(tmp_path / "linker", """
    import os
    os.makedirs("output", exist_ok=True)
    os.symlink(os.path.join(os.environ["HINT"], "true_HTR.json"), "output/prediction_HTR.json")
    """)
    record, path = _run(linker, tmp_path, data=data_dir, env={"HINT": str(data_dir)})
    assert record["execution"]["status"] == "ok", record["execution"]["stderr"]["text"]
    assert record["tasks"]["HTR"]["status"] == "missing" and record["tasks"]["HTR"]["score"] == 0.0
    assert not (path.parent / "predictions" / "prediction_HTR.json").exists()


def test_without_a_cgroup_memory_falls_back_to_rlimit_as(tmp_path, data_dir, monkeypatch):
    import fusionbench.isolation.sandbox as sandbox

    monkeypatch.setattr(sandbox.RunCgroup, "create", classmethod(lambda cls, **kwargs: None))
    hog = write_submission(tmp_path / "hog", """
    chunks = []
    while True:
        chunks.append(bytearray(16 * 1024 * 1024))
    """)
    record, _ = _run(hog, tmp_path, data=data_dir, limits=dataclasses.replace(FAST, memory_bytes=300 * 1024**2))
    assert record["isolation"]["cgroup"] is None and "AS" in record["isolation"]["rlimits"]
    assert record["execution"]["status"] == "memory_limit"


def test_a_long_run_reports_progress(tmp_path):
    from fusionbench.isolation.sandbox import run_entrypoint

    (tmp_path / "output").mkdir()
    lines: list[str] = []
    outcome = run_entrypoint("sleep 1", tmp_path, limits=FAST, sandbox=False, heartbeat=lines.append,
                             heartbeat_every_s=0.3)
    assert outcome.status == "ok" and 2 <= len(lines) <= 4
    assert all(line.startswith("still running:") and "MiB" in line for line in lines)
