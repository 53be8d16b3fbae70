"""Rank intervals, grade probabilities and top/bottom-set stability under perturbation.

Monte Carlo uncertainty analysis of a composite score: draw the uncertain choices
(:class:`~kmmodel.uncertainty.perturb.Perturbation`), score every unit under every
draw (one matrix product per batch), rank, and summarise each unit's rank distribution
by its median and 5-95% interval, its probability of each grade, and how often the
top and bottom sets change. Rank distributions are kept as exact histograms (units x
ranks), so memory does not grow with the number of draws.

References
----------
Saisana, M., Saltelli, A., Tarantola, S. (2005). Uncertainty and sensitivity analysis
techniques as tools for the quality assessment of composite indicators. *J. R. Stat.
Soc. A* 168(2), 307-323 (median rank and 5-95% rank intervals).

OECD/JRC (2008). *Handbook on Constructing Composite Indicators*, section 7.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems
from kmmodel.rng import SeedLike, as_generator
from kmmodel.uncertainty.core import Composite, composite_scores, prepare, rank_within
from kmmodel.uncertainty.perturb import Perturbation

__all__ = ["RankUncertainty", "hist_quantile", "rank_uncertainty"]

DEFAULT_GRADES = {"优秀": 90.0, "良好": 80.0, "一般": 60.0, "较差": 0.0}
"""Illustrative grade bands [points] (excellent / good / fair / poor); pass the scheme's own."""


@dataclass
class RankUncertainty:
    """Result of :func:`rank_uncertainty`.

    Attributes
    ----------
    table : DataFrame
        One row per unit: ``unit``, ``group``, ``score`` (nominal [points]), ``rank``
        (nominal), ``median_rank``, ``rank_p05``, ``rank_p95``, ``rank_width``
        (p95 - p05), ``p_rank`` (probability of keeping the nominal rank), ``score_mean``, ``score_sd`` [points], ``p_top``, ``p_bottom``,
        ``grade`` (nominal), ``p_grade`` (probability of the nominal grade).
    grades : DataFrame
        Units x grades: probability of each grade [share 0-1].
    rank_counts : DataFrame
        Units x ranks (1..largest group size): number of draws giving each rank.
    sets : DataFrame
        ``group``, ``set`` ("top"/"bottom"), ``k``, ``nominal`` (members), ``p_changed``
        (share of draws whose set differs from the nominal set).
    n_draws : int
    ranks : ndarray or None
        Units x draws ranks when ``keep_draws=True``.
    """

    table: pd.DataFrame
    grades: pd.DataFrame
    rank_counts: pd.DataFrame
    sets: pd.DataFrame
    n_draws: int
    perturbation: Perturbation
    ranks: np.ndarray | None = field(default=None, repr=False)

    def robust(self, max_width: int = 2) -> pd.DataFrame:
        """Units whose 5-95% rank interval spans at most ``max_width`` places."""
        return self.table[self.table["rank_width"] <= max_width]


def hist_quantile(counts: np.ndarray, q: float) -> np.ndarray:
    """Quantile of integer ranks (1..n) from histograms (rows), inverted-CDF definition.

    The same as ``numpy.quantile(ranks, q, method="inverted_cdf")`` on the draws.
    """
    cum = np.cumsum(counts, axis=1)
    n = cum[:, -1:]
    return (cum >= q * n - 1e-9 * n).argmax(axis=1) + 1


def _grade_table(grades: Mapping[str, float] | None) -> tuple[list[str], np.ndarray]:
    grades = DEFAULT_GRADES if grades is None else grades
    probs = Problems(source="grades")
    items = sorted(grades.items(), key=lambda kv: -float(kv[1]))
    if not items:
        probs.add("expected at least one grade with its minimum score [points]")
    if len({v for _, v in items}) != len(items):
        probs.add("two grades share the same minimum score")
    probs.raise_if_any(DataError)
    return [k for k, _ in items], np.array([float(v) for _, v in items])


def _grade_index(scores: np.ndarray, cut: np.ndarray, vetoed: np.ndarray | None) -> np.ndarray:
    """Index into the descending grade list; below the lowest cut -> the last grade."""
    idx = np.searchsorted(-cut, -np.round(scores, 9), side="left")
    idx = np.minimum(idx, len(cut) - 1)
    if vetoed is not None:
        idx = np.maximum(idx, vetoed[:, None] if idx.ndim == 2 else vetoed)
    return idx


