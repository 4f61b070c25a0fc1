"""Turn a model's free-text answer into the task's official prediction value.

Every parser returns a value of the official prediction type and never raises: an answer that
parses to nothing becomes the empty prediction (``""`` or no boxes), which the official rules
score like a missing answer; :func:`parse_answer` says whether it parsed.

* **C2C**: the code of the first ```python fence (else the first fence, else the text from the
  first ``def``/``class``/``import`` line), turned into AVATAR tokens
  (:func:`~fusionbench.integrations.lm_eval.avatar.tokenize_python`).
* **HTR** and **VQA**: the first non-empty line, without a leading label (``Answer:``,
  ``Ответ:``, ``Transcription:``...) and without quotes, backticks or bold marks around it.  HTR
  is compared exactly as official, so nothing else is changed; VQA is then normalised by the
  official metric.
* **zsOD**: boxes in the official ``[x, y, w, h]`` pixels, from whichever form the answer uses:
  PaliGemma ``<locYYYY>`` tokens (y1, x1, y2, x2 on a 1024 grid), Florence-2 ``<loc_N>`` tokens
  (x1, y1, x2, y2 on a 1000 grid), ``<box>(x1,y1),(x2,y2)</box>`` or ``<|box_start|>...``
  (Qwen-VL, 1000 grid), JSON (a list of ``[x, y, w, h]``, objects with ``bbox_2d`` corners,
  ``bbox``/``box`` as ``[x, y, w, h]``, ``x``/``y``/``w``/``h`` or ``x1``/``y1``/``x2``/``y2``
  keys, possibly under ``boxes``), or plain ``[x, y, w, h]`` lists in prose.  ``bbox_2d``
  corners are pixels (Qwen2.5-VL) unless a coordinate lies outside the image, then the 0–1000
  grid (Qwen3-VL); ``FUSIONBENCH_ZSOD_BBOX2D=pixel|grid`` fixes the choice.  ``[x, y, w, h]``
  lists whose numbers all lie in [0, 1], one of them fractional, are fractions of the image size.

The replay model (:mod:`.replay`) answers with the official value itself behind
:data:`REPLAY_MARK`; every parser returns such a value unchanged, so replays are exact.
"""

from __future__ import annotations

import json
import math
import os
import re
from typing import Any

from fusionbench.integrations.lm_eval.avatar import extract_code, tokenize_python

__all__ = ["REPLAY_MARK", "parse_answer", "parse_boxes", "parse_short_answer", "replay_answer"]

#: Prefix of a replayed official value (a character no model writes, then a tag).
REPLAY_MARK = "\x1efusionbench-replay:"

Box = list[float]

_LABEL = re.compile(
    r"^\s*(?:\*\*)?(?:final answer|answer|transcription|the word is|text|word|prediction|"
    r"ответ|транскрипция|текст|слово|надпись)\s*(?:\*\*)?\s*[:：\-—]\s*(?:\*\*)?\s*",
    re.I,
)
_WRAP = "\"'`«»“”„*"
_NUMBER = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_FENCE = re.compile(r"```[\w-]*\s*\n?(.*?)(?:```|\Z)", re.S)
_PALIGEMMA = re.compile(r"<loc(\d{4})><loc(\d{4})><loc(\d{4})><loc(\d{4})>")
_FLORENCE = re.compile(r"<loc_(\d+)>\s*<loc_(\d+)>\s*<loc_(\d+)>\s*<loc_(\d+)>")
_BOX_TAG = re.compile(r"<(?:box|\|box_start\|)>(.*?)(?:</box>|<\|box_end\|>)", re.S)
_PLAIN = re.compile(rf"[\[(]\s*({_NUMBER})\s*,\s*({_NUMBER})\s*,\s*({_NUMBER})\s*,\s*({_NUMBER})\s*[\])]")


def replay_answer(value: Any) -> str:
    """The text the replay model answers for an official prediction value."""
    return REPLAY_MARK + json.dumps(value, ensure_ascii=False)


