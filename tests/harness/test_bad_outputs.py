"""One task's bad prediction file never costs the run its record nor another task its score.

Each case writes a valid HTR prediction beside one pathological file; the run must end with a
record where HTR is scored and the other task is ``invalid`` with a one-line reason.  The same
file given to ``fusionbench score`` ends with exit status 2 and one ``fusionbench: error:`` line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from harness_helpers import EMPTY_HTR, FAST, needs_bwrap, write_submission

from fusionbench.data.sample_source import frozen_split
from fusionbench.harness.runner import run_submission
from fusionbench.harness.scoring import score_predictions

SAMPLE = frozen_split("test")


def _bad_file(case: str) -> tuple[str, str]:
    """(task, file content) of one pathological prediction, built from the sample's references."""
    references = {t: json.loads((SAMPLE / f"true_{t}.json").read_text(encoding="utf-8")) for t in
                  ("C2C", "HTR", "zsOD")}
    if case == "huge_integer":
        keys = list(references["HTR"])
        return "HTR", "{" + ",".join(f'"{k}": ' + ("9" * 5000 if i == 0 else '""') for i, k in enumerate(keys)) + "}"
    if case == "lone_surrogate":
        keys = list(references["HTR"])
        return "HTR", "{" + ",".join(f'"{k}": ' + ('"\\ud800"' if i == 0 else '""') for i, k in enumerate(keys)) + "}"
    if case == "huge_coordinate":
        boxes = {image: {d: [] for d in descriptions} for image, descriptions in references["zsOD"].items()}
        image = next(iter(boxes))
        boxes[image][next(iter(boxes[image]))] = "HUGE"
        return "zsOD", json.dumps(boxes, ensure_ascii=False).replace('"HUGE"', f"[[{10**4000}, 0, 1, 1]]")
    if case == "deep_nesting":
        keys = list(references["C2C"])
        deep = "x = " + "(" * 50_000 + "1" + ")" * 50_000
        return "C2C", json.dumps({k: deep if i == 0 else "" for i, k in enumerate(keys)})
    raise AssertionError(case)


CASES = ["huge_integer", "lone_surrogate", "huge_coordinate", "deep_nesting"]


@pytest.mark.parametrize("case", CASES)
def test_fusionbench_score_refuses_with_exit_2_and_one_line(tmp_path, case):
    task, content = _bad_file(case)
    (tmp_path / f"prediction_{task}.json").write_text(content, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "fusionbench", "score", str(SAMPLE), str(tmp_path), "--tasks", task],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fusionbench: error: ") and "prediction_" in lines[0], lines


