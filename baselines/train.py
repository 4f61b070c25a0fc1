"""Single-task and fusion training of :class:`FusionModel`.

AdamW + OneCycleLR (the 2023 paper: max lr 1e-3, 10 % warm-up, start lr 8e-6, final division
1000, weight decay 1e-2), seeded, with gradient accumulation, autocast (bf16, else fp16 with a
gradient scaler) on CUDA only, resumable atomic checkpoints, a tqdm bar with per-task losses,
validation through fusionbench's metric accumulators, and DDP when launched by ``torchrun``
(gloo on CPU, NCCL on CUDA).

Parameters that no mini-batch of an optimizer step used keep ``grad = None`` (UniT's fix:
AdamW then neither decays nor moves them, instead of drifting on stale moments).
"""

from __future__ import annotations

import dataclasses
import math
import os
import random
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fusionbench.baselines.config import get_config
from fusionbench.baselines.data import (
    TaskStream,
    check_source,
    collate,
    load_rows,
    source_tasks,
    training_texts,
    zsod_pairs,
)
from fusionbench.baselines.heads.htr import build_alphabet
from fusionbench.baselines.model import TASKS, FusionModel
from fusionbench.baselines.sampling import make_sampler
from fusionbench.baselines.tokenizer import load_gpt2_tokenizer, train_local_bpe

__all__ = ["TrainConfig", "Trainer", "train", "load_checkpoint", "save_checkpoint", "evaluate_model",
           "CHECKPOINT_NAME", "build_vocabularies"]

CHECKPOINT_NAME = "checkpoint.pt"


@dataclass
class TrainConfig:
    """Training options (saved in checkpoints).

    Attributes:
        preset, overrides: the model preset and field overrides (see :mod:`.config`).
        tasks: config names of the tasks to train (one task: single-task training).
        sampler: ``weighted`` (default; paper weights), ``round-robin``, ``stop-and-go``,
            ``weighted-stop-and-go``; ``weights`` overrides the paper's weights.
        steps: optimizer steps; ``accumulation`` mini-batches per step.
        batch_size: mini-batch size, one number or per task.
        max_lr, pct_start, start_lr, final_div_factor, weight_decay, grad_clip: the optimiser.
        head_lr_scale: per task, a factor on ``max_lr`` (and ``start_lr``) for that task's own
            head (``heads.<task>.*``), e.g. ``{"htr": 3.0}``; the shared core, embeddings and
            backbone keep ``max_lr``.  CTC leaves its all-blank plateau sooner with a faster head
            while the language heads prefer the paper's rate.
        seed: seeds python, numpy, torch, the samplers and the data order.
        output_dir: where checkpoints go (``None``: none written).
        checkpoint_every, eval_every: in steps (0: only at the end / never).
        eval_split, eval_limit: validation split and items per task.
        source, train_limit: data source and a cap on training items per task.  A single-task
            source (e.g. ``avatar`` for ``c2c``) needs ``tasks`` to be only its task; the
            tokenizer is then trained on that source's texts alone.
        data_dir: local folder of the source (a mirror, or the ``--write-clean`` folder of
            ``fusionbench audit`` with ``source="avatar"``); ``None``: the source's default.
        weights: local directory of pretrained GPT-2 weights.
        amp: ``auto`` (bf16 or fp16 on CUDA, off on CPU), ``bf16``, ``fp16``, ``off``.
        device: ``auto``, ``cpu``, ``cuda``...
        time_budget_s: stop early when training wall time exceeds it (the schedule is not rescaled).
        progress: show a tqdm bar (rank 0).
    """

    preset: str = "tiny"
    overrides: dict[str, Any] = field(default_factory=dict)
    tasks: tuple[str, ...] = TASKS
    sampler: str = "weighted"
    weights_by_task: dict[str, float] | None = None
    steps: int = 1000
    accumulation: int = 1
    batch_size: int | dict[str, int] = 16
    max_lr: float = 1e-3
    pct_start: float = 0.1
    start_lr: float = 8e-6
    final_div_factor: float = 1000.0
    weight_decay: float = 1e-2
    grad_clip: float = 1.0
    head_lr_scale: dict[str, float] | None = None
    seed: int = 0
    output_dir: str | None = None
    checkpoint_every: int = 0
    eval_every: int = 0
    eval_split: str = "validation"
    eval_limit: int | None = None
    source: str = "sample"
    data_dir: str | None = None
    train_limit: int | None = None
    weights: str | None = None
    amp: str = "auto"
    device: str = "auto"
    time_budget_s: float | None = None
    progress: bool = True

    def batch_size_of(self, task: str) -> int:
        if not isinstance(self.batch_size, dict):
            return int(self.batch_size)
        if task not in self.batch_size:
            raise ValueError(f"batch_size gives no size for task {task!r} (it has {', '.join(self.batch_size)})")
        return int(self.batch_size[task])


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _to_device(batch: dict[str, Any], device: torch.device) -> dict[str, Any]:
    out = {}
    for key, value in batch.items():
        if isinstance(value, torch.Tensor):
            out[key] = value.to(device, non_blocking=True)
        elif isinstance(value, list) and value and isinstance(value[0], torch.Tensor):
            out[key] = [v.to(device) for v in value]
        else:
            out[key] = value
    return out


