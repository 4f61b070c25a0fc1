"""VQA: one row per question with its image, answers and language."""

from __future__ import annotations

import datasets

from fusionbench.data.builders.base import ChallengeLayoutBuilder


class VQABuilder(ChallengeLayoutBuilder):
    """Reference answers are stored as the official metric compares them (normalised; Russian as lemmas)."""

    TASK = "VQA"
    DESCRIPTION = "FusionBrain VQA: bilingual generative visual question answering (accuracy after normalisation)."
    FEATURES = datasets.Features({
        "id": datasets.Value("string"),
        "question_id": datasets.Value("int64"),
        "image_id": datasets.Value("string"),
        "image": datasets.Image(),
        "question": datasets.Value("string"),
        "answers": datasets.List(datasets.Value("string")),
        "language": datasets.Value("string"),
    })
