"""The pack's rows, per-row records and aggregates, in-process: equal to ``fusionbench.evaluate`` bit for bit."""

from __future__ import annotations

import json
import math
import random
import shutil
from pathlib import Path

import pytest

import fusionbench
from fusionbench.data.sample_source import frozen_split
from fusionbench.errors import MissingFileError
from fusionbench.integrations.lm_eval import pack, prompts, task_pack_path
from fusionbench.integrations.lm_eval.data import build_rows
from fusionbench.integrations.lm_eval.parsers import replay_answer
from fusionbench.metrics.codebleu.detok import detokenize

SPLIT = frozen_split("test")


def _references(task: str) -> dict:
    return json.loads((SPLIT / f"true_{task}.json").read_text(encoding="utf-8"))


def _noisy_predictions(seed: int = 7) -> dict[str, dict]:
    rng = random.Random(seed)
    refs = {t: _references(t) for t in ("C2C", "HTR", "zsOD", "VQA")}
    c2c = {k: (v if rng.random() < 0.3 else " ".join(v.split()[: rng.randint(0, len(v.split()))]))
           for k, v in refs["C2C"].items()}
    htr = {k: (v if rng.random() < 0.5 else v[::-1]) for k, v in refs["HTR"].items()}
    vqa = {k: (rng.choice(v["answer"]) if rng.random() < 0.5 else "no") for k, v in refs["VQA"].items()}
    zsod = {image: {d: [[b[0] + rng.randint(-15, 15), b[1], b[2], b[3]] for b in boxes]
                    if boxes else ([[1, 1, 5, 5]] if rng.random() < 0.2 else [])
                    for d, boxes in descriptions.items()}
            for image, descriptions in refs["zsOD"].items()}
    return {"C2C": c2c, "HTR": htr, "zsOD": zsod, "VQA": vqa}


def _answer(task: str, row: dict, predictions: dict) -> object:
    if task == "zsOD":
        return predictions[task][row["key"]][row["description"]]
    return predictions[task][row["key"]]


def test_rows_follow_reference_order_one_row_per_model_call() -> None:
    counts = {task: len(build_rows(task)) for task in ("C2C", "HTR", "zsOD", "VQA")}
    refs = _references("zsOD")
    assert counts == {"C2C": 120, "HTR": 200, "VQA": 200, "zsOD": sum(len(d) for d in refs.values())}
    rows = build_rows("zsOD")
    assert [(r["key"], r["description"]) for r in rows] == [(i, d) for i, ds in refs.items() for d in ds]
    assert [r["index"] for r in rows] == list(range(len(rows)))


@pytest.mark.parametrize("task", ["C2C", "HTR", "zsOD", "VQA"])
def test_aggregates_equal_evaluate_exactly(task: str) -> None:
    predictions = _noisy_predictions()
    rows = build_rows(task)
    records = [pack.process_results(row, [replay_answer(_answer(task, row, predictions))]) for row in rows]
    random.Random(1).shuffle(records)  # lm-eval may hand them over in any order
    expected = fusionbench.evaluate({task: predictions[task]}, {task: _references(task)}, by_language=True).scores[task]
    for metric, read in pack.METRICS[task].items():
        got = pack.aggregate(metric, [r[metric] for r in records])
        want = read(expected)
        assert got == want or (math.isnan(got) and math.isnan(want)), metric
    assert pack.aggregate("parsed", [r["parsed"] for r in records]) == 1.0


def test_a_subset_scores_like_evaluate_on_that_subset() -> None:
    predictions = _noisy_predictions(3)
    rows = build_rows("zsOD")[:23]  # like --limit 23: the last image is cut in the middle
    records = [pack.process_results(row, [replay_answer(_answer("zsOD", row, predictions))])["f1"] for row in rows]
    refs: dict = {}
    preds: dict = {}
    for row in rows:
        refs.setdefault(row["key"], {})[row["description"]] = json.loads(row["reference"])
        preds.setdefault(row["key"], {})[row["description"]] = _answer("zsOD", row, predictions)
    assert pack.aggregate("f1", records) == fusionbench.evaluate({"zsOD": preds}, {"zsOD": refs}).scores["zsOD"].score


