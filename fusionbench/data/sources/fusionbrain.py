"""The organisers' public FusionBrain 2021 files.

Formats: ``htr/train.zip`` holds PNG word crops and ``train_labels.json`` {file: text};
``zsOD/vg_intersection_{eng,rus}.json`` maps Visual Genome images to {description: boxes};
``VQA/VQA_{eng,rus}.zip`` hold questions {k: {image_id, question}}, answers {k: {answer: [...]}}
and the images; the C2C file is JSON lines {java, python}; ``sample_data/{input,true}.zip`` are
a small split in the challenge layout.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fusionbench.data.challenge import image_size, script_language
from fusionbench.errors import FormatError, MissingFileError

__all__ = ["BASE_URL", "URLS", "htr_rows", "zsod_rows", "vqa_rows", "c2c_rows"]

BASE_URL = "https://dsworks.s3pd01.sbercloud.ru/aij2021/"
#: Files by config; checksums are not published by the organisers, so none are pinned.
URLS = {
    "htr": {"train": BASE_URL + "htr/train.zip"},
    "zsod": {"train_en": BASE_URL + "zsOD/vg_intersection_eng.json",
             "train_ru": BASE_URL + "zsOD/vg_intersection_rus.json"},
    "vqa": {"train_en": BASE_URL + "VQA/VQA_eng.zip", "train_ru": BASE_URL + "VQA/VQA_rus.zip"},
    "c2c": {"train": BASE_URL + "С2С_translation/CodeToCodeTranslation_train_java_python.jsonl"},
    "sample": {"input": BASE_URL + "sample_data/input.zip", "true": BASE_URL + "sample_data/true.zip"},
}


def _find(root: Path, name: str) -> Path:
    found = sorted(root.rglob(name))
    if not found:
        raise MissingFileError(f"no {name} in the extracted archive", file=str(root))
    return found[0]


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"not a valid JSON file ({exc})", file=str(path)) from None


def htr_rows(root: str | Path) -> Iterator[dict[str, Any]]:
    """Rows of the extracted ``htr/train.zip``: images beside ``train_labels.json`` or in ``images/``."""
    labels_path = _find(Path(root), "train_labels.json")
    labels = _load(labels_path)
    folder = labels_path.parent / "images" if (labels_path.parent / "images").is_dir() else labels_path.parent
    for name, text in labels.items():
        image = folder / name
        if not image.is_file():
            raise MissingFileError("labelled image is missing", file=str(image))
        yield {"id": name, "image": str(image), "text": text, "language": script_language(text)}


def zsod_rows(annotations: str | Path, images_dir: str | Path) -> Iterator[dict[str, Any]]:
    """Rows of a ``vg_intersection_*.json`` file; images come from Visual Genome (``images_dir``)."""
    data = _load(Path(annotations))
    for image, described in data.items():
        path = Path(images_dir) / image
        if not path.is_file():
            raise MissingFileError("Visual Genome image is missing (download VG 1.2 images into images_dir)",
                                   file=str(path))
        width, height = image_size(path)
        yield {"image_id": image, "image": str(path), "width": width, "height": height,
               "descriptions": [{"text": text, "language": script_language(text), "positive": bool(boxes),
                                 "boxes": [[float(v) for v in box] for box in boxes]}
                                for text, boxes in described.items()]}


def vqa_rows(root: str | Path, lang: str) -> Iterator[dict[str, Any]]:
    """Rows of an extracted ``VQA_{eng,rus}.zip``; answers are stored normalised for the metric."""
    from fusionbench.metrics.vqa_normalize import normalize_answer

    root = Path(root)
    questions = _load(_find(root, "questions.json"))
    answers = _load(_find(root, "answers.json"))
    images = _find(root, "images") if any(root.rglob("images")) else root
    for key, question in questions.items():
        if key not in answers:
            raise FormatError("question without an answer", file=str(root), found=repr(key))
        raw = answers[key]["answer"]
        raw = raw if isinstance(raw, list) else [raw]
        image_id = str(question["image_id"])
        image = next((p for p in (images / f"{image_id}.jpg", images / image_id) if p.is_file()), None)
        if image is None:
            raise MissingFileError("question image is missing", file=str(images / f"{image_id}.jpg"))
        yield {"id": key, "question_id": int(key) if key.isdigit() else -1, "image_id": image_id,
               "image": str(image), "question": question["question"],
               "answers": list(dict.fromkeys(normalize_answer(a, lang) for a in raw)), "language": lang}


def c2c_rows(path: str | Path) -> Iterator[dict[str, Any]]:
    """Rows of the organisers' JSON-lines translation file {java, python}."""
    with open(path, encoding="utf-8") as handle:
        for index, line in enumerate(handle):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise FormatError(f"line {index + 1} is not JSON ({exc.msg})", file=str(path)) from None
            yield {"id": str(index), "java": item["java"], "python": item["python"]}
