"""Linear satisfaction regression: OLS / WLS with survey weights, robust errors.

Treats the ordinal answer as a score (a common, easily read approximation; see
:func:`~kmmodel.satisfaction.ordered_model` for the ordinal model). Standard errors
are heteroskedasticity-robust (HC3, MacKinnon & White 1985) or cluster-robust by
district (respondents in one unit share unobserved conditions).

Inference uses Student's t, not the normal: with ``n - k`` degrees of freedom (residual
df) for the classical and HC errors, and ``G - 1`` (``G`` = number of clusters) for
cluster-robust errors. This is Stata's ``regress, vce(cluster ...)`` convention and
statsmodels' ``use_t=True`` (Cameron & Miller 2015, section VI.A); with few clusters the
normal reference would overstate significance.

References
----------
MacKinnon, J. G. & White, H. (1985). Some heteroskedasticity-consistent covariance
matrix estimators with improved finite sample properties. *J. Econometrics* 29, 305-325.
Cameron, A. C. & Miller, D. L. (2015). A practitioner's guide to cluster-robust
inference. *J. Human Resources* 50(2), 317-372.
StataCorp. *Stata Base Reference Manual*, ``regress`` postestimation and ``vce_option``:
t with ``G - 1`` degrees of freedom after ``vce(cluster)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kmmodel.errors import DataError
from kmmodel.satisfaction._common import check_frame, normal_q, sparse_levels

__all__ = ["LinearResult", "linear_model"]

COVARIANCES = ("HC3", "HC1", "cluster", "nonrobust")


@dataclass
class LinearResult:
    """Fitted linear model.

    Attributes
    ----------
    params, bse : Series
        Coefficients (with ``Intercept``) and their robust standard errors
        [outcome units per unit of the term].
    r2 : float
        R^2 (weighted when weights are given) [share 0-1].
    nobs : int
    cov_type : str
    fit : statsmodels RegressionResults
    notes : list of str
        Flags, e.g. a unit with too few respondents for a precise effect.
    """

    params: pd.Series
    bse: pd.Series
    r2: float
    nobs: int
    cov_type: str
    formula: str
    fit: object = field(repr=False)
    notes: list[str] = field(default_factory=list)

    @property
    def df(self) -> float:
        """Degrees of freedom of the t reference: ``n - k``, or ``G - 1`` when clustered."""
        df = getattr(self.fit, "df_resid_inference", None)
        return float(self.fit.df_resid if df is None else df)

    def table(self, level: float = 0.95) -> pd.DataFrame:
        """Coefficient table with t inference.

        Parameters
        ----------
        level : float
            Confidence level of ``low``/``high`` [share 0-1].

        Returns
        -------
        DataFrame
            term, coef, se, t, p, low, high. ``p`` and the interval use Student's t
            with :attr:`df` degrees of freedom (``n - k``; ``G - 1`` for
            cluster-robust errors), as Stata's ``regress`` reports them.
        """
        normal_q(level)  # validates level
        ci = self.fit.conf_int(alpha=1 - level)
        return pd.DataFrame(
            {
                "term": self.params.index,
                "coef": self.params.to_numpy(),
                "se": self.bse.to_numpy(),
                "t": self.fit.tvalues.to_numpy(),
                "p": self.fit.pvalues.to_numpy(),
                "low": ci.iloc[:, 0].to_numpy(),
                "high": ci.iloc[:, 1].to_numpy(),
            }
        )

    @property
    def fitted(self) -> np.ndarray:
        """Fitted values [outcome units]."""
        return np.asarray(self.fit.fittedvalues)

    @property
    def resid(self) -> np.ndarray:
        """Residuals [outcome units]."""
        return np.asarray(self.fit.resid)


def linear_model(
    data: pd.DataFrame,
    formula: str,
    *,
    weights: str | None = None,
    cov: str = "HC3",
    cluster: str = "unit",
    min_n: int = 30,
) -> LinearResult:
    """OLS (or WLS with survey weights) through a formula, with robust errors.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    formula : str
        e.g. ``"overall ~ health + transport + age + C(unit)"``.
    weights : str, optional
        Column of survey weights (positive); WLS when given.
    cov : {"HC3", "HC1", "cluster", "nonrobust"}
        Standard errors: HC3 (default), HC1, cluster-robust by ``cluster`` (CRV1 with
        Stata's small-sample factor ``G/(G-1) (n-1)/(n-k)``), or classical. p-values and
        intervals use t with ``n - k`` degrees of freedom, ``G - 1`` when clustered.
    cluster : str
        Cluster column for ``cov="cluster"`` [default ``"unit"``].
    min_n : int
        Levels of ``C(...)`` terms with fewer respondents are listed in ``.notes``.

    Returns
    -------
    LinearResult

    Raises
    ------
    DataError
        Missing/constant columns, bad weights, unknown ``cov``, fewer than 2 clusters.
    """
    import statsmodels.formula.api as smf

    if cov not in COVARIANCES:
        raise DataError(f"cov must be one of {COVARIANCES}, got {cov!r}", source="linear_model")
    check_frame(
        data,
        formula,
        source="linear_model",
        weights=weights,
        cluster=cluster if cov == "cluster" else None,
    )
    try:
        if weights is None:
            model = smf.ols(formula, data)
        else:
            model = smf.wls(formula, data, weights=data[weights].to_numpy(float))
    except Exception as exc:
        raise DataError(
            f"cannot build the model from the formula: {exc}", source="linear_model"
        ) from exc
    if model.exog.shape[0] <= model.exog.shape[1]:
        raise DataError(
            f"{model.exog.shape[0]} rows for {model.exog.shape[1]} coefficients; need more respondents",
            source="linear_model",
        )
    if np.linalg.matrix_rank(model.exog) < model.exog.shape[1]:
        raise DataError(
            "the predictors are perfectly collinear (one is a combination of others); "
            f"terms: {model.exog_names}",
            source="linear_model",
        )
    if cov == "cluster":
        groups = pd.factorize(data[cluster])[0]
        if groups.max() < 1:
            raise DataError("cluster-robust errors need at least 2 clusters", source="linear_model")
        # use_t: t(G - 1) inference after clustering (statsmodels sets df_resid_inference)
        res = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    else:
        res = model.fit(cov_type=cov, use_t=True)
    return LinearResult(
        params=res.params,
        bse=res.bse,
        r2=float(res.rsquared),
        nobs=int(res.nobs),
        cov_type=cov,
        formula=formula,
        fit=res,
        notes=sparse_levels(data, formula, min_n),
    )
