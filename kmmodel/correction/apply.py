"""Apply correction methods to a real scheme, observations and shock data (as reforms).

:func:`apply` scores the baseline with the assessment engine (``km.score``), builds
the standard :class:`~kmmodel.correction.Panel` of the scheme's scored indicators
(this year's and last year's observations, the shocks of the year and the indicator
sensitivities) and runs every chosen method on it. Methods that change values or
targets (``coefficient``, ``target_rebase``, ``counterfactual``) are re-scored by the
engine itself, so every rule type (ratio, linear, steps, rank, grade, formula,
deduction) applies unchanged; targets that differ by unit are scored with one
``set_target`` reform per distinct target set. The baseline scheme and the input
frames are never modified.

Totals: each method's outcome — indicator scores [share 0-1] and per-unit indicator
weights [points] — goes through the engine's own aggregation with
:func:`kmmodel.scoring.score_achievement`: dimension and total aggregation of the
scheme (weighted sum, geometric or weakest link), vetoes (a ``zero_dimension`` veto
still zeroes the dimension, ``disqualify`` still gives 0, grade caps still hold),
bonus and penalty items, clipping to [0, scheme total], grade bands, the cap on the
share of excellent grades and ranks within ranking groups. ``none`` therefore equals
``km.score`` exactly. For ``reweight`` the dropped weight is redistributed inside the
indicator's dimension; a dimension with nothing left is left out of the unit's total
and the other dimensions are rescaled.

Notes
-----
``target_rebase`` only moves rules that use a target (ratio, linear, formula,
pass/fail); ``steps``, ``rank``, ``grade`` and ``deduction`` rules ignore targets.
Growth-rate indicators (``scale = growth`` in the sensitivity table) are corrected on
the level ``1 + rate``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kmmodel.correction import shocks as shock_data
from kmmodel.correction.bench import _methods
from kmmodel.correction.methods import Panel
from kmmodel.errors import DataError, Problems

__all__ = ["Application", "apply", "build_panel"]

_PLACEHOLDER_TARGET = 1.0  # for rules without a target (rank, grade, deduction)


def _value_matrix(
    scheme, observations: pd.DataFrame, units: list[str], inds: list[str]
) -> np.ndarray:
    """Units x scored indicators of numeric values (grade letters -> 1-based positions)."""
    obs = observations.loc[observations["indicator"].isin(inds)]
    val = pd.to_numeric(obs["value"], errors="coerce")
    if val.isna().any():
        letters = obs.loc[val.isna()]
        pos = [
            list(getattr(scheme.indicator(i).rule, "levels", {})).index(str(v).strip()) + 1
            if str(v).strip() in getattr(scheme.indicator(i).rule, "levels", {})
            else np.nan
            for i, v in zip(letters["indicator"], letters["value"], strict=True)
        ]
        val = val.copy()
        val.loc[letters.index] = pos
    wide = pd.DataFrame(
        {"unit": obs["unit"].astype(str), "indicator": obs["indicator"].astype(str), "value": val}
    )
    wide = wide.pivot_table(index="unit", columns="indicator", values="value", aggfunc="first")
    return wide.reindex(index=units, columns=inds).to_numpy(dtype=float)


@dataclass(frozen=True)
class _Context:
    scheme: object
    other: pd.DataFrame  # observations of non-scored indicators (vetoes, bonus, penalty)
    units: list
    inds: list
    growth: np.ndarray  # (I,) bool
    base_target: np.ndarray  # (I,) panel form, placeholder where no target
    has_target: np.ndarray  # (I,) bool
    unit_frame: pd.DataFrame | None
    missing: np.ndarray  # (U, I) bool: no observation, stays missing when re-scored
    raw: np.ndarray  # (U, I) observed values as the engine reads them (NaN = missing)
    actual: np.ndarray  # (U, I) the panel's actual values (level form)
    base_ach: np.ndarray  # (U, I) the engine's baseline achievements (missing = 0)


def _engine_scorer(ctx: _Context):
    """A Panel scorer that re-scores values (and unit-specific targets) with ``km.score``."""
    # lazy: the engine pulls pydantic (scheme models), which the simulation bench
    # (``import kmmodel.correction``) does not need
    from kmmodel.scheme import reform
    from kmmodel.scoring import score

    def achievement(scheme, raw_v: np.ndarray) -> np.ndarray:
        u_idx, i_idx = np.nonzero(~np.isnan(raw_v))
        obs = pd.DataFrame(
            {
                "unit": np.asarray(ctx.units, dtype=object)[u_idx],
                "indicator": np.asarray(ctx.inds, dtype=object)[i_idx],
                "value": raw_v[u_idx, i_idx],
            }
        )
        res = score(scheme, pd.concat([obs, ctx.other], ignore_index=True), units=ctx.unit_frame)
        a = res.achievement().reindex(index=ctx.units, columns=ctx.inds)
        return np.array(a.fillna(0.0).to_numpy(dtype=float), copy=True)

    def scorer(value: np.ndarray, target: np.ndarray, direction: np.ndarray) -> np.ndarray:
        value = np.asarray(value, dtype=float)
        same = value == ctx.actual  # unchanged cells keep the observed value bit for bit
        raw_v = np.where(ctx.missing | same, ctx.raw, np.where(ctx.growth, value - 1.0, value))
        t = np.broadcast_to(np.asarray(target, dtype=float), value.shape)
        moved = ctx.has_target & ~np.isclose(t, ctx.base_target, rtol=1e-12, atol=0)
        rows = np.flatnonzero(moved.any(axis=1))
        if same.all() and not rows.size:
            return ctx.base_ach.copy()
        out = achievement(ctx.scheme, raw_v)
        if rows.size:
            raw_t = np.where(ctx.growth, t - 1.0, t)
            keys = [tuple(np.where(moved[r], raw_t[r], np.nan)) for r in rows]
            for key in dict.fromkeys(keys):  # one reform per distinct target set
                s = ctx.scheme
                for j in np.flatnonzero(~np.isnan(np.asarray(key))):
                    s = reform.set_target(s, ctx.inds[j], float(key[j]))
                take = rows[[k == key for k in keys]]
                out[take] = achievement(s, raw_v)[take]
        return out

    return scorer


def build_panel(
    scheme,
    observations: pd.DataFrame,
    previous_observations: pd.DataFrame,
    shocks: pd.DataFrame,
    sensitivity: pd.DataFrame,
    *,
    previous_scheme=None,
    units: pd.DataFrame | None = None,
):
    """The standard-form Panel of a scheme's year, plus the engine's baseline result.

    Parameters
    ----------
    scheme : Scheme
        The assessment scheme of the year (``km.load_scheme``); never modified.
    observations, previous_observations : DataFrame
        Long ``unit, indicator, value`` tables of the year and of the year before.
    shocks, sensitivity : DataFrame
        See :mod:`kmmodel.correction.shocks`; rows of ``scheme.year`` are used.
    previous_scheme : Scheme, optional
        The previous year's scheme (for the previous year's scores); default ``scheme``.
    units : DataFrame, optional
        ``unit`` and the scheme's ranking-group column (default: one group for all).

    Returns
    -------
    (Panel, ScoreResult)
    """
    from kmmodel.scoring import score  # lazy, as in _engine_scorer (pydantic)

    base = score(scheme, observations, units=units)
    unit_ids = list(base.achievement().index.astype(str))
    inds = list(base.achievement().columns.astype(str))
    probs = Problems(source="correction.apply")
    for name, df in (
        ("observations", observations),
        ("previous observations", previous_observations),
    ):
        if not isinstance(df, pd.DataFrame) or not {"unit", "indicator", "value"} <= set(
            df.columns
        ):
            probs.add("expected a DataFrame with columns unit, indicator, value", name)
    probs.raise_if_any(DataError)
    all_inds = scheme.indicators["id"].tolist()
    shock_data.validate(
        shocks, sensitivity, units=unit_ids, indicators=all_inds, source="shocks / sensitivity"
    )
    non_scored = sorted(set(sensitivity["indicator"]) - set(inds))
    if non_scored:
        raise DataError(
            f"sensitivity given for indicator(s) {non_scored} that carry no score (vetoes, bonus or "
            "penalty items cannot be corrected)",
            source="sensitivity",
        )
    ind_table = scheme.indicators.set_index("id").loc[inds]
    scale = sensitivity.drop_duplicates("indicator").set_index("indicator")["scale"]
    growth = scale.reindex(inds).fillna("level").eq("growth").to_numpy()
    target = ind_table["target"].to_numpy(dtype=float)
    has_target = ~np.isnan(target)
    base_target = np.where(has_target, np.where(growth, 1.0 + target, target), _PLACEHOLDER_TARGET)
    prev_scheme = scheme if previous_scheme is None else previous_scheme
    prev_target = (
        prev_scheme.indicators.set_index("id")["target"].reindex(inds).to_numpy(dtype=float)
    )
    prev_target = np.where(
        ~np.isnan(prev_target),
        np.where(growth, 1.0 + prev_target, prev_target),
        _PLACEHOLDER_TARGET,
    )

    def panel_values(obs):
        v = _value_matrix(scheme, obs, unit_ids, inds)
        return np.where(growth, 1.0 + v, v)

    raw = _value_matrix(scheme, observations, unit_ids, inds)
    actual = np.where(growth, 1.0 + raw, raw)
    previous = panel_values(previous_observations)
    previous = np.where(np.isnan(previous), actual, previous)  # no history: no change assumed
    prev_res = score(prev_scheme, previous_observations, units=units)
    prev_score = prev_res.achievement().reindex(index=unit_ids, columns=inds).fillna(0.0).to_numpy()
    exposure, months, sens = shock_data.arrays(shocks, sensitivity, unit_ids, inds, scheme.year)
    missing = np.isnan(actual)  # nothing observed, nothing to correct: kept missing
    sens = np.where(missing, 0.0, sens)
    groups = base.table.set_index("unit")["group"].reindex(unit_ids).astype(str)
    ctx = _Context(
        scheme=scheme,
        other=observations.loc[
            ~observations["indicator"].isin(inds), ["unit", "indicator", "value"]
        ],
        units=unit_ids,
        inds=inds,
        growth=growth,
        base_target=base_target,
        has_target=has_target,
        unit_frame=units,
        missing=missing,
        raw=raw,
        actual=np.where(missing, 1.0, actual),
        base_ach=base.achievement().reindex(index=unit_ids, columns=inds).fillna(0.0).to_numpy(),
    )
    panel = Panel(
        actual=np.where(missing, 1.0, actual),  # placeholder; re-scored as missing
        target=base_target,
        previous=np.where(np.isnan(previous), 1.0, previous),
        previous_target=prev_target,
        exposure=exposure,
        months=months,
        sensitivity=sens,
        weights=scheme.weights().reindex(inds).to_numpy(dtype=float),
        direction=np.where(ind_table["direction"].to_numpy() == "lower", -1.0, 1.0),
        group=pd.factorize(groups)[0],
        scorer=_engine_scorer(ctx),
        prev_score=prev_score,
        unit_ids=tuple(unit_ids),
        indicator_ids=tuple(inds),
    )
    panel.check(units=unit_ids, indicators=inds, source="correction.apply")
    return panel, base


@dataclass(frozen=True)
class Application:
    """Results of :func:`apply`.

    Attributes
    ----------
    table : DataFrame
        Long: method, unit, name_zh, group, exposure [share 0-1], total [points],
        change [points] (against the baseline), grade, rank (within the group, 1 = best).
    baseline : ScoreResult
        The engine's result for the untouched scheme.
    panel : Panel
        The standard-form data the methods saw.
    results : dict
        ``{method: ScoreResult}``, the engine's full result under each method
        (``.explain(unit)``, ``.points``, ``.vetoes``).
    """

    table: pd.DataFrame
    baseline: object
    panel: Panel
    results: Mapping = field(default_factory=dict)

    def wide(self, column: str = "rank") -> pd.DataFrame:
        """Units x methods view of ``column`` (``rank``, ``total``, ``grade``, ``change``)."""
        t = self.table
        out = t.pivot(index="unit", columns="method", values=column)
        methods = list(dict.fromkeys(t["method"]))
        order = t.loc[t["method"] == methods[0]].sort_values(["group", "rank"])["unit"]
        return out.reindex(index=order.to_numpy(), columns=methods)


def apply(
    methods: Sequence[str] | Mapping | None = None,
    *,
    scheme,
    observations: pd.DataFrame,
    previous_observations: pd.DataFrame,
    shocks: pd.DataFrame,
    sensitivity: pd.DataFrame,
    previous_scheme=None,
    units: pd.DataFrame | None = None,
    params: Mapping[str, dict] | None = None,
) -> Application:
    """Run correction methods on a scheme's year as reforms of the baseline.

    The shipped Kunming example is
    ``apply(methods, **km.examples.correction_inputs(year=2025))``.

    Parameters
    ----------
    methods : names, functions or {name: function}, optional
        Default: every method in :data:`~kmmodel.correction.METHODS`.
    scheme : Scheme
        The scheme of the assessment year (its ``year`` selects the shocks).
    previous_scheme : Scheme, optional
        The previous year's scheme; default ``scheme``.
    observations, previous_observations : DataFrame
        Long ``unit, indicator, value`` tables of the year and of the year before.
    shocks, sensitivity : DataFrame
        See :mod:`kmmodel.correction.shocks`.
    units : DataFrame, optional
        Units with their ranking group (and ``name_zh`` for the table); default: one
        group for all units, labelled by their ids.
    params : dict, optional
        ``{method: {param: value}}``, e.g. ``{"coefficient": {"k": 0.8}}``.

    Returns
    -------
    Application
        ``.table`` (long), ``.wide("rank")``, ``.baseline``, ``.panel``, ``.results``
        (the engine's ScoreResult per method).

    Raises
    ------
    DataError
        Unknown methods or units/indicators in the shock tables, exposure outside
        [0, 1], coefficient parameters that would divide by zero or flip signs.
    """
    from kmmodel.correction.bench import _param_problems

    chosen = _methods(methods, params)
    panel, base = build_panel(
        scheme,
        observations,
        previous_observations,
        shocks,
        sensitivity,
        previous_scheme=previous_scheme,
        units=units,
    )
    from kmmodel.scoring import score_achievement  # lazy, as above (pydantic)

    unit_ids = list(base.achievement().index.astype(str))
    inds = list(panel.indicator_ids)
    engine_total = base.table.set_index("unit")["total"].reindex(unit_ids).to_numpy(dtype=float)
    name_zh = (
        units.set_index("unit")["name_zh"].reindex(unit_ids).astype(object).to_numpy()
        if units is not None and "name_zh" in units.columns
        else np.asarray(unit_ids, dtype=object)
    )
    outcomes, probs = {}, Problems(source="correction.apply")
    for name, (func, kw) in chosen.items():  # every method's bad parameters, all at once
        bad = _param_problems(func, kw)  # names and types first: no numpy message for 'abc'
        for p in bad:
            probs.add(f"bad parameters: {p}", f"method {name}")
        if bad:
            continue
        try:
            outcomes[name] = func(panel, **kw)
        except TypeError as exc:
            probs.add(f"bad parameters {sorted(kw)}: {exc}", f"method {name}")
        except DataError as exc:
            for problem in exc.problems:
                probs.add(str(problem), f"method {name}")
    probs.raise_if_any(DataError)
    frames, results = [], {}
    for name, adj in outcomes.items():
        res = score_achievement(
            scheme,
            observations,
            pd.DataFrame(np.broadcast_to(adj.score, panel.shape), index=unit_ids, columns=inds),
            pd.DataFrame(np.broadcast_to(adj.weight, panel.shape), index=unit_ids, columns=inds),
            units=units,
            source=f"correction {name}",
        )
        results[name] = res
        t = res.table.set_index("unit").reindex(unit_ids)
        total = t["total"].to_numpy(dtype=float)
        frames.append(
            pd.DataFrame(
                {
                    "method": name,
                    "unit": unit_ids,
                    "name_zh": name_zh,
                    "group": t["group"].astype(str).to_numpy(),
                    "exposure": panel.exposure,
                    "total": total,
                    "change": np.round(total - engine_total, 10),
                    "grade": t["grade"].to_numpy(dtype=object),
                    "rank": t["rank"].to_numpy(dtype=int),
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    return Application(table=table, baseline=base, panel=panel, results=results)
