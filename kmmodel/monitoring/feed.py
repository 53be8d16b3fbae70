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
month of a year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems, rows_phrase

__all__ = ["FEED_COLUMNS", "KEYS", "feed_problems", "validate_feed", "with_increments"]

FEED_COLUMNS = ("unit", "indicator", "year", "month", "target", "actual")
KEYS = ["unit", "indicator", "year"]


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
        ``problem``. Empty when the feed is valid. Missing columns are reported with
        ``row`` -1.
    """
    cols = ["row", "unit", "indicator", "year", "field", "problem"]
    if not isinstance(feed, pd.DataFrame):
        return pd.DataFrame(
            [[-1, None, None, None, "feed", f"expected a DataFrame, got {type(feed).__name__}"]],
            columns=cols,
        )
    missing = [c for c in FEED_COLUMNS if c not in feed.columns]
    if missing:
        return pd.DataFrame(
            [
                [-1, None, None, None, c, f"missing column; expected columns {list(FEED_COLUMNS)}"]
                for c in missing
            ],
            columns=cols,
        )
    df = feed.reset_index(drop=True)
    found: list[tuple[np.ndarray, str, str]] = []
    for c in ("unit", "indicator"):
        empty = df[c].isna() | (df[c].astype(str).str.strip() == "")
        found.append((empty.to_numpy(), c, "empty id"))
    num = {}
    for c in ("year", "month", "target", "actual"):
        v = pd.to_numeric(df[c], errors="coerce")
        num[c] = v
        found.append((v.isna().to_numpy(), c, "missing or not a number"))
    y, m, t, a = num["year"], num["month"], num["target"], num["actual"]
    found.append(((y.notna() & (y % 1 != 0)).to_numpy(), "year", "expected a whole year"))
    bad_m = m.notna() & ((m % 1 != 0) | (m < 1) | (m > 12))
    found.append((bad_m.to_numpy(), "month", "month out of range: expected a whole number 1-12"))
    found.append(((t.notna() & ~(t > 0)).to_numpy(), "target", "annual target must be > 0"))
    found.append((np.isinf(t).to_numpy(), "target", "annual target is infinite"))
    bad_a = (((a < 0) | np.isinf(a)) & a.notna()).to_numpy()
    found.append((bad_a, "actual", "cumulative actual must be finite and >= 0"))
    key = df[["unit", "indicator"]].astype(str).assign(year=y, month=m)
    dup = key.duplicated(keep=False).to_numpy() & y.notna().to_numpy() & m.notna().to_numpy()
    found.append((dup, "month", "duplicate unit x indicator x year x month"))
    # cumulative actuals must not decrease; the target must not change within a year
    ok_month = ~bad_m & m.notna()
    order = key.assign(_pos=np.arange(len(df)), _a=a, _t=t)[ok_month.to_numpy()]
    order = order.sort_values(["unit", "indicator", "year", "month", "_pos"], kind="stable")
    same = (
        (order["unit"] == order["unit"].shift())
        & (order["indicator"] == order["indicator"].shift())
        & (order["year"] == order["year"].shift())
    )
    dec = same & (order["_a"] < order["_a"].shift())
    dec_mask = np.zeros(len(df), bool)
    dec_mask[order.loc[dec, "_pos"].to_numpy()] = True
    found.append((dec_mask, "actual", "cumulative actual decreases from the previous month"))
    prev_t = order["_t"].shift()
    tchg = same & (order["_t"] != prev_t) & order["_t"].notna() & prev_t.notna()
    t_mask = np.zeros(len(df), bool)
    t_mask[order.loc[tchg, "_pos"].to_numpy()] = True
    found.append((t_mask, "target", "annual target differs from the previous month's"))
    rows = []
    for mask, field, msg in found:
        pos = np.flatnonzero(mask)
        if pos.size:
            rows.append(
                pd.DataFrame(
                    {
                        "row": pos,
                        "unit": df["unit"].iloc[pos].to_numpy(),
                        "indicator": df["indicator"].iloc[pos].to_numpy(),
                        "year": y.iloc[pos].to_numpy(),
                        "field": field,
                        "problem": msg,
                    }
                )
            )
    if not rows:
        return pd.DataFrame(columns=cols)
    return pd.concat(rows, ignore_index=True)[cols]


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
        The feed sorted by unit, indicator, year, month with dtypes string / int64 / float64.

    Raises
    ------
    DataError
        Listing every problem at once with its file rows (header = row 1): missing columns,
        non-numbers, months outside 1-12, missing or non-positive targets, negative or
        decreasing cumulative actuals, duplicate months, targets that change within a year.
    """
    found = feed_problems(feed)
    if len(found):
        probs = Problems(source=source)
        for (field, problem), grp in found.groupby(["field", "problem"], sort=False):
            pos = grp["row"].to_numpy()
            where = f"column {field}" if (pos >= 0).all() else ""
            rows = f" in {rows_phrase(pos)}" if (pos >= 0).all() else f": {field}"
            probs.add(f"{problem}{rows}", where)
        probs.raise_if_any(DataError)
    out = pd.DataFrame(
        {
            "unit": feed["unit"].astype("string").to_numpy(),
            "indicator": feed["indicator"].astype("string").to_numpy(),
            "year": pd.to_numeric(feed["year"]).astype(np.int64).to_numpy(),
            "month": pd.to_numeric(feed["month"]).astype(np.int64).to_numpy(),
            "target": pd.to_numeric(feed["target"]).astype(float).to_numpy(),
            "actual": pd.to_numeric(feed["actual"]).astype(float).to_numpy(),
        }
    )
    return out.sort_values([*KEYS, "month"], kind="stable", ignore_index=True)


def with_increments(feed: pd.DataFrame) -> pd.DataFrame:
    """Add ``increment`` (the month's own amount [yuan]) and ``share`` (increment / target).

    ``feed`` must be validated and sorted (see :func:`validate_feed`). A month missing in
    the middle of a year makes the next increment cover both months.
    """
    prev = feed.groupby(KEYS, sort=False, observed=True)["actual"].shift(fill_value=0.0)
    out = feed.assign(increment=feed["actual"].to_numpy() - prev.to_numpy())
    out["share"] = out["increment"] / out["target"]
    return out
