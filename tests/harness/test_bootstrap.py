"""Bootstrap intervals from sufficient statistics."""

from __future__ import annotations

import pytest

from fusionbench.harness.bootstrap import (
    bootstrap_report,
    bootstrap_scores,
    confidence_interval,
    flatten_stats,
    unflatten_stats,
)
from fusionbench.metrics.codebleu.ngram import NgramStats
from fusionbench.metrics.htr import HTRStats, htr_score
from fusionbench.metrics.zsod import ZsODStats, zsod_score


def test_flatten_round_trips_nested_and_tuple_fields():
    stats = NgramStats((1, 2, 3, 4), (5, 6, 7, 8), (1.2, 1, 0, 0), (2.4, 1, 1, 1), 9, 10, 1)
    assert unflatten_stats(stats, flatten_stats(stats)) == stats


def test_resampling_a_constant_corpus_gives_a_point_interval():
    items = [HTRStats(1, 1)] * 50
    scores = bootstrap_scores(items, lambda s: htr_score(s).score, samples=50)
    assert confidence_interval(scores) == (1.0, 1.0)


def test_interval_covers_the_point_estimate_and_is_seeded():
    items = [HTRStats(i % 3 == 0, 1) for i in range(300)]
    whole = htr_score(sum(items[1:], items[0])).score
    a = bootstrap_scores(items, lambda s: htr_score(s).score, samples=300, seed=1)
    b = bootstrap_scores(items, lambda s: htr_score(s).score, samples=300, seed=1)
    low, high = confidence_interval(a)
    assert a == b and low < whole < high and 0.25 < low and high < 0.42


def test_report_has_tasks_and_overall():
    htr = [HTRStats(i % 2, 1) for i in range(100)]
    zsod = [ZsODStats(tp=i % 2, fp=1 - i % 2, fn=0) for i in range(100)]
    report = bootstrap_report({"HTR": (htr, lambda s: htr_score(s).score),
                               "zsOD": (zsod, lambda s: zsod_score(s).score)}, samples=200)
    assert set(report) == {"HTR", "zsOD", "overall", "samples", "seed", "level"}
    assert report["overall"]["low"] < 0.5 + 2 / 3 < report["overall"]["high"]
    with pytest.raises(ValueError):
        bootstrap_scores([], lambda s: 0.0)
