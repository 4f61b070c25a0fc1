"""Submissions in the challenge's format: a folder or a zip with ``metadata.json``.

``metadata.json`` is an object with at least ``"entrypoint"`` (a command line such as
``"python run.py"``, run from the submission's folder, which also holds ``input/`` and an empty
``output/``).  ``"image"`` (the challenge's Docker image) is recorded, not used: no container engine
is assumed.  Optional fields that fusionbench reads: ``"name"``, ``"sharing_ratio"`` (the
multitask criterion M/N, shown on the leaderboard).  Anything else is kept in the record as is.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fusionbench.errors import FormatError, MissingFileError, SandboxError
from fusionbench.harness.datasource import tree_digest
from fusionbench.harness.unpack import UnpackLimits, safe_unpack
from fusionbench.jsonio import read_json_object

__all__ = ["Submission", "load_submission", "stage_submission"]

#: Names a submission may not use at its top level: the harness puts the inputs and outputs there.
RESERVED = ("input", "output")


@dataclass(frozen=True)
class Submission:
    """A validated submission: where it came from, its metadata and the hash of its files."""

    origin: Path
    kind: str  # "dir" or "zip"
    metadata: dict[str, Any]
    sha256: str
    files: int
    bytes: int
    name: str = field(default="")

    @property
    def entrypoint(self) -> str:
        return self.metadata["entrypoint"]

    def describe(self) -> dict[str, Any]:
        """The record's ``submission`` section."""
        return {"name": self.name, "origin": str(self.origin), "kind": self.kind, "sha256": self.sha256,
                "files": self.files, "bytes": self.bytes, "entrypoint": self.entrypoint,
                "image": self.metadata.get("image"), "metadata": self.metadata}


def _check_metadata(folder: Path, origin: Path) -> dict[str, Any]:
    path = folder / "metadata.json"
    shown = f"{origin}:metadata.json" if origin.suffix == ".zip" else str(origin / "metadata.json")
    if not path.is_file():
        raise MissingFileError("the submission has no metadata.json", file=shown,
                               expected='{"entrypoint": "python run.py"} at the submission\'s top level')
    try:
        metadata = read_json_object(path)
    except FormatError as exc:
        raise FormatError(exc.message, file=shown, path=exc.path, expected=exc.expected, found=exc.found) from None
    entry = metadata.get("entrypoint")
    if not isinstance(entry, str) or not entry.strip():
        raise FormatError("metadata.json needs an entrypoint command", file=shown, path='$["entrypoint"]',
                          expected='a non-empty string such as "python run.py"', found=repr(entry))
    ratio = metadata.get("sharing_ratio")
    if ratio is not None and (isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 <= ratio <= 1):
        raise FormatError("sharing_ratio must be a number in [0, 1]", file=shown, path='$["sharing_ratio"]',
                          found=repr(ratio))
    for reserved in RESERVED:
        if os.path.lexists(folder / reserved):
            raise SandboxError(f"the submission has its own {reserved!r} entry; the harness provides it",
                               file=str(origin), expected=f"no top-level {reserved!r} file or folder")
    return metadata


def stage_submission(source: str | os.PathLike[str], target: str | os.PathLike[str],
                     limits: UnpackLimits | None = None) -> Submission:
    """Copy (folder) or safely unpack (zip) a submission into ``target`` and validate it there.

    Checking the staged copy, not the original, means that what is hashed is what runs.  A zip
    whose only top-level entry is a folder holding ``metadata.json`` is accepted as that folder.

    Raises:
        MissingFileError, FormatError: no submission, no or malformed ``metadata.json``.
        SandboxError: an unsafe archive (see :func:`~fusionbench.harness.unpack.safe_unpack`).
    """
    origin = Path(source).resolve()
    target = Path(target)
    if origin.is_dir():
        try:
            shutil.copytree(origin, target, symlinks=True)
        except (OSError, shutil.Error) as exc:
            raise SandboxError(f"the submission folder could not be copied ({' '.join(str(exc).split())[:200]})",
                               file=str(origin)) from None
        kind = "dir"
    elif origin.is_file():
        safe_unpack(origin, target, limits or UnpackLimits())
        kind = "zip"
        entries = [p for p in target.iterdir()]
        if not (target / "metadata.json").exists() and len(entries) == 1 and (entries[0] / "metadata.json").is_file():
            inner = entries[0]
            for child in list(inner.iterdir()):
                child.rename(target / child.name)
            inner.rmdir()
    else:
        raise MissingFileError("no submission here", file=str(origin), expected="a folder or a .zip file")
    metadata = _check_metadata(target, origin)
    sha, files, size = tree_digest(target)
    name = str(metadata.get("name") or (origin.stem if kind == "zip" else origin.name))
    return Submission(origin=origin, kind=kind, metadata=metadata, sha256=sha, files=files, bytes=size, name=name)


def load_submission(source: str | os.PathLike[str]) -> Submission:
    """Validate a submission without running it (staged in a temporary folder, then removed)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="fusionbench-check-") as tmp:
        return stage_submission(source, Path(tmp) / "submission")
