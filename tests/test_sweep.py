"""Scenario sweeps: tidy frames, same numbers on every executor, failures kept."""

from __future__ import annotations

import logging
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kmmodel import sweep
from kmmodel.errors import DataError


def noisy_sum(params, rng):
    """A scenario model with randomness: a + b + standard normal noise."""
    if params.get("fail"):
        raise RuntimeError(f"scenario asked to fail with a={params['a']}")
    return {"y": params["a"] + params["b"] + float(rng.normal()), "n": 1}


def sample_frame(params, rng):
    """A scenario model returning several rows (a replication table)."""
    draws = rng.normal(params["mu"], 1.0, size=params["n"])
    return pd.DataFrame({"rep": np.arange(params["n"]), "x": draws})


def test_grid_is_full_factorial_in_order():
    g = sweep.grid(a=[1, 2], b=["x", "y", "z"], c="fixed")
    assert len(g) == 6
    assert g[0] == {"a": 1, "b": "x", "c": "fixed"}
    assert g[1] == {"a": 1, "b": "y", "c": "fixed"}
    assert g[-1] == {"a": 2, "b": "z", "c": "fixed"}


def test_dict_results_give_one_row_per_scenario_with_params_first():
    frame = sweep.run(noisy_sum, sweep.grid(a=[1, 2], b=[10, 20]), seed=3)
    assert list(frame.columns) == ["scenario", "a", "b", "y", "n"]
    assert frame["scenario"].tolist() == [0, 1, 2, 3]
    # noise is standard normal: y - a - b is the scenario's own first normal draw
    expected = [np.random.default_rng(s).normal() for s in np.random.SeedSequence(3).spawn(4)]
    np.testing.assert_allclose(frame["y"] - frame["a"] - frame["b"], expected, rtol=0, atol=1e-12)
    assert frame.attrs["failures"] == []
    assert sweep.failures(frame).empty


def test_dataframe_results_get_scenario_columns_prepended():
    frame = sweep.run(sample_frame, [{"mu": 0.0, "n": 3}, {"mu": 5.0, "n": 2}], seed=1)
    assert list(frame.columns) == ["scenario", "mu", "n", "rep", "x"]
    assert frame["scenario"].tolist() == [0, 0, 0, 1, 1]
    assert frame["rep"].tolist() == [0, 1, 2, 0, 1]
    assert frame.loc[frame.scenario == 1, "mu"].eq(5.0).all()


def test_same_seed_same_frame_other_seed_other_frame():
    sc = sweep.grid(a=range(4), b=[0.5])
    a = sweep.run(noisy_sum, sc, seed=7)
    pd.testing.assert_frame_equal(a, sweep.run(noisy_sum, sc, seed=7))
    assert not a["y"].equals(sweep.run(noisy_sum, sc, seed=8)["y"])


def test_failing_scenario_is_reported_and_others_kept():
    sc = [{"a": 1, "b": 0}, {"a": 2, "b": 0, "fail": True}, {"a": 3, "b": 0}]
    frame = sweep.run(noisy_sum, sc, seed=0)
    assert frame["scenario"].tolist() == [0, 2]
    fails = sweep.failures(frame)
    assert fails["scenario"].tolist() == [1]
    assert "RuntimeError: scenario asked to fail with a=2" in fails["error"].iloc[0]
    # the kept results are those of a run without the failing scenario
    ok = sweep.run(noisy_sum, [sc[0], {"a": 2, "b": 0}, sc[2]], seed=0)
    np.testing.assert_array_equal(frame["y"], ok["y"].iloc[[0, 2]])


def test_errors_raise_lists_every_failure_and_keeps_results():
    sc = [{"a": 1, "b": 0, "fail": True}, {"a": 2, "b": 0}, {"a": 3, "b": 0, "fail": True}]
    with pytest.raises(sweep.ScenarioError) as info:
        sweep.run(noisy_sum, sc, errors="raise")
    msg = str(info.value)
    assert "2 problems" in msg and "scenario 0 (a=1" in msg and "scenario 2 (a=3" in msg
    assert info.value.results["scenario"].tolist() == [1]
    assert info.value.failures["scenario"].tolist() == [0, 2]


