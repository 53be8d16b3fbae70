"""Run the uncertainty analysis on the assessment engine's result.

:func:`inputs_from_result` turns a :func:`kmmodel.score` result into the array core's
inputs: the achievement matrix (``res.achievement()``, with missing observations as
NaN so the missing-data policy can vary), the scheme's weights and dimensions, the
ranking groups, bonus/penalty points as a fixed offset, vetoes as grade caps (a
``zero_dimension`` veto zeroes that dimension's achievement; ``disqualify`` fixes the
total at 0), the grade bands and the top-grade quota. With these, the nominal draw
reproduces the engine's totals, ranks and grades.

:func:`scheme_uncertainty` and :func:`scheme_sensitivity` run
:func:`~kmmodel.uncertainty.rank_uncertainty` and
:func:`~kmmodel.uncertainty.sobol.rank_sensitivity` on them, with the scheme's own
aggregation and missing-data policy as the nominal (first) options; the engine's
``weighted_sum``, ``geometric`` and ``weakest_link`` (the same method at both levels)
map to the array core's ``arithmetic``, ``geometric`` (with no achievement floor, as the
engine) and ``weakest_link``. :func:`target_alternatives` re-scores the observations
with every target scaled (a reform); :func:`~kmmodel.uncertainty.rules.scheme_alternatives`
crosses such target alternatives with perturbed rule parameters, two discrete factors
(``targets``, ``rule parameters``) of the draws.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmmodel.errors import DataError
from kmmodel.uncertainty.perturb import Perturbation

__all__ = [
    "SchemeInputs",
    "inputs_from_result",
    "scheme_sensitivity",
    "scheme_uncertainty",
    "spread_sweep",
    "target_alternatives",
]

_AGG = {"weighted_sum": "arithmetic", "geometric": "geometric", "weakest_link": "weakest_link"}
_MISSING = {"zero": "zero", "rescale": "reweight", "error": "zero"}


@dataclass(frozen=True)
class SchemeInputs:
    """The array core's inputs taken from a scored scheme (see :func:`inputs_from_result`)."""

    achievement: pd.DataFrame | dict
    weights: pd.Series
    dimensions: pd.Series
    groups: pd.Series
    vetoed: pd.Series
    offset: pd.Series
    cap: float
    grades: dict
    top_grade_share: float | None
    aggregation: str
    missing: str

    def kwargs(self) -> dict:
        """Keyword arguments shared by ``rank_uncertainty`` and ``rank_sensitivity``."""
        return {
            "achievement": self.achievement,
            "weights": self.weights,
            "dimensions": self.dimensions,
            "groups": self.groups,
            "offset": self.offset,
            "cap": self.cap,
        }

    def nominal(self, perturbation: Perturbation | None = None) -> Perturbation:
        """``perturbation`` with the scheme's aggregation and missing policy as nominal.

        A choice given with one option is not varied: the scheme's own is used. With
        several options, the scheme's own is put first and the others follow. When the
        scheme itself aggregates geometrically, the geometric floor is 0 (the engine's
        geometric mean: a zero achievement zeroes the score), so the nominal draw
        reproduces the engine.
        """
        p = Perturbation() if perturbation is None else perturbation

        def order(own: str, options: tuple[str, ...]) -> tuple[str, ...]:
            if len(options) <= 1:
                return (own,)
            return (own, *[o for o in options if o != own])

        return dataclasses.replace(
            p,
            aggregation=order(self.aggregation, p.aggregation),
            missing=order(self.missing, p.missing),
            geometric_floor=0.0 if self.aggregation == "geometric" else p.geometric_floor,
        )


def _achievement(res, scheme) -> pd.DataFrame:
    A = res.achievement()
    pts = res.points
    if "status" in pts.columns:  # missing observations back to NaN, whatever the policy
        gone = pts[(pts["status"] != "ok") & pts["indicator"].isin(A.columns)]
        if len(gone):
            gap = (
                gone.assign(flag=True)
                .pivot_table(index="unit", columns="indicator", values="flag", aggfunc="any")
                .reindex(index=A.index, columns=A.columns)
                .fillna(False)
                .astype(bool)
            )
            A = A.mask(gap.to_numpy())
    dims = scheme.indicators.set_index("id")["dimension"]
    for v in res.vetoes.itertuples(index=False):
        if v.action == "zero_dimension":
            cols = [c for c in A.columns if dims[c] == dims[v.indicator]]
            A.loc[v.unit, cols] = 0.0
        elif v.action == "disqualify":
            A.loc[v.unit, :] = 0.0
    return A


