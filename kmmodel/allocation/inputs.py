"""Validation of the allocation models' tidy inputs (items, agencies, bids).

Each ``check_*`` function takes a DataFrame, converts the columns a model needs,
and raises :class:`kmmodel.errors.DataError` listing *every* problem with its file
row (``rows_phrase``: header = row 1) and column. The catalogue's data-set checks
reuse the same rules, so a shipped file and a user's file are held to one standard.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems, rows_phrase

__all__ = [
    "AGENCY_COLUMNS",
    "BID_COLUMNS",
    "ITEM_COLUMNS",
    "QUALIFICATIONS",
    "check_agencies",
    "check_bids",
    "check_items",
    "split_list",
]

#: Qualifications an item may require; ``any`` accepts every agency.
QUALIFICATIONS = ("cpa", "research", "engineering", "any")

#: Item columns: name -> (dtype, needed by allocate_budget, needed by assign_packages).
ITEM_COLUMNS = {
    "item": ("string", True, True),
    "name_zh": ("string", False, False),
    "group": ("string", False, False),
    "budget_unit": ("string", False, True),
    "evaluated_object": ("string", False, True),
    "fund": ("float64", True, False),
    "risk": ("float64", True, False),
    "priority": ("float64", False, False),
    "min_cost": ("float64", True, False),
    "max_cost": ("float64", True, True),
    "saturation": ("float64", True, False),
    "qualification": ("string", False, True),
    "effort_pm": ("float64", False, True),
    "package": ("string", False, True),
}
AGENCY_COLUMNS = {
    "agency": "string",
    "name_zh": "string",
    "kind": "string",
    "qualifications": "string",
    "capacity_pm": "float64",
    "ties": "string",
}
BID_COLUMNS = {
    "package": "string",
    "agency": "string",
    "price": "float64",
    "quality": "float64",
    "plan_months": "float64",
    "report_months": "float64",
}


def split_list(value) -> frozenset[str]:
    """Split a ``;``-separated cell (``"cpa;research"``) into a set of stripped names."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return frozenset()
    return frozenset(p.strip() for p in str(value).split(";") if p.strip())


def _need(df: pd.DataFrame, cols, probs: Problems, what: str) -> bool:
    if not isinstance(df, pd.DataFrame):
        probs.add(f"expected a pandas DataFrame of {what}, got {type(df).__name__}")
        return False
    missing = [c for c in cols if c not in df.columns]
    if missing:
        probs.add(f"missing column(s) {missing}; expected at least {list(cols)}")
        return False
    if len(df) == 0:
        probs.add(f"expected at least one row of {what}")
        return False
    return True


def _numbers(df, col, probs, *, low=None, high=None, strict_low=False, unit="") -> pd.Series:
    raw = df[col]
    num = pd.to_numeric(raw, errors="coerce").astype("float64")
    missing = raw.isna() | (raw.astype(str).str.strip() == "")
    bad = num.isna() & ~missing
    if missing.any():
        probs.add(f"missing value in {rows_phrase(np.flatnonzero(missing))}", f"column {col}")
    if bad.any():
        probs.add(
            f"expected a number in {rows_phrase(np.flatnonzero(bad))}, "
            f"got {raw[bad].astype(str).head(3).tolist()}",
            f"column {col}",
        )
    inf = np.isinf(num.fillna(0))
    if inf.any():
        probs.add(
            f"expected a finite number in {rows_phrase(np.flatnonzero(inf))}", f"column {col}"
        )
    if low is not None:
        under = (num <= low) if strict_low else (num < low)
        if under.fillna(False).any():
            rel = ">" if strict_low else ">="
            probs.add(
                f"expected {rel} {low}{unit} in {rows_phrase(np.flatnonzero(under.fillna(False)))}, "
                f"got {num[under.fillna(False)].head(3).tolist()}",
                f"column {col}",
            )
    if high is not None:
        over = (num > high).fillna(False)
        if over.any():
            probs.add(
                f"expected <= {high}{unit} in {rows_phrase(np.flatnonzero(over))}, "
                f"got {num[over].head(3).tolist()}",
                f"column {col}",
            )
    return num


