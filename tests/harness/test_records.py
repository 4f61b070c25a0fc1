"""Records: what a run writes, verify, compare, leaderboard, the Python form and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from harness_helpers import BWRAP, FAST, needs_bwrap

from fusionbench.evaluation import evaluate
from fusionbench.harness.compare import compare_records
from fusionbench.harness.leaderboard import write_leaderboard
from fusionbench.harness.record import SCHEMA, read_record, stable_view
from fusionbench.harness.runner import run_callables, run_submission
from fusionbench.harness.verify import verify_record
from fusionbench.jsonio import read_json_object

TRIVIAL = Path(__file__).resolve().parents[2] / "examples" / "submissions" / "trivial"


@pytest.fixture(scope="module")
def trivial_run(tmp_path_factory):
    if BWRAP is None:
        pytest.skip("bubblewrap is not installed (CI installs it)")
    out = tmp_path_factory.mktemp("results")
    record, path = run_submission(TRIVIAL, data="sample", split="test", out=out, limits=FAST, bootstrap_samples=200)
    return record, path


def test_the_record_holds_what_the_issue_lists(trivial_run):
    record, path = trivial_run
    assert record == read_record(path) and record["schema"] == SCHEMA
    assert set(record["tasks"]) == {"C2C", "HTR", "zsOD", "VQA"}
    assert record["isolation"]["mode"] == "bwrap" and record["isolation"]["network"] == "none"
    assert record["execution"] == {**record["execution"], "status": "ok", "exit_code": 0}
    assert len(record["submission"]["sha256"]) == 64 and record["submission"]["image"] is None
    for task in record["tasks"]:
        assert len(record["dataset"]["references_sha256"][task]) == 64
        assert len(record["dataset"]["inputs_sha256"][task]) == 64
    assert record["environment"]["packages"]["tree-sitter"] == "0.25.2"
    assert set(record["limits"]) >= {"wall_time_s", "memory_bytes", "max_processes", "output_bytes"}


def test_run_scores_equal_fusionbench_score_on_the_same_files(trivial_run):
    record, path = trivial_run
    report = evaluate(path.parent / "predictions", TRIVIAL.parents[2] / "fusionbench/data/sample_data/test")
    for task, score in report.scores.items():
        assert record["tasks"][task]["score"] == score.score
        assert record["tasks"][task]["signature"] == score.signature
    assert record["overall"] == report.overall


def test_intervals_bracket_the_scores(trivial_run):
    record, _ = trivial_run
    for entry in record["tasks"].values():
        assert entry["ci"]["low"] <= entry["score"] <= entry["ci"]["high"]
    assert record["overall_ci"]["low"] < record["overall_ci"]["high"]
    assert record["tasks"]["VQA"]["ci"]["low"] < record["tasks"]["VQA"]["ci"]["high"]


def test_a_rerun_gives_the_same_record_apart_from_timings(trivial_run, tmp_path):
    record, path = trivial_run
    again, again_path = run_submission(TRIVIAL, data="sample", split="test", out=tmp_path, limits=FAST,
                                       bootstrap_samples=200)
    assert again_path.parent.name == path.parent.name
    assert stable_view(again) == stable_view(record)
    assert set(again["timings"]) == set(record["timings"]) >= {"run_s", "score_s", "bootstrap_s", "total_s"}


def test_verify_confirms_an_untouched_record(trivial_run):
    _, path = trivial_run
    result = verify_record(path)
    assert result.ok, result.summary()
    assert len(result.checked) > 30


def test_verify_catches_a_changed_score_and_a_changed_prediction(trivial_run, tmp_path):
    import shutil

    _, path = trivial_run
    copy = tmp_path / "copy"
    shutil.copytree(path.parent, copy)
    record = json.loads((copy / "record.json").read_text())
    record["tasks"]["VQA"]["score"] += 0.001
    (copy / "record.json").write_text(json.dumps(record))
    result = verify_record(copy)
    assert not result.ok and any("VQA score" in p for p in result.problems)

    shutil.rmtree(copy)
    shutil.copytree(path.parent, copy)
    predictions = json.loads((copy / "predictions/prediction_HTR.json").read_text())
    predictions[next(iter(predictions))] = "tampered"
    (copy / "predictions/prediction_HTR.json").write_text(json.dumps(predictions))
    result = verify_record(copy)
    assert not result.ok and any("HTR prediction file hash" in p for p in result.problems)


def _htr_answers() -> dict[str, str]:
    from fusionbench.data.sample_source import frozen_split

    return read_json_object(frozen_split("test") / "true_HTR.json")


def test_the_python_form_and_a_paired_comparison(tmp_path):
    answers = _htr_answers()
    keys = sorted(answers)
    good = set(keys[: len(keys) * 3 // 10])  # 30% right

    def empty(folder: Path) -> dict[str, str]:
        return {p.name: "" for p in (folder / "images").iterdir()}

    def partly_right(folder: Path) -> dict[str, str]:
        return {p.name: answers[p.name] if p.name in good else "" for p in (folder / "images").iterdir()}

    a, a_path = run_callables({"HTR": empty}, out=tmp_path, name="empty", bootstrap_samples=100)
    b, b_path = run_callables({"HTR": partly_right}, out=tmp_path, name="partly", bootstrap_samples=100)
    assert a["isolation"]["mode"] == "in-process" and a["tasks"]["HTR"]["score"] == 0.0
    assert b["tasks"]["HTR"]["score"] == pytest.approx(len(good) / len(keys))

    comparison = compare_records(a_path, b_path, trials=300)
    row = comparison.rows["HTR"]
    assert row["delta"] == pytest.approx(len(good) / len(keys))
    assert row["p_value"] < 0.01 and row["ci_low"] > 0
    same = compare_records(a_path, a_path, trials=300, method="ar")
    assert same.rows["HTR"]["delta"] == 0 and same.rows["HTR"]["p_value"] == 1.0
    both = compare_records(b_path, b_path, trials=300)
    assert both.rows["overall"]["delta"] == 0 and both.rows["overall"]["p_value"] == 1.0
    json.dumps(comparison.to_dict(), allow_nan=False)

    board = write_leaderboard(tmp_path, png=False)
    lines = board["markdown"].splitlines()
    assert "partly" in lines[2] and "empty" in lines[3]  # ranked by overall
    html = (tmp_path / "leaderboard.html").read_text()
    assert "<script" not in html and "http" not in html.split("</style>")[0]


def test_the_png_chart(tmp_path):
    pytest.importorskip("matplotlib")
    run_callables({"HTR": lambda folder: {p.name: "" for p in (folder / "images").iterdir()}}, out=tmp_path,
                  name="empty", bootstrap_samples=20)
    board = write_leaderboard(tmp_path)
    png = tmp_path / "leaderboard.png"
    assert str(png) in board["files"] and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_refuses_records_on_different_references(tmp_path, data_dir):
    from fusionbench.errors import FusionBenchError

    def empty(folder: Path) -> dict[str, str]:
        return {p.name: "" for p in (folder / "images").iterdir()}

    _, on_sample = run_callables({"HTR": empty}, out=tmp_path / "a", bootstrap_samples=10)
    true = json.loads((data_dir / "true_HTR.json").read_text())
    true[next(iter(true))] += "x"
    (data_dir / "true_HTR.json").write_text(json.dumps(true))
    _, on_changed = run_callables({"HTR": empty}, data=data_dir, out=tmp_path / "b", bootstrap_samples=10)
    with pytest.raises(FusionBenchError, match="different references"):
        compare_records(on_sample, on_changed)


@needs_bwrap
def test_cli_run_verify_compare_leaderboard(tmp_path, capsys):
    from fusionbench.cli import main

    out = tmp_path / "results"
    assert main(["run", str(TRIVIAL), "--out", str(out), "--tasks", "VQA,HTR", "--bootstrap", "50",
                 "--time-limit", "60"]) == 0
    printed = capsys.readouterr()
    assert "overall" in printed.out and "record:" in printed.out and "95% CI" in printed.out
    record_path = next(out.glob("*/record.json"))
    assert main(["verify", str(record_path)]) == 0
    assert "OK" in capsys.readouterr().out
    assert main(["compare", str(record_path), str(record_path), "--json", "--trials", "50"]) == 0
    assert json.loads(capsys.readouterr().out)["overall"]["delta"] == 0
    assert main(["leaderboard", str(out), "--no-png"]) == 0
    assert "trivial" in capsys.readouterr().out
    # bad input: one line, status 2
    assert main(["run", str(tmp_path / "missing"), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert [line for line in err if "error" in line] == err[-1:] and err[-1].startswith("fusionbench: error:")
    assert main(["verify", str(tmp_path)]) == 2


@needs_bwrap
def test_cli_run_exit_status_4_when_the_submission_fails(tmp_path, capsys):
    from harness_helpers import write_submission

    from fusionbench.cli import main

    failing = write_submission(tmp_path / "failing", "raise SystemExit(5)\n")
    assert main(["run", str(failing), "--out", str(tmp_path / "r"), "--tasks", "HTR", "--bootstrap", "10"]) == 4
    assert "error (exit status 5)" in capsys.readouterr().out


def test_data_in_the_export_layout_with_answers_apart(tmp_path, data_dir):
    """``fusionbench export challenge`` writes input/ and answers/ apart, under a split folder here."""
    import shutil

    from fusionbench.harness.datasource import resolve_data

    split = tmp_path / "exported" / "validation"
    shutil.copytree(data_dir / "input", split / "input")
    (split / "answers").mkdir()
    shutil.copy(data_dir / "true_HTR.json", split / "answers" / "true_HTR.json")
    resolved = resolve_data(tmp_path / "exported", "validation")
    assert resolved.references == split / "answers" and resolved.tasks() == ["HTR"]
    record, _ = run_callables({"HTR": lambda folder: {p.name: "" for p in (folder / "images").iterdir()}},
                              data=tmp_path / "exported", split="validation", out=tmp_path / "r",
                              bootstrap_samples=10)
    assert record["dataset"]["source"] == "dir" and record["dataset"]["split"] == "validation"
    assert verify_record(tmp_path / "r" / next(p.name for p in (tmp_path / "r").iterdir()
                                               if p.is_dir() and not p.name.startswith("."))).ok


def test_the_leaderboard_shows_the_sharing_ratio_against_both_thresholds():
    from fusionbench.harness.leaderboard import Entry, render_html, render_markdown

    def entry(name, overall, ratio):
        return Entry(name=name, path=Path("x"), overall=overall, overall_ci=(0.0, 1.0), tasks={"HTR": overall},
                     status="ok", data="sample:test", sharing_ratio=ratio, isolation="bwrap")

    entries = [entry("a|b", 0.9, 0.27), entry("c", 0.5, 0.31), entry("d", 0.1, None)]
    markdown = render_markdown(entries)
    rows = markdown.splitlines()[2:]
    assert "0.270 ✓✗" in rows[0] and "a\\|b" in rows[0]  # meets 0.25, misses 0.3; pipes escaped
    assert "0.310 ✓✓" in rows[1] and "| – |" in rows[2]
    assert "<td>a|b</td>" in render_html(entries)


def test_compare_ignores_detail_options_but_not_scoring_options(tmp_path):
    from fusionbench.errors import FusionBenchError

    def empty(folder: Path) -> dict[str, str]:
        return {p.name: "" for p in (folder / "images").iterdir()}

    _, plain = run_callables({"HTR": empty}, out=tmp_path / "a", bootstrap_samples=10)
    _, detailed = run_callables({"HTR": empty}, out=tmp_path / "b", bootstrap_samples=10,
                                options={"by_language": True, "htr_error_rates": True})
    assert compare_records(plain, detailed, trials=20).rows["HTR"]["delta"] == 0
    _, other = run_callables({"VQA": lambda folder: {}}, out=tmp_path / "c", bootstrap_samples=10,
                             options={"vqa_normalize_references": True})
    _, vqa = run_callables({"VQA": lambda folder: {}}, out=tmp_path / "d", bootstrap_samples=10)
    with pytest.raises(FusionBenchError, match="different options"):
        compare_records(vqa, other)