def inputs_from_result(res) -> SchemeInputs:
    """The uncertainty analysis' inputs from a :func:`kmmodel.score` result.

    Parameters
    ----------
    res : ScoreResult
        ``km.score(scheme, observations)``.

    Returns
    -------
    SchemeInputs

    Raises
    ------
    DataError
        The scheme aggregates with different methods at the two levels (the array core
        reproduces one method at both levels).
    """
    scheme = res.scheme
    spec = scheme.spec
    agg = spec.aggregation
    if agg.indicators != agg.dimensions or agg.indicators not in _AGG:
        raise DataError(
            f"aggregation {agg.indicators}/{agg.dimensions}: the uncertainty analysis "
            "reproduces weighted_sum, geometric or weakest_link at both levels only",
            source=scheme.source,
        )
    A = _achievement(res, scheme)
    weights = scheme.weights().loc[A.columns]
    dims = scheme.indicators.set_index("id").loc[A.columns, "dimension"]
    table = res.table.set_index("unit").loc[A.index]
    names = list(scheme.grade_names)
    cap_idx = pd.Series(0, index=A.index)
    offset = table["bonus"].astype(float).copy() if "bonus" in table else pd.Series(0.0, A.index)
    for v in res.vetoes.itertuples(index=False):
        if v.action == "disqualify":
            ci = len(names) - 1
            offset[v.unit] = -2.0 * scheme.total  # clipped to 0 under any weights
        else:
            cg = scheme.indicator(v.indicator).rule.cap_grade
            ci = names.index(cg) if cg is not None else min(1, len(names) - 1)
        cap_idx[v.unit] = max(cap_idx[v.unit], ci)
    vetoed = cap_idx.map(lambda i: names[i] if i > 0 else "")
    return SchemeInputs(
        achievement=A,
        weights=weights,
        dimensions=dims,
        groups=table["group"],
        vetoed=vetoed,
        offset=offset,
        cap=float(scheme.total),
        grades={g.name: float(g.min) for g in spec.grades},
        top_grade_share=spec.excellent_share_cap,
        aggregation=_AGG[agg.indicators],
        missing=_MISSING[spec.missing],
    )


def _as_matrix(a):
    return _achievement(a, a.scheme) if hasattr(a, "achievement") else a


def _with_alternatives(inputs: SchemeInputs, alternatives) -> dict:
    from kmmodel.uncertainty.rules import SchemeAlternatives

    kw = inputs.kwargs()
    if isinstance(alternatives, SchemeAlternatives):
        names = alternatives.names
        alts = {names[0]: inputs.achievement}  # the nominal combination is ``res`` itself
        for name, a in zip(names[1:], alternatives.results[1:]):
            alts[name] = _as_matrix(a)
        kw["achievement"] = alts
        kw["alternative_factors"] = alternatives.factors or None
    elif alternatives:
        alts = {"nominal": inputs.achievement}
        for name, a in alternatives.items():
            alts[str(name)] = _as_matrix(a)
        kw["achievement"] = alts
    return kw


def scheme_uncertainty(
    res,
    perturbation: Perturbation | None = None,
    *,
    alternatives=None,
    n_draws: int = 1000,
    seed=0,
    top: int = 3,
    keep_draws: bool = False,
):
    """Rank and grade uncertainty of a scored scheme.

    Parameters
    ----------
    res : ScoreResult
        ``km.score(scheme, observations)``: the nominal result.
    perturbation : Perturbation, optional
        What varies; the scheme's own aggregation and missing-data policy are made the
        first (nominal) options.
    alternatives : SchemeAlternatives or mapping name -> ScoreResult or matrix, optional
        The same observations scored under other targets and rule parameters: a grid
        from :func:`~kmmodel.uncertainty.rules.scheme_alternatives` (each draw picks a
        level of each factor, ``targets`` and ``rule parameters``), or a mapping (e.g.
        :func:`target_alternatives`: one factor ``alternatives``; each draw picks the
        nominal or one of these).
    n_draws, seed, top, keep_draws
        As in :func:`~kmmodel.uncertainty.rank_uncertainty`.

    Returns
    -------
    RankUncertainty
    """
    from kmmodel.uncertainty.ranks import rank_uncertainty

    inputs = inputs_from_result(res)
    return rank_uncertainty(
        **_with_alternatives(inputs, alternatives),
        perturbation=inputs.nominal(perturbation),
        n_draws=n_draws,
        seed=seed,
        grades=inputs.grades,
        vetoed=inputs.vetoed,
        top_grade_share=inputs.top_grade_share,
        top=top,
        keep_draws=keep_draws,
    )


def scheme_sensitivity(
    res,
    perturbation: Perturbation | None = None,
    *,
    alternatives=None,
    output: str = "rank",
    n: int = 256,
    seed=0,
    num_resamples: int = 200,
):
    """Sobol indices of each unit's rank (or score) in a scored scheme.

    Parameters as in :func:`scheme_uncertainty`; ``output``, ``n`` and
    ``num_resamples`` as in :func:`~kmmodel.uncertainty.sobol.rank_sensitivity`.
    """
    from kmmodel.uncertainty.sobol import rank_sensitivity

    inputs = inputs_from_result(res)
    return rank_sensitivity(
        **_with_alternatives(inputs, alternatives),
        perturbation=inputs.nominal(perturbation),
        output=output,
        n=n,
        seed=seed,
        num_resamples=num_resamples,
    )