def _apply_quota(G: np.ndarray, S: np.ndarray, grp: np.ndarray, share: float | None) -> np.ndarray:
    """At most ``floor(share * group size)`` units of a group keep the top grade (the
    best-scoring ones); the others drop to the second grade."""
    if share is None:
        return G
    G = G.copy()
    for g in dict.fromkeys(grp.tolist()):
        rows = np.flatnonzero(grp == g)
        top = G[rows] == 0
        order = rank_within(np.where(top, S[rows], -1.0))
        allowed = np.floor(share * len(rows) + 1e-9)
        G[rows] = np.where(top & (order > allowed), 1, G[rows])
    return G


def rank_uncertainty(
    achievement,
    weights,
    *,
    dimensions=None,
    groups=None,
    perturbation: Perturbation | None = None,
    n_draws: int = 1000,
    seed: SeedLike = 0,
    grades: Mapping[str, float] | None = None,
    vetoed=None,
    offset=None,
    cap: float | None = None,
    top_grade_share: float | None = None,
    top: int = 3,
    batch_size: int = 1000,
    keep_draws: bool = False,
    alternative_factors=None,
) -> RankUncertainty:
    """Monte Carlo rank and grade uncertainty of every unit.

    Parameters
    ----------
    achievement : DataFrame (units x indicators), ndarray or mapping name -> matrix
        Achievement [share 0-1 of each indicator's points], NaN = missing. A mapping gives
        alternatives, e.g. other targets or rule parameters (first = nominal); each draw
        picks one (or, with ``alternative_factors``, one level of each factor).
    weights : Series or array (k,)
        Nominal indicator weights [points].
    dimensions : Series or array (k,), optional
        Dimension of each indicator (weights are perturbed within, then across, dimensions).
    groups : Series or array (u,), optional
        Ranking group of each unit; ranks and top/bottom sets are per group.
    perturbation : Perturbation, optional
        What varies (default: uniform +-25% indicator weights).
    n_draws : int
        Number of Monte Carlo draws (>= 1).
    seed : int or Generator
        Same seed, same numbers.
    grades : mapping grade -> minimum score [points], optional
        Grade bands; default :data:`DEFAULT_GRADES`.
    vetoed : array-like (u,) or Series indexed by unit, optional
        One-vote veto: ``True`` bars a unit from the top grade; a grade name is the
        best grade the unit may get.
    offset : Series or array (u,), optional
        Points added to every unit's aggregate [points] (bonus and penalty items).
    cap : float, optional
        Scores clipped to ``[0, cap]`` [points] (the scheme total).
    top_grade_share : float, optional
        Quota of the top grade [share 0-1 of a group]: at most ``floor(share * size)``
        units of a group get it (the best-scoring), the others the second grade.
    top : int
        Size of the top and bottom sets (per group).
    batch_size : int
        Draws scored per matrix product (memory ~ 8 * units * batch_size bytes).
    keep_draws : bool
        Keep the units x draws rank matrix in ``.ranks``.
    alternative_factors : sequence of (name, n_levels), optional
        The alternatives as a grid of discrete factors (see
        :func:`~kmmodel.uncertainty.core.prepare`); each draw picks each factor's level
        independently.

    Returns
    -------
    RankUncertainty

    Notes
    -----
    With zero perturbation (``Perturbation.none()`` and one option per choice) every
    draw equals the nominal scheme, so every rank interval collapses to the nominal rank.

    Memory: the rank histograms take ``8 * units * largest group`` bytes, a batch of
    scores ``8 * units * batch_size``; neither grows with ``n_draws``.
    """
    pert = Perturbation() if perturbation is None else perturbation
    comp = prepare(achievement, weights, dimensions, groups, offset, cap, alternative_factors)
    probs = Problems(source="rank_uncertainty")
    for name, value, low in (
        ("n_draws", n_draws, 1),
        ("batch_size", batch_size, 1),
        ("top", top, 1),
    ):
        if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < low:
            probs.add(f"expected an integer >= {low}, got {value!r}", where=name)
    names, cut = _grade_table(grades)
    veto = _vetoed(vetoed, comp, names, probs)
    if top_grade_share is not None and not (
        isinstance(top_grade_share, int | float) and 0 < top_grade_share <= 1
    ):
        probs.add(f"expected a share in (0, 1], got {top_grade_share!r}", where="top_grade_share")
    probs.raise_if_any(DataError)

    rng = as_generator(seed)
    u = len(comp.units)
    grp = comp.groups if comp.groups is not None else np.array(["all"] * u, dtype=object)
    glabels = list(dict.fromkeys(grp.tolist()))
    gsize = pd.Series(grp).map(pd.Series(grp).value_counts()).to_numpy(dtype=np.int64)
    gmax = int(gsize.max())  # ranks run 1..gmax: the histograms are units x gmax
    k_top = np.minimum(top, gsize)

    nominal = _nominal_scores(comp, pert)
    nom_rank = rank_within(nominal[:, None], comp.groups)[:, 0]
    nom_top = nom_rank <= k_top
    nom_bottom = nom_rank > gsize - k_top

    counts = np.zeros((u, gmax), dtype=np.int64)
    gcounts = np.zeros((u, len(names)), dtype=np.int64)
    s1 = np.zeros(u)
    s2 = np.zeros(u)
    top_changed = dict.fromkeys(glabels, 0)
    bottom_changed = dict.fromkeys(glabels, 0)
    kept = [] if keep_draws else None
    gmask = {g: grp == g for g in glabels}
    done = 0
    while done < n_draws:
        b = min(batch_size, n_draws - done)
        S = _draw_scores(comp, pert, b, rng)
        R = rank_within(S, comp.groups)
        counts += np.bincount(
            (np.arange(u)[:, None] * gmax + (R - 1)).ravel(), minlength=u * gmax
        ).reshape(u, gmax)
        G = _apply_quota(_grade_index(S, cut, veto), S, grp, top_grade_share)
        gcounts += np.bincount(
            (np.arange(u)[:, None] * len(names) + G).ravel(), minlength=u * len(names)
        ).reshape(u, len(names))
        dev = S - nominal[:, None]  # deviations from nominal: no cancellation in the variance
        s1 += dev.sum(axis=1)
        s2 += (dev**2).sum(axis=1)
        in_top = R <= k_top[:, None]
        in_bottom = R > (gsize - k_top)[:, None]
        for g, m in gmask.items():
            top_changed[g] += int(np.any(in_top[m] != nom_top[m, None], axis=0).sum())
            bottom_changed[g] += int(np.any(in_bottom[m] != nom_bottom[m, None], axis=0).sum())
        if kept is not None:
            kept.append(R)
        done += b

    mean = nominal + s1 / n_draws
    sd = np.sqrt(np.maximum(s2 / n_draws - (s1 / n_draws) ** 2, 0.0))
    p05, med, p95 = (hist_quantile(counts, q) for q in (0.05, 0.5, 0.95))
    cum = np.cumsum(counts, axis=1)
    p_top = cum[np.arange(u), k_top - 1] / n_draws
    p_bottom = 1 - cum[np.arange(u), gsize - k_top - 1] / n_draws
    p_bottom = np.where(gsize - k_top - 1 < 0, 1.0, p_bottom)
    nom_grade = _apply_quota(
        _grade_index(nominal[:, None], cut, veto), nominal[:, None], grp, top_grade_share
    )[:, 0]
    gprob = gcounts / n_draws
    table = pd.DataFrame(
        {
            "unit": comp.units,
            "group": grp,
            "score": nominal,
            "rank": nom_rank,
            "median_rank": med,
            "rank_p05": p05,
            "rank_p95": p95,
            "rank_width": p95 - p05,
            "p_rank": counts[np.arange(u), nom_rank - 1] / n_draws,
            "score_mean": mean,
            "score_sd": sd,
            "p_top": p_top,
            "p_bottom": p_bottom,
            "grade": [names[i] for i in nom_grade],
            "p_grade": gprob[np.arange(u), nom_grade],
        }
    )
    sets = pd.DataFrame(
        [
            {
                "group": g,
                "set": which,
                "k": int(k_top[gmask[g]][0]),
                "nominal": ", ".join(
                    str(x) for x in np.array(comp.units, dtype=object)[gmask[g] & nom]
                ),
                "p_changed": changed[g] / n_draws,
            }
            for which, nom, changed in (
                ("top", nom_top, top_changed),
                ("bottom", nom_bottom, bottom_changed),
            )
            for g in glabels
        ]
    )
    idx = pd.Index(comp.units, name="unit")
    return RankUncertainty(
        table=table,
        grades=pd.DataFrame(gprob, index=idx, columns=pd.Index(names, name="grade")),
        rank_counts=pd.DataFrame(
            counts, index=idx, columns=pd.RangeIndex(1, gmax + 1, name="rank")
        ),
        sets=sets,
        n_draws=n_draws,
        perturbation=pert,
        ranks=np.concatenate(kept, axis=1) if kept is not None else None,
    )


