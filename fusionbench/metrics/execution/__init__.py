"""C2C execution accuracy: does the translated function behave like the original on test inputs?

An extension (named in the signature), after TransCoder's and AVATAR's *computational accuracy*.
For each item that has a GfG test script, the prediction's first top-level function becomes
``f_filled`` (see :mod:`.candidate`).  The script is split (:mod:`.programs`) into a trusted gold
run (its ``f_gold`` on each parameter set; outputs cached per script) and a candidate run that
holds no ``f_gold`` and no gold output; both run isolated
(:func:`fusionbench.isolation.batch.run_scripts`: no network, unprivileged, limits, per-test
timeout) as separate processes, and the host compares the outputs with the script's own rule.
Statuses:

* ``success``: all inputs give the reference output; ``failure``: some do not;
* ``error``: the candidate does not compile or raises, no outputs come back, the script's own
  comparison raises, or the test itself is broken (does not compile, its gold raises);
* ``timeout``: a run went past the per-test timeout; ``no_test``: the item has no script (or
  one of a shape fusionbench does not know, with the reason).

Accuracy = success / items with a test.  The sufficient statistics are the five counts
(:class:`ExecutionCounts`), so accumulators and bootstrap intervals work as for every metric.
"""

from __future__ import annotations

import hashlib
import secrets
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fusionbench.errors import FusionBenchError
from fusionbench.metrics.execution.candidate import CandidateError, filled_function
from fusionbench.metrics.execution.programs import (
    ScriptPlan,
    ScriptShapeError,
    candidate_program,
    compare,
    gold_program,
    outputs_of,
    plan_script,
)
from fusionbench.metrics.execution.tests import TestSuite, load_tests, matched_tests
from fusionbench.signature import format_signature

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "STATUSES",
    "ExecutionCounts",
    "ItemOutcome",
    "execution_summary",
    "load_tests",
    "run_items",
]

STATUSES = ("success", "failure", "error", "timeout", "no_test")
DEFAULT_TIMEOUT_S = 10.0
#: The most stdout a run keeps (its outputs line is the last one).
OUTPUT_BYTES = 4 * 1024**2


@dataclass(frozen=True)
class ExecutionCounts:
    """Items per status (the sufficient statistics of execution accuracy)."""

    success: int = 0
    failure: int = 0
    error: int = 0
    timeout: int = 0
    no_test: int = 0

    def __add__(self, other: ExecutionCounts) -> ExecutionCounts:
        return ExecutionCounts(*(getattr(self, s) + getattr(other, s) for s in STATUSES))

    @classmethod
    def of(cls, status: str) -> ExecutionCounts:
        return cls(**{status: 1})

    @property
    def with_test(self) -> int:
        return self.success + self.failure + self.error + self.timeout

    @property
    def accuracy(self) -> float:
        """success / items with a test (0 when none has a test)."""
        return self.success / self.with_test if self.with_test else 0.0

    def to_dict(self) -> dict[str, int]:
        return {s: getattr(self, s) for s in STATUSES}


@dataclass(frozen=True)
class ItemOutcome:
    """One item's status, its test id and (for errors) the first line that says what went wrong."""

    key: str
    status: str
    test: str | None = None
    passed: int | None = None
    total: int | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "test": self.test}
        if self.total is not None:
            out["passed"], out["total"] = self.passed, self.total
        if self.error:
            out["error"] = self.error
        return out


def _error_line(stderr: str) -> str:
    """The exception line of a traceback (the last line that is not indented), else the last line."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        if not line.startswith((" ", "\t")) and not line.startswith("Traceback"):
            return line.strip()[:300]
    return lines[-1].strip()[:300] if lines else "no outputs line"


def _run_outputs(result: Any, timeout_s: float, marker: str) -> tuple[str, list[Any] | None, str | None]:
    """(status, outputs, error line) of one program's run: ``ok`` with its decoded outputs, else why not."""
    if result.status == "timeout":
        return "timeout", None, f"ran past the {timeout_s:g} s timeout"
    if result.status == "output_limit":
        return "error", None, "output limit exceeded"
    outputs = outputs_of(result.stdout, marker) if result.status == "ok" else None
    if outputs is None:
        reason = _error_line(result.stderr) if result.stderr.strip() else (
            f"exit status {result.exit_code}" if result.status != "ok" else "no outputs line")
        return "error", None, reason
    return "ok", outputs, None


#: Gold outputs of the scripts already run in this process, by the gold program's SHA-256.
_GOLD_CACHE: dict[str, list[Any]] = {}
_GOLD_MARKER = "#GoldOutputs:"


def _gold_cache_path(digest: str) -> Path:
    from fusionbench.cache import cache_root

    return cache_root() / "c2c-gold" / f"{digest}.literal"


def _cached_gold(digest: str) -> list[Any] | None:
    """Gold outputs from this process or the disk cache (checksummed; read with the safe decoder)."""
    if digest not in _GOLD_CACHE:
        from fusionbench.cache import read_bytes_entry

        body = read_bytes_entry(_gold_cache_path(digest), digest)
        outputs = outputs_of(_GOLD_MARKER + body.decode("utf-8", "replace"), _GOLD_MARKER) if body else None
        if outputs is None:
            return None
        _GOLD_CACHE[digest] = outputs
    return _GOLD_CACHE[digest]


def _store_gold(digest: str, stdout: str, outputs: list[Any]) -> None:
    from fusionbench.cache import write_bytes_entry

    _GOLD_CACHE[digest] = outputs
    literal = stdout[stdout.rfind(_GOLD_MARKER) + len(_GOLD_MARKER):].split("\n", 1)[0]
    write_bytes_entry(_gold_cache_path(digest), digest, literal.encode("utf-8"))


