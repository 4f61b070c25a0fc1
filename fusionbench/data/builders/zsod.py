"""zsOD: one row per image with positive and negative free-text descriptions and their boxes."""

from __future__ import annotations

import datasets

from fusionbench.data.builders.base import ChallengeLayoutBuilder


class ZsODBuilder(ChallengeLayoutBuilder):
    """Boxes are ``[x, y, w, h]`` in pixels; a negative description has no box."""

    TASK = "zsOD"
    DESCRIPTION = "FusionBrain zsOD: zero-shot detection from English and Russian descriptions (F1 at IoU 0.5)."
    FEATURES = datasets.Features({
        "image_id": datasets.Value("string"),
        "image": datasets.Image(),
        "width": datasets.Value("int32"),
        "height": datasets.Value("int32"),
        "descriptions": datasets.List({
            "text": datasets.Value("string"),
            "language": datasets.Value("string"),
            "positive": datasets.Value("bool"),
            "boxes": datasets.List(datasets.List(datasets.Value("float64"), length=4)),
        }),
    })
