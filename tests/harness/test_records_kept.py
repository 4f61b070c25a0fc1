"""Records are never lost, verify checks every section it can, failures are visible, names are clean."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from harness_helpers import EMPTY_HTR, FAST, needs_bwrap, write_submission

from fusionbench.cli import main
from fusionbench.errors import FusionBenchError, SandboxError
from fusionbench.harness.compare import compare_records
from fusionbench.harness.runner import run_submission
from fusionbench.harness.unpack import safe_unpack
from fusionbench.harness.verify import verify_record


def _run(submission, out, **kwargs):
    kwargs.setdefault("limits", FAST)
    kwargs.setdefault("bootstrap_samples", 20)
    return run_submission(submission, out=out, **kwargs)


@needs_bwrap
def test_other_tasks_options_or_data_land_in_other_folders_and_a_rerun_keeps_both(tmp_path, data_dir):
    submission = write_submission(tmp_path / "sub", EMPTY_HTR)
    out = tmp_path / "results"
    _, htr = _run(submission, out, data=data_dir, tasks="HTR")
    _, both = _run(submission, out, data=data_dir, tasks="HTR,VQA")
    _, option = _run(submission, out, data=data_dir, tasks="HTR", options={"htr_error_rates": True})
    _, sample = _run(submission, out, data="sample", tasks="HTR")
    _, again = _run(submission, out, data=data_dir, tasks="HTR")
    folders = {p.parent for p in (htr, both, option, sample, again)}
    assert len(folders) == 5 and all(p.is_file() for p in (htr, both, option, sample, again))
    assert again.parent.name == htr.parent.name + "-2"
    assert json.loads(htr.read_text())["tasks_run"] == ["HTR"]


@needs_bwrap
def test_verify_catches_a_relabelled_record_and_checks_the_submission(tmp_path, data_dir):
    honest = write_submission(tmp_path / "honest", EMPTY_HTR)
    other = write_submission(tmp_path / "other", EMPTY_HTR + "\n# another submission\n")
    record, path = _run(honest, tmp_path / "results", data=data_dir, tasks="HTR")
    result = verify_record(path, submission=honest)
    assert result.ok, result.summary()
    assert "submission hash" in result.checked and "limits" in result.checked and "options" in result.checked
    assert any("execution" in u for u in result.unchecked)
    assert verify_record(path).unchecked[0].startswith("submission files")
    assert not verify_record(path, submission=other).ok

    relabelled = json.loads(path.read_text())
    relabelled["submission"]["sha256"] = "0" * 64
    relabelled["submission"]["name"] = "someone-else"
    copy = tmp_path / "copy" / path.parent.name
    shutil.copytree(path.parent, copy)
    (copy / "record.json").write_text(json.dumps(relabelled))
    result = verify_record(copy)
    assert not result.ok and any("record key" in p for p in result.problems)

    limits = json.loads(path.read_text())
    limits["limits"]["max_processes"] = -1
    (copy / "record.json").write_text(json.dumps(limits))
    assert any(p.startswith("limits") for p in verify_record(copy).problems)


@needs_bwrap
def test_compare_rehashes_the_references_instead_of_trusting_the_records(tmp_path, data_dir):
    submission = write_submission(tmp_path / "sub", EMPTY_HTR)
    _, a = _run(submission, tmp_path / "a", data=data_dir, tasks="HTR")
    _, b = _run(submission, tmp_path / "b", data=data_dir, tasks="HTR")
    assert compare_records(a, b, trials=20).rows["HTR"]["delta"] == 0.0
    references = json.loads((data_dir / "true_HTR.json").read_text(encoding="utf-8"))
    references[next(iter(references))] = "changed"
    (data_dir / "true_HTR.json").write_text(json.dumps(references), encoding="utf-8")
    with pytest.raises(FusionBenchError, match="references found now differ"):
        compare_records(a, b, trials=20)


@needs_bwrap
def test_a_failed_entrypoint_shows_its_stderr_tail_and_exit_status(tmp_path, data_dir, capsys):
    failing = write_submission(tmp_path / "failing", "import sys\nprint('loading the model', file=sys.stderr)\n"
                                                     "raise RuntimeError('weights not found: model.bin')\n")
    code = main(["run", str(failing), "--data", str(data_dir), "--tasks", "HTR", "--out", str(tmp_path / "r"),
                 "--bootstrap", "20", "--time-limit", "20", "--memory", "400M"])
    shown = capsys.readouterr().out
    assert code == 4
    assert "exit status 1" in shown and "RuntimeError: weights not found: model.bin" in shown
    assert "| loading the model" in shown


def _zip_with(path: Path, names: list[str]) -> Path:
    import warnings

    with zipfile.ZipFile(path, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are made on purpose
        zf.writestr("metadata.json", '{"entrypoint": "python run.py"}')
        for name in names:
            zf.writestr(zipfile.ZipInfo(name), b"x")
    return path


@pytest.mark.parametrize(("names", "message"), [
    (["a\0x", "a\0y"], "NUL|same member twice"),  # zipfile cuts a name at NUL: both become "a"
    (["x" * 10_000], "bytes long"),
    (["d/" * 3000 + "f"], "bytes long|folders deep"),
    (["d/" * 100 + "f"], "folders deep"),
    (["clash", "clash/inner"], "both a file and a folder"),
    (["./"], "empty path"),
    (["same", "same"], "same member twice"),
    (["n" * 300], "longer than the file system allows"),
])
def test_malformed_member_names_are_one_clear_error(tmp_path, names, message):
    archive = _zip_with(tmp_path / "bad.zip", names)
    with pytest.raises(SandboxError, match=message):
        safe_unpack(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_non_utf8_name_flagged_as_utf8_is_one_clear_error(tmp_path):
    archive = _zip_with(tmp_path / "bad.zip", ["placeholder-n\u00e4me"])  # non-ASCII: zipfile sets the UTF-8 flag
    # then make the name's bytes invalid UTF-8, same length, in both headers
    archive.write_bytes(archive.read_bytes().replace(b"placeholder-n\xc3\xa4me", b"placeholder-n\xff\xfeme"))
    done = subprocess.run([sys.executable, "-m", "fusionbench", "run", str(archive), "--out", str(tmp_path / "r")],
                          capture_output=True, text=True, timeout=120)
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert done.returncode == 2 and len(errors) == 1 and "bad.zip" in errors[0], done.stderr


def test_the_total_expansion_is_capped(tmp_path):
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata.json", '{"entrypoint": "python run.py"}')
        for index in range(60):
            zf.writestr(f"z{index}", b"\0" * (1024**2 - 1))  # each under the per-member 1 MiB rule
    with pytest.raises(SandboxError, match="inflates .*-fold in all"):
        safe_unpack(archive, tmp_path / "out")


@pytest.mark.parametrize("args", [["run", "SUB", "--tasks", "OCR"], ["export", "hub", "OUT", "--configs", "ocr"]])
def test_unknown_task_and_config_names_exit_2(tmp_path, args, capsys):
    submission = write_submission(tmp_path / "sub", EMPTY_HTR)
    args = [str(submission) if a == "SUB" else str(tmp_path / "x") if a == "OUT" else a for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("fusionbench: error: unknown task") and err.count("\n") == 1


def test_a_dangling_output_link_in_a_submission_exits_2(tmp_path, capsys):
    submission = write_submission(tmp_path / "sub", EMPTY_HTR)
    (submission / "output").symlink_to(tmp_path / "nowhere")
    assert main(["run", str(submission), "--out", str(tmp_path / "r"), "--tasks", "HTR"]) == 2
    assert "'output'" in capsys.readouterr().err
