"""Parameter counts of a :class:`FusionModel`: total, trainable, shared, per head, per task path."""

from __future__ import annotations

from typing import Any

from fusionbench.baselines.model import TASKS, FusionModel
from fusionbench.metrics.sharing import sharing_ratio

__all__ = ["describe", "format_description"]


def _count(params: Any, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in params if p.requires_grad or not trainable_only)


def _params(part: Any) -> list[Any]:
    return list(part.parameters()) if hasattr(part, "parameters") else list(part)


def describe(model: FusionModel) -> dict[str, Any]:
    """A JSON-friendly summary of the model's parameters and its M/N sharing ratio."""
    parts = {"core": model.core, "backbone": model.backbone, "image_proj": model.image_proj,
             "image_pos": [model.image_pos]}
    if model.image_pos is None:
        del parts["image_pos"]
    if model.cross is not None:
        parts["cross"] = model.cross
    if model.task_embedding is not None:
        parts["task_embedding"] = model.task_embedding
    report = sharing_ratio(model, model.task_parameters, tasks=TASKS)
    return {
        "preset": model.config.preset,
        "total": _count(model.parameters()),
        "trainable": _count(model.parameters(), True),
        "modules": {name: {"total": _count(_params(m)), "trainable": _count(_params(m), True)}
                    for name, m in parts.items()},
        "heads": {t: {"total": _count(h.parameters()), "trainable": _count(h.parameters(), True)}
                  for t, h in model.heads.items()},
        "task_paths": dict(report.per_task),
        "shared_by_all_tasks": report.shared,
        "sharing_ratio": report.ratio,
        "sharing_meets": {str(k): v for k, v in report.meets.items()},
    }


def format_description(info: dict[str, Any]) -> str:
    """Plain-text table of :func:`describe`'s output."""
    lines = [f"preset {info['preset']}: {info['total']:,} parameters, {info['trainable']:,} trainable"]
    for group in ("modules", "heads"):
        for name, counts in info[group].items():
            lines.append(f"  {group[:-1]} {name:<15} {counts['total']:>14,}  trainable {counts['trainable']:>14,}")
    for task, count in info["task_paths"].items():
        lines.append(f"  path {task:<17} {count:>14,}")
    meets = ", ".join(f">= {k}: {'yes' if v else 'no'}" for k, v in info["sharing_meets"].items())
    lines.append(f"  shared by all tasks {info['shared_by_all_tasks']:>14,}  M/N = {info['sharing_ratio']:.3f} ({meets})")
    return "\n".join(lines)
