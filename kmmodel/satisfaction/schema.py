"""Survey schema: what a resident-satisfaction survey table must hold, and its checks.

One row per respondent. Required columns: ``respondent`` (unique id), ``unit``
(district id, see ``km.datasets.load("units")``), ``overall`` (overall satisfaction on
an ordinal scale, 1-5 by default) and ``weight`` (survey weight, positive). Attribute
ratings (one column per service, same scale) and respondent characteristics are
further columns; :data:`ATTRIBUTES` and :data:`CHARACTERISTICS` name those of the
shipped survey. An optional ``service`` column names the service or project a
questionnaire was about, when one table holds several.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems, rows_phrase
from kmmodel.tables import require

__all__ = [
    "ATTRIBUTES",
    "ATTRIBUTE_LABELS",
    "CHARACTERISTICS",
    "REQUIRED",
    "SCALE",
    "check_survey",
    "validate_survey",
]

SCALE = (1, 5)
"""Default answer scale (inclusive) of ``overall`` and attribute ratings [points]."""

REQUIRED = ("respondent", "unit", "overall", "weight")

ATTRIBUTES = ("education", "health", "transport", "environment", "safety", "gov_service")
"""Attribute-rating columns of the shipped survey (1-5 each)."""

ATTRIBUTE_LABELS = {
    "education": "教育",
    "health": "医疗卫生",
    "transport": "交通出行",
    "environment": "生态环境",
    "safety": "社会治安",
    "gov_service": "政务服务",
}
"""Chinese display labels of :data:`ATTRIBUTES`."""

CHARACTERISTICS = ("age", "female", "urban", "income_band")
"""Respondent characteristics of the shipped survey: age [years], female (0/1),
urban (0/1), income_band (1 lowest to 5 highest household-income quintile)."""


def check_survey(
    df: pd.DataFrame,
    probs: Problems,
    *,
    attributes: Iterable[str] | None = None,
    scale: Sequence[int] = SCALE,
    units: Iterable[str] | None = None,
) -> None:
    """Add every problem found in a survey table to ``probs`` (nothing is raised here).

    Parameters
    ----------
    df : DataFrame
        The survey, one row per respondent.
    probs : Problems
        Collector the findings go to.
    attributes : iterable of str, optional
        Attribute-rating columns to check against ``scale``; default: those of
        :data:`ATTRIBUTES` that are present.
    scale : (int, int)
        Lowest and highest allowed answer [points].
    units : iterable of str, optional
        Allowed unit ids (for the shipped survey: ``km.datasets.load("units")["unit"]``);
        default: any non-empty id.
    """
    lo, hi = int(scale[0]), int(scale[1])
    if not lo < hi:
        probs.add(f"scale must be (low, high) with low < high, got {tuple(scale)}", "scale")
        return
    missing = [c for c in REQUIRED if c not in df.columns]
    if attributes is None:
        attributes = [a for a in ATTRIBUTES if a in df.columns]
    else:
        attributes = list(attributes)
        missing += [a for a in attributes if a not in df.columns]
    if missing:
        require(df, list(dict.fromkeys([*REQUIRED, *missing])), probs, "respondents")
        return
    if len(df) == 0:
        probs.add("the survey has no respondents")
        return
    ids = df["respondent"]
    dup = ids.duplicated(keep=False) & ids.notna()
    if dup.any():
        probs.add(
            f"duplicate respondent ids in {rows_phrase(np.flatnonzero(dup.to_numpy()))}",
            "column respondent",
        )
    unit = df["unit"].astype("string")
    bad = unit.isna() | (unit.str.strip() == "").fillna(True)
    if units is not None:
        bad |= ~unit.isin({str(u) for u in units}).fillna(False)
    if bad.any():
        shown = sorted(set(unit[bad].dropna().astype(str)))[:5]
        expected = "a unit id" if units is None else "one of the given unit ids (units=)"
        probs.add(
            f"unknown or empty unit in {rows_phrase(np.flatnonzero(bad.to_numpy()))} "
            f"(got {shown}); expected {expected}",
            "column unit",
        )
    for col in ["overall", *attributes]:
        num = pd.to_numeric(df[col], errors="coerce")
        empty = df[col].isna()
        notnum = num.isna() & ~empty
        out = num.notna() & ((num < lo) | (num > hi) | (num % 1 != 0))
        if empty.any():
            probs.add(
                f"missing answers in {rows_phrase(np.flatnonzero(empty.to_numpy()))}",
                f"column {col}",
            )
        if (notnum | out).any():
            rows = np.flatnonzero((notnum | out).to_numpy())
            probs.add(
                f"answers must be whole numbers {lo}-{hi}; bad values "
                f"{df[col][notnum | out].astype(str).head(3).tolist()} in {rows_phrase(rows)}",
                f"column {col}",
            )
    w = pd.to_numeric(df["weight"], errors="coerce")
    badw = w.isna() | ~np.isfinite(w.fillna(np.nan)) | (w <= 0)
    if badw.any():
        probs.add(
            "survey weights must be positive finite numbers; missing or bad in "
            f"{rows_phrase(np.flatnonzero(badw.to_numpy()))}",
            "column weight",
        )


def validate_survey(
    df: pd.DataFrame,
    *,
    attributes: Iterable[str] | None = None,
    scale: Sequence[int] = SCALE,
    units: Iterable[str] | None = None,
    source: str = "survey",
) -> pd.DataFrame:
    """Check a survey table and return a copy with numeric answers and weights.

    Parameters
    ----------
    df : DataFrame
        One row per respondent (see the module docstring for the columns).
    attributes, scale, units
        As in :func:`check_survey`.
    source : str
        Name shown in error messages (a file path, "survey" …).

    Returns
    -------
    DataFrame
        A copy; ``overall`` and attribute columns as int64, ``weight`` as float64.

    Raises
    ------
    DataError
        Listing every problem: missing columns, duplicate ids, unknown units,
        answers outside the scale, missing or non-positive weights.
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(df).__name__}", source=source)
    probs = Problems(source=source)
    check_survey(df, probs, attributes=attributes, scale=scale, units=units)
    probs.raise_if_any(DataError)
    out = df.copy()
    if attributes is None:
        attributes = [a for a in ATTRIBUTES if a in df.columns]
    for col in ["overall", *attributes]:
        out[col] = pd.to_numeric(out[col]).astype("int64")
    out["weight"] = pd.to_numeric(out["weight"]).astype("float64")
    return out
