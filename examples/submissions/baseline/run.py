"""The baseline submission: load a ``fusionbench.baselines`` checkpoint, predict all four tasks.

Reads ``input/`` (challenge layout) and writes ``output/prediction_<TASK>.json``, like every
submission.  The checkpoint lives in ``./checkpoint`` beside this file; make it with::

    python -m fusionbench.baselines train --preset tiny --output examples/submissions/baseline/checkpoint

or let ``benchmarks/baseline_cpu.py --save-submission`` write it.  Runs on the CPU inside the sandbox
(no network: the model and its tokenizer must be in the checkpoint).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    checkpoint = HERE / "checkpoint"
    if not checkpoint.exists():
        print(f"baseline submission: no checkpoint at {checkpoint}; train one first (see run.py's docstring)",
              file=sys.stderr)
        return 2
    from fusionbench.baselines.cli import main as baselines

    return baselines(["predict", str(checkpoint), "--input", "input", "--output", "output", "--device", "cpu"])


if __name__ == "__main__":
    sys.exit(main())