def _vetoed(vetoed, comp: Composite, names: list[str], probs: Problems) -> np.ndarray | None:
    """Best grade index each unit may get (0 = no cap), from bools or grade names."""
    if vetoed is None:
        return None
    if isinstance(vetoed, pd.Series):
        missing = [x for x in comp.units if x not in vetoed.index]
        if missing:
            probs.add(f"no value for unit(s) {missing}", where="vetoed")
            return None
        vetoed = vetoed.loc[comp.units].to_numpy()
    arr = np.asarray(vetoed)
    if arr.shape != (len(comp.units),):
        probs.add(
            f"expected one value per unit ({len(comp.units)}), got shape {arr.shape}",
            where="vetoed",
        )
        return None
    if arr.dtype == bool:
        return np.where(arr, min(1, len(names) - 1), 0)
    cap = np.zeros(len(arr), dtype=np.int64)
    bad = []
    for i, v in enumerate(arr.tolist()):
        if v is None or v is False or (isinstance(v, float) and np.isnan(v)) or v == "":
            continue
        if v is True:
            cap[i] = min(1, len(names) - 1)
        elif v in names:
            cap[i] = names.index(v)
        else:
            bad.append(f"{comp.units[i]!r}={v!r}")
    if bad:
        probs.add(f"expected a bool or a grade name {names}, got {', '.join(bad)}", where="vetoed")
    return cap


