"""Benefit of the doubt: each unit's most favourable dimension weights.

If every unit could choose its own dimension weights within declared bounds, how high
could its total go, and could it come first? Two linear programmes per unit, each
family solved as **one batched LP** (block-diagonal, sparse) by HiGHS through
``scipy.optimize.linprog``:

1. **Best total within the bounds** — maximise sum_d w_d s_ud subject to
   lo_d <= w_d <= hi_d and sum_d w_d = 1, where s_ud is unit u's dimension score as a
   share of the dimension's points and w the dimension shares of the total. The best
   total is (scheme points) x that maximum; it is never below the nominal total because
   the nominal shares are admissible (checked: bounds that exclude them are an error).
   ``rank_at_best`` is the unit's rank in its group when every unit is scored with
   *its* best weights.
2. **Benefit-of-the-doubt index** (Cherchye et al. 2007, the DEA model of Melyn & Moesen
   with assurance-region weight restrictions) — maximise v.s_u subject to v.s_j <= 1 for
   every unit j of the group, v_d between lo_d and hi_d times sum(v), v >= 0. The index
   lies in (0, 1]; 1 means *some* admissible weighting puts the unit first in its group
   (``can_be_first``). Only units on the group's Pareto frontier can bind the
   constraints v.s_j <= 1 (v >= 0), so the LP carries those rows only — an exact
   reduction.

Why scipy's ``linprog`` rather than PuLP: the batched LPs are pure matrix data; building
the same rows as PuLP expressions costs far more than HiGHS takes to solve them (see
``python -m benchmarks --only diagnostics``: one batched LP against one PuLP model per
unit). The solver is the same HiGHS either way.

These weights are hypothetical: the bounds are the question asked ("what if each
dimension could weigh up to 50 % more or less?"), not a recommendation. BoD assumes a
weighted sum of dimensions; with geometric or weakest-link aggregation the totals here
are the weighted-sum reading of the same dimension scores (flagged).

References
----------
.. [1] Cherchye, L., Moesen, W., Rogge, N. & Van Puyenbroeck, T. (2007), An introduction
   to 'benefit of the doubt' composite indicators, *Social Indicators Research* 82,
   111-145.
.. [2] OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, Part II
   (weighting: benefit of the doubt approach).
.. [3] Huangfu, Q. & Hall, J. A. J. (2018), Parallelizing the dual revised simplex
   method, *Mathematical Programming Computation* 10, 119-142 (HiGHS).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from kmmodel.errors import DataError, InfeasibleError, Problems

__all__ = ["benefit_of_the_doubt", "best_totals", "bod_index", "parse_bounds"]

_TOL = 1e-9


def parse_bounds(
    bounds, nominal: pd.Series, source: str = "bounds"
) -> tuple[np.ndarray, np.ndarray]:
    """Admissible dimension shares ``(lo, hi)`` [share 0-1] from ``bounds``.

    Parameters
    ----------
    bounds : float or dict
        A float r in [0, 1]: every dimension's share may move to nominal x (1 ± r).
        A dict ``{dimension: (lo, hi)}`` of shares [share 0-1]; dimensions not named
        keep the band r = 0.5.
    nominal : Series
        Dimension -> nominal share [share 0-1].

    Raises
    ------
    DataError
        Every problem at once: unknown dimensions, non-numeric or reversed bounds,
        bounds outside [0, 1], bounds that exclude a nominal share.
    """
    probs = Problems(source=source)
    s = nominal.to_numpy(dtype=float)
    default = 0.5
    given: dict = {}
    if isinstance(bounds, dict):
        unknown = sorted(set(map(str, bounds)) - set(nominal.index))
        if unknown:
            probs.add(f"unknown dimension(s) {unknown}; expected some of {list(nominal.index)}")
        given = {str(k): v for k, v in bounds.items() if str(k) in set(nominal.index)}
    else:
        try:
            default = float(bounds)
        except (TypeError, ValueError):
            raise DataError(
                f"bounds must be a number in [0, 1] or a mapping dimension -> (lo, hi), got {bounds!r}",
                source=source,
            ) from None
        if not (0 <= default <= 1):
            probs.add(f"the relative band must lie in [0, 1], got {default:g}")
            default = min(max(default, 0.0), 1.0)
    lo = s * (1 - default)
    hi = np.minimum(1.0, s * (1 + default))
    for i, d in enumerate(nominal.index):
        if d not in given:
            continue
        v = given[d]
        try:
            a, b = (float(x) for x in v)
        except (TypeError, ValueError):
            probs.add(f"expected a pair (lo, hi) of shares, got {v!r}", f"dimension {d}")
            continue
        if not (0 <= a <= b <= 1):
            probs.add(f"need 0 <= lo <= hi <= 1, got ({a:g}, {b:g})", f"dimension {d}")
            continue
        if not (a - _TOL <= s[i] <= b + _TOL):
            probs.add(
                f"bounds ({a:g}, {b:g}) exclude the nominal share {s[i]:.4g}; the "
                "benefit-of-the-doubt comparison needs the nominal weights to be admissible",
                f"dimension {d}",
            )
        lo[i], hi[i] = a, b
    probs.raise_if_any(DataError)
    return lo, hi


def best_totals(S: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best weighted score of every row of ``S`` over {lo <= w <= hi, sum w = 1}.

    One LP with n x k variables (block-diagonal), solved by HiGHS.

    Returns
    -------
    value : ndarray, shape (n,)
        max_w w.s_u [share 0-1].
    W : ndarray, shape (n, k)
        The maximising weights [share 0-1].
    """
    from scipy.optimize import linprog

    n, k = S.shape
    if n == 0:
        return np.zeros(0), np.zeros((0, k))
    A_eq = sp.kron(sp.identity(n, format="csr"), np.ones((1, k)), format="csr")
    res = linprog(
        -S.ravel(),
        A_eq=A_eq,
        b_eq=np.ones(n),
        bounds=np.column_stack([np.tile(lo, n), np.tile(hi, n)]),
        method="highs",
    )
    if res.status != 0:  # pragma: no cover - bounds were checked to admit the nominal weights
        raise InfeasibleError(f"benefit-of-the-doubt LP: {res.message}")
    W = res.x.reshape(n, k)
    return (W * S).sum(axis=1), W


