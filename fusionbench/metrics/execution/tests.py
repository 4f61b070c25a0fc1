"""The GfG test scripts (TransCoder's ``transcoder_evaluation_gfg/python/<ID>.py``) and which item uses which.

A tests folder is either the scripts folder itself (``<ID>.py`` files with a ``#TOFILL`` line)
or a mirror of AVATAR's ``data/`` folder (``transcoder_evaluation_gfg/python/`` inside).  In the
latter case the GfG reference files ``transcoder_test_gfg/{test,valid}.java-python.{id,python}``
are read as well, so that items with official challenge keys (``"0"``, ``"1"``, ...) are matched
to their script by their reference Python (exact string match).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fusionbench.errors import MissingFileError

__all__ = ["TESTS_ENV", "TestSuite", "load_tests"]

#: Environment variable naming the default tests folder.
TESTS_ENV = "FUSIONBENCH_C2C_TESTS"
SCRIPTS_SUBDIR = "transcoder_evaluation_gfg/python"
REFERENCES_SUBDIR = "transcoder_test_gfg"


@dataclass
class TestSuite:
    """Test scripts by GfG id, and GfG reference Python to id (for matching by reference)."""

    root: Path
    scripts: dict[str, Path]
    ids_by_reference: dict[str, str] = field(default_factory=dict)

    def script(self, test_id: str) -> str:
        return self.scripts[test_id].read_text(encoding="utf-8")

    def match(self, key: str, reference: str) -> str | None:
        """The test id of an item: its key when that is a script id, else its reference's id."""
        if key in self.scripts:
            return key
        test_id = self.ids_by_reference.get(" ".join(reference.split()))
        return test_id if test_id in self.scripts else None

    def fingerprint(self) -> str:
        """A short hash of the script names and contents (part of the execution signature)."""
        digest = hashlib.sha256()
        for test_id in sorted(self.scripts):
            digest.update(test_id.encode() + b"\0" + self.scripts[test_id].read_bytes() + b"\0")
        return digest.hexdigest()[:12]


def _reference_index(root: Path) -> dict[str, str]:
    index: dict[str, str] = {}
    folder = root / REFERENCES_SUBDIR
    for ids_file in sorted(folder.glob("*.java-python.id")) if folder.is_dir() else []:
        python_file = ids_file.with_suffix(".python")
        if not python_file.is_file():
            continue
        ids = ids_file.read_text(encoding="utf-8").splitlines()
        lines = python_file.read_text(encoding="utf-8").splitlines()
        for test_id, line in zip(ids, lines):
            index.setdefault(" ".join(line.split()), test_id.strip())
    return index


def _download() -> Path:
    """The pinned GfG scripts and reference files, fetched once into the cache."""
    from fusionbench.metrics.execution.pins import avatar_sums, fetch_avatar_files

    names = [n for n in avatar_sums() if n.startswith((SCRIPTS_SUBDIR + "/", REFERENCES_SUBDIR + "/"))]
    return fetch_avatar_files(names)


def load_tests(path: str | os.PathLike[str] | None) -> TestSuite:
    """Read a tests folder (``None``: the folder named by ``$FUSIONBENCH_C2C_TESTS``, else the pinned
    scripts downloaded once into the cache).

    Raises:
        MissingFileError: no folder given, or it holds no ``<ID>.py`` script with a ``#TOFILL`` line.
    """
    expected = (f"a folder of GfG test scripts <ID>.py with a #TOFILL line, or a mirror of AVATAR's data/ "
                f"folder holding {SCRIPTS_SUBDIR}/ (and {REFERENCES_SUBDIR}/ to match official keys)")
    if path is None:
        path = os.environ.get(TESTS_ENV) or _download()
    root = Path(path)
    if not root.is_dir():
        raise MissingFileError("the C2C tests folder does not exist", file=str(root), expected=expected)
    folder = root / SCRIPTS_SUBDIR if (root / SCRIPTS_SUBDIR).is_dir() else root
    scripts = {}
    for script in sorted(folder.glob("*.py")):
        with open(script, encoding="utf-8", errors="replace") as handle:
            if "#TOFILL" in handle.read():
                scripts[script.stem] = script
    if not scripts:
        raise MissingFileError("no test script with a #TOFILL line in the C2C tests folder", file=str(folder),
                               expected=expected)
    references = _reference_index(root)
    if not references and folder == root and len(root.parts) > 2:  # given the scripts folder itself
        references = _reference_index(root.parent.parent)
    return TestSuite(root=root, scripts=scripts, ids_by_reference=references)


def matched_tests(suite: TestSuite, references: Mapping[str, str]) -> dict[str, str | None]:
    """Reference key to its test id (``None``: no script)."""
    return {key: suite.match(key, reference) for key, reference in references.items()}
