"""Lifecycle cost and livelihood satisfaction in one frame.

The seed's first proposal puts a project's full-lifecycle cost and the livelihood
satisfaction it buys in one evaluation. For each project this module reports

- ``cost_per_beneficiary`` [yuan per person]: net lifecycle cost per beneficiary;
- ``cost_per_point`` [yuan per point]: net lifecycle cost (PV of costs minus residual value)
  per point of satisfaction gained on a 0-100 index;
- ``cost_per_point_person`` [yuan per point per beneficiary];
- ``pv_satisfaction`` [yuan]: a *satisfaction-weighted benefit*, the gain monetised with a
  stated assumption ``value_per_point`` [yuan per beneficiary per point per year], paid in
  every year the project yields benefits, discounted with the appraisal's schedule;
- ``npv_satisfaction`` [yuan]: NPV with the monetised social line *replaced* by
  ``pv_satisfaction`` (not added, to avoid counting the same livelihood gain twice);
- ranks by NPV, by cost per point and by ``npv_satisfaction``, and ``disagree`` where the
  NPV rank and the cost-per-point rank differ by ``disagree_at`` places or more.

The satisfaction gain is an input: per project [points], e.g. the difference between the
satisfaction model's scenario prediction with and without the project
(:mod:`kmmodel.satisfaction`), or an estimate from a survey. This module does not import
the satisfaction model.

``value_per_point`` is a monetisation assumption (willingness to pay for one index point),
not an observed price: reports must state it, and the cost-per-point ranking does not
depend on it.

References
----------
.. [1] Levin, H. M., McEwan, P. J. (2001). Cost-Effectiveness Analysis, 2nd ed., Sage,
   ch. 6-7 (cost-effectiveness and cost-utility ratios).
.. [2] HM Treasury (2021). Wellbeing Guidance for Appraisal: Supplementary Green Book
   Guidance (valuing changes in life satisfaction).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmmodel.costbenefit.appraisal import Appraisal
from kmmodel.costbenefit.discount import discount_factors
from kmmodel.costbenefit.flows import BENEFIT_LINES, LINES
from kmmodel.errors import DataError, Problems

__all__ = ["CostSatisfaction", "cost_satisfaction"]


@dataclass(frozen=True)
class CostSatisfaction:
    """Result of :func:`cost_satisfaction`; ``.table`` has one row per project."""

    table: pd.DataFrame
    value_per_point: float

    @property
    def disagreements(self) -> pd.DataFrame:
        """Projects whose NPV rank and cost-per-point rank differ by the threshold or more."""
        cols = ["project", "npv", "cost_per_point", "rank_npv", "rank_cost_per_point"]
        return self.table.loc[self.table["disagree"], cols].reset_index(drop=True)

    def plot(self, ax=None, labels: str = "name_zh"):
        """Scatter: cost per satisfaction point (x, log) vs NPV (y), projects labelled."""
        import matplotlib.pyplot as plt
        from matplotlib.ticker import NullFormatter

        if ax is None:
            _, ax = plt.subplots()
        t = self.table.dropna(subset=["cost_per_point"])
        ax.scatter(
            t["cost_per_point"] / 1e4,
            t["npv"] / 1e6,
            c=np.where(t["disagree"], "#c0504d", "#4f81bd"),
        )
        names = t[labels] if labels in t.columns else t["project"]
        for x, y, s in zip(t["cost_per_point"] / 1e4, t["npv"] / 1e6, names):
            ax.annotate(s, (x, y), fontsize=8, xytext=(3, 3), textcoords="offset points")
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.axhline(0, color="grey", lw=1, ls="--")
        ax.set_xlabel("每满意度分成本 cost per point [万元, log]")
        ax.set_ylabel("净现值 NPV [百万元]")
        ax.set_title("成本-满意度 (红色: 两种排序不一致)")
        return ax


def cost_satisfaction(
    appraisal: Appraisal,
    satisfaction_gain: Mapping[str, float] | pd.Series | None = None,
    value_per_point: float = 20.0,
    disagree_at: int = 2,
) -> CostSatisfaction:
    """Combine an appraisal with satisfaction gains.

    Parameters
    ----------
    appraisal : Appraisal
        From :func:`~kmmodel.costbenefit.appraise`.
    satisfaction_gain : mapping or Series, optional
        Project -> gain [points on a 0-100 satisfaction index]; default the projects
        table's ``satisfaction_gain`` column. It can come from the satisfaction model's
        scenario prediction (with minus without the project). NaN = unknown (no ratio).
    value_per_point : float
        Monetisation assumption [yuan per beneficiary per point per year]; the default 20
        is illustrative only.
    disagree_at : int
        Rank difference that counts as disagreement [places].

    Returns
    -------
    CostSatisfaction

    Raises
    ------
    DataError
        Gains for unknown projects, non-numeric or out-of-range gains (|gain| > 100),
        negative ``value_per_point``.
    """
    probs = Problems(source="satisfaction gain")
    pj = appraisal.projects.set_index("project")
    ids = list(appraisal.table["project"])
    if satisfaction_gain is None:
        if "satisfaction_gain" not in pj.columns:
            raise DataError(
                "no satisfaction_gain column in the projects table; pass satisfaction_gain",
                "satisfaction gain",
            )
        gain = pj["satisfaction_gain"].reindex(ids)
    else:
        s = pd.Series(satisfaction_gain, dtype=object)
        unknown = sorted(set(s.index) - set(ids))
        if unknown:
            probs.add(f"unknown project(s) {unknown}; expected ids from {ids}")
        num = pd.to_numeric(s, errors="coerce")
        text = num.isna() & s.notna()
        if text.any():
            probs.add(f"expected numbers [points] for {sorted(s.index[text])}")
        gain = num.reindex(ids)
    out_of_range = gain.abs() > 100
    if out_of_range.any():
        probs.add(f"gains must lie within +-100 points, got {gain[out_of_range].to_dict()}")
    if not (np.isfinite(value_per_point) and value_per_point >= 0):
        probs.add(f"value_per_point must be >= 0 [yuan], got {value_per_point!r}")
    probs.raise_if_any(DataError)
    g = gain.to_numpy(dtype=float)
    t = appraisal.table
    benef = pj["beneficiaries"].reindex(ids).to_numpy(dtype=float)
    amounts = appraisal.cube.amounts
    d = discount_factors(appraisal.cube.n_years, appraisal.schedule)
    benefit_years = amounts[:, [LINES.index(b) for b in BENEFIT_LINES], :].sum(axis=1) > 0
    annuity = benefit_years.astype(float) @ d  # PV of 1 yuan in every benefit year
    net_cost = (t["pv_costs"] - t["pv_residual"]).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        cpp = np.where(g > 0, net_cost / np.where(g > 0, g, 1), np.nan)
        cppp = np.where((g > 0) & (benef > 0), cpp / np.where(benef > 0, benef, 1), np.nan)
    pv_sat = np.nan_to_num(g) * benef * value_per_point * annuity
    out = t[["project", *[c for c in ("name_zh", "kind") if c in t.columns]]].copy()
    out["pv_costs_net"] = net_cost
    out["npv"] = t["npv"].to_numpy()
    out["bcr"] = t["bcr"].to_numpy()
    out["satisfaction_gain"] = g
    out["beneficiaries"] = benef
    out["cost_per_beneficiary"] = np.where(
        benef > 0, net_cost / np.where(benef > 0, benef, 1), np.nan
    )
    out["cost_per_point"] = cpp
    out["cost_per_point_person"] = cppp
    out["pv_satisfaction"] = pv_sat
    out["npv_satisfaction"] = out["npv"] - t["pv_social"].to_numpy() + pv_sat
    out["rank_npv"] = out["npv"].rank(ascending=False, method="min").astype("int64")
    out["rank_cost_per_point"] = (
        out["cost_per_point"].rank(ascending=True, method="min", na_option="bottom").astype("int64")
    )
    out["rank_npv_satisfaction"] = (
        out["npv_satisfaction"].rank(ascending=False, method="min").astype("int64")
    )
    out["disagree"] = (out["rank_npv"] - out["rank_cost_per_point"]).abs() >= disagree_at
    return CostSatisfaction(out, float(value_per_point))