def _strings(df, col, probs, *, required=True) -> pd.Series:
    s = df[col].astype("string").str.strip()
    empty = s.isna() | (s == "")
    if required and empty.any():
        probs.add(f"missing value in {rows_phrase(np.flatnonzero(empty))}", f"column {col}")
    return s.where(~empty, None)


def _unique(s: pd.Series, col: str, probs: Problems) -> None:
    dup = s.duplicated(keep=False) & s.notna()
    if dup.any():
        probs.add(
            f"duplicate ids {sorted(s[dup].unique().tolist())} in {rows_phrase(np.flatnonzero(dup))}",
            f"column {col}",
        )


def check_items(
    items: pd.DataFrame,
    source: str = "items",
    *,
    for_packages: bool = False,
    probs: Problems | None = None,
) -> pd.DataFrame:
    """Validate evaluation items; return a clean copy (0-based RangeIndex).

    Parameters
    ----------
    items : pandas.DataFrame
        One row per item: ``item`` id, ``fund`` [yuan], ``risk`` [share 0-1],
        ``priority`` [weight >= 0, default 1], ``min_cost`` / ``max_cost`` [yuan],
        ``saturation`` [yuan]; for package awards also ``package``, ``budget_unit``,
        ``evaluated_object``, ``qualification`` and ``effort_pm`` [person-months].
    source : str
        Name used in error messages (a file name).
    for_packages : bool
        Check the columns :func:`~kmmodel.allocation.assign_packages` needs instead.
    probs : Problems, optional
        Collect into this instead of raising (used by the data catalogue).

    Raises
    ------
    DataError
        Missing columns, duplicate ids, negative or missing costs, ``min_cost >
        max_cost``, risk outside 0-1, unknown qualification (all listed at once).
    """
    own = probs is None
    probs = probs if probs is not None else Problems(source=source)
    idx = 2 if for_packages else 1
    need = [c for c, spec in ITEM_COLUMNS.items() if spec[idx]]
    if not _need(items, need, probs, "items"):
        probs.raise_if_any(DataError)
        return items
    df = items.reset_index(drop=True).copy()
    df["item"] = _strings(df, "item", probs)
    _unique(df["item"], "item", probs)
    if "priority" not in df.columns:
        df["priority"] = 1.0
    for col in ("name_zh", "group"):
        if col not in df.columns:
            df[col] = df["item"] if col == "name_zh" else "all"
        df[col] = df[col].astype("string")
    df["name_zh"] = df["name_zh"].fillna(df["item"]).fillna("")
    df["group"] = df["group"].fillna("")
    if not for_packages:
        df["fund"] = _numbers(df, "fund", probs, low=0, unit=" yuan")
        df["risk"] = _numbers(df, "risk", probs, low=0, high=1)
        df["priority"] = _numbers(df, "priority", probs, low=0)
        df["min_cost"] = _numbers(df, "min_cost", probs, low=0, unit=" yuan")
        df["saturation"] = _numbers(df, "saturation", probs, low=0, strict_low=True, unit=" yuan")
    df["max_cost"] = _numbers(df, "max_cost", probs, low=0, strict_low=True, unit=" yuan")
    if not for_packages:
        inverted = (df["min_cost"] > df["max_cost"]).fillna(False)
        if inverted.any():
            probs.add(
                f"min_cost is above max_cost in {rows_phrase(np.flatnonzero(inverted))}",
                "columns min_cost, max_cost",
            )
    if for_packages:
        for col in ("package", "budget_unit", "evaluated_object", "qualification"):
            df[col] = _strings(df, col, probs)
        df["effort_pm"] = _numbers(
            df, "effort_pm", probs, low=0, strict_low=True, unit=" person-months"
        )
        q = df["qualification"]
        unknown = q.notna() & ~q.isin(QUALIFICATIONS)
        if unknown.any():
            probs.add(
                f"expected one of {QUALIFICATIONS} in {rows_phrase(np.flatnonzero(unknown))}, "
                f"got {sorted(q[unknown].unique().tolist())}",
                "column qualification",
            )
    if own:
        probs.raise_if_any(DataError)
    return df


