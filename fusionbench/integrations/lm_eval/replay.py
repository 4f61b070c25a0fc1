"""The ``fusionbench-replay`` lm-eval model: answer every request from official prediction files.

``--model fusionbench-replay --model_args predictions=DIR`` reads ``DIR/prediction_<TASK>.json``
(or ``DIR/predictions/`` of a fusionbench run record) and answers each row of the task pack with
the prediction of its item: the C2C string of its key, the HTR transcription, the VQA answer, the
zsOD boxes of its (image, description).  The answer is the official value itself, marked so that
the pack's parsers take it unchanged (:func:`~.parsers.replay_answer`), so a replay through lm-eval
scores exactly what ``fusionbench score`` scores on the same files.

As in the official rules, a missing task file or item counts as an empty answer (``""``, no
boxes); a warning names the file or the first missing items.  A prediction file that is not
valid official JSON stops the run with fusionbench's error naming the file and the place.

The model registers itself with lm-eval when this module is imported (``fusionbench lm-eval`` does
that before handing over to lm-eval's command line).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import lm_eval.models  # noqa: F401 - fills lm-eval's (lazy) model registry first, or only ours would be known
from lm_eval.api.model import LM
from lm_eval.api.registry import register_model

from fusionbench.errors import FusionBenchError, MissingFileError
from fusionbench.integrations.lm_eval.parsers import replay_answer

__all__ = ["ReplayLM", "prediction_folder"]

LOG = logging.getLogger("fusionbench.replay")
EMPTY = {"C2C": "", "HTR": "", "VQA": "", "zsOD": []}


def prediction_folder(path: str | os.PathLike[str]) -> Path:
    """The folder holding ``prediction_<TASK>.json``: ``path`` itself or its ``predictions/`` (a record)."""
    folder = Path(path)
    if not folder.is_dir():
        raise MissingFileError("no predictions folder here", file=str(folder),
                               expected="a folder of prediction_<TASK>.json files (model_args predictions=DIR)")
    if (folder / "predictions").is_dir() and not any(folder.glob("prediction_*.json")):
        return folder / "predictions"
    return folder


@register_model("fusionbench-replay")
class ReplayLM(LM):
    """An lm-eval model whose answers are official predictions read from files."""

    MULTIMODAL = True  # it accepts the image rows (and ignores the pixels)

    def __init__(self, predictions: str | None = None, **_: Any) -> None:
        super().__init__()
        if not predictions:
            raise FusionBenchError("fusionbench-replay needs the folder of prediction files",
                                   expected="--model_args predictions=DIR")
        self.folder = prediction_folder(predictions)
        self._files: dict[str, dict[str, Any] | None] = {}
        self.missing: dict[str, list[str]] = {}

    @classmethod
    def create_from_arg_string(cls, arg_string: str, additional_config: dict[str, Any] | None = None) -> ReplayLM:
        from lm_eval.utils import simple_parse_args_string

        args = simple_parse_args_string(arg_string or "")
        return cls(**args)

    def _file(self, task: str) -> dict[str, Any] | None:
        if task not in self._files:
            from fusionbench.formats import find_task_file, read_task_file

            if find_task_file(self.folder, task, "prediction") is None:
                LOG.warning("fusionbench-replay: %s has no prediction_%s.json: every %s answer is empty",
                            self.folder, task, task)
                self._files[task] = None
            else:
                self._files[task] = read_task_file(self.folder, task, "prediction")[1]
        return self._files[task]

    def answer(self, doc: dict[str, Any]) -> Any:
        """The official prediction value for one row (empty when the file or the item is missing)."""
        task = doc["task"]
        predictions = self._file(task)
        if predictions is None:
            return EMPTY[task]
        if task == "zsOD":
            image = predictions.get(doc["key"])
            if image is None or doc["description"] not in image:
                self.missing.setdefault(task, []).append(f"{doc['key']} / {doc['description']}")
                return []
            return image[doc["description"]]
        if doc["key"] not in predictions:
            self.missing.setdefault(task, []).append(doc["key"])
            return EMPTY[task]
        return predictions[doc["key"]]

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        answers = [replay_answer(self.answer(request.doc)) for request in requests]
        for task, keys in sorted(self.missing.items()):
            shown = ", ".join(repr(k) for k in keys[:5]) + (", ..." if len(keys) > 5 else "")
            LOG.warning("fusionbench-replay: prediction_%s.json in %s lacks %d item(s) (%s): answered empty",
                        task, self.folder, len(keys), shown)
        self.missing.clear()
        return answers

    def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        raise NotImplementedError("fusionbench-replay only answers generation tasks (the fusionbench pack)")

    def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[float]:
        raise NotImplementedError("fusionbench-replay only answers generation tasks (the fusionbench pack)")
