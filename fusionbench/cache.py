"""Where fusionbench keeps what it builds once, and a checksummed entry store for derived data.

Besides helper environments and generated sample splits, scorers keep *derived* data here (for
example the parsed reference side of C2C, see :mod:`fusionbench.metrics.codebleu.refcache`).
Such entries must never change a score, so :func:`read_entry` returns ``None`` (a miss) on any
doubt: a missing or truncated file, a checksum that does not match, a key that is not the one
asked for, undecodable JSON.  :func:`write_entry` writes atomically (temporary file + rename in
the same folder), so concurrent writers and readers only ever see whole entries, and
:func:`prune` bounds a folder's size by deleting the least recently used entries.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["cache_root", "prune", "read_bytes_entry", "read_entry", "write_bytes_entry", "write_entry"]

_MAGIC = b"fusionbench-cache-1"


def cache_root() -> Path:
    """``$FUSIONBENCH_CACHE``, else ``$XDG_CACHE_HOME/fusionbench``, else ``~/.cache/fusionbench``."""
    if os.environ.get("FUSIONBENCH_CACHE"):
        return Path(os.environ["FUSIONBENCH_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fusionbench"


def write_entry(path: Path, key: str, value: Any) -> bool:
    """Store ``value`` (JSON-serialisable) under ``key`` at ``path`` atomically; ``False`` if impossible."""
    try:
        body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (ValueError, TypeError):  # not JSON/UTF-8 encodable
        return False
    return write_bytes_entry(path, key, body)


def write_bytes_entry(path: Path, key: str, body: bytes) -> bool:
    """Store ``body`` under ``key`` at ``path`` atomically; ``False`` if impossible.

    Layout: a header line ``fusionbench-cache-1 <sha256 of the body> <key>`` and the body.
    Failures (read-only or full disk) are swallowed: a cache that cannot be written is a miss.
    """
    tmp = None
    try:
        header = b"%s %s %s\n" % (_MAGIC, hashlib.sha256(body).hexdigest().encode(), key.encode("ascii"))
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(header)
            handle.write(body)
        os.replace(tmp, path)
        return True
    except (OSError, ValueError):
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return False


def read_entry(path: Path, key: str) -> Any | None:
    """The JSON value stored under ``key`` at ``path``, or ``None`` on any doubt (see the module doc)."""
    body = read_bytes_entry(path, key)
    if body is None:
        return None
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def read_bytes_entry(path: Path, key: str) -> bytes | None:
    """The body stored under ``key`` at ``path`` if its checksum holds, else ``None``."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    newline = data.find(b"\n")
    if newline < 0:
        return None
    parts = data[:newline].split(b" ")
    if len(parts) != 3 or parts[0] != _MAGIC or parts[2] != key.encode("ascii"):
        return None
    body = data[newline + 1:]
    if hashlib.sha256(body).hexdigest().encode() != parts[1]:
        return None
    try:
        os.utime(path)  # mark as recently used for prune()
    except OSError:
        pass
    return body


def prune(folder: Path, max_bytes: int) -> None:
    """Delete the least recently used entries of ``folder`` until it holds at most ``max_bytes``."""
    try:
        entries = []
        for item in folder.iterdir():
            if item.is_file():
                stat = item.stat()
                entries.append((stat.st_mtime, stat.st_size, item))
    except OSError:
        return
    total = sum(size for _, size, _ in entries)
    for _, size, item in sorted(entries, key=lambda e: e[0]):
        if total <= max_bytes:
            break
        try:
            item.unlink()
            total -= size
        except OSError:
            pass
