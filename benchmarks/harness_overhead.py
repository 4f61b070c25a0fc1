"""Harness overhead: whole-process wall time of ``fusionbench run`` on the trivial submission.

The goal (issue #10) is under 2 s on the development machine.  Each repetition is a fresh
``python -m fusionbench run`` process (imports, sandbox lock probe, staging, the sandboxed
entrypoint, scoring in forked children, bootstrap, the atomic record); the script prints every
wall time, the median and the record's own timing breakdown of the median run, and the machine's
load average, since timings on a shared machine are only comparable at similar load.

Usage: python benchmarks/harness_overhead.py [--repeat 5] [--no-sandbox]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TRIVIAL = Path(__file__).resolve().parents[1] / "examples" / "submissions" / "trivial"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-sandbox", action="store_true")
    args = parser.parse_args()
    walls, timings = [], []
    with tempfile.TemporaryDirectory(prefix="fusionbench-bench-") as out:
        for index in range(args.repeat):
            command = [sys.executable, "-m", "fusionbench", "run", str(TRIVIAL), "--out", f"{out}/{index}", "--json"]
            if args.no_sandbox:
                command.append("--no-sandbox")
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            walls.append(time.perf_counter() - started)
            if done.returncode != 0:
                sys.exit(f"run failed ({done.returncode}): {done.stderr[-500:]}")
            timings.append(json.loads(done.stdout)["timings"])
    median = statistics.median(walls)
    print("fusionbench run, trivial submission, sample test split, all four tasks"
          + (" (no sandbox)" if args.no_sandbox else ""))
    print("wall times (s): " + ", ".join(f"{w:.2f}" for w in walls))
    print(f"median wall time: {median:.2f} s   (goal: < 2 s)")
    print("breakdown of the median run (s): " + json.dumps(timings[walls.index(sorted(walls)[len(walls) // 2])]))
    print("load average (1, 5, 15 min): " + ", ".join(f"{v:.2f}" for v in os.getloadavg())
          + f" on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
