"""Scenario sweeps: run any function over a grid or list of scenarios, on any executor.

``sweep.run(func, scenarios)`` calls ``func(params, rng)`` for every scenario (a dict of
parameters) and gathers the results into one tidy DataFrame: the scenario number and
its parameter columns, then the result columns. It runs serially by default, or on any
:class:`concurrent.futures.Executor`: a local ``ProcessPoolExecutor`` or a
``dask.distributed`` cluster through ``Client.get_executor()``. Scenario ``i`` always
gets the same random stream (child ``i`` of ``SeedSequence(seed)``, see
:mod:`kmmodel.parallel`), so the same seed gives the same frame on every executor.

A scenario whose function raises does not stop the sweep: the other scenarios' results
are kept, and the failures are listed in ``frame.attrs["failures"]`` (see
:func:`failures`) or raised together with ``errors="raise"``.

Examples
--------
>>> from kmmodel import sweep
>>> def model(p, rng):
...     return {"y": p["a"] * p["b"]}
>>> sweep.run(model, sweep.grid(a=[1, 2], b=[10, 20]))
   scenario  a   b   y
0         0  1  10  10
1         1  1  20  20
2         2  2  10  20
3         3  2  20  40

Running on a cluster (``func`` must be importable or picklable on the workers)::

    from dask.distributed import Client, LocalCluster
    client = Client(LocalCluster(n_workers=4))      # or Client("tcp://scheduler:8786")
    frame = sweep.run(model, scenarios, executor=client.get_executor())
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from typing import Any

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, KmmodelError, Problems
from kmmodel.parallel import Outcome, map_seeded
from kmmodel.rng import SeedLike

__all__ = ["ScenarioError", "failures", "grid", "run"]

SCENARIO = "scenario"


class ScenarioError(KmmodelError):
    """One or more scenarios failed (``errors="raise"``).

    Attributes
    ----------
    results : DataFrame
        The tidy frame of the scenarios that finished.
    failures : DataFrame
        One row per failed scenario: ``scenario``, its parameters, ``error``.
    """

    def __init__(self, problems, results: pd.DataFrame, failures: pd.DataFrame):
        super().__init__(problems, source="sweep")
        self.results = results
        self.failures = failures


def grid(**axes: Any) -> list[dict]:
    """Full-factorial list of scenarios, the last axis varying fastest.

    Parameters
    ----------
    **axes
        ``name=[values...]``; a scalar (including a string) is a one-value axis.

    Returns
    -------
    list of dict

    Raises
    ------
    DataError
        No axes, or an axis without values (the grid would be empty).

    Examples
    --------
    >>> grid(rate=[0.05, 0.08], method="none")
    [{'rate': 0.05, 'method': 'none'}, {'rate': 0.08, 'method': 'none'}]
    """
    probs = Problems(source="sweep.grid")
    if not axes:
        probs.add("no axes given; expected name=[values...]; the grid would be empty")
    values = {}
    for name, vals in axes.items():
        if isinstance(vals, str | bytes) or not isinstance(
            vals, Sequence | np.ndarray | pd.Index | set | range
        ):
            vals = [vals]
        vals = list(vals)
        if not vals:
            probs.add("no values; the grid would be empty", where=f"axis {name!r}")
        values[name] = vals
    probs.raise_if_any(DataError)
    names = list(values)
    return [dict(zip(names, combo)) for combo in itertools.product(*values.values())]


def _check_scenarios(scenarios) -> list[dict]:
    if isinstance(scenarios, Mapping) or scenarios is None or isinstance(scenarios, str):
        raise DataError(
            f"scenarios: expected a list of parameter dicts, got {type(scenarios).__name__}"
            " (use sweep.grid(**axes) for a full-factorial grid)",
            source="sweep",
        )
    scenarios = list(scenarios)
    if not scenarios:
        raise DataError(
            "scenarios: the list is empty; expected at least one parameter dict", source="sweep"
        )
    probs = Problems(source="sweep")
    bad = [i for i, s in enumerate(scenarios) if not isinstance(s, Mapping)]
    if bad:
        probs.add(
            f"expected a dict of parameters, got {type(scenarios[bad[0]]).__name__}",
            where=f"scenarios {bad}",
        )
    for i, s in enumerate(scenarios):
        if isinstance(s, Mapping):
            if SCENARIO in s:
                probs.add(
                    f"the parameter name {SCENARIO!r} is reserved for the scenario number",
                    where=f"scenario {i}",
                )
            nonstr = [k for k in s if not isinstance(k, str)]
            if nonstr:
                probs.add(f"parameter names must be strings, got {nonstr}", where=f"scenario {i}")
    probs.raise_if_any(DataError)
    return [dict(s) for s in scenarios]


def _frame_of(out: Outcome) -> pd.DataFrame | str:
    """One scenario's rows (scenario number + parameters + results) or an error message."""
    value = out.value
    params = out.task
    if isinstance(value, pd.DataFrame):
        res = value.reset_index(drop=True)
    elif isinstance(value, Mapping):
        res = pd.DataFrame([dict(value)])
    else:
        return f"TypeError: func returned {type(value).__name__}; expected a dict or a DataFrame"
    clash = [c for c in res.columns if c in params or c == SCENARIO]
    if clash:
        return f"DataError: result column(s) {clash} clash with scenario parameter names"
    row = {SCENARIO: out.index, **params}
    head = pd.DataFrame([row] * len(res), index=res.index, columns=list(row))
    return pd.concat([head, res], axis=1)


