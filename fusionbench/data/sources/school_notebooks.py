"""School notebooks (ai-forever/school_notebooks_RU and _EN on the Hugging Face Hub, MIT): word crops.

Format: COCO-style ``annotations.json`` {"images": [{id, file_name}], "annotations": [{image_id,
bbox: [x, y, w, h], attributes: {translation: text}}]} over page scans in ``images/``.  Each
annotated word with a transcription becomes one HTR row whose image is the cropped box.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fusionbench.data.challenge import script_language

__all__ = ["HUB_REPOS", "rows"]

HUB_REPOS = {"ru": "ai-forever/school_notebooks_RU", "en": "ai-forever/school_notebooks_EN"}


def rows(annotations: str | Path, images_dir: str | Path) -> Iterator[dict[str, Any]]:
    """One row per transcribed word box; ``image`` is a cropped ``PIL.Image``."""
    from PIL import Image

    data = json.loads(Path(annotations).read_text(encoding="utf-8"))
    files = {image["id"]: image["file_name"] for image in data["images"]}
    pages: dict[int, Any] = {}
    for index, annotation in enumerate(data["annotations"]):
        text = (annotation.get("attributes") or {}).get("translation")
        if not text or annotation["image_id"] not in files:
            continue
        page_id = annotation["image_id"]
        if page_id not in pages:
            pages.clear()  # keep one page in memory
            pages[page_id] = Image.open(Path(images_dir) / files[page_id]).convert("RGB")
        x, y, w, h = annotation["bbox"]
        crop = pages[page_id].crop((int(x), int(y), int(x + w), int(y + h)))
        yield {"id": f"{page_id}-{index}", "image": crop, "text": text, "language": script_language(text)}
