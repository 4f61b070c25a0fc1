"""The house style of fusionbench's static HTML pages: one stylesheet, a page shell, an inline SVG chart.

Both the per-sample viewer (:mod:`fusionbench.view`) and the leaderboard page
(:mod:`fusionbench.harness.leaderboard`) are single files that open from disk with no server and
no network, and they should look like one product.  This module imports nothing from fusionbench,
so every layer may use it (the leaderboard lives in the harness, below the viewer).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

__all__ = ["STYLE", "bar_chart_svg", "esc", "page"]

#: Palette of series colours (colour-blind friendly, Okabe-Ito order).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")

STYLE = """
:root{--fg:#1b1f24;--muted:#5b6570;--line:#dde1e6;--bg:#fff;--head:#f3f5f7;--accent:#0072B2;
--ok:#1a7f37;--bad:#c62828;--warn:#9a6700;--tp:#1a7f37;--fp:#c62828;--fn:#e69f00;--ref:#0072B2}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);
margin:0;padding:1.2em 2em 3em}
h1{font-size:1.5em;margin:.2em 0 .1em}h2{font-size:1.2em;margin:1.6em 0 .4em;border-bottom:2px solid var(--line);
padding-bottom:.2em}h3{font-size:1.05em;margin:1.1em 0 .3em}
.sub{color:var(--muted);margin:0 0 1em}
table{border-collapse:collapse;margin:.3em 0 .8em}
th,td{padding:.3em .6em;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--head);font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
pre{margin:0;white-space:pre-wrap;word-break:break-word;max-width:46em}
.note{background:#fff8e1;border-left:4px solid var(--warn);padding:.4em .8em;margin:.5em 0;max-width:70em}
.info{background:#eef6fc;border-left:4px solid var(--accent);padding:.4em .8em;margin:.5em 0;max-width:70em}
.ok{color:var(--ok);font-weight:600}.bad{color:var(--bad);font-weight:600}.muted{color:var(--muted)}
.sig{font-family:ui-monospace,monospace;font-size:11.5px;color:var(--muted);word-break:break-all}
.controls{display:flex;flex-wrap:wrap;gap:.6em 1em;align-items:center;background:var(--head);
padding:.5em .8em;border-radius:6px;margin:.4em 0}
.controls label{white-space:nowrap}
select,input[type=search]{font:inherit;padding:.15em .3em}
button{font:inherit;padding:.1em .6em;cursor:pointer}
.pager{margin:.4em 0;color:var(--muted)}
.legend span{display:inline-block;margin-right:1em}
.swatch{display:inline-block;width:.9em;height:.9em;border:2px solid;vertical-align:-2px;margin-right:.3em}
.chart{margin:.6em 0}
svg.boxes rect{fill:none;stroke-width:2.5}
svg.boxes rect.tp{stroke:var(--tp)}svg.boxes rect.fp{stroke:var(--fp);stroke-dasharray:5 3}
svg.boxes rect.ref{stroke:var(--ref)}svg.boxes rect.fn{stroke:var(--fn);stroke-dasharray:2 2}
img.crop{max-height:64px;max-width:360px;border:1px solid var(--line);background:#fff}
img.thumb{max-height:140px;max-width:200px;border:1px solid var(--line)}
.missing{color:var(--muted);font-style:italic}
.neg{background:#f3e5f5;color:#6a1b9a;border-radius:3px;padding:0 .3em;font-size:12px}
.side{display:grid;grid-template-columns:repeat(3,minmax(14em,1fr));gap:.5em}
.side>div>b{display:block;color:var(--muted);font-weight:600;font-size:12px}
tr.disagree{background:#fff4f4}
"""


def esc(value: object) -> str:
    """HTML-escape ``str(value)`` (quotes included, so it is safe in attributes)."""
    return html.escape(str(value), quote=True)


def page(title: str, body: str, *, subtitle: str = "", script: str = "") -> str:
    """A whole self-contained HTML document: house stylesheet inline, optional inline script."""
    sub = f'<p class="sub">{subtitle}</p>' if subtitle else ""
    tail = f"<script>{script}</script>" if script else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>\n"
        f"<h1>{esc(title)}</h1>{sub}\n{body}\n{tail}</body></html>\n"
    )


def bar_chart_svg(categories: Sequence[str], series: Mapping[str, Sequence[float]], *, height: int = 220,
                  maximum: float = 1.0, title: str = "") -> str:
    """Grouped bars as inline SVG (no matplotlib, no script): one group per category, one bar per series.

    Values are drawn on a 0..``maximum`` scale and printed above each bar with 3 decimals.
    """
    names = list(series)
    group_w = max(60, 22 * len(names) + 20)
    left, top, bottom = 40, 24, 28
    legend_h = 18 * len(names) + 6
    width = max(360, left + group_w * len(categories) + 20)
    total_h = top + height + bottom + legend_h
    out = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{total_h}" '
           f'role="img" aria-label="{esc(title or "chart")}">']
    if title:
        out.append(f'<text x="{left}" y="14" font-size="13" font-weight="600">{esc(title)}</text>')
    for tick in range(0, 6):
        value = maximum * tick / 5
        y = top + height - height * tick / 5
        out.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dde1e6"/>'
                   f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{value:.1f}</text>')
    bar_w = (group_w - 20) / max(1, len(names))
    for g, category in enumerate(categories):
        x0 = left + g * group_w + 10
        out.append(f'<text x="{x0 + (group_w - 20) / 2:.1f}" y="{top + height + 16}" font-size="12" '
                   f'text-anchor="middle">{esc(category)}</text>')
        for s, name in enumerate(names):
            value = series[name][g]
            h = 0.0 if maximum <= 0 else max(0.0, min(1.0, value / maximum)) * height
            x = x0 + s * bar_w
            colour = PALETTE[s % len(PALETTE)]
            out.append(f'<rect x="{x:.1f}" y="{top + height - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
                       f'fill="{colour}"><title>{esc(name)} {esc(category)}: {value:.3f}</title></rect>')
            if bar_w >= 24:
                out.append(f'<text x="{x + (bar_w - 2) / 2:.1f}" y="{top + height - h - 3:.1f}" font-size="9" '
                           f'text-anchor="middle">{value:.3f}</text>')
    for s, name in enumerate(names):
        y = top + height + bottom + 18 * s
        out.append(f'<rect x="{left}" y="{y}" width="12" height="12" fill="{PALETTE[s % len(PALETTE)]}"/>'
                   f'<text x="{left + 18}" y="{y + 10}" font-size="12">{esc(name)}</text>')
    out.append("</svg>")
    return "".join(out)
