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

import contextlib
import inspect
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from fusionbench.errors import FusionBenchError, MissingFileError
from fusionbench.harness.datasource import DataSplit, resolve_data
from fusionbench.harness.record import PREDICTIONS_DIR, RECORD_NAME, SCHEMA, environment, now
from fusionbench.isolation.sandbox import Limits, RunOutcome, run_entrypoint
from fusionbench.harness.scoring import REFUSED_NAME, TaskOutcome, bootstrap_intervals, score_predictions
from fusionbench.isolation.cleanup import remove_tree
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
    wanted = {get_task(name.strip()).name for name in tasks}  # an unknown name: UnknownNameError, exit 2
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


def _copy_prediction(source: Path, target: Path, max_bytes: int) -> str | None:
    """Copy one prediction file (a regular file, not a link) of at most ``max_bytes``; the reason
    it was refused otherwise (``None``: copied or absent)."""
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:  # a link (ELOOP), gone, unreadable: as if not written
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            return None
        size = max(info.st_size, info.st_blocks * 512)  # sparse files at their apparent size, preallocated at their blocks
        if size > max_bytes:
            return (f"output/{source.name}: the file is {size:,} bytes (its apparent size or allocated blocks, "
                    f"whichever is larger), above the {max_bytes:,}-byte cap on a prediction file")
        with open(target, "wb") as sink:
            copied = 0
            while chunk := handle.read(min(1 << 20, max_bytes + 1 - copied)):
                copied += len(chunk)
                if copied > max_bytes:
                    break
                sink.write(chunk)
    if copied > max_bytes:  # grew while we read (cannot happen once the tree is dead, but be sure)
        target.unlink()
        return f"output/{source.name}: the file is larger than the {max_bytes:,}-byte cap on a prediction file"
    return None


def _collect_predictions(output: Path, tasks: Sequence[str], target: Path, max_bytes: int) -> None:
    """Copy the official prediction files out of ``output`` (regular files of at most ``max_bytes``,
    no links); what is refused is listed, with its reason, in ``refused.json`` beside them."""
    target.mkdir(parents=True)
    refused: dict[str, str] = {}
    if output.is_dir() and not output.is_symlink():
        for task in tasks:
            names = [n for n in get_task(task).prediction_files if os.path.lexists(output / n)]
            if len(names) > 1:
                refused[task] = f"output: both {names[0]} and {names[1]} exist; keep only one"
            elif names:
                reason = _copy_prediction(output / names[0], target / names[0], max_bytes)
                if reason:
                    refused[task] = reason
    if refused:
        write_json_atomic(target / REFUSED_NAME, refused)


def _remove_tree(path: Path) -> None:
    """Remove ``path`` without following links, whatever modes were left (see :mod:`~fusionbench.isolation.cleanup`)."""
    try:
        remove_tree(path)
    except OSError:
        shutil.rmtree(path, ignore_errors=True)


