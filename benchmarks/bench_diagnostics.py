"""Scheme diagnostics speed: ``km.diagnose`` on 1,000 units × 50 indicators, and the
benefit-of-the-doubt LPs batched (one sparse LP for all units, scipy/HiGHS) against one
PuLP model per unit (the same HiGHS underneath).

The scheme is the synthetic one of the scoring benchmark (5 dimensions × 10 indicators,
completion-ratio / linear / pass-fail / deduction rules); the observations are
synthetic and seeded. The per-unit PuLP loop is timed on a subset of units and scaled
linearly (the note says so); its optimal totals are checked against the batched ones
before anything is timed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks._timing import best_of, timed

TITLE = "Diagnostics: km.diagnose at 1,000 × 50; BoD batched LP vs one PuLP model per unit"


def pulp_per_unit(S: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Best weighted score of each row with one PuLP model (HiGHS) per unit."""
    import pulp

    out = np.empty(len(S))
    k = S.shape[1]
    for u in range(len(S)):  # the per-unit loop being measured
        m = pulp.LpProblem("bod", pulp.LpMaximize)
        w = [pulp.LpVariable(f"w{d}", lo[d], hi[d]) for d in range(k)]
        m += pulp.lpSum(float(S[u, d]) * w[d] for d in range(k))
        m += pulp.lpSum(w) == 1
        m.solve(pulp.HiGHS(msg=False))
        out[u] = pulp.value(m.objective)
    return out


def run(quick: bool = False) -> pd.DataFrame:
    import kmmodel as km
    from benchmarks.bench_scoring import make_observations, make_scheme
    from kmmodel.diagnostics import bod

    n_units = 200 if quick else 1_000
    n_pulp = 40 if quick else 100
    scheme = make_scheme(n_ind=50, n_dim=5)
    obs = make_observations(n_units, n_ind=50, seed=1)
    d, t_first = timed(lambda: km.diagnose(scheme, obs))
    t_diag = best_of(lambda: km.diagnose(scheme, obs), repeat=1 if quick else 2)
    res = km.score(scheme, obs)
    dims = scheme.dimensions.set_index("id")["points"]
    S = (res.table.set_index("unit")[list(dims.index)] / dims).to_numpy()
    lo, hi = bod.parse_bounds(0.5, dims / dims.sum())
    batched, _ = bod.best_totals(S, lo, hi)
    per_unit = pulp_per_unit(S[:n_pulp], lo, hi)
    np.testing.assert_allclose(per_unit, batched[:n_pulp], atol=1e-7)
    t_batch = best_of(lambda: bod.best_totals(S, lo, hi), repeat=3)
    t_index = best_of(lambda: bod.bod_index(S, lo, hi), repeat=2)
    _, t_sub = timed(lambda: pulp_per_unit(S[:n_pulp], lo, hi))
    t_pulp = t_sub * n_units / n_pulp
    size = f"{n_units:,} units × 50 indicators"
    return pd.DataFrame(
        [
            {
                "case": size,
                "measure": "km.diagnose (all tables)",
                "seconds": t_diag,
                "ratio": float("nan"),
                "note": f"first call {t_first:.2f} s (imports); {len(d.tables)} tables",
            },
            {
                "case": size,
                "measure": "BoD best totals, one batched LP",
                "seconds": t_batch,
                "ratio": 1.0,
                "note": "scipy.optimize.linprog(method='highs'), sparse block-diagonal",
            },
            {
                "case": size,
                "measure": "BoD best totals, one PuLP model per unit",
                "seconds": t_pulp,
                "ratio": t_pulp / t_batch,
                "note": f"timed on {n_pulp} units, scaled ×{n_units // n_pulp}; ratio to batched",
            },
            {
                "case": size,
                "measure": "BoD index (DEA), one batched LP",
                "seconds": t_index,
                "ratio": t_index / t_batch,
                "note": "frontier rows only; ratio to the best-total LP",
            },
        ]
    )
