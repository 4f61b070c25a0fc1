"""The C2C reference cache: a hit equals a miss, bad or forged-looking entries are misses, concurrency is safe."""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from fusionbench.cache import read_entry, write_entry
from fusionbench.metrics.codebleu import refcache
from fusionbench.metrics.codebleu.parse import parse
from fusionbench.metrics.codebleu.structure import analyse
from fusionbench.metrics.codebleu.workers import compute_structural_counts, shutdown_workers
from fusionbench.synthetic import make_c2c

PACKAGE_ROOT = str(Path(__file__).resolve().parents[3])
N = 240  # above IN_PROCESS_MAX_PAIRS: the workers (which own the cache) score it


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FUSIONBENCH_CACHE", str(tmp_path))
    monkeypatch.delenv("FUSIONBENCH_C2C_CACHE", raising=False)
    shutdown_workers()  # workers remember analyses in memory: start from fresh ones
    yield tmp_path / refcache.FOLDER
    shutdown_workers()


def corpus(seed: int = 3) -> list[tuple[str, str]]:
    refs, preds = make_c2c(random.Random(seed), N)
    return [(refs[k], preds[k]) for k in refs]


def entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.entry"))


def test_hit_equals_miss_and_equals_no_cache(cache_dir, monkeypatch):
    pairs = corpus()
    miss = compute_structural_counts(pairs, processes=2)
    shutdown_workers()  # waits for the workers' cache writes (done after they answer); forgets memory
    assert len(entries(cache_dir)) == 2  # one entry per worker share
    hit = compute_structural_counts(pairs, processes=2)
    monkeypatch.setenv("FUSIONBENCH_C2C_CACHE", "0")
    from fusionbench.metrics.codebleu import workers

    workers.shutdown_workers()  # fresh workers: nothing in memory either
    plain = compute_structural_counts(pairs, processes=2)
    assert miss == hit == plain


def test_stored_analyses_round_trip_exactly(cache_dir):
    refs = list(dict.fromkeys(ref for ref, _ in corpus()))[:50]
    analyses = [analyse(ref, parse) for ref in refs]
    refcache.store(refs, analyses, "official", False)
    loaded = refcache.load(refs, "official", False)
    assert loaded == dict(zip(refs, analyses))
    assert refcache.load(refs, "sorted", False) is None  # options are part of the key
    assert refcache.load(refs[:-1], "official", False) is None


def _forge(path: Path, mutate) -> None:
    """Rewrite an entry's body with ``mutate`` applied and a *valid* checksum."""
    header, body = path.read_bytes().split(b"\n", 1)
    magic, _, key = header.split(b" ")
    value = mutate(marshal.loads(body))
    new_body = marshal.dumps(value)
    path.write_bytes(b"%s %s %s\n" % (magic, hashlib.sha256(new_body).hexdigest().encode(), key) + new_body)


def _drop_subtrees(value):
    references, analyses = value
    return references, [(subtrees[:1], flow) for subtrees, flow in analyses]


@pytest.mark.parametrize("damage", ["flip_byte", "truncate", "bad_checksum", "garbage", "empty"])
def test_corrupted_entry_is_ignored(cache_dir, damage):
    from fusionbench.metrics.codebleu import workers

    pairs = corpus(4)
    reference = compute_structural_counts(pairs, processes=1)
    workers.shutdown_workers()  # waits for the cache write
    (entry,) = entries(cache_dir)
    data = entry.read_bytes()
    if damage == "flip_byte":
        i = len(data) - 10
        entry.write_bytes(data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:])
    elif damage == "truncate":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "bad_checksum":
        header, body = data.split(b"\n", 1)
        parts = header.split(b" ")
        parts[1] = b"0" * 64
        entry.write_bytes(b" ".join(parts) + b"\n" + body)
    elif damage == "garbage":
        entry.write_bytes(os.urandom(len(data)))
    else:
        entry.write_bytes(b"")
    workers.shutdown_workers()  # new workers: the cache is all they could remember
    assert compute_structural_counts(pairs, processes=1) == reference


