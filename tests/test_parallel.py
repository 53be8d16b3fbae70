"""Seeded task mapping: same streams on every executor, failures kept per task."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

from kmmodel.parallel import map_seeded


def draw(task, rng):
    if task == "boom":
        raise ValueError("task asked to fail")
    return float(rng.normal()) + task


def test_serial_and_pools_give_identical_values():
    tasks = list(range(12))
    serial = [o.value for o in map_seeded(draw, tasks, seed=42)]
    with ThreadPoolExecutor(3) as ex:
        threads = [o.value for o in map_seeded(draw, tasks, seed=42, executor=ex)]
    with ProcessPoolExecutor(2) as ex:
        procs = [o.value for o in map_seeded(draw, tasks, seed=42, executor=ex)]
    assert serial == threads == procs
    # each task has its own stream: not all equal, and a different seed changes them
    assert len(set(np.round(np.array(serial) - tasks, 12))) == len(tasks)
    assert serial != [o.value for o in map_seeded(draw, tasks, seed=43)]


def test_stream_of_a_task_does_not_depend_on_the_other_tasks_results():
    a = map_seeded(draw, [0, 1, 2], seed=1)
    b = map_seeded(draw, [0, "boom", 2], seed=1)
    assert a[0].value == b[0].value and a[2].value == b[2].value


def test_failures_are_recorded_and_others_kept():
    out = map_seeded(draw, [1, "boom", 3], seed=0)
    assert [o.ok for o in out] == [True, False, True]
    assert "ValueError: task asked to fail" in out[1].error
    assert "Traceback" in out[1].traceback


def test_seed_streams_match_seedsequence_spawn():
    # reference: numpy's documented SeedSequence.spawn streams
    children = np.random.SeedSequence(7).spawn(3)
    expected = [float(np.random.default_rng(c).normal()) for c in children]
    got = [o.value for o in map_seeded(draw, [0, 0, 0], seed=7)]
    assert got == pytest.approx(expected, rel=0, abs=0)
