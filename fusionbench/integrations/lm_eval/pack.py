"""The functions lm-eval calls for the four tasks (the task YAMLs point at them through ``utils.py``).

Per row, :func:`process_results` parses the model's answer into the official prediction value and
returns, for every metric of the task, the same small record: row index and key, prediction,
reference, language, whether the answer parsed, and the item's fusionbench sufficient statistics
(HTR, VQA, zsOD; C2C's are computed for all items at once in the aggregate, because its
data-flow part runs in worker processes started with ``PYTHONHASHSEED=0``, and starting them per
row would cost a second each).

The aggregates rebuild the official prediction and reference objects from those records, in the
reference file's order (zsOD regrouped per image), and score them with fusionbench's own
accumulator, so that lm-eval's number is exactly ``fusionbench.evaluate``'s on the same
predictions.  All metrics of one task share one scoring of the whole set (a small cache).
Per-language metrics of a language without items are NaN.

C2C execution accuracy (``exec_acc``) lives in its own task, ``fusionbench_c2c_exec``, marked
``unsafe_code: true`` as lm-eval requires of tasks that run model-written code (run it with
``--confirm_run_unsafe_code``).  It uses ``fusionbench.evaluate``'s ``c2c_execution`` option where
this fusionbench has it (:func:`execution_available`, the hook) and is NaN with a warning otherwise.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from fusionbench.integrations.lm_eval import data as _data
from fusionbench.integrations.lm_eval import prompts as _prompts
from fusionbench.integrations.lm_eval.parsers import parse_answer

__all__ = ["EXECUTION_OPTION", "METRICS", "aggregate", "execution_available", "process_results", "score_records"]

LOG = logging.getLogger("fusionbench.lm_eval")

#: lm-eval metric name -> how to read it from the task's TaskScore.
METRICS: dict[str, dict[str, Callable[[Any], float]]] = {
    "C2C": {
        "codebleu": lambda s: s.score,
        "ngram_match": lambda s: s.details["components"]["ngram_match"],
        "weighted_ngram_match": lambda s: s.details["components"]["weighted_ngram_match"],
        "syntax_match": lambda s: s.details["components"]["syntax_match"],
        "dataflow_match": lambda s: s.details["components"]["dataflow_match"],
    },
    "HTR": {
        "acc": lambda s: s.score,
        "acc_en": lambda s: _language(s, "en"),
        "acc_ru": lambda s: _language(s, "ru"),
    },
    "VQA": {
        "acc": lambda s: s.score,
        "acc_en": lambda s: _language(s, "en"),
        "acc_ru": lambda s: _language(s, "ru"),
    },
    "zsOD": {
        "f1": lambda s: s.score,
        "precision": lambda s: s.details["precision"],
        "recall": lambda s: s.details["recall"],
        "f1_en": lambda s: _language(s, "en"),
        "f1_ru": lambda s: _language(s, "ru"),
    },
}
#: The option of ``fusionbench.evaluate`` that adds C2C execution accuracy (issue #11), when present.
EXECUTION_OPTION = "c2c_execution"
#: Share of answers that parsed to a non-empty prediction (or said "none" for zsOD), every task.
PARSED = "parsed"


def _language(score: Any, language: str) -> float:
    part = (score.by_language or {}).get(language)
    return part.score if part is not None else math.nan


# -- row functions ------------------------------------------------------------------------------
def doc_to_text(doc: dict[str, Any]) -> str:
    """The row's prompt (:mod:`.prompts`, versioned)."""
    return {"C2C": _prompts.c2c_prompt, "HTR": _prompts.htr_prompt, "VQA": _prompts.vqa_prompt,
            "zsOD": _prompts.zsod_prompt}[doc["task"]](doc)


def doc_to_target(doc: dict[str, Any]) -> str:
    """The reference as text (shown in lm-eval's logs; scoring reads the record, not this)."""
    reference = json.loads(doc["reference"])
    if isinstance(reference, str):
        return reference
    if doc["task"] == "VQA":
        answer = reference["answer"]
        return " | ".join(answer) if isinstance(answer, list) else str(answer)
    return json.dumps(reference, ensure_ascii=False)


def _item_stats(task: str, key: str, prediction: Any, reference: Any) -> dict[str, Any] | None:
    if task == "C2C":
        return None
    from fusionbench.evaluation import accumulator_for

    items = list(accumulator_for(task).item_stats({key: prediction}, {key: reference}))
    return dataclasses.asdict(items[0].stats)


def process_results(doc: dict[str, Any], results: Sequence[str]) -> dict[str, dict[str, Any]]:
    """One row's record for every metric of its task (see the module docstring)."""
    task = doc["task"]
    answer = results[0] if results else ""
    prediction, parsed = parse_answer(task, answer, doc)
    reference = json.loads(doc["reference"])
    record = {
        "task": task, "index": doc["index"], "key": doc["key"], "description": doc["description"],
        "language": doc["language"], "prediction": prediction, "reference": reference, "parsed": parsed,
        "stats": _zsod_stats(prediction, reference) if task == "zsOD" else _item_stats(task, doc["key"], prediction,
                                                                                       reference),
        "data": doc["data"], "split": doc["split"], "prompt_version": _prompts.PROMPT_VERSION,
    }
    return {name: record for name in (*METRICS[task], PARSED)}


def process_results_exec(doc: dict[str, Any], results: Sequence[str]) -> dict[str, dict[str, Any]]:
    """:func:`process_results` plus the ``exec_acc`` metric (task ``fusionbench_c2c_exec``)."""
    out = process_results(doc, results)
    out["exec_acc"] = out[PARSED]
    return out


