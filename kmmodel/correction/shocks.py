"""Shock data: which event hit which unit when, and how sensitive each indicator is.

Two tables, both validated with every problem listed at once:

**shocks** (``data/shocks.csv``), one row per unit, year and event:

=============  ========  ===========================================================
column         type      meaning
=============  ========  ===========================================================
year           int       assessment year the event falls in
unit           string    unit id (``km.datasets.load("units")``)
event          string    event kind (a row of the sensitivity table must name it)
exposure       float     share of the unit's population / output affected [share 0-1]
months         int       months of the year the event lasted [0-12]
severity       float     severity relative to the kind's reference event [share 0-1]
description    string    what the (illustrative) event is
=============  ========  ===========================================================

**sensitivity** (``data/shock_sensitivity.csv``), one row per indicator and event kind:
``indicator, event, sensitivity, scale`` — the share of the indicator lost when the
whole unit is exposed to the reference event for the whole year [share 0-1]; ``scale``
is ``level`` (the value itself) or ``growth`` (a growth rate, corrected on the level
``1 + rate`` so a negative rate never flips sign).

:func:`arrays` turns both into the standard arrays of a
:class:`kmmodel.correction.Panel`: for a unit hit by several events in one year,
the combined impact is ``1 - prod_j (1 - e_j * severity_j * s_j)``; exposure and
months are the largest of the events'; the panel's sensitivity is the combined
impact divided by that exposure (capped at 1).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems, rows_phrase
from kmmodel.tables import parse_numbers, require

__all__ = [
    "SENSITIVITY_COLUMNS",
    "SHOCK_COLUMNS",
    "arrays",
    "check_sensitivity",
    "check_shocks",
    "validate",
]

SHOCK_COLUMNS = ("year", "unit", "event", "exposure", "months", "severity", "description")
SENSITIVITY_COLUMNS = ("indicator", "event", "sensitivity", "scale")
SCALES = ("level", "growth")


def _rows(mask: pd.Series) -> str:
    return rows_phrase(np.flatnonzero(mask.to_numpy()))


def _missing(df: pd.DataFrame, cols: Sequence[str], probs: Problems) -> bool:
    return not require(df, cols, probs, "rows", rows=False)


def _num(df: pd.DataFrame, col: str, probs: Problems) -> pd.Series:
    s, empty, text, inf = parse_numbers(df[col])
    for bad, said in ((empty, "empty"), (text, "text"), (inf, "infinite")):
        if bad.any():
            probs.add(f"expected a number in {_rows(pd.Series(bad))}, got {said}", f"column {col}")
    return s


def check_shocks(
    df: pd.DataFrame, probs: Problems, units: Sequence[str] | None = None, events=None
) -> None:
    """Add every problem of a shocks table to ``probs``.

    ``units`` / ``events``: the allowed unit ids and event kinds (unchecked when None).
    """
    if _missing(df, SHOCK_COLUMNS[:-1], probs):
        return
    exp = _num(df, "exposure", probs)
    bad = exp.notna() & ((exp < 0) | (exp > 1))
    if bad.any():
        probs.add(
            f"exposure must be a share in [0, 1] (0.25 = 25%), got {exp[bad].tolist()[:5]} in {_rows(bad)}",
            "column exposure",
        )
    months = _num(df, "months", probs)
    bad = months.notna() & ((months < 0) | (months > 12) | (months % 1 != 0))
    if bad.any():
        probs.add(f"months must be a whole number in [0, 12] in {_rows(bad)}", "column months")
    sev = _num(df, "severity", probs)
    bad = sev.notna() & ((sev < 0) | (sev > 1))
    if bad.any():
        probs.add(f"severity must lie in [0, 1] in {_rows(bad)}", "column severity")
    year = _num(df, "year", probs)
    bad = year.notna() & (year % 1 != 0)
    if bad.any():
        probs.add(f"year must be a whole number in {_rows(bad)}", "column year")
    if units is not None:
        bad = ~df["unit"].isin(list(units))
        if bad.any():
            probs.add(
                f"unknown unit(s) {sorted(set(df.loc[bad, 'unit'].astype(str)))} in {_rows(bad)}; "
                "expected ids from km.datasets.load('units')",
                "column unit",
            )
    if events is not None:
        bad = ~df["event"].isin(list(events))
        if bad.any():
            probs.add(
                f"event kind(s) {sorted(set(df.loc[bad, 'event'].astype(str)))} in {_rows(bad)} have "
                f"no sensitivity rows; known kinds: {sorted(set(events))}",
                "column event",
            )
    dup = df.duplicated(["year", "unit", "event"], keep=False)
    if dup.any():
        probs.add(f"the same (year, unit, event) appears twice in {_rows(dup)}")


def check_sensitivity(
    df: pd.DataFrame, probs: Problems, indicators: Sequence[str] | None = None
) -> None:
    """Add every problem of a sensitivity table to ``probs``."""
    if _missing(df, SENSITIVITY_COLUMNS, probs):
        return
    s = _num(df, "sensitivity", probs)
    bad = s.notna() & ((s < 0) | (s > 1))
    if bad.any():
        probs.add(f"sensitivity must lie in [0, 1] in {_rows(bad)}", "column sensitivity")
    bad = ~df["scale"].isin(SCALES)
    if bad.any():
        probs.add(f"expected one of {SCALES} in {_rows(bad)}", "column scale")
    mixed = df.groupby("indicator")["scale"].nunique()
    if (mixed > 1).any():
        probs.add(
            f"indicator(s) {sorted(mixed.index[mixed > 1])} have more than one scale; "
            "an indicator is either a level or a growth rate",
            "column scale",
        )
    if indicators is not None:
        bad = ~df["indicator"].isin(list(indicators))
        if bad.any():
            probs.add(
                f"unknown indicator(s) {sorted(set(df.loc[bad, 'indicator'].astype(str)))} in {_rows(bad)}",
                "column indicator",
            )
    dup = df.duplicated(["indicator", "event"], keep=False)
    if dup.any():
        probs.add(f"the same (indicator, event) appears twice in {_rows(dup)}")


def validate(
    shocks: pd.DataFrame,
    sensitivity: pd.DataFrame,
    units: Sequence[str] | None = None,
    indicators: Sequence[str] | None = None,
    source: str = "shocks",
) -> None:
    """Validate both tables together; :class:`DataError` lists every problem."""
    probs = Problems(source=source)
    sub = Problems()
    check_sensitivity(sensitivity, sub, indicators)
    probs.extend(type(p)(p.message, f"sensitivity: {p.where}".rstrip(": ")) for p in sub.items)
    events = sensitivity["event"].unique() if "event" in sensitivity.columns else None
    sub = Problems()
    check_shocks(shocks, sub, units, events)
    probs.extend(type(p)(p.message, f"shocks: {p.where}".rstrip(": ")) for p in sub.items)
    probs.raise_if_any(DataError)


def arrays(
    shocks: pd.DataFrame,
    sensitivity: pd.DataFrame,
    units: Sequence[str],
    indicators: Sequence[str],
    year: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exposure (U,), months (U,) and sensitivity (U, I) of ``year`` for a Panel.

    Indicators missing from the sensitivity table for an event are taken as not
    sensitive (0). Validates both tables first.

    Returns
    -------
    exposure [share 0-1], months [months], sensitivity [share 0-1]
    """
    units, indicators = list(units), list(indicators)
    validate(shocks, sensitivity, units, None)
    rows = shocks.loc[shocks["year"].astype(int) == int(year)]
    u_idx = pd.Index(units).get_indexer(rows["unit"])
    s = sensitivity.pivot(index="event", columns="indicator", values="sensitivity")
    s = s.reindex(columns=indicators).fillna(0.0).astype(float)
    per_event = s.reindex(rows["event"]).to_numpy()  # (rows, I)
    e = rows["exposure"].to_numpy(dtype=float)
    x = e[:, None] * rows["severity"].to_numpy(dtype=float)[:, None] * per_event
    keep = np.ones((len(units), len(indicators)))
    np.multiply.at(keep, u_idx, 1.0 - x)
    impact = 1.0 - keep
    exposure = np.zeros(len(units))
    months = np.zeros(len(units))
    np.maximum.at(exposure, u_idx, e)
    np.maximum.at(months, u_idx, rows["months"].to_numpy(dtype=float))
    with np.errstate(invalid="ignore", divide="ignore"):
        sens = np.where(
            exposure[:, None] > 0, impact / np.where(exposure > 0, exposure, 1)[:, None], 0.0
        )
    return exposure, months, np.clip(sens, 0.0, 1.0)
