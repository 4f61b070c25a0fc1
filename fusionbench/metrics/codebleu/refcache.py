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
  tree-sitter runtime and grammar versions, the Python version (entries are :mod:`marshal` data,
  fast to write and read), the fusionbench version and the bytes of the source files that compute
  an analysis (and of the compiled accelerator, where built).  Any change of these is a different key: that is how entries are invalidated; old
  ones age out.
* **Bounded:** the folder is pruned to :data:`MAX_BYTES`, least recently used first, on a
  process's first write and every :data:`PRUNE_EVERY` writes after it.
* **Never changes a score:** entries are written atomically and carry a SHA-256 of their body,
  checked before the body is unmarshalled; a reader then checks the shape of every value and
  that the stored reference strings equal the asked ones.  Any doubt
  (truncated, corrupted, foreign or concurrent entry) is a miss, and the references are then
  analysed as if there were no cache.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from fusionbench.cache import cache_root, prune, read_bytes_entry, write_bytes_entry
from fusionbench.metrics.codebleu.structure import Analysis

__all__ = ["FOLDER", "MAX_BYTES", "enabled", "folder", "load", "store"]

FOLDER = "codebleu-refs"
#: Size bound of the folder.
MAX_BYTES = 512 * 1024 * 1024
#: A process prunes the folder on its first write and then every this many writes (streaming
#: writes many small entries; listing the folder each time would cost more than the entry).
PRUNE_EVERY = 16
_writes = 0
_SOURCES = ("dataflow.py", "syntax.py", "structure.py", "detok.py", "parse.py", "refcache.py", "accel.py")


def enabled() -> bool:
    """Whether the cache is on (``FUSIONBENCH_C2C_CACHE`` other than ``0``)."""
    return os.environ.get("FUSIONBENCH_C2C_CACHE", "1") != "0"


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    from fusionbench import __version__
    from fusionbench.metrics.codebleu.parse import GRAMMAR, RUNTIME

    digest = hashlib.sha256(
        f"{__version__}|{RUNTIME}|{GRAMMAR}|{sys.hash_info.algorithm}|{sys.version}|{marshal.version}".encode())
    here = Path(__file__).parent
    for name in _SOURCES:
        digest.update((here / name).read_bytes())
    from fusionbench.metrics.codebleu import accel

    if accel.compiled_path() is not None:  # the compiled walk, when built (its results are the same)
        digest.update(Path(accel.compiled_path()).read_bytes())
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


def _valid(value: Any, count: int) -> bool:
    """Whether an unmarshalled entry has the shape :func:`store` writes (checked before use)."""
    if type(value) is not tuple or len(value) != 2:
        return False
    references, analyses = value
    if type(references) is not list or type(analyses) is not list or len(references) != count or len(analyses) != count:
        return False
    for analysis in analyses:
        if type(analysis) is not tuple or len(analysis) != 2:
            return False
        subtrees, flow = analysis
        if type(subtrees) is not list or type(flow) is not list:
            return False
        if not all(type(s) is str for s in subtrees):
            return False
        for edge in flow:
            if (type(edge) is not tuple or len(edge) != 3 or type(edge[0]) is not str or type(edge[1]) is not str
                    or type(edge[2]) is not tuple or not all(type(p) is str for p in edge[2])):
                return False
    return True


def load(
    references: Sequence[str], parents: str, detokenize: bool, where: Path | None = None
) -> dict[str, Analysis] | None:
    """The cached analyses of these distinct reference strings, or ``None`` (a miss)."""
    where = where or cache_root() / FOLDER
    key = _key(references, parents, detokenize)
    body = read_bytes_entry(where / f"{key}.entry", key)
    if body is None:
        return None
    try:
        value = marshal.loads(body)
    except (EOFError, ValueError, TypeError):
        return None
    if not _valid(value, len(references)) or value[0] != list(references):
        return None
    return dict(zip(references, value[1]))


def store(
    references: Sequence[str], analyses: Sequence[Analysis], parents: str, detokenize: bool,
    where: Path | None = None,
) -> None:
    """Write the analyses of these distinct reference strings (failures are ignored)."""
    global _writes
    where = where or cache_root() / FOLDER
    key = _key(references, parents, detokenize)
    path = where / f"{key}.entry"
    try:
        body = marshal.dumps((list(references), [(list(s), list(f)) for s, f in analyses]))
    except ValueError:
        return
    if write_bytes_entry(path, key, body):
        if _writes % PRUNE_EVERY == 0:
            prune(path.parent, MAX_BYTES)
        _writes += 1
