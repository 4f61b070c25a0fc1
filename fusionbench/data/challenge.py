"""Read a split in the FusionBrain challenge layout into validated rows, one list per task.

The layout (what a submission sees, plus the answers)::

    input/C2C/requests.json          {id: java}
    input/HTR/images/*.png
    input/zsOD/images/*.jpg          input/zsOD/requests.json   {image: [descriptions]}
    input/VQA/images/*.jpg           input/VQA/questions.json   {id: {file_name, question}}
    answers/true_C2C.json  answers/true_HTR.json  answers/true_zsOD.json  answers/true_VQA.json

The answers may also lie beside ``input/`` (``true_<TASK>.json`` at the top: the organisers'
sample and the frozen sample splits).  Every command that reads a data folder finds its parts with
:func:`locate_split`, so both forms are read the same everywhere; every command that writes one
(``export challenge``, ``audit --write-clean``) writes ``input/`` + ``answers/`` with
:func:`write_layout_json`.

Every problem (missing file, broken image, labels that do not match the images, a box of negative
size, an unknown language) raises one :class:`~fusionbench.errors.FusionBenchError` naming the
file and the item.  Rows are plain dicts whose images are file paths; the builders turn them into
typed ``datasets`` features.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fusionbench.errors import FormatError, KeyMismatchError, MissingFileError, json_path
from fusionbench.formats import read_task_file, tasks_in_directory
from fusionbench.jsonio import read_json_object
from fusionbench.tasks import get_task

__all__ = ["ChallengeSplit", "locate_split", "reference_dir", "read_split", "image_size", "script_language",
           "write_layout_json"]

#: Where the answers go in the layout that fusionbench writes.
ANSWERS = "answers"


@dataclass(frozen=True)
class ChallengeSplit:
    """The parts of one split in the challenge layout.

    Attributes:
        root: the folder that holds ``input/``.
        inputs: ``root/input`` (what a submission sees).
        answers: the folder of the ``true_<TASK>.json`` files: ``root/answers`` or ``root``.
    """

    root: Path
    inputs: Path
    answers: Path

    def tasks(self) -> list[str]:
        """Official names of the tasks with a reference file, in report order."""
        return tasks_in_directory(self.answers, "reference")


def reference_dir(directory: str | Path) -> Path:
    """The folder of a split's ``true_<TASK>.json`` files: ``directory/answers`` when that holds
    any (the layout fusionbench writes), else ``directory`` itself."""
    path = Path(directory)
    return path / ANSWERS if tasks_in_directory(path / ANSWERS, "reference") else path


def locate_split(directory: str | Path, split: str | None = None, *, need_answers: bool = True) -> ChallengeSplit:
    """Find ``input/`` and the answers of a split in ``directory`` (or in ``directory/<split>``).

    Both forms are accepted: answers in ``answers/`` or ``true_<TASK>.json`` beside ``input/``.

    Raises:
        MissingFileError: the folder does not exist, has no ``input/``, or (with ``need_answers``)
            no reference file in either place.
    """
    root = Path(directory)
    if not root.is_dir():
        raise MissingFileError("data directory not found", file=str(root))
    candidates = [root / split, root] if split else [root]
    folder = next((c for c in candidates if (c / "input").is_dir()), None)
    if folder is None:
        shown = " or ".join(str(c / "input") for c in candidates)
        raise MissingFileError("no input/ folder (challenge layout) in the data folder", file=str(root),
                               expected=shown)
    answers = reference_dir(folder)
    if need_answers and not tasks_in_directory(answers, "reference"):
        raise MissingFileError("no true_<TASK>.json reference file beside input/ or in answers/", file=str(folder))
    return ChallengeSplit(folder, folder / "input", answers)


def write_layout_json(path: Path, value: object) -> None:
    """Write one JSON file of the layout (UTF-8, non-ASCII kept, one space indent), making folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

_CYRILLIC = re.compile("[\u0400-\u04ff]")


def script_language(text: str) -> str:
    """``ru`` if the text contains a Cyrillic letter, else ``en``."""
    return "ru" if _CYRILLIC.search(text) else "en"


