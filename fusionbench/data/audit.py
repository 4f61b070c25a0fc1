"""Leakage audit across tasks and splits (the "clean multi-task setup" of 12-in-1).

For every evaluation split (validation, test) of every task, count how many of its images also
occur in any task's training (or other evaluation) split: exactly (a hash of the decoded pixels)
and nearly (a 64-bit difference hash within a small Hamming distance).  For C2C, count test pairs
whose Java or Python duplicates a training item after whitespace and identifier normalisation.
Splits are folders in the challenge layout (answers in ``answers/`` or beside ``input/``: both are
read through :func:`fusionbench.data.challenge.locate_split`); the clean train split is written in
the layout ``export challenge`` writes (``input/`` + ``answers/``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fusionbench.data.challenge import ANSWERS, ChallengeSplit, locate_split, write_layout_json
from fusionbench.errors import FusionBenchError
from fusionbench.formats import find_task_file
from fusionbench.jsonio import make_staging_dir
from fusionbench.tasks import TASK_ORDER

__all__ = ["AuditReport", "audit", "image_hashes", "normalize_code", "write_clean_split"]

#: Image folders under ``input/``.
IMAGE_FOLDERS = {"HTR": "HTR/images", "zsOD": "zsOD/images", "VQA": "VQA/images"}
NEAR_DISTANCE = 4
_IDENTIFIER = re.compile(r"^[A-Za-z_]\w*$")
_KEEP = frozenset(
    "def return if else elif for while in range len and or not True False None int long static void "
    "public private class new NEW_LINE INDENT DEDENT".split()
)


def _dhash(image: Any) -> int:
    small = image.convert("L").resize((9, 8))
    pixels = small.tobytes()
    bits = 0
    for row in range(8):
        for col in range(8):
            bits = (bits << 1) | (pixels[row * 9 + col] > pixels[row * 9 + col + 1])
    return bits


def image_hashes(folder: Path) -> dict[str, tuple[str, int]]:
    """File name to (exact pixel hash, difference hash) for every image in ``folder``."""
    from PIL import Image

    hashes = {}
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        with Image.open(path) as image:
            rgb = image.convert("RGB")
            exact = hashlib.sha256(f"{rgb.size}".encode() + rgb.tobytes()).hexdigest()
            hashes[path.name] = (exact, _dhash(rgb))
    return hashes


def normalize_code(code: str) -> str:
    """Collapse whitespace and rename identifiers to ``v0, v1, …`` in order of first use."""
    names: dict[str, str] = {}
    out = []
    for token in code.split():
        if _IDENTIFIER.match(token) and token not in _KEEP:
            token = names.setdefault(token, f"v{len(names)}")
        out.append(token)
    return " ".join(out)


@dataclass
class AuditReport:
    """Overlap counts: ``images[(task, split)][(other_task, other_split)] = (exact, near)``."""

    images: dict[tuple[str, str], dict[tuple[str, str], tuple[int, int]]] = field(default_factory=dict)
    sizes: dict[tuple[str, str], int] = field(default_factory=dict)
    code: dict[str, int] = field(default_factory=dict)  # eval split -> C2C items duplicating train
    duplicates: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # train items to drop

    def to_dict(self) -> dict[str, Any]:
        return {
            "images": [
                {"task": t, "split": s, "items": self.sizes[(t, s)], "other_task": ot, "other_split": os_,
                 "exact": e, "near": n}
                for (t, s), row in self.images.items() for (ot, os_), (e, n) in row.items()
            ],
            "c2c_duplicates": self.code,
            "train_items_to_drop": {f"{t}/{s}": sorted(keys) for (t, s), keys in self.duplicates.items()},
        }

    def table(self) -> str:
        lines = [f"{'eval split':18} {'items':>6}  {'overlaps (exact/near) with':30}"]
        for (task, split), row in self.images.items():
            parts = [f"{ot}/{os_} {e}/{n}" for (ot, os_), (e, n) in row.items()]
            lines.append(f"{task + '/' + split:18} {self.sizes[(task, split)]:6d}  " + ", ".join(parts))
        for split, count in self.code.items():
            lines.append(f"{'C2C/' + split:18} {self.sizes.get(('C2C', split), 0):6d}  duplicates of C2C/train: {count}")
        return "\n".join(lines)


def audit(splits: Mapping[str, str | Path], *, near_distance: int = NEAR_DISTANCE) -> AuditReport:
    """Audit splits given as ``{"train": DIR, "validation": DIR, "test": DIR}`` (challenge layout)."""
    roots = {name: locate_split(path, need_answers=False) for name, path in splits.items()}
    hashes = {(task, split): image_hashes(root.inputs / folder)
              for split, root in roots.items() for task, folder in IMAGE_FOLDERS.items()}
    report = AuditReport()
    for (task, split), items in hashes.items():
        if split == "train" or not items:
            continue
        report.sizes[(task, split)] = len(items)
        row = {}
        for (other_task, other_split), others in hashes.items():
            if (other_task, other_split) == (task, split) or not others:
                continue
            exact_pool = {h[0] for h in others.values()}
            exact = sum(1 for h in items.values() if h[0] in exact_pool)
            near_pool = [h[1] for h in others.values()]
            near_hits = [name for name, h in items.items()
                         if any(bin(h[1] ^ o).count("1") <= near_distance for o in near_pool)]
            row[(other_task, other_split)] = (exact, len(near_hits))
            if other_split == "train":
                mine = {h[0] for h in items.values()}
                drop = {name for name, h in others.items()
                        if h[0] in mine or any(bin(h[1] ^ x[1]).count("1") <= near_distance for x in items.values())}
                if drop:
                    report.duplicates.setdefault((other_task, "train"), set()).update(drop)
        report.images[(task, split)] = row
    if "train" in roots:
        train = _c2c_items(roots["train"])
        seen = {normalize_code(v) for pair in train.values() for v in pair}
        for split, root in roots.items():
            if split == "train":
                continue
            items = _c2c_items(root)
            report.sizes[("C2C", split)] = len(items)
            report.code[split] = sum(1 for java, py in items.values()
                                     if normalize_code(java) in seen or normalize_code(py) in seen)
            evaluated = {normalize_code(v) for pair in items.values() for v in pair}
            drop = {k for k, (java, py) in train.items() if normalize_code(java) in evaluated or normalize_code(py) in evaluated}
            if drop:
                report.duplicates.setdefault(("C2C", "train"), set()).update(drop)
    return report


def _c2c_items(root: ChallengeSplit) -> dict[str, tuple[str, str]]:
    requests, truth = root.inputs / "C2C/requests.json", root.answers / "true_C2C.json"
    if not (requests.is_file() and truth.is_file()):
        return {}
    java = json.loads(requests.read_text(encoding="utf-8"))
    python = json.loads(truth.read_text(encoding="utf-8"))
    return {k: (java[k], python.get(k, "")) for k in java}


def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _without(data: dict[str, Any], names: set[str]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in names}


def write_clean_split(train_dir: str | Path, out_dir: str | Path, report: AuditReport) -> Path:
    """Write a train split without the items the audit found in evaluation splits.

    The output has the layout ``export challenge`` writes (``input/`` + ``answers/``) whichever
    form the train split had; it is staged beside ``out_dir`` and renamed into place, so a failure
    leaves nothing behind.

    Raises:
        FusionBenchError: ``out_dir`` already exists.
    """
    source = locate_split(train_dir, need_answers=False)
    target = Path(out_dir)
    if target.exists():
        raise FusionBenchError("the output folder already exists; choose a new one", file=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = make_staging_dir(f".{target.name}-", target.parent)
    try:
        inputs, answers = staging / "input", staging / ANSWERS
        shutil.copytree(source.inputs, inputs)
        drop = {task: names for (task, _), names in report.duplicates.items()}
        for task in TASK_ORDER:
            truth_file = find_task_file(source.answers, task, "reference")
            if truth_file is None:
                continue
            names = drop.get(task, set())
            truth = _read(truth_file)
            if task == "C2C":
                write_layout_json(inputs / "C2C/requests.json", _without(_read(inputs / "C2C/requests.json"), names))
                truth = _without(truth, names)
            elif task == "VQA":
                questions = _read(inputs / "VQA/questions.json")
                kept = {k for k, q in questions.items() if q["file_name"] not in names}
                write_layout_json(inputs / "VQA/questions.json", {k: questions[k] for k in kept})
                truth = {k: v for k, v in truth.items() if k in kept}
            else:
                truth = _without(truth, names)
                if task == "zsOD":
                    write_layout_json(inputs / "zsOD/requests.json", _without(_read(inputs / "zsOD/requests.json"), names))
            if task != "C2C":
                for name in names:
                    (inputs / IMAGE_FOLDERS[task] / name).unlink(missing_ok=True)
            write_layout_json(answers / f"true_{task}.json", truth)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


# -- C2C on real data: the TransCoder GfG sets against AVATAR-g4g's train split -------------------

NEAR_JACCARD = 0.8  # token-trigram Jaccard similarity of the Java functions


def _shingles(code: str) -> frozenset[tuple[str, ...]]:
    tokens = code.split()
    return frozenset(tuple(tokens[i:i + 3]) for i in range(max(1, len(tokens) - 2)))


@dataclass
class C2CLeakage:
    """Overlaps of each evaluation split with the train split, and the train ids to drop.

    ``splits[name]`` counts evaluation items whose Java is in train verbatim (``verbatim``; also
    ``verbatim_distinct`` distinct functions), whose Python is (``verbatim_python``), whose Java
    equals a train Java after identifier normalisation (``normalized``), or whose Java's
    token-trigram Jaccard similarity with some train Java is at least ``near_threshold`` (``near``,
    a superset of the verbatim ones).
    """

    train: str
    train_items: int
    near_threshold: float
    splits: dict[str, dict[str, int]] = field(default_factory=dict)
    drop: set[str] = field(default_factory=set)

    def to_dict(self) -> dict[str, Any]:
        return {"train": self.train, "train_items": self.train_items, "near_threshold": self.near_threshold,
                "splits": self.splits, "train_items_to_drop": len(self.drop), "train_ids_to_drop": sorted(self.drop)}

    def table(self) -> str:
        lines = [(f"C2C leakage against {self.train} ({self.train_items} items); near = Java token-trigram "
                  f"Jaccard >= {self.near_threshold:g}"),
                 (f"{'eval split':28} {'items':>6} {'verbatim java':>14} {'(distinct)':>10} {'verbatim py':>12} "
                  f"{'normalized':>10} {'near':>6}")]
        for name, c in self.splits.items():
            lines.append(f"{name:28} {c['items']:6d} {c['verbatim']:14d} {c['verbatim_distinct']:10d} "
                         f"{c['verbatim_python']:12d} {c['normalized']:10d} {c['near']:6d}")
        lines.append(f"train items to drop (any overlap with an evaluation split): {len(self.drop)}")
        return "\n".join(lines)


def c2c_leakage(
    train: Mapping[str, tuple[str, str]],
    evaluations: Mapping[str, Mapping[str, tuple[str, str]]],
    *,
    train_name: str = "avatar_g4g/train",
    near_threshold: float = NEAR_JACCARD,
) -> C2CLeakage:
    """Count how many items of each evaluation split (id -> (java, python)) leak from ``train``."""
    from collections import Counter, defaultdict

    ids = list(train)
    java_index: dict[str, list[str]] = defaultdict(list)
    python_index: dict[str, list[str]] = defaultdict(list)
    normal_index: dict[str, list[str]] = defaultdict(list)
    shingle_index: dict[tuple[str, ...], list[int]] = defaultdict(list)
    sizes = []
    for position, key in enumerate(ids):
        java, python = train[key]
        java_index[java].append(key)
        python_index[python].append(key)
        normal_index[normalize_code(java)].append(key)
        shingles = _shingles(java)
        sizes.append(len(shingles))
        for shingle in shingles:
            shingle_index[shingle].append(position)
    report = C2CLeakage(train=train_name, train_items=len(train), near_threshold=near_threshold)
    for name, items in evaluations.items():
        counts = {"items": len(items), "verbatim": 0, "verbatim_distinct": 0, "verbatim_python": 0,
                  "normalized": 0, "near": 0}
        distinct = set()
        for java, python in items.values():
            hits = set(java_index.get(java, ()))
            if hits:
                counts["verbatim"] += 1
                distinct.add(java)
            if python in python_index:
                counts["verbatim_python"] += 1
                hits.update(python_index[python])
            normal = normal_index.get(normalize_code(java), ())
            counts["normalized"] += bool(normal)
            hits.update(normal)
            shingles = _shingles(java)
            shared = Counter(p for s in shingles for p in shingle_index.get(s, ()))
            near = [ids[p] for p, common in shared.items()
                    if common / (len(shingles) + sizes[p] - common) >= near_threshold]
            counts["near"] += bool(near or java in java_index)
            hits.update(near)
            report.drop.update(hits)
        counts["verbatim_distinct"] = len(distinct)
        report.splits[name] = counts
    return report


def real_c2c_splits(data_dir: str | Path | None = None) -> tuple[dict, dict[str, dict]]:
    """AVATAR-g4g train and the evaluation splits (GfG test/validation, g4g validation/test) as
    ``id -> (java, python)``, from the pinned sources (``data_dir``: a local mirror)."""
    from fusionbench.data import load_dataset

    def pairs(dataset: Any) -> dict[str, tuple[str, str]]:
        return {row["id"]: (row["java"], row["python"]) for row in dataset}

    g4g = load_dataset("c2c", source="avatar_g4g", data_dir=data_dir)
    gfg = load_dataset("c2c", source="transcoder_gfg", data_dir=data_dir)
    evaluations = {"transcoder_gfg/test": pairs(gfg["test"]), "transcoder_gfg/validation": pairs(gfg["validation"]),
                   "avatar_g4g/validation": pairs(g4g["validation"]), "avatar_g4g/test": pairs(g4g["test"])}
    return pairs(g4g["train"]), evaluations


def write_clean_c2c_train(
    train: Mapping[str, tuple[str, str]],
    report: C2CLeakage,
    out_dir: str | Path,
    others: Mapping[str, Mapping[str, tuple[str, str]]] | None = None,
) -> Path:
    """Write ``out_dir/train.jsonl`` (AVATAR's format) without the leaked items, and the splits of
    ``others`` (file stem -> items, e.g. ``{"valid": ..., "test": ...}``) unchanged beside it, so
    that ``load_dataset("c2c", source="avatar", data_dir=out_dir)`` reads the folder; atomically,
    and only into a folder that does not exist yet."""
    from fusionbench.errors import FusionBenchError

    target = Path(out_dir)
    if target.exists():
        raise FusionBenchError(f"{target}: already exists; --write-clean writes a new folder")
    staging = target.parent / f".{target.name}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    kept = {key: pair for key, pair in train.items() if key not in report.drop}
    for stem, items in {"train": kept, **(others or {})}.items():
        with open(staging / f"{stem}.jsonl", "w", encoding="utf-8") as handle:
            for key, (java, python) in items.items():
                handle.write(json.dumps({"id": key, "java": [java], "python": [python]}, ensure_ascii=False) + "\n")
    (staging / "LEAKAGE.json").write_text(json.dumps(report.to_dict(), indent=1), encoding="utf-8")
    staging.rename(target)
    return target
