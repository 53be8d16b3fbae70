"""Scoring speed: 10,000 units × 200 indicators (2 million observations).

Compares ``km.score`` (validation + scoring + result tables) with

* the **numpy floor**: the same points from the same long DataFrame with nothing but
  ``pd.factorize``, fancy indexing and array arithmetic (no validation, no tables);
* a **naive** ``groupby("unit").apply`` that scores each unit's rows with a Python
  function per row — what an analyst would write first. It is timed on a subset of
  units and scaled linearly to the full size (the note says so).

The scheme is synthetic: 5 dimensions × 40 indicators, rule types cycling through
completion ratio (higher and lower is better), linear interpolation, pass/fail and
per-incident deduction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks._timing import best_of, timed

TITLE = "Scoring: km.score vs numpy floor vs naive groupby-apply"

RULES = ("ratio", "ratio_lower", "linear", "pass_fail", "deduction")


def make_scheme(n_ind: int = 200, n_dim: int = 5):
    """A synthetic scheme: ``n_dim`` dimensions, ``n_ind`` indicators, 100 points."""
    from kmmodel.scheme import from_dict

    per_dim = n_ind // n_dim
    pts = 100.0 / n_ind
    inds = []
    for k in range(n_ind):
        r = RULES[k % len(RULES)]
        ind = {
            "id": f"i{k:03d}",
            "name": f"指标{k}",
            "dimension": f"d{k // per_dim}",
            "points": pts,
        }
        if r == "ratio":
            ind.update(target=1.0, rule={"type": "ratio", "floor": 0.5})
        elif r == "ratio_lower":
            ind.update(target=1.0, direction="lower", rule={"type": "ratio"})
        elif r == "linear":
            ind.update(target=1.0, rule={"type": "linear", "floor": 0.2})
        elif r == "pass_fail":
            ind.update(target=0.9, rule={"type": "pass_fail"})
        else:
            ind.update(rule={"type": "deduction", "per": pts / 4, "cap": pts})
        inds.append(ind)
    raw = {
        "id": "bench",
        "name": "bench",
        "year": 2025,
        "total": 100,
        "grades": [
            {"name": "优秀", "min": 90},
            {"name": "良好", "min": 80},
            {"name": "一般", "min": 60},
            {"name": "较差", "min": 0},
        ],
        "dimensions": [
            {"id": f"d{j}", "name": f"维度{j}", "points": per_dim * pts} for j in range(n_dim)
        ],
        "indicators": inds,
    }
    return from_dict(raw, source="bench")


def make_observations(n_units: int, n_ind: int = 200, seed: int = 0) -> pd.DataFrame:
    """Long observations, rows shuffled, string ids (as read from a CSV)."""
    rng = np.random.default_rng(seed)
    units = np.array([f"u{k:05d}" for k in range(n_units)], dtype=object)
    inds = np.array([f"i{k:03d}" for k in range(n_ind)], dtype=object)
    vals = rng.uniform(0.3, 1.2, size=(n_units, n_ind))
    ded = np.arange(n_ind) % len(RULES) == 4
    vals[:, ded] = rng.poisson(1.0, size=(n_units, ded.sum()))
    order = rng.permutation(n_units * n_ind)
    return pd.DataFrame(
        {
            "unit": np.repeat(units, n_ind)[order],
            "indicator": np.tile(inds, n_units)[order],
            "value": vals.ravel()[order],
        }
    )


def numpy_floor(scheme, obs: pd.DataFrame) -> np.ndarray:
    """Totals [points] computed with bare numpy: the lower bound of any implementation."""
    spec = scheme.spec
    ui, units = pd.factorize(obs["unit"])
    ii = pd.Index([i.id for i in spec.indicators]).get_indexer(obs["indicator"])
    V = np.full((len(units), len(spec.indicators)), np.nan)
    V[ui, ii] = obs["value"].to_numpy()
    t = np.array([i.target if i.target is not None else np.nan for i in spec.indicators])
    pts = np.array([i.points for i in spec.indicators])
    kind = np.array([RULES[k % len(RULES)] for k in range(len(spec.indicators))])
    A = np.empty_like(V)
    m = kind == "ratio"
    r = V[:, m] / t[m]
    A[:, m] = np.where(r < 0.5, 0.0, np.minimum(r, 1.0))
    m = kind == "ratio_lower"
    A[:, m] = np.minimum(t[m] / V[:, m], 1.0)
    m = kind == "linear"
    A[:, m] = np.clip((V[:, m] - 0.2) / (t[m] - 0.2), 0, 1)
    m = kind == "pass_fail"
    A[:, m] = V[:, m] >= t[m]
    m = kind == "deduction"
    A[:, m] = 1 - np.minimum(V[:, m] * pts[m] / 4, pts[m]) / pts[m]
    return A @ pts


def naive_apply(scheme, obs: pd.DataFrame) -> pd.Series:
    """Per-unit groupby-apply with a Python function per row (the analyst's first version)."""
    info = {i.id: i for i in scheme.spec.indicators}

    def one(row):
        ind = info[row["indicator"]]
        v, r = row["value"], ind.rule
        if r.type == "ratio":
            q = v / ind.target if ind.direction == "higher" else ind.target / v
            a = 0.0 if q < r.floor else min(q, r.cap) / r.cap
        elif r.type == "linear":
            a = min(max((v - r.floor) / (ind.target - r.floor), 0.0), 1.0)
        elif r.type == "pass_fail":
            a = float(v >= ind.target)
        else:
            a = 1 - min(r.per * v, r.cap) / ind.points
        return a * ind.points

    return obs.groupby("unit")[["indicator", "value"]].apply(lambda g: g.apply(one, axis=1).sum())


def run(quick: bool = False) -> pd.DataFrame:
    import kmmodel as km

    n_units = 1_000 if quick else 10_000
    n_naive = 100 if quick else 300
    scheme = make_scheme()
    obs = make_observations(n_units)
    repeat = 2 if quick else 3
    res, _ = timed(lambda: km.score(scheme, obs))
    floor_tot = numpy_floor(scheme, obs)
    # the three implementations agree before anything is timed
    got = res.table.set_index("unit")["total"].sort_index().to_numpy()
    order = np.argsort(pd.factorize(obs["unit"])[1])
    np.testing.assert_allclose(got, floor_tot[order], atol=1e-9)
    sub = obs[obs["unit"].isin(res.table["unit"].iloc[:n_naive])]
    np.testing.assert_allclose(
        naive_apply(scheme, sub).sort_index().to_numpy(),
        km.score(scheme, sub).table.set_index("unit")["total"].sort_index().to_numpy(),
        atol=1e-9,
    )
    t_score = best_of(lambda: km.score(scheme, obs), repeat=repeat)
    t_floor = best_of(lambda: numpy_floor(scheme, obs), repeat=repeat)
    _, t_sub = timed(lambda: naive_apply(scheme, sub))
    t_naive = t_sub * n_units / n_naive
    size = f"{n_units:,} units × 200 indicators ({n_units * 200:,} obs)"
    return pd.DataFrame(
        [
            {
                "case": size,
                "measure": "numpy floor",
                "seconds": t_floor,
                "ratio": 1.0,
                "note": "factorize + arrays, no validation",
            },
            {
                "case": size,
                "measure": "km.score",
                "seconds": t_score,
                "ratio": t_score / t_floor,
                "note": "validation + scoring + tables; ratio to floor (aim <= 3)",
            },
            {
                "case": size,
                "measure": "naive groupby-apply",
                "seconds": t_naive,
                "ratio": t_naive / t_floor,
                "note": f"timed on {n_naive} units, scaled ×{n_units // n_naive}",
            },
            {
                "case": size,
                "measure": "speed-up km.score vs naive",
                "seconds": float("nan"),
                "ratio": t_naive / t_score,
                "note": "naive / km.score",
            },
        ]
    )
