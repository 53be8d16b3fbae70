"""Base data sets: the example units and the figures of the seed text."""

from __future__ import annotations

import pandas as pd

from kmmodel.catalog._dataset import Dataset
from kmmodel.errors import Problems, rows_phrase

UNIT_KINDS = ("district", "county_city", "county", "autonomous_county", "development_zone")
UNIT_GROUPS = ("county_level", "development_zone")


def _check_units(df: pd.DataFrame, probs: Problems) -> None:
    dup = df["unit"].duplicated(keep=False)
    if dup.any():
        probs.add(
            f"duplicate unit ids in {rows_phrase(dup.to_numpy().nonzero()[0])}", "column unit"
        )
    bad = ~df["unit"].str.fullmatch(r"[a-z][a-z0-9_]*").fillna(False)
    if bad.any():
        probs.add(
            f"unit ids must be lower-case pinyin (a-z, 0-9, _) in {rows_phrase(bad.to_numpy().nonzero()[0])}",
            "column unit",
        )
    for col, allowed in (("kind", UNIT_KINDS), ("group", UNIT_GROUPS)):
        bad = ~df[col].isin(allowed)
        if bad.any():
            probs.add(
                f"expected one of {allowed} in {rows_phrase(bad.to_numpy().nonzero()[0])}",
                f"column {col}",
            )


def _check_facts(df: pd.DataFrame, probs: Problems) -> None:
    dup = df["id"].duplicated(keep=False)
    if dup.any():
        probs.add(f"duplicate fact ids in {rows_phrase(dup.to_numpy().nonzero()[0])}", "field id")


UNITS = Dataset(
    name="units",
    file="units.csv",
    provenance="public",
    description="Kunming's 14 county-level divisions and 4 development zones (example units)",
    columns={
        "unit": "string",
        "name_zh": "string",
        "name_en": "string",
        "kind": "string",
        "group": "string",
    },
    check=_check_units,
)
SEED_FACTS = Dataset(
    name="seed_facts",
    file="seed_facts.yaml",
    provenance="seed",
    description="Every figure in the seed text, with the sentence it comes from",
    columns={
        "id": "string",
        "value": "float64",
        "unit": "string",
        "year": "int64",
        "qualifier": "string",
        "description_en": "string",
        "quote_zh": "string",
    },
    nullable=("year",),
    check=_check_facts,
)

DATASETS = [UNITS, SEED_FACTS]


def unit_ids() -> list[str]:
    """Ids of the example units (for the cross-checks of the other topic modules)."""
    return UNITS.load()["unit"].astype(str).tolist()
