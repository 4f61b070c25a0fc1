"""The task pack's output parsers on a table of realistic model answers, in English and Russian."""

from __future__ import annotations

import pytest

from fusionbench.integrations.lm_eval.parsers import parse_answer, parse_boxes, parse_short_answer, replay_answer

SHORT = [
    # (model answer, parsed answer)
    ("мама", "мама"),
    ("  Мама\n", "Мама"),
    ("Ответ: «дом»", "дом"),
    ("**Ответ:** кошка\nЯ вижу на картинке кошку.", "кошка"),
    ("Transcription: \"Hello\"", "Hello"),
    ("The word is: `street`", "street"),
    ("Answer: 3", "3"),
    ("Answer - yes.", "yes."),  # VQA's normalisation removes the period, HTR keeps what the model wrote
    ("Два", "Два"),
    ("```\nтетрадь\n```", "тетрадь"),
    ("'", "'"),  # a lone quote is the whole answer, not a wrapper
    ("", ""),
    ("\n\n", ""),
]


@pytest.mark.parametrize(("answer", "expected"), SHORT)
def test_short_answers(answer: str, expected: str) -> None:
    assert parse_short_answer(answer) == expected


W, H = 640, 480
BOXES = [
    # (model answer, boxes in official [x, y, w, h] pixels)
    ("[[10, 20, 50, 40]]", [[10, 20, 50, 40]]),
    ("[10, 20, 50, 40]", [[10, 20, 50, 40]]),
    ("[]", []),
    ("Нет таких объектов: []", []),
    ("There is no such object.", []),
    ("```json\n[[12.5, 30, 100, 60], [300, 200, 40, 40]]\n```", [[12.5, 30, 100, 60], [300, 200, 40, 40]]),
    ("Вот рамки: [5, 6, 7, 8] и [100, 110, 20, 30].", [[5, 6, 7, 8], [100, 110, 20, 30]]),
    ('[{"bbox_2d": [10, 20, 110, 70], "label": "red car"}]', [[10, 20, 100, 50]]),  # Qwen2.5-VL, pixels
    ('```json\n[\n  {"bbox_2d": [100, 200, 500, 900], "label": "кольцо"}\n]\n```',  # Qwen3-VL, 0-1000 grid
     [[64.0, 96.0, 256.0, 336.0]]),
    ('{"boxes": [{"x": 1, "y": 2, "w": 3, "h": 4}, {"x": 5, "y": 6, "width": 7, "height": 8}]}',
     [[1, 2, 3, 4], [5, 6, 7, 8]]),
    ('[{"xmin": 10, "ymin": 20, "xmax": 30, "ymax": 60}]', [[10, 20, 20, 40]]),
    ('[{"bbox": [10, 20, 30, 40], "label": "car"}]', [[10, 20, 30, 40]]),
    ("<box>(100,200),(300,400)</box>", [[64.0, 96.0, 128.0, 96.0]]),  # Qwen-VL tokens, 0-1000 grid
    ("<|box_start|>(0,0),(1000,1000)<|box_end|>", [[0.0, 0.0, 640.0, 480.0]]),
    ("<loc0000><loc0000><loc0512><loc0512> синий круг", [[0.0, 0.0, 320.0, 240.0]]),  # PaliGemma y1 x1 y2 x2 /1024
    ("red car<loc_100><loc_200><loc_300><loc_400>", [[64.0, 96.0, 128.0, 96.0]]),  # Florence-2 /1000
    ("[[0.1, 0.2, 0.5, 0.25]]", [[64.0, 96.0, 320.0, 120.0]]),  # fractions of the image
    ("I think the box is around the middle.", []),
    ("[[1e999, 0, 5, 5], [NaN, 1, 2, 3], [1, 2, 3, 4]]", [[1, 2, 3, 4]]),  # never a non-finite coordinate
]


@pytest.mark.parametrize(("answer", "expected"), BOXES)
def test_boxes(answer: str, expected: list[list[float]]) -> None:
    got = parse_boxes(answer, W, H)
    assert len(got) == len(expected)
    for box, want in zip(got, expected):
        assert box == pytest.approx(want)


def test_bbox2d_mode_can_be_fixed(monkeypatch: pytest.MonkeyPatch) -> None:
    answer = '[{"bbox_2d": [100, 100, 200, 200]}]'
    assert parse_boxes(answer, W, H) == [[100, 100, 100, 100]]
    monkeypatch.setenv("FUSIONBENCH_ZSOD_BBOX2D", "grid")
    assert parse_boxes(answer, W, H)[0] == pytest.approx([64.0, 48.0, 64.0, 48.0])


C2C = [
    ("```python\ndef f(a, n):\n    s = 0\n    for i in range(n):\n        s += a[i]  # sum\n    return s\n```",
     "def f ( a , n ) : NEW_LINE INDENT s = 0 NEW_LINE for i in range ( n ) : NEW_LINE INDENT s += a [ i ] "
     "NEW_LINE DEDENT return s NEW_LINE DEDENT"),
    ("Вот перевод:\n\ndef g(x):\n    return x * 2\n\nЭта функция удваивает x.",
     "def g ( x ) : NEW_LINE INDENT return x * 2 NEW_LINE DEDENT"),
    ("def k(n):\n    return n\n\nk(3)\nThis calls k.", "def k ( n ) : NEW_LINE INDENT return n NEW_LINE DEDENT k ( 3 )"),
    ("Here you go:\n```py\ndef h(s):\n    print('a b', end=\"\")\n```\nThanks",
     "def h ( s ) : NEW_LINE INDENT print ( ' a ▁ b ' , end = \" \" ) NEW_LINE DEDENT"),
    ("```python\ndef cut(x):\n    return (x +", "def cut ( x ) : NEW_LINE INDENT return ( x + NEW_LINE DEDENT"),  # truncated
    ("I cannot translate this.", "I cannot translate this ."),
    ("", ""),
]


@pytest.mark.parametrize(("answer", "expected"), C2C)
def test_c2c_answers(answer: str, expected: str) -> None:
    assert parse_answer("C2C", answer)[0] == expected


def test_parse_answer_flags_empty_and_never_raises() -> None:
    doc = {"width": W, "height": H}
    assert parse_answer("HTR", "") == ("", False)
    assert parse_answer("VQA", "Ответ: да") == ("да", True)
    assert parse_answer("zsOD", "garbage {[(", doc) == ([], False)
    assert parse_answer("zsOD", "[]", doc) == ([], True)  # an explicit "none" parsed
    assert parse_answer("C2C", None) == ("", False)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["", "  spaced  ", "def f ( ) : NEW_LINE", [[1, 2, 3, 4], [1.5, 2, 3, 4]], [[]], []])
def test_replayed_values_come_back_unchanged(value: object) -> None:
    task = "zsOD" if isinstance(value, list) else "C2C"
    assert parse_answer(task, replay_answer(value), {"width": W, "height": H})[0] == value