def check_agencies(
    agencies: pd.DataFrame, source: str = "agencies", probs: Problems | None = None
) -> pd.DataFrame:
    """Validate agencies: id, ``qualifications`` (``;``-list), ``capacity_pm``
    [person-months available inside the report window], ``ties`` (``;``-list of
    bodies the agency is tied to; may be empty). Returns a clean copy."""
    own = probs is None
    probs = probs if probs is not None else Problems(source=source)
    if not _need(agencies, ["agency", "qualifications", "capacity_pm"], probs, "agencies"):
        probs.raise_if_any(DataError)
        return agencies
    df = agencies.reset_index(drop=True).copy()
    df["agency"] = _strings(df, "agency", probs)
    _unique(df["agency"], "agency", probs)
    if "ties" not in df.columns:
        df["ties"] = None
    if "name_zh" not in df.columns:
        df["name_zh"] = df["agency"]
    df["capacity_pm"] = _numbers(df, "capacity_pm", probs, low=0, unit=" person-months")
    quals = df["qualifications"].map(split_list)
    unknown = quals.map(lambda s: bool(s - set(QUALIFICATIONS)))
    if unknown.any():
        probs.add(
            f"expected ';'-separated names from {QUALIFICATIONS} in "
            f"{rows_phrase(np.flatnonzero(unknown))}",
            "column qualifications",
        )
    if own:
        probs.raise_if_any(DataError)
    return df


def check_bids(
    bids: pd.DataFrame,
    source: str = "bids",
    *,
    agencies: pd.DataFrame | None = None,
    packages=None,
    probs: Problems | None = None,
    key: str = "package",
) -> pd.DataFrame:
    """Validate bids (one row per package x agency): ``price`` [yuan] > 0, ``quality``
    [points 0-100], ``plan_months`` / ``report_months`` [months after signing] > 0.
    Agency ids must exist in ``agencies`` and packages in ``packages`` when given;
    a package may get at most one bid per agency. ``key="item"`` checks item-level
    bids (an ``item`` column instead of ``package``; ``packages`` then lists items)."""
    own = probs is None
    probs = probs if probs is not None else Problems(source=source)
    cols = [key if c == "package" else c for c in BID_COLUMNS]
    if not _need(bids, cols, probs, "bids"):
        probs.raise_if_any(DataError)
        return bids
    df = bids.reset_index(drop=True).copy()
    df[key] = _strings(df, key, probs)
    df["agency"] = _strings(df, "agency", probs)
    df["price"] = _numbers(df, "price", probs, low=0, strict_low=True, unit=" yuan")
    df["quality"] = _numbers(df, "quality", probs, low=0, high=100, unit=" points")
    for col in ("plan_months", "report_months"):
        df[col] = _numbers(df, col, probs, low=0, strict_low=True, unit=" months")
    late = (df["plan_months"] > df["report_months"]).fillna(False)
    if late.any():
        probs.add(
            f"plan_months is after report_months in {rows_phrase(np.flatnonzero(late))}",
            "columns plan_months, report_months",
        )
    dup = df.duplicated([key, "agency"], keep=False)
    if dup.any():
        probs.add(
            f"more than one bid by the same agency for {'an' if key == 'item' else 'a'} {key} in {rows_phrase(np.flatnonzero(dup))}"
        )
    if agencies is not None:
        unknown = df["agency"].notna() & ~df["agency"].isin(agencies["agency"])
        if unknown.any():
            probs.add(
                f"unknown agency id(s) {sorted(df.loc[unknown, 'agency'].unique().tolist())} in "
                f"{rows_phrase(np.flatnonzero(unknown))}; expected one of the agencies table",
                "column agency",
            )
    if packages is not None:
        unknown = df[key].notna() & ~df[key].isin(list(packages))
        if unknown.any():
            probs.add(
                f"unknown {key}(s) {sorted(df.loc[unknown, key].unique().tolist())} in "
                f"{rows_phrase(np.flatnonzero(unknown))}; expected {'an' if key == 'item' else 'a'} "
                f"{key} of the items table",
                f"column {key}",
            )
    if own:
        probs.raise_if_any(DataError)
    return df
