"""A 0-100 satisfaction index per unit, and unit effects net of respondent mix.

The index rescales the answer to 0-100 (``100 (y - low) / (high - low)``: 1 -> 0,
5 -> 100 on a 1-5 scale) and takes the survey-weighted mean per unit. Its standard
error is the linearisation (Taylor) estimator of a weighted mean (ratio estimator)
under with-replacement sampling; with equal weights it is the usual ``s / sqrt(n)``.

Raw unit means mix two things: how satisfied the residents are *and* who answered
(age, income, urban share). :func:`unit_effects` fits the index on unit indicators plus
respondent characteristics and reports each unit's index as if every unit had the
pooled respondent mix (direct standardisation by regression).

References
----------
Lohr, S. L. (2019). *Sampling: Design and Analysis*, 2nd ed., sections 9.1 (linearisation).
Kish, L. (1965). *Survey Sampling*, Wiley (effective sample size ``(sum w)^2 / sum w^2``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems, rows_phrase
from kmmodel.satisfaction._common import normal_q
from kmmodel.satisfaction.schema import SCALE

__all__ = ["IndexResult", "MIN_RESPONDENTS", "satisfaction_index", "to_index", "unit_effects"]

MIN_RESPONDENTS = 30
"""Units with fewer respondents get a flagged, explained estimate."""


def to_index(answer, scale: Sequence[int] = SCALE):
    """Answer on ``scale`` -> 0-100 index points (1 -> 0, 5 -> 100 on a 1-5 scale)."""
    lo, hi = scale
    return (np.asarray(answer, float) - lo) * (100.0 / (hi - lo))


def _check(data, score, by, weights, scale, extra=()) -> None:
    probs = Problems(source="satisfaction_index")
    if not isinstance(data, pd.DataFrame):
        raise DataError(
            f"expected a pandas DataFrame, got {type(data).__name__}", source="satisfaction_index"
        )
    cols = [c for c in (score, by, weights, *extra) if c is not None]
    missing = [c for c in cols if c not in data.columns]
    if missing:
        probs.add(f"column(s) not found: {missing}", "columns")
        probs.raise_if_any(DataError)
    if len(data) == 0:
        probs.add("no respondents")
    lo, hi = scale
    y = pd.to_numeric(data[score], errors="coerce")
    bad = y.isna() | (y < lo) | (y > hi)
    if bad.any():
        probs.add(
            f"answers must be numbers in {lo}-{hi}; bad in {rows_phrase(np.flatnonzero(bad.to_numpy()))}",
            f"column {score}",
        )
    if weights is not None:
        w = pd.to_numeric(data[weights], errors="coerce")
        badw = w.isna() | ~(w > 0) | ~np.isfinite(w)
        if badw.any():
            probs.add(
                f"weights must be positive numbers; missing or bad in {rows_phrase(np.flatnonzero(badw.to_numpy()))}",
                f"column {weights}",
            )
    if by is not None and data[by].isna().any():
        probs.add(
            f"empty group in {rows_phrase(np.flatnonzero(data[by].isna().to_numpy()))}",
            f"column {by}",
        )
    probs.raise_if_any(DataError)


@dataclass
class IndexResult:
    """0-100 satisfaction index by group.

    Attributes
    ----------
    table : DataFrame
        One row per group: ``<by>``, ``n`` [respondents], ``n_eff`` (Kish effective
        sample size), ``index``, ``se``, ``low``, ``high`` [index points 0-100],
        ``flag`` (True when ``n < min_n``), ``note`` (why it is flagged).
    overall : float
        The index over all respondents [index points 0-100].
    overall_se : float
    level : float
    """

    table: pd.DataFrame
    overall: float
    overall_se: float
    level: float

    def plot(self, ax=None, labels: dict | None = None):
        """Horizontal bars of the index with intervals; flagged groups in grey. Returns the Axes.

        ``labels`` maps group ids to display names (e.g. unit -> 五华区).
        """
        import matplotlib.pyplot as plt

        from kmmodel import plots

        plots.setup()
        t = self.table.sort_values("index")
        key = t.columns[0]
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.32 * len(t) + 1.2))
        names = [labels.get(g, g) if labels else g for g in t[key]]
        colours = np.where(t["flag"], "0.7", "C0")
        err = np.vstack([t["index"] - t["low"], t["high"] - t["index"]])
        ax.barh(names, t["index"], xerr=err, color=colours, ecolor="0.3", capsize=2)
        ax.axvline(self.overall, color="C1", lw=1, ls="--")
        ax.set_xlabel(f"满意度指数 (0-100), {self.level:.0%} 置信区间")
        ax.set_xlim(0, 100)
        return ax


def satisfaction_index(
    data: pd.DataFrame,
    *,
    score: str = "overall",
    by: str = "unit",
    weights: str | None = "weight",
    scale: Sequence[int] = SCALE,
    min_n: int = MIN_RESPONDENTS,
    level: float = 0.95,
) -> IndexResult:
    """Weighted 0-100 satisfaction index per group with confidence intervals.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    score : str
        Answer column [points on ``scale``].
    by : str or None
        Grouping column (default ``"unit"``); ``None`` for one group ``"all"``.
    weights : str or None
        Survey-weight column; ``None`` for equal weights.
    scale : (int, int)
        Answer scale [points].
    min_n : int
        Groups with fewer respondents are flagged (``flag``, ``note``) [respondents].
    level : float
        Confidence level [share 0-1].

    Returns
    -------
    IndexResult
    """
    _check(data, score, by, weights, scale)
    q = normal_q(level)
    x = to_index(pd.to_numeric(data[score]).to_numpy(float), scale)
    w = np.ones(len(x)) if weights is None else pd.to_numeric(data[weights]).to_numpy(float)
    groups_in = data[by].to_numpy() if by is not None else np.full(len(x), "all", dtype=object)
    frame = pd.DataFrame({"g": groups_in, "x": x, "w": w})

    def summarise(g: pd.DataFrame | None, codes: np.ndarray, n_groups: int) -> pd.DataFrame:
        sw = np.bincount(codes, weights=w, minlength=n_groups)
        sw2 = np.bincount(codes, weights=w**2, minlength=n_groups)
        mean = np.bincount(codes, weights=w * x, minlength=n_groups) / sw
        dev = x - mean[codes]
        n = np.bincount(codes, minlength=n_groups)
        ss = np.bincount(codes, weights=(w * dev) ** 2, minlength=n_groups)
        with np.errstate(divide="ignore", invalid="ignore"):
            se = np.sqrt(np.where(n > 1, n / (n - 1), np.nan) * ss) / sw
        return pd.DataFrame(
            {"n": n, "n_eff": sw**2 / sw2, "index": np.clip(mean, 0, 100), "se": se}
        )

    codes, groups = pd.factorize(frame["g"], sort=True)
    table = summarise(frame, codes, len(groups))
    table.insert(0, by or "group", np.asarray(groups, dtype=object))
    table["low"] = np.clip(table["index"] - q * table["se"], 0, 100)
    table["high"] = np.clip(table["index"] + q * table["se"], 0, 100)
    table["flag"] = table["n"] < min_n
    table["note"] = np.where(
        table["flag"],
        "only "
        + table["n"].astype(str)
        + f" respondents (< {min_n}): indicative only, interval wide",
        "",
    )
    total = summarise(frame, np.zeros(len(x), dtype=int), 1)
    return IndexResult(
        table=table.reset_index(drop=True),
        overall=float(total["index"].iloc[0]),
        overall_se=float(total["se"].iloc[0]),
        level=level,
    )


def unit_effects(
    data: pd.DataFrame,
    controls: Sequence[str],
    *,
    score: str = "overall",
    by: str = "unit",
    weights: str | None = "weight",
    scale: Sequence[int] = SCALE,
    min_n: int = MIN_RESPONDENTS,
    level: float = 0.95,
) -> pd.DataFrame:
    """Unit index net of respondent mix (regression standardisation).

    Fits ``index ~ C(by) + controls`` by WLS with HC3 errors and predicts, for every
    unit, the mean index of the *whole* sample's respondents placed in that unit.

    Parameters
    ----------
    data : DataFrame
    controls : sequence of str
        Respondent characteristics (formula terms, e.g. ``["age", "C(income_band)"]``).
    score, by, weights, scale, min_n, level
        As in :func:`satisfaction_index`.

    Returns
    -------
    DataFrame
        One row per unit: ``<by>``, ``n``, ``raw`` (weighted mean index),
        ``adjusted`` (index at the pooled respondent mix), ``se``, ``low``, ``high``
        [index points 0-100], ``mix_effect`` = raw - adjusted (how much the unit's
        respondent mix moves its raw index), ``flag``, ``note``.
    """
    import statsmodels.formula.api as smf

    from kmmodel.satisfaction._common import check_frame, design

    _check(data, score, by, weights, scale)
    q = normal_q(level)
    frame = data.copy()
    frame["_index"] = to_index(pd.to_numeric(frame[score]).to_numpy(float), scale)
    rhs = " + ".join([f"C({by})", *controls])
    formula = f"_index ~ {rhs}"
    check_frame(frame, formula, source="unit_effects", weights=weights)
    w = np.ones(len(frame)) if weights is None else frame[weights].to_numpy(float)
    res = smf.wls(formula, frame, weights=w).fit(cov_type="HC3")
    spec = res.model.data.model_spec
    units = sorted(frame[by].unique())
    rows = []
    for u in units:  # one design per unit (18 units), each vectorised over respondents
        x = design(spec, frame.assign(**{by: u}), source="unit_effects", prediction=True)
        rows.append(np.average(x.to_numpy(float), axis=0, weights=w))
    c = np.vstack(rows)
    adjusted = c @ res.params.to_numpy()
    se = np.sqrt(np.einsum("ij,jk,ik->i", c, res.cov_params().to_numpy(), c))
    raw = satisfaction_index(
        frame, score=score, by=by, weights=weights, scale=scale, min_n=min_n
    ).table
    raw = raw.set_index(by).loc[units]
    out = pd.DataFrame(
        {
            by: units,
            "n": raw["n"].to_numpy(),
            "raw": raw["index"].to_numpy(),
            "adjusted": adjusted,
            "se": se,
            "low": adjusted - q * se,
            "high": adjusted + q * se,
        }
    )
    out["mix_effect"] = out["raw"] - out["adjusted"]
    out["flag"] = raw["flag"].to_numpy()
    out["note"] = raw["note"].to_numpy()
    return out
