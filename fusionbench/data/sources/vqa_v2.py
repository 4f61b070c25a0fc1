"""VQA v2 (annotations CC BY 4.0; COCO images) as English VQA rows.

Formats: ``v2_OpenEnded_mscoco_<split>2014_questions.json`` {"questions": [{image_id, question,
question_id}]} and ``v2_mscoco_<split>2014_annotations.json`` {"annotations": [{question_id,
answers: [{answer}], multiple_choice_answer}]}; images ``COCO_<split>2014_<image_id:012d>.jpg``.
The ten human answers are normalised with the official FusionBrain rules and de-duplicated.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["URLS", "rows"]

URLS = {
    "train_questions": "https://s3.amazonaws.com/cvmlp/vqa/mscoco/vqa/v2_Questions_Train_mscoco.zip",
    "train_annotations": "https://s3.amazonaws.com/cvmlp/vqa/mscoco/vqa/v2_Annotations_Train_mscoco.zip",
    "val_questions": "https://s3.amazonaws.com/cvmlp/vqa/mscoco/vqa/v2_Questions_Val_mscoco.zip",
    "val_annotations": "https://s3.amazonaws.com/cvmlp/vqa/mscoco/vqa/v2_Annotations_Val_mscoco.zip",
    "train_images": "http://images.cocodataset.org/zips/train2014.zip",
    "val_images": "http://images.cocodataset.org/zips/val2014.zip",
}


def rows(questions: str | Path, annotations: str | Path, images_dir: str | Path, coco_split: str) -> Iterator[dict[str, Any]]:
    """Rows for questions whose annotation and image are present."""
    from fusionbench.metrics.vqa_normalize import normalize_answer

    answers = {a["question_id"]: a for a in json.loads(Path(annotations).read_text(encoding="utf-8"))["annotations"]}
    for q in json.loads(Path(questions).read_text(encoding="utf-8"))["questions"]:
        annotation = answers.get(q["question_id"])
        image = Path(images_dir) / f"COCO_{coco_split}2014_{q['image_id']:012d}.jpg"
        if annotation is None or not image.is_file():
            continue
        normalised = [normalize_answer(a["answer"], "en") for a in annotation["answers"]]
        yield {"id": str(q["question_id"]), "question_id": q["question_id"], "image_id": str(q["image_id"]),
               "image": str(image), "question": q["question"], "answers": list(dict.fromkeys(normalised)),
               "language": "en"}
