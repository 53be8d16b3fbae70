"""Model diagnostics: collinearity (VIF), residual plots, proportional-odds (Brant) test.

References
----------
Brant, R. (1990). Assessing proportionality in the proportional odds model for
ordinal logistic regression. *Biometrics* 46(4), 1171-1178.
Long, J. S. & Freese, J. (2014). *Regression Models for Categorical Dependent
Variables Using Stata*, 3rd ed., section 7.15 (the ``brant`` command).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems, rows_phrase
from kmmodel.satisfaction._common import check_frame, design

__all__ = ["brant_test", "residual_plots", "vif"]


def vif(data: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Variance inflation factors of numeric columns (with an intercept).

    ``VIF_j = 1 / (1 - R^2_j)`` = the j-th diagonal element of the inverse
    correlation matrix. Above 5-10 the column is strongly collinear with the others.

    Returns
    -------
    DataFrame
        ``column``, ``vif`` [ratio >= 1], ``flag`` (vif > 5).
    """
    probs = Problems(source="vif")
    columns = list(columns)
    missing = [c for c in columns if c not in data.columns]
    if missing:
        probs.add(f"column(s) not found: {missing}")
    if len(columns) < 2:
        probs.add("need at least 2 columns")
    probs.raise_if_any(DataError)
    x = data[columns]
    for c in columns:
        if not pd.api.types.is_numeric_dtype(x[c]):
            probs.add(f"expected numbers, got {x[c].dtype}", f"column {c}")
        elif x[c].isna().any():
            probs.add(
                f"missing values in {rows_phrase(np.flatnonzero(x[c].isna().to_numpy()))}",
                f"column {c}",
            )
        elif x[c].nunique() < 2:
            probs.add("column is constant; VIF undefined", f"column {c}")
    probs.raise_if_any(DataError)
    corr = np.corrcoef(x.to_numpy(float), rowvar=False)
    if np.linalg.matrix_rank(corr) < len(columns):
        raise DataError(f"columns are perfectly collinear: {columns}", source="vif")
    v = np.diag(np.linalg.inv(corr))
    return pd.DataFrame({"column": columns, "vif": v, "flag": v > 5})


def residual_plots(result):
    """Residuals against fitted values and a normal Q-Q plot of a linear model; returns the Figure."""
    import matplotlib.pyplot as plt
    from scipy import stats

    from kmmodel import plots

    plots.setup()
    fitted, resid = result.fitted, result.resid
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    a1.scatter(fitted, resid, s=6, alpha=0.3)
    a1.axhline(0, color="0.3", lw=1)
    a1.set_xlabel("拟合值 fitted")
    a1.set_ylabel("残差 residual")
    (osm, osr), (slope, intercept, _) = stats.probplot(resid, dist="norm")
    a2.scatter(osm, osr, s=6, alpha=0.3)
    a2.plot(osm, slope * np.asarray(osm) + intercept, color="C1")
    a2.set_xlabel("正态分位数 normal quantile")
    a2.set_ylabel("残差分位数 residual quantile")
    fig.tight_layout()
    return fig


