"""The FusionBrain multitask criterion: the share of parameters common to all four task paths.

Definitions (parameters are identified by object identity and measured by ``numel()``):

* the *path* ``P_t`` of task ``t`` is the set of parameters its prediction uses;
* ``M = |P_C2C ∩ P_HTR ∩ P_zsOD ∩ P_VQA|``: parameters used by every task, each counted once;
* ``N = |P_C2C ∪ P_HTR ∪ P_zsOD ∪ P_VQA|``: all distinct parameters of the four task models
  (for one fused model, its parameters that any task uses; for four separate modules, their
  parameters with a tensor shared between modules counted once).

The ratio is ``M / N``.  The 2023 paper states the requirement both as "at least 25 %" and as
"M/N >= 0.3", so both verdicts are reported.  (Counting N as the sum of the four paths'
sizes instead would bound the ratio by 1/4 even for a model whose every weight is shared, so
that reading cannot be the one intended; ``paths_total`` still reports that sum.)

Torch-free: anything with ``named_parameters()`` whose items have ``numel()`` works.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SharingReport", "sharing_ratio", "THRESHOLDS"]

#: The two thresholds the rules state (25 % and M/N >= 0.3).
THRESHOLDS = (0.25, 0.3)


@dataclass(frozen=True)
class SharingReport:
    """Shared (M) and total (N) parameter counts, the ratio and the threshold verdicts.

    Attributes:
        shared: M, parameters on every task path.
        total: N, distinct parameters on any task path.
        ratio: M / N (0 when N is 0).
        per_task: parameters on each task's path.
        paths_total: the sum of ``per_task`` (each task counted as a separate model).
        meets: threshold -> whether ``ratio >= threshold``.
    """

    shared: int
    total: int
    ratio: float
    per_task: Mapping[str, int] = field(default_factory=dict)
    paths_total: int = 0
    meets: Mapping[float, bool] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"shared": self.shared, "total": self.total, "ratio": self.ratio, "per_task": dict(self.per_task),
                "paths_total": self.paths_total, "meets": {str(k): v for k, v in self.meets.items()}}


def _params(items: Iterable[Any]) -> dict[int, int]:
    """id -> numel of parameters given as parameters or (name, parameter) pairs."""
    out = {}
    for item in items:
        param = item[1] if isinstance(item, tuple) else item
        out[id(param)] = int(param.numel())
    return out


def sharing_ratio(
    model: Any,
    task_parameters: Mapping[str, Iterable[Any]] | Callable[[str], Iterable[Any]] | None = None,
    *,
    tasks: Iterable[str] | None = None,
) -> SharingReport:
    """M/N of a multitask model.

    Args:
        model: one module (then ``task_parameters`` says which parameters each task uses) or a
            mapping ``task -> module`` of separate task models (each path is all of its module's
            parameters; a tensor shared between modules counts once in N and is shared if all
            four modules hold it).
        task_parameters: ``task -> parameters`` (parameters, ``(name, parameter)`` pairs or
            parameter names of ``model``), or a callable ``task -> that iterable`` (such as
            ``FusionModel.task_parameters``).
        tasks: the task names when ``task_parameters`` is a callable (default: the four config names).

    Returns:
        A :class:`SharingReport`.

    Example:
        >>> class P:
        ...     def __init__(self, n): self.n = n
        ...     def numel(self): return self.n
        >>> core, a, b = P(30), P(10), P(60)
        >>> r = sharing_ratio({"x": [core, a], "y": [core, b]})
        >>> r.shared, r.total, r.ratio
        (30, 100, 0.3)
    """
    if task_parameters is None:
        if not isinstance(model, Mapping):
            raise TypeError("give task_parameters for a single model, or a mapping of task -> model")
        paths = {task: _params(m.named_parameters() if hasattr(m, "named_parameters") else m)
                 for task, m in model.items()}
    else:
        names = list(tasks or ("c2c", "htr", "vqa", "zsod"))
        if callable(task_parameters):
            chosen = {t: list(task_parameters(t)) for t in names}
        else:
            chosen = {t: list(v) for t, v in task_parameters.items()}
        by_name = dict(model.named_parameters()) if hasattr(model, "named_parameters") else {}
        paths = {t: _params(by_name[x] if isinstance(x, str) else x for x in items) for t, items in chosen.items()}
    if not paths:
        raise ValueError("no task paths given")
    sizes: dict[int, int] = {}
    for path in paths.values():
        sizes.update(path)
    common = set.intersection(*(set(p) for p in paths.values()))
    shared = sum(sizes[i] for i in common)
    total = sum(sizes.values())
    ratio = shared / total if total else 0.0
    return SharingReport(shared=shared, total=total, ratio=ratio,
                         per_task={t: sum(p.values()) for t, p in paths.items()},
                         paths_total=sum(sum(p.values()) for p in paths.values()),
                         meets={t: ratio >= t for t in THRESHOLDS})
