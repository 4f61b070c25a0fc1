"""A warm cache of the reference side of C2C (the harness and leaderboard case).

Scoring a new prediction file against references scored before skips parsing and analysing the
references.  What is cached: for one worker's share of a call, the :data:`~.structure.Analysis`
(subtree S-expressions and renamed data-flow graph) of each distinct reference string.

* **Where:** ``<cache root>/codebleu-refs/`` (see :func:`fusionbench.cache.cache_root`:
  ``$FUSIONBENCH_CACHE``, else ``$XDG_CACHE_HOME/fusionbench``, else ``~/.cache/fusionbench``).
  ``FUSIONBENCH_C2C_CACHE=0`` turns it off.  Both are read by the calling process at each call
  and passed to the workers.
* **Keyed by:** the SHA-256 of the reference strings themselves (in order), the options that
  change an analysis (data-flow parents, detokenisation), the Python hash algorithm, the pinned
  tree-sitter runtime and grammar versions, the fusionbench version and the bytes of the source
  files that compute an analysis.  Any change of these is a different key: that is how entries
  are invalidated; old ones age out.
* **Bounded:** the folder is pruned to :data:`MAX_BYTES`, least recently used first, on a
  process's first write and every :data:`PRUNE_EVERY` writes after it.
* **Never changes a score:** entries are written atomically and carry a SHA-256 of their body;
  a reader also checks that the stored reference strings equal the asked ones.  Any doubt
  (truncated, corrupted, foreign or concurrent entry) is a miss, and the references are then
  analysed as if there were no cache.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from fusionbench.cache import cache_root, prune, read_entry, write_entry
from fusionbench.metrics.codebleu.structure import Analysis, freeze_flow

__all__ = ["FOLDER", "MAX_BYTES", "enabled", "folder", "load", "store"]

FOLDER = "codebleu-refs"
#: Size bound of the folder.
MAX_BYTES = 512 * 1024 * 1024
#: A process prunes the folder on its first write and then every this many writes (streaming
#: writes many small entries; listing the folder each time would cost more than the entry).
PRUNE_EVERY = 16
_writes = 0
_SOURCES = ("dataflow.py", "syntax.py", "structure.py", "detok.py", "parse.py", "refcache.py")


def enabled() -> bool:
    """Whether the cache is on (``FUSIONBENCH_C2C_CACHE`` other than ``0``)."""
    return os.environ.get("FUSIONBENCH_C2C_CACHE", "1") != "0"


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    from fusionbench import __version__
    from fusionbench.metrics.codebleu.parse import GRAMMAR, RUNTIME

    digest = hashlib.sha256(f"{__version__}|{RUNTIME}|{GRAMMAR}|{sys.hash_info.algorithm}".encode())
    here = Path(__file__).parent
    for name in _SOURCES:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def _key(references: Sequence[str], parents: str, detokenize: bool) -> str:
    digest = hashlib.sha256(f"{_code_fingerprint()}|{parents}|{int(detokenize)}|{len(references)}".encode())
    for ref in references:
        data = ref.encode("utf-8", "surrogatepass")
        digest.update(b"%d:" % len(data))
        digest.update(data)
    return digest.hexdigest()


def folder() -> Path | None:
    """This process's cache folder, or ``None`` when the cache is off (workers are told it per call)."""
    return cache_root() / FOLDER if enabled() else None


def load(
    references: Sequence[str], parents: str, detokenize: bool, where: Path | None = None
) -> dict[str, Analysis] | None:
    """The cached analyses of these distinct reference strings, or ``None`` (a miss)."""
    where = where or cache_root() / FOLDER
    key = _key(references, parents, detokenize)
    value = read_entry(where / f"{key}.json", key)
    try:
        if value is None or value["references"] != list(references):
            return None
        analyses = value["analyses"]
        if len(analyses) != len(references):
            return None
        return {ref: ([str(s) for s in subtrees], freeze_flow(flow))
                for ref, (subtrees, flow) in zip(references, analyses)}
    except (KeyError, TypeError, ValueError):
        return None


def store(
    references: Sequence[str], analyses: Sequence[Analysis], parents: str, detokenize: bool,
    where: Path | None = None,
) -> None:
    """Write the analyses of these distinct reference strings (failures are ignored)."""
    where = where or cache_root() / FOLDER
    key = _key(references, parents, detokenize)
    path = where / f"{key}.json"
    value = {"references": list(references), "analyses": [[subtrees, flow] for subtrees, flow in analyses]}
    global _writes
    if write_entry(path, key, value):
        if _writes % PRUNE_EVERY == 0:
            prune(path.parent, MAX_BYTES)
        _writes += 1
