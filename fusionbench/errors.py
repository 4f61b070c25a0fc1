"""The error hierarchy of fusionbench.

Every problem with user input becomes a :class:`FusionBenchError` that names the file, the JSON
path inside it, what was expected and what was found.  Below the CLI nothing prints or exits: the
CLI maps these errors to exit status 2 and anything else to status 1.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "FormatError",
    "FusionBenchError",
    "KeyMismatchError",
    "MissingFileError",
    "SandboxError",
    "UnknownNameError",
    "json_path",
]


def json_path(*keys: Any) -> str:
    """Render a JSON path such as ``$["img.jpg"]["a dog"][2]``.

    >>> json_path("img.jpg", "a dog", 2)
    '$["img.jpg"]["a dog"][2]'
    """
    parts = ["$"]
    for key in keys:
        if isinstance(key, int) and not isinstance(key, bool):
            parts.append(f"[{key}]")
        else:
            text = str(key).replace("\\", "\\\\").replace('"', '\\"')
            parts.append(f'["{text}"]')
    return "".join(parts)


class FusionBenchError(Exception):
    """Base class: a problem with the input that the user can fix.

    Args:
        message: what went wrong, in one sentence.
        file: the file concerned, if any.
        path: the JSON path inside the file (see :func:`json_path`), if any.
        expected: what a valid value looks like.
        found: a short description of what was found instead.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        path: str | None = None,
        expected: str | None = None,
        found: str | None = None,
    ) -> None:
        self.message = message
        self.file = None if file is None else str(file)
        self.path = path
        self.expected = expected
        self.found = found
        super().__init__(self._render())

    def _render(self) -> str:
        where = ""
        if self.file is not None:
            where = self.file
            if self.path:
                where += f" at {self.path}"
            where += ": "
        elif self.path:
            where = f"{self.path}: "
        text = where + self.message
        if self.expected is not None:
            text += f"; expected {self.expected}"
        if self.found is not None:
            text += f", found {self.found}"
        return text


class FormatError(FusionBenchError):
    """A file or object does not have the shape the official format requires."""


class KeyMismatchError(FormatError):
    """The keys of a prediction and its reference differ where the official rule needs equality."""


class MissingFileError(FusionBenchError):
    """A file that the operation needs does not exist."""


class SandboxError(FusionBenchError):
    """A submission could not be run in the sandbox."""


class UnknownNameError(FusionBenchError, ValueError):
    """An unknown task or config name (also a :class:`ValueError`, as it always was)."""
