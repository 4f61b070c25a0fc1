"""How fast does fusionbench score a public-test-size FusionBrain set?

Generates a deterministic set of the size of the 2021 public test (C2C 1,699 pairs, HTR 14,973
words, zsOD 1,000 images with 7–10 positive and 7–10 negative descriptions each, VQA 5,446
questions half English half Russian), writes it in the official file layout, then scores it in
fresh processes (so imports and worker start-up are counted) and prints seconds, items/s and
peak memory per task and for the whole set.  It prints numbers; it never passes or fails.

    python benchmarks/score_speed.py [--seed 0] [--scale 1.0] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SIZES = {"C2C": 1699, "HTR": 14973, "zsOD": 1000, "VQA": 5446}

NAMES = ["n", "m", "arr", "s", "total", "i", "j", "res", "count", "x", "y", "key", "val", "ans", "итог"]
EN_WORDS = "cat dog house river green window street Moscow table chair yellow garden winter summer".split()
RU_WORDS = "кот собака дом река зелёный окно улица Москва стол стул жёлтый сад зима лето".split()


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


def write_set(directory: Path, seed: int, scale: float) -> dict[str, int]:
    """Write ``true_<TASK>.json`` and ``prediction_<TASK>.json`` for all tasks; return item counts."""
    counts = {}
    for task, maker in MAKERS.items():
        rng = random.Random(f"{seed}-{task}")
        refs, preds = maker(rng, max(1, round(SIZES[task] * scale)))
        (directory / f"true_{task}.json").write_text(json.dumps(refs, ensure_ascii=False), encoding="utf-8")
        (directory / f"prediction_{task}.json").write_text(json.dumps(preds, ensure_ascii=False), encoding="utf-8")
        counts[task] = len(refs)
    return counts


CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
import fusionbench
t1 = time.perf_counter()
report = fusionbench.evaluate(sys.argv[1], sys.argv[1], tasks=sys.argv[2].split(","))
t2 = time.perf_counter()
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"import_s": t1 - t0, "score_s": t2 - t1, "total_s": t2 - t0,
                  "peak_mib": max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, children) / 1024,
                  "scores": {k: v.score for k, v in report.scores.items()}}))
"""


def measure(directory: Path, tasks: list[str], repeat: int) -> dict:
    """Median of ``repeat`` runs, each in a fresh interpreter."""
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", CHILD, str(directory), ",".join(tasks)],
                             capture_output=True, text=True, check=True).stdout
        runs.append(json.loads(out))
    best = sorted(runs, key=lambda r: r["total_s"])[len(runs) // 2]
    best["total_s_all"] = [round(r["total_s"], 3) for r in runs]
    best["total_s_median"] = statistics.median(r["total_s"] for r in runs)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the public-test size")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        counts = write_set(directory, args.seed, args.scale)
        results = {task: measure(directory, [task], args.repeat) for task in MAKERS}
        results["all"] = measure(directory, list(MAKERS), args.repeat)
    counts["all"] = sum(counts.values())
    print(f"{'task':6} {'items':>7} {'total s':>8} {'score s':>8} {'items/s':>9} {'peak MiB':>9}")
    for task, r in results.items():
        rate = counts[task] / r["score_s"] if r["score_s"] else float("inf")
        print(f"{task:6} {counts[task]:7d} {r['total_s_median']:8.3f} {r['score_s']:8.3f} {rate:9.0f} {r['peak_mib']:9.1f}")
    print("(total = fresh interpreter: import + read + validate + score; median of "
          f"{args.repeat} runs; import alone {results['all']['import_s']:.3f} s)")
    if args.json:
        print(json.dumps({"counts": counts, "results": results}))


if __name__ == "__main__":
    main()
