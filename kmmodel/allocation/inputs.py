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
from kmmodel.tables import Column, Table

__all__ = [
    "AGENCIES",
    "AGENCY_COLUMNS",
    "BIDS",
    "BUDGET_ITEM_COLUMNS",
    "ITEMS",
    "ITEM_BIDS",
    "PACKAGE_ITEM_COLUMNS",
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

_YUAN, _PM = " yuan", " person-months"

#: Evaluation items (one row per fiscal expenditure item to evaluate).
ITEMS = Table(
    "items",
    (
        Column("item", unique=True),
        Column("name_zh", required=False, nullable=True),
        Column("group", required=False, nullable=True),
        Column("budget_unit", required=False),
        Column("evaluated_object", required=False),
        Column("fund", "float", required=False, low=0, unit=_YUAN),
        Column("risk", "float", required=False, low=0, high=1),
        Column("priority", "float", required=False, low=0, default=1.0),
        Column("min_cost", "float", required=False, low=0, unit=_YUAN),
        Column("max_cost", "float", low=0, low_open=True, unit=_YUAN),
        Column("saturation", "float", required=False, low=0, low_open=True, unit=_YUAN),
        Column("qualification", required=False, choices=QUALIFICATIONS),
        Column("effort_pm", "float", required=False, low=0, low_open=True, unit=_PM),
        Column("package", required=False),
    ),
    ordered=(("min_cost", "max_cost", "min_cost is above max_cost in {rows}"),),
)
#: Columns :func:`~kmmodel.allocation.allocate_budget` needs / checks.
BUDGET_ITEM_COLUMNS = ("item", "fund", "risk", "min_cost", "max_cost", "saturation")
#: Columns :func:`~kmmodel.allocation.assign_packages` needs / checks.
PACKAGE_ITEM_COLUMNS = (
    "item",
    "budget_unit",
    "evaluated_object",
    "max_cost",
    "qualification",
    "effort_pm",
    "package",
)
#: Third-party evaluation agencies.
AGENCIES = Table(
    "agencies",
    (
        Column("agency", unique=True),
        Column("name_zh", required=False, nullable=True),
        Column("kind", required=False, nullable=True),
        Column("qualifications"),
        Column("capacity_pm", "float", low=0, unit=_PM),
        Column("ties", required=False, nullable=True),
    ),
)
#: Bids, one row per package x agency (``item`` instead of ``package`` for item-level bids).
BIDS = Table(
    "bids",
    (
        Column("package", ref="items.package", label="package"),
        Column("agency", ref="agencies.agency"),
        Column("price", "float", low=0, low_open=True, unit=_YUAN),
        Column("quality", "float", low=0, high=100, unit=" points"),
        Column("plan_months", "float", low=0, low_open=True, unit=" months"),
        Column("report_months", "float", low=0, low_open=True, unit=" months"),
    ),
    key=("package", "agency"),
    key_message="more than one bid by the same agency for a package in {rows}",
    ordered=(("plan_months", "report_months", "plan_months is after report_months in {rows}"),),
)
#: Item-level bids (sub-package formation): ``item`` in place of ``package``.
ITEM_BIDS = Table(
    "item_bids",
    (Column("item", ref="items.item", label="item"), *BIDS.columns[1:]),
    key=("item", "agency"),
    key_message="more than one bid by the same agency for an item in {rows}",
    ordered=BIDS.ordered,
)
#: ``{column: dtype}`` views of the declarations (the data catalogue uses them).
ITEM_COLUMNS = ITEMS.dtypes()
AGENCY_COLUMNS = AGENCIES.dtypes()
BID_COLUMNS = BIDS.dtypes()


def split_list(value) -> frozenset[str]:
    """Split a ``;``-separated cell (``"cpa;research"``) into a set of stripped names."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return frozenset()
    return frozenset(p.strip() for p in str(value).split(";") if p.strip())


def _rows(mask) -> str:
    return rows_phrase(np.flatnonzero(np.asarray(mask, dtype=bool)))


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
    need = PACKAGE_ITEM_COLUMNS if for_packages else BUDGET_ITEM_COLUMNS
    optional = ("name_zh", "group", "priority")
    df = ITEMS.check(items, probs=probs, columns=(*need, *optional), required=need)
    for col, fill in (("name_zh", df["item"]), ("group", "")):
        if col not in df.columns:
            df[col] = df["item"] if col == "name_zh" else "all"
        df[col] = df[col].astype("string").fillna(fill).fillna("")
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
    df = AGENCIES.check(agencies, probs=probs)
    if "ties" not in df.columns:
        df["ties"] = None
    if "name_zh" not in df.columns:
        df["name_zh"] = df["agency"]
    quals = df["qualifications"].map(split_list)
    unknown = quals.map(lambda s: bool(s - set(QUALIFICATIONS)))
    if unknown.any():
        probs.add(
            f"expected ';'-separated names from {QUALIFICATIONS} in {_rows(unknown)}",
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
    table = ITEM_BIDS if key == "item" else BIDS
    refs = {}
    if agencies is not None:
        refs["agencies.agency"] = agencies["agency"]
    if packages is not None:
        refs[table[key].ref] = list(packages)
    df = table.check(bids, probs=probs, refs=refs)
    if own:
        probs.raise_if_any(DataError)
    return df
