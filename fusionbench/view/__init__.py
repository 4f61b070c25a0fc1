"""Presentation: static HTML pages built from run records (the per-sample results viewer).

``write_view(records, out)`` writes ``out/index.html``: a summary per task and language, a
per-sample table per task (filters, search, pages of rows), and a per-item diff when two or more
records share a split.  See :mod:`fusionbench.view.build`.
"""

from fusionbench.view.build import build_view, write_view

__all__ = ["build_view", "write_view"]