def target_alternatives(
    scheme, observations: pd.DataFrame, factors: Sequence[float] = (0.95, 1.05)
) -> dict:
    """Score the observations with every target made easier or harder by a factor.

    Parameters
    ----------
    scheme : Scheme
        The nominal scheme.
    observations : DataFrame
        Long observations (unit, indicator, value).
    factors : sequence of float
        Difficulty multipliers [ratio]: a factor above 1 makes every target harder
        (higher-is-better targets times the factor, lower-is-better targets divided by
        it), below 1 easier. Targets in ``share`` units that were at most 1 stay at most
        1 (a completion rate cannot exceed 100 %).

    Returns
    -------
    dict
        ``"targets x1.05"`` -> ScoreResult, ... (pass as ``alternatives``).
    """
    import kmmodel as km
    from kmmodel.uncertainty.rules import scale_targets

    bad = [f for f in factors if not (isinstance(f, int | float) and np.isfinite(f) and f > 0)]
    if bad or not factors:
        raise DataError(f"factors: expected positive target multipliers, got {list(factors)}")
    return {f"targets x{f:g}": km.score(scale_targets(scheme, f), observations) for f in factors}


def _spread_scenario(params: dict, rng, res, robust_width: int, top: int) -> dict:
    """One scenario of :func:`spread_sweep` (module level, so process pools can pickle it)."""
    pert = Perturbation(spread=params["spread"], dimension_spread=params["dimension_spread"])
    out = scheme_uncertainty(res, pert, n_draws=params["n_draws"], seed=rng, top=top)
    t = out.table
    return {
        "n_robust": int((t["rank_width"] <= robust_width).sum()),
        "share_robust": float((t["rank_width"] <= robust_width).mean()),
        "mean_width": float(t["rank_width"].mean()),
        "max_width": int(t["rank_width"].max()),
        "p_top_changed": float(out.sets.loc[out.sets["set"] == "top", "p_changed"].max()),
        "p_grade_changed": float(1 - t["p_grade"].mean()),
    }


def spread_sweep(
    res,
    spreads: Sequence[float] = (0.1, 0.2, 0.3, 0.4),
    dimension_spreads: Sequence[float] | None = None,
    *,
    n_draws: int = 1000,
    seed=0,
    executor: Executor | None = None,
    robust_width: int = 1,
    top: int = 2,
) -> pd.DataFrame:
    """How much weight uncertainty can the ranking bear? A :mod:`kmmodel.sweep` study.

    Runs :func:`scheme_uncertainty` for every (indicator spread, dimension spread) pair
    through :func:`kmmodel.sweep.run`, so it runs unchanged on a process pool or a dask
    cluster (``executor``); each scenario has its own reproducible stream.

    Parameters
    ----------
    res : ScoreResult
        ``km.score(scheme, observations)``.
    spreads : sequence of float
        Indicator-weight spreads [share 0-1], each in [0, 1).
    dimension_spreads : sequence of float, optional
        Dimension-point spreads [share 0-1]; default: the same as ``spreads`` (paired).
    n_draws : int
        Draws per scenario.
    seed : int or Generator
    executor : concurrent.futures.Executor, optional
    robust_width : int
        A rank is robust when its 5-95 % interval spans at most this many places.
    top : int
        Size of the top set per group.

    Returns
    -------
    DataFrame
        ``scenario``, ``spread``, ``dimension_spread``, ``n_draws``, ``n_robust``,
        ``share_robust`` [share 0-1], ``mean_width``, ``max_width`` [places],
        ``p_top_changed`` (largest over groups) and ``p_grade_changed`` (mean over units)
        [share 0-1].
    """
    from kmmodel import sweep

    spreads = list(spreads)
    dims = spreads if dimension_spreads is None else list(dimension_spreads)
    if len(dims) != len(spreads):
        raise DataError(
            f"dimension_spreads: expected {len(spreads)} values (one per spread), got {len(dims)}"
        )
    for sp, ds in zip(spreads, dims):
        Perturbation(spread=sp, dimension_spread=ds)  # validates every pair up front
    scenarios = [
        {"spread": sp, "dimension_spread": ds, "n_draws": n_draws} for sp, ds in zip(spreads, dims)
    ]
    func = functools.partial(_spread_scenario, res=res, robust_width=robust_width, top=top)
    return sweep.run(func, scenarios, executor=executor, seed=seed, errors="raise")