def test_natural_answers_are_parsed_then_scored_exactly() -> None:
    rows = build_rows("C2C")[:12]
    answers = [f"Here is the function:\n```python\n{detokenize(json.loads(r['reference']))}```" for r in rows]
    records = [pack.process_results(row, [a])["codebleu"] for row, a in zip(rows, answers)]
    assert all(r["prediction"] == json.loads(row["reference"]) for r, row in zip(records, rows))
    assert pack.aggregate("codebleu", records) == 1.0
    htr = build_rows("HTR")[:4]
    records = [pack.process_results(row, ["Ответ: «" + json.loads(row["reference"]) + "»"])["acc"] for row in htr]
    assert pack.aggregate("acc", records) == 1.0
    assert pack.aggregate("acc", [pack.process_results(htr[0], [""])["acc"]]) == 0.0


def test_per_language_metric_without_items_is_nan() -> None:
    row = next(r for r in build_rows("HTR") if r["language"] == "en")
    record = pack.process_results(row, [replay_answer(json.loads(row["reference"]))])
    assert pack.aggregate("acc_en", [record["acc_en"]]) == 1.0
    assert math.isnan(pack.aggregate("acc_ru", [record["acc_ru"]]))


def test_prompts_are_bilingual_and_carry_the_image_placeholder() -> None:
    vqa = {r["language"]: pack.doc_to_text(r) for r in build_rows("VQA")}
    assert vqa["ru"].startswith(prompts.IMAGE) and "Ответь" in vqa["ru"] and "Answer" in vqa["en"]
    zsod = {r["language"]: pack.doc_to_text(r) for r in build_rows("zsOD")}
    assert "пикселях" in zsod["ru"] and "[x, y, w, h]" in zsod["en"]
    c2c = pack.doc_to_text(build_rows("C2C")[0])
    assert "```java" in c2c and prompts.IMAGE not in c2c
    image = pack.doc_to_image(build_rows("HTR")[0])
    assert len(image) == 1 and image[0].mode == "RGB"


def test_data_override_by_metadata_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "split"
    shutil.copytree(SPLIT / "input" / "HTR", target / "input" / "HTR")
    refs = dict(list(_references("HTR").items())[:5])
    (target / "true_HTR.json").write_text(json.dumps(refs, ensure_ascii=False), encoding="utf-8")
    assert len(build_rows("HTR", {"data": str(target)})) == 5
    monkeypatch.setenv("FUSIONBENCH_LMEVAL_DATA", str(target))
    assert [r["key"] for r in build_rows("HTR")] == list(refs)
    with pytest.raises(MissingFileError, match="C2C"):
        build_rows("C2C")
    monkeypatch.setenv("FUSIONBENCH_LMEVAL_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(MissingFileError, match="data directory not found"):
        build_rows("HTR")


def test_task_pack_files_are_package_data() -> None:
    tomllib = pytest.importorskip("tomllib")

    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["fusionbench"]
    root = Path(fusionbench.__file__).parent
    shipped = {p for pattern in patterns for p in root.glob(pattern)}
    files = sorted(p for p in task_pack_path().iterdir() if p.is_file())
    assert {p.name for p in files} >= {"fusionbench.yaml", "fusionbench_c2c.yaml", "fusionbench_htr.yaml",
                                         "fusionbench_zsod.yaml", "fusionbench_vqa.yaml", "utils.py"}
    assert all(p in shipped for p in files)


def test_any_load_dataset_source_is_materialised_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUSIONBENCH_CACHE", str(tmp_path / "cache"))
    rows = build_rows("HTR", {"source": "sample", "split": "validation"})
    frozen = json.loads((frozen_split("validation") / "true_HTR.json").read_text(encoding="utf-8"))
    assert [(r["key"], json.loads(r["reference"])) for r in rows] == list(frozen.items())
    (folder,) = (tmp_path / "cache" / "lm-eval").iterdir()
    assert rows[0]["data"] == str(folder) and Path(rows[0]["image"]).is_file()
    vqa = build_rows("VQA", {"source": "sample", "split": "validation"})
    assert {r["data"] for r in vqa} == {str(folder)}  # one folder for every task of a source
    assert sorted(p.name for p in (folder / "answers").iterdir()) == ["true_HTR.json", "true_VQA.json"]
