"""The report that :func:`fusionbench.evaluate` returns, and its renderings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fusionbench.metrics.integral import integral_score
from fusionbench.metrics.result import TaskScore

__all__ = ["Report"]


@dataclass(frozen=True)
class Report:
    """Scores of one evaluation.

    Attributes:
        scores: task name (official spelling) to :class:`TaskScore`, in report order.
        sources: task name to the files the numbers came from (empty for in-memory objects).
    """

    scores: dict[str, TaskScore]
    sources: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def overall(self) -> float:
        """The integral score: the sum of the rounded task scores."""
        return integral_score(self.scores)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``fusionbench score --json`` (see ARCHITECTURE.md's contract)."""
        from fusionbench import __version__

        return {
            "fusionbench_version": __version__,
            "tasks": {task: score.to_dict() for task, score in self.scores.items()},
            "overall": self.overall,
        }

    def table(self) -> str:
        """A plain-text table: one row per task (and per language when broken down), then overall."""
        rows: list[tuple[str, str, str, str]] = []
        for task, score in self.scores.items():
            rows.append((task, "all", f"{score.rounded:.3f}", f"{score.score:.6f}"))
            for lang, sub in (score.by_language or {}).items():
                rows.append(("", lang, f"{sub.rounded:.3f}", f"{sub.score:.6f}"))
        header = ("task", "lang", "score", "unrounded")
        rows.append(("overall", "", f"{self.overall:.3f}", ""))
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
        line = "  ".join("-" * w for w in widths)

        def fmt(row: tuple[str, ...]) -> str:
            return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()

        out = [fmt(header), line, *(fmt(r) for r in rows[:-1]), line, fmt(rows[-1])]
        out.append("")
        out.extend(f"{task}: {score.signature}" for task, score in self.scores.items())
        if "C2C" in self.scores:
            out.extend(_c2c_notes(self.scores["C2C"]))
        return "\n".join(out)

    def __str__(self) -> str:
        return self.table()


#: Grammar labels of C2C signatures that have a name.
_GRAMMARS = {"legacy-66d01dcb2f38": "2021 official (my-languages.so of the organisers' repository, "
                                    "py-tree-sitter 0.2.0): the numbers of the 2021 leaderboard"}


def _c2c_notes(score: TaskScore) -> list[str]:
    """Which grammar the C2C number used, and the execution accuracy when it was measured."""
    fields = dict(part.partition(":")[::2] for part in score.signature.split("|"))
    grammar = fields.get("grammar", "?")
    label = _GRAMMARS.get(grammar) or (
        f"legacy file {grammar}" if grammar.startswith("legacy-") else
        f"default {grammar} (modern tree-sitter; differs from the 2021 scorer, see --c2c-grammar 2021)")
    notes = [f"C2C grammar: {label}"]
    execution = score.details.get("execution")
    if execution:
        counts = execution["counts"]
        listed = ", ".join(f"{k} {v}" for k, v in counts.items())
        notes.append(f"C2C execution accuracy: {execution['accuracy']:.3f} "
                     f"({counts['success']}/{execution['with_test']} items with a test; {listed})")
        notes.append(f"C2C execution: {execution['signature']}")
    return notes
