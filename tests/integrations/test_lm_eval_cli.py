"""End to end through lm-eval's own command line, offline: dummy model, replays, import, bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("lm_eval")

from fusionbench.data.sample_source import frozen_split  # noqa: E402
from fusionbench.harness.record import read_record  # noqa: E402
from fusionbench.integrations.lm_eval import TASK_NAMES, task_pack_path  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SPLIT = frozen_split("test")
MAIN = {"C2C": "codebleu,none", "HTR": "acc,none", "zsOD": "f1,none", "VQA": "acc,none"}
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def _fusionbench(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fusionbench", *args], cwd=cwd, env=ENV, capture_output=True,
                          text=True, timeout=900)


def _results(output: Path) -> dict:
    found = sorted(output.rglob("results_*.json"))
    assert len(found) == 1, found
    return json.loads(found[0].read_text(encoding="utf-8"))


def _replay(predictions: Path, output: Path, tmp: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return _fusionbench("lm-eval", "--model", "fusionbench-replay", "--model_args", f"predictions={predictions}",
                        "--output_path", str(output), *extra, cwd=tmp)


@pytest.fixture(scope="module")
def trivial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The trivial example submission's record folder (run on the sample test split)."""
    out = tmp_path_factory.mktemp("trivial")
    done = _fusionbench("run", str(ROOT / "examples" / "submissions" / "trivial"), "--data", "sample", "--split",
                        "test", "--out", str(out), "--no-sandbox", cwd=out)
    assert done.returncode == 0, done.stderr
    (record,) = out.glob("*/record.json")
    return record.parent


