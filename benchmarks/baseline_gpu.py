"""GPU benchmark of the reference baseline at paper scale (a script, not a test).

For a session that has a GPU: the ``gpt2-medium`` preset (24 layers x 1024, ResNet-50 stages,
224 px images; random init with a local byte-level BPE when no pretrained weights are given),
bf16 autocast.  It measures, per task, training throughput (samples/s over timed optimizer steps
after a warm-up) and peak GPU memory, then fusion-trains on the sample's train split within a
budget, predicts the test split and scores it next to the trivial predictors, as
``baseline_cpu.py`` does.

    python benchmarks/baseline_gpu.py [--preset gpt2-medium] [--weights DIR] [--budget-s 300] [--json]

On a CPU-only machine ``--device cpu --preset tiny --amp off`` runs the same code paths small
(that is how it is smoke-tested).  With ``--json`` the last stdout line is one JSON object:
``{"throughput": {"HTR": {"samples_per_s": f, "peak_mib": f}, ...}, "tasks": {...}, ...}``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from typing import Any

import torch
from baseline_cpu import (
    BATCH,
    HEAD_LR_SCALE,
    load_test_split_with_trivial_scores,
    log,
    model_predictions,
    score,
    tune_threshold,
)

from fusionbench.baselines.data import load_rows
from fusionbench.baselines.describe import describe
from fusionbench.baselines.model import TASKS
from fusionbench.baselines.train import TrainConfig, Trainer
from fusionbench.tasks import get_task

#: Paper-scale mini-batch sizes (C2C sequences are the longest).
GPU_BATCH = {"c2c": 16, "htr": 64, "vqa": 64, "zsod": 64}


class _Only:
    """A sampler that always draws one task (for per-task timing)."""

    def __init__(self, task: str) -> None:
        self.task = task

    def next(self) -> str:
        return self.task


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def throughput(trainer: Trainer, warmup: int, steps: int) -> dict[str, dict[str, float]]:
    """Samples/s and peak memory of training steps on each task alone (restores the sampler)."""
    device = trainer.device
    sampler = trainer.sampler
    found = {}
    for task in TASKS:
        trainer.sampler = _Only(task)
        for _ in range(warmup):
            trainer.train_step()
        _sync(device)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        start = time.perf_counter()
        for _ in range(steps):
            trainer.train_step()
        _sync(device)
        seconds = time.perf_counter() - start
        size = trainer.config.batch_size_of(task) * trainer.config.accumulation
        found[get_task(task).name] = {
            "samples_per_s": size * steps / seconds,
            "step_s": seconds / steps,
            "batch_size": size,
            "peak_mib": torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None,
        }
        log(f"{task}: {found[get_task(task).name]['samples_per_s']:.1f} samples/s")
    trainer.sampler = sampler
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="gpt2-medium")
    parser.add_argument("--weights", default=None,
                        help="local folder of pretrained GPT-2 weights (else random init)")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--amp", default="bf16", choices=["auto", "bf16", "fp16", "off"])
    parser.add_argument("--budget-s", type=float, default=300.0, help="fusion training wall-time budget")
    parser.add_argument("--steps", type=int, default=3000, help="scheduled optimizer steps (cut by the budget)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per task before timing")
    parser.add_argument("--timed-steps", type=int, default=20, help="timed steps per task")
    parser.add_argument("--max-lr", type=float, default=1e-3)
    parser.add_argument("--head-lr-scale", default=json.dumps(HEAD_LR_SCALE), help="JSON: max-lr factor per task head")
    parser.add_argument("--weights-by-task", default=None, help="task sampling weights as JSON (default: the paper's)")
    parser.add_argument("--small-batches", action="store_true", help="use the CPU benchmark's batch sizes")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("baseline_gpu.py: no CUDA device here; "
                         "use --device cpu --preset tiny --amp off for a smoke run")
    start = time.time()
    overrides: dict[str, Any] = {}
    if args.weights is None and args.preset != "tiny":
        # no pretrained weights: same shape, random init, a local BPE (the GPT-2 BPE files are
        # not available offline either)
        overrides = {"core": "random", "tokenizer": "local-bpe", "tokenizer_vocab": 8192}
    batch = BATCH if args.small_batches else GPU_BATCH

    test, references, results = load_test_split_with_trivial_scores()

    with tempfile.TemporaryDirectory() as tmp:
        config = TrainConfig(preset=args.preset, overrides=overrides, steps=args.steps, batch_size=batch,
                             max_lr=args.max_lr, head_lr_scale=json.loads(args.head_lr_scale or "null"),
                             weights_by_task=json.loads(args.weights_by_task or "null"), weights=args.weights,
                             amp=args.amp, device=args.device, time_budget_s=args.budget_s, output_dir=tmp,
                             progress=False)
        trainer = Trainer(config, resume=False)
        info = describe(trainer.model)
        log(f"{args.preset}: {info['total']:,} parameters, M/N {info['sharing_ratio']:.3f}, "
            f"autocast {trainer.autocast_dtype}")
        speed = throughput(trainer, args.warmup, args.timed_steps)
        # the timing steps were real updates: start the fusion run from a fresh model
        del trainer
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        trainer = Trainer(config, resume=False)
        summary = trainer.run()
        drawn = {t: len(trainer.history[t]) for t in TASKS}
        log(f"fusion: {summary['steps']} steps in {summary['wall_s']:.0f}s, batches per task {drawn}")
        trainer.model.eval()
        validation = load_rows("zsod", "validation")
        threshold = tune_threshold(trainer.model, validation)
        for task, value in score(model_predictions(trainer.model, test, threshold=threshold), references).items():
            results[task]["trained"] = value

    out = {"throughput": speed, "tasks": results, "wall_s": time.time() - start, "fusion_train_s": summary["wall_s"],
           "steps": summary["steps"], "batches_per_task": drawn, "preset": args.preset,
           "random_init": args.weights is None, "amp": str(trainer.autocast_dtype), "device": str(trainer.device),
           "device_name": torch.cuda.get_device_name(trainer.device) if trainer.device.type == "cuda" else "cpu",
           "peak_mib": torch.cuda.max_memory_allocated(trainer.device) / 2**20 if trainer.device.type == "cuda"
           else None,
           "parameters": {"total": info["total"], "trainable": info["trainable"],
                          "shared_by_all_tasks": info["shared_by_all_tasks"]},
           "sharing_ratio": info["sharing_ratio"], "zsod_threshold": threshold}
    for task, row in results.items():
        cells = "  ".join(f"{k} {v:.4f}" for k, v in row.items())
        log(f"{task:<5} {cells}  ({speed[task]['samples_per_s']:.1f} samples/s)")
    if args.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
