"""Per-sample rows of one task of one record, computed with the metrics' own per-item statistics.

Every row is a small JSON-able dict: ``k`` (the item key), ``l`` (language or ``None``), ``ok``
(1 when the item is fully right: equal string, no FP/FN, exact tokens), the task's content and its
statistics.  The statistics come from the same accumulator the harness scored with (same
options), and :func:`task_rows` re-aggregates them and reports whether the sum reproduces the
recorded score, so the page can never disagree with the numbers silently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fusionbench.errors import FusionBenchError
from fusionbench.evaluation import accumulator_for
from fusionbench.formats import read_task_file
from fusionbench.jsonio import read_json_object

__all__ = ["TaskRows", "ZSOD_KEY_SEPARATOR", "task_rows"]

#: zsOD items are (image, description) pairs; their ``data-item`` key is ``image|description``.
ZSOD_KEY_SEPARATOR = "|"

ImageRef = Callable[[str, str], "str | None"]  # (task, file name) -> page-relative path or None


@dataclass
class TaskRows:
    """One task's rows, plus whether re-aggregating their statistics gives the recorded score."""

    task: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    rescored: float | None = None
    agrees: bool | None = None
    #: language -> (score, interval low, interval high), the interval bootstrapped like the record's
    language_scores: dict[str, tuple[float, float, float]] = field(default_factory=dict)


def _read_input(inputs: Path | None, task: str, name: str) -> dict[str, Any]:
    if inputs is None or not (inputs / task / name).is_file():
        return {}
    try:
        return read_json_object(inputs / task / name)
    except FusionBenchError:
        return {}


def _htr(items, prediction, reference, inputs, image):
    from fusionbench.metrics.htr import htr_stats

    rows = []
    for item in items:
        pred = prediction.get(item.key, "")
        ref = reference[item.key]
        rates = htr_stats(pred if isinstance(pred, str) else "", ref, error_rates=True)
        rows.append({"k": item.key, "l": item.language, "ok": item.stats.correct, "ref": ref, "pred": pred,
                     "missing": item.key not in prediction,
                     "cer": rates.char_errors / rates.char_total if rates.char_total else None,
                     "img": image("HTR", item.key)})
    return rows


def _zsod(items, prediction, reference, inputs, image, options):
    from fusionbench.metrics.zsod import iou

    threshold = 0.5
    sizes: dict[str, Any] = {}
    rows = []
    for item in items:
        name, description = item.key.split("\x1f", 1)
        ref = list(reference[name][description])
        pred = prediction[name][description]
        pred = [] if pred == [[]] else list(pred)
        if name not in sizes:
            sizes[name] = _image_size(inputs / "zsOD" / "images" / name if inputs else None)
        s = item.stats
        rows.append({
            "k": f"{name}{ZSOD_KEY_SEPARATOR}{description}", "l": item.language, "ok": int(s.fp == 0 and s.fn == 0),
            "image": name, "desc": description, "neg": not ref, "ref": ref, "pred": pred,
            # drawing aid only: a predicted box is drawn as a hit when its IoU with some reference box
            # reaches the threshold (the official TP rule); the counts below are the scorer's own.
            "phit": [int(any(iou(p, r) >= threshold for r in ref)) for p in pred],
            "rhit": [int(any(iou(p, r) >= threshold for p in pred)) for r in ref],
            "tp": s.tp, "fp": s.fp, "fn": s.fn, "size": sizes[name], "img": image("zsOD", name),
        })
    return rows


def _image_size(path: Path | None) -> list[int] | None:
    if path is None or not path.is_file():
        return None
    try:
        from PIL import Image

        with Image.open(path) as picture:
            return list(picture.size)
    except Exception:  # noqa: BLE001 - an unreadable image is drawn without its picture
        return None


def _vqa(items, prediction, reference, inputs, image, options):
    from fusionbench.metrics.vqa_normalize import normalize_answer

    questions = _read_input(inputs, "VQA", "questions.json")
    normalize_refs = options.get("vqa_normalize_references", False)
    rows = []
    for item in items:
        ref = reference[item.key]
        answers = ref["answer"] if isinstance(ref["answer"], list) else [ref["answer"]]
        pred = prediction[item.key]
        asked = questions.get(item.key, {}) if isinstance(questions.get(item.key), dict) else {}
        file_name = asked.get("file_name")
        row = {"k": item.key, "l": item.language, "ok": item.stats.correct, "q": asked.get("question"),
               "ref": answers, "pred": pred, "npred": normalize_answer(pred, item.language),
               "img": image("VQA", file_name) if file_name else None}
        if normalize_refs:
            row["nref"] = [normalize_answer(a, item.language) for a in answers]
        rows.append(row)
    return rows


