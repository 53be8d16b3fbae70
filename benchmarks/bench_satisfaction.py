"""Satisfaction models: exact LMG from correlations, bootstrap, ordered-logit fit, scenario.

Cases: the exact LMG decomposition from one batched pass over all 2^k subset R^2
values against (a) one least-squares fit per subset and (b) the definition, one OLS
per order of entry (k! orders; timed on a sample of orders and scaled); a 500-resample
bootstrap of the shares; the ordered logit on the shipped survey with the analytic
gradient against statsmodels' numerical gradient; the survey-weighted fit with sandwich
errors against the unweighted one; a 200-draw scenario.
"""

from __future__ import annotations

from itertools import combinations
from math import factorial

import numpy as np
import pandas as pd

from benchmarks._timing import best_of

TITLE = "Satisfaction models (kmmodel.satisfaction)"


def _drivers(survey: pd.DataFrame, k: int) -> tuple[pd.DataFrame, list[str]]:
    from kmmodel import satisfaction as sat

    base = list(sat.ATTRIBUTES) + ["age", "income_band", "urban", "female"]
    df = survey.copy()
    extra = []
    rng = np.random.default_rng(0)
    for i in range(max(0, k - len(base))):  # synthetic extra drivers beyond the 10 columns
        df[f"x{i}"] = df["health"] + rng.normal(0, 1, len(df))
        extra.append(f"x{i}")
    return df, (base + extra)[:k]


def _per_subset_lstsq(df: pd.DataFrame, drivers: list[str], limit: int) -> int:
    """One least-squares fit per subset, for ``limit`` evenly spread subsets; returns the count."""
    y = df["overall"].to_numpy(float)
    x = df[drivers].to_numpy(float)
    tss = ((y - y.mean()) ** 2).sum()
    k = len(drivers)
    subsets = [c for s in range(1, k + 1) for c in combinations(range(k), s)]
    pick = np.linspace(0, len(subsets) - 1, min(limit, len(subsets))).round().astype(int)
    for i in pick:
        a = np.column_stack([np.ones(len(y)), x[:, subsets[i]]])
        resid = y - a @ np.linalg.lstsq(a, y, rcond=None)[0]
        _ = 1 - (resid**2).sum() / tss
    return len(pick)


def run(quick: bool = False) -> pd.DataFrame:
    import statsmodels.formula.api as smf
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    import kmmodel as km
    from kmmodel import satisfaction as sat

    survey = km.datasets.load("survey")
    rows = []
    for k in (6, 10) if quick else (6, 10, 12):
        df, drivers = _drivers(survey, k)
        vec = best_of(
            lambda df=df, drivers=drivers: sat.key_drivers(df, "overall", drivers, n_boot=0),
            repeat=3,
        )
        limit = min(2**k - 1, 256)  # time at most 256 fits and scale to all subsets
        sub = best_of(lambda df=df, d=drivers, m=limit: _per_subset_lstsq(df, d, m), repeat=1)
        sub *= (2**k - 1) / limit
        rows.append(
            {
                "case": f"exact LMG, {k} drivers, {len(df):,} respondents ({2**k:,} subsets)",
                "measure": "all subset R^2 from the correlation matrix, batched solves",
                "seconds": vec,
                "ratio": sub / vec,
                "note": "ratio = one least-squares fit per subset / batched"
                + (f" (timed on {limit} subsets, scaled)" if limit < 2**k - 1 else ""),
            }
        )
    df, drivers = _drivers(survey, 6)
    orders = [
        tuple(np.random.default_rng(i).permutation(drivers)) for i in range(5 if quick else 12)
    ]

    def per_order():
        for order in orders:
            prev = 0.0
            for j in range(1, len(order) + 1):
                r2 = smf.ols("overall ~ " + " + ".join(order[:j]), df).fit().rsquared
                prev = r2 - prev

    t_orders = best_of(per_order, repeat=1) * factorial(6) / len(orders)
    vec6 = rows[0]["seconds"]
    rows.append(
        {
            "case": "exact LMG, 6 drivers: the definition (OLS per order of entry, 720 orders)",
            "measure": "statsmodels OLS per order and step",
            "seconds": t_orders,
            "ratio": t_orders / vec6,
            "note": f"timed on {len(orders)} orders, scaled; ratio = definition / batched",
        }
    )
    n_boot = 200 if quick else 500
    t_boot = best_of(
        lambda: sat.key_drivers(
            survey, "overall", list(sat.ATTRIBUTES), weights="weight", n_boot=n_boot
        ),
        repeat=1,
    )
    rows.append(
        {
            "case": f"LMG with {n_boot} bootstrap resamples, 6 drivers",
            "measure": "resample counts -> all correlation matrices at once",
            "seconds": t_boot,
            "ratio": np.nan,
            "note": "",
        }
    )
    f = "overall ~ " + " + ".join(list(sat.ATTRIBUTES) + list(sat.CHARACTERISTICS)) + " + C(unit)"
    t_fit = best_of(lambda: sat.ordered_model(survey, f), repeat=2)
    model = OrderedModel.from_formula(f, survey, distr="logit")
    t_num = best_of(lambda: model.fit(method="bfgs", disp=False, maxiter=2000), repeat=1)
    rows.append(
        {
            "case": f"ordered logit, {len(survey):,} respondents, 27 slopes + 4 cut-points",
            "measure": "BFGS with the analytic gradient",
            "seconds": t_fit,
            "ratio": t_num / t_fit,
            "note": "ratio = statsmodels' default numerical gradient / analytic",
        }
    )
    t_w = best_of(lambda: sat.ordered_model(survey, f, weights="weight"), repeat=2)
    rows.append(
        {
            "case": f"survey-weighted ordered logit, {len(survey):,} respondents, sandwich errors",
            "measure": "weighted pseudo-likelihood, analytic weighted scores, HC0 sandwich",
            "seconds": t_w,
            "ratio": t_w / t_fit,
            "note": "ratio = weighted (robust errors) / unweighted (inverse Hessian)",
        }
    )
    res = sat.ordered_model(survey, f)
    t_scen = best_of(lambda: sat.scenario(res, survey, {"transport": 1}, n_draws=200), repeat=2)
    rows.append(
        {
            "case": "scenario +1 transport, 200 parameter draws, 18 units",
            "measure": "all draws x respondents x categories in one array",
            "seconds": t_scen,
            "ratio": np.nan,
            "note": "",
        }
    )
    return pd.DataFrame(rows)
