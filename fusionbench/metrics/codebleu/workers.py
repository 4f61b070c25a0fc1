"""Run the structural (syntax and data-flow) part of CodeBLEU in worker processes.

The official data-flow value depends on Python's string hashing: it is the value printed by the
official script under ``PYTHONHASHSEED=0``.  Worker processes are therefore started with that
seed, whatever the caller's, and the corpus is split across them (one per core).  When the
calling process already runs with seed 0, or the order-insensitive ``parents="sorted"`` variant
is used, small corpora are scored in-process to save the start-up cost.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fusionbench.errors import FusionBenchError

__all__ = ["IN_PROCESS_MAX_PAIRS", "PAIRS_PER_WORKER_MIN", "compute_structural_counts", "start_structural_counts"]

#: Corpora up to this size are scored in-process when the hash seed allows it.
IN_PROCESS_MAX_PAIRS = 200
#: Do not start a worker for fewer pairs than this.
PAIRS_PER_WORKER_MIN = 100


def _in_process_allowed(parents: str) -> bool:
    return parents == "sorted" or sys.flags.hash_randomization == 0


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = "0"
    package_root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


def _run_worker(chunk: Sequence[tuple[str, str]], parents: str, detokenize: bool) -> list[tuple[int, int, int, int]]:
    request = json.dumps({"pairs": list(chunk), "parents": parents, "detokenize": detokenize})
    proc = subprocess.run(
        [sys.executable, "-m", "fusionbench.metrics.codebleu.worker"],
        input=request.encode("utf-8"), capture_output=True, env=_worker_env(), check=False,
    )
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"CodeBLEU worker failed: {detail[-1] if detail else proc.returncode}")
    return [tuple(x) for x in json.loads(proc.stdout)]


def _local(pairs: Sequence[tuple[str, str]], parents: str, detokenize: bool) -> list[tuple[int, int, int, int]]:
    from fusionbench.metrics.codebleu.detok import detokenize as detok
    from fusionbench.metrics.codebleu.parse import parse
    from fusionbench.metrics.codebleu.structure import structural_counts

    return structural_counts(pairs, parse, parents=parents, transform=detok if detokenize else None)


def start_structural_counts(
    pairs: Sequence[tuple[str, str]],
    *,
    parents: str = "official",
    detokenize: bool = False,
    grammar: str | os.PathLike[str] | None = None,
    processes: int | None = None,
) -> Callable[[], list[tuple[int, int, int, int]]]:
    """Start :func:`compute_structural_counts` in the background; call the result to wait for it.

    The caller can meanwhile compute the n-gram statistics, which need no parsing.
    """
    if not pairs or (grammar is None and _in_process_allowed(parents) and len(pairs) <= IN_PROCESS_MAX_PAIRS):
        result = compute_structural_counts(pairs, parents=parents, detokenize=detokenize, grammar=grammar)
        return lambda: result
    pool = ThreadPoolExecutor(1)
    future = pool.submit(compute_structural_counts, pairs, parents=parents, detokenize=detokenize,
                         grammar=grammar, processes=processes)
    pool.shutdown(wait=False)
    return future.result


def compute_structural_counts(
    pairs: Sequence[tuple[str, str]],
    *,
    parents: str = "official",
    detokenize: bool = False,
    grammar: str | os.PathLike[str] | None = None,
    processes: int | None = None,
) -> list[tuple[int, int, int, int]]:
    """(syntax matches, syntax total, data-flow matches, data-flow total) per pair, in order.

    Args:
        pairs: (reference, candidate) strings.
        parents: ``"official"`` (value under ``PYTHONHASHSEED=0``) or ``"sorted"``.
        detokenize: rebuild real Python from AVATAR tokens before parsing.
        grammar: an old compiled grammar; parse with py-tree-sitter 0.2.0 (see :mod:`.legacy`).
        processes: number of worker processes (default: the number of CPU cores).
    """
    if parents not in ("official", "sorted"):
        raise FusionBenchError(f"data-flow parents must be 'official' or 'sorted', not {parents!r}")
    if not pairs:
        return []
    if grammar is not None:
        from fusionbench.metrics.codebleu.legacy import legacy_structural_counts

        return legacy_structural_counts(pairs, grammar, parents=parents, detokenize=detokenize)
    if _in_process_allowed(parents) and len(pairs) <= IN_PROCESS_MAX_PAIRS:
        return _local(pairs, parents, detokenize)
    count = processes or os.cpu_count() or 1
    count = max(1, min(count, len(pairs) // PAIRS_PER_WORKER_MIN or 1))
    size = -(-len(pairs) // count)
    chunks = [pairs[i:i + size] for i in range(0, len(pairs), size)]
    if len(chunks) == 1:
        return _run_worker(chunks[0], parents, detokenize)
    with ThreadPoolExecutor(len(chunks)) as pool:
        parts = list(pool.map(lambda c: _run_worker(c, parents, detokenize), chunks))
    return [counts for part in parts for counts in part]
