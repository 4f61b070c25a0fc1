"""HTR: handwritten word images with their transcription and language."""

from __future__ import annotations

import datasets

from fusionbench.data.builders.base import ChallengeLayoutBuilder


class HTRBuilder(ChallengeLayoutBuilder):
    """One row per word image."""

    TASK = "HTR"
    DESCRIPTION = "FusionBrain HTR: handwritten Russian and English words, scored by exact string accuracy."
    FEATURES = datasets.Features({
        "id": datasets.Value("string"),
        "image": datasets.Image(),
        "text": datasets.Value("string"),
        "language": datasets.Value("string"),
    })
