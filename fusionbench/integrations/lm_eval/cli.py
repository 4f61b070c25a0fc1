"""``fusionbench lm-eval ARGS...``: lm-eval's command line with the task pack and the replay model.

The arguments go to lm-eval unchanged, plus ``--include_path`` pointing at the task pack; the
``fusionbench-replay`` model is registered first.  Task names that start with ``fusionbench`` must
be tasks of the pack (a typo is one clear error, not lm-eval's long listing).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from fusionbench.errors import FusionBenchError

__all__ = ["KNOWN_TASKS", "run_lm_eval"]

KNOWN_TASKS = ("fusionbench", "fusionbench_c2c", "fusionbench_htr", "fusionbench_zsod", "fusionbench_vqa", "fusionbench_c2c_exec")


def _option(argv: Sequence[str], name: str) -> str | None:
    for index, arg in enumerate(argv):
        if arg == name and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def check_arguments(argv: Sequence[str]) -> None:
    """Refuse unknown fusionbench task names and a second include path, with one clear message."""
    if _option(argv, "--include_path") is not None:
        raise FusionBenchError(
            "fusionbench lm-eval adds --include_path itself (lm-eval takes one)",
            expected="no --include_path; to mix the pack with your own tasks, call lm_eval with a folder that holds "
                     "both (see 'fusionbench integrations path lm-eval')",
        )
    tasks = _option(argv, "--tasks")
    listing = bool(argv) and argv[0] in ("ls", "validate", "-h", "--help")
    if not listing and "--help" not in argv and "-h" not in argv and not tasks:
        raise FusionBenchError("fusionbench lm-eval needs lm-eval's --model and --tasks",
                               expected="e.g. --model hf-multimodal --model_args pretrained=NAME --tasks fusionbench")
    for name in (t.strip() for t in (tasks or "").split(",")):
        if name.startswith("fusionbench") and name not in KNOWN_TASKS:
            raise FusionBenchError(f"unknown task {name!r}", expected=", ".join(KNOWN_TASKS))
        if name == "fusionbench_c2c_exec" and "--confirm_run_unsafe_code" not in argv:
            raise FusionBenchError("fusionbench_c2c_exec runs model-written code (lm-eval's unsafe_code)",
                                   expected="--confirm_run_unsafe_code")


def run_lm_eval(argv: Sequence[str]) -> int:
    """Run lm-eval's command line in this process and return its exit status."""
    from fusionbench.integrations.lm_eval import task_pack_path

    check_arguments(argv)
    import fusionbench.integrations.lm_eval.replay  # noqa: F401 - registers fusionbench-replay
    from lm_eval.__main__ import cli_evaluate

    saved = sys.argv
    sys.argv = ["lm-eval", *argv, "--include_path", str(task_pack_path())]
    if not argv or argv[0] not in ("run", "ls", "validate", "-h", "--help"):
        sys.argv.insert(1, "run")
    try:
        cli_evaluate()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = saved
    return 0
