"""Where a run's inputs and answers come from, and their content hashes.

``--data sample`` is the shipped sample benchmark (``validation``/``test`` frozen in the package,
``train`` generated into the cache).  ``--data DIR`` is a split in the challenge layout: ``DIR``
(or ``DIR/<split>``) holds ``input/`` and the answers, either as ``true_<TASK>.json`` beside
``input/`` or in ``answers/`` (the layout ``fusionbench export challenge`` writes).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from fusionbench.errors import MissingFileError
from fusionbench.formats import find_task_file, tasks_in_directory
from fusionbench.pinned import sha256_of

__all__ = ["DataSplit", "hash_file", "hash_tree", "resolve_data"]


@dataclass(frozen=True)
class DataSplit:
    """One split: ``inputs`` (what a submission sees) and ``references`` (a folder of true files)."""

    source: str  # "sample" or "dir"
    location: str  # "sample" or the folder given
    split: str
    inputs: Path
    references: Path

    def tasks(self) -> list[str]:
        """The tasks with a reference file, in report order."""
        return tasks_in_directory(self.references, "reference")

    def reference_file(self, task: str) -> Path:
        found = find_task_file(self.references, task, "reference")
        if found is None:
            raise MissingFileError(f"no reference file for {task}", file=str(self.references))
        return found

    def identity(self, tasks: list[str]) -> dict[str, object]:
        """Source, split and content hashes of the inputs and of each task's reference file."""
        return {
            "source": self.source,
            "location": self.location,
            "split": self.split,
            "inputs_sha256": {task: hash_tree(self.inputs / task) for task in tasks},
            "references_sha256": {task: hash_file(self.reference_file(task)) for task in tasks},
        }


def resolve_data(data: str | os.PathLike[str], split: str = "test") -> DataSplit:
    """Resolve ``sample`` or a challenge-layout folder to a :class:`DataSplit`.

    Raises:
        MissingFileError: the folder has no ``input/`` or no reference files.
    """
    if str(data) == "sample":
        from fusionbench.data.sample_source import frozen_split, train_split

        if split == "train":
            folder = train_split()
        elif split in ("validation", "test"):
            folder = frozen_split(split)
        else:
            raise MissingFileError(f"the sample benchmark has no split {split!r}", file="sample",
                                   expected="train, validation or test")
        return DataSplit("sample", "sample", split, folder / "input", folder)
    from fusionbench.data.challenge import locate_split  # the one reader of the layout

    root = Path(data).resolve()
    found = locate_split(root, split)
    return DataSplit("dir", str(root), split, found.inputs, found.answers)


#: SHA-256 of a file's bytes (one definition, shared with the pinned downloads).
hash_file = sha256_of


def tree_digest(root: str | os.PathLike[str]) -> tuple[str, int, int]:
    """SHA-256 over a folder plus its file count and byte total.

    Every regular file contributes its relative path and the hash of its bytes; a symbolic link
    contributes its path and target (it is not followed); entries are taken in sorted order.
    """
    root = Path(root)
    digest = hashlib.sha256()
    files = size = 0
    if not root.exists():
        return digest.hexdigest(), 0, 0
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix().encode()
        if path.is_symlink():
            digest.update(b"link:" + relative + b"\0" + os.readlink(path).encode() + b"\n")
        elif path.is_file():
            digest.update(relative + b"\0" + hash_file(path).encode() + b"\n")
            files += 1
            size += path.stat().st_size
    return digest.hexdigest(), files, size


def hash_tree(root: str | os.PathLike[str]) -> str:
    """SHA-256 over a folder (see :func:`tree_digest`)."""
    return tree_digest(root)[0]
