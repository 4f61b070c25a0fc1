"""Task samplers: frequencies, order, stop-and-go transitions, resumable state."""

from __future__ import annotations

import collections

from fusionbench.baselines.sampling import (PAPER_WEIGHTS, RoundRobinSampler, StopAndGoSampler, WeightedSampler,
                                             make_sampler)

TASKS = ("c2c", "htr", "vqa", "zsod")


def test_weighted_sampler_follows_the_paper_weights():
    sampler = WeightedSampler(TASKS, seed=1)
    counts = collections.Counter(sampler.next() for _ in range(20000))
    for task in TASKS:
        assert abs(counts[task] / 20000 - PAPER_WEIGHTS[task]) < 0.015


def test_round_robin_cycles():
    sampler = RoundRobinSampler(TASKS)
    assert [sampler.next() for _ in range(6)] == ["c2c", "htr", "vqa", "zsod", "c2c", "htr"]


def test_stop_and_go_stops_a_converged_task_and_restarts_it_when_it_degrades():
    sampler = StopAndGoSampler(RoundRobinSampler(TASKS), converge=0.01, degrade=0.05, stop_every=3)
    sampler.observe("htr", 0.5)
    sampler.observe("htr", 0.505)  # improved by less than 0.01: converged
    assert sampler.stopped["htr"]
    drawn = collections.Counter(sampler.next() for _ in range(90))
    # per three rounds of the base cycle: 3 x c2c, vqa, zsod and 1 x htr (one in three of its turns)
    assert drawn["htr"] == 9 and drawn["c2c"] == drawn["vqa"] == drawn["zsod"] == 27
    sampler.observe("htr", 0.44)  # more than 0.05 below the best
    assert not sampler.stopped["htr"]


def test_sampler_state_round_trip():
    a = make_sampler("weighted-stop-and-go", TASKS, seed=5)
    [a.next() for _ in range(7)]
    b = make_sampler("weighted-stop-and-go", TASKS, seed=99)
    b.load_state_dict(a.state_dict())
    assert [a.next() for _ in range(20)] == [b.next() for _ in range(20)]
