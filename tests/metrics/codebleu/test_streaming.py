"""Streaming C2C: an accumulator fed in batches gives exactly the one-call result (worker pool reused)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from fusionbench.metrics.codebleu import CodeBLEUAccumulator, score_c2c
from fusionbench.synthetic import make_c2c

PACKAGE_ROOT = str(Path(__file__).resolve().parents[3])


def corpus(n: int, seed: int = 14) -> tuple[dict, dict]:
    refs, preds = make_c2c(random.Random(seed), n)
    return preds, refs


def batched(preds: dict, refs: dict, size: int, **options) -> CodeBLEUAccumulator:
    acc = CodeBLEUAccumulator(**options)
    keys = list(refs)
    for i in range(0, len(keys), size):
        part = keys[i:i + size]
        acc.update({k: preds[k] for k in part}, {k: refs[k] for k in part})
    return acc


@pytest.mark.parametrize("options", [{}, {"dataflow_parents": "sorted"}, {"detokenize": True}])
def test_batches_of_32_equal_one_call(options, tmp_path, monkeypatch):
    monkeypatch.setenv("FUSIONBENCH_CACHE", str(tmp_path))
    preds, refs = corpus(260)
    whole = score_c2c(preds, refs, **options)
    streamed = batched(preds, refs, 32, **options).compute()
    assert streamed.stats == whole.stats
    assert streamed.details == whole.details
    assert streamed.score == whole.score
    assert whole.stats["syntax_total"] > 0 and whole.stats["dataflow_total"] > 0


def test_batches_differ_from_a_wrong_split_control(tmp_path, monkeypatch):
    # Control: the equality above is not vacuous; dropping one batch changes the statistics.
    monkeypatch.setenv("FUSIONBENCH_CACHE", str(tmp_path))
    preds, refs = corpus(96)
    whole = score_c2c(preds, refs)
    keys = list(refs)[:64]
    partial = batched({k: preds[k] for k in keys}, {k: refs[k] for k in keys}, 32).compute()
    assert partial.stats != whole.stats


SCRIPT = """
import json, random, sys
from fusionbench.metrics.codebleu import CodeBLEUAccumulator, score_c2c
from fusionbench.synthetic import make_c2c
refs, preds = make_c2c(random.Random(5), 240)
keys = list(refs)
acc = CodeBLEUAccumulator()
for i in range(0, len(keys), 32):
    part = keys[i:i + 32]
    acc.update({k: preds[k] for k in part}, {k: refs[k] for k in part})
print(json.dumps([repr(acc.compute().score), repr(score_c2c(preds, refs).score)]))
"""


def test_streaming_gives_the_seed_0_value_under_any_caller_seed(tmp_path):
    outputs = set()
    for seed in ("0", "1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=seed, FUSIONBENCH_CACHE=str(tmp_path / seed))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_ROOT, env.get("PYTHONPATH")]))
        out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True)
        streamed, whole = json.loads(out.stdout)
        assert streamed == whole
        outputs.add(streamed)
    assert len(outputs) == 1