def _distributed() -> tuple[int, int]:
    """(rank, world size), initialising the process group under torchrun."""
    import torch.distributed as dist

    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _broadcast(value: Any, world: int) -> Any:
    if world == 1:
        return value
    import torch.distributed as dist

    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def save_checkpoint(path: str | os.PathLike[str], state: dict[str, Any]) -> None:
    """Write ``state`` atomically (a temporary file in the same folder, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str | os.PathLike[str], map_location: str | torch.device = "cpu") -> tuple[FusionModel, dict]:
    """The model of a checkpoint (file or folder) and the whole checkpoint dict."""
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT_NAME
    state = torch.load(path, map_location=map_location, weights_only=False)
    model = FusionModel.from_extra_state(state["extra"])
    model.load_state_dict(state["model"])
    return model, state


def evaluate_model(model: FusionModel, rows_by_task: dict[str, list[dict]], **options: Any) -> dict[str, float]:
    """Scores per task (config names) of ``model`` on rows, through fusionbench's accumulators."""
    from fusionbench.baselines.predict import predict_rows, reference_object
    from fusionbench.metrics.codebleu import CodeBLEUAccumulator
    from fusionbench.metrics.htr import HTRAccumulator
    from fusionbench.metrics.vqa import VQAAccumulator
    from fusionbench.metrics.zsod import ZsODAccumulator

    makers = {"c2c": CodeBLEUAccumulator, "htr": HTRAccumulator, "vqa": VQAAccumulator, "zsod": ZsODAccumulator}
    scores = {}
    for task, rows in rows_by_task.items():
        accumulator = makers[task]()
        accumulator.update(predict_rows(model, task, rows, **options), reference_object(task, rows))
        scores[task] = accumulator.compute().score
    return scores


def build_vocabularies(model_config: Any, source: str = "sample", weights: str | None = None,
                       data_dir: str | None = None) -> tuple[Any, str]:
    """The text tokenizer and the HTR alphabet, from the training splits of every task ``source``
    serves (all four for the sample; a C2C-only source leaves the HTR alphabet empty)."""
    rows = {t: load_rows(t, "train", source, data_dir) for t in source_tasks(source)}
    alphabet = build_alphabet([r["text"] for r in rows.get("htr", [])])
    if model_config.tokenizer == "local-bpe":
        return train_local_bpe(training_texts(rows), model_config.tokenizer_vocab), alphabet
    return load_gpt2_tokenizer(model_config.core, weights), alphabet


