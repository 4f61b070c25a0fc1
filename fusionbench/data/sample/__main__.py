"""``python -m fusionbench.data.sample freeze`` | ``generate --split train --out DIR [--seed N]``."""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from fusionbench.data.sample import generate

FROZEN = Path(__file__).resolve().parents[1] / "sample_data"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m fusionbench.data.sample")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("freeze", help="regenerate the shipped validation and test splits")
    gen = sub.add_parser("generate", help="write one split in the challenge layout")
    gen.add_argument("--split", default="train", choices=["train", "validation", "test"])
    gen.add_argument("--out", required=True)
    gen.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args()
    if args.command == "freeze":
        for split in ("validation", "test"):
            start = time.perf_counter()
            shutil.rmtree(FROZEN / split, ignore_errors=True)
            generate(split, FROZEN / split)
            print(f"{split}: {time.perf_counter() - start:.1f} s")
    else:
        start = time.perf_counter()
        generate(args.split, args.out, seed=args.seed)
        print(f"{args.split}: {time.perf_counter() - start:.1f} s -> {args.out}")


if __name__ == "__main__":
    main()