def _replayed(text: str) -> tuple[bool, Any]:
    if isinstance(text, str) and text.startswith(REPLAY_MARK):
        return True, json.loads(text[len(REPLAY_MARK):])
    return False, None


def parse_short_answer(text: str) -> str:
    """HTR/VQA: the first non-empty line without a label or wrapping quotes.

    >>> parse_short_answer('**Ответ:** «мама»\\nПотому что...')
    'мама'
    """
    for fenced in _FENCE.findall(text):
        if fenced.strip():
            text = fenced
            break
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    line = _LABEL.sub("", line).strip()
    unwrapped = line.strip(_WRAP).strip()
    return unwrapped if unwrapped else line


def _corners(x1: float, y1: float, x2: float, y2: float) -> Box:
    return [x1, y1, x2 - x1, y2 - y1]


def _scaled(values: list[float], grid: float, width: float, height: float, order: str = "xyxy") -> Box:
    if order == "yxyx":
        y1, x1, y2, x2 = values
    else:
        x1, y1, x2, y2 = values
    return _corners(x1 / grid * width, y1 / grid * height, x2 / grid * width, y2 / grid * height)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return float(value) if re.fullmatch(_NUMBER, value.strip()) else None
        except ValueError:
            return None
    return None


def _four(value: Any) -> list[float] | None:
    if isinstance(value, (list, tuple)) and len(value) == 4:
        numbers = [_number(v) for v in value]
        if all(n is not None for n in numbers):
            return numbers  # type: ignore[return-value]
    return None


def _bbox2d_mode(corner_sets: list[list[float]], width: float, height: float) -> str:
    forced = os.environ.get("FUSIONBENCH_ZSOD_BBOX2D", "").strip().lower()
    if forced in ("pixel", "grid"):
        return forced
    outside = any(c[0] > width or c[2] > width or c[1] > height or c[3] > height for c in corner_sets)
    return "grid" if outside else "pixel"


def _xywh(values: list[float], width: float, height: float) -> Box:
    return list(values)


def _from_json(value: Any, width: float, height: float) -> list[Box] | None:
    """Boxes from parsed JSON, or None when the JSON holds no box at all."""
    if isinstance(value, dict):
        for key in ("boxes", "bboxes", "objects", "detections", "result", "results", "answer"):
            if key in value:
                return _from_json(value[key], width, height)
        value = [value]
    if not isinstance(value, list):
        return None
    if not value:
        return []
    if _four(value) is not None:  # a single bare box
        value = [value]
    plain: list[list[float]] = []
    corners_2d: list[list[float]] = []
    boxes: list[Box] = []
    for entry in value:
        four = _four(entry)
        if four is not None:
            plain.append(four)
            continue
        if not isinstance(entry, dict):
            continue
        lowered = {str(k).lower(): v for k, v in entry.items()}
        if _four(lowered.get("bbox_2d")) is not None:
            corners_2d.append(_four(lowered["bbox_2d"]))  # type: ignore[arg-type]
        elif _four(lowered.get("bbox")) is not None or _four(lowered.get("box")) is not None:
            plain.append(_four(lowered.get("bbox")) or _four(lowered.get("box")))  # type: ignore[arg-type]
        elif all(_number(lowered.get(k)) is not None for k in ("x1", "y1", "x2", "y2")):
            boxes.append(_corners(*(_number(lowered[k]) for k in ("x1", "y1", "x2", "y2"))))  # type: ignore[misc]
        elif all(_number(lowered.get(k)) is not None for k in ("xmin", "ymin", "xmax", "ymax")):
            boxes.append(_corners(*(_number(lowered[k]) for k in ("xmin", "ymin", "xmax", "ymax"))))  # type: ignore[misc]
        else:
            w_key = "w" if "w" in lowered else "width"
            h_key = "h" if "h" in lowered else "height"
            numbers = [_number(lowered.get(k)) for k in ("x", "y", w_key, h_key)]
            if all(n is not None for n in numbers):
                plain.append(numbers)  # type: ignore[arg-type]
    if corners_2d:
        if _bbox2d_mode(corners_2d, width, height) == "grid":
            boxes += [_scaled(c, 1000, width, height) for c in corners_2d]
        else:
            boxes += [_corners(*c) for c in corners_2d]
    boxes += _plain_boxes(plain, width, height)
    return boxes if boxes or plain or corners_2d else None


