"""AVATAR (Ahmad et al., 2021; CC BY-SA 4.0): Java–Python parallel functions, AVATAR-tokenised.

Format: JSON lines ``{"id": ..., "java": [candidates...], "python": [candidates...]}`` per split,
as the authors define them (``train``, ``valid``, ``test``); the first candidate of each side is
used.  Get the files from the authors' repository (github wasiahmad/AVATAR) and pass their folder
as ``data_dir``.

AVATAR-g4g (source ``avatar_g4g``): the function-level GeeksforGeeks pairs of
``data/g4g_functions.zip`` at the pinned commit (train 2,388 / valid 341 / test 682), same format,
files ``g4g_functions/<split>.jsonl`` inside the archive.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fusionbench.errors import FormatError

__all__ = ["G4G_ZIP", "SPLITS", "rows"]

#: The archive of AVATAR-g4g, relative to the repository's ``data/`` folder.
G4G_ZIP = "g4g_functions.zip"

#: Split name in datasets to the authors' file stem.
SPLITS = {"train": "train", "validation": "valid", "test": "test"}


def rows(path: str | Path) -> Iterator[dict[str, Any]]:
    """Rows of one AVATAR JSON-lines file."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                java, python = item["java"], item["python"]
                java = java[0] if isinstance(java, list) else java
                python = python[0] if isinstance(python, list) else python
            except (json.JSONDecodeError, KeyError, IndexError) as exc:
                raise FormatError(f"line {number}: expected {{id, java: [...], python: [...]}} ({exc})",
                                  file=str(path)) from None
            yield {"id": str(item.get("id", number - 1)), "java": java, "python": python}
