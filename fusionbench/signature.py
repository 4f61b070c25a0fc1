"""Signatures: short ``key:value|...`` strings that make two numbers comparable.

Two scores with equal signatures were computed with the same task, mode, options, tokenisation,
grammar and dictionary versions by the same fusionbench version.  Unset keys (``None``) are
omitted, booleans are written ``yes``/``no`` and the version always comes last.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["Signature", "format_signature"]


def _render_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def format_signature(fields: Mapping[str, Any]) -> str:
    """Render ``fields`` as ``key:value|...`` with ``version`` last and ``None`` values dropped.

    >>> format_signature({"task": "HTR", "mode": "official", "breakdown": None, "cer": False})
    'task:HTR|mode:official|cer:no|version:0.1.0'
    """
    from fusionbench import __version__

    items = [(k, v) for k, v in fields.items() if v is not None and k != "version"]
    items.append(("version", fields.get("version") or __version__))
    return "|".join(f"{key}:{_render_value(value)}" for key, value in items)


class Signature(dict):
    """An ordered mapping of signature fields that renders itself with :func:`format_signature`."""

    def __str__(self) -> str:
        return format_signature(self)

    @classmethod
    def parse(cls, text: str) -> Signature:
        """Read a rendered signature back into its fields (values stay strings)."""
        fields = cls()
        for part in text.split("|"):
            key, _, value = part.partition(":")
            fields[key] = value
        return fields
