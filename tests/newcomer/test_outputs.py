"""What the harness writes: modes that follow the umask, no half-written leaderboard, and one
definition of the overall score (the sum of the rounded task scores) in every output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fusionbench.harness.runner import run_callables
from fusionbench.jsonio import current_umask, make_staging_dir, write_json_atomic

SAMPLE_TEST = Path(__file__).resolve().parents[2] / "fusionbench" / "data" / "sample_data" / "test"


def _mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o777


@pytest.fixture()
def umask():
    """Set the umask for one test, restoring it afterwards."""
    saved = os.umask(0o022)
    os.umask(saved)
    yield lambda mask: os.umask(mask)
    os.umask(saved)


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077])
def test_atomic_writes_follow_the_umask(tmp_path, umask, mask):
    umask(mask)
    assert current_umask() == mask
    write_json_atomic(tmp_path / "a.json", {"x": 1})
    plain = tmp_path / "plain.txt"
    plain.write_text("x")  # control: what open() gives under this umask
    assert _mode(tmp_path / "a.json") == _mode(plain) == 0o666 & ~mask
    staged = make_staging_dir(".s-", tmp_path)
    (tmp_path / "plain-dir").mkdir()
    assert _mode(staged) == _mode(tmp_path / "plain-dir") == 0o777 & ~mask


def _empty_htr(folder: Path) -> dict[str, str]:
    return {p.name: "" for p in (folder / "images").iterdir()}


def test_run_folders_and_records_follow_the_umask(tmp_path, umask):
    umask(0o022)
    record, path = run_callables({"HTR": _empty_htr}, out=tmp_path, bootstrap_samples=10)
    assert _mode(path) == 0o644 and _mode(path.parent) == 0o755
    assert {_mode(p) for p in path.parent.rglob("*") if p.is_file()} == {0o644}


def _answers(task: str) -> dict:
    return json.loads((SAMPLE_TEST / f"true_{task}.json").read_text(encoding="utf-8"))


def _zsod_partly(folder: Path) -> dict:
    """Exact boxes for the first 7 images, none for the others: an F1 with more than 3 decimals."""
    truth = _answers("zsOD")
    return {image: (described if index < 7 else {d: [] for d in described})
            for index, (image, described) in enumerate(sorted(truth.items()))}


def _htr_partly(correct: int):
    def predict(folder: Path) -> dict[str, str]:
        truth = _answers("HTR")
        return {name: (truth[name] if index < correct else "") for index, name in enumerate(sorted(truth))}
    return predict


def test_compare_shows_the_overall_that_run_and_leaderboard_show(tmp_path, capsys):
    from fusionbench.cli import main
    from fusionbench.harness.compare import compare_records as compare

    a, a_path = run_callables({"HTR": _htr_partly(3), "zsOD": _zsod_partly}, out=tmp_path, name="a",
                              bootstrap_samples=10)
    b, b_path = run_callables({"HTR": _htr_partly(11), "zsOD": _zsod_partly}, out=tmp_path, name="b",
                              bootstrap_samples=10)
    unrounded = a["tasks"]["HTR"]["score"] + a["tasks"]["zsOD"]["score"]
    assert round(unrounded, 4) != a["overall"]  # control: the two definitions differ on these records
    rows = compare(a_path, b_path, trials=50).rows
    assert (rows["overall"]["a"], rows["overall"]["b"]) == (a["overall"], b["overall"])
    assert rows["overall"]["delta"] == round(b["overall"] - a["overall"], 3)
    assert main(["compare", str(a_path), str(b_path), "--trials", "50"]) == 0
    overall_line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("overall"))
    assert f"{a['overall']:.3f}" in overall_line.split() and f"{b['overall']:.3f}" in overall_line.split()


def test_leaderboard_without_matplotlib_writes_nothing(tmp_path):
    run_callables({"HTR": _empty_htr}, out=tmp_path / "results", bootstrap_samples=10)
    code = (
        "import sys\nsys.modules['matplotlib'] = None\n"
        "from fusionbench.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    )
    out = tmp_path / "board"
    args = [sys.executable, "-c", code, "leaderboard", str(tmp_path / "results"), "--out", str(out)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("fusionbench: error:") and "fusionbench-eval[leaderboard]" in result.stderr
    assert not out.exists() or not any(out.iterdir())
    control = subprocess.run([*args, "--no-png"], capture_output=True, text=True, timeout=300)
    assert control.returncode == 0, control.stderr
    assert sorted(p.name for p in out.iterdir()) == ["leaderboard.html", "leaderboard.md"]
