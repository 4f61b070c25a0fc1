"""``fusionbench run``: run a submission on a split's inputs, score it in the parent, record it.

The order of events is the guarantee:

1. the split's inputs (never its answers) and the submission are copied into a fresh temporary
   work folder; zips are checked and unpacked safely before anything runs;
2. the entrypoint runs in the sandbox (:mod:`fusionbench.isolation.sandbox`), which sees only the
   work folder, the system and the Python environment, with every answer location masked;
3. when the whole process tree is gone, the official prediction files are copied out of
   ``output/`` and scored here, task by task (a missing or invalid file scores 0 with its reason);
4. the record and the predictions are written into the results folder atomically.
"""

from __future__ import annotations

import inspect
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from fusionbench.errors import MissingFileError
from fusionbench.harness.datasource import DataSplit, resolve_data
from fusionbench.harness.record import PREDICTIONS_DIR, RECORD_NAME, SCHEMA, environment, now
from fusionbench.isolation.sandbox import Limits, RunOutcome, run_entrypoint
from fusionbench.harness.scoring import TaskOutcome, bootstrap_intervals, predictions_in, score_predictions
from fusionbench.harness.submission import Submission, stage_submission
from fusionbench.jsonio import make_staging_dir, write_json_atomic
from fusionbench.metrics.integral import integral_score
from fusionbench.tasks import TASK_ORDER, get_task

__all__ = ["results_folder", "run_callables", "run_submission", "select_tasks"]

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def select_tasks(data: DataSplit, tasks: Sequence[str] | str | None) -> list[str]:
    """The tasks to run: those asked for (each must have a reference) or all with a reference."""
    available = data.tasks()
    if tasks is None:
        return available
    if isinstance(tasks, str):
        tasks = [t for t in tasks.split(",") if t.strip()]
    wanted = {get_task(t.strip()).name for t in tasks}
    missing = sorted(wanted - set(available), key=TASK_ORDER.index)
    if missing:
        raise MissingFileError(f"the data has no reference for {', '.join(missing)}", file=str(data.references),
                               expected=f"true_<TASK>.json for every task asked for (found: {', '.join(available)})")
    return [t for t in TASK_ORDER if t in wanted]


def _masked_paths(data: DataSplit) -> list[Path]:
    """Every place holding answers that the sandbox must not show, even under a bound folder."""
    from fusionbench.cache import cache_root
    from fusionbench.data.sample_source import FROZEN

    masked = [data.references, FROZEN, cache_root()]
    if data.source == "dir":
        masked.append(Path(data.location))
    return masked


def _copy_inputs(data: DataSplit, tasks: Sequence[str], target: Path) -> None:
    target.mkdir()
    for task in tasks:
        source = data.inputs / task
        if not source.is_dir():
            raise MissingFileError(f"the data has no inputs for {task}", file=str(source))
        shutil.copytree(source, target / task, symlinks=False)


def _collect_predictions(output: Path, tasks: Sequence[str], target: Path) -> None:
    """Copy the official prediction files (regular files only: no links out) out of ``output``."""
    target.mkdir(parents=True)
    for path in predictions_in(output, tasks) if output.is_dir() and not output.is_symlink() else []:
        if path.is_symlink() or not path.is_file():
            continue
        shutil.copyfile(path, target / path.name, follow_symlinks=False)


def _remove_tree(path: Path) -> None:
    def retry(function: Any, name: str, _: Any) -> None:
        try:
            os.chmod(os.path.dirname(name), 0o700)
            os.chmod(name, 0o700)
            function(name)
        except OSError:
            pass

    shutil.rmtree(path, onerror=retry)


