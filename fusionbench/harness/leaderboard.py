"""``fusionbench leaderboard``: rank the run records in a folder.

Writes ``leaderboard.md`` (Markdown tables), ``leaderboard.html`` (one self-contained page in the
house style of :mod:`fusionbench.htmlpage`: inline CSS, the chart as inline SVG, no scripts, no
external assets) and, when matplotlib is installed (extra ``leaderboard``), ``leaderboard.png``
(per-task scores of every submission as grouped bars).

Only comparable records are ranked together: the same data, split and references (content hashes)
and the same scoring options (options that only add detail, such as breakdowns, do not count).
Each comparable group gets its own table, ranked by the overall score, ties broken by name, with
a note saying what sets it apart.
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
from fusionbench.harness.compare import DETAIL_OPTIONS
from fusionbench.harness.record import RECORD_NAME, read_record
from fusionbench.htmlpage import bar_chart_svg, esc, page
from fusionbench.jsonio import write_text_atomic
from fusionbench.tasks import TASK_ORDER

__all__ = ["Entry", "collect", "group_entries", "render_html", "render_markdown", "render_png", "write_leaderboard"]

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
    created: str = ""
    signatures: tuple[tuple[str, str], ...] = ()
    #: what must be equal for two records to be ranked together (data identity, scoring options)
    comparable: tuple[Any, ...] = ()
    options: tuple[tuple[str, Any], ...] = ()


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
            created=str(record.get("created_at", "")),
            signatures=tuple((t, str(v.get("signature", ""))) for t, v in record["tasks"].items()),
            comparable=_comparable(record), options=_scoring_options(record),
        ))
    entries.sort(key=lambda e: (-e.overall, e.name))
    return entries, skipped


def _scoring_options(record: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, v) for k, v in (record.get("options") or {}).items() if k not in DETAIL_OPTIONS))


def _comparable(record: dict[str, Any]) -> tuple[Any, ...]:
    dataset = record["dataset"]
    return (dataset.get("source"), dataset.get("location"), dataset.get("split"),
            tuple(sorted((dataset.get("references_sha256") or {}).items())), _scoring_options(record))


def group_entries(entries: list[Entry]) -> list[list[Entry]]:
    """Comparable groups (same data, references and scoring options), each ranked; largest group first."""
    groups: dict[tuple[Any, ...], list[Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.comparable, []).append(entry)
    ranked = [sorted(g, key=lambda e: (-e.overall, e.name)) for g in groups.values()]
    return sorted(ranked, key=lambda g: (-len(g), g[0].data, repr(g[0].comparable)))


def _group_note(group: list[Entry], groups: list[list[Entry]]) -> str:
    """What this group shares, in words (its data; its non-default scoring options)."""
    first = group[0]
    options = [f"{k}={v}" for k, v in first.options if v not in (False, None, "official")]
    text = f"data {first.data}"
    same_data = [g[0] for g in groups if g[0].data == first.data]
    if len({e.comparable[3:4] for e in same_data}) > 1:  # same data label, different references: name them
        text += " (references " + ", ".join(f"{t} {h[:8]}" for t, h in first.comparable[3]) + ")"
    text += "; scoring options: " + (", ".join(options) if options else "official defaults")
    return text


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
    """Markdown tables, best first: one table per comparable group (a heading each when there are several)."""
    groups = group_entries(entries)
    if len(groups) <= 1:
        return _markdown_table(entries)
    parts = []
    for number, group in enumerate(groups, 1):
        parts.append(f"### Group {number}: {_group_note(group, groups)}\n\n{_markdown_table(group)}")
    return "Records scored on different data or with different options are never ranked together.\n\n" + "\n".join(parts)


def _markdown_table(entries: list[Entry]) -> str:
    header, rows = _rows(entries)
    escape = lambda cell: cell.replace("|", "\\|")
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if i != 1 else ":---" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _html_table(entries: list[Entry]) -> str:
    header, rows = _rows(entries)
    numeric = {i for i, h in enumerate(header) if h not in ("submission", "data", "run")}
    cls = lambda i: ' class="num"' if i in numeric else ""
    head = "".join(f"<th{cls(i)}>{esc(c)}</th>" for i, c in enumerate(header))
    head += "<th>date</th>"
    body = []
    for entry, row in zip(entries, rows):
        cells = "".join(f"<td{cls(i)}>{esc(c)}</td>" for i, c in enumerate(row))
        cells += f"<td>{esc(entry.created.replace('T', ' ')[:16])}</td>"
        body.append(f'<tr data-entry="{esc(entry.name)}">{cells}</tr>')
    signatures: dict[str, set[str]] = {}
    for entry in entries:
        for task, signature in entry.signatures:
            signatures.setdefault(task, set()).add(signature)
    sig_rows = "".join(f"<tr><th>{esc(t)}</th><td class=\"sig\">{'<br>'.join(esc(x) for x in sorted(signatures[t]))}</td></tr>"
                       for t in TASK_ORDER if t in signatures)
    chart = bar_chart_svg([*_tasks(entries), "overall"],
                          {f"{e.name} ({e.overall:.3f})": [*(e.tasks.get(t, 0.0) for t in _tasks(entries)), e.overall]
                           for e in entries},
                          maximum=max(1.0, *(e.overall for e in entries)), title="per-task scores and overall")
    return (f'<table class="board"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
            f'{chart}<details><summary>signatures</summary><table>{sig_rows}</table></details>')


def render_html(entries: list[Entry], title: str = "fusionbench leaderboard") -> str:
    """One self-contained HTML page (inline CSS and SVG, no script): a table and a chart per comparable group."""
    groups = group_entries(entries)
    parts = []
    if len(groups) > 1:
        parts.append(f'<p class="note">These {len(entries)} records fall into {len(groups)} groups scored on different '
                     "data or with different scoring options; numbers from different groups are not comparable, "
                     "so each group is ranked on its own.</p>")
    for number, group in enumerate(groups, 1):
        parts.append(f'<section class="group" data-group="{number}"><h2>Group {number}</h2>'
                     f'<p class="info">{esc(_group_note(group, groups))}</p>{_html_table(group)}</section>')
    parts.append("<p class=\"muted\">Scores are the official rounded task scores; overall is their sum. Intervals are "
                 "seeded percentile bootstraps over items. Sharing M/N is the challenge's multitask criterion as each "
                 "submission reports it (thresholds 0.25 and 0.3). Records are ranked together only when their data, "
                 "references and scoring options are equal.</p>")
    return page(title, "".join(parts), subtitle=f"{len(entries)} record(s), {len(groups)} comparable group(s)")


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
    groups = group_entries(entries)
    warnings = list(skipped)
    if len(groups) > 1:
        warnings.append(f"the records fall into {len(groups)} groups of different data or scoring options; "
                        "each group is ranked on its own")
    return {"markdown": markdown, "files": [str(p) for p in written], "warnings": warnings, "entries": entries}
