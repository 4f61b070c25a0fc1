"""Run submissions on hidden inputs, score them, record, verify, compare and rank the results.

The pieces, each in its own module: :mod:`~fusionbench.harness.submission` (format, staging),
:mod:`~fusionbench.harness.unpack` (safe zips), :mod:`~fusionbench.isolation.sandbox` and
:mod:`~fusionbench.isolation.cgroup` (isolation and limits), :mod:`~fusionbench.harness.datasource`
(inputs, answers, hashes), :mod:`~fusionbench.harness.scoring` and
:mod:`~fusionbench.harness.bootstrap` (scores and intervals), :mod:`~fusionbench.harness.record`,
:mod:`~fusionbench.harness.runner`, :mod:`~fusionbench.harness.verify`,
:mod:`~fusionbench.harness.compare`, :mod:`~fusionbench.harness.leaderboard`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Limits", "compare_records", "run_callables", "run_submission", "verify_record", "write_leaderboard"]

_WHERE = {
    "run_submission": "runner", "run_callables": "runner", "verify_record": "verify",
    "compare_records": "compare", "write_leaderboard": "leaderboard", "Limits": "sandbox",
}


def __getattr__(name: str) -> Any:  # lazy: `import fusionbench.harness` stays cheap
    if name in _WHERE:
        from importlib import import_module

        return getattr(import_module(f"fusionbench.harness.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'fusionbench.harness' has no attribute {name!r}")
