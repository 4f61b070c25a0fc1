"""The ``fusionbench view`` command: a static per-sample results page from run records."""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_view_commands"]


def _view(args: argparse.Namespace) -> int:
    from fusionbench.view import write_view

    result = write_view(args.records, args.out)
    print(f"wrote {result['index']} ({result['items']} items, {result['images']} images, "
          f"{result['bytes'] / 1e6:.1f} MB page)", file=sys.stderr)
    print(result["index"])
    return 0


def add_view_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``view`` on the main parser."""
    view = subparsers.add_parser(
        "view", help="write a static HTML page of per-sample results for one or more run records",
        description=(
            "Write DIR/index.html, a self-contained page (opens from disk, no server or network) with each "
            "record's summary, a per-sample table per task (filters, search, pages of rows) and, for records of "
            "the same split, a per-item diff. Images are copied beside it into DIR/img/."
        ),
    )
    view.add_argument("records", metavar="RECORD", nargs="+", help="record.json files or run folders")
    view.add_argument("--out", required=True, metavar="DIR", help="folder to write (replaced if it holds a page)")
    view.set_defaults(handler=_view)
