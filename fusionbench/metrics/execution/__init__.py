"""C2C execution accuracy: does the translated function behave like the original on test inputs?

An extension (named in the signature), after TransCoder's and AVATAR's *computational accuracy*.
For each item that has a GfG test script, the prediction's first top-level function becomes
``f_filled`` (see :mod:`.candidate`), is placed in the script, and the script runs isolated
(:func:`fusionbench.isolation.batch.run_scripts`: no network, unprivileged, limits, per-test
timeout).  The script prints ``#Results: n_success, n_total``.  Statuses:

* ``success``: all inputs give the reference output; ``failure``: some do not;
* ``error``: the candidate does not compile, raises, or no result line appears;
* ``timeout``: the script ran past the per-test timeout; ``no_test``: the item has no script.

Accuracy = success / items with a test.  The sufficient statistics are the five counts
(:class:`ExecutionCounts`), so accumulators and bootstrap intervals work as for every metric.
"""

from __future__ import annotations

import re
import secrets
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fusionbench.errors import FusionBenchError
from fusionbench.metrics.execution.candidate import CandidateError, fill_script, filled_function
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
    return lines[-1].strip()[:300] if lines else "no result line"


def _status(result: Any, timeout_s: float, nonce: str) -> tuple[str, int | None, int | None, str | None]:
    if result.status == "timeout":
        return "timeout", None, None, f"ran past the {timeout_s:g} s timeout"
    if result.status == "output_limit":
        return "error", None, None, "output limit exceeded"
    found = re.findall(rf"#Results-{nonce}:\s*(\d+)\s*,\s*(\d+)", result.stdout)
    if result.status != "ok" or not found:
        reason = _error_line(result.stderr) if result.stderr.strip() else (
            f"exit status {result.exit_code}" if result.status != "ok" else "no #Results line")
        return "error", None, None, reason
    passed, total = (int(v) for v in found[-1])
    return ("success" if passed == total and total > 0 else "failure"), passed, total, None


def run_items(
    predictions: Mapping[str, str],
    references: Mapping[str, str],
    suite: TestSuite,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    sandbox: bool = True,
    workers: int | None = None,
) -> list[ItemOutcome]:
    """Run every item's candidate against its test script; outcomes in reference-key order."""
    tests = matched_tests(suite, references)
    outcomes: dict[str, ItemOutcome] = {}
    jobs: list[tuple[str, str, str, str]] = []  # key, test id, nonce, filled script
    for key in references:
        test_id = tests[key]
        if test_id is None:
            outcomes[key] = ItemOutcome(key, "no_test")
            continue
        try:
            function = filled_function(predictions[key])
        except CandidateError as exc:
            outcomes[key] = ItemOutcome(key, "error", test_id, error=str(exc))
            continue
        nonce = secrets.token_hex(8)
        jobs.append((key, test_id, nonce, fill_script(suite.script(test_id), function, nonce)))
    if jobs:
        from fusionbench.isolation.batch import run_scripts

        results = run_scripts([script for *_, script in jobs], timeout_s=timeout_s, sandbox=sandbox,
                              workers=workers)
        for (key, test_id, nonce, _), result in zip(jobs, results):
            status, passed, total, error = _status(result, timeout_s, nonce)
            outcomes[key] = ItemOutcome(key, status, test_id, passed, total, error)
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
