"""Scenes of coloured shapes with bilingual descriptions (zsOD) and questions (VQA).

A scene is a list of :class:`SceneObject` (shape, colour, size, side, tight pixel box) drawn on a
plain or gradient background.  A :class:`Description` names a shape plus any of colour, size and
side; :meth:`Description.matches` is the scene model's one definition of what a description
refers to, so positives, negatives and answers all come from it.  Russian phrases agree in
gender with the shape noun ("красный круг", "красная звезда", "красное кольцо").

zsOD negatives are made the FusionBrain way: one attribute of a present object is swapped ("a
red circle" becomes "a green circle", "big" becomes "small", "left" becomes "right", or the shape
becomes another shape), or a shape absent from the scene is named; a candidate is kept only if no
object matches it.  Descriptions whose side would be ambiguous (an object near the centre) are
never used.  VQA answers go through the official normaliser before they are stored.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Any

__all__ = [
    "COLOURS",
    "SHAPES",
    "SIZE",
    "Description",
    "SceneObject",
    "describe",
    "make_scene",
    "questions",
    "render_scene",
]

#: Width and height of every scene image in pixels.
SIZE = 256

#: name: (RGB, Russian masculine, feminine, neuter, genitive plural).
COLOURS: dict[str, tuple[tuple[int, int, int], str, str, str, str]] = {
    "red": ((215, 35, 35), "красный", "красная", "красное", "красных"),
    "green": ((40, 165, 60), "зелёный", "зелёная", "зелёное", "зелёных"),
    "blue": ((35, 75, 215), "синий", "синяя", "синее", "синих"),
    "yellow": ((240, 210, 40), "жёлтый", "жёлтая", "жёлтое", "жёлтых"),
    "white": ((250, 250, 250), "белый", "белая", "белое", "белых"),
    "black": ((20, 20, 20), "чёрный", "чёрная", "чёрное", "чёрных"),
    "orange": ((245, 130, 20), "оранжевый", "оранжевая", "оранжевое", "оранжевых"),
    "purple": ((130, 40, 170), "фиолетовый", "фиолетовая", "фиолетовое", "фиолетовых"),
    "pink": ((245, 140, 190), "розовый", "розовая", "розовое", "розовых"),
}
#: name: (English plural, Russian nominative, gender m/f/n, genitive plural).
SHAPES: dict[str, tuple[str, str, str, str]] = {
    "circle": ("circles", "круг", "m", "кругов"),
    "square": ("squares", "квадрат", "m", "квадратов"),
    "triangle": ("triangles", "треугольник", "m", "треугольников"),
    "diamond": ("diamonds", "ромб", "m", "ромбов"),
    "hexagon": ("hexagons", "шестиугольник", "m", "шестиугольников"),
    "cross": ("crosses", "крест", "m", "крестов"),
    "star": ("stars", "звезда", "f", "звёзд"),
    "arrow": ("arrows", "стрелка", "f", "стрелок"),
    "ring": ("rings", "кольцо", "n", "колец"),
    "heart": ("hearts", "сердце", "n", "сердец"),
}
#: name: Russian (masculine, feminine, neuter).
SIZES: dict[str, tuple[str, str, str]] = {
    "small": ("маленький", "маленькая", "маленькое"),
    "big": ("большой", "большая", "большое"),
}
#: side: (English phrase, Russian adverb).
SIDES: dict[str, tuple[str, str]] = {"left": ("on the left", "слева"), "right": ("on the right", "справа")}
GENDER_INDEX = {"m": 0, "f": 1, "n": 2}
BACKGROUNDS = (
    (196, 196, 196), (170, 188, 208), (214, 200, 168), (118, 118, 118),
    (176, 206, 178), (92, 102, 124), (208, 178, 160), (150, 160, 110),
)
#: Object centres left of this fraction of the width are "left", right of 1 - it "right".
SIDE_BAND = 0.42


@dataclass(frozen=True)
class SceneObject:
    """One drawn object.  ``box`` is the tight ``[x, y, w, h]`` pixel box of its drawn pixels."""

    shape: str
    colour: str
    size: str
    box: tuple[int, int, int, int]

    @property
    def side(self) -> str | None:
        """``left``, ``right``, or ``None`` near the centre (too close to call)."""
        centre = (self.box[0] + self.box[2] / 2) / SIZE
        return "left" if centre < SIDE_BAND else "right" if centre > 1 - SIDE_BAND else None


@dataclass(frozen=True)
class Description:
    """A shape with optional colour, size and side; unset attributes match anything."""

    shape: str
    colour: str | None = None
    size: str | None = None
    side: str | None = None

    def matches(self, obj: SceneObject) -> bool | None:
        """Whether ``obj`` is referred to; ``None`` when the side makes it ambiguous."""
        if obj.shape != self.shape or self.colour not in (None, obj.colour) or self.size not in (None, obj.size):
            return False
        if self.side is None:
            return True
        return None if obj.side is None else obj.side == self.side

    def boxes(self, objects: list[SceneObject]) -> list[list[int]] | None:
        """Boxes of the matching objects, or ``None`` if any object is ambiguous."""
        verdicts = [self.matches(o) for o in objects]
        if any(v is None for v in verdicts):
            return None
        return [list(o.box) for o, v in zip(objects, verdicts) if v]

    def phrase(self, lang: str, *, article: bool = True) -> str:
        """The description in English ("a small red circle on the left") or Russian."""
        if lang == "en":
            words = [w for w in (self.size, self.colour, self.shape) if w]
            if article:
                words.insert(0, "an" if words[0][0] in "aeiou" else "a")
            if self.side:
                words.append(SIDES[self.side][0])
            return " ".join(words)
        noun, gender = SHAPES[self.shape][1], GENDER_INDEX[SHAPES[self.shape][2]]
        words = [SIZES[self.size][gender]] if self.size else []
        words += [COLOURS[self.colour][1 + gender]] if self.colour else []
        words.append(noun)
        if self.side:
            words.append(SIDES[self.side][1])
        return " ".join(words)


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int], gap: int = 4) -> bool:
    return not (a[0] + a[2] + gap <= b[0] or b[0] + b[2] + gap <= a[0]
                or a[1] + a[3] + gap <= b[1] or b[1] + b[3] + gap <= a[1])


def _draw_shape(draw: Any, shape: str, x: int, y: int, s: int, fill: Any) -> None:
    """Draw ``shape`` filling the square (x, y, s, s)."""
    cx, cy, r = x + s / 2, y + s / 2, s / 2
    if shape == "circle":
        draw.ellipse((x, y, x + s - 1, y + s - 1), fill=fill)
    elif shape == "square":
        draw.rectangle((x, y, x + s - 1, y + s - 1), fill=fill)
    elif shape == "triangle":
        draw.polygon([(cx, y), (x, y + s - 1), (x + s - 1, y + s - 1)], fill=fill)
    elif shape == "diamond":
        draw.polygon([(cx, y), (x + s - 1, cy), (cx, y + s - 1), (x, cy)], fill=fill)
    elif shape == "hexagon":
        draw.regular_polygon((cx, cy, r), 6, fill=fill)
    elif shape == "cross":
        t = s / 3
        draw.rectangle((x + t, y, x + 2 * t - 1, y + s - 1), fill=fill)
        draw.rectangle((x, y + t, x + s - 1, y + 2 * t - 1), fill=fill)
    elif shape == "star":
        draw.regular_polygon((cx, cy, r), 5, fill=fill)
        draw.regular_polygon((cx, cy, r), 5, rotation=36, fill=fill)
    elif shape == "arrow":
        draw.rectangle((x, y + s * 0.35, x + s * 0.55, y + s * 0.65), fill=fill)
        draw.polygon([(x + s * 0.5, y + s * 0.1), (x + s - 1, cy), (x + s * 0.5, y + s * 0.9)], fill=fill)
    elif shape == "ring":
        draw.ellipse((x, y, x + s - 1, y + s - 1), outline=fill, width=max(4, s // 6))
    else:  # heart
        q = s / 4
        draw.ellipse((x, y + q * 0.3, x + 2 * q + 1, y + 2.3 * q), fill=fill)
        draw.ellipse((x + 2 * q - 1, y + q * 0.3, x + s - 1, y + 2.3 * q), fill=fill)
        draw.polygon([(x + 0.15 * q, y + 1.7 * q), (x + s - 1 - 0.15 * q, y + 1.7 * q), (cx, y + s - 1)], fill=fill)


def make_scene(rng: random.Random) -> tuple[list[SceneObject], dict[str, Any]]:
    """2–6 non-touching objects and a background specification.

    Shapes and colours come from a small per-scene palette, so several objects often share a
    shape or a colour (descriptions with several boxes).  Boxes are the tight boxes of the drawn
    pixels.
    """
    from PIL import Image, ImageDraw

    shapes = rng.sample(list(SHAPES), rng.randint(2, 4))
    colours = rng.sample(list(COLOURS), rng.randint(2, 4))
    while True:
        objects: list[SceneObject] = []
        for _ in range(rng.randint(2, 6)):
            for _attempt in range(30):
                size = rng.choice(list(SIZES))
                side = rng.randint(20, 38) if size == "small" else rng.randint(56, 84)
                x, y = rng.randint(3, SIZE - side - 3), rng.randint(3, SIZE - side - 3)
                shape = rng.choice(shapes)
                mask = Image.new("1", (SIZE, SIZE), 0)
                _draw_shape(ImageDraw.Draw(mask), shape, x, y, side, 1)
                x0, y0, x1, y1 = mask.getbbox()
                box = (x0, y0, x1 - x0, y1 - y0)
                if not any(_overlaps(box, o.box) for o in objects):
                    objects.append(SceneObject(shape, rng.choice(colours), size, box))
                    break
        if len(objects) >= 2:
            break
    background = {
        "kind": rng.choice(["plain", "vertical", "horizontal"]),
        "colours": rng.sample(BACKGROUNDS, 2),
        "lines": [tuple(rng.randint(0, SIZE) for _ in range(4)) for _ in range(rng.randint(0, 3))],
        "jitter": [tuple(rng.randint(-14, 14) for _ in range(3)) for _ in objects],
    }
    return objects, background


def render_scene(objects: list[SceneObject], background: dict[str, Any]) -> Any:
    """Draw the scene as an RGB ``PIL.Image`` of SIZE×SIZE pixels."""
    from PIL import Image, ImageDraw

    first, second = background["colours"]
    image = Image.new("RGB", (SIZE, SIZE), first)
    if background["kind"] != "plain":
        ramp = Image.linear_gradient("L").resize((SIZE, SIZE))
        if background["kind"] == "horizontal":
            ramp = ramp.transpose(Image.Transpose.ROTATE_90)
        image = Image.composite(Image.new("RGB", (SIZE, SIZE), second), image, ramp)
    draw = ImageDraw.Draw(image)
    for line in background["lines"]:  # thin distractor lines, a shade darker than the background
        draw.line(line, fill=tuple(max(0, c - 45) for c in first), width=1)
    for obj, jitter in zip(objects, background["jitter"]):
        rgb = tuple(min(255, max(0, c + j)) for c, j in zip(COLOURS[obj.colour][0], jitter))
        mask = Image.new("1", (SIZE, SIZE), 0)
        x, y, w, h = obj.box
        # redraw in the generating square: the tight box came from this same square
        _redraw(mask, obj)
        image.paste(rgb, (0, 0, SIZE, SIZE), mask)
    return image


def _redraw(mask: Any, obj: SceneObject) -> None:
    from PIL import ImageDraw

    ImageDraw.Draw(mask).bitmap((0, 0), obj_mask(obj), fill=1)


_MASKS: dict[SceneObject, Any] = {}


def obj_mask(obj: SceneObject) -> Any:
    """The object's drawn pixels as a mode ``1`` image (kept from :func:`make_scene`)."""
    return _MASKS[obj]