def results_folder(out: str | os.PathLike[str], name: str, split: str, sha256: str) -> Path:
    """``OUT/<name>-<split>-<hash prefix>``: the same submission on the same split lands in one place."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "submission"
    return Path(out) / f"{safe}-{split}-{sha256[:10]}"


def _publish(staging: Path, final: Path) -> None:
    """Replace ``final`` with ``staging`` (same file system) so readers never see half a result."""
    final.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        os.replace(final, old)
    os.replace(staging, final)
    if old is not None:
        _remove_tree(old)


def _task_section(outcomes: Mapping[str, TaskOutcome], intervals: Mapping[str, Any]) -> dict[str, Any]:
    section = {}
    for task, outcome in outcomes.items():
        entry = outcome.to_dict()
        entry["ci"] = intervals["intervals"][task]
        entry["items"] = len(outcome.items)
        section[task] = entry
    return section


def _finish(
    *, data: DataSplit, tasks: list[str], staging: Path, final: Path, submission: dict[str, Any],
    execution: dict[str, Any] | None, isolation: dict[str, Any], limits: dict[str, Any] | None,
    options: Mapping[str, Any], samples: int, seed: int, timings: dict[str, float], log: Log, started: float,
    shown_as: str,
) -> tuple[dict[str, Any], Path]:
    from fusionbench import __version__

    log("scoring predictions")
    tick = time.monotonic()
    outcomes = score_predictions(staging / PREDICTIONS_DIR, data.references, tasks, options,
                                 shown_as=shown_as)
    timings["score_s"] = round(time.monotonic() - tick, 3)
    tick = time.monotonic()
    intervals = bootstrap_intervals(outcomes, samples=samples, seed=seed)
    timings["bootstrap_s"] = round(time.monotonic() - tick, 3)
    timings["total_s"] = round(time.monotonic() - started, 3)
    flags = list(execution.get("flags", [])) if execution else []
    if execution and execution["status"] != "ok" and any(o.status == "scored" for o in outcomes.values()):
        flags.append("scored_despite_failed_run")
    if execution is not None:
        execution["flags"] = flags
    record = {
        "schema": SCHEMA,
        "fusionbench_version": __version__,
        "submission": submission,
        "dataset": data.identity(tasks),
        "tasks_run": tasks,
        "options": dict(options),
        "tasks": _task_section(outcomes, intervals),
        "overall": integral_score({t: o.value for t, o in outcomes.items()}),
        "overall_ci": intervals["intervals"]["overall"],
        "bootstrap": {k: intervals[k] for k in ("samples", "seed", "level", "method")},
        "execution": execution,
        "isolation": isolation,
        "limits": limits,
        "environment": environment(),
        "created_at": now(),
        "timings": timings,
    }
    write_json_atomic(staging / RECORD_NAME, record)
    _publish(staging, final)
    return record, final / RECORD_NAME


def run_submission(
    submission: str | os.PathLike[str],
    *,
    data: str | os.PathLike[str] = "sample",
    split: str = "test",
    tasks: Sequence[str] | str | None = None,
    out: str | os.PathLike[str] = "fusionbench-results",
    limits: Limits | None = None,
    sandbox: bool = True,
    options: Mapping[str, Any] | None = None,
    bootstrap_samples: int = 1000,
    seed: int = 12345,
    env: Mapping[str, str] | None = None,
    log: Log = _quiet,
) -> tuple[dict[str, Any], Path]:
    """Run a submission (folder or zip) on ``data``'s ``split``, score it, write its record.

    Args:
        submission: a folder or zip with ``metadata.json`` (see :mod:`fusionbench.harness.submission`).
        data: ``"sample"`` or a challenge-layout folder (see :func:`~fusionbench.harness.datasource.resolve_data`).
        split: the split to run on.
        tasks: tasks to run (default: every task with a reference).
        out: the results folder; the run lands in ``out/<name>-<split>-<hash>/``.
        limits: resource limits (default :class:`~fusionbench.isolation.sandbox.Limits`).
        sandbox: ``False`` runs without bubblewrap (a plain process group; recorded as such).
        options: scoring extensions (as :func:`fusionbench.evaluate`'s), default official.
        bootstrap_samples, seed: the confidence intervals' resampling.
        env: extra environment variables for the entrypoint.
        log: called with a line per stage (the CLI prints them).

    Returns:
        The record and the path of ``record.json``.

    Raises:
        FusionBenchError: bad submission (no or malformed metadata, unsafe zip), bad data, or no
            sandbox available with ``sandbox=True``.  Nothing is written then.
    """
    from fusionbench.evaluation import _check_options

    started = time.monotonic()
    options = _check_options(dict(options or {}))
    limits = limits or Limits()
    split_data = resolve_data(data, split)
    selected = select_tasks(split_data, tasks)
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix="fusionbench-run-"))
    staging = make_staging_dir(".staging-", out)
    try:
        timings: dict[str, float] = {}
        log("checking and staging the submission")
        work = temp / "work"
        staged: Submission = stage_submission(submission, work)
        log(f"copying the {split} inputs of {', '.join(selected)} (no answers)")
        _copy_inputs(split_data, selected, work / "input")
        (work / "output").mkdir()
        if os.geteuid() == 0:
            os.chmod(temp, 0o711)
        timings["prepare_s"] = round(time.monotonic() - started, 3)
        mode = "bubblewrap sandbox" if sandbox else "NO sandbox (plain process group)"
        log(f"running {staged.entrypoint!r} in a {mode}, wall-time limit {limits.wall_time_s:g} s")
        outcome: RunOutcome = run_entrypoint(staged.entrypoint, work, limits=limits, sandbox=sandbox,
                                             masked=_masked_paths(split_data), env=env, heartbeat=log)
        timings["run_s"] = outcome.wall_s
        log(f"entrypoint finished: {outcome.status} (exit status {outcome.exit_code}) after {outcome.wall_s:.1f} s")
        _collect_predictions(work / "output", selected, staging / PREDICTIONS_DIR)
        _remove_tree(temp)
        execution = {"status": outcome.status, "exit_code": outcome.exit_code, "flags": outcome.flags,
                     "stdout": outcome.stdout, "stderr": outcome.stderr}
        final = results_folder(out, staged.name, split, staged.sha256)
        return _finish(data=split_data, tasks=selected, staging=staging, final=final,
                       submission=staged.describe(), execution=execution, isolation=outcome.isolation,
                       limits=limits.to_dict(), options=options, samples=bootstrap_samples, seed=seed,
                       timings=timings, log=log, started=started, shown_as="output")
    except BaseException:
        _remove_tree(staging)
        raise
    finally:
        if temp.exists():
            _remove_tree(temp)


def _callable_identity(functions: Mapping[str, Callable[..., Any]]) -> tuple[str, str]:
    import hashlib

    digest = hashlib.sha256()
    names = []
    for task in sorted(functions):
        function = functions[task]
        name = getattr(function, "__qualname__", type(function).__name__)
        names.append(name)
        try:
            source = inspect.getsource(function)
        except (OSError, TypeError):
            source = f"{getattr(function, '__module__', '')}.{name}"
        digest.update(f"{task}\0{source}\n".encode())
    return digest.hexdigest(), "+".join(dict.fromkeys(names))


def run_callables(
    functions: Mapping[str, Callable[[Path], Mapping[str, Any]]],
    *,
    data: str | os.PathLike[str] = "sample",
    split: str = "test",
    out: str | os.PathLike[str] = "fusionbench-results",
    name: str | None = None,
    options: Mapping[str, Any] | None = None,
    bootstrap_samples: int = 1000,
    seed: int = 12345,
    log: Log = _quiet,
) -> tuple[dict[str, Any], Path]:
    """The quick Python form: one callable per task, called in this process (no isolation).

    Each callable receives the task's input folder (challenge layout, e.g. ``input/HTR`` with its
    ``images/``) and returns the task's prediction object (what ``prediction_<TASK>.json`` holds).

    Example:
        >>> run_callables({"HTR": lambda folder: {p.name: "" for p in (folder / "images").iterdir()}})  # doctest: +SKIP
    """
    from fusionbench.evaluation import _check_options
    from fusionbench.jsonio import write_json_atomic as write

    started = time.monotonic()
    options = _check_options(dict(options or {}))
    split_data = resolve_data(data, split)
    selected = select_tasks(split_data, list(functions))
    sha, default_name = _callable_identity({get_task(t).name: f for t, f in functions.items()})
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    staging = make_staging_dir(".staging-", out)
    try:
        by_task = {get_task(t).name: f for t, f in functions.items()}
        errors = []
        (staging / PREDICTIONS_DIR).mkdir()
        for task in selected:
            log(f"predicting {task} in-process")
            try:
                prediction = by_task[task](split_data.inputs / task)
                write(staging / PREDICTIONS_DIR / f"prediction_{task}.json", prediction, indent=None)
            except Exception as exc:  # noqa: BLE001 - a failing task is recorded, the others still run
                errors.append(f"{task}: {type(exc).__name__}: {exc}")
        timings = {"run_s": round(time.monotonic() - started, 3)}
        execution = {"status": "error" if errors else "ok", "exit_code": None, "flags": [],
                     "stdout": None, "stderr": {"text": "\n".join(errors), "bytes": 0, "truncated": False}}
        submission = {"name": name or default_name, "origin": "python callables", "kind": "callables",
                      "sha256": sha, "files": None, "bytes": None, "entrypoint": None, "image": None,
                      "metadata": {}}
        final = results_folder(out, name or default_name, split, sha)
        return _finish(data=split_data, tasks=selected, staging=staging, final=final, submission=submission,
                       execution=execution, isolation={"mode": "in-process"}, limits=None, options=options,
                       samples=bootstrap_samples, seed=seed, timings=timings, log=log, started=started,
                       shown_as=PREDICTIONS_DIR)
    except BaseException:
        _remove_tree(staging)
        raise

