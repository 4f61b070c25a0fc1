"""How much does the compiled accelerator speed up CodeBLEU's n-gram statistics?

Times, in this process, the pure-Python ``ngram_stats`` over the C2C pairs of the public-test-size
synthetic set (1,699 pairs, ``fusionbench.synthetic.write_set``) against ``ngram_stats_many`` with
the compiled ``_speedups`` module, median of ``--repeat`` runs, checks that both give the same
statistics (``repr`` of every item) and prints both times and their ratio.  It prints numbers; it
never passes or fails.  On a shared machine compare the ratio, not the seconds.

    python benchmarks/ngram_speed.py [--repeat 7] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from fusionbench.metrics.codebleu.ngram import ngram_stats, ngram_stats_many, speedups_available
from fusionbench.synthetic import write_set


def median_seconds(repeat: int, run) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the public-test size")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        write_set(directory, scale=args.scale)
        refs = json.loads((directory / "true_C2C.json").read_text(encoding="utf-8"))
        preds = json.loads((directory / "prediction_C2C.json").read_text(encoding="utf-8"))
    pairs = [(preds[k], refs[k]) for k in refs]
    tokens = sum(len(p.split()) + len(r.split()) for p, r in pairs)
    pure = median_seconds(args.repeat, lambda: [ngram_stats(p, r) for p, r in pairs])
    print(f"{len(pairs)} pairs, {tokens} tokens; median of {args.repeat}")
    print(f"pure ngram_stats        {pure * 1000:8.1f} ms")
    if not speedups_available():
        print("compiled accelerator   not available (not built, or FUSIONBENCH_PURE_PYTHON=1)")
        return
    fast = median_seconds(args.repeat, lambda: ngram_stats_many(pairs))
    same = [repr(s) for s in ngram_stats_many(pairs)] == [repr(ngram_stats(p, r)) for p, r in pairs]
    print(f"compiled ngram_stats_many {fast * 1000:6.1f} ms   {pure / fast:.1f}x faster "
          f"(same result: {'yes' if same else 'NO'})")


if __name__ == "__main__":
    main()