def results_folder(out: str | os.PathLike[str], name: str, split: str, sha256: str) -> Path:
    """``OUT/<name>-<split>-<key prefix>``, where ``sha256`` is the run key (:func:`run_key`)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")[:80] or "submission"
    return Path(out) / f"{safe}-{split}-{sha256[:12]}"


#: What the run key (and so the results folder) covers: everything that can change a result.
KEY_COVERS = ("submission.sha256", "dataset", "tasks_run", "options", "limits")


def run_key(submission_sha256: str, dataset: Mapping[str, Any], tasks: Sequence[str], options: Mapping[str, Any],
            limits: Mapping[str, Any] | None) -> str:
    """SHA-256 over the submission's hash, the data's identity (source, location, split, input and
    reference hashes), the tasks, the scoring options and the limits."""
    import hashlib
    import json

    blob = json.dumps({"submission": submission_sha256, "dataset": dataset, "tasks": list(tasks),
                       "options": dict(options), "limits": limits}, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(blob.encode("ascii")).hexdigest()


def _publish(staging: Path, final: Path) -> Path:
    """Move ``staging`` to ``final`` (same file system, atomic), never over an existing record: an
    identical re-run lands beside it as ``final-2``, ``final-3``...  Returns where it landed."""
    final.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 10_000):
        target = final if attempt == 1 else final.with_name(f"{final.name}-{attempt}")
        if os.path.lexists(target):
            continue
        try:
            os.rename(staging, target)  # fails on an existing non-empty folder; never replaces a record
        except OSError:
            if os.path.lexists(target):
                continue
            raise
        return target
    raise FusionBenchError("too many runs with the same key", file=str(final))


def _task_section(outcomes: Mapping[str, TaskOutcome], intervals: Mapping[str, Any]) -> dict[str, Any]:
    section = {}
    for task, outcome in outcomes.items():
        entry = outcome.to_dict()
        entry["ci"] = intervals["intervals"][task]
        entry["items"] = len(outcome.items)
        section[task] = entry
    return section


def finish_run(
    *, data: DataSplit, tasks: list[str], staging: Path, final: Path, submission: dict[str, Any],
    execution: dict[str, Any] | None, isolation: dict[str, Any], limits: dict[str, Any] | None,
    options: Mapping[str, Any], samples: int, seed: int, timings: dict[str, float], log: Log, started: float,
    shown_as: str, dataset: dict[str, Any] | None = None, key: str | None = None,
) -> tuple[dict[str, Any], Path]:
    """Score the predictions staged under ``staging``, bootstrap the intervals, and publish the record.

    The one way a record is made: ``fusionbench run``, :func:`run_callables` and the lm-eval import
    (:mod:`fusionbench.integrations.lm_eval.importer`) all end here, so their records share one
    schema.  ``final`` is the wished-for folder; an existing folder is never written into.
    Returns the record and the path of its ``record.json``.
    """
    from fusionbench import __version__

    log("scoring predictions")
    tick = time.monotonic()
    max_bytes = (limits or {}).get("prediction_bytes")
    outcomes = score_predictions(staging / PREDICTIONS_DIR, data.references, tasks, options,
                                 shown_as=shown_as, max_bytes=max_bytes,
                                 time_limit_s=(limits or {}).get("score_time_s"))
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
        "dataset": dataset if dataset is not None else data.identity(tasks),
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
        "record_key": {"sha256": key, "covers": list(KEY_COVERS)} if key else None,
    }
    write_json_atomic(staging / RECORD_NAME, record)
    final = _publish(staging, final)
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
    if sandbox:  # the sandbox's lock probe runs while the submission and inputs are staged
        from fusionbench.isolation.sandbox import prefetch_locks

        prefetch_locks()
    with _signals_as_exceptions():
        temp = Path(tempfile.mkdtemp(prefix="fusionbench-run-"))
        staging = None
        try:
            staging = make_staging_dir(".staging-", out)
            return _run_staged(submission, split_data, selected, temp, staging, out, limits=limits,
                               sandbox=sandbox, options=options, samples=bootstrap_samples, seed=seed, env=env,
                               log=log, started=started)
        except BaseException:
            if staging is not None:
                _remove_tree(staging)
            raise
        finally:
            _remove_tree(temp)


def _run_staged(submission: str | os.PathLike[str], split_data: DataSplit, selected: list[str], temp: Path,
                staging: Path, out: Path, *, limits: Limits, sandbox: bool, options: dict[str, Any], samples: int,
                seed: int, env: Mapping[str, str] | None, log: Log, started: float) -> tuple[dict[str, Any], Path]:
    split = split_data.split
    timings: dict[str, float] = {}
    log("checking and staging the submission")
    work = temp / "work"
    staged: Submission = stage_submission(submission, work)
    log(f"copying the {split} inputs of {', '.join(selected)} (no answers)")
    _copy_inputs(split_data, selected, work / "input")
    (work / "output").mkdir()
    if os.geteuid() == 0:
        os.chmod(temp, 0o711)
    dataset = split_data.identity(selected)
    key = run_key(staged.sha256, dataset, selected, options, limits.to_dict())
    timings["prepare_s"] = round(time.monotonic() - started, 3)
    mode = "bubblewrap sandbox" if sandbox else "NO sandbox (plain process group)"
    log(f"running {staged.entrypoint!r} in a {mode}, wall-time limit {limits.wall_time_s:g} s")
    outcome: RunOutcome = run_entrypoint(staged.entrypoint, work, limits=limits, sandbox=sandbox,
                                         masked=_masked_paths(split_data), env=env, heartbeat=log)
    timings["run_s"] = outcome.wall_s
    log(f"entrypoint finished: {outcome.status} (exit status {outcome.exit_code}) after {outcome.wall_s:.1f} s")
    _collect_predictions(work / "output", selected, staging / PREDICTIONS_DIR, limits.prediction_bytes)
    _remove_tree(temp)
    execution = {"status": outcome.status, "exit_code": outcome.exit_code, "flags": outcome.flags,
                 "stdout": outcome.stdout, "stderr": outcome.stderr}
    final = results_folder(out, staged.name, split, key)
    return finish_run(data=split_data, tasks=selected, staging=staging, final=final,
                   submission=staged.describe(), execution=execution, isolation=outcome.isolation,
                   limits=limits.to_dict(), options=options, samples=samples, seed=seed,
                   timings=timings, log=log, started=started, shown_as="output", dataset=dataset, key=key)


@contextlib.contextmanager
def _signals_as_exceptions() -> Iterator[None]:
    """While a run is under way, SIGTERM and SIGHUP raise :class:`SystemExit` (as SIGINT raises
    :class:`KeyboardInterrupt`), so that the temporary folders, the cgroup and the staging area are
    removed before the process ends.  Only in the main thread (elsewhere signals cannot be caught)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(number: int, _: Any) -> None:
        raise SystemExit(128 + number)

    previous = {number: signal.signal(number, stop) for number in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


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
        dataset = split_data.identity(selected)
        key = run_key(sha, dataset, selected, options, None)
        final = results_folder(out, name or default_name, split, key)
        return finish_run(data=split_data, tasks=selected, staging=staging, final=final, submission=submission,
                       dataset=dataset, key=key,
                       execution=execution, isolation={"mode": "in-process"}, limits=None, options=options,
                       samples=bootstrap_samples, seed=seed, timings=timings, log=log, started=started,
                       shown_as=PREDICTIONS_DIR)
    except BaseException:
        _remove_tree(staging)
        raise

