"""Unpack a submission archive safely, refusing anything dangerous before writing a byte.

A submission zip is checked as a whole first: every member name must be relative and stay inside
the target (no absolute paths, drive letters or ``..``), links and special files are refused, and
the number of files, the total uncompressed size and every member's compression ratio are capped
(a zip bomb is refused on its declared sizes, and extraction stops if a member inflates past its
declared size).  Only then are the files written.
"""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from fusionbench.errors import SandboxError

__all__ = ["UnpackLimits", "safe_unpack"]


@dataclass(frozen=True)
class UnpackLimits:
    """Caps applied to an archive before and during extraction."""

    max_files: int = 10_000
    max_total_bytes: int = 2 * 1024**3
    max_ratio: float = 200.0  # uncompressed / compressed, per member of at least 1 MiB


def _member_path(name: str, archive: str) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise SandboxError("archive member has an absolute path", file=archive, found=repr(name),
                           expected="paths relative to the archive root")
    if ".." in path.parts:
        raise SandboxError("archive member escapes the target folder", file=archive, found=repr(name),
                           expected="no '..' in member paths")
    return path


def safe_unpack(archive: str | Path, target: str | Path, limits: UnpackLimits = UnpackLimits()) -> Path:
    """Extract ``archive`` into ``target`` (which must not exist) after checking every member.

    Raises:
        SandboxError: the archive is not a zip, or breaks a rule above (nothing is written then).
    """
    archive, target = Path(archive), Path(target)
    if not zipfile.is_zipfile(archive):
        raise SandboxError("not a zip archive", file=str(archive))
    with zipfile.ZipFile(archive) as zf:
        members = zf.infolist()
        if len(members) > limits.max_files:
            raise SandboxError(f"archive has {len(members):,} members; the limit is {limits.max_files:,}",
                               file=str(archive))
        total = 0
        for info in members:
            _member_path(info.filename, str(archive))
            kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the archiver stored no file type
            if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
                raise SandboxError("archive member is a link or a special file", file=str(archive),
                                   found=repr(info.filename), expected="regular files and folders only")
            total += info.file_size
            if info.file_size >= 1024**2 and info.file_size > limits.max_ratio * max(1, info.compress_size):
                raise SandboxError(f"archive member inflates {info.file_size / max(1, info.compress_size):,.0f}-fold "
                                   "(a zip bomb?)", file=str(archive), found=repr(info.filename))
        if total > limits.max_total_bytes:
            raise SandboxError(f"archive unpacks to {total:,} bytes; the limit is {limits.max_total_bytes:,}",
                               file=str(archive))
        target.mkdir(parents=True)
        for info in members:
            destination = target.joinpath(*_member_path(info.filename, str(archive)).parts)
            if info.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            with zf.open(info) as source, open(destination, "wb") as sink:
                while chunk := source.read(1 << 20):
                    written += len(chunk)
                    if written > info.file_size:  # lying headers: stop at the declared size
                        raise SandboxError("archive member is larger than declared", file=str(archive),
                                           found=repr(info.filename))
                    sink.write(chunk)
    return target
