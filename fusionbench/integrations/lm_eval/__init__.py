"""fusionbench inside EleutherAI's lm-evaluation-harness (extra ``lm-eval``).

* a task pack (``tasks/``): ``fusionbench_c2c``, ``fusionbench_htr``, ``fusionbench_zsod``,
  ``fusionbench_vqa`` and the group ``fusionbench``; pass :func:`task_pack_path` to
  ``lm_eval --include_path`` (``fusionbench integrations path lm-eval`` prints it);
* the ``fusionbench-replay`` model (:mod:`.replay`), registered when ``fusionbench lm-eval``
  (:mod:`.cli`) runs lm-eval;
* :mod:`.importer`: lm-eval's output folder back into a fusionbench run record.

Importing this package does not import lm-eval.
"""

from __future__ import annotations

from pathlib import Path

from fusionbench.integrations.lm_eval.prompts import PROMPT_VERSION

__all__ = ["PACK_VERSION", "PROMPT_VERSION", "TASK_NAMES", "task_pack_path"]

#: Version of the task pack as a whole (rows, metrics, YAMLs); prompts have their own.
PACK_VERSION = "1"
#: lm-eval task name per official task name.
TASK_NAMES = {"C2C": "fusionbench_c2c", "HTR": "fusionbench_htr", "zsOD": "fusionbench_zsod",
              "VQA": "fusionbench_vqa"}


def task_pack_path() -> Path:
    """The folder to give ``lm_eval --include_path``."""
    return Path(__file__).resolve().parent / "tasks"
