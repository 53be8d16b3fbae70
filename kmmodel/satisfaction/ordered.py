"""Ordered logit / probit of an ordinal answer (statsmodels ``OrderedModel``).

The model: ``P(y <= k | x) = F(t_k - x'b)`` with ``F`` the logistic or normal
distribution, slopes ``b`` and increasing cut-points ``t_1 < … < t_{K-1}``; no
intercept (the cut-points take its place). This is R's ``MASS::polr`` convention.
statsmodels estimates the cut-points as ``t_1, log(t_2 - t_1), …``;
:class:`OrderedResult` reports the actual cut-points with delta-method errors.

With survey weights the fit maximises the weighted pseudo-likelihood
``sum_i w_i log P(y_i | x_i)`` and reports sandwich (robust or cluster-robust)
standard errors (Binder 1983); see :mod:`kmmodel.satisfaction._weighted`.

Inference is Wald z (standard normal reference), the convention for maximum-likelihood
models: Stata's ``ologit``/``oprobit`` report z, and R's ``MASS::polr`` (whose summary
labels the ratio "t value") has only an asymptotic normal reference for it
(``confint.default``); the ML estimator is asymptotically normal (McCullagh 1980). No t correction is applied, also not with
``cov="cluster"``; with few clusters those intervals are somewhat narrow (Cameron &
Miller 2015, section VI).

References
----------
McCullagh, P. (1980). Regression models for ordinal data. *JRSS B* 42(2), 109-142.
Venables, W. N. & Ripley, B. D. (2002). *Modern Applied Statistics with S*, 4th ed.,
section 7.3 (``polr``).
Binder, D. A. (1983). On the variances of asymptotically normal estimators from
complex surveys. *International Statistical Review* 51(3), 279-292.
Cameron, A. C. & Miller, D. L. (2015). A practitioner's guide to cluster-robust
inference. *J. Human Resources* 50(2), 317-372.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems
from kmmodel.satisfaction._common import (
    check_frame,
    design,
    normal_q,
    separation_check,
    sparse_levels,
)

__all__ = ["OrderedResult", "category_probabilities", "ordered_model"]

DISTRIBUTIONS = ("logit", "probit")
COVARIANCES = ("nonrobust", "robust", "cluster")


def _cdf_pdf(distr: str):
    from scipy import stats

    d = stats.logistic if distr == "logit" else stats.norm
    return d.cdf, d.pdf


def category_probabilities(xb: np.ndarray, cuts: np.ndarray, distr: str = "logit") -> np.ndarray:
    """Category probabilities ``P(y = k)`` for linear predictors ``xb``.

    Parameters
    ----------
    xb : ndarray, shape (..., n)
        Linear predictors ``x'b`` [latent units].
    cuts : ndarray, shape (K-1,)
        Increasing cut-points [latent units].
    distr : {"logit", "probit"}

    Returns
    -------
    ndarray, shape (..., n, K)
        Probabilities; each row sums to 1.
    """
    cdf, _ = _cdf_pdf(distr)
    t = np.concatenate([[-np.inf], np.asarray(cuts, float), [np.inf]])
    cum = cdf(t - np.asarray(xb, float)[..., None])
    return np.diff(cum, axis=-1)


@dataclass
class OrderedResult:
    """Fitted ordered model.

    Attributes
    ----------
    params : Series
        Slopes by term [latent units per unit of the term].
    thresholds : Series
        Actual cut-points ``t_k`` labelled ``"k|k+1"`` [latent units].
    bse, threshold_bse : Series
        Standard errors of slopes and cut-points (delta method for the cut-points).
    categories : list
        Outcome levels, lowest first.
    distr : str
        ``"logit"`` or ``"probit"``.
    nobs : int
    llf : float
        Log-likelihood (weighted pseudo-log-likelihood when weighted, weights
        rescaled to mean 1).
    pseudo_r2 : float
        McFadden's pseudo R^2 against the thresholds-only model [share 0-1].
    cov_type : str
        ``"nonrobust"`` (inverse Hessian), ``"robust"`` (sandwich) or
        ``"cluster (<column>)"``.
    weights : ndarray or None
        Survey weights rescaled to mean 1, one per row (``None``: unweighted).
    fit : statsmodels results
        The underlying ``OrderedResults`` (for anything not exposed here).
    notes : list of str
        Flags, e.g. a unit with too few respondents for a precise effect.
    """

    params: pd.Series
    thresholds: pd.Series
    bse: pd.Series
    threshold_bse: pd.Series
    categories: list
    distr: str
    nobs: int
    llf: float
    pseudo_r2: float
    formula: str
    fit: object = field(repr=False)
    exog: pd.DataFrame = field(repr=False)
    notes: list[str] = field(default_factory=list)
    weights: np.ndarray | None = field(default=None, repr=False)
    cov_type: str = "nonrobust"

    @property
    def scores(self) -> np.ndarray:
        """Numeric value of each level: the level itself when numeric, else 1..K."""
        try:
            return np.asarray(self.categories, float)
        except (TypeError, ValueError):
            return np.arange(1, len(self.categories) + 1, dtype=float)

    def table(self, level: float = 0.95) -> pd.DataFrame:
        """Slopes and cut-points: term, kind, coef, se, z, p, low, high.

        ``p`` and ``low``/``high`` use the standard normal (Wald z), the usual reference
        for maximum-likelihood estimates (Stata ``ologit``; R ``polr`` with
        ``confint.default``); ``level`` is the confidence level [share 0-1].
        """
        from scipy.stats import norm

        q = normal_q(level)
        coef = pd.concat([self.params, self.thresholds])
        se = pd.concat([self.bse, self.threshold_bse])
        z = coef / se
        out = pd.DataFrame(
            {
                "term": coef.index,
                "kind": ["slope"] * len(self.params) + ["cut-point"] * len(self.thresholds),
                "coef": coef.to_numpy(),
                "se": se.to_numpy(),
                "z": z.to_numpy(),
                "p": 2 * norm.sf(np.abs(z.to_numpy())),
                "low": (coef - q * se).to_numpy(),
                "high": (coef + q * se).to_numpy(),
            }
        )
        if self.distr == "logit":
            out["odds_ratio"] = np.where(out["kind"] == "slope", np.exp(out["coef"]), np.nan)
        return out

    def linear_predictor(self, data: pd.DataFrame | None = None) -> np.ndarray:
        """``x'b`` for each row of ``data`` (default: the estimation sample) [latent units]."""
        x = self.exog if data is None else self.design(data)
        return x.to_numpy(float) @ self.params.to_numpy()

    def design(self, data: pd.DataFrame) -> pd.DataFrame:
        """Design matrix of new data under the fitted formula (same columns as the fit)."""
        x = design(self.fit.model.data.model_spec, data, source="ordered_model", prediction=True)
        return x[list(self.params.index)]

    def predict_proba(self, data: pd.DataFrame | None = None) -> pd.DataFrame:
        """Predicted category probabilities, one row per respondent, one column per level."""
        p = category_probabilities(
            self.linear_predictor(data), self.thresholds.to_numpy(), self.distr
        )
        return pd.DataFrame(p, columns=self.categories)

    def expected_score(self, data: pd.DataFrame | None = None) -> np.ndarray:
        """Expected answer ``sum_k s_k P(y = k)`` per respondent, ``s`` = :attr:`scores` [points]."""
        return self.predict_proba(data).to_numpy() @ self.scores

    def marginal_effects(self) -> pd.DataFrame:
        """Average marginal effects on each category probability and on the expected score.

        ``dP(y=k)/dx_j = b_j [f(t_{k-1} - x'b) - f(t_k - x'b)]`` averaged over the
        sample, with the survey weights when the model is weighted (a population
        average); for 0/1 dummies this is the derivative, not the discrete change.

        Returns
        -------
        DataFrame
            Index: slope terms; columns: one per outcome level [share 0-1 per unit of
            the term], then ``expected`` [answer points per unit of the term].
        """
        _, pdf = _cdf_pdf(self.distr)
        t = np.concatenate([[-np.inf], self.thresholds.to_numpy(), [np.inf]])
        dens = pdf(t[None, :] - self.linear_predictor()[:, None])  # n x (K+1), 0 at +-inf
        mean_d = np.average(dens[:, :-1] - dens[:, 1:], axis=0, weights=self.weights)  # K
        ame = np.outer(self.params.to_numpy(), mean_d)
        out = pd.DataFrame(ame, index=self.params.index, columns=[str(c) for c in self.categories])
        out["expected"] = ame @ self.scores
        return out


