"""Score a folder of predictions task by task, keeping per-item statistics for the bootstrap.

Unlike :func:`fusionbench.evaluate`, a broken task does not stop the others: a missing or invalid
prediction file scores 0 and its reason is kept.  The numbers are the same as ``evaluate``'s
(both aggregate the same per-item statistics through the task's accumulator).

Prediction files come from untrusted code, so each task's file is read, validated and turned into
per-item statistics in a forked child process (Linux): the file is refused above
``max_bytes`` (:data:`PREDICTION_MAX_BYTES` by default, its apparent size, so a sparse file counts
in full), the child's address space may grow by at most :data:`PARSE_MEMORY_FACTOR` times that cap
beyond the harness's own, and whatever goes wrong in it (a parser that runs out of memory, a
scorer that crashes on a pathological input, an exception anywhere) makes that one task
``invalid`` with a one-line reason.  Only the per-item statistics come back to the harness.

The child also has a wall-time limit (``time_limit_s``, :data:`SCORE_TIME_S` by default): some
inputs cost far more to score than to write (CodeBLEU's data flow is quadratic in a program's
variables and statements).  The child runs in its own process group, with the CodeBLEU workers
it starts; on expiry, or when the harness itself is interrupted, the group is asked to stop
(SIGTERM: the child's clean-up runs, its worker pool and sandboxes are shut down), then killed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fusionbench.errors import FusionBenchError
from fusionbench.evaluation import accumulator_for
from fusionbench.formats import find_task_file, read_task_file
from fusionbench.isolation.cgroup import forget_inherited, remove_leftovers
from fusionbench.metrics.accumulator import ItemStats
from fusionbench.metrics.result import TaskScore, round3

__all__ = ["PARSE_MEMORY_FACTOR", "PREDICTION_MAX_BYTES", "REFUSED_NAME", "SCORE_TIME_S", "TaskOutcome",
           "bootstrap_intervals",
           "one_line", "score_predictions"]

#: The largest prediction file scored (apparent size); official files are a few MB.
PREDICTION_MAX_BYTES = 64 * 1024**2
#: The scoring child may grow by this many times the file cap (parsed JSON takes ~10-30x its bytes).
PARSE_MEMORY_FACTOR = 32
#: Written by the harness beside the kept predictions: ``{task: reason}`` for files it refused to copy.
REFUSED_NAME = "refused.json"
#: Default wall-time limit of one task's scoring child, in seconds (``--max-score-time``).
SCORE_TIME_S = 600.0
#: Seconds the scoring child gets to clean up after SIGTERM before its process group is killed.
STOP_GRACE_S = 5.0
#: Longest reason kept in a record.
REASON_CHARS = 600


def one_line(text: str, limit: int = REASON_CHARS) -> str:
    """``text`` on one line, at most ``limit`` characters, encodable as UTF-8 (lone surrogates escaped)."""
    text = " ".join(str(text).split()).encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class TaskOutcome:
    """One task's result in a run: ``status`` is ``scored``, ``missing`` or ``invalid``."""

    task: str
    status: str
    score: TaskScore | None = None
    reason: str | None = None
    items: list[ItemStats[Any]] = field(default_factory=list)
    aggregate: Callable[[Any], float] | None = None
    prediction_sha256: str | None = None

    @property
    def value(self) -> float:
        """The unrounded score (0 when not scored)."""
        return self.score.score if self.score is not None else 0.0

    @property
    def rounded(self) -> float:
        return round3(self.value)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status}
        if self.score is not None:
            out.update(self.score.to_dict())
        else:
            out.update({"score": 0.0, "rounded": 0.0})
        if self.reason:
            out["reason"] = self.reason
        out["prediction_sha256"] = self.prediction_sha256
        return out


