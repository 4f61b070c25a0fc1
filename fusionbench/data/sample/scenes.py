"""Scenes of coloured shapes with bilingual descriptions (zsOD) and questions (VQA).

A scene is a list of objects (shape, colour, size, box) drawn on a plain background.  Russian
phrases agree in gender with the shape noun.  zsOD negatives are made the FusionBrain way:
an attribute of a present object is swapped for one that no object of that shape has ("a red
circle" becomes "a green circle"), or a shape that is absent is named.  VQA answers are stored
normalised as the official metric compares them (English lower-case, Russian lemmas, digits).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

__all__ = ["SceneObject", "make_scene", "render_scene", "describe", "questions", "SIZE"]

SIZE = 224

COLOURS = {  # name: (rgb, Russian masculine, feminine, neuter)
    "red": ((220, 40, 40), "красный", "красная", "красное"),
    "green": ((40, 170, 60), "зелёный", "зелёная", "зелёное"),
    "blue": ((40, 80, 220), "синий", "синяя", "синее"),
    "yellow": ((235, 205, 40), "жёлтый", "жёлтая", "жёлтое"),
    "white": ((245, 245, 245), "белый", "белая", "белое"),
    "black": ((25, 25, 25), "чёрный", "чёрная", "чёрное"),
}
SHAPES = {  # name: (Russian nominative, gender, genitive plural)
    "circle": ("круг", "m", "кругов"),
    "square": ("квадрат", "m", "квадратов"),
    "triangle": ("треугольник", "m", "треугольников"),
    "star": ("звезда", "f", "звёзд"),
    "ring": ("кольцо", "n", "колец"),
}
SIZES = {"small": ("маленький", "маленькая", "маленькое"), "big": ("большой", "большая", "большое")}
GENDER_INDEX = {"m": 0, "f": 1, "n": 2}
BACKGROUNDS = ((200, 200, 200), (170, 190, 210), (215, 200, 170), (120, 120, 120))


@dataclass(frozen=True)
class SceneObject:
    shape: str
    colour: str
    size: str
    box: tuple[int, int, int, int]  # x, y, w, h in pixels


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return not (a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0] or a[1] + a[3] <= b[1] or b[1] + b[3] <= a[1])


def make_scene(rng: random.Random) -> tuple[list[SceneObject], tuple[int, int, int]]:
    """2–6 non-overlapping objects and a background colour."""
    objects: list[SceneObject] = []
    for _ in range(rng.randint(2, 6)):
        for _attempt in range(30):
            size = rng.choice(list(SIZES))
            side = rng.randint(24, 40) if size == "small" else rng.randint(56, 80)
            box = (rng.randint(2, SIZE - side - 2), rng.randint(2, SIZE - side - 2), side, side)
            if not any(_overlaps(box, o.box) for o in objects):
                objects.append(SceneObject(rng.choice(list(SHAPES)), rng.choice(list(COLOURS)), size, box))
                break
    return objects, rng.choice(BACKGROUNDS)


def render_scene(objects: list[SceneObject], background: tuple[int, int, int], rng: random.Random) -> Any:
    """Draw the scene as an RGB ``PIL.Image`` of SIZE×SIZE pixels."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (SIZE, SIZE), background)
    draw = ImageDraw.Draw(image)
    for obj in objects:
        x, y, w, h = obj.box
        fill = COLOURS[obj.colour][0]
        if obj.shape == "circle":
            draw.ellipse((x, y, x + w - 1, y + h - 1), fill=fill)
        elif obj.shape == "square":
            draw.rectangle((x, y, x + w - 1, y + h - 1), fill=fill)
        elif obj.shape == "triangle":
            draw.polygon([(x + w / 2, y), (x, y + h - 1), (x + w - 1, y + h - 1)], fill=fill)
        elif obj.shape == "ring":
            draw.ellipse((x, y, x + w - 1, y + h - 1), outline=fill, width=max(4, w // 6))
        else:  # star
            draw.regular_polygon((x + w / 2, y + h / 2, w / 2), 5, fill=fill)
            draw.regular_polygon((x + w / 2, y + h / 2, w / 2), 5, rotation=36, fill=fill)
    for _ in range(rng.randint(0, 3)):  # distractor lines
        draw.line([(rng.randint(0, SIZE), rng.randint(0, SIZE)), (rng.randint(0, SIZE), rng.randint(0, SIZE))],
                  fill=tuple(max(0, c - 40) for c in background), width=1)
    return image


def _phrase(shape: str, colour: str | None, size: str | None, lang: str) -> str:
    if lang == "en":
        words = ["a"] + ([size] if size else []) + ([colour] if colour else []) + [shape]
        return " ".join(words)
    noun, gender, _ = SHAPES[shape]
    g = GENDER_INDEX[gender]
    words = ([SIZES[size][g]] if size else []) + ([COLOURS[colour][1 + g]] if colour else []) + [noun]
    return " ".join(words)


def describe(objects: list[SceneObject], rng: random.Random, lang: str) -> dict[str, list[list[int]]]:
    """Positive descriptions (with every matching box) and negatives (with no box)."""
    described: dict[str, list[list[int]]] = {}
    keys = set()
    for obj in objects:
        for use_size in (False, True):
            keys.add((obj.shape, obj.colour, obj.size if use_size else None))
    for shape, colour, size in sorted(keys, key=str):
        boxes = [list(o.box) for o in objects
                 if o.shape == shape and o.colour == colour and (size is None or o.size == size)]
        described[_phrase(shape, colour, size, lang)] = boxes
    positives = list(described)
    rng.shuffle(positives)
    chosen = {k: described[k] for k in positives[:10]}
    present = {(o.shape, o.colour) for o in objects}
    negatives: dict[str, list[list[int]]] = {}
    for _attempt in range(40):
        if len(negatives) >= min(10, max(3, len(chosen))):
            break
        if rng.random() < 0.6:  # swap the colour of a present shape
            obj = rng.choice(objects)
            colour = rng.choice([c for c in COLOURS if (obj.shape, c) not in present])
            phrase = _phrase(obj.shape, colour, None, lang)
        else:  # name a shape that is absent
            absent = [s for s in SHAPES if s not in {o.shape for o in objects}]
            if not absent:
                continue
            phrase = _phrase(rng.choice(absent), rng.choice(list(COLOURS)), None, lang)
        if phrase not in chosen:
            negatives[phrase] = []
    return {**chosen, **negatives}


def questions(objects: list[SceneObject], rng: random.Random, lang: str, count: int) -> list[tuple[str, str]]:
    """``count`` (question, normalised answer) pairs of the challenge's kinds."""
    out: list[tuple[str, str]] = []
    shapes_present = sorted({o.shape for o in objects})
    attempts = 0
    while len(out) < count and attempts < 50 * count:
        attempts += 1
        kind = rng.choice(["yesno", "count", "colour", "shape"])
        if kind == "yesno":
            shape = rng.choice(list(SHAPES))
            colour = rng.choice(list(COLOURS))
            yes = any(o.shape == shape and o.colour == colour for o in objects)
            if lang == "en":
                out.append((f"Is there {_phrase(shape, colour, None, 'en')}?", "yes" if yes else "no"))
            else:
                out.append((f"Есть ли на картинке {_phrase(shape, colour, None, 'ru')}?", "да" if yes else "нет"))
        elif kind == "count":
            shape = rng.choice(list(SHAPES))
            n = str(sum(o.shape == shape for o in objects))
            out.append((f"How many {shape}s are there?" if lang == "en"
                        else f"Сколько {SHAPES[shape][2]} на картинке?", n))
        elif kind == "colour":
            shape = rng.choice(shapes_present)
            colours = sorted({o.colour for o in objects if o.shape == shape})
            if len(colours) > 1:
                continue  # ambiguous: draw another question
            answer = colours[0] if lang == "en" else COLOURS[colours[0]][1]
            out.append((f"What colour is the {shape}?" if lang == "en"
                        else f"Какого цвета {SHAPES[shape][0]}?", answer))
        else:
            leftmost = min(objects, key=lambda o: o.box[0])
            answer = leftmost.shape if lang == "en" else SHAPES[leftmost.shape][0]
            out.append(("What shape is furthest to the left?" if lang == "en"
                        else "Какая фигура левее всех?", answer))
    return out
