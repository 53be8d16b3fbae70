"""Cost-benefit speed: Monte Carlo, portfolio NPV, IRR search, Green Book factors.

Cases: 10,000 Monte Carlo draws of a 30-year project (the issue's aim: well under a
second) against the same draws evaluated one at a time in a Python loop; NPV of a large
portfolio in one matrix product against a per-project loop; the robust IRR search
(companion-matrix roots + brentq confirmation) against a single plain brentq call; Green Book factors over 300 years.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks._timing import best_of

TITLE = "Cost-benefit models (kmmodel.costbenefit)"


def _project(years: int = 30):
    from kmmodel import costbenefit as cba
    from kmmodel.costbenefit.flows import LINES

    a = np.zeros((len(LINES), years + 1))
    a[LINES.index("investment"), :2] = 5e8
    a[LINES.index("operation"), 2:] = 1e7
    a[LINES.index("economic"), 2:] = 9e7
    a[LINES.index("social"), 2:] = 1e7
    a[LINES.index("carbon"), 2:] = 5e6
    a[LINES.index("residual"), years] = 5e7
    return cba.ProjectModel("bench", a, 0.08, base_carbon_price=80.0)


def _inputs():
    from kmmodel import costbenefit as cba

    return [
        cba.Input("investment", 0.9, 1.0, 1.3, "pert"),
        cba.Input("operation", 0.8, 1.0, 1.2),
        cba.Input("economic", 0.7, 1.0, 1.1),
        cba.Input("social", 0.8, 1.0, 1.2, "normal"),
        cba.Input("carbon_price", 40.0, 80.0, 160.0, "uniform"),
        cba.Input("discount_rate", 0.06, 0.08, 0.10),
    ]


def run(quick: bool = False) -> pd.DataFrame:
    from scipy.optimize import brentq

    from kmmodel import costbenefit as cba

    rows = []
    model, inputs = _project(30), _inputs()
    n = 10_000
    vec = best_of(lambda: cba.monte_carlo(model, inputs, n=n, seed=0), repeat=3)
    res = cba.monte_carlo(model, inputs, n=n, seed=0)
    n_loop = 1_000 if quick else n
    samples = res.samples.iloc[:n_loop].to_dict("records")
    loop = best_of(lambda: [model.npv(s) for s in samples], repeat=1) * (n / n_loop)
    rows.append(
        {
            "case": f"Monte Carlo, {n:,} draws x 30 years, 6 inputs (incl. discount rate)",
            "measure": "vectorised draws + one matrix product",
            "seconds": vec,
            "ratio": loop / vec,
            "note": "issue aim: well under 1 s; ratio = per-draw loop time / vectorised"
            + (" (loop timed on 1,000 draws, scaled)" if quick else ""),
        }
    )
    rng = np.random.default_rng(0)
    n_proj = 2_000 if quick else 20_000
    flows = rng.normal(1e6, 3e5, size=(n_proj, 31))
    flows[:, 0] = -1.2e7
    v = best_of(lambda: cba.npv(flows, "green_book"))
    d = cba.discount_factors(30, "green_book")
    lp = best_of(lambda: [sum(f * x for f, x in zip(row, d)) for row in flows[:2_000]], repeat=1)
    lp *= n_proj / 2_000
    rows.append(
        {
            "case": f"NPV of {n_proj:,} projects x 30 years, Green Book schedule",
            "measure": "one matrix product",
            "seconds": v,
            "ratio": lp / v,
            "note": "ratio = pure-Python loop over projects / vectorised",
        }
    )
    f = flows[0]
    robust = best_of(lambda: cba.irr(f), repeat=5, number=20)
    t = np.arange(f.size)

    def plain():
        return brentq(lambda r: float(f @ (1 + r) ** -t), -0.5, 1.0)

    simple = best_of(plain, repeat=5, number=20)
    rows.append(
        {
            "case": "IRR of one 30-year project",
            "measure": "every root (numpy.roots + brentq in brackets), uniqueness check",
            "seconds": robust,
            "ratio": robust / simple,
            "note": "ratio = cost of the robustness over a bare brentq call",
        }
    )
    gb = best_of(lambda: cba.discount_factors(300, "green_book"), repeat=5, number=100)
    rows.append(
        {
            "case": "Green Book factors, 300 years",
            "measure": "band lookup + cumulative product in log space",
            "seconds": gb,
            "ratio": np.nan,
            "note": "",
        }
    )
    return pd.DataFrame(rows)
