"""``python -m fusionbench.baselines train|predict|describe``: thin wrappers over the library."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["main"]


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _overrides(pairs: list[str]) -> dict[str, Any]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--set expects KEY=VALUE, got {pair!r}")
        out[key] = _value(value)
    return out


def _task_floats(text: str | None, flag: str) -> dict[str, float] | None:
    """``"htr=6,zsod=0.4"`` -> ``{"htr": 6.0, "zsod": 0.4}`` (``None`` when not given)."""
    if not text:
        return None
    out = {}
    for pair in text.split(","):
        key, sep, value = pair.partition("=")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise SystemExit(f"{flag} expects TASK=NUMBER[,TASK=NUMBER...], got {pair!r}")
    return out


def _batch_size(text: str) -> int | dict[str, int]:
    """``"16"`` -> 16; ``"c2c=8,htr=32"`` -> ``{"c2c": 8, "htr": 32}``."""
    if "=" not in text:
        try:
            return int(text)
        except ValueError:
            raise SystemExit(f"--batch-size expects N or TASK=N[,TASK=N...], got {text!r}") from None
    sizes = _task_floats(text, "--batch-size") or {}
    if any(v != int(v) or v < 1 for v in sizes.values()):
        raise SystemExit(f"--batch-size expects positive whole numbers, got {text!r}")
    return {task: int(v) for task, v in sizes.items()}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fusionbench.baselines", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train single-task or fusion")
    t.add_argument("--preset", default="tiny",
                   help="model preset: tiny, gpt2, gpt2-medium, fusionbrain-2021, gpt2-large (default: tiny)")
    t.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override one model config field, e.g. --set n_layer=4 (repeatable; VALUE is JSON or a string)")
    t.add_argument("--tasks", default="c2c,htr,vqa,zsod", help="comma-separated config names")
    t.add_argument("--source", default="sample",
                   help="training data source: sample (default, all four tasks) or a public source; a C2C-only "
                        "source (avatar, avatar_g4g) needs --tasks c2c")
    t.add_argument("--data-dir", default=None,
                   help="local folder of --source (a mirror, or the --write-clean folder of fusionbench audit)")
    t.add_argument("--sampler", default="weighted",
                   choices=["weighted", "round-robin", "stop-and-go", "weighted-stop-and-go"],
                   help="how the next batch's task is chosen: by weight (the paper's), in turn, or 12-in-1's "
                        "dynamic stop-and-go on either (default: weighted)")
    t.add_argument("--task-weights", default=None, metavar="TASK=W,...",
                   help="sampling weights of the weighted samplers (default: the paper's)")
    t.add_argument("--head-lr-scale", default=None, metavar="TASK=F,...",
                   help="learning-rate factor for a task's own head, e.g. htr=6")
    t.add_argument("--steps", type=int, default=1000, help="optimizer steps (default: 1000)")
    t.add_argument("--batch-size", default="16", metavar="N|TASK=N,...",
                   help="mini-batch size, one number or per task (e.g. c2c=8,htr=32,vqa=32,zsod=32)")
    t.add_argument("--accumulation", type=int, default=1,
                   help="mini-batches whose gradients are summed per optimizer step (default: 1)")
    t.add_argument("--max-lr", type=float, default=1e-3,
                   help="peak learning rate of the one-cycle schedule (default: 1e-3)")
    t.add_argument("--seed", type=int, default=0,
                   help="seed of python, numpy, torch, the samplers and the data order (default: 0)")
    t.add_argument("--output", required=True, help="checkpoint folder (resumed when it holds one)")
    t.add_argument("--no-resume", action="store_true",
                   help="start afresh even when --output holds a checkpoint")
    t.add_argument("--eval-every", type=int, default=0,
                   help="score the validation split every N steps (default: 0, never)")
    t.add_argument("--eval-limit", type=int, default=None,
                   help="validation items per task in those evaluations (default: all)")
    t.add_argument("--checkpoint-every", type=int, default=0,
                   help="write a checkpoint every N steps (default: 0, only at the end)")
    t.add_argument("--weights", default=None, help="local directory of pretrained GPT-2 weights")
    t.add_argument("--amp", default="auto", choices=["auto", "bf16", "fp16", "off"],
                   help="mixed precision; auto: bf16 or fp16 on CUDA, off on CPU (default: auto)")
    t.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, ... (default: auto)")
    t.add_argument("--time-budget", type=float, default=None, help="stop after this many seconds")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = sub.add_parser("predict", help="write prediction_<TASK>.json files")
    p.add_argument("checkpoint", help="checkpoint file or folder")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--split", help="a split of a fusionbench dataset (e.g. test)")
    where.add_argument("--input", help="a challenge input/ directory")
    p.add_argument("--source", default="sample",
                   help="dataset source of --split (default: sample); e.g. transcoder_gfg predicts C2C only")
    p.add_argument("--data-dir", default=None, help="local folder (mirror) of --source")
    p.add_argument("--tasks", default=None,
                   help="comma-separated config names to predict with --split (default: all the source serves)")
    p.add_argument("--output", required=True)
    p.add_argument("--beams", type=int, default=1, help="C2C beam width")
    p.add_argument("--threshold", type=float, default=0.5, help="zsOD score threshold")
    p.add_argument("--device", default="cpu")

    d = sub.add_parser("describe", help="parameter counts and the M/N sharing ratio")
    d.add_argument("--checkpoint", default=None)
    d.add_argument("--preset", default="tiny")
    d.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    d.add_argument("--weights", default=None)
    d.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (2 for a FusionBenchError, as the core CLI)."""
    from fusionbench.errors import FusionBenchError

    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except FusionBenchError as exc:
        print(f"fusionbench: error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.command == "train":
        from fusionbench.baselines.train import TrainConfig, train

        config = TrainConfig(
            preset=args.preset, overrides=_overrides(args.set), tasks=tuple(args.tasks.split(",")),
            sampler=args.sampler, weights_by_task=_task_floats(args.task_weights, "--task-weights"),
            head_lr_scale=_task_floats(args.head_lr_scale, "--head-lr-scale"), steps=args.steps,
            batch_size=_batch_size(args.batch_size), accumulation=args.accumulation,
            max_lr=args.max_lr, seed=args.seed, source=args.source, data_dir=args.data_dir,
            output_dir=args.output, eval_every=args.eval_every,
            eval_limit=args.eval_limit, checkpoint_every=args.checkpoint_every, weights=args.weights, amp=args.amp,
            device=args.device, time_budget_s=args.time_budget, progress=not args.no_progress,
        )
        _, summary = train(config, resume=not args.no_resume)
        print(json.dumps(summary), file=sys.stderr)
        return 0
    if args.command == "predict":
        from fusionbench.baselines.predict import predict_input, predict_split
        from fusionbench.baselines.train import load_checkpoint

        model, _ = load_checkpoint(args.checkpoint)
        model.to(args.device)
        options = {"beams": args.beams, "threshold": args.threshold}
        if args.split:
            tasks = tuple(args.tasks.split(",")) if args.tasks else None
            paths = predict_split(model, args.split, args.output, source=args.source, tasks=tasks,
                                  data_dir=args.data_dir, **options)
        else:
            paths = predict_input(model, args.input, args.output, **options)
        for path in paths:
            print(path)
        return 0
    from fusionbench.baselines.describe import describe, format_description

    if args.checkpoint:
        from fusionbench.baselines.train import load_checkpoint

        model, _ = load_checkpoint(args.checkpoint)
    else:
        from fusionbench.baselines.config import get_config
        from fusionbench.baselines.model import FusionModel
        from fusionbench.baselines.train import build_vocabularies

        config = get_config(args.preset, **_overrides(args.set))
        tokenizer, alphabet = build_vocabularies(config, weights=args.weights)
        model = FusionModel(config, tokenizer, alphabet, weights=args.weights)
    info = describe(model)
    print(json.dumps(info) if args.json else format_description(info))
    return 0
