"""Export the data as a stock Hugging Face dataset: Parquet shards per config and split plus a card.

The folder that :func:`export_hub` writes loads with plain ``datasets.load_dataset(OUT_DIR,
"zsod")``: the card's ``configs:`` YAML maps each config to its Parquet files.  Images are
embedded as bytes (never as paths of this machine), so the folder can be pushed to the Hub as is.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fusionbench.data.challenge import ANSWERS, write_layout_json
from fusionbench.jsonio import make_staging_dir
from fusionbench.tasks import TASK_ORDER, get_task

__all__ = ["export_challenge", "export_hub", "push_to_hub"]

_LICENSE_NOTE = ("Each config keeps the licence of its source (listed per config below); fusionbench's own "
                 "code is MIT.")


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


#: The per-config dataset cards, shipped as package data (the one copy; see pyproject.toml).
CARDS = Path(__file__).resolve().parent / "dataset_cards"


def _card_parts(config: str) -> tuple[list[str], str]:
    """The licences (the YAML ``license:`` list) and the body (headings one level down) of a card."""
    card = CARDS / f"{config}.md"
    if not card.is_file():
        return [], ""
    text = card.read_text(encoding="utf-8")
    licences: list[str] = []
    if text.startswith("---"):
        _, header, text = text.split("---", 2)
        in_licence = False
        for line in header.splitlines():
            if line.startswith("license:"):
                in_licence = True
                inline = line.partition(":")[2].strip()
                if inline:
                    licences.append(inline)
            elif in_licence and line.startswith("- "):
                licences.append(line[2:].strip())
            elif line and not line.startswith(" "):
                in_licence = False
    body = "\n".join("#" + line if line.startswith("#") else line for line in text.strip().splitlines())
    return licences, body


def _card(configs: dict[str, list[str]]) -> str:
    parts = {config: _card_parts(config) for config in configs}
    licences = sorted({name for names, _ in parts.values() for name in names})
    lines = ["---", "language:", "- en", "- ru"]
    if licences:
        lines += ["license:", *(f"- {name}" for name in licences)]
    lines += ["pretty_name: FusionBrain (fusionbench export)", "configs:"]
    for config, splits in configs.items():
        lines += [f"- config_name: {config}", "  data_files:"]
        for split in splits:
            lines += [f"  - split: {split}", f"    path: {config}/{split}-*.parquet"]
    lines += ["---", "", "# FusionBrain data exported by fusionbench", "",
              "Load a config with `datasets.load_dataset(PATH, CONFIG)`, CONFIG one of "
              + ", ".join(f"`{c}`" for c in configs) + ".", "", _LICENSE_NOTE, ""]
    for config, (names, _) in parts.items():
        lines.append(f"- `{config}`: " + (", ".join(names) if names else "see the source's own terms"))
    lines.append("")
    for config, (_, body) in parts.items():
        if body:
            lines += [body, ""]
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
    staging = make_staging_dir(f".{target.name}-", target.parent)
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


def _image_bytes(value: dict[str, Any]) -> bytes:
    return value["bytes"] if value.get("bytes") is not None else Path(value["path"]).read_bytes()


def _export_task(task: str, rows: Any, inputs: Path, answers: Path) -> None:
    import datasets

    if "image" in rows.features:
        rows = rows.cast_column("image", datasets.Image(decode=False))
    if task == "HTR":
        truth = {}
        for row in rows:
            target = inputs / "HTR" / "images" / row["id"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_image_bytes(row["image"]))
            truth[row["id"]] = row["text"]
        write_layout_json(answers / "true_HTR.json", truth)
    elif task == "zsOD":
        requests, truth = {}, {}
        for row in rows:
            target = inputs / "zsOD" / "images" / row["image_id"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_image_bytes(row["image"]))
            requests[row["image_id"]] = [d["text"] for d in row["descriptions"]]
            truth[row["image_id"]] = {d["text"]: [[_number(v) for v in box] for box in d["boxes"]]
                                      for d in row["descriptions"]}
        write_layout_json(inputs / "zsOD" / "requests.json", requests)
        write_layout_json(answers / "true_zsOD.json", truth)
    elif task == "VQA":
        questions, truth = {}, {}
        for row in rows:
            name = Path(row["image"].get("path") or f"{row['image_id']}.jpg").name
            target = inputs / "VQA" / "images" / name
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(_image_bytes(row["image"]))
            questions[row["id"]] = {"file_name": name, "question": row["question"]}
            truth[row["id"]] = {"answer": row["answers"], "question_id": row["question_id"], "lang": row["language"]}
        write_layout_json(inputs / "VQA" / "questions.json", questions)
        write_layout_json(answers / "true_VQA.json", truth)
    else:
        write_layout_json(inputs / "C2C" / "requests.json", {row["id"]: row["java"] for row in rows})
        write_layout_json(answers / "true_C2C.json", {row["id"]: row["python"] for row in rows})


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def export_challenge(
    out_dir: str | os.PathLike[str],
    *,
    split: str = "test",
    tasks: Iterable[str] | None = None,
    source: str = "sample",
    data_dir: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Write a split in the challenge layout: ``OUT/input/`` (what a submission sees, no answers)
    and ``OUT/answers/true_<TASK>.json`` kept apart, so ``input/`` can be handed over alone.

    Every command that takes a data folder reads it back (:func:`fusionbench.data.challenge.locate_split`);
    images are copied byte for byte.
    """
    from fusionbench.data import load_dataset
    from fusionbench.errors import FusionBenchError

    target = Path(out_dir)
    if target.exists():
        raise FusionBenchError("the export folder already exists; choose a new one", file=str(target))
    names = [get_task(t).name for t in (tasks or TASK_ORDER)]
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = make_staging_dir(f".{target.name}-", target.parent)
    try:
        for task in names:
            rows = load_dataset(task, split, source=source, data_dir=data_dir, cache_dir=cache_dir)
            _export_task(task, rows, staging / "input", staging / ANSWERS)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
