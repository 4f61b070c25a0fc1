"""``fusionbench view``: write ``DIR/index.html`` for one or more run records.

The page is static and self-contained: the stylesheet and script are inline, the per-sample data
is embedded as JSON (so that it opens from disk, where browsers refuse to fetch files), images lie
beside it in ``DIR/img/``.  Rows are rendered by the script a page at a time, so a public-size
record (~23,000 items) stays quick; every rendered item is one element with ``data-task`` and
``data-item``, and the whole set is in the ``<script id="fb-data">`` JSON for tools.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from fusionbench.errors import FusionBenchError, MissingFileError
from fusionbench.htmlpage import esc, page
from fusionbench.tasks import TASK_ORDER
from fusionbench.view.images import ImageStore
from fusionbench.view.items import task_rows
from fusionbench.view.source import LoadedRecord, load_record
from fusionbench.view.summary import dataset_label, summary_html

__all__ = ["build_view", "write_view"]


def _script() -> str:
    return resources.files("fusionbench.view").joinpath("viewer.js").read_text(encoding="utf-8")


def _record_payload(index: int, loaded: LoadedRecord, images: ImageStore) -> tuple[dict[str, Any], dict[str, Any]]:
    record = loaded.record
    payload: dict[str, Any] = {"name": loaded.name, "data": dataset_label(record), "tasks": {}}
    languages: dict[str, dict[str, tuple[float, float, float]]] = {}
    for task in [t for t in TASK_ORDER if t in record["tasks"]]:
        entry = record["tasks"][task]
        info: dict[str, Any] = {"status": entry.get("status", "scored"), "reason": entry.get("reason"),
                                "fp": "|".join(loaded.fingerprint(task)), "rows": None}
        if loaded.data is None or task in loaded.stale_references:
            info["reason"] = info["reason"] or "the references this record was scored on are not available"
        elif entry.get("status", "scored") == "scored":
            inputs = None if task in loaded.missing_inputs else loaded.data.inputs
            sha = record["dataset"].get("inputs_sha256", {}).get(task)
            try:
                rows = task_rows(task, record, loaded.predictions, loaded.data.references, inputs,
                                 images.resolver(inputs, sha))
            except (FusionBenchError, OSError) as exc:
                info["reason"] = f"cannot show the items: {' '.join(str(exc).split())}"
            else:
                info["rows"] = rows.rows
                info["agrees"] = rows.agrees
                if not rows.agrees:
                    loaded.notes.append(f"{task}: re-aggregating the per-item statistics gives {rows.rescored!r}, "
                                        f"not the recorded {entry.get('score')!r}.")
                if rows.language_scores:
                    languages[task] = rows.language_scores
                if task in ("HTR", "VQA") and inputs is not None and any(r.get("img") is None for r in rows.rows):
                    loaded.notes.append(f"{task}: some images are missing from the inputs; those rows have none.")
        payload["tasks"][task] = info
    return payload, {"languages": languages}


def _task_section(task: str) -> str:
    extra = ""
    if task == "C2C":
        extra = ('<label class="exfilter" hidden>execution <select data-filter="ex"><option value="">all</option>'
                 "</select></label>")
    legend = ""
    if task == "zsOD":
        legend = ('<p class="legend"><span><i class="swatch" style="border-color:var(--tp)"></i>predicted, hit (TP)</span>'
                  '<span><i class="swatch" style="border-color:var(--fp);border-style:dashed"></i>predicted, no hit (FP)</span>'
                  '<span><i class="swatch" style="border-color:var(--ref)"></i>reference, found</span>'
                  '<span><i class="swatch" style="border-color:var(--fn);border-style:dotted"></i>reference, missed</span>'
                  '<span class="muted">A predicted box is a hit when its IoU with some reference box is at least 0.5; '
                  "the TP/FP/FN counts are the scorer's own (official rule: FN = max(0, #ref − #pred)).</span></p>")
    return (
        f'<section class="task" data-section-task="{task}"><h2>{task}</h2>{legend}'
        '<div class="controls"><label class="recfilter">record <select data-filter="record"></select></label>'
        '<label>language <select data-filter="lang"><option value="">all</option></select></label>'
        '<label>items <select data-filter="ok"><option value="">all</option><option value="1">correct</option>'
        f'<option value="0">incorrect</option></select></label>{extra}'
        '<label>search <input type="search" data-filter="q" placeholder="key or text"></label>'
        '<label>rows per page <select data-filter="size"><option>25</option><option selected>50</option>'
        '<option>200</option><option value="0">all</option></select></label></div>'
        '<div class="pager"></div><div class="reason"></div>'
        '<table class="items"><thead></thead><tbody></tbody></table></section>'
    )


def build_view(records: Sequence[str | os.PathLike[str]], out: Path) -> dict[str, Any]:
    """Write the page into ``out`` (a fresh folder); return what was written and counts."""
    loaded = [load_record(r) for r in records]
    images = ImageStore(out)
    payloads, summaries = [], []
    for index, item in enumerate(loaded):
        payload, extra = _record_payload(index, item, images)
        payloads.append(payload)
        summaries.append(summary_html(index, item.record, extra["languages"], item.notes))
    tasks = [t for t in TASK_ORDER if any(t in p["tasks"] for p in payloads)]
    data = json.dumps({"records": payloads, "tasks": tasks}, ensure_ascii=False, separators=(",", ":"))
    data = data.replace("</", "<\\/").replace("<!--", "<\\!--")
    if images.absent:
        summaries.append(f'<p class="note">{images.absent} image(s) named by the records were not found in the '
                         "inputs; their rows are shown without a picture.</p>")
    task_options = "".join(f'<option value="{t}">{t}</option>' for t in tasks)
    body = (
        f'<h2>Summary</h2>{"".join(summaries)}'
        '<section id="diff" hidden><h2>Differences between records</h2><p class="info">Items of the same split '
        'where the records disagree come first (a different correct/incorrect outcome, then a different '
        'prediction).</p><div class="controls"><label>task <select data-filter="dtask"></select></label>'
        '<label>show <select data-filter="donly"><option value="1">disagreements only</option>'
        '<option value="">all items</option></select></label><label>search <input type="search" data-filter="dq">'
        '</label><label>rows per page <select data-filter="dsize"><option>25</option><option selected>50</option>'
        '<option>200</option><option value="0">all</option></select></label></div><div class="pager"></div>'
        '<table class="diff"><thead></thead><tbody></tbody></table></section>'
        f'<h2>Samples</h2><div class="controls"><label>task <select id="taskfilter"><option value="">all tasks</option>'
        f'{task_options}</select></label><span class="muted">Rows are drawn a page at a time; the full data is in '
        'the JSON script element <code>#fb-data</code>.</span></div>'
        + "".join(_task_section(t) for t in tasks)
        + f'<script id="fb-data" type="application/json">{data}</script>'
    )
    names = ", ".join(p["name"] for p in payloads)
    text = page("fusionbench results", body, subtitle=esc(names), script=_script())
    (out / "index.html").write_text(text, encoding="utf-8")
    items = sum(len(t["rows"] or []) for p in payloads for t in p["tasks"].values())
    return {"index": out / "index.html", "items": items, "images": images.copied, "bytes": len(text.encode())}


def write_view(records: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str]) -> dict[str, Any]:
    """Write ``out/index.html`` (and ``out/img/``) for ``records``, replacing a previous page atomically.

    Raises:
        FusionBenchError: no record given, or a record that cannot be read.  Nothing is written then.
    """
    if not records:
        raise MissingFileError("no record to show", expected="one or more record.json files or run folders")
    out = Path(out)
    if out.exists() and not (out.is_dir() and ((out / "index.html").is_file() or not any(out.iterdir()))):
        raise FusionBenchError("the output folder is not a page written by fusionbench view; not replacing it",
                               file=str(out), expected="a new folder, an empty one, or one holding index.html")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.view-", dir=out.parent))
    try:
        result = build_view(records, staging)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it 0700; the page is meant to be shared
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, old)
            os.replace(staging, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    result["index"] = out / "index.html"
    return result
