"""From sample-benchmark rows to model mini-batches: image preprocessing, collation, streams.

Rows are the ``datasets`` examples of :func:`fusionbench.load_dataset` (or plain dicts with the
same fields; images may be PIL images or paths).  Preprocessed images are cached per item as
uint8 arrays so an epoch decodes each image once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from fusionbench.baselines.config import ModelConfig
from fusionbench.baselines.heads.c2c import c2c_source_ids
from fusionbench.baselines.heads.htr import encode_text
from fusionbench.baselines.heads.vqa import vqa_prefix_ids, vqa_prompt
from fusionbench.baselines.heads.zsod import zsod_prompt

__all__ = ["open_image", "load_rows", "source_tasks", "check_source",
           "htr_canvas", "square_image", "collate", "zsod_pairs", "TaskStream", "training_texts"]


def open_image(image: Any):
    """A PIL image from a PIL image, a path, or an undecoded ``datasets`` image (``{"bytes", "path"}``)."""
    import io

    from PIL import Image

    if hasattr(image, "convert"):
        return image
    if isinstance(image, dict):
        return Image.open(io.BytesIO(image["bytes"])) if image.get("bytes") else Image.open(image["path"])
    return Image.open(image)


#: Sources that serve all four tasks (the shipped sample, a challenge-layout folder).
_ALL_TASK_SOURCES = ("sample", "data_dir")
_TASKS = ("c2c", "htr", "vqa", "zsod")


def source_tasks(source: str) -> tuple[str, ...]:
    """Config names of the tasks that data ``source`` serves, e.g. ``("c2c",)`` for ``"avatar"``.

    A single-task source (``avatar``, ``avatar_g4g``, ``transcoder_gfg``, ...) can train and
    predict only its own task; the sample and ``fusionbrain`` serve all four.

    Raises:
        FusionBenchError: ``source`` is no source of any task.
    """
    from fusionbench.data.source_splits import SOURCES_BY_TASK
    from fusionbench.errors import FusionBenchError
    from fusionbench.tasks import get_task

    if source in _ALL_TASK_SOURCES:
        return _TASKS
    served = tuple(t for t in _TASKS if source in SOURCES_BY_TASK[get_task(t).name])
    if not served:
        known = sorted(set(_ALL_TASK_SOURCES).union(*SOURCES_BY_TASK.values()))
        raise FusionBenchError(f"unknown data source {source!r}; expected one of {', '.join(known)}")
    return served


def check_source(source: str, tasks: Sequence[str]) -> None:
    """Raise one clear error when ``source`` does not serve every task of ``tasks``."""
    from fusionbench.errors import FusionBenchError

    served = source_tasks(source)
    missing = [t for t in tasks if t not in served]
    if missing:
        raise FusionBenchError(f"data source {source!r} serves only {', '.join(served)}; "
                               f"cannot use it for {', '.join(missing)} (pass --tasks {','.join(served)})")


def load_rows(task: str, split: str, source: str = "sample", data_dir: str | None = None,
              **kwargs: Any) -> list[dict[str, Any]]:
    """The rows of one split as plain dicts, images left undecoded (decoded once, when preprocessed).

    Args:
        data_dir: passed to :func:`fusionbench.load_dataset` (a local mirror of a public source,
            or a challenge-layout folder with the sample source); ``None``: none.
    """
    import datasets

    import fusionbench

    if data_dir is not None:
        kwargs["data_dir"] = data_dir
    ds = fusionbench.load_dataset(task, split, source=source, **kwargs)
    if "image" in ds.column_names:
        ds = ds.cast_column("image", datasets.Image(decode=False))
    return list(ds)


def htr_canvas(image: Any, config: ModelConfig) -> np.ndarray:
    """(C, H, W) uint8: ink bright on a zero background, proportions kept, left-aligned, centred vertically."""
    from PIL import Image

    mode = "L" if config.htr_channels == 1 else "RGB"
    img = open_image(image).convert(mode)
    scale = min(config.htr_height / img.height, config.htr_width / img.width)
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    if size != img.size:
        img = img.resize(size, Image.BILINEAR)
    pixels = 255 - np.asarray(img, dtype=np.uint8).reshape(size[1], size[0], -1)
    canvas = np.zeros((config.htr_height, config.htr_width, pixels.shape[2]), dtype=np.uint8)
    top = (config.htr_height - size[1]) // 2
    canvas[top:top + size[1], :size[0]] = pixels
    return canvas.transpose(2, 0, 1)


def square_image(image: Any, size: int) -> np.ndarray:
    """(3, size, size) uint8 RGB, resized without keeping proportions (as the 2021 code)."""
    from PIL import Image

    img = open_image(image).convert("RGB").resize((size, size), Image.BILINEAR)
    return np.array(img, dtype=np.uint8).transpose(2, 0, 1)


def _pad(seqs: Sequence[list[int]], value: int) -> torch.Tensor:
    length = max(len(s) for s in seqs)
    out = torch.full((len(seqs), length), value, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, :len(s)] = torch.tensor(s, dtype=torch.long)
    return out


def _text_batch(tokenizer: Any, prefixes: list[list[int]], targets: list[list[int]]) -> dict[str, torch.Tensor]:
    """Right-padded ``prefix + target`` with labels only on the target."""
    seqs = [p + t for p, t in zip(prefixes, targets)]
    labels = [[-100] * len(p) + t for p, t in zip(prefixes, targets)]
    ids = _pad(seqs, tokenizer.pad_id)
    return {"input_ids": ids, "attention_mask": (_pad(labels, -200) != -200).long(), "labels": _pad(labels, -100)}


def collate(task: str, items: list[dict[str, Any]], model: Any, cache: dict | None = None) -> dict[str, Any]:
    """A training batch of ``task`` from rows (for zsOD: pairs from :func:`zsod_pairs`).

    Args:
        model: the :class:`FusionModel` (its config, tokenizer and alphabet).
        cache: a dict reused across calls to keep preprocessed images.
    """
    cache = {} if cache is None else cache
    config, tok = model.config, model.tokenizer
    if task == "c2c":
        limit = model.core.config.n_positions
        prefixes = [c2c_source_ids(model, r["java"]) for r in items]
        targets = [(tok.encode(r["python"]) + [tok.eos_id])[: limit - len(p)] for r, p in zip(items, prefixes)]
        return _text_batch(tok, prefixes, targets)
    if task == "htr":
        images = [_cached(cache, ("htr", r["id"]), lambda r=r: htr_canvas(r["image"], config)) for r in items]
        codes = [encode_text(" ".join(r["text"].split()), model.alphabet) for r in items]
        return {"images": torch.from_numpy(np.stack(images)),
                "targets": torch.tensor([c for code in codes for c in code], dtype=torch.long),
                "target_lengths": torch.tensor([len(c) for c in codes], dtype=torch.long),
                "texts": [r["text"] for r in items]}
    if task == "vqa":
        images = [_cached(cache, ("vqa", r["image_id"]), lambda r=r: square_image(r["image"], config.image_size))
                  for r in items]
        limit = config.max_answer_tokens
        prefixes = [vqa_prefix_ids(model, r["question"]) for r in items]
        targets = [tok.encode(" " + r["answers"][0])[:limit] + [tok.eos_id] for r in items]
        return {"images": torch.from_numpy(np.stack(images)), **_text_batch(tok, prefixes, targets)}
    if task == "zsod":
        images = [_cached(cache, ("zsod", p["image_id"]), lambda p=p: square_image(p["image"], config.image_size))
                  for p in items]
        ids = _pad([tok.encode(zsod_prompt(p["text"], config.architecture)) for p in items], -1)
        boxes = []
        for p in items:
            w, h = float(p["width"]), float(p["height"])
            rel = [[(x + bw / 2) / w, (y + bh / 2) / h, bw / w, bh / h] for x, y, bw, bh in p["boxes"]]
            boxes.append(torch.tensor(rel, dtype=torch.float32).reshape(-1, 4))
        return {"images": torch.from_numpy(np.stack(images)), "input_ids": ids.clamp(min=0).masked_fill(ids < 0, tok.pad_id),
                "attention_mask": (ids >= 0).long(), "boxes": boxes}
    raise ValueError(f"unknown task {task!r}")


def _cached(cache: dict, key: Any, make: Any) -> np.ndarray:
    if key not in cache:
        cache[key] = make()
    return cache[key]


def zsod_pairs(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One training item per (image, description), positives and negatives alike."""
    pairs = []
    for row in rows:
        for d in row["descriptions"]:
            pairs.append({"image_id": row["image_id"], "image": row["image"], "width": row["width"],
                          "height": row["height"], "text": d["text"], "boxes": d["boxes"]})
    return pairs


