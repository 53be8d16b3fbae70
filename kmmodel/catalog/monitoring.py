"""Monitoring data sets: a synthetic monthly feed, third-party checks and payment records.

All three are **synthetic** (seeded generators in :mod:`kmmodel.monitoring.synthetic`)
with planted problems listed in :data:`kmmodel.monitoring.synthetic.PLANTED` and in
``data/README.md``. They do not describe the real Kunming.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmmodel.catalog._dataset import Dataset
from kmmodel.catalog.base import unit_ids
from kmmodel.errors import Problems, rows_phrase
from kmmodel.monitoring import synthetic
from kmmodel.monitoring.feed import feed_problems, validate_feed


def _feed() -> pd.DataFrame:
    return synthetic.make_feed(unit_ids())


def _third_party() -> pd.DataFrame:
    return synthetic.make_third_party(validate_feed(synthetic.make_feed(unit_ids())))


def _payments() -> pd.DataFrame:
    return synthetic.make_payments(unit_ids())


def _check_units(df: pd.DataFrame, probs: Problems) -> None:
    known = set(unit_ids())
    bad = ~df["unit"].isin(known)
    if bad.any():
        probs.add(
            f"unknown unit ids in {rows_phrase(np.flatnonzero(bad.to_numpy()))}; "
            "expected ids of data set 'units'",
            "column unit",
        )


def _check_feed(df: pd.DataFrame, probs: Problems) -> None:
    _check_units(df, probs)
    found = feed_problems(df)
    for (field, problem), grp in found.groupby(["field", "problem"], sort=False):
        probs.add(f"{problem} in {rows_phrase(grp['row'].to_numpy())}", f"column {field}")


def _check_third_party(df: pd.DataFrame, probs: Problems) -> None:
    _check_units(df, probs)
    bad = ~(df["value"] > 0)
    if bad.any():
        probs.add(f"values must be > 0 in {rows_phrase(np.flatnonzero(bad))}", "column value")
    dup = df.duplicated(["unit", "indicator", "year"], keep=False)
    if dup.any():
        probs.add(f"duplicate unit x indicator x year in {rows_phrase(np.flatnonzero(dup))}")


def _check_payments(df: pd.DataFrame, probs: Problems) -> None:
    _check_units(df, probs)
    bad = ~(df["amount"] > 0)
    if bad.any():
        probs.add(f"amounts must be > 0 in {rows_phrase(np.flatnonzero(bad))}", "column amount")


DATASETS = [
    Dataset(
        name="monthly_progress",
        file="monthly_progress.csv",
        provenance="synthetic",
        description="Synthetic monthly cumulative actuals vs annual targets, 18 units x 5 "
        "indicators x 2021-2025, with planted problems",
        columns={
            "unit": "string",
            "indicator": "string",
            "year": "int64",
            "month": "int64",
            "target": "float64",
            "actual": "float64",
        },
        generator=_feed,
        check=_check_feed,
    ),
    Dataset(
        name="third_party_checks",
        file="third_party_checks.csv",
        provenance="synthetic",
        description="Synthetic third-party year-end figures (2023-2025) for the monthly feed, "
        "with a planted source mismatch",
        columns={
            "unit": "string",
            "indicator": "string",
            "year": "int64",
            "source": "string",
            "value": "float64",
        },
        generator=_third_party,
        check=_check_third_party,
    ),
    Dataset(
        name="payment_records",
        file="payment_records.csv",
        provenance="synthetic",
        description="Synthetic 2025 payment amounts, 500 per unit, with one unit's invented "
        "amounts (Benford test)",
        columns={"unit": "string", "year": "int64", "payment": "int64", "amount": "float64"},
        generator=_payments,
        check=_check_payments,
    ),
]
