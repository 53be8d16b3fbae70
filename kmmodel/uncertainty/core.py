"""Vectorised composite scores for many weight draws at once.

The array core of the uncertainty analysis: an achievement matrix ``A`` (units x
indicators, shares 0-1 of each indicator's points, NaN = missing), nominal weights
``w`` [points] and the indicator -> dimension membership. For a batch of weight draws
``W`` (draws x indicators) the arithmetic scores are one matrix product ``A @ W.T``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems
from kmmodel.uncertainty.perturb import membership_matrix

__all__ = ["Composite", "composite_scores", "prepare", "rank_within"]


@dataclass(frozen=True)
class Composite:
    """Validated inputs of the analysis (see :func:`prepare`)."""

    units: list
    indicators: list
    alternatives: list[str]
    A: np.ndarray  # (n_alt, u, k), NaN = missing
    weights: np.ndarray  # (k,) [points]
    dimensions: np.ndarray | None  # (k,) labels
    member: np.ndarray  # (k, g) one-hot
    dimension_labels: list
    groups: np.ndarray | None  # (u,) labels
    offset: np.ndarray | None = None  # (u,) points added after aggregation
    cap: float | None = None  # scores clipped to [0, cap] when given
    # discrete factors spanning the alternatives, row-major: ((name, n_levels), ...)
    alt_factors: tuple = (("alternatives", 1),)

    def alternative_index(self, levels: np.ndarray) -> np.ndarray:
        """Index into ``A`` of each row of factor levels (draws x factors), row-major."""
        idx = np.zeros(levels.shape[0], dtype=np.int64)
        for j, (_, n_lev) in enumerate(self.alt_factors):
            idx = idx * n_lev + levels[:, j]
        return idx

    def finish(self, S: np.ndarray) -> np.ndarray:
        """Add the per-unit offset and clip to [0, cap] (scores are units x draws)."""
        if self.offset is not None:
            S = S + self.offset[:, None]
        if self.cap is not None:
            S = np.clip(S, 0.0, self.cap)
        return S

    @property
    def shape(self) -> tuple[int, int]:
        return self.A.shape[1], self.A.shape[2]


def _as_frame(a, name: str, probs: Problems, indicators=None) -> pd.DataFrame | None:
    if isinstance(a, pd.DataFrame):
        df = a
    else:
        arr = np.asarray(a, dtype=float)
        if arr.ndim != 2:
            probs.add(f"expected a units x indicators matrix, got shape {arr.shape}", where=name)
            return None
        cols = indicators if indicators is not None and len(indicators) == arr.shape[1] else None
        df = pd.DataFrame(arr, columns=cols)
    if df.shape[0] == 0 or df.shape[1] == 0:
        probs.add(f"expected at least one unit and one indicator, got shape {df.shape}", where=name)
        return None
    if not df.index.is_unique:
        dup = df.index[df.index.duplicated()].unique().tolist()
        probs.add(f"duplicate unit(s) {dup}", where=name)
    if not df.columns.is_unique:
        dup = df.columns[df.columns.duplicated()].unique().tolist()
        probs.add(f"duplicate indicator(s) {dup}", where=name)
    try:
        vals = df.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        probs.add("expected numbers (achievement shares 0-1)", where=name)
        return None
    bad = np.argwhere(np.isfinite(vals) & ((vals < 0) | (vals > 1)) | np.isinf(vals))
    if bad.size:
        cells = [f"({df.index[i]!r}, {df.columns[j]!r})={vals[i, j]:g}" for i, j in bad[:8]]
        more = f" and {len(bad) - 8} more" if len(bad) > 8 else ""
        probs.add(f"achievement outside [0, 1] at {', '.join(cells)}{more}", where=name)
    return df


RESERVED_FACTORS = ("aggregation", "missing data")


def prepare(
    achievement,
    weights,
    dimensions=None,
    groups=None,
    offset=None,
    cap=None,
    alternative_factors=None,
) -> Composite:
    """Validate and align the inputs; list every problem at once.

    Parameters
    ----------
    achievement : DataFrame, ndarray or mapping of name -> matrix
        Units x indicators achievement [share 0-1 of the indicator's points]; NaN marks
        a missing observation. A mapping gives alternative matrices (e.g. the same
        observations scored under different rule parameters); the first is nominal.
    weights : Series (indexed by indicator) or array of shape (k,)
        Nominal indicator weights [points].
    dimensions : Series (indexed by indicator) or array of shape (k,), optional
        Dimension of each indicator.
    groups : Series (indexed by unit) or array of shape (u,), optional
        Ranking group of each unit (ranks are computed within groups).
    offset : Series (indexed by unit) or array of shape (u,), optional
        Points added to each unit's aggregate [points] (e.g. bonus and penalty items).
    cap : float, optional
        Scores are clipped to ``[0, cap]`` [points] after the offset.
    alternative_factors : sequence of (name, n_levels), optional
        When the alternatives of a mapping form a grid of several discrete factors
        (e.g. ``[("targets", 3), ("rule parameters", 5)]``): the mapping lists every
        combination in row-major order (the last factor varies fastest), so its length
        is the product of the levels; each draw picks a level of each factor
        independently. Default: one factor ``"alternatives"``.

    Raises
    ------
    DataError
        Listing every problem found.
    """
    probs = Problems(source="uncertainty inputs")
    if isinstance(achievement, Mapping):
        if not achievement:
            raise DataError("achievement: expected at least one matrix, got an empty mapping")
        named = {str(k): v for k, v in achievement.items()}
    else:
        named = {"nominal": achievement}
    w_index = weights.index.tolist() if isinstance(weights, pd.Series) else None
    frames = {n: _as_frame(a, f"achievement[{n!r}]", probs, w_index) for n, a in named.items()}
    probs.raise_if_any(DataError)
    first_name, first = next(iter(frames.items()))
    for n, df in frames.items():
        if n != first_name and (
            df.index.tolist() != first.index.tolist()
            or sorted(map(str, df.columns)) != sorted(map(str, first.columns))
        ):
            probs.add(
                f"units or indicators differ from {first_name!r}; every alternative needs "
                "the same units and indicators",
                where=f"achievement[{n!r}]",
            )
    indicators = first.columns.tolist()
    k = len(indicators)
    w = _align(weights, indicators, "weights", probs)
    if w is not None:
        if np.any(~np.isfinite(w)):
            probs.add("expected finite numbers [points]", where="weights")
        elif np.any(w < 0):
            neg = [indicators[i] for i in np.flatnonzero(w < 0)]
            probs.add(f"negative weight for {neg}; expected >= 0 [points]", where="weights")
        elif w.sum() <= 0:
            probs.add("all weights are zero; expected a positive total [points]", where="weights")
    dims = None if dimensions is None else _align(dimensions, indicators, "dimensions", probs)
    grp = None
    if groups is not None:
        grp = _align(groups, first.index.tolist(), "groups", probs, kind="unit")
    off = None
    if offset is not None:
        off = _align(offset, first.index.tolist(), "offset", probs, kind="unit")
        if off is not None:
            off = np.asarray(off, dtype=float)
            if not np.isfinite(off).all():
                probs.add("expected finite numbers [points]", where="offset")
    if cap is not None and not (isinstance(cap, int | float) and np.isfinite(cap) and cap > 0):
        probs.add(f"expected a positive number [points], got {cap!r}", where="cap")
    factors = _alternative_factors(alternative_factors, len(frames), probs)
    probs.raise_if_any(DataError)
    A = np.stack([frames[n][indicators].to_numpy(dtype=float, na_value=np.nan) for n in frames])
    member, labels = membership_matrix(dims, k)
    return Composite(
        units=first.index.tolist(),
        indicators=indicators,
        alternatives=list(frames),
        A=A,
        weights=np.asarray(w, dtype=float),
        dimensions=dims,
        member=member,
        dimension_labels=labels,
        groups=grp,
        offset=off,
        cap=None if cap is None else float(cap),
        alt_factors=factors,
    )


def _alternative_factors(factors, n_alt: int, probs: Problems) -> tuple:
    if factors is None:
        return (("alternatives", n_alt),)
    try:
        out = tuple((str(name), int(n_lev)) for name, n_lev in factors)
    except (TypeError, ValueError):
        probs.add(f"expected (name, number of levels) pairs, got {factors!r}", where="factors")
        return (("alternatives", n_alt),)
    names = [n for n, _ in out]
    if not out or any(n < 1 for _, n in out) or int(np.prod([n for _, n in out])) != n_alt:
        probs.add(
            f"levels {[n for _, n in out]} must be >= 1 and multiply to the {n_alt} "
            "achievement alternative(s)",
            where="alternative_factors",
        )
    if len(set(names)) != len(names) or set(names) & set(RESERVED_FACTORS):
        probs.add(
            f"factor names {names} must be distinct and differ from {RESERVED_FACTORS}",
            where="alternative_factors",
        )
    return out


def _align(values, keys: list, name: str, probs: Problems, kind: str = "indicator"):
    if isinstance(values, pd.Series):
        missing = [c for c in keys if c not in values.index]
        extra = [c for c in values.index if c not in set(keys)]
        if missing:
            probs.add(f"no value for {kind}(s) {missing}", where=name)
        if extra:
            probs.add(f"{kind}(s) {extra} not in the achievement matrix", where=name)
        if missing or extra:
            return None
        values = values.loc[keys].to_numpy()
    arr = np.asarray(values)
    if arr.shape != (len(keys),):
        probs.add(f"expected one value per {kind} ({len(keys)}), got shape {arr.shape}", where=name)
        return None
    return arr.astype(float) if name == "weights" else arr.astype(object)


def _filled(A: np.ndarray, missing: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Achievement with missing cells filled; the observed mask when re-weighting."""
    mask = ~np.isnan(A)
    if missing == "mean":
        count = mask.sum(axis=0)
        col = np.divide(
            np.where(mask, A, 0).sum(axis=0), count, out=np.zeros(A.shape[1]), where=count > 0
        )
        return np.where(mask, A, col), None
    F = np.where(mask, A, 0.0)
    return F, (mask.astype(float) if missing == "reweight" and not mask.all() else None)


def composite_scores(
    A: np.ndarray,
    W: np.ndarray,
    *,
    aggregation: str = "arithmetic",
    missing: str = "zero",
    floor: float = 0.01,
    member: np.ndarray | None = None,
) -> np.ndarray:
    """Scores of every unit under every weight draw.

    Parameters
    ----------
    A : ndarray (u, k)
        Achievement [share 0-1]; NaN = missing.
    W : ndarray (b, k)
        Weight draws [points].
    aggregation : {"arithmetic", "geometric", "weakest_link"}
        Arithmetic: ``sum_i w_i a_i``. Geometric: ``sum(w) * prod_i max(a_i, floor) **
        (w_i / sum(w))`` (the same as a geometric mean within dimensions, then across
        dimensions with the dimension points as weights). Weakest link: ``sum(w) *
        min_i a_i`` over the indicators with ``w_i > 0`` (the minimum within each
        dimension, then across dimensions, as PEFA's method M1): weights only decide
        which indicators count.
    missing : {"zero", "mean", "reweight"}
        Missing-data policy (see :data:`kmmodel.uncertainty.perturb.MISSING_POLICIES`).
        ``"reweight"`` rescales the observed indicators' weights *within each dimension*,
        so each dimension keeps its points (a dimension with nothing observed scores 0).
        Under the weakest link, a missing indicator is left out of its dimension's
        minimum.
    floor : float
        Achievement floor of the geometric mean [share 0-1]; 0 = no floor (any zero
        achievement with a positive weight gives a zero score, as the engine does).
    member : ndarray (k, g), optional
        One-hot indicator -> dimension matrix (default: one dimension).

    Returns
    -------
    ndarray (u, b)
        Scores [points].

    References
    ----------
    OECD/JRC (2008). *Handbook on Constructing Composite Indicators*, section 6
    (aggregation methods).

    PEFA Secretariat (2016). *Framework for Assessing Public Financial Management*,
    scoring method M1 (weakest link).
    """
    F, mask = _filled(A, missing)
    member = np.ones((A.shape[1], 1)) if member is None else member
    total = W.sum(axis=1)
    if aggregation == "weakest_link":
        return _weakest_link(F, mask, W, member) * total[None, :]
    geo = aggregation == "geometric"
    zero = None
    if geo:
        if floor > 0:
            F = np.log(np.maximum(F, floor))
        else:  # no floor: a zero achievement with a positive weight zeroes the score
            zero = F <= 0
            F = np.log(np.where(zero, 1.0, F))
    if mask is None:
        num = F @ W.T
        if not geo:
            return num
        out = np.exp(num / total) * total
        if zero is not None:
            out = np.where(zero.astype(float) @ (W > 0).T > 0, 0.0, out)
        return out
    # re-weighting within dimensions: one matrix product per dimension (a handful)
    out = np.zeros((A.shape[0], W.shape[0]))
    hit = np.zeros(out.shape, dtype=bool)
    for d in range(member.shape[1]):
        cols = np.flatnonzero(member[:, d] > 0)
        Wd = W[:, cols]
        num = (F[:, cols] * mask[:, cols]) @ Wd.T
        den = mask[:, cols] @ Wd.T
        share = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
        # geometric: log-share of the dimension; a dimension with nothing observed adds
        # log(floor) (its achievement counts as the floor; with no floor, it zeroes)
        if geo and zero is None:
            share = np.where(den > 0, share, np.log(floor))
        elif geo:
            seen_zero = (zero[:, cols] & (mask[:, cols] > 0)).astype(float) @ (Wd > 0).T > 0
            hit |= seen_zero | ((den <= 0) & (Wd.sum(axis=1) > 0)[None, :])
        out += share * Wd.sum(axis=1)
    if not geo:
        return out
    return np.where(hit, 0.0, np.exp(out / total) * total)


def _weakest_link(
    F: np.ndarray, mask: np.ndarray | None, W: np.ndarray, member: np.ndarray
) -> np.ndarray:
    """Lowest achievement (u x b) over the indicators each draw weights positively.

    Only which weights are positive matters, so draws are grouped by that pattern (one
    group in practice: perturbed weights stay positive). With a mask (re-weighting),
    missing indicators are left out of their dimension's minimum and a dimension with a
    positive weight but nothing observed counts 0, as the engine does.
    """
    patterns, inverse = np.unique(W > 0, axis=0, return_inverse=True)
    out = np.empty((F.shape[0], W.shape[0]))
    for p, pos in enumerate(patterns):
        if mask is None:
            low = np.where(pos[None, :], F, np.inf).min(axis=1)
        else:
            low = np.full(F.shape[0], np.inf)
            for d in range(member.shape[1]):
                cols = np.flatnonzero((member[:, d] > 0) & pos)
                if cols.size:
                    dim_low = np.where(mask[:, cols] > 0, F[:, cols], np.inf).min(axis=1)
                    low = np.minimum(low, np.where(np.isinf(dim_low), 0.0, dim_low))
        out[:, inverse.ravel() == p] = np.where(np.isinf(low), 0.0, low)[:, None]
    return out


def _min_ranks(T: np.ndarray) -> np.ndarray:
    """Competition ranks of each row of ``T`` (ascending, ties share the lowest rank)."""
    order = np.argsort(T, axis=1)
    v = np.take_along_axis(T, order, axis=1)
    new = np.ones(T.shape, dtype=bool)
    new[:, 1:] = v[:, 1:] != v[:, :-1]
    pos = np.broadcast_to(np.arange(1, T.shape[1] + 1, dtype=np.int32), T.shape)
    rk = np.maximum.accumulate(np.where(new, pos, 0), axis=1)
    out = np.empty(T.shape, dtype=np.int32)
    np.put_along_axis(out, order, rk, axis=1)
    return out


def rank_within(
    scores: np.ndarray, groups: np.ndarray | None = None, decimals: int = 9
) -> np.ndarray:
    """Competition ranks (1 = highest score, ties share the best rank) along axis 0.

    Scores are rounded to ``decimals`` [points] first, so floating-point noise from
    different summation orders never splits a tie. The same as
    ``scipy.stats.rankdata(-scores, method="min", axis=0)``, computed on contiguous
    rows (one sort per draw), about three times faster.
    """
    T = np.ascontiguousarray(-np.round(scores, decimals).T)
    if groups is None:
        return _min_ranks(T).T
    out = np.empty(T.shape, dtype=np.int32)
    for g in dict.fromkeys(groups.tolist()):
        cols = np.flatnonzero(groups == g)
        out[:, cols] = _min_ranks(np.ascontiguousarray(T[:, cols]))
    return out.T
