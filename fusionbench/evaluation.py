"""``fusionbench.evaluate``: score predictions of any subset of the four tasks."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fusionbench.errors import FusionBenchError, MissingFileError
from fusionbench.formats import near_miss_hint, read_task_file, tasks_in_directory, validate
from fusionbench.metrics.accumulator import Accumulator
from fusionbench.metrics.result import TaskScore
from fusionbench.report import Report
from fusionbench.tasks import TASK_ORDER, get_task

__all__ = ["OPTION_DEFAULTS", "accumulator_for", "evaluate", "score_task"]

#: Every option ``evaluate`` accepts, with its default (the official behaviour).
OPTION_DEFAULTS: dict[str, Any] = {
    "by_language": False,  # per-language breakdowns (HTR, zsOD, VQA)
    "htr_error_rates": False,  # also report character and word error rates
    "zsod_matching": "official",  # or "one_to_one"
    "vqa_normalize_references": False,  # also normalise the reference answers
    "c2c_detokenize": False,  # rebuild real Python from NEW_LINE/INDENT/DEDENT before parsing
    "c2c_dataflow_parents": "official",  # or "sorted": order-insensitive data-flow parents
    "c2c_grammar": None,  # path of an old compiled grammar, or "2021" (legacy route, fetched and cached)
    "c2c_execution": False,  # also run each prediction against its GfG test script (execution accuracy)
    "c2c_tests": None,  # folder of GfG test scripts (default: $FUSIONBENCH_C2C_TESTS)
    "c2c_timeout": 10.0,  # seconds per test script
}

Objects = Mapping[str, Any]


def _check_options(options: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(options) - set(OPTION_DEFAULTS))
    if unknown:
        valid = ", ".join(OPTION_DEFAULTS)
        raise TypeError(f"unknown option(s) {', '.join(unknown)}; valid options: {valid}")
    merged = dict(OPTION_DEFAULTS)
    merged.update(options)
    if merged["zsod_matching"] not in ("official", "one_to_one"):
        raise FusionBenchError(f"zsod_matching must be 'official' or 'one_to_one', not {merged['zsod_matching']!r}")
    if merged["c2c_dataflow_parents"] not in ("official", "sorted"):
        raise FusionBenchError(
            f"c2c_dataflow_parents must be 'official' or 'sorted', not {merged['c2c_dataflow_parents']!r}"
        )
    return merged


def accumulator_for(task: str, **options: Any) -> Accumulator[Any]:
    """A fresh streaming accumulator of one task, configured by :data:`OPTION_DEFAULTS`-style options."""
    opts = _check_options(options)
    name = get_task(task).name
    if name == "HTR":
        from fusionbench.metrics.htr import HTRAccumulator

        return HTRAccumulator(by_language=opts["by_language"], error_rates=opts["htr_error_rates"])
    if name == "zsOD":
        from fusionbench.metrics.zsod import ZsODAccumulator

        return ZsODAccumulator(by_language=opts["by_language"], matching=opts["zsod_matching"])
    if name == "VQA":
        from fusionbench.metrics.vqa import VQAAccumulator

        return VQAAccumulator(by_language=opts["by_language"], normalize_references=opts["vqa_normalize_references"])
    grammar = opts["c2c_grammar"]
    if grammar is not None and str(grammar) == "2021":
        from fusionbench.metrics.codebleu.legacy import official_2021_grammar

        grammar = official_2021_grammar()
    if opts["c2c_execution"]:
        from fusionbench.metrics.execution.accumulator import C2CExecutionAccumulator

        return C2CExecutionAccumulator(
            tests=opts["c2c_tests"], timeout_s=opts["c2c_timeout"], detokenize=opts["c2c_detokenize"],
            dataflow_parents=opts["c2c_dataflow_parents"], grammar=grammar,
        )
    from fusionbench.metrics.codebleu import CodeBLEUAccumulator

    return CodeBLEUAccumulator(
        detokenize=opts["c2c_detokenize"], dataflow_parents=opts["c2c_dataflow_parents"], grammar=grammar,
    )


def score_task(task: str, predictions: Objects, references: Objects, **options: Any) -> TaskScore:
    """Score one task on already validated official objects.

    Args:
        task: official or config task name.
        predictions: the parsed ``prediction_<TASK>.json``.
        references: the parsed ``true_<TASK>.json``.
        **options: see :data:`OPTION_DEFAULTS`.
    """
    accumulator = accumulator_for(task, **options)
    accumulator.update(predictions, references)
    return accumulator.compute()


def _is_path(value: Any) -> bool:
    return isinstance(value, (str, os.PathLike))


def _resolve_tasks(
    tasks: Iterable[str] | str | None, predictions: Any, references: Any
) -> list[str]:
    if tasks is not None:
        if isinstance(tasks, str):
            tasks = [t for t in tasks.split(",") if t.strip()]
        wanted = {get_task(t).name for t in tasks}
        return [t for t in TASK_ORDER if t in wanted]
    if _is_path(references):
        if not os.path.isdir(references):
            raise MissingFileError("reference directory not found", file=str(references),
                                   expected="a directory with true_<TASK>.json files")
        found = tasks_in_directory(references, "reference")
        if not found:
            hint = near_miss_hint(references, "reference")
            if tasks_in_directory(references, "prediction"):
                hint = " (it holds prediction files: were the arguments swapped?)"
            raise MissingFileError(
                f"no reference file in the reference directory{hint}", file=str(references),
                expected="true_C2C.json, true_HTR.json, true_zsOD.json or true_VQA.json",
            )
        return found
    return [t for t in TASK_ORDER if any(get_task(k).name == t for k in references)]


def _by_task(objects: Mapping[str, Any]) -> dict[str, Any]:
    return {get_task(key).name: value for key, value in objects.items()}


#: Bytes of ``true_C2C.json`` per item, about (for the worker start-up guess only).
_C2C_BYTES_PER_ITEM_GUESS = 256


def _prestart_c2c_workers(references: Any, ref_objects: Mapping[str, Any] | None, parents: str) -> None:
    """Start C2C's parsing workers now, so that their start-up overlaps with reading the files.

    The number of workers depends on the number of items, guessed from the reference file's size
    when it is not read yet; a wrong guess costs only start-up time (more workers start later
    if needed), never a result.
    """
    from fusionbench.metrics.codebleu.workers import prestart_workers

    if ref_objects is not None:
        references_c2c = ref_objects.get("C2C")
        guess = len(references_c2c) if isinstance(references_c2c, Mapping) else 0
    else:
        from fusionbench.formats import find_task_file

        path = find_task_file(references, "C2C", "reference")
        try:
            guess = os.path.getsize(path) // _C2C_BYTES_PER_ITEM_GUESS if path is not None else 0
        except OSError:
            guess = 0
    prestart_workers(guess, parents=parents)


def evaluate(
    predictions: Mapping[str, Any] | str | os.PathLike[str],
    references: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    *,
    tasks: Iterable[str] | str | None = None,
    **options: Any,
) -> Report:
    """Score FusionBrain predictions with the official rules (extensions only when asked for).

    Args:
        predictions: task name to the parsed ``prediction_<TASK>.json`` object, or a directory
            holding ``prediction_<TASK>.json`` files.
        references: task name to the parsed ``true_<TASK>.json`` object, or a directory holding
            ``true_<TASK>.json`` files.  ``None`` reads the references from the prediction
            directory itself.
        tasks: the tasks to score (official or config names, a list or a comma-separated
            string).  Default: every task that has a reference.
        **options: extensions, all off by default; see :data:`OPTION_DEFAULTS`.

    Returns:
        A :class:`~fusionbench.report.Report` with ``.scores[task]``, ``.overall``, ``.to_dict()``.

    Raises:
        FusionBenchError: invalid or missing files, keys that do not match, empty references.

    Example:
        >>> report = evaluate({"HTR": {"0.png": "мама"}}, {"HTR": {"0.png": "мама", "1.png": "cat"}})
        >>> report.scores["HTR"].score, report.overall
        (0.5, 0.5)
    """
    opts = _check_options(options)
    if references is None:
        if not _is_path(predictions):
            raise FusionBenchError("references are required when predictions are given as objects")
        references = predictions
    selected = _resolve_tasks(tasks, predictions, references)
    if not selected:
        raise FusionBenchError("no task to score: the references hold none of C2C, HTR, zsOD, VQA")

    loaded: dict[str, tuple[Any, Any]] = {}
    sources: dict[str, dict[str, str]] = {}
    ref_objects = None if _is_path(references) else _by_task(references)  # type: ignore[arg-type]
    pred_objects = None if _is_path(predictions) else _by_task(predictions)  # type: ignore[arg-type]
    if "C2C" in selected and opts["c2c_grammar"] is None:
        _prestart_c2c_workers(references, ref_objects, opts["c2c_dataflow_parents"])
    for task in selected:  # read and validate everything before scoring anything
        if ref_objects is None:
            ref_path, ref = read_task_file(references, task, "reference")  # type: ignore[arg-type]
            sources.setdefault(task, {})["reference"] = str(ref_path)
        else:
            if task not in ref_objects:
                raise MissingFileError(f"no reference for {task}", file="<references>")
            ref = validate(task, ref_objects[task], "reference", file=f"<references[{task!r}]>")
        if pred_objects is None:
            pred_path, pred = read_task_file(predictions, task, "prediction")  # type: ignore[arg-type]
            sources.setdefault(task, {})["prediction"] = str(pred_path)
        else:
            if task not in pred_objects:
                raise MissingFileError(
                    f"no prediction for {task}", file="<predictions>",
                    expected=f"a {task!r} entry (the reference has one)",
                )
            pred = validate(task, pred_objects[task], "prediction", file=f"<predictions[{task!r}]>")
        loaded[task] = (pred, ref)

    # C2C's parsing runs in worker processes: start it first, score the other tasks meanwhile.
    futures = {}
    with ThreadPoolExecutor(1) as background:
        if "C2C" in loaded:
            futures["C2C"] = background.submit(score_task, "C2C", *loaded["C2C"], **opts)
        results = {}
        for task in sorted(loaded, key=lambda t: t in futures):  # the background task last
            try:
                results[task] = futures[task].result() if task in futures else score_task(task, *loaded[task], **opts)
            except FusionBenchError as exc:
                if exc.file is None and task in sources:  # locate metric-level key errors in the file
                    exc.file = sources[task]["prediction"]
                    exc.args = (exc._render(),)
                raise
    scores = {task: results[task] for task in loaded}
    return Report(scores=scores, sources=sources)
