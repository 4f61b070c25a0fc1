"""The summary block of a record: per task and per language, with everything that makes a number comparable."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fusionbench.htmlpage import esc
from fusionbench.tasks import TASK_ORDER

__all__ = ["dataset_label", "summary_html"]


def dataset_label(record: Mapping[str, Any]) -> str:
    """``sample:test`` or ``/path/to/data:test``."""
    dataset = record["dataset"]
    where = "sample" if dataset.get("source") == "sample" else str(dataset.get("location"))
    return f"{where}:{dataset.get('split')}"


def _ci(entry: Mapping[str, Any]) -> str:
    ci = entry.get("ci")
    return f"{ci['low']:.3f}–{ci['high']:.3f}" if isinstance(ci, Mapping) else "–"


def _execution(entry: Mapping[str, Any]) -> str:
    execution = entry.get("execution")
    if not isinstance(execution, Mapping) or execution.get("accuracy") is None:
        return ""
    counts = execution.get("counts") or {}
    detail = ", ".join(f"{k} {v}" for k, v in counts.items()) if isinstance(counts, Mapping) else ""
    return (f'<tr class="exec"><td>C2C execution accuracy</td><td></td><td class="num">{execution["accuracy"]:.3f}</td>'
            f'<td>{esc(detail)}</td><td></td><td class="sig">{esc(execution.get("signature", ""))}</td></tr>')


def summary_html(index: int, record: Mapping[str, Any],
                 languages: Mapping[str, Mapping[str, tuple[float, float, float]]],
                 notes: list[str]) -> str:
    """One record's summary: identity, the score table (task rows, then language rows), notes."""
    submission = record["submission"]
    execution = record.get("execution") or {}
    isolation = record.get("isolation") or {}
    timings = record.get("timings") or {}
    name = submission.get("name") or "?"
    rows = []
    for task in [t for t in TASK_ORDER if t in record["tasks"]]:
        entry = record["tasks"][task]
        status = entry.get("status", "scored")
        reason = f' <span class="bad">{esc(entry["reason"])}</span>' if entry.get("reason") else ""
        rows.append(f'<tr data-summary-task="{task}"><td><b>{task}</b></td><td>all</td>'
                    f'<td class="num">{entry.get("rounded", 0):.3f}</td><td class="num">{_ci(entry)}</td>'
                    f'<td class="num">{entry.get("items", "–")}</td>'
                    f'<td class="sig">{esc(entry.get("signature", ""))} <span>{esc(status)}</span>{reason}</td></tr>')
        for lang, (value, low, high) in languages.get(task, {}).items():
            rows.append(f'<tr data-summary-task="{task}" data-lang="{esc(lang)}"><td></td><td>{esc(lang)}</td>'
                        f'<td class="num">{value:.3f}</td><td class="num">{low:.3f}–{high:.3f}</td><td></td>'
                        '<td class="muted">from the items (interval: same bootstrap as the record)</td></tr>')
        if task == "C2C":
            rows.append(_execution(entry))
    ci = record.get("overall_ci") or {}
    rows.append(f'<tr><td><b>overall</b></td><td></td><td class="num"><b>{record["overall"]:.3f}</b></td>'
                f'<td class="num">{ci.get("low", 0):.3f}–{ci.get("high", 0):.3f}</td><td></td>'
                '<td class="muted">sum of the rounded task scores</td></tr>')
    time_text = ", ".join(f"{k.removesuffix('_s')} {v:g} s" for k, v in timings.items())
    facts = [
        ("data", dataset_label(record)),
        ("run", f"{execution.get('status', 'ok')} (exit status {execution.get('exit_code')})"),
        ("isolation", isolation_label(isolation)),
        ("timings", time_text or "–"),
        ("created", record.get("created_at", "?")),
        ("fusionbench", record.get("fusionbench_version", "?")),
        ("submission sha256", str(submission.get("sha256", ""))[:16]),
    ]
    from fusionbench.evaluation import OPTION_DEFAULTS

    options = {k: v for k, v in (record.get("options") or {}).items() if OPTION_DEFAULTS.get(k, object()) != v}
    if options:
        facts.append(("non-default options", ", ".join(f"{k}={v}" for k, v in options.items())))
    fact_html = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in facts)
    note_html = "".join(f'<p class="note">{esc(n)}</p>' for n in notes)
    return (
        f'<section class="summary" data-record="{index}"><h3>{esc(name)}</h3>{note_html}'
        f'<div style="display:flex;gap:2em;flex-wrap:wrap"><table class="scores"><thead><tr><th>task</th>'
        '<th>language</th><th class="num">score</th><th class="num">95% CI</th><th class="num">items</th>'
        f'<th>signature, status</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
        f'<table class="facts"><tbody>{fact_html}</tbody></table></div></section>'
    )


def isolation_label(isolation: dict) -> str:
    """One line: the sandbox, its network, the uid inside and how many locks the probe verified."""
    parts = [str(isolation.get("mode", "?"))]
    if "network" in isolation:
        parts.append(f"network {isolation['network']}")
    if "uid" in isolation:
        parts.append(f"uid {isolation['uid']} inside")
    if isolation.get("locks_verified"):
        parts.append(f"locks verified: {', '.join(isolation['locks_verified'])}")
    return ", ".join(parts)

