"""Render words as handwriting-like grayscale images.

Glyphs come from the Caveat handwriting font (SIL Open Font License 1.1, shipped in ``fonts/``
with its licence; Latin and Cyrillic subsets are separate files).  Each character gets its own
size, baseline offset and rotation; the word is then slanted, its strokes thickened or thinned,
and paper noise and a slight blur are added.  Everything is drawn from the given
``random.Random``, so a seed fixes the image.
"""

from __future__ import annotations

import random
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["render_word"]

FONTS = Path(__file__).with_name("fonts")
HEIGHT = 64


@lru_cache(maxsize=16)
def _font(script: str, size: int) -> Any:
    from PIL import ImageFont

    name = "Caveat-Cyrillic.ttf" if script == "cyrillic" else "Caveat-Latin.ttf"
    return ImageFont.truetype(str(FONTS / name), size)


def _script(char: str) -> str:
    return "cyrillic" if "\u0400" <= char <= "\u04ff" else "latin"


def render_word(word: str, rng: random.Random) -> Any:
    """A ``PIL.Image`` (mode ``L``, height 64) of ``word`` in a jittered handwriting."""
    from PIL import Image, ImageDraw, ImageFilter

    base = rng.randint(34, 46)
    ink = rng.randint(10, 70)
    paper = rng.randint(215, 250)
    canvas = Image.new("L", (max(64, int(len(word) * base * 0.75) + 40), HEIGHT + 20), paper)
    x = rng.randint(6, 14)
    for char in word:
        size = max(20, base + rng.randint(-3, 3))
        font = _font(_script(char), size)
        glyph = Image.new("L", (size * 2, size * 2), 0)
        ImageDraw.Draw(glyph).text((size // 2, size // 4), char, font=font, fill=255,
                                   stroke_width=rng.choice([0, 0, 1]))
        glyph = glyph.rotate(rng.uniform(-6, 6), resample=Image.BICUBIC)
        advance = font.getlength(char) if char != " " else size * 0.35
        y = rng.randint(-3, 3)
        canvas.paste(Image.new("L", glyph.size, ink), (int(x) - size // 2, y), glyph)
        x += advance + rng.uniform(-1.5, 1.0)
    shear = rng.uniform(-0.35, 0.15)
    width = canvas.width
    canvas = canvas.transform(canvas.size, Image.AFFINE, (1, shear, -shear * canvas.height / 2, 0, 1, 0),
                              resample=Image.BICUBIC, fillcolor=paper)
    canvas = canvas.crop((0, 6, min(width, int(x) + 24), 6 + HEIGHT))
    noise = Image.frombytes("L", canvas.size, rng.randbytes(canvas.width * canvas.height))
    canvas = Image.blend(canvas, noise, rng.uniform(0.03, 0.08))
    if rng.random() < 0.5:
        canvas = canvas.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8)))
    return canvas