@pytest.fixture(scope="module")
def trivial_replay(trivial: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("replay")
    done = _replay(trivial / "predictions", tmp / "lm", tmp, "--tasks", "fusionbench", "--log_samples")
    assert done.returncode == 0, done.stderr[-3000:]
    return tmp / "lm"


def test_dummy_model_runs_the_c2c_task_with_plain_lm_eval(tmp_path: Path) -> None:
    lm_eval = Path(sys.executable).with_name("lm_eval")
    done = subprocess.run([str(lm_eval), "--model", "dummy", "--tasks", "fusionbench_c2c", "--include_path",
                           str(task_pack_path()), "--limit", "20", "--output_path", str(tmp_path / "out")],
                          cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    result = _results(tmp_path / "out")["results"]["fusionbench_c2c"]
    assert result["sample_len"] == 20
    assert isinstance(result["codebleu,none"], float) and 0 <= result["codebleu,none"] <= 1
    assert "codebleu" in done.stdout


def test_replay_of_the_trivial_submission_equals_fusionbench_score(trivial: Path, trivial_replay: Path) -> None:
    scored = _fusionbench("score", str(SPLIT), str(trivial / "predictions"), "--json", cwd=trivial)
    assert scored.returncode == 0, scored.stderr
    expected = json.loads(scored.stdout)["tasks"]
    results = _results(trivial_replay)["results"]
    for task, metric in MAIN.items():
        assert results[TASK_NAMES[task]][metric] == expected[task]["score"], task
    components = expected["C2C"]["components"]
    for name, value in components.items():
        assert results["fusionbench_c2c"][f"{name},none"] == value


def test_import_round_trip(trivial: Path, trivial_replay: Path, tmp_path: Path) -> None:
    done = _fusionbench("import", "lm-eval", str(trivial_replay), "--out", str(tmp_path / "results"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (path,) = (tmp_path / "results").glob("*/record.json")
    record, original = read_record(path), read_record(trivial / "record.json")
    for task in MAIN:
        assert record["tasks"][task]["score"] == original["tasks"][task]["score"]
        assert record["tasks"][task]["ci"] == original["tasks"][task]["ci"]
        assert record["tasks"][task]["signature"] == original["tasks"][task]["signature"]
    assert record["overall"] == original["overall"]
    meta = record["submission"]["metadata"]
    assert meta["lm_eval"]["version"] and meta["lm_eval"]["model"] == "fusionbench-replay"
    assert meta["signatures"]["C2C"].endswith("|pack:1|prompt:1") and "harness:lm-eval-" in meta["signatures"]["C2C"]
    assert _fusionbench("verify", str(path), cwd=tmp_path).returncode == 0
    compared = _fusionbench("compare", str(trivial), str(path.parent), "--json", cwd=tmp_path)
    assert compared.returncode == 0, compared.stderr
    assert json.loads(compared.stdout)["overall"]["delta"] == 0
    shutil.copytree(trivial, tmp_path / "results" / "trivial")
    board = _fusionbench("leaderboard", str(tmp_path / "results"), cwd=tmp_path)
    assert board.returncode == 0, board.stderr
    assert "lm-eval-fusionbench-replay" in (tmp_path / "results" / "leaderboard.md").read_text(encoding="utf-8")


def test_replay_of_the_references_scores_the_maximum(tmp_path: Path) -> None:
    folder = tmp_path / "refs"
    folder.mkdir()
    for task in ("C2C", "HTR", "zsOD"):
        shutil.copy(SPLIT / f"true_{task}.json", folder / f"prediction_{task}.json")
    vqa = json.loads((SPLIT / "true_VQA.json").read_text(encoding="utf-8"))
    answers = {k: (v["answer"][0] if isinstance(v["answer"], list) else v["answer"]) for k, v in vqa.items()}
    (folder / "prediction_VQA.json").write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    done = _replay(folder, tmp_path / "lm", tmp_path, "--tasks", "fusionbench")
    assert done.returncode == 0, done.stderr[-3000:]
    results = _results(tmp_path / "lm")["results"]
    for task, metric in MAIN.items():
        assert results[TASK_NAMES[task]][metric] == 1.0, task


def test_missing_file_and_items_answer_empty_with_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "partial"
    folder.mkdir()
    htr = json.loads((SPLIT / "true_HTR.json").read_text(encoding="utf-8"))
    first = list(htr)[:10]
    kept = {k: htr[k] for k in first[2:]}  # the first two items are missing
    (folder / "prediction_HTR.json").write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")
    done = _replay(folder, tmp_path / "lm", tmp_path, "--tasks", "fusionbench_htr,fusionbench_vqa", "--limit", "10")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "has no prediction_VQA.json" in done.stderr
    assert "lacks 2 item(s)" in done.stderr and repr(first[0]) in done.stderr
    results = _results(tmp_path / "lm")["results"]
    assert results["fusionbench_htr"]["acc,none"] == 0.8
    assert results["fusionbench_vqa"]["acc,none"] == 0.0


@pytest.mark.parametrize(("args", "message"), [
    (["lm-eval", "--model", "dummy", "--tasks", "fusionbench_ocr"], "unknown task 'fusionbench_ocr'"),
    (["lm-eval", "--model", "dummy", "--tasks", "fusionbench_htr", "--include_path", "x"], "--include_path"),
    (["lm-eval", "--model", "dummy", "--tasks", "fusionbench_htr", "--metadata", '{"data": "/nonexistent/split"}'],
     "data directory not found"),
    (["lm-eval", "--model", "fusionbench-replay", "--model_args", "predictions=/nonexistent/preds", "--tasks",
      "fusionbench_htr"], "no predictions folder here"),
    (["import", "lm-eval", "/nonexistent/out"], "no lm-eval output folder here"),
    (["lm-eval", "--model", "dummy", "--tasks", "fusionbench_c2c_exec"], "--confirm_run_unsafe_code"),
    (["lm-eval"], "needs lm-eval's --model and --tasks"),
])
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    done = _fusionbench(*args, cwd=tmp_path)
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("fusionbench: error:") and message in last
    assert "Traceback" not in done.stderr


def test_import_refuses_malformed_output_folders(trivial_replay: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    no_samples = tmp_path / "no_samples" / "model"
    no_samples.mkdir(parents=True)
    (results,) = trivial_replay.rglob("results_*.json")
    shutil.copy(results, no_samples / results.name)
    broken = tmp_path / "broken" / "model"
    shutil.copytree(results.parent, broken)
    (sample,) = broken.glob("samples_fusionbench_htr_*.jsonl")
    sample.write_text('{"doc_id": 0}\n', encoding="utf-8")
    garbage = tmp_path / "garbage" / "model"
    garbage.mkdir(parents=True)
    (garbage / results.name).write_text("{not json", encoding="utf-8")
    limited = tmp_path / "limited" / "model"
    shutil.copytree(results.parent, limited)
    (sample,) = limited.glob("samples_fusionbench_vqa_*.jsonl")
    sample.write_text("\n".join(sample.read_text(encoding="utf-8").splitlines()[:20]) + "\n", encoding="utf-8")
    cases = {empty: "no lm-eval results_*.json", no_samples.parent: "no per-sample log",
             broken.parent: "holds no fusionbench record", garbage.parent: "not a readable JSON file",
             limited.parent: "answered 20 of the 200 rows"}
    for folder, message in cases.items():
        done = _fusionbench("import", "lm-eval", str(folder), "--out", str(tmp_path / "never"), cwd=tmp_path)
        assert done.returncode == 2, (folder, done.stderr)
        assert message in done.stderr.strip().splitlines()[-1], done.stderr
    assert not (tmp_path / "never").exists() or not any((tmp_path / "never").glob("*/record.json"))
