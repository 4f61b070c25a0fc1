"""Visual Genome 1.2 (CC BY 4.0) region descriptions as zero-shot detection rows.

Formats: ``image_data.json`` [{image_id, width, height, url}] and ``region_descriptions.json``
[{id, regions: [{image_id, phrase, x, y, width, height}]}]; images are ``<image_id>.jpg``.
Regions with the same phrase in one image become one positive description with several boxes;
Visual Genome has no negatives (the FusionBrain test set made them by attribute swaps).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fusionbench.data.challenge import script_language

__all__ = ["URLS", "rows"]

URLS = {
    "image_data": "https://homes.cs.washington.edu/~ranjay/visualgenome/data/dataset/image_data.json.zip",
    "region_descriptions":
        "https://homes.cs.washington.edu/~ranjay/visualgenome/data/dataset/region_descriptions.json.zip",
    "images": "https://cs.stanford.edu/people/rak248/VG_100K_2/images.zip",
    "images2": "https://cs.stanford.edu/people/rak248/VG_100K_2/images2.zip",
}


def rows(image_data: str | Path, regions: str | Path, images_dirs: list[str | Path]) -> Iterator[dict[str, Any]]:
    """One row per image that has regions and whose file is present in one of ``images_dirs``."""
    sizes = {item["image_id"]: (item["width"], item["height"])
             for item in json.loads(Path(image_data).read_text(encoding="utf-8"))}
    for entry in json.loads(Path(regions).read_text(encoding="utf-8")):
        boxes_by_phrase: dict[str, list[list[float]]] = {}
        image_id = entry.get("id")
        for region in entry["regions"]:
            image_id = region["image_id"]
            phrase = " ".join(region["phrase"].split())
            boxes_by_phrase.setdefault(phrase, []).append(
                [float(region["x"]), float(region["y"]), float(region["width"]), float(region["height"])])
        path = next((Path(d) / f"{image_id}.jpg" for d in images_dirs if (Path(d) / f"{image_id}.jpg").is_file()), None)
        if path is None or image_id not in sizes:
            continue
        width, height = sizes[image_id]
        yield {"image_id": f"{image_id}.jpg", "image": str(path), "width": width, "height": height,
               "descriptions": [{"text": t, "language": script_language(t), "positive": True, "boxes": b}
                                for t, b in boxes_by_phrase.items()]}