def test_control_a_forged_valid_entry_is_used(cache_dir):
    # Control: the workers really read the cache.  An entry rewritten with a valid checksum but
    # other contents changes the counts, so the tests above would fail if corruption were used.
    from fusionbench.metrics.codebleu import workers

    pairs = corpus(4)
    reference = compute_structural_counts(pairs, processes=1)
    workers.shutdown_workers()  # waits for the cache write
    (entry,) = entries(cache_dir)
    _forge(entry, _drop_subtrees)
    workers.shutdown_workers()
    forged = compute_structural_counts(pairs, processes=1)
    assert forged != reference
    assert all(total == 1 for _, total, _, _ in forged)


def test_entry_for_other_references_is_a_miss(cache_dir):
    refs = ["x = 1", "y = x"]
    refcache.store(refs, [analyse(r, parse) for r in refs], "official", False)
    (entry,) = entries(cache_dir)
    _forge(entry, lambda v: (["x = 2", "y = x"], v[1]))  # valid checksum, wrong strings
    assert refcache.load(refs, "official", False) is None


def test_read_entry_rejects_wrong_key(tmp_path):
    path = tmp_path / "e.json"
    assert write_entry(path, "k1", {"a": 1})
    assert read_entry(path, "k1") == {"a": 1}
    assert read_entry(path, "k2") is None


def test_cache_is_bounded(cache_dir, monkeypatch):
    monkeypatch.setattr(refcache, "MAX_BYTES", 1)
    monkeypatch.setattr(refcache, "PRUNE_EVERY", 1)
    refs = ["x = 1"]
    refcache.store(refs, [analyse(r, parse) for r in refs], "official", False)
    refcache.store(["y = 2"], [analyse("y = 2", parse)], "official", False)
    assert len(entries(cache_dir)) <= 1


SCRIPT = """
import json, random, sys
from fusionbench.metrics.codebleu import score_c2c
from fusionbench.synthetic import make_c2c
refs, preds = make_c2c(random.Random(9), 600)
s = score_c2c(preds, refs)
print(json.dumps([repr(s.score), s.stats]))
"""


def test_two_processes_with_one_cache_at_once(tmp_path):
    env = dict(os.environ, FUSIONBENCH_CACHE=str(tmp_path / "shared"), PYTHONHASHSEED="7")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_ROOT, env.get("PYTHONPATH")]))
    env.pop("FUSIONBENCH_C2C_CACHE", None)
    procs = [subprocess.Popen([sys.executable, "-c", SCRIPT], env=env, stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [json.loads(p.communicate(timeout=600)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    again = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True)
    plain_env = dict(env, FUSIONBENCH_C2C_CACHE="0")
    plain = subprocess.run([sys.executable, "-c", SCRIPT], env=plain_env, capture_output=True, text=True, check=True)
    assert outs[0] == outs[1] == json.loads(again.stdout) == json.loads(plain.stdout)
    assert list((tmp_path / "shared" / refcache.FOLDER).glob("*.entry"))
    assert not list((tmp_path / "shared" / refcache.FOLDER).glob(".tmp-*"))


@pytest.mark.parametrize("forged", [
    ("not", "a pair", "at all"),
    (["x = 1"], [(["(module)"], [("var_0", "comesFrom", ["not", "a", "tuple"])])]),
    (["x = 1"], [([b"bytes"], [])]),
    (["x = 1"], []),
])
def test_entry_of_the_wrong_shape_is_a_miss(cache_dir, forged):
    refs = ["x = 1"]
    refcache.store(refs, [analyse(r, parse) for r in refs], "official", False)
    (entry,) = entries(cache_dir)
    _forge(entry, lambda v: forged)
    assert refcache.load(refs, "official", False) is None


def test_new_predictions_for_the_same_references_use_the_same_entries(cache_dir):
    """The warm case: shares are cut by the references alone, so their keys do not move."""
    pairs = corpus()
    compute_structural_counts(pairs, processes=2)
    shutdown_workers()
    first = entries(cache_dir)
    assert len(first) == 2
    # other predictions, of very different lengths: long ones first, then short ones, and back
    front = [(ref, cand * 8 if i < N // 2 else "x") for i, (ref, cand) in enumerate(pairs)]
    back = [(ref, "x" if i < N // 2 else cand * 8) for i, (ref, cand) in enumerate(pairs)]
    for other in (front, back):
        compute_structural_counts(other, processes=2)
        shutdown_workers()
        assert entries(cache_dir) == first  # no new entry: every share was a hit