def _plain_boxes(plain: list[list[float]], width: float, height: float) -> list[Box]:
    numbers = [n for box in plain for n in box]
    if numbers and all(0 <= n <= 1 for n in numbers) and any(not float(n).is_integer() for n in numbers):
        return [[b[0] * width, b[1] * height, b[2] * width, b[3] * height] for b in plain]
    return [list(b) for b in plain]


def _json_candidates(text: str) -> list[str]:
    candidates = [m.strip() for m in _FENCE.findall(text)] + [text.strip()]
    for opening, closing in (("[", "]"), ("{", "}")):
        start, end = text.find(opening), text.rfind(closing)
        if 0 <= start < end:
            candidates.append(text[start:end + 1])
    return candidates


def parse_boxes(text: str, width: float, height: float) -> list[Box]:
    """zsOD: every box of an answer as official ``[x, y, w, h]`` pixels ([] when none parse).

    >>> parse_boxes('[{"bbox_2d": [10, 20, 110, 70], "label": "car"}]', 640, 480)
    [[10, 20, 100, 50]]
    >>> parse_boxes('<loc0256><loc0512><loc0768><loc1023> red car', 1024, 1024)
    [[512.0, 256.0, 511.0, 512.0]]
    """
    replayed, value = _replayed(text)
    if replayed:
        return value
    boxes = _parse_boxes(text, width, height)
    return [box for box in boxes if all(math.isfinite(float(c)) for c in box)]  # "1e999" or NaN: dropped


def _parse_boxes(text: str, width: float, height: float) -> list[Box]:
    found = _PALIGEMMA.findall(text)
    if found:
        return [_scaled([float(v) for v in f], 1024, width, height, "yxyx") for f in found]
    found = _FLORENCE.findall(text)
    if found:
        return [_scaled([float(v) for v in f], 1000, width, height) for f in found]
    tags = _BOX_TAG.findall(text)
    if tags:
        boxes = []
        for tag in tags:
            numbers = [float(n) for n in re.findall(_NUMBER, tag)]
            if len(numbers) == 4:
                boxes.append(_scaled(numbers, 1000, width, height))
        return boxes
    for candidate in _json_candidates(text):
        try:
            value = json.loads(candidate)
        except (ValueError, RecursionError):
            continue
        boxes = _from_json(value, width, height)
        if boxes is not None:
            return boxes
    plain = [[float(n) if "." in n or "e" in n.lower() else int(n) for n in match] for match in _PLAIN.findall(text)]
    return _plain_boxes(plain, width, height)


def parse_answer(task: str, text: str, doc: dict[str, Any] | None = None) -> tuple[Any, bool]:
    """The official prediction value of one answer and whether anything was parsed from it.

    Args:
        task: official task name.
        text: the model's answer (or a replayed value).
        doc: the task row (zsOD needs its ``width`` and ``height``).
    """
    text = text if isinstance(text, str) else ""
    replayed, value = _replayed(text)
    if replayed:
        return value, True
    if task == "C2C":
        tokens = tokenize_python(extract_code(text))
        return tokens, bool(tokens)
    if task in ("HTR", "VQA"):
        answer = parse_short_answer(text)
        return answer, bool(answer)
    if task == "zsOD":
        boxes = parse_boxes(text, float(doc["width"]), float(doc["height"])) if doc else []
        empty_said = bool(re.search(r"\[\s*\]|\bnone\b|\bno\b|нет|ничего", text, re.I))
        return boxes, bool(boxes) or empty_said
    raise ValueError(f"unknown task {task!r}")