def brant_test(data: pd.DataFrame, formula: str) -> pd.DataFrame:
    """Brant (1990) Wald test of the proportional-odds (parallel lines) assumption.

    The ordered logit implies that the ``K - 1`` binary logits of ``y > k`` share
    their slopes. The test fits those binary logits, estimates the joint covariance
    of their slopes (Brant's formula) and tests that the slopes are equal. The
    binary logits are unweighted (as in R's ``brant``): the test checks the form of
    the model, and when the survey weights depend only on the model's covariates
    (as in the shipped survey) the sample and the population share that form, so
    it also serves a weighted ``ordered_model(..., weights=...)``.

    Parameters
    ----------
    data : DataFrame
    formula : str
        As given to :func:`~kmmodel.satisfaction.ordered_model` (outcome ordinal).

    Returns
    -------
    DataFrame
        Rows ``"omnibus"`` then one per slope term: ``term``, ``chi2``, ``df``, ``p``.
        A small p (e.g. < 0.05) says the term's effect differs across the scale.

    Raises
    ------
    DataError
        Bad columns, or a binary split with separation (too few answers in an
        extreme category): merge sparse categories first.
    """
    import statsmodels.api as sm
    from scipy.stats import chi2
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    outcome, _ = check_frame(data, formula, source="brant_test")
    y = data[outcome]
    codes = (
        y.cat.codes.to_numpy()
        if isinstance(y.dtype, pd.CategoricalDtype)
        else pd.factorize(y, sort=True)[0]
    )
    levels = np.unique(codes)
    if len(levels) < 3:
        raise DataError(
            "the Brant test needs an outcome with at least 3 levels", source="brant_test"
        )
    rhs = formula.split("~", 1)[1]
    x = design(
        f"{rhs} + 1" if "-1" not in rhs.replace(" ", "") else rhs,
        data,
        source="brant_test",
        prediction=True,
    )
    names = [c for c in x.columns if c != "Intercept"]
    xm = x.to_numpy(float)
    p = xm.shape[1]
    cuts = levels[:-1]
    betas, probs_, infos = [], [], []
    for c in cuts:  # K - 1 binary logits (a handful)
        z = (codes > c).astype(float)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = sm.Logit(z, xm).fit(disp=False, maxiter=200)
        bad = [
            w
            for w in caught
            if issubclass(w.category, (PerfectSeparationWarning, ConvergenceWarning))
        ]
        if bad or not res.mle_retvals.get("converged", True):
            raise DataError(
                f"the binary split 'answer above level {c + 1}' cannot be fitted (separation "
                "or too few answers there); merge sparse categories first",
                source="brant_test",
            )
        pi = res.predict(xm)
        betas.append(res.params)
        probs_.append(pi)
        infos.append(np.linalg.inv(xm.T @ (xm * (pi * (1 - pi))[:, None])))
    j = len(cuts)
    cov = np.zeros((j * p, j * p))
    for a in range(j):
        for b in range(a, j):  # (K-1)^2 / 2 blocks
            if a == b:
                block = infos[a]
            else:
                wab = probs_[b] - probs_[a] * probs_[b]  # P(z_a = z_b = 1) - pi_a pi_b, b > a
                block = infos[a] @ (xm.T @ (xm * wab[:, None])) @ infos[b]
            cov[a * p : (a + 1) * p, b * p : (b + 1) * p] = block
            cov[b * p : (b + 1) * p, a * p : (a + 1) * p] = block.T
    slope_idx = [i for i, c in enumerate(x.columns) if c != "Intercept"]
    keep = np.concatenate([np.array(slope_idx) + a * p for a in range(j)])
    beta = np.concatenate(betas)[keep]
    v = cov[np.ix_(keep, keep)]
    k = len(slope_idx)
    # contrasts beta_1 - beta_a, a = 2..J
    d = np.zeros(((j - 1) * k, j * k))
    for a in range(1, j):
        d[(a - 1) * k : a * k, :k] = np.eye(k)
        d[(a - 1) * k : a * k, a * k : (a + 1) * k] = -np.eye(k)

    def wald(rows: np.ndarray) -> tuple[float, int]:
        dd = d[rows]
        diff = dd @ beta
        stat = float(diff @ np.linalg.solve(dd @ v @ dd.T, diff))
        return stat, len(rows)

    out = []
    stat, df = wald(np.arange(d.shape[0]))
    out.append(("omnibus", stat, df))
    for t, name in enumerate(names):
        rows = np.array([(a - 1) * k + t for a in range(1, j)])
        stat, df = wald(rows)
        out.append((name, stat, df))
    frame = pd.DataFrame(out, columns=["term", "chi2", "df"])
    frame["p"] = chi2.sf(frame["chi2"], frame["df"])
    return frame
