"""Deterministic synthetic FusionBrain files for benchmarks, examples and pipeline tests.

:func:`write_set` writes ``true_<TASK>.json`` / ``prediction_<TASK>.json`` for all four tasks at
the size of the 2021 public test set (or a fraction of it): AVATAR-tokenised Python functions with
corrupted translations, bilingual words with recognition errors, detection scenes with jittered,
missing, extra and duplicated boxes, and bilingual VQA answers with raw model-style predictions.
The data is seeded (``random.Random``) and pure Python: the same seed gives the same files.
It exercises the metrics; it is not a benchmark to train on (see the sample benchmark for that).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

__all__ = ["MAKERS", "SIZES", "make_c2c", "make_htr", "make_vqa", "make_zsod", "write_set"]

#: Item counts of the 2021 public test set.
SIZES = {"C2C": 1699, "HTR": 14973, "zsOD": 1000, "VQA": 5446}

NAMES = ["n", "m", "arr", "s", "total", "i", "j", "res", "count", "x", "y", "key", "val", "ans", "итог"]
EN_WORDS = ["cat", "dog", "house", "river", "green", "window", "street", "Moscow", "table", "chair", "yellow", "garden", "winter", "summer"]
RU_WORDS = ["кот", "собака", "дом", "река", "зелёный", "окно", "улица", "Москва", "стол", "стул", "жёлтый", "сад", "зима", "лето"]


def _expr(rng: random.Random, depth: int = 0) -> str:
    if depth > 1 or rng.random() < 0.4:
        return rng.choice(NAMES[:10] + ["1", "2", "0", "10", '" ab "', '" пример "'])
    op = rng.choice(["+", "-", "*", "//", "%", "==", "<", "and"])
    return f"{_expr(rng, depth + 1)} {op} {_expr(rng, depth + 1)}"


def _block(rng: random.Random, depth: int) -> list[str]:
    lines: list[str] = []
    for _ in range(rng.randint(1, 4)):
        kind = rng.random()
        if depth < 2 and kind < 0.2:
            lines += [f"for {rng.choice(NAMES[5:8])} in range ( {_expr(rng)} ) :", "NEW_LINE INDENT",
                      *_block(rng, depth + 1), "DEDENT"]
        elif depth < 2 and kind < 0.35:
            lines += [f"if {_expr(rng)} :", "NEW_LINE INDENT", *_block(rng, depth + 1), "DEDENT"]
            if rng.random() < 0.5:
                lines += ["else :", "NEW_LINE INDENT", *_block(rng, depth + 1), "DEDENT"]
        elif depth < 2 and kind < 0.45:
            lines += [f"while {_expr(rng)} :", "NEW_LINE INDENT", *_block(rng, depth + 1), "DEDENT"]
        elif kind < 0.6:
            lines += [f"{rng.choice(NAMES)} [ {_expr(rng)} ] = {_expr(rng)}", "NEW_LINE"]
        elif kind < 0.7:
            lines += [f"print ( {_expr(rng)} )", "NEW_LINE"]
        else:
            lines += [f"{rng.choice(NAMES)} {rng.choice(['=', '+=', '-='])} {_expr(rng)}", "NEW_LINE"]
    return lines


def make_c2c(rng: random.Random, n: int) -> tuple[dict, dict]:
    refs, preds = {}, {}
    for i in range(n):
        params = " , ".join(rng.sample(NAMES[:6], rng.randint(1, 3)))
        body = _block(rng, 0) + [f"return {_expr(rng)}", "NEW_LINE", "DEDENT"]
        ref = " ".join([f"def f{i % 50} ( {params} ) :", "NEW_LINE INDENT", *body])
        toks = ref.split()
        roll = rng.random()
        if roll < 0.03:
            pred = ""
        elif roll < 0.1:
            pred = ref
        else:
            for _ in range(rng.randint(1, 10)):
                j = rng.randrange(len(toks))
                op = rng.random()
                if op < 0.4:
                    del toks[j]
                elif op < 0.7:
                    toks[j] = rng.choice(NAMES + ["NEW_LINE", "INDENT", "(", ")"])
                else:
                    toks.insert(j, rng.choice(NAMES + ["DEDENT", ":"]))
                if not toks:
                    break
            pred = " ".join(toks)
        refs[str(i)], preds[str(i)] = ref, pred
    return refs, preds


def _mutate_word(rng: random.Random, word: str) -> str:
    if not word:
        return "x"
    i = rng.randrange(len(word))
    return word[:i] + rng.choice("aоеx") + word[i + 1:]


def make_htr(rng: random.Random, n: int) -> tuple[dict, dict]:
    refs, preds = {}, {}
    for i in range(n):
        word = rng.choice(RU_WORDS if rng.random() < 0.7 else EN_WORDS)
        refs[f"{i}.png"] = word
        roll = rng.random()
        if roll < 0.02:
            continue
        preds[f"{i}.png"] = word if roll < 0.6 else _mutate_word(rng, word)
    return refs, preds


def _box(rng: random.Random) -> list:
    box = [rng.randint(0, 900), rng.randint(0, 700), rng.randint(5, 300), rng.randint(5, 300)]
    return [v + 0.5 for v in box] if rng.random() < 0.2 else box


def make_zsod(rng: random.Random, n: int) -> tuple[dict, dict]:
    colours = ["red", "blue", "grey", "pink", "красный", "синий", "серый"]
    things = ["car", "chair", "dog", "tree", "машина", "стул", "собака", "дерево"]
    refs, preds = {}, {}
    for i in range(n):
        image = f"{i}.jpg"
        descriptions = rng.sample([f"{c} {t} {k}" for c in colours for t in things for k in range(3)], 20)
        positives, negatives = rng.randint(7, 10), rng.randint(7, 10)
        ref, pred = {}, {}
        for j, text in enumerate(descriptions[: positives + negatives]):
            boxes = [_box(rng) for _ in range(rng.randint(1, 4))] if j < positives else []
            ref[text] = boxes
            guess = []
            for target in boxes:
                if rng.random() < 0.7:
                    guess.append([v + rng.randint(-15, 15) for v in target])
                    if rng.random() < 0.1:
                        guess.append(list(guess[-1]))  # a consecutive duplicate
            if rng.random() < 0.3:
                guess.append(_box(rng))
            pred[text] = guess if guess or rng.random() < 0.9 else [[]]
        refs[image], preds[image] = ref, pred
    return refs, preds


def make_vqa(rng: random.Random, n: int) -> tuple[dict, dict]:
    en = [("yes", "Yes."), ("no", "no"), ("2", "two"), ("red", "Red"), ("cat", "the cat"), ("3", "3 dogs")]
    ru = [("да", "Да"), ("нет", "нет."), ("2", "две"), ("красный", "Красная"), ("кошка", "кошки"), ("3", "три собаки")]
    refs, preds = {}, {}
    for i in range(n):
        lang = "en" if i % 2 == 0 else "ru"
        answer, raw = rng.choice(en if lang == "en" else ru)
        refs[str(i)] = {"answer": [answer], "question_id": i, "lang": lang}
        preds[str(i)] = raw if rng.random() < 0.6 else rng.choice(en if lang == "en" else ru)[1]
    return refs, preds


MAKERS = {"C2C": make_c2c, "HTR": make_htr, "zsOD": make_zsod, "VQA": make_vqa}


def write_set(directory: Path, seed: int = 0, scale: float = 1.0, *, indent: int | None = None) -> dict[str, int]:
    """Write ``true_<TASK>.json`` and ``prediction_<TASK>.json`` for all tasks; return item counts.

    Args:
        directory: where to write (it must exist).
        seed: the seed; each task draws from its own stream.
        scale: fraction of the public-test size (at least one item per task).
        indent: JSON indentation (``None``: compact).
    """
    counts = {}
    for task, maker in MAKERS.items():
        rng = random.Random(f"{seed}-{task}")
        refs, preds = maker(rng, max(1, round(SIZES[task] * scale)))
        (directory / f"true_{task}.json").write_text(json.dumps(refs, ensure_ascii=False, indent=indent), encoding="utf-8")
        (directory / f"prediction_{task}.json").write_text(json.dumps(preds, ensure_ascii=False, indent=indent), encoding="utf-8")
        counts[task] = len(refs)
    return counts
