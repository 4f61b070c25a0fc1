"""Strict JSON reading and atomic writing.

Python's ``json`` module silently keeps the last of duplicate keys, reads any size into memory and
reports errors without the file name.  :func:`read_json_object` refuses all of that with one
:class:`~fusionbench.errors.FormatError` that names the file, the JSON path and the problem.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from fusionbench.errors import FormatError, MissingFileError, json_path

__all__ = ["DEFAULT_MAX_BYTES", "current_umask", "make_staging_dir", "read_json_object", "write_json_atomic",
           "write_text_atomic"]

#: Files above this size are refused before reading (official public-test files are a few MB).
#: Override with the environment variable ``FUSIONBENCH_MAX_JSON_BYTES`` or ``max_bytes=``.
DEFAULT_MAX_BYTES = 512 * 1024**2


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return obj


class _Marked(dict):
    """A dict remembering its duplicate keys; used only to locate a duplicate after the fact."""

    duplicates: list[str]


def _marking_pairs(pairs: list[tuple[str, Any]]) -> _Marked:
    obj = _Marked(pairs)
    seen: set[str] = set()
    obj.duplicates = []
    for key, _ in pairs:
        if key in seen:
            obj.duplicates.append(key)
        seen.add(key)
    return obj


def _find_duplicate(value: Any, path: tuple[Any, ...] = ()) -> tuple[tuple[Any, ...], str] | None:
    if isinstance(value, _Marked):
        if value.duplicates:
            return path, value.duplicates[0]
        for key, item in value.items():
            found = _find_duplicate(item, (*path, key))
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_duplicate(item, (*path, index))
            if found:
                return found
    return None


def _max_bytes(max_bytes: int | None) -> int:
    if max_bytes is not None:
        return max_bytes
    env = os.environ.get("FUSIONBENCH_MAX_JSON_BYTES")
    return int(env) if env else DEFAULT_MAX_BYTES


def read_json_object(path: str | os.PathLike[str], *, max_bytes: int | None = None) -> dict[str, Any]:
    """Read a JSON file whose top level must be an object, strictly.

    Args:
        path: the file to read.
        max_bytes: refuse larger files (default :data:`DEFAULT_MAX_BYTES`).

    Returns:
        The parsed object (keys in file order).

    Raises:
        MissingFileError: the file does not exist.
        FormatError: too large, not UTF-8, not JSON, duplicate keys, or not an object.
    """
    file = Path(path)
    if not file.is_file():
        raise MissingFileError("file not found", file=str(file))
    size = file.stat().st_size
    limit = _max_bytes(max_bytes)
    if size > limit:
        raise FormatError(
            f"file is too large to score ({size:,} bytes; the limit is {limit:,} bytes, "
            "raise it with FUSIONBENCH_MAX_JSON_BYTES if the file is genuine)",
            file=str(file),
        )
    raw = file.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})", file=str(file)
        ) from None
    try:
        value = json.loads(text, object_pairs_hook=_unique_pairs)
    except _DuplicateKey:
        located = _find_duplicate(json.loads(text, object_pairs_hook=_marking_pairs))
        where, key = located if located else ((), "?")
        raise FormatError(
            f"duplicate key {key!r} (JSON readers would silently keep only the last one)",
            file=str(file),
            path=json_path(*where),
        ) from None
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", file=str(file)
        ) from None
    except ValueError as exc:  # Python's cap on the digits of an integer (sys.get_int_max_str_digits)
        raise FormatError(f"a number is too long to read ({' '.join(str(exc).split(';')[0].split())})",
                          file=str(file)) from None
    except RecursionError:
        raise FormatError("JSON nested too deeply", file=str(file)) from None
    if not isinstance(value, dict):
        raise FormatError(
            "the top level must be a JSON object", file=str(file), path="$",
            expected="an object keyed by item id", found=type(value).__name__,
        )
    if _ESCAPED_SURROGATE.search(raw):  # only a \uD800-\uDFFF escape can make one: look closer
        located = _find_surrogate(value)
        if located is not None:
            raise FormatError(
                "a lone UTF-16 surrogate escape (not a Unicode character; it cannot be written as UTF-8)",
                file=str(file), path=json_path(*located),
            )
    return value


def current_umask() -> int:
    """The process's file-mode creation mask.

    Read from ``/proc/self/status`` where there is one; elsewhere set and restored at once (the
    only portable way, briefly process-wide).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def make_staging_dir(prefix: str, parent: str | os.PathLike[str] | None = None) -> Path:
    """A fresh temporary folder (``tempfile.mkdtemp``) whose mode follows the umask.

    ``mkdtemp`` creates mode 0700 whatever the umask, so a folder staged with it and then renamed
    into place (a run folder, an export) would stay private; this gives it the mode ``mkdir``
    would (0755 under the usual umask 022).
    """
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    os.chmod(path, 0o777 & ~current_umask())
    return path


_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _find_surrogate(value: Any) -> tuple[Any, ...] | None:
    """The JSON path of the first key or string holding a lone surrogate (iterative: no recursion)."""
    stack: list[tuple[tuple[Any, ...], Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if _has_surrogate(item):
                return path
        elif isinstance(item, dict):
            for key, child in item.items():
                if _has_surrogate(key):
                    return (*path, key.encode("utf-8", "backslashreplace").decode("utf-8"))
                stack.append(((*path, key), child))
        elif isinstance(item, list):
            stack.extend(((*path, index), child) for index, child in enumerate(item))
    return None


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` atomically: a temporary file in the same folder, then rename.

    The file gets the mode a plain ``open(path, "w")`` would give (``mkstemp`` alone makes 0600).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_json_atomic(path: str | os.PathLike[str], value: Any, *, indent: int | None = 2) -> None:
    """Serialise ``value`` (UTF-8, non-ASCII kept) and write it atomically."""
    write_text_atomic(path, json.dumps(value, ensure_ascii=False, indent=indent, allow_nan=False) + "\n")
