"""Expert panels: combining raters' scores and measuring how far they agree.

Qualitative indicators (领导班子建设, 项目管理规范性 …) and the technical part of a tender
are scored by several experts. This module turns a long ratings table (one row per
unit x indicator x rater) into one score per unit and indicator, and tells how much
the experts agree:

- :func:`combine` — mean, median or the trimmed mean that Chinese review panels use
  (去掉一个最高分和一个最低分: drop one highest and one lowest score, average the rest),
  with the number of raters checked;
- :func:`agreement` — Krippendorff's alpha per indicator (interval and ordinal; the
  ``krippendorff`` package), the two-way random-effects ICC(2,1) where the ratings form a
  complete units x raters table, and the raters who deviate systematically;
- :func:`rater_bias` — each rater's mean deviation from the other raters, with a t test;
- :func:`resample_raters`, :func:`redraw_panels` — panels redrawn from the raters
  (bootstrap), for the spread a different panel would give.

References
----------
Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School
for Communication, University of Pennsylvania (worked example C: interval alpha 0.849,
nominal 0.743, ordinal 0.815).
Shrout, P. E. and Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
reliability. Psychological Bulletin 86(2), 420-428 (Table 2: ICC(2,1) = 0.29).
McGraw, K. O. and Wong, S. P. (1996). Forming inferences about some intraclass
correlation coefficients. Psychological Methods 1(1), 30-46.

Examples
--------
>>> import pandas as pd
>>> from kmmodel import panel
>>> r = pd.DataFrame({"unit": "u1", "indicator": "i1", "rater": list("ABCDE"),
...                   "score": [70, 80, 85, 90, 99]})
>>> panel.combine(r)["score"].item()  # (80 + 85 + 90) / 3
85.0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems, rows_phrase
from kmmodel.rng import as_generator

__all__ = [
    "METHODS",
    "agreement",
    "combine",
    "icc",
    "median_of_others",
    "rater_bias",
    "redraw_panels",
    "resample_raters",
]

#: method -> fewest raters it needs (the trimmed mean drops two scores, so needs three).
METHODS = {"mean": 1, "median": 1, "trimmed": 3}


def _keys(unit) -> list[str]:
    return [unit] if isinstance(unit, str) else list(unit)


def _check(
    ratings,
    unit,
    indicator: str,
    rater: str,
    score: str,
    scale: tuple[float, float] | None,
    source: str,
    probs: Problems,
) -> pd.DataFrame | None:
    if not isinstance(ratings, pd.DataFrame):
        probs.add(f"expected a pandas DataFrame of ratings, got {type(ratings).__name__}")
        return None
    cols = [*_keys(unit), indicator, rater, score]
    missing = [c for c in cols if c not in ratings.columns]
    if missing:
        probs.add(f"missing column(s) {missing}; expected {cols}")
        return None
    if len(ratings) == 0:
        probs.add("expected at least one rating")
        return None
    df = ratings[cols].reset_index(drop=True).copy()
    for c in cols[:-1]:
        s = df[c].astype("string").str.strip()
        empty = s.isna() | (s == "")
        if empty.any():
            probs.add(f"missing value in {rows_phrase(np.flatnonzero(empty))}", f"column {c}")
        df[c] = s
    raw = df[score]
    num = pd.to_numeric(raw, errors="coerce").astype("float64")
    bad = num.isna() | ~np.isfinite(num)
    if bad.any():
        probs.add(
            f"expected a finite number in {rows_phrase(np.flatnonzero(bad))}, "
            f"got {raw[bad].astype(str).head(3).tolist()}",
            f"column {score}",
        )
    if scale is not None:
        out = ((num < scale[0]) | (num > scale[1])).fillna(False)
        if out.any():
            probs.add(
                f"expected scores within {scale[0]:g}-{scale[1]:g} in "
                f"{rows_phrase(np.flatnonzero(out))}, got {num[out].head(3).tolist()}",
                f"column {score}",
            )
    df[score] = num
    dup = df.duplicated(cols[:-1], keep=False)
    if dup.any():
        probs.add(
            f"the same rater scores the same {'/'.join(_keys(unit))} and {indicator} more than "
            f"once in {rows_phrase(np.flatnonzero(dup))}"
        )
    return df


def median_of_others(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """For each finite value, the median of the *other* finite values of its group
    (NaN where there are none), without a loop over rows."""
    out = np.full(len(values), np.nan)
    ok = np.isfinite(values)
    if not ok.any():
        return out
    g = pd.factorize(groups[ok])[0]
    v = values[ok]
    order = np.lexsort((v, g))
    sv, sg = v[order], g[order]
    n = np.bincount(sg)[sg]
    start = np.searchsorted(sg, sg, side="left")
    i = np.arange(len(sv)) - start  # position within the group
    m = n - 1

    def without_i(j):  # j-th smallest of the group once the value itself is left out
        jj = np.where(j < i, j, j + 1)
        return sv[np.clip(start + jj, 0, len(sv) - 1)]

    odd = without_i((m - 1) // 2)
    even = (without_i(m // 2 - 1) + without_i(m // 2)) / 2
    med = np.where(m % 2 == 1, odd, even)
    med = np.where(m >= 1, med, np.nan)
    res = np.empty(len(v))
    res[order] = med
    out[ok] = res
    return out


def combine(
    ratings: pd.DataFrame,
    method: str = "trimmed",
    *,
    min_raters: int | None = None,
    unit: str | Sequence[str] = "unit",
    indicator: str = "indicator",
    rater: str = "rater",
    score: str = "score",
    scale: tuple[float, float] | None = None,
    source: str = "ratings",
) -> pd.DataFrame:
    """One score per unit and indicator from several raters' scores.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Long table: ``unit``, ``indicator``, ``rater``, ``score`` [points, the
        indicator's own scale]. One row per rater per unit and indicator.
    method : {"trimmed", "mean", "median"}, default "trimmed"
        ``trimmed`` drops the single highest and single lowest score and averages the
        rest (去掉一个最高分、一个最低分后取算术平均, the practice of Chinese review
        panels); ``mean`` and ``median`` as named.
    min_raters : int, optional
        Fewest raters every unit x indicator must have; default the method's minimum
        (:data:`METHODS`: 3 for ``trimmed``, else 1). A larger value can encode a
        panel rule, e.g. 5 for a procurement evaluation committee.
    unit : str or list of str, default "unit"
        Column(s) naming the rated object, e.g. ``["package", "agency"]`` for bids.
    indicator, rater, score : str
        Column names.
    scale : (float, float), optional
        Allowed score range [points]; scores outside it are reported.
    source : str
        Name used in error messages (a file name).

    Returns
    -------
    pandas.DataFrame
        The key columns, ``indicator``, ``score`` [points], ``n_raters``, ``low`` and
        ``high`` (the extreme scores, which ``trimmed`` drops) and ``spread``
        (high - low) [points]. Sorted by the keys.

    Raises
    ------
    DataError
        Missing columns, non-numeric or out-of-scale scores, a rater scoring the same
        cell twice, an unknown method, or cells with fewer raters than the method needs
        (each such unit and indicator named) — every problem at once.
    """
    probs = Problems(source=source)
    if method not in METHODS:
        probs.add(f"expected one of {tuple(METHODS)}, got {method!r}", "method")
    need = METHODS.get(method, 1) if min_raters is None else min_raters
    if not (isinstance(need, (int, np.integer)) and need >= 1):
        probs.add(f"expected a whole number >= 1, got {min_raters!r}", "min_raters")
        need = 1
    elif method in METHODS and need < METHODS[method]:
        probs.add(
            f"method {method!r} needs at least {METHODS[method]} raters, got min_raters={need}",
            "min_raters",
        )
    df = _check(ratings, unit, indicator, rater, score, scale, source, probs)
    if df is None:
        probs.raise_if_any(DataError)
    keys = [*_keys(unit), indicator]
    g = df.groupby(keys, sort=True)[score]
    out = g.agg(n_raters="count", total="sum", low="min", high="max", mean="mean", median="median")
    few = out[out["n_raters"] < need]
    if len(few):
        cells = [
            f"{'/'.join(map(str, k[:-1]))} x {k[-1]} ({n})"
            for k, n in zip(few.index, few["n_raters"])
        ]
        probs.add(
            f"method {method!r} needs at least {need} raters per cell; fewer in "
            + ", ".join(cells[:10])
            + (f" and {len(cells) - 10} more" if len(cells) > 10 else "")
        )
    probs.raise_if_any(DataError)
    if method == "trimmed":
        out["score"] = (out["total"] - out["low"] - out["high"]) / (out["n_raters"] - 2)
    else:
        out["score"] = out[method]
    out["spread"] = out["high"] - out["low"]
    res = out.reset_index()[[*keys, "score", "n_raters", "low", "high", "spread"]]
    return res.rename(columns={score: "score"}) if score != "score" else res


def icc(matrix) -> float:
    """ICC(2,1): two-way random effects, absolute agreement, single rater.

    Parameters
    ----------
    matrix : array-like, shape (n_units, n_raters)
        Complete table of scores (no missing values), at least 2 x 2.

    Returns
    -------
    float
        ``(MSR - MSE) / (MSR + (k-1) MSE + k (MSC - MSE) / n)`` (Shrout & Fleiss 1979,
        case 2; McGraw & Wong 1996, ICC(A,1)); NaN when the table has no variance.

    Examples
    --------
    >>> x = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> round(icc(x), 2)  # Shrout & Fleiss (1979), Table 2 and Table 4
    0.29
    """
    x = np.asarray(matrix, dtype=float)
    if x.ndim != 2 or min(x.shape) < 2 or not np.isfinite(x).all():
        raise DataError(f"expected a complete table of at least 2 units x 2 raters, got {x.shape}")
    n, k = x.shape
    grand = x.mean()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_err = ((x - grand) ** 2).sum() - ss_rows - ss_cols
    msr, msc, mse = ss_rows / (n - 1), ss_cols / (k - 1), ss_err / ((n - 1) * (k - 1))
    den = msr + (k - 1) * mse + k * (msc - mse) / n
    return float((msr - mse) / den) if den > 0 else float("nan")


def rater_bias(
    ratings: pd.DataFrame,
    *,
    unit: str | Sequence[str] = "unit",
    indicator: str = "indicator",
    rater: str = "rater",
    score: str = "score",
    level: float = 0.99,
) -> pd.DataFrame:
    """Each rater's systematic deviation from the rest of the panel, per indicator.

    For every score, the deviation is the score minus the median of the *other*
    raters' scores of the same unit and indicator (the median, so that one lenient
    rater does not make the others look severe); a rater's bias is the mean deviation
    over the units rated, tested against zero with a one-sample t test.

    Parameters
    ----------
    ratings : pandas.DataFrame
        As for :func:`combine`.
    level : float, default 0.99
        A rater is flagged when the two-sided t-test p-value is below ``1 - level``
        and at least 3 units were rated.

    Returns
    -------
    pandas.DataFrame
        ``indicator``, ``rater``, ``n_units``, ``mean_deviation`` [points], ``t``,
        ``p_value``, ``flagged`` (bool).
    """
    from scipy import stats

    probs = Problems(source="ratings")
    df = _check(ratings, unit, indicator, rater, score, None, "ratings", probs)
    probs.raise_if_any(DataError)
    keys = [*_keys(unit), indicator]
    cell = pd.MultiIndex.from_frame(df[keys]).factorize()[0]
    others = median_of_others(cell, df[score].to_numpy(float))
    d = df.assign(dev=df[score] - others)
    a = d.dropna(subset=["dev"]).groupby([indicator, rater], sort=True)["dev"]
    out = a.agg(n_units="count", mean_deviation="mean", sd="std").reset_index()
    se = out["sd"] / np.sqrt(out["n_units"])
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, out["mean_deviation"] / se, np.nan)
    p = 2 * stats.t.sf(np.abs(t), np.maximum(out["n_units"] - 1, 1))
    out["t"] = t
    out["p_value"] = np.where(np.isfinite(t), p, np.nan)
    out["flagged"] = (out["n_units"] >= 3) & (out["p_value"] < 1 - level)
    out = out.rename(columns={indicator: "indicator", rater: "rater"})
    return out[["indicator", "rater", "n_units", "mean_deviation", "t", "p_value", "flagged"]]


def agreement(
    ratings: pd.DataFrame,
    *,
    unit: str | Sequence[str] = "unit",
    indicator: str = "indicator",
    rater: str = "rater",
    score: str = "score",
    level: float = 0.99,
) -> pd.DataFrame:
    """How far the raters agree, per indicator.

    Parameters
    ----------
    ratings : pandas.DataFrame
        As for :func:`combine`; missing cells (a rater who did not score a unit) are
        allowed — Krippendorff's alpha handles them.
    level : float, default 0.99
        Confidence level of the rater-bias test (:func:`rater_bias`).

    Returns
    -------
    pandas.DataFrame
        One row per indicator: ``indicator``, ``alpha`` (Krippendorff, interval metric),
        ``alpha_ordinal``, ``icc`` (ICC(2,1) when every rater scored every unit, else
        NaN), ``n_units``, ``n_raters``, ``n_ratings``, ``deviant_raters`` (raters whose
        scores sit systematically above or below the others, ``;``-joined).
        Alpha is NaN where it is undefined (fewer than 2 units with 2 ratings, or no
        variation at all).

    Notes
    -----
    Alpha 1 is perfect agreement, 0 agreement at chance level; Krippendorff (2004)
    suggests relying on data with alpha >= 0.800 and drawing only tentative conclusions
    from 0.667 <= alpha < 0.800.
    """
    import krippendorff

    probs = Problems(source="ratings")
    df = _check(ratings, unit, indicator, rater, score, None, "ratings", probs)
    probs.raise_if_any(DataError)
    ukeys = _keys(unit)
    bias = rater_bias(df, unit=unit, indicator=indicator, rater=rater, score=score, level=level)
    deviant = bias[bias["flagged"]].groupby("indicator")["rater"].agg(lambda s: ";".join(sorted(s)))
    rows = []
    for ind, sub in df.groupby(indicator, sort=True):
        wide = sub.pivot_table(index=rater, columns=ukeys, values=score, aggfunc="first")
        data = wide.to_numpy(dtype=float)  # raters x units, NaN where not rated
        pairable = (np.isfinite(data).sum(axis=0) >= 2).sum()
        values = data[np.isfinite(data)]
        alpha = alpha_ord = float("nan")
        if pairable >= 2 and np.unique(values).size >= 2:
            alpha = float(
                krippendorff.alpha(reliability_data=data, level_of_measurement="interval")
            )
            alpha_ord = float(
                krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal")
            )
        complete = np.isfinite(data).all() and min(data.shape) >= 2
        rows.append(
            {
                "indicator": ind,
                "alpha": alpha,
                "alpha_ordinal": alpha_ord,
                "icc": icc(data.T) if complete else float("nan"),
                "n_units": data.shape[1],
                "n_raters": data.shape[0],
                "n_ratings": int(np.isfinite(data).sum()),
                "deviant_raters": deviant.get(ind, ""),
            }
        )
    return pd.DataFrame(rows)


def redraw_panels(ratings: pd.DataFrame, n_draws: int = 200, seed=0, rater: str = "rater"):
    """Ratings tables of panels redrawn from the raters, with replacement.

    Each draw picks as many raters as the panel has, with replacement; a rater drawn
    twice appears twice (relabelled ``rater#0``, ``rater#1``), one never drawn is absent.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Long ratings with a ``rater`` column.
    n_draws : int
        Number of panels.
    seed : int or numpy.random.Generator
        Randomness; the same seed gives the same panels.
    rater : str
        Column naming the rater.

    Yields
    ------
    pandas.DataFrame
        A ratings table of the same columns, one per draw.
    """
    if not (isinstance(n_draws, (int, np.integer)) and n_draws >= 1):
        raise DataError(f"expected a whole number >= 1, got {n_draws!r}", source="n_draws")
    if not isinstance(ratings, pd.DataFrame) or rater not in ratings.columns:
        raise DataError(f"expected a ratings DataFrame with a {rater!r} column", source="ratings")
    rng = as_generator(seed)
    r = ratings.assign(**{rater: ratings[rater].astype(str)})
    raters = np.sort(r[rater].unique())
    pick = rng.integers(0, len(raters), size=(n_draws, len(raters)))
    for d in range(n_draws):  # one table per draw
        counts = pd.Series(raters[pick[d]]).value_counts()
        rows = r[r[rater].isin(counts.index)]
        rep = rows.loc[rows.index.repeat(rows[rater].map(counts).to_numpy())].copy()
        rep[rater] = rep[rater] + "#" + rep.groupby(level=0).cumcount().astype(str)
        yield rep.reset_index(drop=True)


def resample_raters(
    ratings: pd.DataFrame,
    n_draws: int = 200,
    seed=0,
    method: str = "trimmed",
    **columns,
) -> pd.DataFrame:
    """Combined scores under panels redrawn from the raters (bootstrap over raters).

    Each draw samples as many raters as the panel has, with replacement, from the
    panel's raters (:func:`redraw_panels`) and recombines every unit's scores with
    ``method``; the spread of the draws is the uncertainty that comes from who sat on
    the panel.

    Parameters
    ----------
    ratings : pandas.DataFrame
        As for :func:`combine` (column names may be passed as keyword arguments).
    n_draws : int, default 200
        Number of redrawn panels.
    seed : int or numpy.random.Generator
        Randomness; the same seed gives the same draws.
    method : str
        Combination method (see :func:`combine`).

    Returns
    -------
    pandas.DataFrame
        The key columns, ``indicator``, ``draw`` and ``score`` [points].
    """
    rater = columns.get("rater", "rater")
    base = combine(ratings, method, **columns)  # validates
    frames = [
        combine(rep, method, **columns)
        .drop(columns=["n_raters", "low", "high", "spread"])
        .assign(draw=d)
        for d, rep in enumerate(redraw_panels(ratings, n_draws, seed, rater))
    ]
    out = pd.concat(frames, ignore_index=True)
    keys = [c for c in base.columns if c not in ("score", "n_raters", "low", "high", "spread")]
    return out[[*keys, "draw", "score"]]
