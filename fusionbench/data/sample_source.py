"""Where the sample benchmark's splits live: frozen in the package, or generated into the cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from fusionbench.cache import cache_root
from fusionbench.jsonio import make_staging_dir

__all__ = ["frozen_split", "location_fingerprint", "train_split"]

FROZEN = Path(__file__).with_name("sample_data")


def frozen_split(split: str) -> Path:
    """The shipped ``validation`` or ``test`` split (challenge layout)."""
    return FROZEN / split


def _train_root(seed: int) -> Path:
    from fusionbench.data.sample import GENERATOR_VERSION

    return cache_root() / f"sample-v{GENERATOR_VERSION}-seed{seed}"


def location_fingerprint(seed: int = 2021) -> str:
    """Where the sample's files are, for the ``datasets`` cache key.

    The prepared ``datasets`` cache refers to the image files by path.  A cache prepared from
    another installation (a clone since moved or deleted, another virtual environment) must not
    be reused: its paths may no longer exist.  The frozen splits' folder and the train split's
    folder are therefore part of the key.
    """
    return f"{FROZEN.resolve()}|{_train_root(seed).resolve()}"


def train_split(seed: int = 2021) -> Path:
    """The train split, generated on first use into the cache (atomically: temp folder, rename)."""
    from fusionbench.data.sample import generate

    target = _train_root(seed) / "train"
    if (target / "meta.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = make_staging_dir(".train-", target.parent)
    try:
        generate("train", staging, seed=seed)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
