"""Data: ``datasets`` builders for the four FusionBrain tasks (imported lazily)."""

from __future__ import annotations

import os
from typing import Any

from fusionbench.errors import FusionBenchError
from fusionbench.tasks import get_task

__all__ = ["load_dataset"]


def _builder_class(config: str) -> Any:
    try:
        import datasets  # noqa: F401
    except ImportError:
        raise FusionBenchError("fusionbench.load_dataset needs the 'datasets' package: pip install datasets pillow") from None
    name = get_task(config).name
    if name == "HTR":
        from fusionbench.data.builders.htr import HTRBuilder as builder
    elif name == "zsOD":
        from fusionbench.data.builders.zsod import ZsODBuilder as builder
    elif name == "VQA":
        from fusionbench.data.builders.vqa import VQABuilder as builder
    else:
        from fusionbench.data.builders.c2c import C2CBuilder as builder
    return builder


def load_dataset(
    config: str,
    split: str | None = None,
    *,
    source: str = "sample",
    data_dir: str | os.PathLike[str] | None = None,
    streaming: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Any:
    """Load one task as Hugging Face ``datasets`` objects.

    Args:
        config: ``htr``, ``zsod``, ``vqa`` or ``c2c`` (official names work too).
        split: a split name, or ``None`` for all splits (a ``DatasetDict``).
        source: ``"sample"`` (the shipped benchmark), ``"data_dir"``, or a public source:
            ``"fusionbrain"`` (the organisers' files), ``"avatar"``, ``"transcoder_gfg"`` (C2C:
            TransCoder's GfG test/validation pairs, with ``has_test``), ``"avatar_g4g"`` (C2C:
            AVATAR-g4g train/validation/test, pinned and sha256-checked), ``"visual_genome"``,
            ``"vqa_v2"``, ``"school_notebooks"``.
        data_dir: with the sample source, a folder in the challenge layout (``input/`` plus
            ``answers/true_<TASK>.json``, or the true files beside ``input/``; see
            :func:`fusionbench.data.challenge.locate_split`) that becomes the ``test`` split; with
            a public source, a local mirror of its files (looked up by original file name before
            downloading).
        streaming: return an ``IterableDataset`` (no cache is written).
        cache_dir: where ``datasets`` keeps prepared data.

    Raises:
        FusionBenchError: invalid source or data (naming the file and the item), a split the data
            does not have, or a public source without the ``sources`` extra.
    """
    if data_dir is not None:
        if source == "sample":
            source = "data_dir"  # a challenge-layout folder; other sources read it as a local mirror
        data_dir = os.fspath(data_dir)
        if not os.path.isdir(data_dir):
            raise FusionBenchError(f"data_dir not found: {data_dir}")
    builder_class = _builder_class(config)
    builder = builder_class(
        cache_dir=None if cache_dir is None else os.fspath(cache_dir),
        dataset_name="fusionbench",
        config_name=f"{get_task(config).config}-{source}",
        source=source,
        data_dir=data_dir,
        fingerprint=_fingerprint(source, data_dir),
    )
    if streaming:
        return builder.as_streaming_dataset(split=split)
    try:
        builder.download_and_prepare()
    except Exception as exc:  # datasets wraps generator errors; surface ours unwrapped
        cause = exc
        while cause is not None and not isinstance(cause, FusionBenchError):
            cause = cause.__cause__ or cause.__context__
        if cause is not None:
            raise cause from None
        raise
    _check_split(builder, split, config, source)
    return builder.as_dataset(split=split)


def _fingerprint(source: str, data_dir: str | None) -> str | None:
    """The part of the ``datasets`` cache key that says which files the prepared data points at."""
    from fusionbench.data.builders.base import directory_fingerprint

    if data_dir:
        return directory_fingerprint(data_dir)
    if source == "sample":
        from fusionbench.data.sample_source import location_fingerprint

        return location_fingerprint()
    return None


def _check_split(builder: Any, split: str | None, config: str, source: str) -> None:
    """One clear error for a split the prepared data does not have (``datasets`` raises a long
    traceback); slices such as ``test[:10]`` are checked by their split name."""
    if split is None:
        return
    available = list(builder.info.splits or {})
    names = [part.split("[", 1)[0].strip() for part in str(split).split("+")]
    unknown = [name for name in names if name not in available]
    if unknown and available:
        raise FusionBenchError(
            f"no split {unknown[0]!r} in {get_task(config).config} (source {source!r}); "
            f"expected one of {', '.join(available)}"
        )