def score_predictions(
    predictions_dir: str | os.PathLike[str],
    references_dir: str | os.PathLike[str],
    tasks: Sequence[str],
    options: Mapping[str, Any] | None = None,
    *,
    shown_as: str | None = None,
    max_bytes: int | None = None,
    time_limit_s: float | None = None,
) -> dict[str, TaskOutcome]:
    """Score every task in ``tasks``; a task whose prediction is missing or invalid scores 0.

    Reference problems are not the submission's fault and raise :class:`FusionBenchError`.
    ``shown_as`` replaces ``predictions_dir`` in the recorded reasons (e.g. ``"output"``, the
    folder the submission wrote, rather than a temporary copy).  ``max_bytes`` caps each
    prediction file (default :data:`PREDICTION_MAX_BYTES`), ``time_limit_s`` each task's scoring
    (default :data:`SCORE_TIME_S`; past it the task is ``invalid``).  A ``refused.json`` in
    ``predictions_dir`` (written by the harness) gives the reasons of files it did not keep.
    """
    from fusionbench.formats import find_task_file as find
    from fusionbench.harness.datasource import hash_file
    from fusionbench.jsonio import read_json_object

    options = dict(options or {})
    cap = PREDICTION_MAX_BYTES if max_bytes is None else max_bytes
    seconds = SCORE_TIME_S if time_limit_s is None else time_limit_s
    refused: dict[str, Any] = {}
    if (Path(predictions_dir) / REFUSED_NAME).is_file():
        refused = read_json_object(Path(predictions_dir) / REFUSED_NAME)
    outcomes: dict[str, TaskOutcome] = {}

    def shown(text: str) -> str:
        text = one_line(text)
        return text.replace(str(Path(predictions_dir)), shown_as) if shown_as is not None else text

    for task in tasks:
        _, reference = read_task_file(references_dir, task, "reference")
        if task in refused:
            outcomes[task] = TaskOutcome(task, "invalid", reason=one_line(refused[task]))
            continue
        try:
            found = find(predictions_dir, task, "prediction")
        except FusionBenchError as exc:  # both names of one task, e.g. prediction_OD.json and prediction_zsOD.json
            outcomes[task] = TaskOutcome(task, "invalid", reason=shown(str(exc)))
            continue
        if found is None:
            outcomes[task] = TaskOutcome(task, "missing", reason=f"no prediction_{task}.json was written")
            continue
        sha = hash_file(found)
        accumulator = accumulator_for(task, **options)
        kind, payload = _item_stats_isolated(accumulator, predictions_dir, task, reference, cap, seconds)
        if kind != "items":
            outcomes[task] = TaskOutcome(task, "invalid", reason=shown(payload), prediction_sha256=sha)
            continue
        items = payload
        accumulator.add(items)
        score = accumulator.compute()
        outcomes[task] = TaskOutcome(task, "scored", score=score, items=items,
                                     aggregate=lambda stats, acc=accumulator: acc.aggregate(stats).score,
                                     prediction_sha256=sha)
    return outcomes


def _item_stats(accumulator: Any, predictions_dir: Any, task: str, reference: Any, cap: int) -> tuple[str, Any]:
    """Read, validate and turn one prediction file into per-item statistics: ``("items", list)`` or
    ``("invalid", reason)``."""
    try:
        _, prediction = read_task_file(predictions_dir, task, "prediction", max_bytes=cap)
        return "items", list(accumulator.item_stats(prediction, reference))
    except FusionBenchError as exc:
        return "invalid", str(exc)
    except MemoryError:
        return "invalid", (f"prediction_{task}.json needs more memory to parse and score than allowed "
                           f"({PARSE_MEMORY_FACTOR} x the {cap:,}-byte file cap)")
    except RecursionError:
        return "invalid", f"prediction_{task}.json is nested too deeply to score"
    except Exception as exc:  # noqa: BLE001 - whatever a hostile file triggers costs only its own task
        return "invalid", f"prediction_{task}.json could not be scored: {type(exc).__name__}: {exc}"


