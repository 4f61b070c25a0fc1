"""Official FusionBrain file formats: find, read and validate them.

Reference files are ``true_<TASK>.json`` and prediction files ``prediction_<TASK>.json`` (zsOD also
accepts ``true_OD.json`` / ``prediction_OD.json``).  Validation checks value *types and shapes*;
the key rules (which keys must match) belong to each metric, because they differ per task.
Every problem raises a :class:`~fusionbench.errors.FormatError` naming the file and JSON path.
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from fusionbench.errors import FormatError, MissingFileError, json_path
from fusionbench.jsonio import read_json_object
from fusionbench.tasks import TASK_ORDER, get_task

__all__ = [
    "VQA_LANGUAGES",
    "Role",
    "find_task_file",
    "near_miss_hint",
    "read_task_file",
    "tasks_in_directory",
    "validate",
]

Role = Literal["reference", "prediction"]

#: Languages a VQA reference may declare.
VQA_LANGUAGES = ("en", "ru")


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return f"number {value!r}"
    if isinstance(value, str):
        short = value if len(value) <= 40 else value[:37] + "..."
        return f"string {short!r}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class _Checker:
    """Carries the file name so each check can raise a fully located error."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, message: str, path: tuple[Any, ...], expected: str, value: Any) -> FormatError:
        return FormatError(message, file=self.file, path=json_path(*path), expected=expected, found=_describe(value))

    def string(self, value: Any, path: tuple[Any, ...]) -> None:
        if not isinstance(value, str):
            raise self.fail("wrong value type", path, "a string", value)

    def object(self, value: Any, path: tuple[Any, ...], expected: str) -> None:
        if not isinstance(value, dict):
            raise self.fail("wrong value type", path, expected, value)

    def box_list(self, value: Any, path: tuple[Any, ...], *, allow_empty_box: bool) -> None:
        expected = "a list of boxes [x, y, w, h] (an empty list for a negative description)"
        if not isinstance(value, list):
            raise self.fail("wrong value type", path, expected, value)
        if allow_empty_box and value == [[]]:
            return  # the official scorer reads [[]] as "no boxes"
        if _plain_boxes(value):
            return  # the common case, checked without building error paths
        for index, box in enumerate(value):
            where = (*path, index)
            if not isinstance(box, list) or len(box) != 4:
                raise self.fail("malformed box", where, "a list of 4 numbers [x, y, w, h]", box)
            for coord_index, coord in enumerate(box):
                if isinstance(coord, bool) or not isinstance(coord, (int, float)):
                    raise self.fail("non-numeric box coordinate", (*where, coord_index), "a number", coord)
                if isinstance(coord, float) and not math.isfinite(coord):
                    raise self.fail("box coordinate is not finite", (*where, coord_index), "a finite number", coord)
                if isinstance(coord, int) and abs(coord) > MAX_COORDINATE:
                    raise FormatError("box coordinate is too large", file=self.file,
                                      path=json_path(*where, coord_index),
                                      expected=f"a number within +/-{MAX_COORDINATE:.0e}",
                                      found=f"an integer of {len(str(abs(coord)))} digits")


def _plain_boxes(boxes: list[Any]) -> bool:
    """Whether every box is a list of 4 finite floats or ints within :data:`MAX_COORDINATE`.

    A fast pre-check of :meth:`_Checker.box_list`; anything else (bools, other types, non-finite
    floats, huge ints) takes the detailed path, which names the offending value.
    """
    for box in boxes:
        if type(box) is not list or len(box) != 4:
            return False
        for coord in box:
            kind = type(coord)
            if kind is float:
                if not math.isfinite(coord):
                    return False
            elif kind is not int or not -MAX_COORDINATE <= coord <= MAX_COORDINATE:
                return False
    return True


def _check_string_map(check: _Checker, data: Mapping[str, Any], role: Role) -> None:
    for key, value in data.items():
        check.string(value, (key,))


#: Integers beyond this cannot become a float (the metric computes in floats).
MAX_COORDINATE = 10**300

def _check_c2c(check: _Checker, data: Mapping[str, Any], role: Role) -> None:
    # Code too deeply nested to score is refused by the metric itself, by key
    # (fusionbench.metrics.codebleu.depth), at the depth where scoring would really fail.
    _check_string_map(check, data, role)


def _check_zsod(check: _Checker, data: Mapping[str, Any], role: Role) -> None:
    for image, descriptions in data.items():
        check.object(descriptions, (image,), "an object mapping descriptions to box lists")
        for description, boxes in descriptions.items():
            check.box_list(boxes, (image, description), allow_empty_box=role == "prediction")


