"""``fusionbench leaderboard``: rank the run records in a folder.

Writes ``leaderboard.md`` (a Markdown table), ``leaderboard.html`` (one self-contained page: inline
CSS, no scripts, no external assets) and, when matplotlib is installed (extra ``leaderboard``),
``leaderboard.png`` (per-task scores of every submission as grouped bars).  Rows are ranked by the
overall score, ties broken by name.  Each row names its data and split; records of different data
are ranked together only with a warning.
The multitask criterion (sharing ratio M/N, as a submission's ``metadata.json`` reports it) is
shown with the two thresholds the challenge's rules state (0.25 and 0.3).
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fusionbench.errors import FormatError, MissingFileError
from fusionbench.harness.record import RECORD_NAME, read_record
from fusionbench.jsonio import write_text_atomic
from fusionbench.tasks import TASK_ORDER

__all__ = ["Entry", "collect", "render_html", "render_markdown", "render_png", "write_leaderboard"]

SHARING_THRESHOLDS = (0.25, 0.3)


@dataclass(frozen=True)
class Entry:
    """One ranked record."""

    name: str
    path: Path
    overall: float
    overall_ci: tuple[float, float]
    tasks: dict[str, float]
    status: str
    data: str
    sharing_ratio: float | None
    isolation: str


def collect(folder: str | os.PathLike[str]) -> tuple[list[Entry], list[str]]:
    """Every run record under ``folder`` (recursively), ranked; plus the files skipped and why."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MissingFileError("no results folder here", file=str(folder))
    entries, skipped = [], []
    for path in sorted(folder.rglob(RECORD_NAME)):
        try:
            record = read_record(path)
        except FormatError as exc:
            skipped.append(str(exc))
            continue
        submission = record["submission"]
        ratio = submission.get("metadata", {}).get("sharing_ratio")
        dataset = record["dataset"]
        entries.append(Entry(
            name=submission.get("name") or path.parent.name, path=path, overall=record["overall"],
            overall_ci=(record["overall_ci"]["low"], record["overall_ci"]["high"]),
            tasks={t: v["rounded"] for t, v in record["tasks"].items()},
            status=(record.get("execution") or {}).get("status", "ok"),
            data=f"{dataset['location'] if dataset['source'] == 'dir' else 'sample'}:{dataset['split']}",
            sharing_ratio=ratio, isolation=(record.get("isolation") or {}).get("mode", "?"),
        ))
    entries.sort(key=lambda e: (-e.overall, e.name))
    return entries, skipped


def _tasks(entries: list[Entry]) -> list[str]:
    present = {t for e in entries for t in e.tasks}
    return [t for t in TASK_ORDER if t in present]


def _sharing(ratio: float | None) -> str:
    if ratio is None:
        return "–"
    marks = "".join("✓" if ratio >= t else "✗" for t in SHARING_THRESHOLDS)
    return f"{ratio:.3f} {marks}"


def _rows(entries: list[Entry]) -> tuple[list[str], list[list[str]]]:
    tasks = _tasks(entries)
    header = ["#", "submission", *tasks, "overall", "95% CI", "sharing M/N (≥0.25, ≥0.3)", "data", "run"]
    rows = []
    for rank, e in enumerate(entries, 1):
        rows.append([str(rank), e.name, *(f"{e.tasks[t]:.3f}" if t in e.tasks else "–" for t in tasks),
                     f"{e.overall:.3f}", f"{e.overall_ci[0]:.3f}–{e.overall_ci[1]:.3f}", _sharing(e.sharing_ratio),
                     e.data, f"{e.status} ({e.isolation})"])
    return header, rows


def render_markdown(entries: list[Entry]) -> str:
    """A Markdown table, best first."""
    header, rows = _rows(entries)
    escape = lambda cell: cell.replace("|", "\\|")
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if i != 1 else ":---" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def render_html(entries: list[Entry], title: str = "fusionbench leaderboard") -> str:
    """One self-contained HTML page (inline CSS only)."""
    header, rows = _rows(entries)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>\n" for row in rows)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}"
        "th,td{padding:.3em .7em;border-bottom:1px solid #ddd;text-align:right}"
        "td:nth-child(2),th:nth-child(2){text-align:left}th{background:#f4f4f4}"
        "</style></head><body>\n"
        f"<h1>{html.escape(title)}</h1>\n<table><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>\n"
        "<p>Scores are the official rounded task scores; overall is their sum. Intervals are seeded percentile "
        "bootstraps over items. Sharing M/N is the challenge's multitask criterion as each submission reports it.</p>"
        "</body></html>\n"
    )


def _pyplot(path: str | os.PathLike[str]) -> Any:
    """matplotlib's pyplot on the Agg backend, or the error that names the extra."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingFileError("the PNG chart needs matplotlib", file=str(path),
                               expected="pip install 'fusionbench-eval[leaderboard]' (or pass --no-png)") from None
    return plt


def render_png(entries: list[Entry], path: str | os.PathLike[str]) -> Path:
    """Grouped bars of per-task scores (needs matplotlib: ``pip install 'fusionbench-eval[leaderboard]'``)."""
    plt = _pyplot(path)
    tasks = _tasks(entries)
    figure, axes = plt.subplots(figsize=(max(6, 1.6 * len(tasks) + 0.4 * len(entries)), 4), dpi=100)
    width = 0.8 / max(1, len(entries))
    for i, entry in enumerate(entries):
        xs = [j + (i - (len(entries) - 1) / 2) * width for j in range(len(tasks))]
        axes.bar(xs, [entry.tasks.get(t, 0.0) for t in tasks], width, label=f"{entry.name} ({entry.overall:.3f})")
    axes.set_xticks(range(len(tasks)), tasks)
    axes.set_ylim(0, 1)
    axes.set_ylabel("score")
    axes.set_title("fusionbench: per-task scores")
    axes.legend(fontsize="small")
    figure.tight_layout()
    tmp = Path(path).with_name(f".{Path(path).name}.tmp")
    figure.savefig(tmp, format="png")
    plt.close(figure)
    os.replace(tmp, path)
    return Path(path)


def write_leaderboard(folder: str | os.PathLike[str], out: str | os.PathLike[str] | None = None, *,
                      png: bool = True) -> dict[str, Any]:
    """Collect, rank and write the leaderboard files; returns the paths and the Markdown text."""
    entries, skipped = collect(folder)
    if not entries:
        raise MissingFileError("no run record (record.json) under the results folder", file=str(folder))
    target = Path(out) if out else Path(folder)
    if png:
        _pyplot(target / "leaderboard.png")  # fail before writing anything
    target.mkdir(parents=True, exist_ok=True)
    markdown = render_markdown(entries)
    write_text_atomic(target / "leaderboard.md", markdown)
    write_text_atomic(target / "leaderboard.html", render_html(entries))
    written = [target / "leaderboard.md", target / "leaderboard.html"]
    if png:
        written.append(render_png(entries, target / "leaderboard.png"))
    datas = {e.data for e in entries}
    warnings = list(skipped)
    if len(datas) > 1:
        warnings.append(f"records of different data/splits are ranked together: {', '.join(sorted(datas))}")
    return {"markdown": markdown, "files": [str(p) for p in written], "warnings": warnings, "entries": entries}
