"""The leaderboard ranks only comparable records together (read without a browser)."""

from __future__ import annotations

import json
from pathlib import Path

from fusionbench.harness.leaderboard import collect, group_entries, write_leaderboard
from fusionbench.harness.runner import run_callables


def answer_yes(folder: Path) -> dict[str, str]:
    return {k: "да" for k in json.loads((folder / "questions.json").read_text(encoding="utf-8"))}


def answer_no(folder: Path) -> dict[str, str]:
    return {k: "нет" for k in json.loads((folder / "questions.json").read_text(encoding="utf-8"))}


def test_records_scored_with_other_options_get_their_own_table(tmp_path):
    run_callables({"VQA": answer_yes}, out=tmp_path, name="yes", bootstrap_samples=10)
    run_callables({"VQA": answer_no}, out=tmp_path, name="no-detailed", bootstrap_samples=10,
                  options={"by_language": True})  # detail only: still comparable
    run_callables({"VQA": answer_no}, out=tmp_path, name="no-refnorm", bootstrap_samples=10,
                  options={"vqa_normalize_references": True})
    entries, _ = collect(tmp_path)
    groups = group_entries(entries)
    assert [sorted(e.name for e in g) for g in groups] == [["no-detailed", "yes"], ["no-refnorm"]]
    board = write_leaderboard(tmp_path, png=False)
    markdown = board["markdown"]
    assert markdown.count("### Group") == 2 and "vqa_normalize_references=True" in markdown
    html = (tmp_path / "leaderboard.html").read_text(encoding="utf-8")
    assert html.count('<section class="group"') == 2 and html.count("<svg") == 2 and "<script" not in html
    assert "task:VQA" in html and entries[0].created[:4] in html  # signatures and dates
    assert any("2 groups" in w for w in board["warnings"])


def test_one_comparable_group_is_one_plain_table(tmp_path):
    run_callables({"VQA": answer_yes}, out=tmp_path, name="yes", bootstrap_samples=10)
    run_callables({"VQA": answer_no}, out=tmp_path, name="no", bootstrap_samples=10)
    board = write_leaderboard(tmp_path, png=False)
    assert "Group" not in board["markdown"] and board["markdown"].startswith("| # |")
    assert not board["warnings"]
