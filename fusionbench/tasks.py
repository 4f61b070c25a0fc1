"""The four FusionBrain tasks: one source of truth for names, files and languages."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TASKS", "TASK_ORDER", "TaskSpec", "get_task"]


@dataclass(frozen=True)
class TaskSpec:
    """What identifies a task across the package.

    Attributes:
        name: the official task name used in file names and output (``zsOD``).
        config: the lower-case config name used by datasets and the CLI (``zsod``).
        title: a human-readable title.
        languages: the languages the task covers.
        aliases: other official spellings of the task in file names (``OD`` for zsOD).
    """

    name: str
    config: str
    title: str
    languages: tuple[str, ...]
    aliases: tuple[str, ...] = ()

    @property
    def reference_files(self) -> tuple[str, ...]:
        """Accepted reference file names, the canonical one first."""
        return tuple(f"true_{n}.json" for n in (self.name, *self.aliases))

    @property
    def prediction_files(self) -> tuple[str, ...]:
        """Accepted prediction file names, the canonical one first."""
        return tuple(f"prediction_{n}.json" for n in (self.name, *self.aliases))


TASKS: dict[str, TaskSpec] = {
    spec.name: spec
    for spec in (
        TaskSpec("C2C", "c2c", "Java-to-Python code translation (CodeBLEU)", ("java", "python")),
        TaskSpec("HTR", "htr", "Handwritten text recognition (string accuracy)", ("en", "ru")),
        TaskSpec("zsOD", "zsod", "Zero-shot object detection (F1 at IoU 0.5)", ("en", "ru"), ("OD",)),
        TaskSpec("VQA", "vqa", "Visual question answering (accuracy)", ("en", "ru")),
    )
}

#: The order in which tasks are reported.
TASK_ORDER: tuple[str, ...] = ("C2C", "HTR", "zsOD", "VQA")


def get_task(name: str) -> TaskSpec:
    """Look a task up by official name, config name or alias, case-insensitively.

    >>> get_task("od").name
    'zsOD'
    """
    wanted = name.strip().lower()
    for spec in TASKS.values():
        if wanted in {spec.name.lower(), spec.config, *(a.lower() for a in spec.aliases)}:
            return spec
    from fusionbench.errors import UnknownNameError

    valid = ", ".join(TASK_ORDER)
    configs = ", ".join(spec.config for spec in TASKS.values())
    raise UnknownNameError(f"unknown task {name!r}", expected=f"one of {valid} (or the configs {configs})")