def _nominal_scores(comp: Composite, pert: Perturbation) -> np.ndarray:
    return scores_for(comp, pert, comp.weights[None, :], np.zeros((1, 3), dtype=np.int64))[:, 0]


def _draw_scores(
    comp: Composite, pert: Perturbation, b: int, rng: np.random.Generator
) -> np.ndarray:
    """Scores (u x b) for ``b`` draws of weights, rule alternative, aggregation, missing policy."""
    W = pert.draw_weights(comp.weights, b, comp.dimensions, seed=rng)
    levels = np.zeros((b, len(comp.alt_factors)), dtype=np.int64)
    for j, (_, n_lev) in enumerate(comp.alt_factors):  # each discrete factor independently
        if n_lev > 1:
            levels[:, j] = rng.integers(0, n_lev, size=b)
    choice = np.zeros((b, 3), dtype=np.int64)
    choice[:, 0] = comp.alternative_index(levels)
    for j, n_opt in ((1, len(pert.aggregation)), (2, len(pert.missing))):
        if n_opt > 1:
            choice[:, j] = rng.integers(0, n_opt, size=b)
    return scores_for(comp, pert, W, choice)


def scores_for(
    comp: Composite, pert: Perturbation, W: np.ndarray, choice: np.ndarray
) -> np.ndarray:
    """Scores (u x b) for weight draws ``W`` (b x k) and ``choice`` (b x 3): the index of
    the achievement alternative, aggregation option and missing-data option of each draw."""
    if not choice.any():
        return comp.finish(
            composite_scores(
                comp.A[0],
                W,
                aggregation=pert.aggregation[0],
                missing=pert.missing[0],
                floor=pert.geometric_floor,
                member=comp.member,
            )
        )
    S = np.empty((len(comp.units), W.shape[0]))
    combos, inverse = np.unique(choice, axis=0, return_inverse=True)
    for c, (alt, agg, miss) in enumerate(combos):
        cols = np.flatnonzero(inverse.ravel() == c)
        S[:, cols] = composite_scores(
            comp.A[alt],
            W[cols],
            aggregation=pert.aggregation[agg],
            missing=pert.missing[miss],
            floor=pert.geometric_floor,
            member=comp.member,
        )
    return comp.finish(S)
