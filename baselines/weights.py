"""Finding pretrained GPT-2 weights offline, with one clear error when they are missing."""

from __future__ import annotations

import os
from pathlib import Path

from fusionbench.errors import FusionBenchError

__all__ = ["WeightsNotFoundError", "ENV_VAR", "resolve_pretrained", "load_pretrained"]

#: Environment variable naming a local directory with GPT-2 weights and tokenizer files.
ENV_VAR = "FUSIONBENCH_GPT2_DIR"


class WeightsNotFoundError(FusionBenchError):
    """Pretrained weights were asked for but cannot be found locally."""


def resolve_pretrained(name: str, weights: str | os.PathLike[str] | None = None) -> str:
    """The directory or Hub id to load ``name`` from: ``weights``, then ``$FUSIONBENCH_GPT2_DIR``, then ``name``."""
    for candidate in (weights, os.environ.get(ENV_VAR)):
        if candidate:
            if not Path(candidate).is_dir():
                raise WeightsNotFoundError(f"GPT-2 weights directory not found: {candidate} (given by --weights or {ENV_VAR})")
            return str(candidate)
    return name


def load_pretrained(loader, name: str, weights: str | os.PathLike[str] | None = None, **kwargs):
    """``loader.from_pretrained`` for ``name``, turning every "cannot download" into one clear error.

    Args:
        loader: a transformers class with ``from_pretrained`` (``GPT2Model``, ``GPT2TokenizerFast``).
        name: the Hub id (``gpt2``, ``gpt2-medium``, ``gpt2-large``).
        weights: a local directory that overrides ``name`` (the CLI's ``--weights DIR``).

    Raises:
        WeightsNotFoundError: nothing usable locally and the Hub unreachable.
    """
    source = resolve_pretrained(name, weights)
    try:
        return loader.from_pretrained(source, **kwargs)
    except (OSError, ValueError) as exc:
        raise WeightsNotFoundError(
            f"cannot load pretrained {name!r} ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}). "
            f"Download it once elsewhere (e.g. `huggingface-cli download {name} --local-dir DIR`), then pass "
            f"--weights DIR or set {ENV_VAR}=DIR; or use the randomly initialised preset 'tiny'."
        ) from None
