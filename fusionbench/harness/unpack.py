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
    max_total_ratio: float = 100.0  # the whole archive's expansion, once it unpacks to more than 16 MiB
    max_depth: int = 64  # folder levels of a member path
    max_name_bytes: int = 255  # one path component (the file-system limit)
    max_path_bytes: int = 1024  # a whole member path


def _member_path(name: str, archive: str, limits: UnpackLimits | None = None) -> PurePosixPath:
    limits = limits or UnpackLimits()
    shown = repr(name if len(name) <= 80 else name[:77] + "...")
    if "\0" in name or any(ord(c) < 32 for c in name):
        raise SandboxError("archive member name holds a NUL or control character", file=archive, found=shown)
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        raise SandboxError("archive member name is not valid Unicode", file=archive, found=shown) from None
    if len(encoded) > limits.max_path_bytes:
        raise SandboxError(f"archive member name is {len(encoded):,} bytes long", file=archive, found=shown,
                           expected=f"at most {limits.max_path_bytes} bytes")
    path = PurePosixPath(name.replace("\\", "/"))
    if not path.parts or path.parts == (".",):
        raise SandboxError("archive member has an empty path", file=archive, found=shown,
                           expected="a file or folder name")
    if len(path.parts) > limits.max_depth:
        raise SandboxError(f"archive member is {len(path.parts):,} folders deep", file=archive, found=shown,
                           expected=f"at most {limits.max_depth} levels")
    if any(len(part.encode("utf-8")) > limits.max_name_bytes for part in path.parts):
        raise SandboxError("archive member has a path component longer than the file system allows",
                           file=archive, found=shown, expected=f"at most {limits.max_name_bytes} bytes per name")
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
    try:
        return _unpack(archive, target, limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, UnicodeError, NotImplementedError, EOFError) as exc:
        raise SandboxError(f"malformed zip archive ({type(exc).__name__}: {exc})", file=str(archive)) from None
    except OSError as exc:
        raise SandboxError(f"the archive could not be unpacked ({exc.strerror or exc})", file=str(archive)) from None


def _check_layout(paths: list[tuple[PurePosixPath, bool]], archive: str) -> None:
    """Refuse duplicate members and a member that is a file in one place and a folder in another."""
    files: set[PurePosixPath] = set()
    folders: set[PurePosixPath] = set()
    for path, is_dir in paths:
        if is_dir:
            folders.add(path)
        elif path in files:
            raise SandboxError("archive has the same member twice", file=archive, found=repr(str(path)))
        else:
            files.add(path)
        folders.update(path.parents)
    clash = files & folders
    if clash:
        raise SandboxError("archive member is both a file and a folder", file=archive,
                           found=repr(str(sorted(clash)[0])))


def _unpack(archive: Path, target: Path, limits: UnpackLimits) -> Path:
    with zipfile.ZipFile(archive) as zf:
        members = zf.infolist()
        if len(members) > limits.max_files:
            raise SandboxError(f"archive has {len(members):,} members; the limit is {limits.max_files:,}",
                               file=str(archive))
        total = 0
        _check_layout([(_member_path(i.filename, str(archive), limits), i.is_dir()) for i in members], str(archive))
        for info in members:
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
        packed = max(1, archive.stat().st_size)
        if total > 16 * 1024**2 and total > limits.max_total_ratio * packed:
            raise SandboxError(f"archive inflates {total / packed:,.0f}-fold in all ({packed:,} to {total:,} bytes; "
                               "a zip bomb?)", file=str(archive), expected=f"at most {limits.max_total_ratio:g}-fold")
        target.mkdir(parents=True)
        for info in members:
            destination = target.joinpath(*_member_path(info.filename, str(archive), limits).parts)
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
