"""Where fusionbench keeps what it builds once (helper environments, generated sample splits)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_root"]


def cache_root() -> Path:
    """``$FUSIONBENCH_CACHE``, else ``$XDG_CACHE_HOME/fusionbench``, else ``~/.cache/fusionbench``."""
    if os.environ.get("FUSIONBENCH_CACHE"):
        return Path(os.environ["FUSIONBENCH_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fusionbench"
