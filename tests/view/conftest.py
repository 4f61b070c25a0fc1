"""Fixtures for the viewer tests: records of made-up submissions, and a headless Debian Chromium."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fusionbench.data.sample_source import frozen_split
from fusionbench.harness.runner import run_callables

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _true(folder: Path, task: str) -> dict:
    return json.loads((folder / f"true_{task}.json").read_text(encoding="utf-8"))


def half_right(references: Path, *, shift: int = 0, period: int = 2):
    """Callables that answer items right (from the references) except every ``period``-th one.

    ``shift`` moves which items are wrong, so that two records disagree on known items.  zsOD boxes
    are the reference boxes, moved by 40 pixels on the wrong half (FP + the reference missed), and one
    spurious box on every negative description of the wrong half.
    """

    def wrong(i: int) -> bool:
        return (i + shift) % period == period - 1

    def htr(_):
        return {k: (v + "x" if wrong(i) else v) for i, (k, v) in enumerate(_true(references, "HTR").items())}

    def vqa(_):
        return {k: ("wrong answer" if wrong(i) else v["answer"][0]) for i, (k, v) in enumerate(_true(references, "VQA").items())}

    def c2c(_):
        return {k: ("def f ( ) : NEW_LINE INDENT pass NEW_LINE DEDENT" if wrong(i) else v)
                for i, (k, v) in enumerate(_true(references, "C2C").items())}

    def zsod(_):
        out, i = {}, 0
        for image, descriptions in _true(references, "zsOD").items():
            out[image] = {}
            for description, boxes in descriptions.items():
                if not wrong(i):
                    out[image][description] = boxes
                elif boxes:
                    out[image][description] = [[x + 40, y + 40, w, h] for x, y, w, h in boxes]
                else:
                    out[image][description] = [[5, 5, 30, 30]]
                i += 1
        return out

    return {"HTR": htr, "zsOD": zsod, "VQA": vqa, "C2C": c2c}


@pytest.fixture(scope="session")
def sample_records(tmp_path_factory) -> list[Path]:
    """Three records on the sample test split: right on even items, on odd items, on all but every third."""
    out = tmp_path_factory.mktemp("records")
    references = frozen_split("test")
    paths = []
    for shift, period, name in ((0, 2, "even-right"), (1, 2, "odd-right"), (0, 3, "two-thirds-right")):
        _, path = run_callables(half_right(references, shift=shift, period=period), data="sample", split="test",
                                out=out, name=name, bootstrap_samples=50)
        paths.append(path)
    return paths


@pytest.fixture
def data_dir_record(tmp_path) -> Path:
    """A record on a copied ``--data`` folder (challenge layout with answers/), all four tasks."""
    source = frozen_split("test")
    data = tmp_path / "data"
    for task in ("HTR", "zsOD", "VQA", "C2C"):
        shutil.copytree(source / "input" / task, data / "input" / task)
        (data / "answers").mkdir(parents=True, exist_ok=True)
        shutil.copy(source / f"true_{task}.json", data / "answers" / f"true_{task}.json")
    _, path = run_callables(half_right(data / "answers"), data=data, split="test", out=tmp_path / "runs",
                            name="on-dir", bootstrap_samples=50)
    return path


def _browser():
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("no Debian chromium/chromium-driver here (.ci/run installs them with apt where it can)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install -e '.[test]')")
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1800",
                "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.binary_location = CHROMIUM
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.fixture(scope="session")
def browser():
    """A headless Debian Chromium driven by chromedriver (nothing downloaded)."""
    driver = _browser()
    yield driver
    driver.quit()
