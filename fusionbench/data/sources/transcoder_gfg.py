"""TransCoder's GeeksforGeeks Java→Python pairs (Lachaux et al., 2020), as AVATAR republished them.

Format: three parallel line files per split, ``transcoder_test_gfg/<split>.java-python.{id,java,python}``
(the function id, the Java and the Python function in AVATAR tokens), ``test`` (948 pairs) and
``valid`` (470).  ``has_test`` says whether ``transcoder_evaluation_gfg/python/<id>.py``, the
function's test script, exists (464 test and 238 validation ids have one).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fusionbench.errors import FormatError

__all__ = ["FOLDER", "SCRIPTS", "SPLITS", "file_names", "rows", "script_ids"]

#: Split name in datasets to the authors' file stem.
SPLITS = {"test": "test", "validation": "valid"}
FOLDER = "transcoder_test_gfg"
SCRIPTS = "transcoder_evaluation_gfg/python"


def file_names(stem: str) -> dict[str, str]:
    """The three files of one split, relative to AVATAR's ``data/`` folder."""
    return {part: f"{FOLDER}/{stem}.java-python.{part}" for part in ("id", "java", "python")}


def script_ids() -> frozenset[str]:
    """Ids that have a test script (from the pinned file list)."""
    from fusionbench.metrics.execution.pins import avatar_sums

    prefix = SCRIPTS + "/"
    return frozenset(n[len(prefix):-3] for n in avatar_sums() if n.startswith(prefix) and n.endswith(".py"))


def rows(files: dict[str, str | Path], with_tests: frozenset[str] | None = None) -> Iterator[dict[str, Any]]:
    """Rows ``{id, java, python, has_test}`` of one split given its ``id``/``java``/``python`` files."""
    columns = {part: Path(path).read_text(encoding="utf-8").splitlines() for part, path in files.items()}
    lengths = {part: len(lines) for part, lines in columns.items()}
    if len(set(lengths.values())) != 1:
        raise FormatError(f"parallel files differ in length: {lengths}", file=str(files["id"]),
                          expected="one line per function in each of the .id, .java and .python files")
    tested = script_ids() if with_tests is None else with_tests
    for test_id, java, python in zip(columns["id"], columns["java"], columns["python"]):
        test_id = test_id.strip()
        yield {"id": test_id, "java": java, "python": python, "has_test": test_id in tested}