def _zsod_stats(prediction: Any, reference: Any) -> dict[str, Any]:
    from fusionbench.metrics.zsod import zsod_stats

    return dataclasses.asdict(zsod_stats(prediction, reference))


# -- aggregation --------------------------------------------------------------------------------
def official_objects(records: Sequence[dict[str, Any]]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(task, predictions, references) as official objects, in reference order (zsOD per image)."""
    ordered = sorted(records, key=lambda r: r["index"])
    tasks = {r["task"] for r in ordered}
    if len(tasks) != 1:
        raise ValueError(f"records of several tasks mixed: {sorted(tasks)}")
    task = tasks.pop()
    predictions: dict[str, Any] = {}
    references: dict[str, Any] = {}
    for r in ordered:
        if task == "zsOD":
            predictions.setdefault(r["key"], {})[r["description"]] = r["prediction"]
            references.setdefault(r["key"], {})[r["description"]] = r["reference"]
        else:
            predictions[r["key"]] = r["prediction"]
            references[r["key"]] = r["reference"]
    return task, predictions, references


_CACHE: OrderedDict[str, Any] = OrderedDict()


def execution_available() -> bool:
    """Whether this fusionbench can score C2C execution accuracy (``evaluate(..., c2c_execution=True)``)."""
    from fusionbench.evaluation import OPTION_DEFAULTS

    return EXECUTION_OPTION in OPTION_DEFAULTS


def score_records(records: Sequence[dict[str, Any]], *, execution: bool = False) -> Any:
    """fusionbench's TaskScore (with per-language parts) of one task's records; cached.

    ``execution=True`` (C2C only) scores with ``c2c_execution=True``: it runs every translation
    against its test script (found as ``fusionbench.evaluate`` finds them, e.g. through
    ``FUSIONBENCH_C2C_TESTS``), which is why only the ``unsafe_code`` task asks for it.
    """
    from fusionbench.evaluation import accumulator_for

    task, predictions, references = official_objects(records)
    digest = hashlib.sha256(json.dumps([task, predictions, references, execution], ensure_ascii=False,
                                       sort_keys=False).encode()).hexdigest()
    if digest in _CACHE:
        _CACHE.move_to_end(digest)
        return _CACHE[digest]
    options: dict[str, Any] = {EXECUTION_OPTION: True} if execution else {}
    accumulator = accumulator_for(task, by_language=task != "C2C", **options)
    accumulator.update(predictions, references)
    score = accumulator.compute()
    _CACHE[digest] = score
    while len(_CACHE) > 8:
        _CACHE.popitem(last=False)
    return score


def aggregate(metric: str, records: Sequence[dict[str, Any]]) -> float:
    """One metric of a task over all its records."""
    if not records:
        return math.nan
    if metric == PARSED:
        return sum(1 for r in records if r["parsed"]) / len(records)
    if metric == "exec_acc":
        if not execution_available():
            LOG.warning("fusionbench_c2c_exec: this fusionbench has no C2C execution accuracy (%s); "
                        "exec_acc is NaN", EXECUTION_OPTION)
            return math.nan
        return float(score_records(records, execution=True).details["execution"]["accuracy"])
    task = records[0]["task"]
    return float(METRICS[task][metric](score_records(records)))


def _aggregation(metric: str) -> Callable[[Sequence[dict[str, Any]]], float]:
    def run(records: Sequence[dict[str, Any]]) -> float:
        return aggregate(metric, records)

    run.__name__ = f"fusionbench_{metric}"
    run.__doc__ = f"Aggregate {metric!r} with fusionbench's own accumulator."
    return run


# lm-eval's YAML names one function per metric (``aggregation: !function utils.agg_codebleu``).
agg_codebleu = _aggregation("codebleu")
agg_ngram_match = _aggregation("ngram_match")
agg_weighted_ngram_match = _aggregation("weighted_ngram_match")
agg_syntax_match = _aggregation("syntax_match")
agg_dataflow_match = _aggregation("dataflow_match")
agg_acc = _aggregation("acc")
agg_acc_en = _aggregation("acc_en")
agg_acc_ru = _aggregation("acc_ru")
agg_f1 = _aggregation("f1")
agg_precision = _aggregation("precision")
agg_recall = _aggregation("recall")
agg_f1_en = _aggregation("f1_en")
agg_f1_ru = _aggregation("f1_ru")
agg_parsed = _aggregation(PARSED)
agg_exec_acc = _aggregation("exec_acc")


def load_c2c(**metadata: Any) -> Any:
    """lm-eval's ``custom_dataset`` for the task (``--metadata`` keys arrive as keyword arguments)."""
    return _data.load_split("C2C", metadata)


def load_htr(**metadata: Any) -> Any:
    """lm-eval's ``custom_dataset`` for the task (``--metadata`` keys arrive as keyword arguments)."""
    return _data.load_split("HTR", metadata)


def load_vqa(**metadata: Any) -> Any:
    """lm-eval's ``custom_dataset`` for the task (``--metadata`` keys arrive as keyword arguments)."""
    return _data.load_split("VQA", metadata)


def load_zsod(**metadata: Any) -> Any:
    """lm-eval's ``custom_dataset`` for the task (``--metadata`` keys arrive as keyword arguments)."""
    return _data.load_split("zsOD", metadata)


doc_to_image = _data.load_image
