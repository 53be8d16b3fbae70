"""Scenario sweeps: serial vs a local process pool vs a dask LocalCluster (same frames)."""

from __future__ import annotations

import logging
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from benchmarks._timing import timed

TITLE = "Scenario sweeps on executors (kmmodel.sweep)"


def scenario(params: dict, rng: np.random.Generator) -> dict:
    """A CPU-bound scenario: rank uncertainty of random units under one spread."""
    from kmmodel import uncertainty as U

    A = rng.uniform(0.3, 1.0, (params["units"], 30))
    w = np.full(30, 100 / 30)
    res = U.rank_uncertainty(
        A,
        w,
        perturbation=U.Perturbation(spread=params["spread"]),
        n_draws=params["draws"],
        seed=rng,
    )
    return {"median_width": float(res.table["rank_width"].median())}


def run(quick: bool = False) -> pd.DataFrame:
    from kmmodel import sweep

    draws = 500 if quick else 3000
    scenarios = sweep.grid(spread=[0.1, 0.2, 0.3, 0.4], units=[200], draws=[draws], rep=[0, 1])
    serial, t_serial = timed(lambda: sweep.run(scenario, scenarios, seed=1))
    rows = [
        {
            "case": f"{len(scenarios)} scenarios x {draws} draws",
            "measure": "serial",
            "seconds": t_serial,
            "ratio": 1.0,
            "note": "",
        }
    ]
    with ProcessPoolExecutor(2) as ex:
        pooled, t_pool = timed(lambda: sweep.run(scenario, scenarios, executor=ex, seed=1))
    rows.append(
        {
            "case": f"{len(scenarios)} scenarios x {draws} draws",
            "measure": "ProcessPoolExecutor(2)",
            "seconds": t_pool,
            "ratio": t_serial / t_pool,
            "note": f"same frame as serial: {pooled.equals(serial)}",
        }
    )
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover
        return pd.DataFrame(rows)
    (cluster, client), t_start = timed(lambda: _start(LocalCluster, Client))
    try:
        # warm-up: workers import kmmodel and scipy once, outside the timing
        client.run(_warm)
        on_dask, t_dask = timed(
            lambda: sweep.run(scenario, scenarios, executor=client.get_executor(), seed=1)
        )
    finally:
        client.close()
        cluster.close()
    rows.append(
        {
            "case": f"{len(scenarios)} scenarios x {draws} draws",
            "measure": "dask LocalCluster(2 workers)",
            "seconds": t_dask,
            "ratio": t_serial / t_dask,
            "note": f"same frame as serial: {on_dask.equals(serial)}; cluster start {t_start:.1f} s (not timed), workers warmed up",
        }
    )
    return pd.DataFrame(rows)


def _warm() -> None:
    import kmmodel.uncertainty  # noqa: F401


def _start(LocalCluster, Client):
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    return cluster, Client(cluster)
