"""The results record of a run: one JSON schema, versioned, written atomically.

A record holds everything needed to trust and re-check a number: fusionbench's version, the
per-task results (signatures, per-language breakdowns, statistics, reasons for zeros), the overall
score, bootstrap intervals, the identity of the data (source, split, content hashes of inputs and
references) and of the submission (hash of its files), the environment, the limits and isolation in
force, the exit status and the kept stdout/stderr.  Fields that change from one run of the same
submission to the next live under ``timings`` and ``created_at`` only; :func:`stable_view` drops
them, so two runs can be compared for equality.
"""

from __future__ import annotations

import datetime as _dt
import platform
import sys
from collections.abc import Mapping
from importlib import metadata as _metadata
from pathlib import Path
from typing import Any

from fusionbench.errors import FormatError
from fusionbench.jsonio import read_json_object

__all__ = ["PREDICTIONS_DIR", "RECORD_NAME", "SCHEMA", "environment", "now", "read_record", "stable_view"]

#: Name and version of the record schema; bump the number on any incompatible change.
SCHEMA = "fusionbench.run/1"
RECORD_NAME = "record.json"
PREDICTIONS_DIR = "predictions"
VOLATILE = ("timings", "created_at")

KEY_PACKAGES = ("fusionbench", "numpy", "tree-sitter", "tree-sitter-python", "pymorphy3", "pymorphy3-dicts-ru",
                "datasets", "pillow", "torch", "transformers")


def environment() -> dict[str, Any]:
    """Python, platform and the versions of the packages that can move a score."""
    packages = {}
    for name in KEY_PACKAGES:
        try:
            packages[name] = _metadata.version(name)
        except _metadata.PackageNotFoundError:
            packages[name] = None
    return {"python": platform.python_version(), "implementation": sys.implementation.name,
            "platform": platform.platform(), "machine": platform.machine(), "packages": packages}


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def stable_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record without the fields that legitimately change between identical runs."""
    return {key: value for key, value in record.items() if key not in VOLATILE}


def read_record(path: str | Path) -> dict[str, Any]:
    """Read and check a record file (its schema tag and required sections).

    Raises:
        FormatError: not a fusionbench run record, or one of another schema version.
    """
    path = Path(path)
    if path.is_dir():
        path = path / RECORD_NAME
    record = read_json_object(path)
    schema = record.get("schema")
    if schema != SCHEMA:
        raise FormatError("not a fusionbench run record of this version", file=str(path), path='$["schema"]',
                          expected=repr(SCHEMA), found=repr(schema))
    for key in ("tasks", "overall", "dataset", "submission", "options"):
        if key not in record:
            raise FormatError("the record lacks a section", file=str(path), path=f'$["{key}"]',
                              expected="a complete run record")
    return record
