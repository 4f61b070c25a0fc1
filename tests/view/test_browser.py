"""The pages in a real browser: Debian's Chromium, headless, opening the files from disk.

Screenshots go to ``$FUSIONBENCH_SCREENS`` when it is set (for a person to look at), else to the
test's temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fusionbench.harness.leaderboard import write_leaderboard
from fusionbench.harness.record import read_record
from fusionbench.harness.runner import run_callables
from fusionbench.view import write_view


def screens(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("FUSIONBENCH_SCREENS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_page(browser, index: Path) -> None:
    browser.get(index.resolve().as_uri())
    for _ in range(100):
        if browser.execute_script("return document.body.dataset.rendered || null"):
            break
        browser.implicitly_wait(0.05)
    errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert not errors, errors


def count(browser, selector: str) -> int:
    return browser.execute_script("return document.querySelectorAll(arguments[0]).length", selector)


def choose(browser, section: str, name: str, value: str) -> None:
    browser.execute_script(
        "const c = document.querySelector(arguments[0] + ' [data-filter=\"' + arguments[1] + '\"]');"
        "c.value = arguments[2]; c.dispatchEvent(new Event(c.type === 'search' ? 'input' : 'change'));",
        section, name, value)


def test_the_sample_page_shows_items_filters_them_and_draws_boxes(browser, sample_records, tmp_path):
    result = write_view(sample_records[:1], tmp_path / "page")
    record = read_record(sample_records[0])
    open_page(browser, result["index"])
    for task in ("C2C", "HTR", "zsOD", "VQA"):
        assert count(browser, f'[data-task="{task}"][data-item]') == min(50, record["tasks"][task]["items"])
    htr = '[data-section-task="HTR"]'
    choose(browser, htr, "size", "0")  # all rows
    assert count(browser, '[data-task="HTR"][data-item]') == 200
    choose(browser, htr, "ok", "0")  # incorrect only
    wrong = 200 - record["tasks"]["HTR"]["correct"]
    assert count(browser, '[data-task="HTR"][data-item]') == wrong == 100
    assert count(browser, '[data-task="HTR"][data-correct="1"]') == 0
    # the sample alternates ru/en and the made-up submission is wrong on every odd item: all en
    choose(browser, htr, "lang", "ru")
    assert count(browser, '[data-task="HTR"][data-item]') == 0
    choose(browser, htr, "lang", "en")
    assert count(browser, '[data-task="HTR"][data-item][data-lang="en"]') == wrong
    choose(browser, htr, "lang", "")
    choose(browser, htr, "q", "test_1.png")  # search by key: test_1.png, test_1x.png ...
    keys = browser.execute_script("return [...document.querySelectorAll('[data-task=HTR][data-item]')].map(r => r.dataset.item)")
    assert keys and all("test_1" in k for k in keys)
    # zsOD: predicted boxes drawn as TP (green) and FP (dashed red) on the images, references too
    assert count(browser, '[data-task="zsOD"] svg.boxes image') == 50
    assert count(browser, '[data-task="zsOD"] rect.box.tp') > 0 and count(browser, '[data-task="zsOD"] rect.box.fp') > 0
    assert count(browser, '[data-task="zsOD"] rect.box.fn') > 0
    first_tp = browser.execute_script(
        "const r = document.querySelector('[data-task=zsOD] rect.box.tp'); return r.getBBox().width")
    assert first_tp > 0
    loaded = browser.execute_script(
        "return [...document.querySelectorAll('[data-task=HTR] img.crop')].filter(i => i.complete && i.naturalWidth > 0).length")
    browser.execute_script("document.getElementById('taskfilter').value = 'zsOD';"
                           "document.getElementById('taskfilter').dispatchEvent(new Event('change'));")
    assert count(browser, 'section.task:not([hidden])') == 1
    assert browser.execute_script("return document.getElementById('diff').hidden")  # one record: no diff
    browser.execute_script("document.querySelector('[data-section-task=zsOD]').scrollIntoView()")
    browser.save_screenshot(str(screens(tmp_path) / "sample-zsod-boxes.png"))
    assert loaded >= 0


def test_two_records_of_one_split_get_a_diff_with_disagreements_first(browser, sample_records, tmp_path):
    result = write_view(sample_records[:2], tmp_path / "page")
    open_page(browser, result["index"])
    assert not browser.execute_script("return document.getElementById('diff').hidden")
    options = browser.execute_script("return [...document.querySelectorAll('[data-filter=dtask] option')].map(o => o.text)")
    assert [o.split(":")[0] for o in options] == ["C2C", "HTR", "zsOD", "VQA"]
    # the two records are right on opposite halves: every C2C item differs in outcome
    assert count(browser, '#diff tr[data-diff-item][data-level="2"]') == 50
    choose(browser, "#diff", "dtask", "1")  # HTR
    choose(browser, "#diff", "donly", "")  # all items, disagreements first
    levels = browser.execute_script("return [...document.querySelectorAll('#diff tr[data-diff-item]')].map(r => +r.dataset.level)")
    assert levels == sorted(levels, reverse=True) and levels[0] == 2
    # per-record tables: switching the record changes which rows are correct
    first = browser.execute_script("return document.querySelector('[data-task=HTR][data-item]').dataset.correct")
    choose(browser, '[data-section-task="HTR"]', "record", "1")
    second = browser.execute_script("return document.querySelector('[data-task=HTR][data-item]').dataset.correct")
    assert (first, second) == ("1", "0")


def test_a_diff_puts_the_items_where_two_records_disagree_first(browser, sample_records, tmp_path):
    # even-right is wrong on odd items, two-thirds-right on every third item (i % 3 == 2)
    result = write_view([sample_records[0], sample_records[2]], tmp_path / "page")
    open_page(browser, result["index"])
    choose(browser, "#diff", "dtask", "2")  # zsOD
    choose(browser, "#diff", "donly", "")
    choose(browser, "#diff", "dsize", "0")
    rows = browser.execute_script(
        "return [...document.querySelectorAll('#diff tr[data-diff-item]')].map(r => [r.dataset.diffItem, +r.dataset.level])")
    keys = [k for k, _ in rows]
    levels = [level for _, level in rows]
    assert levels == sorted(levels, reverse=True) and levels[0] == 2 and levels[-1] == 0
    assert count(browser, "#diff svg.boxes rect.box") > 0  # boxes of both records drawn in the diff
    import json

    true = json.loads((Path(__file__).parents[2] / "fusionbench/data/sample_data/test/true_zsOD.json").read_text())
    order = [f"{image}|{d}" for image, ds in true.items() for d in ds]
    outcome = lambda i, period: (i % period) != period - 1
    expected = [k for i, k in enumerate(order) if outcome(i, 2) != outcome(i, 3)]
    assert keys[:len(expected)] == expected and len(keys) == len(order)
    choose(browser, "#diff", "dsize", "25")
    browser.execute_script("document.getElementById('diff').scrollIntoView()")
    browser.save_screenshot(str(screens(tmp_path) / "two-record-diff.png"))


def test_c2c_execution_statuses_are_shown_and_filterable_when_the_record_has_them(browser, sample_records, tmp_path):
    import json

    record = read_record(sample_records[0])
    keys = list(json.loads((Path(__file__).parents[2] / "fusionbench/data/sample_data/test/true_C2C.json").read_text()))
    record["tasks"]["C2C"]["execution"] = {
        "accuracy": 0.5, "counts": {"success": 2, "failure": 2}, "signature": "task:C2C-exec|version:test",
        "items": {k: ("success" if i % 2 == 0 else "failure") for i, k in enumerate(keys[:4])}}
    copy = tmp_path / "run"
    copy.mkdir()
    (copy / "record.json").write_text(json.dumps(record))
    (copy / "predictions").symlink_to(sample_records[0].parent / "predictions")
    result = write_view([copy], tmp_path / "page")
    open_page(browser, result["index"])
    assert "C2C execution accuracy" in browser.page_source
    choose(browser, '[data-section-task="C2C"]', "ex", "failure")
    assert count(browser, '[data-task="C2C"][data-item]') == 2
    choose(browser, '[data-section-task="C2C"]', "ex", "no_test")
    assert count(browser, '[data-task="C2C"][data-item]') == len(keys) - 4 if len(keys) - 4 <= 50 else 50


def test_the_leaderboard_page_ranks_only_comparable_records_together(browser, sample_records, tmp_path):
    folder = tmp_path / "results"
    for path in sample_records[:2]:
        target = folder / path.parent.name
        target.mkdir(parents=True)
        (target / "record.json").write_bytes(path.read_bytes())
    run_callables({"VQA": lambda f: {k: "да" for k in __import__("json").loads((f / "questions.json").read_text())}},
                  out=folder, name="refnorm", options={"vqa_normalize_references": True}, bootstrap_samples=20)
    board = write_leaderboard(folder, png=False)
    assert any("2 groups" in w for w in board["warnings"])
    open_page_static(browser, folder / "leaderboard.html")
    assert count(browser, "section.group") == 2
    assert count(browser, 'section.group[data-group="1"] tr[data-entry]') == 2
    assert count(browser, 'section.group[data-group="2"] tr[data-entry="refnorm"]') == 1
    assert count(browser, "svg.chart") == 2
    assert "vqa_normalize_references=True" in browser.page_source
    browser.save_screenshot(str(screens(tmp_path) / "leaderboard-groups.png"))


def open_page_static(browser, path: Path) -> None:
    browser.get(path.resolve().as_uri())
    assert browser.execute_script("return document.readyState") == "complete"


def test_text_from_a_submission_is_shown_as_text_never_run(browser, tmp_path):
    hostile = '</script><script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'

    def htr(folder: Path) -> dict[str, str]:
        return {p.name: hostile for p in sorted((folder / "images").iterdir())}

    _, path = run_callables({"HTR": htr}, out=tmp_path / "runs", name='<b id="bold">name</b>', bootstrap_samples=10)
    result = write_view([path], tmp_path / "page")
    open_page(browser, result["index"])
    assert browser.execute_script("return window.pwned === undefined && !document.getElementById('bold')")
    shown = browser.execute_script("return document.querySelector('[data-task=HTR][data-item] td:nth-child(4)').textContent")
    assert shown == hostile
    # control: the same markup put into the page as HTML does run, so the check above can fail
    browser.execute_script("document.body.insertAdjacentHTML('beforeend', arguments[0])", hostile)
    browser.implicitly_wait(0.2)
    assert browser.execute_script("return new Promise(r => setTimeout(() => r(window.pwned), 300))") == 2
