"""How much a ranking depends on compensability: score under each aggregation method."""

from __future__ import annotations

import pandas as pd

__all__ = ["aggregation_ranks"]

METHODS = ("weighted_sum", "geometric", "weakest_link")


def aggregation_ranks(scheme, observations: pd.DataFrame, methods=METHODS, **kw) -> tuple:
    """Score with each aggregation method (the same one at both levels).

    Parameters
    ----------
    scheme : Scheme
    observations : DataFrame
        As for :func:`kmmodel.scoring.score`.
    methods : sequence of str
        Aggregation methods (``weighted_sum``, ``geometric``, ``weakest_link``).
    **kw
        Passed to :func:`kmmodel.scoring.score` (``units``, ``missing``); without
        ``units`` all units rank in one group (``km.examples.units()`` for the example).

    Returns
    -------
    (DataFrame, DataFrame)
        ``ranks``: one row per unit with group, ``total_<method>`` [points] and
        ``rank_<method>``; ``agreement``: per method and group, Spearman's rank
        correlation with the first method [-1 to 1] and the number of units whose
        rank changed.

    References
    ----------
    .. [1] OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, sec. 6
       (compensability of linear, geometric and non-compensatory aggregation).
    """
    from scipy.stats import spearmanr

    from kmmodel.scheme.reform import set_aggregation
    from kmmodel.scoring.core import score

    frames = []
    for m in methods:
        res = score(set_aggregation(scheme, indicators=m, dimensions=m), observations, **kw)
        t = res.table.set_index("unit")[["group", "total", "rank"]]
        frames.append(t.rename(columns={"total": f"total_{m}", "rank": f"rank_{m}"}))
    ranks = frames[0].join([f.drop(columns="group") for f in frames[1:]]).reset_index()
    rows = []
    base = methods[0]
    for g, sub in ranks.groupby("group", sort=True):
        for m in methods[1:]:
            rho = (
                spearmanr(sub[f"total_{base}"], sub[f"total_{m}"]).statistic
                if len(sub) > 2
                else float("nan")
            )
            rows.append(
                {
                    "group": g,
                    "method": m,
                    "spearman_vs_" + base: float(rho),
                    "units_moved": int((sub[f"rank_{m}"] != sub[f"rank_{base}"]).sum()),
                    "units": len(sub),
                }
            )
    return ranks, pd.DataFrame(rows)
