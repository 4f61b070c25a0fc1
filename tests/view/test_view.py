"""The viewer's page content, read without a browser: rows, statistics, images, missing data, the CLI."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from fusionbench.cli import main
from fusionbench.harness.record import read_record
from fusionbench.view import write_view


def embedded(index: Path) -> dict:
    text = index.read_text(encoding="utf-8")
    match = re.search(r'<script id="fb-data" type="application/json">(.*?)</script>', text, re.S)
    return json.loads(match.group(1).replace("<\\/", "</"))


def test_every_scored_item_is_a_row_and_the_rows_reproduce_the_recorded_scores(sample_records, tmp_path):
    result = write_view(sample_records[:1], tmp_path / "page")
    record = read_record(sample_records[0])
    data = embedded(result["index"])
    tasks = data["records"][0]["tasks"]
    assert set(tasks) == set(record["tasks"]) == {"C2C", "HTR", "zsOD", "VQA"}
    for task, info in tasks.items():
        assert len(info["rows"]) == record["tasks"][task]["items"]
        assert info["agrees"] is True
    assert result["items"] == sum(v["items"] for v in record["tasks"].values())
    # the half-right submission: correctness flags follow the made-up answers exactly
    htr = tasks["HTR"]["rows"]
    assert [r["ok"] for r in htr[:4]] == [1, 0, 1, 0]
    assert sum(r["ok"] for r in htr) == record["tasks"]["HTR"]["correct"]
    assert htr[1]["cer"] > 0 and htr[0]["cer"] == 0
    zsod = tasks["zsOD"]["rows"]
    assert sum(r["tp"] for r in zsod) == record["tasks"]["zsOD"]["tp"]
    assert sum(r["fp"] for r in zsod) == record["tasks"]["zsOD"]["fp"]
    assert all(r["size"] for r in zsod) and any(r["neg"] for r in zsod)
    wrong = next(r for r in zsod if not r["ok"] and not r["neg"])
    assert wrong["phit"] == [0] * len(wrong["pred"]) and 0 in wrong["rhit"]
    vqa = tasks["VQA"]["rows"]
    assert vqa[1]["pred"] == "wrong answer" and vqa[0]["npred"] in vqa[0]["ref"] and vqa[0]["q"]
    c2c = tasks["C2C"]["rows"]
    assert c2c[0]["own"] == pytest.approx(1.0) and c2c[1]["own"] < 0.5
    assert "\n    " in c2c[0]["ref"] and c2c[0]["java"].startswith("static")  # detokenised; the Java request


def test_images_lie_beside_the_page_and_are_named_relative(sample_records, tmp_path):
    result = write_view(sample_records, tmp_path / "page")
    data = embedded(result["index"])
    for task in ("HTR", "zsOD", "VQA"):
        for row in data["records"][0]["tasks"][task]["rows"]:
            assert not Path(row["img"]).is_absolute() and (tmp_path / "page" / row["img"]).is_file()
    # two records of the same inputs share one copy
    assert data["records"][0]["tasks"]["HTR"]["rows"][0]["img"] == data["records"][1]["tasks"]["HTR"]["rows"][0]["img"]
    html = result["index"].read_text(encoding="utf-8")
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "") and "https://" not in html


def test_a_data_folder_record_renders_and_says_when_its_images_are_gone(data_dir_record, tmp_path):
    record = read_record(data_dir_record)
    data_root = Path(record["dataset"]["location"])
    first = write_view([data_dir_record], tmp_path / "with")
    assert all(r["img"] for r in embedded(first["index"])["records"][0]["tasks"]["HTR"]["rows"])
    shutil.rmtree(data_root / "input" / "HTR")
    second = write_view([data_dir_record], tmp_path / "without")
    htr = embedded(second["index"])["records"][0]["tasks"]["HTR"]
    assert len(htr["rows"]) == 200 and all(r["img"] is None for r in htr["rows"])
    assert "HTR: the inputs" in second["index"].read_text(encoding="utf-8")
    shutil.rmtree(data_root)
    third = write_view([data_dir_record], tmp_path / "gone")
    text = third["index"].read_text(encoding="utf-8")
    assert "cannot be read any more" in text and "task:HTR" in text  # summary still there
    assert all(t["rows"] is None for t in embedded(third["index"])["records"][0]["tasks"].values())


def test_changed_references_are_not_shown_as_if_they_were_scored(data_dir_record, tmp_path):
    record = read_record(data_dir_record)
    true = Path(record["dataset"]["location"]) / "answers" / "true_HTR.json"
    answers = json.loads(true.read_text(encoding="utf-8"))
    answers[next(iter(answers))] += "!"
    true.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    result = write_view([data_dir_record], tmp_path / "page")
    tasks = embedded(result["index"])["records"][0]["tasks"]
    assert tasks["HTR"]["rows"] is None and tasks["VQA"]["rows"]
    assert "not the ones this record was scored on" in result["index"].read_text(encoding="utf-8")


def test_cli_view_writes_the_page_and_reports_bad_input_in_one_line(sample_records, tmp_path, capsys):
    assert main(["view", str(sample_records[0]), "--out", str(tmp_path / "page")]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "page" / "index.html")
    assert main(["view", str(tmp_path / "nothing"), "--out", str(tmp_path / "other")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("fusionbench: error:") and "nothing" in err[0]
    assert not (tmp_path / "other").exists()


def test_view_refuses_to_replace_a_folder_that_is_not_a_page(sample_records, tmp_path):
    from fusionbench.errors import FusionBenchError

    keep = tmp_path / "mine"
    keep.mkdir()
    (keep / "notes.txt").write_text("precious")
    with pytest.raises(FusionBenchError, match="not a page"):
        write_view(sample_records[:1], keep)
    assert (keep / "notes.txt").read_text() == "precious"
    write_view(sample_records[:1], tmp_path / "page")
    write_view(sample_records[:1], tmp_path / "page")  # a page is replaced
    assert (tmp_path / "page" / "index.html").is_file()


def test_the_summary_breaks_scores_down_by_language_with_intervals(sample_records, tmp_path):
    # even-right is wrong on every odd item; the sample alternates ru (even) and en (odd) for HTR
    text = write_view(sample_records[:1], tmp_path / "page")["index"].read_text(encoding="utf-8")
    ru = re.search(r'data-summary-task="HTR" data-lang="ru">.*?<td class="num">([\d.]+)</td><td class="num">([^<]+)<', text)
    en = re.search(r'data-summary-task="HTR" data-lang="en">.*?<td class="num">([\d.]+)</td><td class="num">([^<]+)<', text)
    assert (ru.group(1), ru.group(2)) == ("1.000", "1.000–1.000")
    assert (en.group(1), en.group(2)) == ("0.000", "0.000–0.000")
    assert 'data-summary-task="VQA" data-lang="en"' in text and "C2C execution accuracy" not in text


def test_the_summary_lists_only_options_that_differ_from_the_defaults_and_the_sandbox_locks(tmp_path):
    from fusionbench.view.summary import isolation_label, summary_html

    base = {"tasks": {}, "overall": 0.0, "execution": {}, "timings": {}, "submission": {"name": "x"},
            "dataset": {"source": "sample", "split": "test"},
            "isolation": {"mode": "bwrap", "network": "none", "uid": 65534, "locks_verified": ["not_root", "no_mount"]}}
    default = summary_html(0, {**base, "options": {"c2c_timeout": 10.0, "zsod_matching": "official"}}, {}, [])
    assert "non-default options" not in default  # a default value is not news
    changed = summary_html(0, {**base, "options": {"c2c_timeout": 3.0, "vqa_normalize_references": True}}, {}, [])
    assert "c2c_timeout=3.0" in changed and "vqa_normalize_references=True" in changed
    assert isolation_label(base["isolation"]) == "bwrap, network none, uid 65534 inside, locks verified: not_root, no_mount"
