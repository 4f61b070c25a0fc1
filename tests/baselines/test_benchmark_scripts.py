"""The baseline benchmark scripts run end to end (tiny, a few steps, CPU) and print one JSON line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def test_gpu_benchmark_smoke_runs_on_cpu_and_reports_every_task():
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / "baseline_gpu.py"), "--device", "cpu", "--preset", "tiny", "--amp", "off",
         "--steps", "4", "--budget-s", "60", "--timed-steps", "1", "--warmup", "0", "--small-batches", "--json"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(out["throughput"]) == set(out["tasks"]) == {"C2C", "HTR", "VQA", "zsOD"}
    assert all(row["samples_per_s"] > 0 and row["peak_mib"] is None for row in out["throughput"].values())
    assert out["steps"] == 4 and sum(out["batches_per_task"].values()) == 4
    for row in out["tasks"].values():
        assert set(row) == {"trivial", "trained"} and all(0.0 <= v <= 1.0 for v in row.values())
    assert out["random_init"] and 0 < out["sharing_ratio"] < 1


def test_gpu_benchmark_refuses_cuda_without_a_gpu():
    import pytest
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    proc = subprocess.run([sys.executable, str(BENCHMARKS / "baseline_gpu.py")], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode != 0 and "no CUDA device" in proc.stderr
