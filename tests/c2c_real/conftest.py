"""Real-data C2C tests: the AVATAR mirror (``../shared/data/avatar-a246ee5`` next to the checkout,
as in CI, or ``$FUSIONBENCH_AVATAR_MIRROR``) and, for execution, bubblewrap."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fusionbench.isolation.sandbox import bwrap_path

REPO = Path(__file__).resolve().parents[2]
MIRROR = Path(os.environ.get("FUSIONBENCH_AVATAR_MIRROR") or REPO.parent / "shared/data/avatar-a246ee5")
GRAMMAR_2021 = Path(os.environ.get("FUSIONBENCH_LEGACY_GRAMMAR")
                    or REPO.parent / "shared/data/fusionbrain-2021/my-languages.so")

needs_mirror = pytest.mark.skipif(not (MIRROR / "transcoder_test_gfg").is_dir(),
                                  reason=f"the AVATAR mirror is not at {MIRROR} (set FUSIONBENCH_AVATAR_MIRROR)")
needs_bwrap = pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap is not installed (CI installs it)")


def gfg_split(split: str = "test") -> dict[str, tuple[str, str]]:
    """GfG id to (java, python) of one split of the mirror."""
    stem = {"test": "test", "validation": "valid"}[split]
    parts = [(MIRROR / f"transcoder_test_gfg/{stem}.java-python.{p}").read_text(encoding="utf-8").splitlines()
             for p in ("id", "java", "python")]
    return {i: (j, p) for i, j, p in zip(*parts)}