def frontier(S: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows of ``S`` not dominated by another row (Pareto frontier)."""
    n = len(S)
    keep = np.ones(n, bool)
    step = max(1, 2_000_000 // max(1, n * S.shape[1]))
    for a in range(0, n, step):  # chunks bound the memory of the n x n x k comparison
        blk = S[a : a + step]
        ge = (S[None, :, :] >= blk[:, None, :]).all(axis=2)
        gt = (S[None, :, :] > blk[:, None, :]).any(axis=2)
        keep[a : a + step] = ~(ge & gt).any(axis=1)
    return keep


def _index_lp(S: np.ndarray, F: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """max v.s_u s.t. v.s_j <= 1 (rows of F), lo sum(v) <= v <= hi sum(v), v >= 0; all u at once."""
    from scipy.optimize import linprog

    n, k = S.shape
    # variables per unit: v_1..v_k, lam (= sum v)
    T = sp.vstack(
        [
            sp.hstack([sp.csr_matrix(F), sp.csr_matrix((len(F), 1))]),
            sp.hstack([sp.identity(k), sp.csr_matrix(-hi.reshape(-1, 1))]),
            sp.hstack([-sp.identity(k), sp.csr_matrix(lo.reshape(-1, 1))]),
        ],
        format="csr",
    )
    b = np.concatenate([np.ones(len(F)), np.zeros(2 * k)])
    E = sp.csr_matrix(np.append(np.ones(k), -1.0).reshape(1, -1))
    I_n = sp.identity(n, format="csr")
    c = np.column_stack([-S, np.zeros(n)]).ravel()
    res = linprog(
        c,
        A_ub=sp.kron(I_n, T, format="csr"),
        b_ub=np.tile(b, n),
        A_eq=sp.kron(I_n, E, format="csr"),
        b_eq=np.zeros(n),
        bounds=(0, None),
        method="highs",
    )
    if res.status != 0:  # pragma: no cover
        raise InfeasibleError(f"benefit-of-the-doubt index LP: {res.message}")
    V = res.x.reshape(n, k + 1)[:, :k]
    return np.minimum((V * S).sum(axis=1), 1.0).clip(0.0)


def bod_index(S: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Benefit-of-the-doubt index of every row of ``S`` against the others [share 0-1].

    max v.s_u  s.t.  v.s_j <= 1 for every unit j,  lo*sum(v) <= v <= hi*sum(v),  v >= 0
    (Cherchye et al. 2007 with assurance-region restrictions), all units in one
    block-diagonal LP. Two exact reductions keep it small: only units on the Pareto
    frontier can be the best unit under a weighting, so a first LP scores the frontier
    against itself; only the frontier units that reach 1 (those first under some
    admissible weighting) can bind anyone's constraints, so the second LP — for every
    unit — carries those rows alone.
    """
    n, k = S.shape
    if n == 0:
        return np.zeros(0)
    if not (S > _TOL).any():
        return np.ones(n)  # everyone scores 0: all tied first
    front = np.flatnonzero(frontier(S))
    F = S[front]
    idx_f = _index_lp(F, F, lo, hi)
    best = F[idx_f >= 1 - 1e-7]
    out = _index_lp(S, best, lo, hi)
    out[front] = np.maximum(out[front], idx_f)  # the same LP optimum; keep the frontier's
    return out


def benefit_of_the_doubt(
    D: pd.DataFrame,
    dim_points: pd.Series,
    group: pd.Series,
    rank: pd.Series,
    bounds=0.5,
    source: str = "bounds",
) -> pd.DataFrame:
    """Most-favourable dimension weights for every unit.

    Parameters
    ----------
    D : DataFrame
        Units x dimensions: dimension score / dimension points [share 0-1].
    dim_points : Series
        Dimension -> points [points].
    group, rank : Series
        Unit -> ranking group, nominal rank in the group.
    bounds : float or dict
        See :func:`parse_bounds`.

    Returns
    -------
    DataFrame
        unit, group, nominal_total [points] (the weighted sum of dimension scores, before
        vetoes' grade caps and bonus/penalty items), bod_total [points], gain [points],
        rank, rank_at_best, bod_index [share 0-1], can_be_first, and the unit's best
        weights ``w_<dimension>`` [share 0-1]. Sorted by group and nominal rank.
    """
    pts = dim_points.astype(float)
    nominal = pts / pts.sum()
    lo, hi = parse_bounds(bounds, nominal, source=source)
    S = D[list(pts.index)].to_numpy(dtype=float)
    S = np.nan_to_num(S, nan=0.0)
    value, W = best_totals(S, lo, hi)
    scale = float(pts.sum())
    g = group.reindex(D.index).to_numpy()
    idx = np.zeros(len(S))
    at_best = np.zeros(len(S), dtype=int)
    for gname in pd.unique(g):  # a handful of ranking groups, not a per-unit loop
        m = np.flatnonzero(g == gname)
        Sg = S[m]
        idx[m] = bod_index(Sg, lo, hi)
        M = Sg @ W[m].T  # column u: every group member scored with u's best weights
        own = np.diag(M)
        at_best[m] = 1 + (M > own[None, :] + _TOL).sum(axis=0)
    out = pd.DataFrame(
        {
            "unit": D.index,
            "group": g,
            "nominal_total": S @ nominal.to_numpy() * scale,
            "bod_total": value * scale,
        }
    )
    out["gain"] = (out["bod_total"] - out["nominal_total"]).clip(lower=0.0)
    out["rank"] = rank.reindex(D.index).to_numpy()
    out["rank_at_best"] = at_best
    out["bod_index"] = idx
    out["can_be_first"] = idx >= 1 - 1e-7
    for j, d in enumerate(pts.index):
        out[f"w_{d}"] = W[:, j]
    return out.sort_values(["group", "rank", "unit"], kind="stable").reset_index(drop=True)