def _execution_statuses(record: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Per-item C2C execution statuses, if the record carries them (``tasks.C2C.execution``)."""
    execution = record.get("tasks", {}).get("C2C", {}).get("execution")
    if not isinstance(execution, Mapping):
        return {}
    for name in ("items", "details", "per_item"):
        found = execution.get(name)
        if isinstance(found, Mapping):
            if isinstance(found.get("items"), Mapping):
                found = found["items"]
            out = {}
            for key, value in found.items():
                if isinstance(value, str):
                    out[str(key)] = {"status": value}
                elif isinstance(value, Mapping) and "status" in value:
                    out[str(key)] = {"status": str(value["status"]),
                                     "error": value.get("error") or value.get("first_error")}
            return out
        if isinstance(found, list):
            return {str(v["key"]): {"status": str(v.get("status")), "error": v.get("error")}
                    for v in found if isinstance(v, Mapping) and "key" in v}
    return {}


def _c2c(items, prediction, reference, inputs, image, options, record):
    from fusionbench.metrics.codebleu import codebleu_score
    from fusionbench.metrics.codebleu.detok import detokenize

    requests = _read_input(inputs, "C2C", "requests.json")
    statuses = _execution_statuses(record)
    opts = {"detokenize": options.get("c2c_detokenize", False),
            "dataflow_parents": options.get("c2c_dataflow_parents", "official"), "grammar": options.get("c2c_grammar")}
    rows = []
    for item in items:
        pred, ref = prediction[item.key], reference[item.key]
        s = item.stats
        try:
            own = codebleu_score(s, **opts).score  # the item's statistics aggregated alone
        except (FusionBenchError, OSError):
            own = None
        row = {"k": item.key, "l": None, "ok": int(pred.split() == ref.split()),
               "java": requests.get(item.key) if isinstance(requests.get(item.key), str) else None,
               "ref": detokenize(ref), "pred": detokenize(pred), "own": own,
               "ng": [list(s.ngram.matches), list(s.ngram.hyp_ngrams)], "wm": list(s.ngram.weighted_matches),
               "syn": [s.syntax_matches, s.syntax_total], "df": [s.dataflow_matches, s.dataflow_total]}
        if statuses:
            found = statuses.get(item.key, {"status": "no_test"})
            row["ex"] = found["status"]
            if found.get("error"):
                row["exerr"] = str(found["error"])[:300]
        rows.append(row)
    return rows


def _language_scores(accumulator, items, record: Mapping[str, Any]) -> dict[str, tuple[float, float, float]]:
    """Each language's score and a percentile bootstrap interval (the record's samples and seed)."""
    from fusionbench.harness.bootstrap import bootstrap_scores, confidence_interval

    settings = record.get("bootstrap") or {}
    samples, seed = int(settings.get("samples", 1000)), int(settings.get("seed", 12345))
    out = {}
    for lang, stats in sorted(accumulator.per_language.items()):
        subset = [i.stats for i in items if i.language == lang]
        try:
            score = accumulator.aggregate(stats).score
            values = bootstrap_scores(subset, lambda s: accumulator.aggregate(s).score, samples=samples, seed=seed)
        except (FusionBenchError, ValueError):
            continue
        out[lang] = (score, *confidence_interval(values, float(settings.get("level", 0.95))))
    return out


def task_rows(task: str, record: Mapping[str, Any], predictions: Path, references: Path, inputs: Path | None,
              image: ImageRef) -> TaskRows:
    """The rows of ``task``, with the record's scoring options.

    Raises:
        FusionBenchError: the prediction or reference file cannot be read or scored (the caller
            shows the record's own reason instead of rows).
    """
    options = dict(record.get("options") or {})
    accumulator = accumulator_for(task, **options)
    _, reference = read_task_file(references, task, "reference")
    _, prediction = read_task_file(predictions, task, "prediction")
    items = list(accumulator.item_stats(prediction, reference))
    accumulator.add(items)
    result = TaskRows(task)
    result.rescored = accumulator.compute().score
    recorded = record.get("tasks", {}).get(task, {}).get("score")
    result.agrees = recorded is not None and result.rescored == recorded
    if accumulator.per_language:
        result.language_scores = _language_scores(accumulator, items, record)
    if task == "HTR":
        result.rows = _htr(items, prediction, reference, inputs, image)
    elif task == "zsOD":
        result.rows = _zsod(items, prediction, reference, inputs, image, options)
    elif task == "VQA":
        result.rows = _vqa(items, prediction, reference, inputs, image, options)
    else:
        result.rows = _c2c(items, prediction, reference, inputs, image, options, record)
    return result
