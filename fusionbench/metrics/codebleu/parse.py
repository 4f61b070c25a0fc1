"""The pinned tree-sitter runtime and Python grammar used by CodeBLEU's structural components.

AVATAR token strings are full of parse errors, so the trees (and the syntax and data-flow
scores) depend on both the grammar and the runtime version.  fusionbench therefore pins both
exactly and names them in every C2C signature.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fusionbench.errors import FusionBenchError

__all__ = ["GRAMMAR", "GRAMMAR_VERSION", "RUNTIME", "RUNTIME_VERSION", "check_versions", "get_parser", "parse"]

RUNTIME_VERSION = "0.25.2"
GRAMMAR_VERSION = "0.25.0"
RUNTIME = f"tree-sitter-{RUNTIME_VERSION}"
GRAMMAR = f"tree-sitter-python-{GRAMMAR_VERSION}"


@lru_cache(maxsize=1)
def check_versions() -> None:
    """Refuse to score with other tree-sitter versions than the pinned ones (trees would differ)."""
    from importlib.metadata import PackageNotFoundError, version

    wanted = {"tree-sitter": RUNTIME_VERSION, "tree-sitter-python": GRAMMAR_VERSION}
    for name, pinned in wanted.items():
        try:
            found = version(name)
        except PackageNotFoundError:
            found = None
        if found != pinned:
            raise FusionBenchError(
                f"C2C needs {name}=={pinned} (found {found or 'none'}): parse trees, and so the syntax "
                f"and data-flow scores, differ between versions; run "
                f"pip install 'tree-sitter=={RUNTIME_VERSION}' 'tree-sitter-python=={GRAMMAR_VERSION}'"
            )


@lru_cache(maxsize=1)
def get_parser() -> Any:
    """A tree-sitter parser for the pinned Python grammar (one per process)."""
    check_versions()
    import tree_sitter
    import tree_sitter_python

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_python.language()))


def parse(code: str) -> Any:
    """Parse ``code`` as the official scripts do: its UTF-8 bytes, as they are."""
    return get_parser().parse(code.encode("utf-8"))
