"""Runs inside the legacy helper environment (py-tree-sitter 0.2.0); it never imports fusionbench.

Reads ``{"grammar", "pairs", "parents", "detokenize"}`` as JSON on stdin, parses with the old
compiled grammar, computes the structural counts with fusionbench's own ``structure``,
``syntax``, ``dataflow`` and ``detok`` modules (imported from this file's folder), and writes
them as JSON on stdout.  It is started with ``PYTHONHASHSEED=0``.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from tree_sitter import Language, Parser  # noqa: E402 - py-tree-sitter 0.2.0

from detok import detokenize  # noqa: E402
from structure import structural_counts  # noqa: E402


def main() -> None:
    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    parser = Parser()
    parser.set_language(Language(request["grammar"], "python"))
    counts = structural_counts(
        [tuple(p) for p in request["pairs"]],
        lambda code: parser.parse(code.encode("utf-8")),
        sexp=lambda node: node.sexp(),
        parents=request["parents"],
        transform=detokenize if request["detokenize"] else None,
    )
    sys.stdout.write(json.dumps(counts))


if __name__ == "__main__":
    main()
