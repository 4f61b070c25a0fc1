"""The shipped bilingual sample benchmark: a seeded generator for all four tasks.

:func:`generate` writes one split in the challenge layout (``input/`` as a submission sees it,
``true_<TASK>.json`` beside it, plus ``meta.json``).  The same seed and split give the same bytes
on every machine.  Validation and test splits are frozen in ``fusionbench/data/sample_data/``
(``python -m fusionbench.data.sample freeze`` regenerates them); the train split is generated on
demand.  Splits draw from disjoint random streams, and the data is learnable: the same
generator makes every split.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

__all__ = ["GENERATOR_VERSION", "SIZES", "generate"]

GENERATOR_VERSION = "1"
#: Items per split: HTR words, zsOD images, VQA questions (5 per image), C2C pairs.
SIZES: dict[str, dict[str, int]] = {
    "train": {"HTR": 3000, "zsOD": 600, "VQA": 3000, "C2C": 2000},
    "validation": {"HTR": 100, "zsOD": 20, "VQA": 100, "C2C": 60},
    "test": {"HTR": 200, "zsOD": 40, "VQA": 200, "C2C": 120},
}
QUESTIONS_PER_IMAGE = 5


def _rng(seed: int, split: str, task: str) -> random.Random:
    digest = hashlib.sha256(f"fusionbench-sample|{GENERATOR_VERSION}|{seed}|{split}|{task}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _dump(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _save_png(image: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG", optimize=False)


def _save_jpeg(image: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="JPEG", quality=85, optimize=False, progressive=False)


def _htr(out: Path, split: str, seed: int, count: int, meta: dict) -> None:
    from fusionbench.data.sample.handwriting import render_word
    from fusionbench.data.sample.words import ENGLISH_WORDS, RUSSIAN_WORDS

    rng = _rng(seed, split, "HTR")
    labels, languages = {}, {}
    for index in range(count):
        lang = "ru" if index % 2 == 0 else "en"
        word = rng.choice(RUSSIAN_WORDS if lang == "ru" else ENGLISH_WORDS)
        name = f"{split}_{index}.png"
        _save_png(render_word(word, rng), out / "input/HTR/images" / name)
        labels[name], languages[name] = word, lang
    _dump(out / "true_HTR.json", labels)
    meta["HTR"] = {"items": count, "languages": languages}


def _scenes(out: Path, split: str, seed: int, images: int, questions: int, meta: dict) -> None:
    from fusionbench.data.sample.scenes import describe, make_scene, questions as ask, render_scene

    rng = _rng(seed, split, "scenes")
    requests, truth = {}, {}
    vqa_questions, vqa_truth = {}, {}
    per_image = max(1, -(-questions // max(1, images))) if questions else 0
    qid = 0
    for index in range(max(images, -(-questions // QUESTIONS_PER_IMAGE) if questions else 0)):
        objects, background = make_scene(rng)
        image = render_scene(objects, background, rng)
        name = f"{split}_{index}.jpg"
        lang = "ru" if index % 2 == 0 else "en"
        if index < images:
            _save_jpeg(image, out / "input/zsOD/images" / name)
            described = describe(objects, rng, lang)
            requests[name] = list(described)
            truth[name] = described
        if qid < questions:
            _save_jpeg(image, out / "input/VQA/images" / name)
            for question, answer in ask(objects, rng, lang, min(per_image, questions - qid)):
                vqa_questions[str(qid)] = {"file_name": name, "question": question}
                vqa_truth[str(qid)] = {"answer": [answer], "question_id": qid, "lang": lang}
                qid += 1
    if images:
        _dump(out / "input/zsOD/requests.json", requests)
        _dump(out / "true_zsOD.json", truth)
        meta["zsOD"] = {"items": len(truth)}
    if questions:
        _dump(out / "input/VQA/questions.json", vqa_questions)
        _dump(out / "true_VQA.json", vqa_truth)
        meta["VQA"] = {"items": len(vqa_truth)}


def _c2c(out: Path, split: str, seed: int, count: int, meta: dict) -> None:
    from fusionbench.data.sample.c2c import make_c2c_pair

    rng = _rng(seed, split, "C2C")
    requests, truth, names = {}, {}, {}
    for index in range(count):
        pair = make_c2c_pair(rng)
        requests[str(index)], truth[str(index)], names[str(index)] = pair.java, pair.python, pair.name
    _dump(out / "input/C2C/requests.json", requests)
    _dump(out / "true_C2C.json", truth)
    meta["C2C"] = {"items": count, "functions": names}


def generate(split: str, out_dir: str | Path, *, seed: int = 2021, sizes: dict[str, int] | None = None) -> Path:
    """Write one split of the sample benchmark in the challenge layout.

    Args:
        split: ``train``, ``validation`` or ``test`` (each has its own random streams).
        out_dir: the folder to write (created; existing files are overwritten).
        seed: the benchmark seed.
        sizes: items per task, overriding :data:`SIZES` for this split.

    Returns:
        ``out_dir`` as a path.
    """
    if split not in SIZES:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SIZES)}")
    counts = {**SIZES[split], **(sizes or {})}
    out = Path(out_dir)
    meta: dict[str, Any] = {"generator_version": GENERATOR_VERSION, "seed": seed, "split": split}
    _htr(out, split, seed, counts["HTR"], meta)
    _scenes(out, split, seed, counts["zsOD"], counts["VQA"], meta)
    _c2c(out, split, seed, counts["C2C"], meta)
    _dump(out / "meta.json", meta)
    return out