def _labels(categories) -> list[str]:
    cats = [_tidy(c) for c in categories]
    return [f"{a}|{b}" for a, b in zip(cats[:-1], cats[1:], strict=True)]


def _tidy(c):
    if isinstance(c, (float, np.floating)) and float(c).is_integer():
        return int(c)
    return c


def ordered_model(
    data: pd.DataFrame,
    formula: str,
    distr: str = "logit",
    *,
    weights: str | None = None,
    cov: str | None = None,
    cluster: str = "unit",
    min_n: int = 30,
) -> OrderedResult:
    """Fit an ordered logit or probit through a formula, optionally survey-weighted.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    formula : str
        ``"overall ~ health + transport + age + C(unit)"``. The outcome is an
        ordered categorical or integer answer (e.g. 1-5); do not add an intercept.
    distr : {"logit", "probit"}
        Link distribution.
    weights : str, optional
        Column of survey weights (positive). ``None`` (default): the ordinary
        likelihood, exactly as before weights existed. Given: the weighted
        pseudo-likelihood ``sum_i w_i log P(y_i | x_i)`` (weights rescaled to mean 1,
        which changes nothing but the scale of ``llf``).
    cov : {"nonrobust", "robust", "cluster"}, optional
        Standard errors. ``"nonrobust"``: inverse Hessian (model-based; R ``polr``).
        ``"robust"``: sandwich ``H^-1 (sum_i s_i s_i') H^-1`` of the weighted scores
        (statsmodels HC0) — the design-consistent choice for survey
        pseudo-likelihood (Binder 1983). ``"cluster"``: scores summed within
        ``cluster`` first (statsmodels CRV1, small-sample factor
        ``G/(G-1) (n-1)/(n-k)``). Default: ``"nonrobust"`` without weights,
        ``"robust"`` with them.
    cluster : str
        Cluster column for ``cov="cluster"`` [default ``"unit"``].
    min_n : int
        Levels of ``C(...)`` terms (e.g. units) with fewer respondents are listed in
        ``.notes`` as imprecise [respondents].

    Returns
    -------
    OrderedResult
        ``.params`` (slopes), ``.thresholds`` (actual cut-points), ``.table()``,
        ``.predict_proba()``, ``.marginal_effects()`` (weighted average when
        weighted), ``.cov_type``, ``.weights``.

    Raises
    ------
    DataError
        Unknown or missing columns, missing or non-positive weights, an unknown
        ``cov``, fewer than two clusters, constant predictors, an outcome with fewer
        than two levels, or a fit that diverges (perfect separation).

    Notes
    -----
    statsmodels' ``OrderedModel`` has no weights argument; a subclass
    (:class:`~kmmodel.satisfaction._weighted.WeightedOrderedModel`) multiplies each
    observation's log-likelihood by its weight and supplies the analytic weighted
    score, and statsmodels' own sandwich estimators give the robust covariance.
    Integer weights give the same point estimates as repeating each row that many
    times; with ``cov="nonrobust"`` such weights act as frequency weights up to the
    mean-1 rescaling. Survey weights are not frequency weights: use the robust
    (or cluster) errors with them. Strata are not used (each respondent is its own
    primary sampling unit), which is conservative when units are strata.
    ``cov="cluster"`` by unit together with ``C(unit)`` terms leaves the unit
    coefficients' errors meaningless (each unit's dummy score sums to zero within
    its own cluster); use ``"robust"`` for unit comparisons.

    References
    ----------
    Binder, D. A. (1983). On the variances of asymptotically normal estimators from
    complex surveys. *International Statistical Review* 51(3), 279-292.

    Examples
    --------
    Reproduces R's ``MASS::polr`` on the UCLA "apply" data (see the tests);
    design-weighted: ``ordered_model(survey, "overall ~ health + C(unit)", weights="weight")``.
    """
    from statsmodels.tools.sm_exceptions import HessianInversionWarning

    from kmmodel.satisfaction._weighted import WeightedOrderedModel, cut_jacobian

    probs = Problems(source="ordered_model")
    if distr not in DISTRIBUTIONS:
        probs.add(f"distr must be one of {DISTRIBUTIONS}, got {distr!r}", "distr")
    cov_type = cov if cov is not None else ("nonrobust" if weights is None else "robust")
    if cov_type not in COVARIANCES:
        probs.add(f"cov must be one of {COVARIANCES}, got {cov!r}", "cov")
    probs.raise_if_any(DataError)
    outcome, preds = check_frame(
        data,
        formula,
        source="ordered_model",
        weights=weights,
        cluster=cluster if cov_type == "cluster" else None,
    )
    y = data[outcome]
    if not isinstance(y.dtype, pd.CategoricalDtype) and not pd.api.types.is_numeric_dtype(y):
        raise DataError(
            f"the outcome must be an ordered categorical or whole numbers, got dtype {y.dtype}",
            source="ordered_model",
        )
    frame = data
    if isinstance(y.dtype, pd.CategoricalDtype):
        if not y.dtype.ordered:
            raise DataError(
                f"outcome {outcome!r} is an unordered categorical; give it ordered categories",
                source="ordered_model",
            )
        frame = data.copy()
        frame[outcome] = y.cat.remove_unused_categories()
    w = None
    if weights is not None:
        w = pd.to_numeric(data[weights]).to_numpy(float)
        w = w / w.mean()
    groups = None
    if cov_type == "cluster":
        groups = pd.factorize(data[cluster], sort=True)[0]
        if groups.max() < 1:
            raise DataError(
                f"cluster-robust errors need at least 2 clusters; column {cluster!r} has one",
                source="ordered_model",
            )
    fit_cov = {"nonrobust": {}, "robust": {"cov_type": "HC0"}}.get(
        cov_type, {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = WeightedOrderedModel.from_formula(formula, frame, distr=distr)
        except ValueError as exc:  # e.g. an intercept in the formula
            raise DataError(str(exc), source="ordered_model") from exc
        except Exception as exc:
            raise DataError(
                f"cannot build the model from the formula: {exc}", source="ordered_model"
            ) from exc
        if w is not None and len(w) != model.nobs:
            raise DataError(
                f"{model.nobs} rows in the model but {len(w)} weights", source="ordered_model"
            )
        model.survey_weights = w
        res = model.fit(method="bfgs", maxiter=2000, disp=False, gtol=1e-8, **fit_cov)
    # BFGS often stops with "precision loss" at the optimum; judge by the gradient instead
    grad = model.score(np.asarray(res.params, float)) / max(model.nobs, 1)
    stationary = bool(np.all(np.isfinite(grad)) and np.abs(grad).max() < 1e-5)
    bad_hess = any(issubclass(w_.category, HessianInversionWarning) for w_ in caught)
    converged = stationary and not bad_hess and np.all(np.isfinite(np.asarray(res.bse, float)))
    k = model.k_vars
    exog = pd.DataFrame(model.exog, columns=model.exog_names[:k])
    params = res.params.iloc[:k].copy()
    separation_check(exog, params, exog.columns, source="ordered_model", converged=converged)
    theta = res.params.to_numpy()[k:]
    cuts = model.transform_threshold_params(res.params.to_numpy())[1:-1]
    # delta method: t_j = theta_0 + sum_{i=1..j} exp(theta_i)
    jac = cut_jacobian(theta)
    cov_m = np.asarray(res.cov_params())
    cov_t = jac @ cov_m[k:, k:] @ jac.T
    cats = [_tidy(c) for c in model.labels]
    labels = _labels(cats)
    counts = np.bincount(model.endog.astype(int), weights=w, minlength=len(cats))
    share = counts[counts > 0] / counts.sum()
    llnull = float((counts[counts > 0] * np.log(share)).sum())
    bse = pd.Series(np.sqrt(np.diag(cov_m)[:k]), index=params.index)
    return OrderedResult(
        params=params,
        thresholds=pd.Series(cuts, index=labels),
        bse=bse,
        threshold_bse=pd.Series(np.sqrt(np.diag(cov_t)), index=labels),
        categories=cats,
        distr=distr,
        nobs=int(res.nobs),
        llf=float(res.llf),
        pseudo_r2=float(1 - res.llf / llnull),
        formula=formula,
        fit=res,
        exog=exog,
        notes=sparse_levels(data, formula, min_n),
        weights=w,
        cov_type=cov_type if cov_type != "cluster" else f"cluster ({cluster})",
    )
