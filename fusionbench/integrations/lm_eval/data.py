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


def build_rows(task: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The rows of one task (official or config name) for the data the metadata or environment names."""
    data, split = data_location(metadata or {})
    return [dict(row) for row in _rows(get_task(task).name, data, split)]


def load_split(task: str, metadata: dict[str, Any] | None = None) -> Any:
    """A ``datasets.DatasetDict`` with one ``test`` split of :func:`build_rows` (lm-eval's ``custom_dataset``)."""
    import datasets

    return datasets.DatasetDict({"test": datasets.Dataset.from_list(build_rows(task, metadata))})


def load_image(row: dict[str, Any]) -> list[Any]:
    """The row's image as a one-element list of RGB PIL images (lm-eval's ``doc_to_image``)."""
    from PIL import Image

    with Image.open(row["image"]) as opened:
        return [opened.convert("RGB")]
