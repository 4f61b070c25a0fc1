"""How heavy and how quick is the ``fusionbench view`` page on a public-size record?

Builds a challenge-layout data folder from :mod:`fusionbench.synthetic` at the size of the 2021
public test (C2C 1,699, HTR 14,973, zsOD 1,000 images with ~17 descriptions each, VQA 5,446) with
small generated images, scores the synthetic predictions into a record (in-process), writes the
page, then opens it from disk in headless Debian Chromium (selenium + chromedriver) and prints:
the time to build the page, its weight (index.html and images), the time from navigation start to
the first contentful paint and to the end of the viewer's first render, and how long a filter
change takes on the largest table.  It prints numbers; it never passes or fails.

    python benchmarks/view_page.py [--scale 1.0] [--records 1] [--no-images] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from fusionbench.harness.runner import run_callables
from fusionbench.synthetic import write_set
from fusionbench.view import write_view

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def make_data(root: Path, scale: float, images: bool) -> Path:
    """A challenge-layout folder (input/ + answers/) and the synthetic predictions beside it."""
    answers, preds = root / "answers", root / "predictions"
    answers.mkdir(parents=True)
    write_set(answers, seed=0, scale=scale)
    preds.mkdir()
    for path in answers.glob("prediction_*.json"):
        path.rename(preds / path.name)
    vqa = json.loads((answers / "true_VQA.json").read_text(encoding="utf-8"))
    zsod = json.loads((answers / "true_zsOD.json").read_text(encoding="utf-8"))
    htr = json.loads((answers / "true_HTR.json").read_text(encoding="utf-8"))
    c2c = json.loads((answers / "true_C2C.json").read_text(encoding="utf-8"))
    for task in ("HTR", "zsOD", "VQA", "C2C"):
        (root / "input" / task).mkdir(parents=True)
    scenes = sorted(zsod)
    questions = {k: {"file_name": scenes[int(k) % len(scenes)], "question": f"question {k}?"} for k in vqa}
    (root / "input" / "VQA" / "questions.json").write_text(json.dumps(questions), encoding="utf-8")
    (root / "input" / "zsOD" / "requests.json").write_text(
        json.dumps({image: list(d) for image, d in zsod.items()}, ensure_ascii=False), encoding="utf-8")
    (root / "input" / "C2C" / "requests.json").write_text(
        json.dumps({k: "static int f ( int n ) { return n ; }" for k in c2c}), encoding="utf-8")
    for task in ("HTR", "zsOD", "VQA"):
        (root / "input" / task / "images").mkdir()
    if images:
        from PIL import Image

        rng = random.Random(0)
        for name in htr:
            Image.new("L", (160, 40), rng.randint(180, 255)).save(root / "input" / "HTR" / "images" / name)
        for name in scenes:
            picture = Image.new("RGB", (1200, 1000), tuple(rng.randint(60, 200) for _ in range(3)))
            picture.save(root / "input" / "zsOD" / "images" / name, quality=70)
            picture.save(root / "input" / "VQA" / "images" / name, quality=70)
    return root


def browser_numbers(index: Path) -> dict[str, float]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1800", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        started = time.perf_counter()
        driver.get(index.resolve().as_uri())  # returns after the load event
        while not driver.execute_script("return document.body.dataset.rendered || null"):
            time.sleep(0.02)
        wall = time.perf_counter() - started
        rendered = float(driver.execute_script("return document.body.dataset.rendered"))
        fcp = driver.execute_script(
            "const p = performance.getEntriesByName('first-contentful-paint')[0]; return p ? p.startTime : null")
        filter_ms = driver.execute_script(
            "const c = document.querySelector('[data-section-task=HTR] [data-filter=ok]');"
            "const t = performance.now(); c.value = '0'; c.dispatchEvent(new Event('change'));"
            "return performance.now() - t;")
        search_ms = driver.execute_script(
            "const c = document.querySelector('[data-section-task=zsOD] [data-filter=q]');"
            "const t = performance.now(); c.value = 'red car'; c.dispatchEvent(new Event('input'));"
            "return performance.now() - t;")
        rows = driver.execute_script("return document.querySelectorAll('[data-item]').length")
        heap = driver.execute_script("return performance.memory ? performance.memory.usedJSHeapSize : null")
    finally:
        driver.quit()
    return {"first_contentful_paint_ms": fcp, "first_render_done_ms": rendered, "load_to_rendered_wall_s": wall,
            "htr_filter_change_ms": filter_ms, "zsod_search_ms": search_ms, "rows_in_dom": rows,
            "js_heap_mb": heap / 1e6 if heap else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the public-test size (default 1)")
    parser.add_argument("--records", type=int, default=1, help="records on the page (a diff when 2 or more)")
    parser.add_argument("--no-images", action="store_true", help="no image files (page weight without images)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fusionbench-viewbench-") as tmp:
        root = make_data(Path(tmp) / "data", args.scale, not args.no_images)
        predictions = {t: json.loads((root / "predictions" / f"prediction_{t}.json").read_text(encoding="utf-8"))
                       for t in ("C2C", "HTR", "zsOD", "VQA")}
        records = []
        for number in range(args.records):
            functions = {t: (lambda folder, t=t: predictions[t]) for t in predictions}
            _, path = run_callables(functions, data=root, split="test", out=Path(tmp) / "runs",
                                    name=f"synthetic-{number}", bootstrap_samples=100)
            records.append(path)
        started = time.perf_counter()
        result = write_view(records, Path(tmp) / "page")
        build_s = time.perf_counter() - started
        image_bytes = sum(p.stat().st_size for p in (Path(tmp) / "page" / "img").rglob("*") if p.is_file()) \
            if (Path(tmp) / "page" / "img").exists() else 0
        numbers = {"items": result["items"], "records": args.records, "build_s": round(build_s, 2),
                   "index_html_mb": round(result["bytes"] / 1e6, 2), "images": result["images"],
                   "images_mb": round(image_bytes / 1e6, 2)}
        numbers.update(browser_numbers(result["index"]))
    if args.json:
        print(json.dumps(numbers))
        return
    for key, value in numbers.items():
        print(f"{key:28s} {value if not isinstance(value, float) else round(value, 2)}")


if __name__ == "__main__":
    sys.exit(main())
