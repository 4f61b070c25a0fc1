"""Worker entry point: ``python -m fusionbench.metrics.codebleu.worker`` (started with PYTHONHASHSEED=0).

Reads ``{"pairs": [[reference, candidate], ...], "parents": ..., "detokenize": ...}`` as JSON on
stdin and writes the list of structural counts as JSON on stdout.
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    from fusionbench.metrics.codebleu.detok import detokenize
    from fusionbench.metrics.codebleu.parse import parse
    from fusionbench.metrics.codebleu.structure import structural_counts

    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    counts = structural_counts(
        [tuple(p) for p in request["pairs"]],
        parse,
        parents=request["parents"],
        transform=detokenize if request["detokenize"] else None,
    )
    sys.stdout.write(json.dumps(counts))


if __name__ == "__main__":
    main()
