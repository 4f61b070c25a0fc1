"""Run the structural (syntax and data-flow) part of CodeBLEU in long-lived worker processes.

The official data-flow value depends on Python's string hashing: it is the value printed by the
official script under ``PYTHONHASHSEED=0``.  Worker processes are therefore started with that
seed, whatever the caller's.  They are started on first use and then kept: one pool per
process, reused by every call and every :class:`~fusionbench.metrics.codebleu.CodeBLEUAccumulator`
batch, so streaming pays the start-up once.  Workers exit when their standard input closes:
the pool is shut down at interpreter exit (:func:`shutdown_workers`, registered with
:mod:`atexit`), a forked child forgets the parent's pool (it starts its own if it scores), and
if the parent dies its workers see end-of-file and exit too.

The corpus is split across the workers (one per core).  When the calling process already runs
with seed 0, or the order-insensitive ``parents="sorted"`` variant is used, small corpora are
scored in-process.  Workers keep the reference cache of :mod:`.refcache`.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

from fusionbench.errors import FusionBenchError
from fusionbench.metrics.codebleu.structure import TreeTooDeep

__all__ = [
    "IN_PROCESS_MAX_PAIRS",
    "PAIRS_PER_WORKER_MIN",
    "compute_structural_counts",
    "prestart_workers",
    "shutdown_workers",
    "split_pairs",
    "start_structural_counts",
    "worker_pids",
]

#: Corpora up to this size are scored in-process when the hash seed allows it.
IN_PROCESS_MAX_PAIRS = 200
#: Do not give a worker fewer pairs than this (workers are kept, so splitting is cheap).
PAIRS_PER_WORKER_MIN = 16
#: Seconds a worker gets to exit after its input closes before it is killed (it may be finishing a
#: reference-cache write; a killed write leaves no entry, only a temporary file that prune removes).
SHUTDOWN_GRACE_S = 10.0

Counts = tuple[int, int, int, int]


def _in_process_allowed(parents: str) -> bool:
    return parents == "sorted" or sys.flags.hash_randomization == 0


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = "0"
    package_root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


class _WorkerGone(RuntimeError):
    """A worker's pipe broke or closed: it died (crashed, or was killed from outside)."""