def _check_vqa_reference(check: _Checker, data: Mapping[str, Any]) -> None:
    for key, entry in data.items():
        if isinstance(entry, str):
            raise check.fail(
                "this looks like a prediction, not a reference (were the arguments swapped?)",
                (key,), 'an object {"answer": ..., "question_id": ..., "lang": "en"|"ru"}', entry,
            )
        check.object(entry, (key,), 'an object {"answer": ..., "question_id": ..., "lang": "en"|"ru"}')
        if "answer" not in entry:
            raise check.fail("missing field", (key, "answer"), "a string or a list of strings", None)
        answer = entry["answer"]
        if isinstance(answer, list):
            if not answer:
                raise check.fail("empty answer list", (key, "answer"), "at least one answer", answer)
            for index, item in enumerate(answer):
                check.string(item, (key, "answer", index))
        else:
            check.string(answer, (key, "answer"))
        if "lang" not in entry:
            raise check.fail("missing field", (key, "lang"), '"en" or "ru"', None)
        if entry["lang"] not in VQA_LANGUAGES:
            raise check.fail("unknown language", (key, "lang"), '"en" or "ru"', entry["lang"])
        question_id = entry.get("question_id")
        if "question_id" in entry and (isinstance(question_id, bool) or not isinstance(question_id, (int, str))):
            raise check.fail("wrong value type", (key, "question_id"), "an integer", question_id)


def _check_vqa(check: _Checker, data: Mapping[str, Any], role: Role) -> None:
    if role == "reference":
        _check_vqa_reference(check, data)
        return
    for key, value in data.items():
        if isinstance(value, dict) and "answer" in value:
            raise check.fail(
                "this looks like a reference, not a prediction (were the arguments swapped?)",
                (key,), "a string", value,
            )
        check.string(value, (key,))


_VALIDATORS: dict[str, Callable[[_Checker, Mapping[str, Any], Role], None]] = {
    "C2C": _check_c2c,
    "HTR": _check_string_map,
    "zsOD": _check_zsod,
    "VQA": _check_vqa,
}


def validate(task: str, data: Any, role: Role, *, file: str | None = None) -> dict[str, Any]:
    """Check that ``data`` is a valid official object of ``task`` in ``role``.

    Args:
        task: official or config task name.
        data: the parsed JSON object.
        role: ``"reference"`` or ``"prediction"``.
        file: where the data came from, for error messages (defaults to a descriptive name).

    Returns:
        ``data`` itself, so calls can be chained.

    Raises:
        FormatError: naming the file, the JSON path, what was expected and what was found.
    """
    spec = get_task(task)
    name = file or f"<{role} {spec.name}>"
    if not isinstance(data, dict):
        raise FormatError(
            "the top level must be a JSON object", file=name, path="$",
            expected="an object keyed by item id", found=_describe(data),
        )
    if role == "reference" and not data:
        raise FormatError("the reference file is empty: there is nothing to score", file=name, path="$")
    _VALIDATORS[spec.name](_Checker(name), data, role)
    return data


def find_task_file(directory: str | os.PathLike[str], task: str, role: Role) -> Path | None:
    """The reference or prediction file of ``task`` in ``directory``, or ``None`` if absent.

    Raises:
        FormatError: both the canonical and the alias name exist (``true_zsOD.json`` and
            ``true_OD.json``), so the choice would be a guess.
    """
    spec = get_task(task)
    names = spec.reference_files if role == "reference" else spec.prediction_files
    found = [Path(directory) / n for n in names if (Path(directory) / n).is_file()]
    if len(found) > 1:
        raise FormatError(
            f"both {found[0].name} and {found[1].name} exist; keep only one", file=str(directory)
        )
    return found[0] if found else None


def near_miss_hint(directory: str | os.PathLike[str], role: Role, task: str | None = None) -> str:
    """`` (did you mean prediction_HTR.json for predictions_HTR.json?)`` when a file in ``directory``
    is a near miss of an official ``role`` file name (of ``task``, or of any task); else ``""``."""
    folder = Path(directory)
    specs = [get_task(task)] if task else [get_task(t) for t in TASK_ORDER]
    official = [n for s in specs for n in (s.reference_files if role == "reference" else s.prediction_files)]
    try:
        present = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name not in official)
    except OSError:
        return ""
    by_lower = {n.lower(): n for n in official}
    for name in present:
        match = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.85)
        if match:
            return f" (did you mean {by_lower[match[0]]}? found {name})"
    return ""


def tasks_in_directory(directory: str | os.PathLike[str], role: Role) -> list[str]:
    """Official names of the tasks whose ``role`` file exists in ``directory``, in report order."""
    return [task for task in TASK_ORDER if find_task_file(directory, task, role) is not None]


def read_task_file(
    directory: str | os.PathLike[str], task: str, role: Role, *, max_bytes: int | None = None
) -> tuple[Path, dict[str, Any]]:
    """Find, read and validate one official file.

    Returns:
        The file's path and its validated content.

    Raises:
        MissingFileError: the directory or file does not exist.
        FormatError: the file is not a valid official file (see :func:`validate`).
    """
    if not Path(directory).is_dir():
        raise MissingFileError("directory not found", file=str(directory))
    spec = get_task(task)
    path = find_task_file(directory, spec.name, role)
    if path is None:
        names = spec.reference_files if role == "reference" else spec.prediction_files
        raise MissingFileError(
            f"no {role} file for {spec.name}{near_miss_hint(directory, role, spec.name)}", file=str(directory),
            expected=" or ".join(names),
        )
    data = read_json_object(path, max_bytes=max_bytes)
    return path, validate(spec.name, data, role, file=str(path))
