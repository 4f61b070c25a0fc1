"""Which task the next mini-batch comes from.

* :class:`WeightedSampler`: independent draws with fixed weights (default: the 2023 paper's
  fusion weights C2C .04, HTR .18, zsOD .61, VQA .17).
* :class:`RoundRobinSampler`: one batch per task in turn (12-in-1's round-robin batch sampling).
* :class:`StopAndGoSampler`: 12-in-1's dynamic stop-and-go (Lu et al. 2020, Algorithm 1) on top of
  another sampler: a task whose validation score stopped improving is *stopped* and trained
  only every ``stop_every``-th time it is drawn; when its score later drops by more than
  ``degrade`` below its best it *goes* again.

All samplers are deterministic given their seed and resumable (``state_dict``/``load_state_dict``).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["PAPER_WEIGHTS", "TaskSampler", "WeightedSampler", "RoundRobinSampler", "StopAndGoSampler", "make_sampler"]

#: Task-sampling weights of the 2023 paper's fusion training.
PAPER_WEIGHTS = {"c2c": 0.04, "htr": 0.18, "zsod": 0.61, "vqa": 0.17}


class TaskSampler:
    """Base class: ``next()`` returns a task name."""

    tasks: list[str]

    def next(self) -> str:
        raise NotImplementedError

    def observe(self, task: str, score: float) -> None:
        """Report a validation score (only dynamic samplers use it)."""

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


class WeightedSampler(TaskSampler):
    """Independent draws with probability proportional to ``weights[task]``."""

    def __init__(self, tasks: Sequence[str], weights: Mapping[str, float] | None = None, seed: int = 0) -> None:
        weights = weights or PAPER_WEIGHTS
        self.tasks = list(tasks)
        self.weights = [float(weights.get(t, 0.0)) for t in self.tasks]
        if not self.tasks or sum(self.weights) <= 0:
            raise ValueError("the sampled tasks need a positive total weight")
        self.rng = random.Random(seed)

    def next(self) -> str:
        return self.rng.choices(self.tasks, self.weights)[0]

    def state_dict(self) -> dict[str, Any]:
        return {"rng": self.rng.getstate()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        version, internal, gauss = state["rng"]
        self.rng.setstate((version, tuple(internal), gauss))


class RoundRobinSampler(TaskSampler):
    """Tasks in a fixed cycle."""

    def __init__(self, tasks: Sequence[str]) -> None:
        self.tasks = list(tasks)
        self.position = 0

    def next(self) -> str:
        task = self.tasks[self.position % len(self.tasks)]
        self.position += 1
        return task

    def state_dict(self) -> dict[str, Any]:
        return {"position": self.position}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.position = int(state["position"])


class StopAndGoSampler(TaskSampler):
    """Dynamic stop-and-go around a base sampler.

    Args:
        base: the sampler that proposes tasks.
        converge: a task stops when its validation score improves by less than this (absolute).
        degrade: a stopped task goes again when its score falls more than this below its best.
        stop_every: a stopped task trains on one in ``stop_every`` of its draws.
    """

    def __init__(self, base: TaskSampler, converge: float = 1e-3, degrade: float = 5e-3, stop_every: int = 5) -> None:
        self.base = base
        self.tasks = base.tasks
        self.converge, self.degrade, self.stop_every = converge, degrade, stop_every
        self.stopped: dict[str, bool] = {t: False for t in self.tasks}
        self.best: dict[str, float] = {}
        self.last: dict[str, float] = {}
        self.skipped: dict[str, int] = {t: 0 for t in self.tasks}

    def next(self) -> str:
        for _ in range(1000 * len(self.tasks)):
            task = self.base.next()
            if not self.stopped[task]:
                return task
            self.skipped[task] += 1
            if self.skipped[task] % self.stop_every == 0:
                return task
        return task  # every task stopped: the cycle above still returns one in stop_every

    def observe(self, task: str, score: float) -> None:
        if task not in self.stopped:
            return
        if self.stopped[task]:
            if score < self.best[task] - self.degrade:
                self.stopped[task] = False
        elif task in self.last and score - self.last[task] < self.converge:
            self.stopped[task] = True
        self.best[task] = max(score, self.best.get(task, score))
        self.last[task] = score

    def state_dict(self) -> dict[str, Any]:
        return {"base": self.base.state_dict(), "stopped": dict(self.stopped), "best": dict(self.best),
                "last": dict(self.last), "skipped": dict(self.skipped)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.base.load_state_dict(state["base"])
        self.stopped, self.best = dict(state["stopped"]), dict(state["best"])
        self.last, self.skipped = dict(state["last"]), dict(state["skipped"])


def make_sampler(kind: str, tasks: Sequence[str], seed: int = 0, weights: Mapping[str, float] | None = None) -> TaskSampler:
    """``weighted``, ``round-robin``, ``stop-and-go`` (round-robin base) or ``weighted-stop-and-go``."""
    if kind == "weighted":
        return WeightedSampler(tasks, weights, seed)
    if kind == "round-robin":
        return RoundRobinSampler(tasks)
    if kind == "stop-and-go":
        return StopAndGoSampler(RoundRobinSampler(tasks))
    if kind == "weighted-stop-and-go":
        return StopAndGoSampler(WeightedSampler(tasks, weights, seed))
    raise ValueError(f"unknown sampler {kind!r}; expected weighted, round-robin, stop-and-go, weighted-stop-and-go")
