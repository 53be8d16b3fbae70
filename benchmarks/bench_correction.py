"""Correction test bench: 1,000 replications x 14 units x 30 indicators x 6 methods.

Cases: the whole bench on one core (serial), on a 2-process pool, with one
replication per task (no batching) and the vectorised rank correlations against a
scipy loop. The issue's aim: under 10 s on one core.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from benchmarks._timing import best_of, timed

TITLE = "Force-majeure correction bench (kmmodel.correction.evaluate)"


def run(quick: bool = False) -> pd.DataFrame:
    from scipy import stats

    from kmmodel import correction

    n_reps = 200 if quick else 1000
    size = {"n_units": 14, "n_indicators": 30}
    rows = []
    serial = best_of(lambda: correction.evaluate(n_reps, seed=0, batch_size=100, **size), repeat=2)
    rows.append(
        {
            "case": f"{n_reps} reps x 14 units x 30 indicators x {len(correction.METHODS)} methods",
            "measure": "serial, one core, 100 reps per task",
            "seconds": serial,
            "ratio": 1.0,
            "note": "issue aim: < 10 s on one core",
        }
    )
    with ProcessPoolExecutor(2) as ex:
        correction.evaluate(20, seed=0, executor=ex, batch_size=10, **size)  # warm the workers
        pooled = best_of(
            lambda: correction.evaluate(n_reps, seed=0, executor=ex, batch_size=100, **size),
            repeat=2,
        )
    rows.append(
        {
            "case": "same",
            "measure": "2-process pool, 100 reps per task",
            "seconds": pooled,
            "ratio": serial / pooled,
            "note": "speed-up over serial (machine has 2 shared cores)",
        }
    )
    n_small = 100 if quick else 200
    _, batched = timed(lambda: correction.evaluate(n_small, seed=0, batch_size=n_small, **size))
    _, single = timed(lambda: correction.evaluate(n_small, seed=0, batch_size=1, **size))
    rows.append(
        {
            "case": f"{n_small} reps",
            "measure": "one replication per task vs one batch",
            "seconds": single,
            "ratio": single / batched,
            "note": "how much batching replications into arrays saves",
        }
    )
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(n_reps, 14)), rng.normal(size=(n_reps, 14))
    vec = best_of(lambda: correction.kendall_tau_b(x, y))
    loop = best_of(lambda: [stats.kendalltau(a, b) for a, b in zip(x, y, strict=True)], repeat=1)
    rows.append(
        {
            "case": f"Kendall tau-b, {n_reps} rows x 14 units",
            "measure": "vectorised vs scipy.stats.kendalltau loop",
            "seconds": vec,
            "ratio": loop / vec,
            "note": "ratio = scipy loop time / vectorised time",
        }
    )
    return pd.DataFrame(rows)