def image_size(path: Path) -> tuple[int, int]:
    """Width and height of an image, verifying that the file is a readable image."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            size = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise FormatError(f"broken or unreadable image ({exc})", file=str(path)) from None
    return size


def _input(layout: ChallengeSplit, *parts: str) -> Path:
    path = layout.inputs.joinpath(*parts)
    if not path.exists():
        raise MissingFileError("missing from the challenge layout", file=str(path))
    return path


def _check_same_keys(file: Path, found: set[str], expected: set[str], what: str, other: str) -> None:
    """Raise unless the keys of ``file`` (``found``) equal those of ``other`` (``expected``)."""
    if found != expected:
        missing = sorted(expected - found)
        extra = sorted(found - expected)
        detail = []
        if missing:
            detail.append(f"{len(missing)} in {other} but not in {file.name} (first: {missing[0]!r})")
        if extra:
            detail.append(f"{len(extra)} in {file.name} but not in {other} (first: {extra[0]!r})")
        raise KeyMismatchError(f"{what} do not match: " + "; ".join(detail), file=str(file))


def _inputs_and_answers(layout: ChallengeSplit, task: str, name: str, keys: str) -> tuple[Path, dict, Path, dict]:
    """The task's input JSON and its answers, with equal key sets (or a located error)."""
    inputs_path = _input(layout, task, name)
    inputs = read_json_object(inputs_path)
    true_path, truth = read_task_file(layout.answers, task, "reference")
    _check_same_keys(true_path, set(truth), set(inputs), keys, inputs_path.name)
    return inputs_path, inputs, true_path, truth


def _htr_rows(layout: ChallengeSplit) -> list[dict[str, Any]]:
    images = _input(layout, "HTR", "images")
    true_path, labels = read_task_file(layout.answers, "HTR", "reference")
    files = {p.name for p in images.iterdir() if p.is_file()}
    _check_same_keys(true_path, set(labels), files, "labels and images", "input/HTR/images")
    rows = []
    for name, text in labels.items():
        image_size(images / name)
        rows.append({"id": name, "image": str(images / name), "text": text, "language": script_language(text)})
    return rows


def _zsod_rows(layout: ChallengeSplit) -> list[dict[str, Any]]:
    images = _input(layout, "zsOD", "images")
    requests_path, requests, true_path, truth = _inputs_and_answers(layout, "zsOD", "requests.json", "images")
    rows = []
    for image, described in truth.items():
        asked = requests[image]
        if not isinstance(asked, list) or set(asked) != set(described):
            raise KeyMismatchError(
                f"the descriptions of {image!r} differ between {requests_path.name} and {true_path.name}",
                file=str(requests_path), path=json_path(image),
            )
        width, height = image_size(images / image) if (images / image).is_file() else (None, None)
        if width is None:
            raise MissingFileError("image listed in the requests is missing", file=str(images / image))
        descriptions = []
        for text, boxes in described.items():
            for index, box in enumerate(boxes):
                if box[2] < 0 or box[3] < 0:
                    raise FormatError("box of negative size", file=str(true_path), path=json_path(image, text, index),
                                      expected="width and height >= 0", found=str(box))
            descriptions.append({"text": text, "language": script_language(text), "positive": bool(boxes),
                                 "boxes": [[float(v) for v in box] for box in boxes]})
        rows.append({"image_id": image, "image": str(images / image), "width": width, "height": height,
                     "descriptions": descriptions})
    return rows


def _vqa_rows(layout: ChallengeSplit) -> list[dict[str, Any]]:
    images = _input(layout, "VQA", "images")
    questions_path, questions, _, truth = _inputs_and_answers(layout, "VQA", "questions.json", "question keys")
    rows = []
    for key, answer in truth.items():
        question = questions[key]
        if not isinstance(question, dict) or not isinstance(question.get("file_name"), str) \
                or not isinstance(question.get("question"), str):
            raise FormatError("malformed question", file=str(questions_path), path=json_path(key),
                              expected='{"file_name": str, "question": str}', found=repr(question)[:60])
        image = images / question["file_name"]
        if not image.is_file():
            raise MissingFileError("image of a question is missing", file=str(image))
        answers = answer["answer"] if isinstance(answer["answer"], list) else [answer["answer"]]
        rows.append({"id": key, "question_id": int(answer.get("question_id", -1)),
                     "image_id": Path(question["file_name"]).stem, "image": str(image),
                     "question": question["question"], "answers": answers, "language": answer["lang"]})
    return rows


def _c2c_rows(layout: ChallengeSplit) -> list[dict[str, Any]]:
    requests_path, requests, _, truth = _inputs_and_answers(layout, "C2C", "requests.json", "item keys")
    rows = []
    for key, python in truth.items():
        java = requests[key]
        if not isinstance(java, str):
            raise FormatError("wrong value type", file=str(requests_path), path=json_path(key),
                              expected="a string of Java tokens", found=type(java).__name__)
        rows.append({"id": key, "java": java, "python": python})
    return rows


_READERS: dict[str, Callable[[ChallengeSplit], list[dict[str, Any]]]] = {
    "HTR": _htr_rows, "zsOD": _zsod_rows, "VQA": _vqa_rows, "C2C": _c2c_rows,
}


def read_split(directory: str | Path, task: str) -> list[dict[str, Any]]:
    """Validated rows of ``task`` from a split directory in the challenge layout (answers in
    ``answers/`` or beside ``input/``, see :func:`locate_split`).

    Raises:
        MissingFileError, FormatError, KeyMismatchError: naming the file and the item.
    """
    return _READERS[get_task(task).name](locate_split(directory))