class Trainer:
    """Holds the model, optimiser, scheduler, sampler and data streams; :meth:`run` trains."""

    def __init__(self, config: TrainConfig, resume: bool = True) -> None:
        self.config = config
        check_source(config.source, config.tasks)
        self.rank, self.world = _distributed()
        if config.device == "auto":
            self.device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if torch.cuda.is_available()
                                       else "cpu")
        else:
            self.device = torch.device(config.device)
        _seed_everything(config.seed)
        checkpoint = self._checkpoint_path()
        resume_state = None
        if resume and checkpoint is not None and checkpoint.is_file():
            self.model, resume_state = load_checkpoint(checkpoint)
        else:
            self.model = self._build_model()
        self.model.to(self.device)
        self.rows = {t: load_rows(t, "train", config.source, config.data_dir) for t in config.tasks}
        self.streams = {}
        for index, task in enumerate(config.tasks):
            items = zsod_pairs(self.rows[task]) if task == "zsod" else self.rows[task]
            items = items[: config.train_limit] if config.train_limit else items
            shard = items[self.rank::self.world] if self.world > 1 else items
            self.streams[task] = TaskStream(shard, config.batch_size_of(task), config.seed * 1000 + index)
        self.image_cache: dict = {}
        self.sampler = make_sampler(config.sampler, config.tasks, config.seed, config.weights_by_task)
        self._build_optimizer()
        self.step = 0
        self.history: dict[str, list[float]] = {t: [] for t in config.tasks}
        self.val_history: list[dict[str, Any]] = []
        if resume_state is not None:
            self._restore(resume_state)
        self.train_model: torch.nn.Module = self.model
        if self.world > 1:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == "cuda" else None
            self.train_model = DistributedDataParallel(self.model, device_ids=ids, find_unused_parameters=True)

    # -- setup ---------------------------------------------------------------------------------
    def _checkpoint_path(self) -> Path | None:
        return Path(self.config.output_dir) / CHECKPOINT_NAME if self.config.output_dir else None

    def _build_model(self) -> FusionModel:
        cfg = self.config
        model_config = get_config(cfg.preset, **cfg.overrides)
        # Tokenizer and alphabet come from all four training splits, so every run (single-task or
        # fusion) builds the same model shape; rank 0 builds them, the others receive them.
        vocab = None
        if self.rank == 0:
            tokenizer, alphabet = build_vocabularies(model_config, cfg.source, cfg.weights, cfg.data_dir)
            vocab = (tokenizer.to_dict(), alphabet)
        tok_state, alphabet = _broadcast(vocab, self.world)
        from fusionbench.baselines.tokenizer import tokenizer_from_dict

        torch.manual_seed(cfg.seed)  # identical initial weights on every rank
        return FusionModel(model_config, tokenizer_from_dict(tok_state), alphabet, weights=cfg.weights)

    def _build_optimizer(self) -> None:
        cfg = self.config
        scales = dict(cfg.head_lr_scale or {})
        unknown = set(scales) - set(TASKS)
        if unknown:
            raise ValueError(f"head_lr_scale: unknown task(s) {', '.join(sorted(unknown))}; "
                             f"expected {', '.join(TASKS)}")
        groups: dict[tuple[float, bool], list[torch.nn.Parameter]] = {}
        for name, param in self.model.named_parameters():
            if not param.requires_grad:
                continue
            parts = name.split(".")
            scale = float(scales.get(parts[1], 1.0)) if parts[0] == "heads" else 1.0
            decays = param.ndim >= 2 and "ln_" not in name
            groups.setdefault((scale, decays), []).append(param)
        keys = sorted(groups, key=lambda k: (k[0], not k[1]))
        self.optimizer = torch.optim.AdamW(
            [{"params": groups[k], "weight_decay": cfg.weight_decay if k[1] else 0.0} for k in keys],
            lr=cfg.start_lr)
        total = max(cfg.steps, 2)
        pct_start = cfg.pct_start
        if abs(pct_start * total - 1.0) < 1e-9:
            # torch's OneCycleLR divides by (pct_start * total - 1): a warm-up of exactly one step
            # (e.g. 10 steps at 10 %) would raise ZeroDivisionError; a hair more is the same curve.
            pct_start *= 1.0 + 1e-6
        self.scheduler = torch.optim.lr_scheduler.OneCycleLR(
            self.optimizer, max_lr=[cfg.max_lr * k[0] for k in keys], total_steps=total,
            pct_start=pct_start, div_factor=cfg.max_lr / cfg.start_lr, final_div_factor=cfg.final_div_factor,
            cycle_momentum=False,
        )
        amp = cfg.amp
        if self.device.type != "cuda" or amp == "off":
            self.autocast_dtype = None
        elif amp == "fp16" or (amp == "auto" and not torch.cuda.is_bf16_supported()):
            self.autocast_dtype = torch.float16
        else:
            self.autocast_dtype = torch.bfloat16
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.autocast_dtype == torch.float16)
        self.task_param_names = {t: {n for n, _ in self.model.task_parameters(t)} for t in TASKS}

    def _restore(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        # Resuming with a different ``steps`` (e.g. extending a finished run) recomputes the
        # one-cycle curve for the new total from the current step on.
        self.scheduler.total_steps = max(self.config.steps, 2, self.scheduler.last_epoch)
        self.sampler.load_state_dict(state["sampler"])
        for task, stream_state in state["streams"].items():
            if task in self.streams:
                self.streams[task].load_state_dict(stream_state)
        self.step = int(state["step"])
        self.history = {t: list(state.get("history", {}).get(t, [])) for t in self.config.tasks}
        self.val_history = list(state.get("val_history", []))
        rng = state["rng"]
        random.setstate(rng["python"])
        np.random.set_state(rng["numpy"])
        torch.set_rng_state(rng["torch"])

    def state(self) -> dict[str, Any]:
        """Everything needed to resume (see :meth:`_restore`)."""
        return {
            "model": self.model.state_dict(), "extra": self.model.extra_state(),
            "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
            "sampler": self.sampler.state_dict(), "streams": {t: s.state_dict() for t, s in self.streams.items()},
            "rng": {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()},
            "step": self.step, "train_config": dataclasses.asdict(self.config), "history": self.history,
            "val_history": self.val_history,
        }

    def save(self) -> None:
        path = self._checkpoint_path()
        if path is not None and self.rank == 0:
            save_checkpoint(path, self.state())

    # -- training ------------------------------------------------------------------------------
    def train_step(self) -> dict[str, float]:
        """One optimizer step over ``accumulation`` mini-batches; returns the loss per task drawn."""
        cfg = self.config
        used: set[str] = set()
        losses: dict[str, float] = {}
        for _ in range(cfg.accumulation):
            task = self.sampler.next()
            batch = _to_device(collate(task, self.streams[task].next_items(), self.model, self.image_cache),
                               self.device)
            context = (torch.autocast(self.device.type, dtype=self.autocast_dtype) if self.autocast_dtype
                       else nullcontext())
            with context:
                loss = self.train_model(task, batch)["loss"]
            self.scaler.scale(loss / cfg.accumulation).backward()
            used.add(task)
            losses[task] = float(loss.detach())
        allowed = set().union(*(self.task_param_names[t] for t in used))
        for name, param in self.model.named_parameters():
            if name not in allowed:
                param.grad = None  # untouched by this step's batches: AdamW skips it
        if cfg.grad_clip:
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_([p for p in self.model.parameters() if p.grad is not None], cfg.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.step += 1
        return losses

    def validate(self) -> dict[str, float]:
        """Validation scores (rank 0 computes, every rank receives them and informs the sampler)."""
        scores = None
        if self.rank == 0:
            cfg = self.config
            rows = {t: load_rows(t, cfg.eval_split, cfg.source, cfg.data_dir)[: cfg.eval_limit] for t in cfg.tasks}
            scores = evaluate_model(self.model, rows)
        scores = _broadcast(scores, self.world)
        for task, score in scores.items():
            self.sampler.observe(task, score)
        self.val_history.append({"step": self.step, **scores})
        return scores

    def run(self) -> dict[str, Any]:
        """Train to ``steps`` (or the time budget); returns a summary."""
        cfg = self.config
        start = time.time()
        bar = None
        if cfg.progress and self.rank == 0:
            from tqdm.auto import tqdm

            bar = tqdm(total=cfg.steps, initial=self.step, desc="train", dynamic_ncols=True)
        smooth: dict[str, float] = {}
        self.model.train()
        while self.step < cfg.steps:
            losses = self.train_step()
            for task, value in losses.items():
                self.history[task].append(value)
                smooth[task] = value if task not in smooth else 0.9 * smooth[task] + 0.1 * value
            if bar is not None:
                bar.update(1)
                bar.set_postfix({t: f"{v:.3f}" for t, v in smooth.items()}, refresh=False)
            if cfg.eval_every and self.step % cfg.eval_every == 0:
                self.validate()
            if cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0:
                self.save()
            if cfg.time_budget_s is not None and time.time() - start > cfg.time_budget_s:
                break
        if bar is not None:
            bar.close()
        self.save()
        return {"steps": self.step, "wall_s": time.time() - start, "final_loss": dict(smooth),
                "validation": self.val_history}


def train(config: TrainConfig, resume: bool = True) -> tuple[FusionModel, dict[str, Any]]:
    """Build (or resume) and train; returns the model and a summary."""
    trainer = Trainer(config, resume=resume)
    summary = trainer.run()
    if math.isnan(sum(summary["final_loss"].values() or [0.0])):
        raise FloatingPointError("training diverged (NaN loss)")
    return trainer.model, summary