def _address_space() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _item_stats_isolated(accumulator: Any, predictions_dir: Any, task: str, reference: Any,
                         cap: int, time_limit_s: float = SCORE_TIME_S) -> tuple[str, Any]:
    """:func:`_item_stats` in a forked child (its own process group) under an address-space limit
    and a wall-time limit; a crash there (a signal, an exit) or the time running out becomes
    ``("invalid", reason)``.  The child's group is stopped whatever happens here (an interrupt
    included).  Without ``fork`` it runs in this process."""
    import pickle
    import resource
    import select
    import signal
    import time

    if not hasattr(os, "fork"):
        return _item_stats(accumulator, predictions_dir, task, reference, cap)
    budget = _address_space() + PARSE_MEMORY_FACTOR * cap
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, exit without running the parent's clean-up handlers
        code = 0
        try:
            os.setpgid(0, 0)
            forget_inherited()
            try:
                signal.signal(signal.SIGTERM, _stop_on_signal)  # so that finally clauses (sandboxes, cgroups) run
            except ValueError:  # not the main thread: SIGTERM then kills at once (the group is killed anyway)
                pass
            os.close(read_end)
            import faulthandler

            faulthandler.disable()  # a crash here is reported as the task's reason, not as a traceback
            if budget:
                resource.setrlimit(resource.RLIMIT_AS, (budget, budget))
            data = pickle.dumps(_item_stats(accumulator, predictions_dir, task, reference, cap))
            with os.fdopen(write_end, "wb") as sink:
                sink.write(data)
        except BaseException:  # noqa: BLE001
            code = 70
        finally:
            _shutdown_child_workers(graceful=code == 0)
            try:
                remove_leftovers()  # cgroups of sandboxes whose threads an interrupt stopped (C2C execution)
            except BaseException:  # noqa: BLE001
                pass
            os._exit(code)
    try:
        os.setpgid(pid, pid)  # also here, so that the group exists before the child gets to it
    except OSError:
        pass
    os.close(write_end)
    chunks: list[bytes] = []
    reaped, expired = False, False
    try:
        deadline = time.monotonic() + time_limit_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                expired = True
                break
            ready, _, _ = select.select([read_end], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(read_end, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
        if not expired:
            _, status = os.waitpid(pid, 0)
            reaped = True
    finally:
        os.close(read_end)
        if not reaped:
            _stop_group(pid)
    if expired:
        return "invalid", (f"scoring prediction_{task}.json took longer than the {time_limit_s:g}-second scoring "
                           f"limit (--max-score-time) and was stopped")
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and chunks:
        return pickle.loads(b"".join(chunks))
    if os.WIFSIGNALED(status):
        signal_number = os.WTERMSIG(status)
        try:
            name = signal.Signals(signal_number).name
        except ValueError:
            name = f"signal {signal_number}"
        how = f"was killed by {name}"
    else:
        how = f"failed (exit status {os.WEXITSTATUS(status)})"
    return "invalid", (f"scoring prediction_{task}.json {how}; the file may be nested too deeply or need more "
                       f"memory than allowed ({PARSE_MEMORY_FACTOR} x the {cap:,}-byte file cap)")


def _stop_on_signal(number: int, _: Any) -> None:
    raise SystemExit(128 + number)


def _shutdown_child_workers(graceful: bool) -> None:
    """In the scoring child before ``os._exit``: stop the CodeBLEU workers it started (killed
    first when the child is being stopped: a busy worker would not notice its input closing)."""
    import signal

    try:
        from fusionbench.metrics.codebleu import workers
    except Exception:  # noqa: BLE001 - nothing was started
        return
    try:
        if not graceful:
            for worker_pid in workers.worker_pids():
                try:
                    os.kill(worker_pid, signal.SIGKILL)
                except OSError:
                    pass
        workers.shutdown_workers()
    except BaseException:  # noqa: BLE001 - the process group is killed anyway
        pass


def _stop_group(pid: int) -> None:
    """Stop the scoring child ``pid`` and its process group: SIGTERM (it cleans up), up to
    :data:`STOP_GRACE_S` seconds, then SIGKILL to whatever of the group is left; reap the child."""
    import signal
    import time

    try:
        os.killpg(pid, signal.SIGTERM)
    except OSError:
        pass
    deadline = time.monotonic() + STOP_GRACE_S
    while time.monotonic() < deadline:
        try:  # exited yet?  (not reaped: the group id stays ours until the SIGKILL below)
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                break
        except ChildProcessError:
            break
        time.sleep(0.02)
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def bootstrap_intervals(outcomes: Mapping[str, TaskOutcome], *, samples: int = 1000, seed: int = 12345,
                        level: float = 0.95) -> dict[str, Any]:
    """Seeded percentile intervals per task and for the overall score (unscored tasks: [0, 0])."""
    from fusionbench.harness.bootstrap import bootstrap_scores, confidence_interval

    per_task: dict[str, list[float]] = {}
    for index, (task, outcome) in enumerate(outcomes.items()):
        if outcome.status == "scored" and outcome.items:
            per_task[task] = bootstrap_scores([i.stats for i in outcome.items], outcome.aggregate,
                                              samples=samples, seed=seed + index)
        else:
            per_task[task] = [0.0] * samples
    intervals: dict[str, Any] = {
        task: dict(zip(("low", "high"), confidence_interval(values, level))) for task, values in per_task.items()
    }
    overall = [sum(values) for values in zip(*per_task.values())] if per_task else [0.0]
    intervals["overall"] = dict(zip(("low", "high"), confidence_interval(overall, level)))
    return {"samples": samples, "seed": seed, "level": level, "method": "percentile bootstrap over items",
            "intervals": intervals}


def predictions_in(folder: Path, tasks: Sequence[str]) -> list[Path]:
    """The official prediction files present in ``folder`` for ``tasks``."""
    return [p for p in (find_task_file(folder, t, "prediction") for t in tasks) if p is not None]
