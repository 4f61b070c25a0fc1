"""Export the data as a stock Hugging Face dataset: Parquet shards per config and split plus a card.

The folder that :func:`export_hub` writes loads with plain ``datasets.load_dataset(OUT_DIR,
"zsod")``: the card's ``configs:`` YAML maps each config to its Parquet files.  Images are
embedded as bytes (never as paths of this machine), so the folder can be pushed to the Hub as is.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fusionbench.tasks import TASK_ORDER, get_task

__all__ = ["export_hub", "push_to_hub"]

_LICENSE_NOTE = (
    "Each config keeps the licence of its source; see the per-config dataset cards in fusionbench's "
    "`dataset_cards/` folder."
)


def _embed_images(dataset: Any) -> Any:
    """Replace image paths by their bytes so the Parquet files are self-contained."""
    import datasets

    if "image" not in dataset.features:
        return dataset
    raw = dataset.cast_column("image", datasets.Image(decode=False))

    def embed(example: dict[str, Any]) -> dict[str, Any]:
        image = example["image"]
        if image.get("bytes") is None and image.get("path"):
            image = {"bytes": Path(image["path"]).read_bytes(), "path": Path(image["path"]).name}
        return {"image": image}

    return raw.map(embed, desc="embedding images").cast_column("image", datasets.Image())


def _card(configs: dict[str, list[str]]) -> str:
    lines = ["---", "language:", "- en", "- ru", "pretty_name: FusionBrain (fusionbench export)", "configs:"]
    for config, splits in configs.items():
        lines += [f"- config_name: {config}", "  data_files:"]
        for split in splits:
            lines += [f"  - split: {split}", f"    path: {config}/{split}-*.parquet"]
    lines += ["---", "", "# FusionBrain data exported by fusionbench", "",
              "Load a config with `datasets.load_dataset(PATH, CONFIG)`, CONFIG one of "
              + ", ".join(f"`{c}`" for c in configs) + ".", "", _LICENSE_NOTE, ""]
    return "\n".join(lines)


def export_hub(
    out_dir: str | os.PathLike[str],
    *,
    configs: Iterable[str] | None = None,
    source: str = "sample",
    data_dir: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Write Parquet shards and a README card for ``configs`` into ``out_dir`` (atomically).

    Args:
        out_dir: the folder to create (it must not exist yet).
        configs: config names (default: all four).
        source, data_dir, cache_dir: passed to :func:`fusionbench.load_dataset`.

    Returns:
        The written folder.
    """
    from fusionbench.data import load_dataset
    from fusionbench.errors import FusionBenchError

    target = Path(out_dir)
    if target.exists():
        raise FusionBenchError("the export folder already exists; choose a new one", file=str(target))
    names = [get_task(c).config for c in (configs or [get_task(t).config for t in TASK_ORDER])]
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        written: dict[str, list[str]] = {}
        for config in names:
            splits = load_dataset(config, source=source, data_dir=data_dir, cache_dir=cache_dir)
            (staging / config).mkdir()
            for split, dataset in splits.items():
                _embed_images(dataset).to_parquet(str(staging / config / f"{split}-00000-of-00001.parquet"))
            written[config] = list(splits)
        (staging / "README.md").write_text(_card(written), encoding="utf-8")
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def push_to_hub(folder: str | os.PathLike[str], repo_id: str, *, private: bool = True) -> str:
    """Upload an exported folder to the Hugging Face Hub as a dataset repository; returns its URL."""
    from huggingface_hub import HfApi

    api = HfApi()
    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="dataset")
    return f"https://huggingface.co/datasets/{repo_id}"
