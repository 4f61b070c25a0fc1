"""C2C scored with CodeBLEU *and* execution accuracy: one accumulator over both statistics.

The task score stays CodeBLEU (so the integral score is unchanged); execution accuracy rides
along as ``details["execution"]`` and its counts join the sufficient statistics, so streaming,
merging and bootstrap resampling (``stats.execution``) work on it like on every other metric.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fusionbench.errors import FusionBenchError
from fusionbench.metrics.accumulator import Accumulator, ItemStats
from fusionbench.metrics.codebleu import CodeBLEUStats, codebleu_item_stats, codebleu_score
from fusionbench.metrics.execution import (
    DEFAULT_TIMEOUT_S,
    ExecutionCounts,
    ItemOutcome,
    execution_signature,
    execution_summary,
    load_tests,
    run_items,
)
from fusionbench.metrics.result import TaskScore

__all__ = ["C2CExecutionAccumulator", "C2CStats"]


@dataclass(frozen=True)
class C2CStats:
    """CodeBLEU's statistics and the execution status counts of the same items."""

    codebleu: CodeBLEUStats = field(default_factory=CodeBLEUStats)
    execution: ExecutionCounts = field(default_factory=ExecutionCounts)

    def __add__(self, other: C2CStats) -> C2CStats:
        return C2CStats(self.codebleu + other.codebleu, self.execution + other.execution)


class C2CExecutionAccumulator(Accumulator[C2CStats]):
    """Streaming CodeBLEU plus execution accuracy (``fusionbench.evaluate(..., c2c_execution=True)``).

    Raises (on construction):
        MissingFileError: the tests folder is missing or has no test script.
    """

    def __init__(
        self,
        *,
        tests: str | os.PathLike[str] | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        detokenize: bool = False,
        dataflow_parents: str = "official",
        grammar: str | os.PathLike[str] | None = None,
        sandbox: bool = True,
    ) -> None:
        if not timeout_s or float(timeout_s) <= 0:
            raise FusionBenchError(f"c2c_timeout must be a positive number of seconds, not {timeout_s!r}")
        self.suite = load_tests(tests)
        self.signature = execution_signature(self.suite.fingerprint(), float(timeout_s))
        super().__init__(tests=str(self.suite.root), timeout_s=float(timeout_s), detokenize=detokenize,
                         dataflow_parents=dataflow_parents, grammar=grammar, sandbox=sandbox)

    def _codebleu_options(self) -> dict[str, Any]:
        return {k: self.options[k] for k in ("detokenize", "dataflow_parents", "grammar")}

    def reset(self) -> None:
        super().reset()
        self.outcomes: list[ItemOutcome] = []

    def zero(self) -> C2CStats:
        return C2CStats()

    def item_stats(self, predictions: Mapping[str, str], references: Mapping[str, str]) -> list[ItemStats[C2CStats]]:
        codebleu = codebleu_item_stats(predictions, references, **self._codebleu_options())  # checks the keys
        outcomes = run_items(predictions, references, self.suite, timeout_s=self.options["timeout_s"],
                             sandbox=self.options["sandbox"])
        self.outcomes.extend(outcomes)
        return [ItemStats(item.key, None, C2CStats(item.stats, ExecutionCounts.of(outcome.status)))
                for item, outcome in zip(codebleu, outcomes)]

    def aggregate(self, stats: C2CStats, by_language: Any = None) -> TaskScore:
        score = codebleu_score(stats.codebleu, **self._codebleu_options())
        counts = stats.execution
        if counts.with_test:
            items = self.outcomes if stats == self.total and len(self.outcomes) == self.items else None
            execution = execution_summary(counts, self.signature, items)
        else:  # a bootstrap resample may hold no tested item
            execution = {"accuracy": 0.0, "with_test": 0, "counts": counts.to_dict(), "signature": self.signature}
        return TaskScore(task=score.task, score=score.score, signature=score.signature,
                         stats={**score.stats, "execution": counts.to_dict()},
                         details={**score.details, "execution": execution})

    def compute(self) -> TaskScore:
        """The score of everything seen; 0 items with a test script is an error, not a 0."""
        execution_summary(self.total.execution, self.signature, tests=str(self.suite.root))  # raises on 0 tested
        return super().compute()
