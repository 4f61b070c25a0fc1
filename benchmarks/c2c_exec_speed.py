"""How fast is C2C execution accuracy on the GfG test set (464 test scripts), sandbox included?

Reads the TransCoder GfG test split and its test scripts from a local AVATAR mirror (default
``../shared/data/avatar-a246ee5`` next to the checkout, or ``--tests``), scores the reference
Python itself (the gold check) and, with ``--trivial``, the trivial submission's translations,
in fresh processes, and prints wall seconds, scripts/s and the statuses.  It prints numbers; it
never passes or fails.

    python benchmarks/c2c_exec_speed.py [--tests DIR] [--repeat 3] [--trivial] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHILD = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(sys.argv[3]) / "examples/submissions/trivial"))
root = Path(sys.argv[1])
ids = (root / "transcoder_test_gfg/test.java-python.id").read_text().splitlines()
java = (root / "transcoder_test_gfg/test.java-python.java").read_text().splitlines()
python = (root / "transcoder_test_gfg/test.java-python.python").read_text().splitlines()
references = dict(zip(ids, python))
if sys.argv[2] == "trivial":
    from run import translate
    predictions = {i: translate(j) for i, j in zip(ids, java)}
else:
    predictions = references
t0 = time.perf_counter()
from fusionbench.metrics.execution import ExecutionCounts, load_tests, run_items
outcomes = run_items(predictions, references, load_tests(root))
elapsed = time.perf_counter() - t0
counts = ExecutionCounts()
for o in outcomes:
    counts = counts + ExecutionCounts.of(o.status)
print(json.dumps({"wall_s": elapsed, "scripts": counts.with_test, "counts": counts.to_dict(),
                  "accuracy": counts.accuracy}))
"""


def measure(tests: Path, which: str, repeat: int) -> dict:
    runs = []
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, "-c", CHILD, str(tests), which, str(REPO)],
                              capture_output=True, text=True, check=True)
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    best = dict(runs[0])
    best["wall_s"] = statistics.median(r["wall_s"] for r in runs)
    best["runs_s"] = [round(r["wall_s"], 2) for r in runs]
    best["scripts_per_s"] = best["scripts"] / best["wall_s"]
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=Path, default=REPO.parent / "shared/data/avatar-a246ee5",
                        help="a local mirror of AVATAR's data/ folder")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--trivial", action="store_true", help="also score the trivial submission's translations")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {"cpus": os.cpu_count(), "gold": measure(args.tests, "gold", args.repeat)}
    if args.trivial:
        results["trivial"] = measure(args.tests, "trivial", args.repeat)
    if args.json:
        print(json.dumps(results))
        return
    print(f"C2C execution on the GfG test set ({results['cpus']} CPUs; sandbox start-up included)")
    for name, r in results.items():
        if name == "cpus":
            continue
        print(f"  {name:8} {r['scripts']} scripts  median {r['wall_s']:.1f} s  ({r['scripts_per_s']:.0f} scripts/s; "
              f"runs {r['runs_s']})  accuracy {r['accuracy']:.3f}  {r['counts']}")


if __name__ == "__main__":
    main()
