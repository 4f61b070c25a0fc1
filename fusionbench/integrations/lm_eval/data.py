"""The rows the task pack feeds lm-eval: one row per model call, built from a challenge-layout split.

By default the shipped sample benchmark's ``test`` split (offline).  Any other split in the
challenge layout (``input/`` plus ``true_<TASK>.json``, as ``fusionbench export challenge`` writes
it from every source, or hidden test data) is chosen with lm-eval's
``--metadata '{"data": "DIR", "split": "test"}'`` or the environment variables
``FUSIONBENCH_LMEVAL_DATA`` and ``FUSIONBENCH_LMEVAL_SPLIT`` (metadata wins).

Rows follow the order of the reference file (for zsOD: image by image, description by
description), so that aggregating them gives the official item order.  A row carries its
reference as JSON text (``reference``), the data location and split (so that ``fusionbench
import lm-eval`` can find the references again), and the image as a path, not pixels, so that
lm-eval's sample logs stay small; :func:`load_image` opens it when the model asks.

Any source of ``fusionbench.load_dataset`` works too: ``--metadata '{"source": "avatar",
"source_dir": "MIRROR", "split": "test"}'`` (or ``FUSIONBENCH_LMEVAL_SOURCE`` and
``FUSIONBENCH_LMEVAL_SOURCE_DIR``) loads the split once, writes it in the challenge layout under
fusionbench's cache (:func:`materialise`) and reads the rows from there, so that the references
stay on disk for ``import``, ``verify`` and ``compare``.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from fusionbench.errors import MissingFileError
from fusionbench.tasks import get_task

__all__ = ["DATA_ENV", "SPLIT_ENV", "build_rows", "data_location", "load_image", "load_split"]

DATA_ENV = "FUSIONBENCH_LMEVAL_DATA"
SPLIT_ENV = "FUSIONBENCH_LMEVAL_SPLIT"
SOURCE_ENV = "FUSIONBENCH_LMEVAL_SOURCE"
SOURCE_DIR_ENV = "FUSIONBENCH_LMEVAL_SOURCE_DIR"


def data_location(metadata: dict[str, Any]) -> tuple[str, str]:
    """(data, split) from the task metadata, else the environment, else the sample test split."""
    data = metadata.get("data") or os.environ.get(DATA_ENV) or "sample"
    split = metadata.get("split") or os.environ.get(SPLIT_ENV) or "test"
    return str(data), str(split)


@lru_cache(maxsize=16)
def _rows(task: str, data: str, split: str) -> tuple[dict[str, Any], ...]:
    from fusionbench.formats import read_task_file
    from fusionbench.harness.datasource import resolve_data
    from fusionbench.jsonio import read_json_object

    source = resolve_data(data, split)
    if task not in source.tasks():
        raise MissingFileError(f"the data has no reference file for {task}", file=str(source.references),
                               expected=f"true_{task}.json")
    _, references = read_task_file(source.references, task, "reference")
    inputs = source.inputs / task
    location = source.location
    common = {"task": task, "data": location, "split": split}
    rows: list[dict[str, Any]] = []
    if task == "C2C":
        requests = read_json_object(inputs / "requests.json")
        for index, (key, reference) in enumerate(references.items()):
            if key not in requests:
                raise MissingFileError(f"C2C: no Java request for reference item {key!r}", file=str(inputs / "requests.json"))
            rows.append({**common, "index": index, "key": key, "description": "", "language": "python",
                         "java": requests[key], "reference": json.dumps(reference, ensure_ascii=False)})
    elif task == "HTR":
        from fusionbench.metrics.htr import htr_language

        for index, (key, reference) in enumerate(references.items()):
            rows.append({**common, "index": index, "key": key, "description": "", "language": htr_language(reference),
                         "image": _image(inputs, key), "reference": json.dumps(reference, ensure_ascii=False)})
    elif task == "VQA":
        questions = read_json_object(inputs / "questions.json")
        for index, (key, reference) in enumerate(references.items()):
            if key not in questions:
                raise MissingFileError(f"VQA: no question for reference item {key!r}", file=str(inputs / "questions.json"))
            question = questions[key]
            rows.append({**common, "index": index, "key": key, "description": "", "language": reference["lang"],
                         "image": _image(inputs, question["file_name"]), "question": question["question"],
                         "reference": json.dumps(reference, ensure_ascii=False)})
    else:
        from PIL import Image

        from fusionbench.metrics.zsod import description_language

        index = 0
        for image, descriptions in references.items():
            path = _image(inputs, image)
            with Image.open(path) as opened:
                width, height = opened.size
            for description, boxes in descriptions.items():
                rows.append({**common, "index": index, "key": image, "description": description,
                             "language": description_language(description), "image": path, "width": width,
                             "height": height, "reference": json.dumps(boxes)})
                index += 1
    return tuple(rows)


def _image(inputs: Path, name: str) -> str:
    path = inputs / "images" / name
    if not path.is_file():
        raise MissingFileError("image missing from the split's inputs", file=str(path))
    return str(path)


def materialise(source: str, source_dir: str | None, split: str, task: str) -> Path:
    """A ``fusionbench.load_dataset`` split written once in the challenge layout under the cache.

    One folder per (source, folder, split) holds every task asked for so far; each task is
    written into a staging folder and moved into place, so a broken source leaves nothing behind.
    """
    import hashlib
    import shutil
    import tempfile

    from fusionbench.cache import cache_root
    from fusionbench.data import load_dataset
    from fusionbench.data.export import _export_task

    where = str(Path(source_dir).resolve()) if source_dir else ""
    digest = hashlib.sha256(f"{source}\0{where}\0{split}".encode()).hexdigest()[:12]
    root = cache_root() / "lm-eval" / f"{source}-{split}-{digest}"
    if (root / "answers" / f"true_{task}.json").is_file() and (root / "input" / task).is_dir():
        return root
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
    try:
        rows = load_dataset(task, split, source=source, data_dir=source_dir or None)
        _export_task(task, rows, staging / "input", staging / "answers")
        (root / "input").mkdir(exist_ok=True)
        (root / "answers").mkdir(exist_ok=True)
        if (root / "input" / task).exists():
            shutil.rmtree(root / "input" / task)
        os.replace(staging / "input" / task, root / "input" / task)
        os.replace(staging / "answers" / f"true_{task}.json", root / "answers" / f"true_{task}.json")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return root


def build_rows(task: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The rows of one task (official or config name) for the data the metadata or environment names."""
    metadata = metadata or {}
    name = get_task(task).name
    data, split = data_location(metadata)
    source = metadata.get("source") or os.environ.get(SOURCE_ENV)
    if source and not metadata.get("data"):
        source_dir = metadata.get("source_dir") or os.environ.get(SOURCE_DIR_ENV)
        data = str(materialise(str(source), source_dir, split, name))
    return [dict(row) for row in _rows(name, data, split)]


def load_split(task: str, metadata: dict[str, Any] | None = None) -> Any:
    """A ``datasets.DatasetDict`` with one ``test`` split of :func:`build_rows` (lm-eval's ``custom_dataset``)."""
    import datasets

    return datasets.DatasetDict({"test": datasets.Dataset.from_list(build_rows(task, metadata))})


def load_image(row: dict[str, Any]) -> list[Any]:
    """The row's image as a one-element list of RGB PIL images (lm-eval's ``doc_to_image``)."""
    from PIL import Image

    with Image.open(row["image"]) as opened:
        return [opened.convert("RGB")]
