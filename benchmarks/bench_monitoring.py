"""Monitoring checks at scale: 5 years x 12 months x 200 units x 100 indicators (1.2M rows).

Times validation, the progress warnings and the combined distortion screen on a
synthetic feed, the Benford test on a million payments, and compares the vectorised
robust z-scores and leading digits with straightforward per-group / per-value Python
loops (the ratio is loop time / vectorised time, measured in this same run).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks._timing import best_of, timed

TITLE = "Monitoring: progress warnings and distortion checks"


def _loop_robust_z(x: np.ndarray, key: np.ndarray) -> np.ndarray:
    """The same z-scores, one group at a time (key sorted once, then sliced)."""
    order = np.argsort(key, kind="stable")
    bounds = np.flatnonzero(np.diff(key[order])) + 1
    out = np.empty_like(x)
    for idx in np.split(order, bounds):
        v = x[idx]
        med = np.median(v)
        mad = np.median(np.abs(v - med))
        out[idx] = (v - med) / (1.482602218505602 * mad) if mad > 0 else 0.0
    return out


def _loop_first_digit(x: np.ndarray) -> np.ndarray:
    return np.array([int(f"{v:e}"[0]) for v in x])


def run(quick: bool = False) -> pd.DataFrame:
    from kmmodel import monitoring as mon
    from kmmodel.monitoring import synthetic
    from kmmodel.monitoring._common import robust_z

    n_units, n_ind = (20, 10) if quick else (200, 100)
    feed, t_gen = timed(
        lambda: synthetic.make_feed(units=n_units, indicators=n_ind, seed=1, plant=False)
    )
    size = f"{len(feed):,} rows (5 y x 12 m x {n_units} units x {n_ind} indicators)"
    rows = [("generate synthetic feed", size, t_gen, np.nan, "")]
    valid, t_val = timed(lambda: mon.validate_feed(feed))
    rows.append(("validate feed (string ids)", size, t_val, np.nan, "all problems listed"))
    mon.progress(valid, 2025, 6)  # warm-up: lazy imports (scipy.stats)
    t = best_of(lambda: mon.progress(valid, 2025, 6), repeat=2)
    rows.append(("progress warnings, seasonal profile", size, t, np.nan, "month 6 of 2025"))
    t = best_of(lambda: mon.screen(valid, 2025, bunching_thresholds=[1.0]), repeat=2)
    rows.append(
        ("distortion screen", size, t, np.nan, "outliers, jumps, digits, bunching, unit scores")
    )

    def end_to_end():
        checked = mon.validate_feed(feed)  # validate once, then every check reuses it
        mon.progress(checked, 2025, 6)
        mon.screen(checked, 2025, bunching_thresholds=[1.0])

    t_all = best_of(end_to_end, repeat=1)
    rows.append(("validate + progress + screen", size, t_all, np.nan, "from the raw feed"))

    n_pay = 100_000 if quick else 1_000_000
    pay = synthetic.make_payments(units=n_units, n_per_unit=n_pay // n_units, seed=2, plant=False)
    t = best_of(lambda: mon.benford_by(pay, "amount", "unit"), repeat=2)
    rows.append(("Benford first digit per unit", f"{len(pay):,} payments", t, np.nan, ""))

    # vectorised vs loops, on a sample small enough for the loops
    rng = np.random.default_rng(0)
    n_groups = 2_000
    x = rng.normal(size=n_groups * 12)
    key = np.repeat(np.arange(n_groups), 12)
    t_vec = best_of(lambda: robust_z(x, key), repeat=3)
    t_loop = best_of(lambda: _loop_robust_z(x, key), repeat=1)
    assert np.allclose(_loop_robust_z(x, key), robust_z(x, key))
    rows.append(("robust z, grouped (vectorised)", f"{n_groups} groups x 12", t_vec, np.nan, ""))
    rows.append(
        (
            "robust z, per-group loop",
            f"{n_groups} groups x 12",
            t_loop,
            t_loop / t_vec,
            "ratio loop/vectorised",
        )
    )
    v = 10 ** rng.uniform(0, 6, 200_000)
    t_vec = best_of(lambda: mon.leading_digits(v), repeat=3)
    t_loop = best_of(lambda: _loop_first_digit(v), repeat=1)
    assert (mon.leading_digits(v) == _loop_first_digit(v)).all()
    rows.append(("leading digits (vectorised)", "200,000 values", t_vec, np.nan, ""))
    rows.append(
        (
            "leading digits, per-value string loop",
            "200,000 values",
            t_loop,
            t_loop / t_vec,
            "ratio loop/vectorised",
        )
    )
    return pd.DataFrame(rows, columns=["case", "measure", "seconds", "ratio", "note"])
