"""Source parsers on small fixture files in each original format."""

from __future__ import annotations

import json

import pytest

PIL = pytest.importorskip("PIL.Image")

from fusionbench.data.sources import avatar, fusionbrain, school_notebooks, visual_genome, vqa_v2  # noqa: E402
from fusionbench.errors import FormatError, MissingFileError  # noqa: E402


def dump(path, value, lines=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    if lines:
        path.write_text("\n".join(json.dumps(v, ensure_ascii=False) for v in value) + "\n", encoding="utf-8")
    else:
        path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")


def image(path, size=(20, 10)):
    path.parent.mkdir(parents=True, exist_ok=True)
    PIL.new("RGB", size, (9, 9, 9)).save(path)


def test_fusionbrain_htr_zip_layout(tmp_path):
    image(tmp_path / "train/images/1.png")
    dump(tmp_path / "train/train_labels.json", {"1.png": "Привет"})
    rows = list(fusionbrain.htr_rows(tmp_path))
    assert rows == [{"id": "1.png", "image": str(tmp_path / "train/images/1.png"), "text": "Привет", "language": "ru"}]
    dump(tmp_path / "train/train_labels.json", {"2.png": "x"})
    with pytest.raises(MissingFileError, match="labelled image"):
        list(fusionbrain.htr_rows(tmp_path))


def test_fusionbrain_zsod_json_with_visual_genome_images(tmp_path):
    image(tmp_path / "vg/5.jpg", size=(50, 40))
    dump(tmp_path / "vg_intersection_rus.json", {"5.jpg": {"красная машина": [[1, 2, 3, 4]], "синий кот": []}})
    [row] = fusionbrain.zsod_rows(tmp_path / "vg_intersection_rus.json", tmp_path / "vg")
    assert (row["width"], row["height"]) == (50, 40)
    assert row["descriptions"][1] == {"text": "синий кот", "language": "ru", "positive": False, "boxes": []}


def test_fusionbrain_vqa_answers_are_normalised(tmp_path):
    image(tmp_path / "VQA_rus/images/7.jpg")
    dump(tmp_path / "VQA_rus/questions.json", {"3": {"image_id": 7, "question": "Сколько котов?"}})
    dump(tmp_path / "VQA_rus/answers.json", {"3": {"answer": ["Два", "два кота"]}})
    [row] = fusionbrain.vqa_rows(tmp_path, "ru")
    assert row["answers"] == ["2", "2 кот"] and row["question_id"] == 3 and row["language"] == "ru"


def test_fusionbrain_c2c_jsonl(tmp_path):
    dump(tmp_path / "c2c.jsonl", [{"java": "int f ( ) { }", "python": "def f ( ) : NEW_LINE INDENT pass NEW_LINE DEDENT"}],
         lines=True)
    assert list(fusionbrain.c2c_rows(tmp_path / "c2c.jsonl"))[0]["id"] == "0"
    (tmp_path / "bad.jsonl").write_text("{oops\n", encoding="utf-8")
    with pytest.raises(FormatError, match="line 1"):
        list(fusionbrain.c2c_rows(tmp_path / "bad.jsonl"))


def test_avatar_takes_the_first_candidate(tmp_path):
    dump(tmp_path / "test.jsonl", [{"id": "p1", "java": ["a", "b"], "python": ["c"]}], lines=True)
    assert list(avatar.rows(tmp_path / "test.jsonl")) == [{"id": "p1", "java": "a", "python": "c"}]
    assert avatar.SPLITS["validation"] == "valid"
    dump(tmp_path / "bad.jsonl", [{"id": "p1"}], lines=True)
    with pytest.raises(FormatError, match="line 1"):
        list(avatar.rows(tmp_path / "bad.jsonl"))


def test_visual_genome_groups_regions_by_phrase(tmp_path):
    image(tmp_path / "images/10.jpg")
    dump(tmp_path / "image_data.json", [{"image_id": 10, "width": 800, "height": 600}, {"image_id": 11, "width": 1, "height": 1}])
    dump(tmp_path / "region_descriptions.json", [
        {"id": 10, "regions": [{"image_id": 10, "phrase": "a red  car", "x": 1, "y": 2, "width": 3, "height": 4},
                               {"image_id": 10, "phrase": "a red car", "x": 5, "y": 6, "width": 7, "height": 8}]},
        {"id": 11, "regions": [{"image_id": 11, "phrase": "sky", "x": 0, "y": 0, "width": 1, "height": 1}]},
    ])
    [row] = visual_genome.rows(tmp_path / "image_data.json", tmp_path / "region_descriptions.json", [tmp_path / "images"])
    assert row["image_id"] == "10.jpg" and (row["width"], row["height"]) == (800, 600)
    assert row["descriptions"] == [{"text": "a red car", "language": "en", "positive": True,
                                    "boxes": [[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]}]


def test_vqa_v2_normalises_and_deduplicates_answers(tmp_path):
    image(tmp_path / "val2014/COCO_val2014_000000000042.jpg")
    dump(tmp_path / "q.json", {"questions": [{"image_id": 42, "question": "How many?", "question_id": 420},
                                             {"image_id": 43, "question": "Missing image?", "question_id": 430}]})
    dump(tmp_path / "a.json", {"annotations": [{"question_id": 420, "answers": [{"answer": "Two"}, {"answer": "2"},
                                                                               {"answer": "two."}]}]})
    [row] = vqa_v2.rows(tmp_path / "q.json", tmp_path / "a.json", tmp_path / "val2014", "val")
    assert row["answers"] == ["2"] and row["question_id"] == 420 and row["language"] == "en"


def test_school_notebooks_crops_transcribed_words(tmp_path):
    image(tmp_path / "images/page.jpg", size=(100, 50))
    dump(tmp_path / "annotations.json", {
        "images": [{"id": 1, "file_name": "page.jpg"}],
        "annotations": [{"image_id": 1, "bbox": [10, 5, 30, 20], "attributes": {"translation": "слово"}},
                        {"image_id": 1, "bbox": [0, 0, 5, 5], "attributes": {}}],
    })
    [row] = school_notebooks.rows(tmp_path / "annotations.json", tmp_path / "images")
    assert row["text"] == "слово" and row["language"] == "ru" and row["image"].size == (30, 20)


def test_public_sources_load_through_the_builders_from_a_local_mirror(tmp_path):
    import zipfile

    import fusionbench

    mirror = tmp_path / "mirror"
    dump(mirror / "CodeToCodeTranslation_train_java_python.jsonl",
         [{"java": "int f ( ) { }", "python": "def f ( ) : NEW_LINE INDENT pass NEW_LINE DEDENT"}], lines=True)
    # the organisers' sample_data archives, as zips
    inner = tmp_path / "inner"
    dump(inner / "input/C2C/requests.json", {"0": "int g ( ) { }"})
    dump(inner / "true/true_C2C.json", {"0": "def g ( ) : NEW_LINE INDENT pass NEW_LINE DEDENT"})
    for name, folder in (("input.zip", inner / "input"), ("true.zip", inner / "true")):
        with zipfile.ZipFile(mirror / name, "w") as zf:
            for file in folder.rglob("*"):
                zf.write(file, file.relative_to(folder.parent))
    ds = fusionbench.load_dataset("c2c", source="fusionbrain", data_dir=mirror, cache_dir=tmp_path / "hf")
    assert ds["train"][0]["java"] == "int f ( ) { }" and ds["test"][0]["java"] == "int g ( ) { }"

    avatar_dir = tmp_path / "avatar"
    for stem in ("train", "valid", "test"):
        dump(avatar_dir / f"{stem}.jsonl", [{"id": stem, "java": ["j"], "python": ["p"]}], lines=True)
    ds = fusionbench.load_dataset("c2c", source="avatar", data_dir=avatar_dir, cache_dir=tmp_path / "hf")
    assert {k: v[0]["id"] for k, v in ds.items()} == {"train": "train", "validation": "valid", "test": "test"}


def test_source_without_the_task_and_missing_mirror_are_clear_errors(tmp_path):
    import fusionbench
    from fusionbench.errors import FusionBenchError

    with pytest.raises(FusionBenchError, match="has no C2C data"):
        fusionbench.load_dataset("c2c", source="vqa_v2", data_dir=tmp_path, cache_dir=tmp_path / "hf")
    with pytest.raises(FusionBenchError, match="AVATAR data folder"):
        fusionbench.load_dataset("c2c", source="avatar", cache_dir=tmp_path / "hf2")
