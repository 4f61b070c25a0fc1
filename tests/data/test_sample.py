"""The shipped sample benchmark: deterministic, frozen copy in sync, valid, disjoint, equivalent code."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

PIL = pytest.importorskip("PIL.Image")

from fusionbench.data.challenge import read_split  # noqa: E402
from fusionbench.data.sample import generate  # noqa: E402
from fusionbench.data.sample.c2c import SAMPLE_INPUTS  # noqa: E402
from fusionbench.data.sample_source import frozen_split  # noqa: E402
from fusionbench.formats import read_task_file  # noqa: E402
from fusionbench.metrics.codebleu.detok import detokenize  # noqa: E402
from fusionbench.metrics.vqa import normalize_answer  # noqa: E402
from fusionbench.tasks import TASK_ORDER  # noqa: E402

SMALL = {"HTR": 6, "zsOD": 3, "VQA": 10, "C2C": 5}


def files(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_the_same_bytes(tmp_path):
    a = generate("train", tmp_path / "a", sizes=SMALL)
    b = generate("train", tmp_path / "b", sizes=SMALL)
    c = generate("train", tmp_path / "c", sizes=SMALL, seed=7)
    assert files(a) == files(b)
    assert files(a) != files(c)


@pytest.mark.parametrize("split", ["validation", "test"])
def test_frozen_split_matches_a_fresh_generation(tmp_path, split):
    fresh = generate(split, tmp_path / split)
    frozen = frozen_split(split)
    ours, theirs = files(fresh), files(frozen)
    assert set(ours) == set(theirs)
    for name, data in ours.items():
        if name.suffix == ".json":
            assert data == theirs[name], name
        else:  # image encoders may differ across Pillow/zlib/libjpeg builds: compare pixels
            with PIL.open(fresh / name) as x, PIL.open(frozen / name) as y:
                assert x.size == y.size
                diff = sum(abs(p - q) for p, q in zip(x.convert("L").tobytes(), y.convert("L").tobytes()))
                assert diff / (x.size[0] * x.size[1]) < 2.0, name


@pytest.mark.parametrize("split", ["validation", "test"])
def test_frozen_splits_are_valid_challenge_layouts(split):
    root = frozen_split(split)
    for task in TASK_ORDER:
        read_task_file(root, task, "reference")
        assert read_split(root, task)  # images readable, keys consistent, boxes valid
    meta = json.loads((root / "meta.json").read_text(encoding="utf-8"))
    assert meta["split"] == split and set(meta["HTR"]["languages"].values()) == {"en", "ru"}


def test_splits_are_disjoint():
    val, test = frozen_split("validation"), frozen_split("test")
    for task in ("C2C",):
        a = json.loads((val / f"true_{task}.json").read_text(encoding="utf-8"))
        b = json.loads((test / f"true_{task}.json").read_text(encoding="utf-8"))
        assert not set(a.values()) & set(b.values())
    images = lambda root: {p.read_bytes() for p in root.rglob("*.jpg")} | {p.read_bytes() for p in root.rglob("*.png")}  # noqa: E731
    assert not images(val) & images(test)


def test_vqa_reference_answers_are_already_normalised():
    truth = json.loads((frozen_split("test") / "true_VQA.json").read_text(encoding="utf-8"))
    assert {e["lang"] for e in truth.values()} == {"en", "ru"}
    for entry in truth.values():
        for answer in entry["answer"]:
            assert normalize_answer(answer, entry["lang"]) == answer


def test_zsod_has_positive_and_negative_descriptions_in_both_languages():
    truth = json.loads((frozen_split("test") / "true_zsOD.json").read_text(encoding="utf-8"))
    boxes = [b for d in truth.values() for b in d.values()]
    assert any(b == [] for b in boxes) and any(len(b) > 1 for b in boxes)
    texts = " ".join(t for d in truth.values() for t in d)
    assert "круг" in texts or "звезда" in texts
    assert "circle" in texts or "star" in texts


def run_python(pairs):
    results = []
    for name, python in pairs:
        namespace: dict = {}
        exec(compile(detokenize(python), name, "exec"), namespace)  # the sample's own code
        results.append([namespace[name](a, b, list(arr)) for a, b, arr in SAMPLE_INPUTS])
    return results


@pytest.mark.skipif(shutil.which("javac") is None or shutil.which("java") is None, reason="needs a JDK")
def test_java_and_python_agree_on_sample_inputs(tmp_path):
    root = frozen_split("test")
    java = json.loads((root / "input/C2C/requests.json").read_text(encoding="utf-8"))
    python = json.loads((root / "true_C2C.json").read_text(encoding="utf-8"))
    names = json.loads((root / "meta.json").read_text(encoding="utf-8"))["C2C"]["functions"]
    keys = list(java)[:40]
    classes, calls = [], []
    for i, key in enumerate(keys):
        classes.append(f"static class C{i} {{ {java[key]} }}")
        for a, b, arr in SAMPLE_INPUTS:
            array = "new long[]{" + ",".join(map(str, arr)) + "}"
            calls.append(f"System.out.println(C{i}.{names[key]}({a}L, {b}L, {array}));")
    source = "public class Check { " + " ".join(classes) + " public static void main(String[] x) { " + " ".join(calls) + " } }"
    (tmp_path / "Check.java").write_text(source, encoding="utf-8")
    subprocess.run(["javac", "Check.java"], cwd=tmp_path, check=True, capture_output=True)
    out = subprocess.run(["java", "-cp", ".", "Check"], cwd=tmp_path, check=True, capture_output=True, text=True).stdout
    java_results = [int(v) for v in out.split()]
    python_results = [v for row in run_python([(names[k], python[k]) for k in keys]) for v in row]
    assert java_results == python_results