def run(
    func: Callable[[dict, np.random.Generator], Mapping | pd.DataFrame],
    scenarios: Sequence[Mapping],
    executor: Executor | None = None,
    seed: SeedLike = 0,
    *,
    errors: str = "collect",
    progress: bool = False,
) -> pd.DataFrame:
    """Run ``func`` over every scenario and gather one tidy DataFrame.

    Parameters
    ----------
    func : callable
        ``func(params, rng) -> dict or DataFrame``: ``params`` is the scenario dict,
        ``rng`` its own :class:`numpy.random.Generator`. A dict gives one row; a
        DataFrame gives its rows with the scenario columns prepended.
    scenarios : list of dict
        Parameter dicts (e.g. from :func:`grid`); keys may differ between scenarios
        (absent parameters are missing in the frame).
    executor : concurrent.futures.Executor, optional
        ``None`` runs serially; a ``ProcessPoolExecutor`` or
        ``dask.distributed.Client.get_executor()`` runs in parallel (``func`` must then be
        picklable: defined at module level).
    seed : int, SeedSequence or Generator
        Root seed; scenario ``i`` uses child ``i`` of ``SeedSequence(seed)``.
    errors : {"collect", "raise"}
        ``"collect"``: failed scenarios are left out of the frame and listed in
        ``frame.attrs["failures"]``; ``"raise"``: after every scenario has run, raise
        :class:`ScenarioError` listing each failure (with the finished results attached).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    DataFrame
        ``scenario`` (0-based position in ``scenarios``), the parameter columns, then the
        result columns, in scenario order. ``attrs["failures"]``: list of
        ``{"scenario", "error", **params}`` dicts (empty when all succeeded).

    Raises
    ------
    DataError
        ``scenarios`` is empty or not a list of dicts; ``errors`` is unknown.
    ScenarioError
        With ``errors="raise"``, when any scenario failed.
    """
    if errors not in ("collect", "raise"):
        raise DataError(f"errors: expected 'collect' or 'raise', got {errors!r}", source="sweep")
    if not callable(func):
        raise DataError(
            f"func: expected a callable func(params, rng), got {type(func).__name__}",
            source="sweep",
        )
    tasks = _check_scenarios(scenarios)
    outcomes = map_seeded(
        func, tasks, seed=seed, executor=executor, progress=progress, desc="scenarios"
    )
    parts, failed = [], []
    for out in outcomes:
        part = _frame_of(out) if out.ok else out.error
        if isinstance(part, str):
            failed.append({SCENARIO: out.index, **out.task, "error": part})
        else:
            parts.append(part)
    param_cols = list(dict.fromkeys(k for t in tasks for k in t))
    if parts:
        frame = (
            pd.concat(parts, ignore_index=True)
            if len(parts) > 1
            else parts[0].reset_index(drop=True)
        )
    else:
        frame = pd.DataFrame(columns=[SCENARIO, *param_cols])
    lead = [SCENARIO, *[c for c in param_cols if c in frame.columns]]
    frame = frame[lead + [c for c in frame.columns if c not in lead]]
    frame.attrs["failures"] = failed
    if failed and errors == "raise":
        lines = [
            f"scenario {f[SCENARIO]} ({', '.join(f'{k}={f[k]!r}' for k in tasks[f[SCENARIO]])}): {f['error']}"
            for f in failed
        ]
        raise ScenarioError(lines, results=frame, failures=failures(frame))
    return frame


def failures(frame: pd.DataFrame) -> pd.DataFrame:
    """Failed scenarios of a :func:`run` frame: ``scenario``, parameters, ``error``."""
    rows = frame.attrs.get("failures", [])
    cols = [SCENARIO, *[c for r in rows for c in r if c not in (SCENARIO, "error")], "error"]
    return pd.DataFrame(rows, columns=list(dict.fromkeys(cols)))
