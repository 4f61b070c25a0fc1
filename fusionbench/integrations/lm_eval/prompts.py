"""The prompts of the task pack, versioned.

Each prompt is written for today's instruction-following models (chat or base, with or without
``--apply_chat_template``).  Images come first, as lm-eval's ``<image>`` placeholder, which
``hf-multimodal`` and ``vllm-vlm`` replace by the model's image token and API models drop.
Changing any prompt text means bumping :data:`PROMPT_VERSION`: it is written into each task's
metadata and into the signature of every imported score, so numbers from different prompts are
never mistaken for each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["IMAGE", "PROMPT_VERSION", "c2c_prompt", "htr_prompt", "vqa_prompt", "zsod_prompt"]

#: Version of the prompts and output parsers together (a change to either bumps it).
PROMPT_VERSION = "1"
IMAGE = "<image>"

C2C = (
    "Translate this Java method into an equivalent Python 3 function. Keep the method's name and "
    "parameter names. Answer with the Python function only, in one ```python code block.\n\n"
    "```java\n{java}\n```"
)

HTR = (
    IMAGE + "This image shows one handwritten word, in Russian or English. Transcribe it exactly, "
    "letter for letter, keeping capital letters and punctuation. Answer with the transcription only."
)

VQA = {
    "en": IMAGE + "{question}\nAnswer with a single word or number.",
    "ru": IMAGE + "{question}\nОтветь одним словом или числом.",
}

ZSOD = {
    "en": (
        IMAGE + "The image is {width}x{height} pixels. Find every object that matches the description "
        "\"{description}\". Answer with a JSON list of boxes [x, y, w, h] in pixels, where (x, y) is the "
        "top-left corner, one box per object, for example [[10, 20, 50, 40]]. If nothing matches, answer []."
    ),
    "ru": (
        IMAGE + "Размер изображения {width}x{height} пикселей. Найди все объекты, подходящие под описание "
        "«{description}». Ответь JSON-списком рамок [x, y, w, h] в пикселях, где (x, y) — левый верхний "
        "угол, по одной рамке на объект, например [[10, 20, 50, 40]]. Если ничего не подходит, ответь []."
    ),
}


def c2c_prompt(doc: Mapping[str, Any]) -> str:
    """C2C: the Java method (as the benchmark gives it, space-separated tokens) and the instruction."""
    return C2C.format(java=doc["java"])


def htr_prompt(doc: Mapping[str, Any]) -> str:
    """HTR: ask for the exact transcription of the one word in the image."""
    return HTR


def vqa_prompt(doc: Mapping[str, Any]) -> str:
    """VQA: the question, then the instruction in the question's language."""
    return VQA[doc["language"]].format(question=doc["question"])


def zsod_prompt(doc: Mapping[str, Any]) -> str:
    """zsOD: the image size, the description, and the box format asked for, in the description's language."""
    return ZSOD[doc["language"]].format(width=doc["width"], height=doc["height"], description=doc["description"])
