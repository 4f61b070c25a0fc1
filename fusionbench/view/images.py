"""Put the images a page shows beside it (``DIR/img/...``), so that the page opens from disk anywhere.

Images are hard-linked when the file system allows it (public-size splits have tens of thousands
of them), copied otherwise.  Records of the same inputs share one folder (named after the inputs'
content hash), so a diff of five runs does not hold five copies.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

__all__ = ["ImageStore"]

_SUBFOLDER = {"HTR": "images", "zsOD": "images", "VQA": "images"}


class ImageStore:
    """Copies the images of one output folder; :meth:`ref` returns a page-relative path or ``None``."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.copied = 0
        self.absent = 0
        self._done: dict[Path, str | None] = {}

    def resolver(self, inputs: Path | None, inputs_sha: str | None):
        """A function ``(task, file name) -> relative path or None`` for one record's inputs."""
        folder = re.sub(r"[^A-Za-z0-9]", "", (inputs_sha or "nohash"))[:12]

        def ref(task_name: str, name: str) -> str | None:
            if inputs is None or not name:
                return None
            source = inputs / task_name / _SUBFOLDER.get(task_name, "") / name
            return self._place(source, Path("img") / f"{task_name}-{folder}" / name)

        return ref

    def _place(self, source: Path, relative: Path) -> str | None:
        if source in self._done:
            return self._done[source]
        if ".." in relative.parts or not source.is_file():
            self.absent += 1
            self._done[source] = None
            return None
        target = self.out / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source, target)
            except OSError:
                shutil.copyfile(source, target)
            self.copied += 1
        self._done[source] = relative.as_posix()
        return relative.as_posix()