def training_texts(rows_by_task: dict[str, Sequence[dict[str, Any]]]) -> list[str]:
    """Every text the model reads or writes, for training the local tokenizer."""
    texts: list[str] = []
    for r in rows_by_task.get("c2c", []):
        texts += [r["java"], r["python"]]
    for r in rows_by_task.get("vqa", []):
        texts += [vqa_prompt(r["question"]) + " " + " ".join(r["answers"])]
    for r in rows_by_task.get("zsod", []):
        texts += [zsod_prompt(d["text"]) for d in r["descriptions"]]
    return texts


class TaskStream:
    """Endless shuffled mini-batches of one task, resumable (``state_dict``/``load_state_dict``).

    Args:
        items: rows (zsOD: pairs); under DDP pass this rank's shard.
        batch_size: items per batch.
        seed: shuffling seed.
    """

    def __init__(self, items: Sequence[Any], batch_size: int, seed: int) -> None:
        if not items:
            raise ValueError("a task stream needs at least one item")
        self.items = items
        self.batch_size = batch_size
        self.seed = seed
        self.epoch = 0
        self.position = 0
        self._order = self._permutation()

    def _permutation(self) -> np.ndarray:
        return np.random.default_rng([self.seed, self.epoch]).permutation(len(self.items))

    def next_items(self) -> list[Any]:
        """The next ``batch_size`` items (wrapping into a new shuffled epoch)."""
        chosen = []
        while len(chosen) < self.batch_size:
            if self.position >= len(self._order):
                self.epoch += 1
                self.position = 0
                self._order = self._permutation()
            take = self._order[self.position:self.position + self.batch_size - len(chosen)]
            chosen += [self.items[int(i)] for i in take]
            self.position += len(take)
        return chosen

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.epoch, self.position = int(state["epoch"]), int(state["position"])
        self._order = self._permutation()