def test_bad_return_type_is_a_scenario_failure():
    frame = sweep.run(lambda p, rng: 42, [{"a": 1}])
    assert frame.empty
    assert "expected a dict or a DataFrame" in sweep.failures(frame)["error"].iloc[0]


def test_result_column_clashing_with_a_parameter_is_a_failure():
    frame = sweep.run(lambda p, rng: {"a": 1}, [{"a": 1}])
    assert "clash" in sweep.failures(frame)["error"].iloc[0]


@pytest.mark.parametrize(
    ("scenarios", "needle"),
    [
        ([], "empty"),
        ({"a": [1, 2]}, "expected a list of parameter dicts"),
        ([{"a": 1}, 3, "x"], "scenarios [1, 2]"),
        ([{"scenario": 1}], "reserved"),
    ],
)
def test_bad_scenarios_raise_data_error(scenarios, needle):
    with pytest.raises(DataError, match="sweep") as info:
        sweep.run(noisy_sum, scenarios)
    assert needle in str(info.value)


def test_empty_grid_axes_raise_data_error_listing_all():
    with pytest.raises(DataError) as info:
        sweep.grid(a=[], b=[1], c=())
    msg = str(info.value)
    assert "axis 'a'" in msg and "axis 'c'" in msg and "2 problems" in msg
    with pytest.raises(DataError, match="no axes"):
        sweep.grid()


def test_unknown_errors_option():
    with pytest.raises(DataError, match="errors"):
        sweep.run(noisy_sum, [{"a": 1, "b": 1}], errors="ignore")


@given(
    a=st.lists(st.integers(-5, 5), min_size=1, max_size=4, unique=True),
    b=st.lists(st.floats(-1, 1, allow_nan=False), min_size=1, max_size=3, unique=True),
)
def test_grid_sweep_rows_follow_grid_order(a, b):
    sc = sweep.grid(a=a, b=b)
    frame = sweep.run(noisy_sum, sc, seed=0)
    assert len(frame) == len(a) * len(b)
    assert frame[["a", "b"]].to_dict("records") == sc
    # the stream of a scenario depends only on its position, not on the other scenarios
    first = sweep.run(noisy_sum, sc[:1], seed=0)
    assert frame["y"].iloc[0] == first["y"].iloc[0]


def test_process_pool_equals_serial():
    sc = sweep.grid(a=range(6), b=[0, 1])
    serial = sweep.run(noisy_sum, sc, seed=11)
    with ProcessPoolExecutor(2) as ex:
        pooled = sweep.run(noisy_sum, sc, executor=ex, seed=11)
    pd.testing.assert_frame_equal(serial, pooled)


def test_dask_local_cluster_equals_serial():
    distributed = pytest.importorskip("distributed")
    sc = [*sweep.grid(a=range(5), b=[0, 1]), {"a": 9, "b": 0, "fail": True}]
    serial = sweep.run(noisy_sum, sc, seed=5)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        # the workers import this test module to unpickle noisy_sum
        client.run(sys.path.insert, 0, str(Path(__file__).parent))
        on_dask = sweep.run(noisy_sum, sc, executor=client.get_executor(), seed=5)
    pd.testing.assert_frame_equal(serial, on_dask)
    assert sweep.failures(on_dask)["scenario"].tolist() == [10]


def test_progress_bar_goes_to_stderr(capsys):
    sweep.run(noisy_sum, sweep.grid(a=[1, 2, 3], b=[0]), progress=True)
    err = capsys.readouterr().err
    assert "scenarios" in err and "/3" in err  # tqdm bar (cleared at the end: leave=False)


def test_docstring_examples_hold():
    import doctest

    assert doctest.testmod(sweep, raise_on_error=False).failed == 0
