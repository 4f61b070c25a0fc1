"""The pinned AVATAR files (repository wasiahmad/AVATAR at commit a246ee5, its ``data/`` folder).

``avatar_a246ee5.sha256`` lists the sha256 of every file fusionbench uses from there (the GfG
test scripts, the TransCoder GfG pairs and ``g4g_functions.zip``): names and checksums only, the
files themselves are downloaded (or read from a local mirror), never shipped.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

from fusionbench.cache import cache_root

__all__ = ["AVATAR_COMMIT", "AVATAR_URL", "avatar_sums", "cached_avatar_root", "fetch_avatar_files"]

AVATAR_COMMIT = "a246ee50fc499eec4f1c944c959d107599d11ee5"
AVATAR_URL = f"https://raw.githubusercontent.com/wasiahmad/AVATAR/{AVATAR_COMMIT}/data/"


@lru_cache(maxsize=1)
def avatar_sums() -> dict[str, str]:
    """Relative path (e.g. ``transcoder_test_gfg/test.java-python.id``) to its pinned sha256."""
    sums = {}
    for line in Path(__file__).with_name("avatar_a246ee5.sha256").read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.removeprefix("./")] = digest
    return sums


def cached_avatar_root() -> Path:
    """Where downloaded AVATAR files live (same layout as the repository's ``data/``)."""
    return cache_root() / f"avatar-{AVATAR_COMMIT[:7]}"


def fetch_avatar_files(names: list[str], *, workers: int = 8) -> Path:
    """Download (once, verified) the given AVATAR files into :func:`cached_avatar_root`; return it.

    ``$FUSIONBENCH_AVATAR_URL`` replaces the base URL (a mirror, e.g. ``file:///path/to/data/``).

    Raises:
        FusionBenchError: offline or a sha256 mismatch (naming the URL, the file and the sum).
    """
    from fusionbench.pinned import fetch_pinned

    base = os.environ.get("FUSIONBENCH_AVATAR_URL") or AVATAR_URL
    root = cached_avatar_root()
    sums = avatar_sums()

    def one(name: str) -> Path:
        return fetch_pinned(base.rstrip("/") + "/" + name, sums[name], root / name)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, names))
    return root
