"""The monthly monitoring feed: its columns, validation and monthly increments.

A feed is a long table with one row per unit x indicator x year x month:

========== ======= ===============================================================
column     dtype   meaning
========== ======= ===============================================================
unit       string  unit id (``wuhua`` ...)
indicator  string  indicator id (``budget_execution`` ...)
year       int     calendar year
month      int     1-12
target     float   annual target of the unit for the indicator and year [yuan]
actual     float   cumulative actual from January to the end of the month [yuan]
========== ======= ===============================================================

Cumulative actuals never decrease within a year; the target is the same in every
month of a year. :func:`validate_feed` returns the feed sorted, with ``unit`` and
``indicator`` as categoricals (fast grouping over millions of rows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems, rows_phrase
from kmmodel.tables import separator_hint

__all__ = [
    "FEED_COLUMNS",
    "KEYS",
    "feed_problems",
    "group_key",
    "subset",
    "validate_feed",
    "with_increments",
]

FEED_COLUMNS = ("unit", "indicator", "year", "month", "target", "actual")
KEYS = ["unit", "indicator", "year"]
_VALID = "kmmodel_valid_feed"
_PROBLEM_COLUMNS = ["row", "unit", "indicator", "year", "field", "problem"]


def _codes(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (-1 for missing) and sorted unique values of a key column."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.cat.codes.to_numpy().astype(np.int64), pd.Index(s.cat.categories)
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        codes, uniques = pd.factorize(s.to_numpy(), sort=True)
        return codes.astype(np.int64), pd.Index(uniques)
    values = s.to_numpy(dtype=object)  # factorising objects is ~2x faster than StringArray
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:  # mixed types (numbers and text) cannot be sorted: compare as text
        codes, uniques = pd.factorize(s.astype("string").to_numpy(dtype=object), sort=True)
    return codes.astype(np.int64), pd.Index(uniques, dtype=object)


def group_key(df: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """One int64 key per row identifying the combination of ``cols`` (fast grouping)."""
    key = np.zeros(len(df), dtype=np.int64)
    for c in cols:
        codes, uniques = _codes(df[c])
        key = key * (len(uniques) + 1) + (codes + 1)
    return key


def _parse(feed: pd.DataFrame):
    """Parse a feed into codes and numbers and collect every problem (no raising)."""
    if not isinstance(feed, pd.DataFrame):
        msg = f"expected a DataFrame, got {type(feed).__name__}"
        return pd.DataFrame([[-1, None, None, None, "feed", msg]], columns=_PROBLEM_COLUMNS), None
    missing = [c for c in FEED_COLUMNS if c not in feed.columns]
    if missing:
        rows = [
            [
                -1,
                None,
                None,
                None,
                c,
                f"missing column; expected columns {list(FEED_COLUMNS)}, "
                f"found {list(map(str, feed.columns))}{separator_hint(feed.columns)}",
            ]
            for c in missing
        ]
        return pd.DataFrame(rows, columns=_PROBLEM_COLUMNS), None
    n = len(feed)
    if n == 0:
        msg = "no data rows (a header only?); expected one row per unit x indicator x month"
        return pd.DataFrame([[-1, None, None, None, "feed", msg]], columns=_PROBLEM_COLUMNS), None
    found: list[tuple[np.ndarray, str, str]] = []
    keys = {}
    for c in ("unit", "indicator"):
        codes, uniques = _codes(feed[c])
        blank = np.flatnonzero(uniques.astype(str).str.strip() == "")
        found.append(((codes < 0) | np.isin(codes, blank), c, "empty id"))
        keys[c] = (codes, uniques)
    num = {}
    for c in ("year", "month", "target", "actual"):
        v = pd.to_numeric(feed[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        num[c] = v
        found.append((np.isnan(v), c, "missing or not a number"))
    y, m, t, a = num["year"], num["month"], num["target"], num["actual"]
    with np.errstate(invalid="ignore"):
        found.append((~np.isnan(y) & (y % 1 != 0), "year", "expected a whole year"))
        bad_m = ~np.isnan(m) & ((m % 1 != 0) | (m < 1) | (m > 12))
        found.append((bad_m, "month", "month out of range: expected a whole number 1-12"))
        found.append((~np.isnan(t) & ~(t > 0), "target", "annual target must be > 0"))
        found.append((np.isinf(t), "target", "annual target is infinite"))
        found.append(
            (
                ~np.isnan(a) & ((a < 0) | np.isinf(a)),
                "actual",
                "cumulative actual must be finite and >= 0",
            )
        )
    # order by unit, indicator, year, month; rows with unusable keys are left out of the
    # sequence checks (they are reported above)
    uc, ic = keys["unit"][0], keys["indicator"][0]
    usable = (uc >= 0) & (ic >= 0) & ~np.isnan(y) & ~np.isnan(m) & ~bad_m
    yi = np.where(np.isnan(y), 0, y).astype(np.int64)
    mi = np.where(usable, m, 0).astype(np.int64)
    pos = np.flatnonzero(usable)
    ny = int(yi.max() - yi.min() + 1) if n else 1
    combined = ((uc * (ic.max(initial=0) + 1) + ic) * ny + (yi - yi.min(initial=0))) * 13 + mi
    cp = combined[pos]
    if np.all(cp[1:] > cp[:-1]):  # already sorted without duplicates: skip the sort
        order = pos
    else:
        order = pos[np.argsort(cp, kind="stable")]  # ties (duplicates) keep file order
    su, si, sy, sm = uc[order], ic[order], yi[order], mi[order]
    same = np.r_[False, (su[1:] == su[:-1]) & (si[1:] == si[:-1]) & (sy[1:] == sy[:-1])]
    dup_next = same & np.r_[False, sm[1:] == sm[:-1]]
    dup = np.zeros(n, bool)
    dup[order[dup_next]] = True
    dup[order[np.r_[dup_next[1:], False]]] = True
    found.append((dup, "month", "duplicate unit x indicator x year x month"))
    sa, st = a[order], t[order]
    prev_a = np.r_[np.nan, sa[:-1]]
    prev_t = np.r_[np.nan, st[:-1]]
    with np.errstate(invalid="ignore"):
        dec = same & (sa < prev_a)
        tchg = same & (st != prev_t) & ~np.isnan(st) & ~np.isnan(prev_t)
    mask = np.zeros(n, bool)
    mask[order[dec]] = True
    found.append((mask, "actual", "cumulative actual decreases from the previous month"))
    mask = np.zeros(n, bool)
    mask[order[tchg]] = True
    found.append((mask, "target", "annual target differs from the previous month's"))

    parts = []
    for bad, field, msg in found:
        p = np.flatnonzero(bad)
        if p.size:
            parts.append(
                pd.DataFrame(
                    {
                        "row": p,
                        "unit": feed["unit"].iloc[p].to_numpy(),
                        "indicator": feed["indicator"].iloc[p].to_numpy(),
                        "year": y[p],
                        "field": field,
                        "problem": msg,
                    }
                )
            )
    problems = (
        pd.concat(parts, ignore_index=True)[_PROBLEM_COLUMNS]
        if parts
        else pd.DataFrame(columns=_PROBLEM_COLUMNS)
    )
    return problems, (keys, num, order)


def feed_problems(feed: pd.DataFrame) -> pd.DataFrame:
    """Every problem of a feed, one row each (nothing raised).

    Parameters
    ----------
    feed : pandas.DataFrame
        A monthly feed (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        Columns ``row`` (0-based position), ``unit``, ``indicator``, ``year``, ``field``,
        ``problem``. Empty when the feed is valid. A missing column (or an input that is
        not a DataFrame) is reported with ``row`` -1.
    """
    return _parse(feed)[0]


def _raise(found: pd.DataFrame, source: str) -> None:
    probs = Problems(source=source)
    for (field, problem), grp in found.groupby(["field", "problem"], sort=False):
        pos = grp["row"].to_numpy()
        where = "" if field == "feed" else f"column {field}"
        if (pos >= 0).all():
            probs.add(f"{problem} in {rows_phrase(pos)}", where)
        else:
            probs.add(f"{problem}", where)
    probs.raise_if_any(DataError)


def validate_feed(feed: pd.DataFrame, source: str = "feed") -> pd.DataFrame:
    """Check a feed and return a clean, typed, sorted copy.

    Parameters
    ----------
    feed : pandas.DataFrame
        A monthly feed (see the module docstring).
    source : str
        Name used in error messages (a file path, "feed").

    Returns
    -------
    pandas.DataFrame
        Sorted by unit, indicator, year, month; ``unit`` and ``indicator`` categorical,
        ``year`` and ``month`` int64, ``target`` and ``actual`` float64.

    Raises
    ------
    DataError
        Listing every problem at once with its file rows (header = row 1): missing columns,
        non-numbers, months outside 1-12, missing or non-positive targets, negative or
        decreasing cumulative actuals, duplicate months, targets that change within a year.
    """
    if isinstance(feed, pd.DataFrame) and feed.attrs.get(_VALID) == id(feed):
        return feed  # this very object was validated (copies and edits are checked again)
    found, parsed = _parse(feed)
    if len(found):
        _raise(found, source)
    keys, num, order = parsed
    out = pd.DataFrame(
        {
            "unit": pd.Categorical.from_codes(keys["unit"][0][order], keys["unit"][1]),
            "indicator": pd.Categorical.from_codes(
                keys["indicator"][0][order], keys["indicator"][1]
            ),
            "year": num["year"][order].astype(np.int64),
            "month": num["month"][order].astype(np.int64),
            "target": num["target"][order],
            "actual": num["actual"][order],
        }
    )
    return _mark_valid(out)


def _mark_valid(df: pd.DataFrame) -> pd.DataFrame:
    """Mark a row subset of a validated feed (still sorted and valid) as validated."""
    df.attrs[_VALID] = id(df)
    return df


def subset(feed: pd.DataFrame, mask) -> pd.DataFrame:
    """Rows of a validated feed (keeps the validated mark; sorting is preserved)."""
    out = feed[np.asarray(mask, bool)].reset_index(drop=True)
    return _mark_valid(out)


def with_increments(feed: pd.DataFrame) -> pd.DataFrame:
    """Add ``increment`` (the month's own amount [yuan]) and ``share`` (increment / target).

    The feed is validated (and sorted) first. A month missing in the middle of a year
    makes the next increment cover both months.
    """
    f = validate_feed(feed)
    sid = group_key(f, ["unit", "indicator"]) * 10_000 + (f["year"].to_numpy() % 10_000)
    a = f["actual"].to_numpy()
    first = np.r_[True, sid[1:] != sid[:-1]]
    prev = np.where(first, 0.0, np.r_[0.0, a[:-1]])
    out = f.assign(increment=a - prev)
    out["share"] = out["increment"].to_numpy() / out["target"].to_numpy()
    return _mark_valid(out)
