"""Scenario predictions: what a change in service ratings does to the satisfaction index.

A scenario adds points to attribute ratings (e.g. ``{"transport": 1}``: every
respondent rates transport one point higher, capped at the top of the scale) and
predicts each respondent's expected overall answer before and after with a fitted
model. The change is reported on the 0-100 index scale, so a cost-benefit study
can compute cost per satisfaction point = cost [yuan] / ``ScenarioResult.change``.

Uncertainty comes from the model's parameter estimates: ``n_draws`` parameter
vectors are drawn from their asymptotic normal distribution (seeded) and the
scenario is recomputed for each (King, Tomz & Wittenberg 2000). The covariance is
the model's own: the sandwich (robust or cluster) covariance for a survey-weighted
``ordered_model(..., weights="weight")``, the inverse Hessian for an unweighted one.

Weights enter twice, for two reasons. The *model* may be fitted with survey
weights (design-consistent slopes; recommended, and what notebook 04 does). The
*averages* over respondents always use the survey weights by default
(``weights="weight"``), whatever the model: the change is a population average,
and the sample over-represents some groups.

References
----------
King, G., Tomz, M. & Wittenberg, J. (2000). Making the most of statistical analyses:
improving interpretation and presentation. *American J. Political Science* 44(2), 347-361.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems
from kmmodel.rng import SeedLike, as_generator
from kmmodel.satisfaction.index import to_index
from kmmodel.satisfaction.linear import LinearResult
from kmmodel.satisfaction.ordered import OrderedResult, _cdf_pdf
from kmmodel.satisfaction.schema import SCALE

__all__ = ["ScenarioResult", "index_change_per_point", "scenario"]


@dataclass
class ScenarioResult:
    """Predicted satisfaction under a scenario.

    Attributes
    ----------
    table : DataFrame
        One row per group (``by``), then a row ``"all"``: ``<by>``, ``n``
        [respondents], ``baseline``, ``scenario``, ``change`` [index points 0-100,
        survey-weighted mean of respondents' expected answers], ``low``, ``high``
        (interval of ``change``; NaN when ``n_draws=0``), and for ordered models
        ``baseline_top2``, ``scenario_top2`` [share 0-1 answering in the top two boxes].
    change : float
        Weighted mean change over all respondents [index points 0-100].
    low, high : float
        Interval of ``change`` (NaN without draws) [index points].
    changes : dict
        The scenario: column -> points added.
    """

    table: pd.DataFrame
    change: float
    low: float
    high: float
    changes: dict


def _apply(data: pd.DataFrame, changes: Mapping[str, float], scale, clip: bool) -> pd.DataFrame:
    probs = Problems(source="scenario")
    if not changes:
        probs.add("no changes given; pass e.g. {'transport': 1}", "changes")
    for col, delta in changes.items():
        if col not in data.columns:
            probs.add(f"column {col!r} not found in the data", "changes")
        elif not np.isfinite(float(delta)):
            probs.add(f"change must be a finite number, got {delta!r}", f"changes[{col!r}]")
        elif not pd.api.types.is_numeric_dtype(data[col]):
            probs.add(f"column {col!r} is not numeric", "changes")
    probs.raise_if_any(DataError)
    out = data.copy()
    for col, delta in changes.items():  # a handful of columns, each vectorised
        new = out[col].astype(float) + float(delta)
        out[col] = new.clip(scale[0], scale[1]) if clip else new
    return out


def _draws(result, n_draws: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """(slopes, cut-points) draws, each row one parameter vector."""
    fit = result.fit
    mean = np.asarray(fit.params, float)
    cov = np.asarray(fit.cov_params(), float)
    theta = rng.multivariate_normal(mean, cov, size=n_draws, method="eigh")
    if isinstance(result, OrderedResult):
        k = len(result.params)
        th = theta[:, k:]
        cuts = th[:, :1] + np.concatenate(
            [np.zeros((n_draws, 1)), np.cumsum(np.exp(th[:, 1:]), axis=1)], axis=1
        )
        return theta[:, :k], cuts
    return theta, np.empty((n_draws, 0))


def scenario(
    result: OrderedResult | LinearResult,
    data: pd.DataFrame,
    changes: Mapping[str, float],
    *,
    by: str | None = "unit",
    weights: str | None = "weight",
    scale: Sequence[int] = SCALE,
    clip: bool = True,
    n_draws: int = 200,
    level: float = 0.95,
    seed: SeedLike = 0,
) -> ScenarioResult:
    """Predicted change in the 0-100 satisfaction index when ratings change.

    Parameters
    ----------
    result : OrderedResult or LinearResult
        A fitted model whose formula uses the changed columns (from
        :func:`ordered_model` or :func:`linear_model`).
    data : DataFrame
        Respondents to predict for (usually the estimation sample).
    changes : mapping
        Column -> points added to every respondent's answer, e.g. ``{"transport": 1}``.
    by : str or None
        Group column for the table (``None``: only the ``"all"`` row).
    weights : str or None
        Survey weights for the averages over respondents (default ``"weight"``:
        population averages); ``None`` for plain sample means. Independent of
        whether ``result`` was fitted with weights.
    scale : (int, int)
        Answer scale of ratings and outcome [points]; ratings are capped to it when
        ``clip`` (nobody rates above 5).
    n_draws : int
        Parameter draws for the interval (0: none).
    level : float
        Interval level [share 0-1].
    seed : int or Generator

    Returns
    -------
    ScenarioResult
        ``.change`` [index points] and ``.table`` (see :class:`ScenarioResult`).

    Examples
    --------
    >>> import kmmodel as km
    >>> from kmmodel import satisfaction as sat
    >>> s = km.datasets.load("survey")
    >>> m = sat.ordered_model(s, "overall ~ health + transport + safety")
    >>> res = sat.scenario(m, s, {"transport": 1}, n_draws=0)
    >>> bool(res.change > 0)
    True
    """
    if not isinstance(result, (OrderedResult, LinearResult)):
        raise DataError(
            f"result must come from ordered_model or linear_model, got {type(result).__name__}",
            source="scenario",
        )
    probs = Problems(source="scenario")
    for col in (by, weights):
        if col is not None and col not in data.columns:
            probs.add(f"column {col!r} not found", "data")
    if n_draws < 0:
        probs.add(f"n_draws must be >= 0, got {n_draws}", "n_draws")
    if not 0 < level < 1:
        probs.add(f"level must be between 0 and 1, got {level}", "level")
    probs.raise_if_any(DataError)
    after = _apply(data, changes, scale, clip)
    w = np.ones(len(data)) if weights is None else data[weights].to_numpy(float)
    if isinstance(result, OrderedResult):
        x0 = result.design(data).to_numpy(float)
        x1 = result.design(after).to_numpy(float)
        slopes, cuts = result.params.to_numpy()[None], result.thresholds.to_numpy()[None]
        scores = result.scores
        lo_hi = (scores.min(), scores.max())
    else:
        from kmmodel.satisfaction._common import design

        spec = result.fit.model.data.model_spec
        x0 = design(spec, data, source="scenario", prediction=True).to_numpy(float)
        x1 = design(spec, after, source="scenario", prediction=True).to_numpy(float)
        slopes, cuts = result.params.to_numpy()[None], None
        lo_hi = tuple(scale)
    if n_draws:
        ds, dc = _draws(result, n_draws, as_generator(seed))
        slopes = np.vstack([slopes, ds])
        cuts = None if cuts is None else np.vstack([cuts, dc])

    def predict(x):  # -> (draws+1, n) expected answers, (draws+1, n) top-two probability
        xb = slopes @ x.T
        if cuts is None:
            return xb, None
        cdf, _ = _cdf_pdf(result.distr)
        edge = np.full((len(cuts), 1), np.inf)
        t = np.concatenate([-edge, cuts, edge], axis=1)  # draws x (K + 1)
        p = np.diff(cdf(t[:, None, :] - xb[:, :, None]), axis=-1)  # draws x n x K
        return p @ scores, p[..., -2:].sum(axis=-1)

    e0, t0 = predict(x0)
    e1, t1 = predict(x1)
    i0, i1 = to_index(e0, lo_hi), to_index(e1, lo_hi)
    if by is None:
        codes, groups = np.zeros(len(data), dtype=int), np.array([], dtype=object)
    else:
        codes, groups = pd.factorize(data[by], sort=True)
    n_g = len(groups)
    # group-and-total weight matrix: (G + 1) x n, rows sum to 1
    member = np.zeros((n_g + 1, len(data)))
    if n_g:
        member[codes, np.arange(len(data))] = w
    member[-1] = w
    member /= member.sum(axis=1, keepdims=True)
    base, scen = member @ i0.T, member @ i1.T  # (G + 1) x (draws + 1)
    diff = scen - base
    alpha = (1 - level) / 2
    has = n_draws > 0
    table = pd.DataFrame(
        {
            (by or "group"): [*map(str, groups), "all"],
            "n": [*np.bincount(codes, minlength=n_g)[:n_g].tolist(), len(data)],
            "baseline": base[:, 0],
            "scenario": scen[:, 0],
            "change": diff[:, 0],
            "low": np.quantile(diff[:, 1:], alpha, axis=1) if has else np.nan,
            "high": np.quantile(diff[:, 1:], 1 - alpha, axis=1) if has else np.nan,
        }
    )
    if t0 is not None:
        table["baseline_top2"] = member @ t0[0]
        table["scenario_top2"] = member @ t1[0]
    total = table.iloc[-1]
    return ScenarioResult(
        table=table,
        change=float(total["change"]),
        low=float(total["low"]),
        high=float(total["high"]),
        changes=dict(changes),
    )


def index_change_per_point(
    result: OrderedResult | LinearResult, data: pd.DataFrame, attribute: str, **kwargs
) -> float:
    """Change in the overall 0-100 index when ``attribute`` rises by one point [index points].

    Shortcut for ``scenario(result, data, {attribute: 1}, by=None, n_draws=0).change``;
    the denominator of "cost per satisfaction point" in cost-benefit studies.
    """
    kwargs.setdefault("n_draws", 0)
    kwargs.setdefault("by", None)
    return scenario(result, data, {attribute: 1}, **kwargs).change
