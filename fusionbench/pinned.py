"""Files fetched from a pinned URL and checked against a pinned sha256 (stdlib only, bottom layer).

:func:`fetch_pinned` returns a local copy: the first of the given local candidates whose sha256
matches, else the cached copy, else a fresh download.  A download goes to a temporary file next to
its destination and is renamed into place only after its checksum matched, so the cache never
holds a partial or corrupt file.  Every failure is one :class:`FusionBenchError` that names the
URL, the file and the expected sum, and says where to put the file by hand.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from fusionbench.errors import FusionBenchError

__all__ = ["fetch_pinned", "sha256_of"]


def sha256_of(path: str | os.PathLike[str]) -> str:
    """The hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check(path: Path, sha256: str, what: str) -> Path:
    found = sha256_of(path)
    if found != sha256:
        raise FusionBenchError(f"{path}: sha256 mismatch for {what}: expected {sha256}, found {found} "
                               "(a corrupt or different file; delete it or replace it with the pinned one)")
    return path


def fetch_pinned(
    url: str,
    sha256: str,
    destination: str | os.PathLike[str],
    *,
    local: Sequence[str | os.PathLike[str]] = (),
    timeout_s: float = 60.0,
) -> Path:
    """A verified local copy of ``url``.

    Args:
        url: the pinned source.
        sha256: its expected hex sha256.
        destination: where the cached copy lives.
        local: files to use instead of downloading (a mirror); each must match ``sha256``.
        timeout_s: network timeout.

    Raises:
        FusionBenchError: a local file or the download does not match ``sha256``, or the
            download failed (offline): the message names the URL and the file to place.
    """
    for candidate in local:
        path = Path(candidate)
        if path.is_file():
            return _check(path, sha256, url)
    target = Path(destination)
    if target.is_file():
        return _check(target, sha256, url)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=timeout_s) as response:
            shutil.copyfileobj(response, out)
        found = sha256_of(temporary)
        if found != sha256:
            raise FusionBenchError(f"{url}: sha256 mismatch of the download: expected {sha256}, found {found}; "
                                   f"nothing was cached (place the pinned file at {target})")
        os.replace(temporary, target)
    except FusionBenchError:
        Path(temporary).unlink(missing_ok=True)
        raise
    except (OSError, ValueError) as exc:  # URLError is an OSError
        Path(temporary).unlink(missing_ok=True)
        raise FusionBenchError(f"could not download {url} ({type(exc).__name__}: {exc}); download it yourself "
                               f"and place it at {target} (sha256 {sha256})") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
