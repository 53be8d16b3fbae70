"""Uncertain scoring-rule parameters and targets, re-scored through the rules engine.

A scheme's rules carry parameters that are choices as much as its weights: the
completion ratio below which an indicator earns nothing (``floor``) and the one that
earns full marks (``cap``), the zero point of a linear rule, the thresholds of a stepped
rule. :func:`rule_alternatives` draws a few alternative parameter sets, each parameter
independently times ``U(1 - spread, 1 + spread)``, and re-scores the observations under
each through the engine (:func:`kmmodel.score`, vectorised over units), using
:func:`kmmodel.scheme.reform.set_rule`. :func:`scheme_alternatives` crosses them with
target alternatives (every target easier or harder by a factor) into a grid the
uncertainty analysis draws from as two discrete factors, ``targets`` and ``rule
parameters``, each with its own Sobol index.

How a multiplier ``f`` acts on each parameter of the built-in rule types (each rule
class declares its ``parameters`` and moves them in ``perturbed``; :data:`RULE_PARAMETERS`
lists them for every registered type):

=============  ==============  ==============================================================
rule           parameter       perturbed value
=============  ==============  ==============================================================
``ratio``      ``floor``       ``floor * f`` [ratio] (kept at most the cap)
``ratio``      ``cap``         ``cap * f`` [ratio]
``linear``     ``floor``       ``target - (target - floor) * f``: the zero point moves by
                               ``f - 1`` of its distance to the target [indicator unit]
``formula``    ``floor``       as ``linear`` when the indicator has a target, else
                               ``floor * f``
``steps``      ``thresholds``  every threshold ``* f`` (one factor per indicator, so the
                               order of the steps stays)
``rank``       ``worst``       ``worst * f``, within [0, best] [share 0-1]
``deduction``  ``per``         ``per * f`` [points per incident]
=============  ==============  ==============================================================

Grade levels, vetoes, bonus and penalty items are left as they are (qualitative
mappings and adjustments outside the aggregation).

References
----------
OECD/JRC (2008). *Handbook on Constructing Composite Indicators*, section 7: the
uncertainty analysis should cover every subjective choice of the index, not only the
weights.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems
from kmmodel.rng import SeedLike, as_generator
from kmmodel.scheme.rules import parameters_by_type

__all__ = [
    "RULE_PARAMETERS",
    "SchemeAlternatives",
    "perturb_rules",
    "rule_alternatives",
    "rule_parameters",
    "scale_targets",
    "scheme_alternatives",
]

RULE_PARAMETERS = parameters_by_type
"""Rule parameters perturbed, by rule type (a live view of the rule registry: each rule
class declares its ``parameters`` and how a multiplier moves them, ``perturbed``)."""


def rule_parameters(scheme) -> pd.DataFrame:
    """The perturbable rule parameters of a scheme's scored indicators.

    Returns
    -------
    DataFrame
        ``indicator``, ``rule``, ``parameter`` and ``value`` (the nominal value; for
        ``thresholds`` the lowest threshold).
    """
    rows = []
    for ind in scheme.spec.indicators:
        if ind.kind != "score":
            continue
        rule = ind.rule
        for p in rule.parameters:
            value = rule.parameter_value(p)
            if value is None:
                continue
            rows.append(
                {"indicator": ind.id, "rule": rule.type, "parameter": p, "value": float(value)}
            )
    return pd.DataFrame(rows, columns=["indicator", "rule", "parameter", "value"])


def _new_params(ind, factors: Mapping[str, float]) -> dict:
    """Rule parameters of ``ind`` with each ``factors[parameter]`` applied (the rule's own
    :meth:`~kmmodel.scheme.rules.RuleBase.perturbed`)."""
    f = {p: float(v) for p, v in factors.items() if float(v) != 1.0}  # 1: exactly nominal
    return ind.rule.perturbed(ind, f)


def perturb_rules(scheme, factors: Mapping | float):
    """A copy of ``scheme`` with rule parameters multiplied (see the module table).

    Parameters
    ----------
    scheme : Scheme
    factors : float or mapping (indicator, parameter) -> float
        Multipliers [ratio] (> 0). A float applies to every perturbable parameter.

    Returns
    -------
    Scheme
        Re-validated through :func:`kmmodel.scheme.reform.set_rule`; the input is not
        modified.

    Raises
    ------
    DataError
        Unknown indicators or parameters, or multipliers that are not positive numbers,
        all listed at once.
    """
    from kmmodel.scheme import reform

    params = rule_parameters(scheme)
    known = set(zip(params["indicator"], params["parameter"]))
    if not isinstance(factors, Mapping):
        factors = dict.fromkeys(known, factors)
    probs = Problems(source="perturb_rules")
    by_ind: dict[str, dict[str, float]] = {}
    for key, f in factors.items():
        if not (isinstance(key, tuple) and len(key) == 2 and key in known):
            probs.add(
                f"{key!r} is not a perturbable (indicator, parameter) of this scheme; "
                f"expected one of {sorted(known)}",
                where="factors",
            )
            continue
        if not (isinstance(f, int | float | np.floating) and np.isfinite(f) and f > 0):
            probs.add(f"expected a positive multiplier, got {f!r}", where=f"factors{key!r}")
            continue
        by_ind.setdefault(key[0], {})[key[1]] = float(f)
    probs.raise_if_any(DataError)
    for ind_id, fs in by_ind.items():
        new = _new_params(scheme.indicator(ind_id), fs)
        if new:
            scheme = reform.set_rule(scheme, ind_id, **new)
    return scheme


def _draw_factors(params: pd.DataFrame, n: int, spread: float, rng) -> np.ndarray:
    """(n, parameters) multipliers ``U(1 - spread, 1 + spread)``."""
    return rng.uniform(1 - spread, 1 + spread, size=(n, len(params)))


def _check(spread, n, probs: Problems) -> None:
    if not (isinstance(spread, int | float) and np.isfinite(spread) and 0 <= spread < 1):
        probs.add(
            f"expected a share in [0, 1), got {spread!r}: multipliers U(1 - s, 1 + s) must "
            "stay positive",
            where="rule_spread",
        )
    if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 1:
        probs.add(f"expected an integer >= 1, got {n!r}", where="n_rule_sets")


def rule_alternatives(
    scheme,
    observations: pd.DataFrame,
    *,
    spread: float = 0.1,
    n: int = 4,
    seed: SeedLike = 0,
) -> dict:
    """Score the observations under ``n`` randomly perturbed rule-parameter sets.

    Parameters
    ----------
    scheme : Scheme
        The nominal scheme.
    observations : DataFrame
        Long observations (unit, indicator, value).
    spread : float
        Each parameter is multiplied by an independent ``U(1 - spread, 1 + spread)``
        [share 0-1], in [0, 1). With 0 every alternative is the nominal scheme.
    n : int
        Number of alternative parameter sets.
    seed : int or Generator

    Returns
    -------
    dict
        ``"rules #1"`` -> ScoreResult, ... (pass as ``alternatives``); the parameters of
        each are in its ``.scheme``.
    """
    import kmmodel as km

    probs = Problems(source="rule_alternatives")
    _check(spread, n, probs)
    probs.raise_if_any(DataError)
    params = rule_parameters(scheme)
    keys = list(zip(params["indicator"], params["parameter"]))
    F = _draw_factors(params, int(n), float(spread), as_generator(seed))
    return {
        f"rules #{r + 1}": km.score(perturb_rules(scheme, dict(zip(keys, F[r]))), observations)
        for r in range(int(n))
    }


def scale_targets(scheme, factor: float):
    """Every target of a scored indicator made harder (``factor > 1``) or easier.

    Higher-is-better targets are multiplied by ``factor``, lower-is-better targets
    divided by it; targets in ``share`` units that were at most 1 stay at most 1 (a
    completion rate cannot exceed 100 %).
    """
    from kmmodel.scheme import reform

    if not (isinstance(factor, int | float) and np.isfinite(factor) and factor > 0):
        raise DataError(f"factors: expected positive target multipliers, got {factor!r}")
    ind = scheme.indicators
    with_target = ind.loc[ind["target"].notna() & (ind["kind"] == "score")]
    steps = []
    for row in with_target.itertuples(index=False):
        t = row.target * factor if row.direction != "lower" else row.target / factor
        if row.unit == "share" and row.target <= 1:
            t = min(t, 1.0)
        steps.append(lambda s, i=row.id, t=t: reform.set_target(s, i, t))
    return reform.chain(scheme, *steps)


@dataclass(frozen=True)
class SchemeAlternatives:
    """A grid of re-scored alternatives (see :func:`scheme_alternatives`).

    Attributes
    ----------
    factors : tuple of (name, n_levels)
        The discrete factors, e.g. ``(("targets", 3), ("rule parameters", 5))``; level 0
        of each is the scheme as written.
    levels : tuple of tuple of str
        Level names of each factor.
    results : tuple of ScoreResult
        One per combination, row-major (the last factor varies fastest).
    rule_draws : DataFrame
        ``rule set``, ``indicator``, ``rule``, ``parameter``, ``nominal``, ``factor``
        [ratio] and ``value`` of every drawn parameter (the rule sets after the nominal).
    """

    factors: tuple
    levels: tuple
    results: tuple
    rule_draws: pd.DataFrame

    @property
    def names(self) -> list[str]:
        """Names of the combinations, row-major."""
        out = [""]
        for lev in self.levels:
            out = [f"{a} | {b}" if a else b for a in out for b in lev]
        return out if self.levels else ["as written"]


def scheme_alternatives(
    scheme,
    observations: pd.DataFrame,
    *,
    target_factors: Sequence[float] = (0.95, 1.05),
    rule_spread: float = 0.1,
    n_rule_sets: int = 4,
    seed: SeedLike = 0,
) -> SchemeAlternatives:
    """Targets x rule-parameter alternatives, each combination scored by the engine.

    Parameters
    ----------
    scheme : Scheme
        The nominal scheme.
    observations : DataFrame
        Long observations (unit, indicator, value).
    target_factors : sequence of float
        Difficulty multipliers of every target [ratio] (see :func:`scale_targets`); empty:
        targets as written only.
    rule_spread : float
        Spread of the rule-parameter multipliers [share 0-1], in [0, 1); 0 leaves the
        rules as written (no ``rule parameters`` factor).
    n_rule_sets : int
        Number of alternative rule-parameter sets drawn.
    seed : int or Generator
        Seeds the parameter draws.

    Returns
    -------
    SchemeAlternatives
        Pass as ``alternatives`` to :func:`~kmmodel.uncertainty.scheme_uncertainty` or
        :func:`~kmmodel.uncertainty.scheme_sensitivity`. Each draw picks a target level
        and a rule set independently (``(1 + len(target_factors)) * (1 + n_rule_sets)``
        engine runs).
    """
    import kmmodel as km

    probs = Problems(source="scheme_alternatives")
    _check(rule_spread, n_rule_sets, probs)
    tf = list(target_factors)
    bad = [f for f in tf if not (isinstance(f, int | float) and np.isfinite(f) and f > 0)]
    if bad:
        probs.add(f"expected positive target multipliers, got {bad}", where="target_factors")
    probs.raise_if_any(DataError)
    params = rule_parameters(scheme)
    keys = list(zip(params["indicator"], params["parameter"]))
    n_rules = int(n_rule_sets) if rule_spread > 0 and len(params) else 0
    F = _draw_factors(params, n_rules, float(rule_spread), as_generator(seed))
    factors, levels = [], []
    if tf:
        factors.append(("targets", 1 + len(tf)))
        levels.append(("targets as written", *[f"targets x{f:g}" for f in tf]))
    if n_rules:
        factors.append(("rule parameters", 1 + n_rules))
        levels.append(("rules as written", *[f"rules #{r + 1}" for r in range(n_rules)]))
    results = []
    for t in [None, *tf]:
        base = scheme if t is None else scale_targets(scheme, t)
        for r in range(-1, n_rules):
            s = base if r < 0 else perturb_rules(base, dict(zip(keys, F[r])))
            results.append(km.score(s, observations))
    # the parameters as the engine used them (targets as written: results 1..n_rules)
    frames = [
        params.rename(columns={"value": "nominal"}).assign(
            **{
                "rule set": f"rules #{r + 1}",
                "factor": F[r],
                "value": rule_parameters(results[1 + r].scheme)["value"].to_numpy(),
            }
        )
        for r in range(n_rules)
    ]
    cols = ["rule set", "indicator", "rule", "parameter", "nominal", "factor", "value"]
    draws = pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
    return SchemeAlternatives(tuple(factors), tuple(levels), tuple(results), draws)
