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

from kmmodel.errors import DataError, Problems
from kmmodel.tables import Column, Table

__all__ = [
    "SENSITIVITY",
    "SENSITIVITY_COLUMNS",
    "SHOCKS",
    "SHOCK_COLUMNS",
    "arrays",
    "check_sensitivity",
    "check_shocks",
    "validate",
]

SCALES = ("level", "growth")


#: Shocks, one row per unit, year and event.
SHOCKS = Table(
    "shocks",
    (
        Column("year", "int", expect="a whole year"),
        Column("unit", ref="units.unit", label="unit"),
        Column("event", ref="sensitivity.event", label="event kind"),
        Column("exposure", "float", low=0, high=1, expect="a share in [0, 1] (0.25 = 25%)"),
        Column("months", "int", low=0, high=12, expect="a whole number of months in [0, 12]"),
        Column("severity", "float", low=0, high=1, expect="a severity share in [0, 1]"),
        Column("description", required=False, nullable=True),
    ),
    key=("year", "unit", "event"),
    key_message="the same (year, unit, event) appears twice in {rows}",
    allow_empty=True,
)
#: Sensitivity of each indicator to each event kind.
SENSITIVITY = Table(
    "sensitivity",
    (
        Column("indicator", ref="indicators.indicator", label="indicator"),
        Column("event"),
        Column("sensitivity", "float", low=0, high=1, expect="a sensitivity share in [0, 1]"),
        Column("scale", choices=SCALES),
    ),
    key=("indicator", "event"),
    key_message="the same (indicator, event) appears twice in {rows}",
    allow_empty=True,
)
SHOCK_COLUMNS = SHOCKS.names
SENSITIVITY_COLUMNS = SENSITIVITY.names


def check_shocks(
    df: pd.DataFrame, probs: Problems, units: Sequence[str] | None = None, events=None
) -> pd.DataFrame | None:
    """Add every problem of a shocks table to ``probs``; return it typed (None when columns
    are missing). ``units`` / ``events``: the allowed unit ids and event kinds (unchecked
    when None)."""
    if not SHOCKS.require(df, probs):
        return None
    refs = {"units.unit": units, "sensitivity.event": events}
    return SHOCKS.check(df, probs=probs, refs={k: v for k, v in refs.items() if v is not None})


def check_sensitivity(
    df: pd.DataFrame, probs: Problems, indicators: Sequence[str] | None = None
) -> pd.DataFrame | None:
    """Add every problem of a sensitivity table to ``probs``; return it typed."""
    if not SENSITIVITY.require(df, probs):
        return None
    refs = {"indicators.indicator": indicators} if indicators is not None else None
    out = SENSITIVITY.check(df, probs=probs, refs=refs)
    mixed = out.groupby("indicator")["scale"].nunique()
    if (mixed > 1).any():
        probs.add(
            f"indicator(s) {sorted(mixed.index[mixed > 1])} have more than one scale; "
            "an indicator is either a level or a growth rate",
            "column scale",
        )
    return out


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