def test_both_od_aliases_exit_2_in_score(tmp_path):
    for name in ("prediction_OD.json", "prediction_zsOD.json"):
        (tmp_path / name).write_text("{}", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "fusionbench", "score", str(SAMPLE), str(tmp_path), "--tasks", "zsOD"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "keep only one" in done.stderr


@needs_bwrap
@pytest.mark.parametrize("case", [*CASES, "both_od_aliases"])
def test_a_bad_file_makes_only_its_task_invalid_and_the_record_exists(tmp_path, case):
    if case == "both_od_aliases":
        task, writes = "zsOD", {"prediction_OD.json": "{}", "prediction_zsOD.json": "{}"}
    else:
        task, content = _bad_file(case)
        writes = {f"prediction_{task}.json": content}
    (tmp_path / "payload.json").write_text(json.dumps(writes), encoding="utf-8")
    code = EMPTY_HTR + f"""
for name, content in json.load(open({str(tmp_path / 'payload.json')!r}, encoding="utf-8")).items():
    open(os.path.join("output", name), "w", encoding="utf-8", errors="surrogatepass").write(content)
"""
    submission = write_submission(tmp_path / "sub", code.replace(str(tmp_path / "payload.json"), "payload.json"))
    (submission / "payload.json").write_text(json.dumps(writes), encoding="utf-8")
    tasks = "HTR" if task == "HTR" else f"HTR,{task}"
    if task == "HTR":  # the bad HTR file replaces the good one: the other task is VQA, left missing
        tasks = "HTR,VQA"
    record, path = run_submission(submission, data="sample", tasks=tasks, out=tmp_path / "results", limits=FAST,
                                  bootstrap_samples=20)
    assert path.is_file() and record["execution"]["status"] == "ok", record["execution"]["stderr"]["text"]
    bad = record["tasks"][task]
    assert bad["status"] == "invalid" and bad["score"] == 0.0, bad
    assert "\n" not in bad["reason"] and len(bad["reason"]) <= 600
    if task != "HTR":
        assert record["tasks"]["HTR"]["status"] == "scored"
    json.loads(path.read_text(encoding="utf-8"))  # the record is valid UTF-8 JSON


def test_a_crashing_scorer_costs_only_its_task(tmp_path, monkeypatch):
    """A scorer that dies of a signal (as CodeBLEU's parser did on deep nesting) makes its task invalid."""
    import os
    import signal

    from fusionbench.metrics.htr import HTRAccumulator

    def crash(self, predictions, references):
        os.kill(os.getpid(), signal.SIGSEGV)

    monkeypatch.setattr(HTRAccumulator, "item_stats", crash)
    predictions = tmp_path / "predictions"
    predictions.mkdir()
    for task in ("HTR", "VQA"):
        keys = json.loads((SAMPLE / f"true_{task}.json").read_text(encoding="utf-8"))
        (predictions / f"prediction_{task}.json").write_text(json.dumps({k: "" for k in keys}), encoding="utf-8")
    outcomes = score_predictions(predictions, SAMPLE, ["HTR", "VQA"])
    assert outcomes["HTR"].status == "invalid" and "SIGSEGV" in outcomes["HTR"].reason
    assert outcomes["VQA"].status == "scored"


@pytest.mark.parametrize("factor", [2, 64])
def test_parsing_memory_is_bounded(tmp_path, monkeypatch, factor):
    """Empty lists take ~21 bytes of memory per byte of JSON: over a 2x budget the child runs out of
    memory and the task is invalid for that reason; with 64x (the control) it parses and fails validation."""
    import fusionbench.harness.scoring as scoring

    monkeypatch.setattr(scoring, "PARSE_MEMORY_FACTOR", factor)
    predictions = tmp_path / "predictions"
    predictions.mkdir()
    (predictions / "prediction_HTR.json").write_text('{"a": [' + ",".join(["[]"] * 1_000_000) + "]}")
    outcomes = score_predictions(predictions, SAMPLE, ["HTR"], max_bytes=8 * 1024**2)
    assert outcomes["HTR"].status == "invalid"
    if factor == 2:
        assert "memory" in outcomes["HTR"].reason, outcomes["HTR"].reason
    else:
        assert "wrong value type" in outcomes["HTR"].reason, outcomes["HTR"].reason


def test_oversized_prediction_is_refused_by_its_apparent_size(tmp_path):
    """A sparse file is refused at its apparent size and never copied into the results."""
    from fusionbench.harness.runner import _collect_predictions

    output = tmp_path / "output"
    output.mkdir()
    with open(output / "prediction_HTR.json", "wb") as handle:
        handle.truncate(1000 * 1024**2)  # 1,000 MB of holes, no blocks
    target = tmp_path / "kept"
    _collect_predictions(output, ["HTR"], target, 64 * 1024**2)
    assert not (target / "prediction_HTR.json").exists()
    outcomes = score_predictions(target, SAMPLE, ["HTR"])
    assert outcomes["HTR"].status == "invalid" and "apparent size" in outcomes["HTR"].reason


def test_a_preallocated_prediction_counts_its_allocated_blocks(tmp_path):
    """fallocate(KEEP_SIZE) gives a file of 0 bytes that holds 4 MiB of disk: counted at its blocks."""
    import ctypes

    from fusionbench.harness.runner import _collect_predictions

    output = tmp_path / "output"
    output.mkdir()
    with open(output / "prediction_HTR.json", "wb") as handle:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.fallocate(handle.fileno(), 1, ctypes.c_long(0), ctypes.c_long(4 * 1024**2)) != 0:  # KEEP_SIZE
            pytest.skip("fallocate(KEEP_SIZE) is not supported on this file system")
    assert (output / "prediction_HTR.json").stat().st_size == 0
    _collect_predictions(output, ["HTR"], tmp_path / "kept", 1024**2)
    outcomes = score_predictions(tmp_path / "kept", SAMPLE, ["HTR"])
    assert outcomes["HTR"].status == "invalid" and "allocated blocks" in outcomes["HTR"].reason
