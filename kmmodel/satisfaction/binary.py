"""Binary "satisfied" model: logit of the top-two-box answer (4 or 5 on a 1-5 scale).

Inference is Wald z (standard normal reference), the convention for maximum-likelihood
models: Stata's ``logit`` (also with ``vce(cluster)``) and R's ``summary.glm`` for the
binomial family report z, since the ML estimator is asymptotically normal (Hosmer et al.
2013, section 1.3). Unlike :func:`~kmmodel.satisfaction.linear_model`, no t correction
is applied; with few clusters (the 14 districts) cluster-robust z intervals are somewhat
narrow (Cameron & Miller 2015, section VI).

References
----------
Hosmer, D. W., Lemeshow, S. & Sturdivant, R. X. (2013). *Applied Logistic Regression*,
3rd ed. Wiley.
Cameron, A. C. & Miller, D. L. (2015). A practitioner's guide to cluster-robust
inference. *J. Human Resources* 50(2), 317-372.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kmmodel.errors import DataError
from kmmodel.satisfaction._common import check_frame, separation_check, sparse_levels
from kmmodel.satisfaction.schema import SCALE

__all__ = ["BinaryResult", "top_box_model"]


@dataclass
class BinaryResult:
    """Fitted top-box logit.

    Attributes
    ----------
    params, bse : Series
        Log-odds coefficients and robust standard errors.
    threshold : int
        Answers ``>= threshold`` count as satisfied [points].
    share : float
        Weighted share satisfied in the sample [share 0-1].
    fit : statsmodels GLM results
    notes : list of str
        Flags, e.g. a unit with too few respondents for a precise effect.
    """

    params: pd.Series
    bse: pd.Series
    threshold: int
    share: float
    nobs: int
    formula: str
    fit: object = field(repr=False)
    notes: list[str] = field(default_factory=list)

    def table(self, level: float = 0.95) -> pd.DataFrame:
        """term, coef, se, z, p, low, high, odds_ratio.

        ``p`` and ``low``/``high`` use the standard normal (Wald z), as Stata's ``logit``
        and R's ``glm`` report them for maximum-likelihood fits; ``level`` is the
        confidence level [share 0-1].
        """
        ci = self.fit.conf_int(alpha=1 - level)
        return pd.DataFrame(
            {
                "term": self.params.index,
                "coef": self.params.to_numpy(),
                "se": self.bse.to_numpy(),
                "z": np.asarray(self.fit.tvalues),
                "p": np.asarray(self.fit.pvalues),
                "low": ci.iloc[:, 0].to_numpy(),
                "high": ci.iloc[:, 1].to_numpy(),
                "odds_ratio": np.exp(self.params.to_numpy()),
            }
        )

    def marginal_effects(self) -> pd.Series:
        """Average marginal effect of each term on P(satisfied) [share 0-1 per unit]."""
        p = np.asarray(self.fit.fittedvalues)
        w = np.asarray(self.fit.model.var_weights)
        dens = float(np.average(p * (1 - p), weights=w))
        out = self.params.drop("Intercept", errors="ignore") * dens
        return out.rename("ame")


def top_box_model(
    data: pd.DataFrame,
    formula: str,
    *,
    top: int = 2,
    scale: tuple[int, int] = SCALE,
    weights: str | None = None,
    cluster: str | None = "unit",
    min_n: int = 30,
) -> BinaryResult:
    """Logit of "satisfied" = the answer is in the top ``top`` boxes of the scale.

    Parameters
    ----------
    data : DataFrame
    formula : str
        ``"overall ~ health + transport + C(unit)"``: the left side is the ordinal
        answer; it is turned into 0/1 here.
    top : int
        Number of top boxes counted as satisfied (2: answers 4-5 on 1-5).
    scale : (int, int)
        Answer scale [points].
    weights : str, optional
        Survey-weight column (pseudo-likelihood; weights rescaled to mean 1).
    cluster : str or None
        Cluster-robust errors by this column (default ``"unit"``); ``None`` for HC0.
    min_n : int
        Levels of ``C(...)`` terms with fewer respondents are listed in ``.notes``.

    Raises
    ------
    DataError
        Bad columns, every answer on one side of the cut, or perfect separation.
    """
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    outcome, _ = check_frame(
        data, formula, source="top_box_model", weights=weights, cluster=cluster
    )
    if not 1 <= top < scale[1] - scale[0] + 1:
        raise DataError(
            f"top must be between 1 and {scale[1] - scale[0]}, got {top}", source="top_box_model"
        )
    threshold = scale[1] - top + 1
    frame = data.copy()
    y = pd.to_numeric(frame[outcome], errors="coerce")
    if y.isna().any():
        raise DataError(f"outcome {outcome!r} must be numeric answers", source="top_box_model")
    frame[outcome] = (y >= threshold).astype(float)
    if frame[outcome].nunique() < 2:
        raise DataError(
            f"every answer is {'at least' if frame[outcome].iloc[0] else 'below'} {threshold}; "
            "a satisfied/not-satisfied model needs both",
            source="top_box_model",
        )
    w = np.ones(len(frame)) if weights is None else frame[weights].to_numpy(float)
    w = w / w.mean()
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = smf.glm(formula, frame, family=sm.families.Binomial(), var_weights=w)
        except Exception as exc:
            raise DataError(
                f"cannot build the model from the formula: {exc}", source="top_box_model"
            ) from exc
        kw = (
            {"cov_type": "cluster", "cov_kwds": {"groups": pd.factorize(frame[cluster])[0]}}
            if cluster
            else {"cov_type": "HC0"}
        )
        res = model.fit(maxiter=100, **kw)
    bad = [
        w_
        for w_ in caught
        if issubclass(w_.category, (PerfectSeparationWarning, ConvergenceWarning))
    ]
    exog = pd.DataFrame(model.exog, columns=model.exog_names)
    separation_check(
        exog,
        res.params,
        [c for c in exog.columns if c != "Intercept"],
        source="top_box_model",
        converged=bool(res.converged) and not bad,
    )
    return BinaryResult(
        params=res.params,
        bse=res.bse,
        threshold=threshold,
        share=float(np.average(frame[outcome], weights=w)),
        nobs=int(res.nobs),
        formula=formula,
        fit=res,
        notes=sparse_levels(data, formula, min_n),
    )
