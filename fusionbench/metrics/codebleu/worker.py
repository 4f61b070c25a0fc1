"""Worker entry point: ``python -m fusionbench.metrics.codebleu.worker`` (started with PYTHONHASHSEED=0).

Serves requests until its standard input closes: each request is one line of JSON
``{"pairs": [[reference, candidate], ...], "parents": ..., "detokenize": ..., "cache": folder or null}``
and each answer one line of JSON, ``{"counts": [[...], ...]}``, ``{"too_deep": [pair index, role,
depth]}`` (a tree too deep to render, see :mod:`.depth`) or ``{"error": "..."}``.
The worker keeps the analyses of the strings it has seen (bounded), so a long-lived worker
scores repeated strings (the references of a validation set, say) once; with ``"cache"`` it
also reads and writes the reference cache of :mod:`.refcache` in that folder.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Analyses kept in memory per option set before the memo is cleared.
MEMO_MAX_STRINGS = 20000


def handle(
    request: dict[str, Any], memos: dict[tuple[str, bool], dict]
) -> tuple[list[tuple[int, int, int, int]], Callable[[], None] | None]:
    """Structural counts for one request (see the module doc), and the cache write to do after answering."""
    from fusionbench.metrics.codebleu import refcache
    from fusionbench.metrics.codebleu.depth import MAX_TREE_DEPTH
    from fusionbench.metrics.codebleu.detok import detokenize
    from fusionbench.metrics.codebleu.parse import parse
    from fusionbench.metrics.codebleu.structure import structural_counts

    pairs = [(ref, cand) for ref, cand in request["pairs"]]
    parents, detok = request["parents"], bool(request["detokenize"])
    memo = memos.setdefault((parents, detok), {})
    if len(memo) > MEMO_MAX_STRINGS:
        memo.clear()
    references = list(dict.fromkeys(ref for ref, _ in pairs))
    where = Path(request["cache"]) if request.get("cache") else None  # the caller's, at call time
    known = None
    missing = not all(ref in memo for ref in references)
    if where is not None and missing:
        known = refcache.load(references, parents, detok, where)
    counts = structural_counts(pairs, parse, parents=parents, transform=detokenize if detok else None,
                               memo=memo, known=known, max_depth=MAX_TREE_DEPTH)
    if where is not None and missing and known is None:
        analyses = [memo[ref] for ref in references]
        return counts, lambda: refcache.store(references, analyses, parents, detok, where)
    return counts, None


def main() -> None:
    from fusionbench.metrics.codebleu.structure import TreeTooDeep

    memos: dict[tuple[str, bool], dict] = {}
    out = sys.stdout
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        later = None
        try:
            counts, later = handle(json.loads(line.decode("utf-8")), memos)
            answer: dict[str, Any] = {"counts": counts}
        except TreeTooDeep as exc:
            answer = {"too_deep": [exc.index, exc.role, exc.depth]}
        except Exception as exc:  # noqa: BLE001 - reported to the caller, who raises
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(answer) + "\n")
        out.flush()
        if later is not None:  # the cache write overlaps with the caller's remaining work
            later()


if __name__ == "__main__":
    main()
