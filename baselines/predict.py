"""Write the four official ``prediction_<TASK>.json`` files from a trained model.

Inputs are either a split of a ``fusionbench`` dataset (``predict_split``) or a challenge
``input/`` directory (``predict_input``: ``HTR/images``, ``zsOD/images`` + ``requests.json``,
``VQA/images`` + ``questions.json``, ``C2C/requests.json``).  Every file is validated with
:func:`fusionbench.formats.validate` before it is written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fusionbench.baselines.data import check_source, htr_canvas, load_rows, open_image, source_tasks, square_image
from fusionbench.baselines.heads.zsod import zsod_prompt
from fusionbench.baselines.model import TASKS, FusionModel
from fusionbench.formats import validate
from fusionbench.tasks import get_task

__all__ = ["predict_rows", "reference_object", "input_rows", "predict_split", "predict_input", "write_predictions"]


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _device(model: FusionModel) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def predict_rows(model: FusionModel, task: str, rows: Sequence[dict[str, Any]], *, batch_size: int = 32,
                 beams: int = 1, threshold: float = 0.5) -> dict[str, Any]:
    """The official prediction object of ``task`` for ``rows`` (dataset rows or :func:`input_rows`).

    Args:
        beams: C2C beam width (1: greedy).
        threshold: zsOD score threshold.
    """
    was_training = model.training
    model.eval()
    device = _device(model)
    config, tok = model.config, model.tokenizer
    out: dict[str, Any] = {}
    try:
        if task == "c2c":
            for chunk in _chunks(rows, batch_size):
                for r, python in zip(chunk, model.heads["c2c"].translate(model, [r["java"] for r in chunk], beams)):
                    out[r["id"]] = python
        elif task == "htr":
            for chunk in _chunks(rows, batch_size):
                images = torch.from_numpy(np.stack([htr_canvas(r["image"], config) for r in chunk])).to(device)
                for r, text in zip(chunk, model.heads["htr"].recognise(model, images)):
                    out[r["id"]] = text
        elif task == "vqa":
            for chunk in _chunks(rows, batch_size):
                images = torch.from_numpy(np.stack([square_image(r["image"], config.image_size) for r in chunk]))
                answers = model.heads["vqa"].answer(model, images.to(device), [r["question"] for r in chunk])
                for r, answer in zip(chunk, answers):
                    out[r["id"]] = answer
        elif task == "zsod":
            for r in rows:
                texts = [d["text"] if isinstance(d, dict) else d for d in r["descriptions"]]
                out[r["image_id"]] = {}
                if not texts:
                    continue
                image = torch.from_numpy(square_image(r["image"], config.image_size))[None].to(device)
                for chunk in _chunks(texts, batch_size):
                    seqs = [tok.encode(zsod_prompt(t, config.architecture)) for t in chunk]
                    length = max(len(s) for s in seqs)
                    ids = torch.full((len(seqs), length), tok.pad_id, dtype=torch.long, device=device)
                    mask = torch.zeros_like(ids)
                    for i, s in enumerate(seqs):
                        ids[i, :len(s)] = torch.tensor(s)
                        mask[i, :len(s)] = 1
                    boxes = model.heads["zsod"].detect(model, image.expand(len(seqs), -1, -1, -1), ids, mask,
                                                       [(r["width"], r["height"])] * len(seqs), threshold)
                    out[r["image_id"]].update(zip(chunk, boxes))
        else:
            raise ValueError(f"unknown task {task!r}")
    finally:
        model.train(was_training)
    return validate(task, out, "prediction")


def reference_object(task: str, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The official reference object (``true_<TASK>.json``) of dataset rows."""
    if task == "c2c":
        return {r["id"]: r["python"] for r in rows}
    if task == "htr":
        return {r["id"]: r["text"] for r in rows}
    if task == "vqa":
        return {r["id"]: {"answer": list(r["answers"]), "question_id": r["question_id"], "lang": r["language"]}
                for r in rows}
    return {r["image_id"]: {d["text"]: [list(b) for b in d["boxes"]] for d in r["descriptions"]} for r in rows}


def input_rows(input_dir: str | os.PathLike[str], task: str) -> list[dict[str, Any]] | None:
    """Rows of ``task`` read from a challenge ``input/`` directory (``None`` when the task is absent)."""
    root = Path(input_dir)
    name = get_task(task).name

    def read(path: Path) -> Any:
        return json.loads(path.read_text(encoding="utf-8"))

    if task == "htr":
        images = root / name / "images"
        return [{"id": p.name, "image": str(p)} for p in sorted(images.iterdir()) if p.is_file()] \
            if images.is_dir() else None
    if task == "c2c":
        path = root / name / "requests.json"
        return [{"id": k, "java": v} for k, v in read(path).items()] if path.is_file() else None
    if task == "vqa":
        path = root / name / "questions.json"
        if not path.is_file():
            return None
        return [{"id": k, "question": q["question"], "image": str(root / name / "images" / q["file_name"])}
                for k, q in read(path).items()]
    path = root / name / "requests.json"
    if not path.is_file():
        return None
    rows = []
    for image, descriptions in read(path).items():
        file = root / name / "images" / image
        width, height = open_image(str(file)).size
        rows.append({"image_id": image, "image": str(file), "width": width, "height": height,
                     "descriptions": list(descriptions)})
    return rows


def write_predictions(predictions: dict[str, dict[str, Any]], out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write ``prediction_<TASK>.json`` files (keys: config or official task names)."""
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for task, value in predictions.items():
        path = target / f"prediction_{get_task(task).name}.json"
        path.write_text(json.dumps(validate(task, value, "prediction"), ensure_ascii=False), encoding="utf-8")
        written.append(path)
    return written


def predict_split(model: FusionModel, split: str, out_dir: str | os.PathLike[str], *, source: str = "sample",
                  tasks: Sequence[str] | None = None, data_dir: str | None = None, **options: Any) -> list[Path]:
    """Predict every task of a dataset split and write the official files.

    Args:
        tasks: config names; ``None``: every task ``source`` serves (only ``c2c`` for
            ``transcoder_gfg``, ``avatar_g4g`` or ``avatar``).
        data_dir: local folder of the source (see :func:`fusionbench.load_dataset`).
    """
    tasks = source_tasks(source) if tasks is None else tuple(tasks)
    check_source(source, tasks)
    return write_predictions({t: predict_rows(model, t, load_rows(t, split, source, data_dir), **options)
                              for t in tasks}, out_dir)


def predict_input(model: FusionModel, input_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                  **options: Any) -> list[Path]:
    """Predict every task present in a challenge ``input/`` directory and write the official files."""
    predictions = {}
    for task in TASKS:
        rows = input_rows(input_dir, task)
        if rows is not None:
            predictions[task] = predict_rows(model, task, rows, **options)
    return write_predictions(predictions, out_dir)