class _Worker:
    """One worker process and its pipes."""

    def __init__(self) -> None:
        self.stderr: IO[bytes] = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fusionbench.metrics.codebleu.worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, env=_worker_env(),
        )

    def send(self, request: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(request).encode("utf-8") + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise _WorkerGone(f"CodeBLEU worker {self.proc.pid} is gone") from exc

    def receive(self) -> list[Counts]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            self.stderr.seek(0)
            detail = self.stderr.read().decode("utf-8", "replace").strip().splitlines()
            raise _WorkerGone(f"CodeBLEU worker failed: {detail[-1] if detail else self.proc.returncode}")
        answer = json.loads(line)
        if "too_deep" in answer:
            from fusionbench.metrics.codebleu.structure import TreeTooDeep

            index, role, depth = answer["too_deep"]
            raise TreeTooDeep(depth, index, role)
        if "error" in answer:
            raise RuntimeError(f"CodeBLEU worker failed: {answer['error']}")
        return [tuple(x) for x in answer["counts"]]

    def ask(self, request: dict[str, Any]) -> list[Counts]:
        """Send one request and wait for its answer."""
        self.send(request)
        return self.receive()

    def close(self, wait: bool = True) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass
        if wait:
            try:
                self.proc.wait(SHUTDOWN_GRACE_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()


class _Pool:
    """The worker processes of this process (started on demand, grown to the largest need)."""

    def __init__(self) -> None:
        self.workers: list[_Worker] = []

    def map(self, chunks: list[list[tuple[str, str]]], options: dict[str, Any]) -> list[list[Counts]]:
        """Counts per chunk, one chunk per worker.  A worker that died since its last use (killed
        from outside, say) is replaced, and a call during which one dies is retried once with
        fresh workers (the counts are deterministic)."""
        for attempt in range(2):
            for worker in [w for w in self.workers if w.proc.poll() is not None]:
                self.workers.remove(worker)
                worker.close()
            self.grow(len(chunks))
            try:
                return self._ask_all(chunks, options)
            except _WorkerGone:
                self.close()  # a worker in an unknown state is never reused
                if attempt:
                    raise
            except TreeTooDeep:
                raise  # an answer like any other: every worker has answered, the pool stays
            except BaseException:
                self.close()
                raise
        raise AssertionError("unreachable")

    def _ask_all(self, chunks: list[list[tuple[str, str]]], options: dict[str, Any]) -> list[list[Counts]]:
        """Each chunk to its worker, answers in chunk order; a :class:`TreeTooDeep` names its chunk.

        Each request is sent from its own thread: a worker reads its request only once it has
        started, and a request larger than the pipe's buffer would otherwise hold back the next
        worker's until then.
        """
        with ThreadPoolExecutor(len(chunks)) as senders:
            asked = [senders.submit(worker.ask, {"pairs": chunk, **options})
                     for worker, chunk in zip(self.workers, chunks)]
            answers = []
            for position, future in enumerate(asked):
                try:
                    answers.append(future.result())
                except TreeTooDeep as exc:
                    exc.chunk = position
                    raise
            return answers

    def grow(self, count: int) -> None:
        """Start workers until there are ``count`` (they start in the background)."""
        while len(self.workers) < count:
            self.workers.append(_Worker())

    def close(self, wait: bool = True) -> None:
        workers, self.workers = self.workers, []
        for worker in workers:
            worker.close(wait)


_lock = threading.Lock()
_pool: _Pool | None = None
_local_memo: dict[tuple[str, bool], dict] = {}


def shutdown_workers() -> None:
    """Stop the worker processes of this process (they are started again when needed)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
        if pool is not None:
            pool.close()


def worker_pids() -> list[int]:
    """Process ids of the running workers of this process (for tests and diagnostics)."""
    with _lock:
        return [] if _pool is None else [w.proc.pid for w in _pool.workers]


def _forget_after_fork() -> None:
    """In a forked child: drop the parent's pool without touching the parent's workers."""
    global _lock, _pool
    _lock = threading.Lock()
    pool, _pool = _pool, None
    if pool is not None:
        pool.close(wait=False)  # closes only this child's copies of the pipes


atexit.register(shutdown_workers)
os.register_at_fork(after_in_child=_forget_after_fork)


def _run_pool(chunks: list[list[tuple[str, str]]], options: dict[str, Any]) -> list[list[Counts]]:
    global _pool
    with _lock:
        if _pool is None:
            _pool = _Pool()
        return _pool.map(chunks, options)


def worker_count(pairs: int, processes: int | None = None) -> int:
    """How many workers score a corpus of ``pairs`` pairs (one per core, at most one per
    :data:`PAIRS_PER_WORKER_MIN` pairs)."""
    count = processes or os.cpu_count() or 1
    return max(1, min(count, pairs // PAIRS_PER_WORKER_MIN or 1))


def prestart_workers(pairs: int, *, parents: str = "official") -> None:
    """Start the workers a corpus of ``pairs`` pairs will use, without waiting for them.

    A caller that knows it will score C2C (``evaluate``, say) calls this before reading and
    validating its files, so that the workers' interpreter start-up and imports overlap with that
    work.  Does nothing when the corpus would be scored in-process.
    """
    global _pool
    if pairs == 0 or (_in_process_allowed(parents) and pairs <= IN_PROCESS_MAX_PAIRS):
        return
    with _lock:
        if _pool is None:
            _pool = _Pool()
        _pool.grow(worker_count(pairs))


def split_pairs(pairs: Sequence[tuple[str, str]], count: int) -> list[list[tuple[str, str]]]:
    """``count`` consecutive chunks of about equal reference length (parsing time follows length).

    Cut by the references only, so that new predictions for the same references are cut the same
    way: the reference cache is keyed by each chunk's references.
    """
    pairs = [tuple(p) for p in pairs]
    if count <= 1:
        return [pairs]  # type: ignore[list-item]
    sizes = [len(ref) for ref, _ in pairs]
    total = sum(sizes)
    chunks: list[list[tuple[str, str]]] = []
    start, running = 0, 0
    for index, size in enumerate(sizes):
        running += size
        left = count - len(chunks) - 1  # chunks still to fill after the current one
        if left and (running * count >= total * (len(chunks) + 1) or len(pairs) - index - 1 == left):
            chunks.append(pairs[start:index + 1])  # type: ignore[arg-type]
            start = index + 1
    chunks.append(pairs[start:])  # type: ignore[arg-type]
    return [chunk for chunk in chunks if chunk]


def _local(pairs: Sequence[tuple[str, str]], parents: str, detokenize: bool) -> list[Counts]:
    from fusionbench.metrics.codebleu.depth import MAX_TREE_DEPTH
    from fusionbench.metrics.codebleu.detok import detokenize as detok
    from fusionbench.metrics.codebleu.parse import parse
    from fusionbench.metrics.codebleu.structure import structural_counts
    from fusionbench.metrics.codebleu.worker import MEMO_MAX_STRINGS

    memo = _local_memo.setdefault((parents, detokenize), {})
    if len(memo) > MEMO_MAX_STRINGS:
        memo.clear()
    return structural_counts(pairs, parse, parents=parents, transform=detok if detokenize else None, memo=memo,
                             max_depth=MAX_TREE_DEPTH)


def start_structural_counts(
    pairs: Sequence[tuple[str, str]],
    *,
    parents: str = "official",
    detokenize: bool = False,
    grammar: str | os.PathLike[str] | None = None,
    processes: int | None = None,
) -> Callable[[], list[Counts]]:
    """Start :func:`compute_structural_counts` in the background; call the result to wait for it.

    The caller can meanwhile compute the n-gram statistics, which need no parsing.
    """
    if not pairs or (grammar is None and _in_process_allowed(parents) and len(pairs) <= IN_PROCESS_MAX_PAIRS):
        result = compute_structural_counts(pairs, parents=parents, detokenize=detokenize, grammar=grammar)
        return lambda: result
    executor = ThreadPoolExecutor(1)
    future = executor.submit(compute_structural_counts, pairs, parents=parents, detokenize=detokenize,
                             grammar=grammar, processes=processes)
    executor.shutdown(wait=False)
    return future.result


def compute_structural_counts(
    pairs: Sequence[tuple[str, str]],
    *,
    parents: str = "official",
    detokenize: bool = False,
    grammar: str | os.PathLike[str] | None = None,
    processes: int | None = None,
) -> list[Counts]:
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
    chunks = split_pairs(pairs, worker_count(len(pairs), processes))
    offsets = [0]
    for chunk in chunks[:-1]:
        offsets.append(offsets[-1] + len(chunk))
    from fusionbench.metrics.codebleu.refcache import folder

    where = folder()
    options = {"parents": parents, "detokenize": detokenize, "cache": None if where is None else str(where)}
    try:
        parts = _run_pool(chunks, options)
    except TreeTooDeep as exc:  # the first chunk's first: the first in corpus order
        exc.index += offsets[exc.chunk]
        raise
    return [counts for part in parts for counts in part]