def _verdict(key: str, test_id: str, plan: ScriptPlan, gold: tuple[str, list[Any] | None, str | None],
             candidate: tuple[str, list[Any] | None, str | None]) -> ItemOutcome:
    status, filled, error = candidate
    if status != "ok":  # the script calls f_filled first: its failure is the item's
        return ItemOutcome(key, status, test_id, error=error)
    gold_status, expected, gold_error = gold
    if gold_status != "ok" or expected is None:
        return ItemOutcome(key, "error", test_id, error=f"the test's gold function fails: {gold_error}")
    assert filled is not None
    if len(filled) != len(expected):
        return ItemOutcome(key, "error", test_id, error=f"{len(filled)} outputs for {len(expected)} inputs")
    passed = 0
    for want, got in zip(expected, filled):
        try:
            passed += compare(plan.rule, want, got)
        except Exception as exc:  # noqa: BLE001 - the script's own comparison would raise this
            return ItemOutcome(key, "error", test_id, error=f"{type(exc).__name__}: {exc}"[:300])
    total = len(expected)
    return ItemOutcome(key, "success" if passed == total and total > 0 else "failure", test_id, passed, total)


def run_items(
    predictions: Mapping[str, str],
    references: Mapping[str, str],
    suite: TestSuite,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    sandbox: bool = True,
    workers: int | None = None,
) -> list[ItemOutcome]:
    """Run every item's candidate against its test script; outcomes in reference-key order.

    Each test is two isolated runs (:mod:`.programs`): the script's ``f_gold`` alone (cached per
    script), and the candidate without ``f_gold`` in reach; the host compares their outputs
    with the script's own rule.
    """
    tests = matched_tests(suite, references)
    outcomes: dict[str, ItemOutcome] = {}
    plans: dict[str, ScriptPlan] = {}
    jobs: list[tuple[str, str, str, str]] = []  # key, test id, marker, candidate program
    gold_jobs: dict[str, str] = {}  # SHA-256 of a gold program to the program
    gold_of: dict[str, str] = {}  # test id to its gold program's SHA-256
    for key in references:
        test_id = tests[key]
        if test_id is None:
            outcomes[key] = ItemOutcome(key, "no_test")
            continue
        if test_id not in plans:
            try:
                plans[test_id] = plan_script(suite.script(test_id))
            except SyntaxError as exc:
                outcomes[key] = ItemOutcome(key, "error", test_id,
                                            error=f"the test script does not compile: SyntaxError: {exc.msg} "
                                                  f"(line {exc.lineno})")
                continue
            except (ScriptShapeError, ValueError, RecursionError) as exc:
                outcomes[key] = ItemOutcome(key, "no_test", test_id, error=str(exc))
                continue
            program = gold_program(plans[test_id], _GOLD_MARKER)
            digest = hashlib.sha256(f"{timeout_s!r}\0{program}".encode()).hexdigest()
            gold_of[test_id] = digest
            if _cached_gold(digest) is None:
                gold_jobs[digest] = program
        try:
            function = filled_function(predictions[key])
        except CandidateError as exc:
            outcomes[key] = ItemOutcome(key, "error", test_id, error=str(exc))
            continue
        marker = f"#Outputs-{secrets.token_hex(8)}:"
        jobs.append((key, test_id, marker, candidate_program(plans[test_id], function, marker)))
    if jobs:
        from fusionbench.isolation.batch import run_scripts

        needed = [digest for digest in gold_jobs if any(gold_of[t] == digest for _, t, _, _ in jobs)]
        results = run_scripts([gold_jobs[d] for d in needed] + [program for *_, program in jobs],
                              timeout_s=timeout_s, sandbox=sandbox, workers=workers, keep_stdout=OUTPUT_BYTES)
        golds = {}
        for digest, result in zip(needed, results):
            golds[digest] = _run_outputs(result, timeout_s, _GOLD_MARKER)
            if golds[digest][0] == "ok":
                _store_gold(digest, result.stdout, golds[digest][1])  # type: ignore[arg-type]
        for (key, test_id, marker, _), result in zip(jobs, results[len(needed):]):
            digest = gold_of[test_id]
            gold = ("ok", _GOLD_CACHE[digest], None) if digest in _GOLD_CACHE else golds[digest]
            outcomes[key] = _verdict(key, test_id, plans[test_id], gold, _run_outputs(result, timeout_s, marker))
    return [outcomes[key] for key in references]


def execution_signature(suite_fingerprint: str, timeout_s: float) -> str:
    return format_signature({
        "task": "C2C", "metric": "execution", "tests": f"gfg-{suite_fingerprint}", "timeout": f"{timeout_s:g}s",
        "tok": "detok-source", "python": f"{sys.version_info[0]}.{sys.version_info[1]}",
    })


def execution_summary(counts: ExecutionCounts, signature: str,
                      items: Sequence[ItemOutcome] | None = None, *, tests: str | None = None) -> dict[str, Any]:
    """The ``tasks.C2C.execution`` object of the JSON report.

    Raises:
        FusionBenchError: no item has a test script (0 of N is an error, not a score of 0).
    """
    if counts.with_test == 0:
        total = counts.no_test
        raise FusionBenchError(
            f"C2C execution: none of the {total} item(s) matches a GfG test script (by key or by reference "
            "Python); check --c2c-tests or leave --c2c-exec off", file=tests,
        )
    out: dict[str, Any] = {"accuracy": counts.accuracy, "with_test": counts.with_test,
                           "counts": counts.to_dict(), "signature": signature}
    if items is not None:
        out["items"] = {item.key: item.to_dict() for item in items}
    return out
