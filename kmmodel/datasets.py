"""Shipped data sets: names, loading with dtypes, validation, regeneration.

Each data set is declared by a :class:`Dataset` in a topic module of
:mod:`kmmodel.catalog` (a module-level ``DATASETS`` list); this module lists them
all. A data set has a file under ``data/`` (in an installed package: the copy
shipped inside it, see :func:`kmmodel.paths.data_dir`), its columns with dtypes, a
provenance (``seed`` / ``public`` / ``synthetic``) and, when synthetic, the seeded
generator that made it: ``kmmodel data --regenerate`` rewrites the files from the
generators, and a test proves the shipped files equal what they produce.

This module is part of the examples layer (with :mod:`kmmodel.catalog` and
:mod:`kmmodel.examples`): it sits above the domain packages, which take their data
as arguments and never import it.

Examples
--------
>>> import kmmodel as km
>>> "units" in km.datasets.names()
True
>>> km.datasets.load("units").shape[0] >= 14
True
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import pandas as pd

from kmmodel.catalog._dataset import PROVENANCES, Dataset, coerce, to_csv_bytes
from kmmodel.errors import DataError

__all__ = [
    "PROVENANCES",
    "Dataset",
    "coerce",
    "generate",
    "info",
    "load",
    "names",
    "path",
    "registry",
    "to_csv_bytes",
]


@cache
def registry() -> dict[str, Dataset]:
    """All declared data sets, by name (the ``DATASETS`` of each :mod:`kmmodel.catalog` module).

    A new topic module is added to the import below; a test checks that every module
    of :mod:`kmmodel.catalog` is listed.
    """
    # lazy: the topic modules import the domain packages (scipy, pydantic, statsmodels
    # through them), which ``import kmmodel.datasets`` should not pay for
    from kmmodel.catalog import (
        allocation,
        assessment,
        base,
        correction,
        costbenefit,
        monitoring,
        satisfaction,
        tender,
    )

    out: dict[str, Dataset] = {}
    topics = (
        allocation,
        assessment,
        base,
        correction,
        costbenefit,
        monitoring,
        satisfaction,
        tender,
    )
    for module in topics:
        for ds in getattr(module, "DATASETS", ()):
            if ds.name in out:
                raise RuntimeError(f"data set {ds.name!r} declared twice")
            out[ds.name] = ds
    return dict(sorted(out.items()))


def names() -> list[str]:
    """Names of the shipped data sets (sorted)."""
    return list(registry())


def info() -> pd.DataFrame:
    """One row per data set: name, file, provenance, description, columns."""
    return pd.DataFrame(
        [
            {
                "name": d.name,
                "file": d.file,
                "provenance": d.provenance,
                "description": d.description,
                "columns": ", ".join(d.columns),
            }
            for d in registry().values()
        ]
    )


def _get(name: str) -> Dataset:
    reg = registry()
    if name not in reg:
        raise DataError(
            f"unknown data set {name!r}; expected one of: {', '.join(reg)}", source="datasets"
        )
    return reg[name]


def path(name: str) -> Path:
    """Absolute path of a data set's file [path]."""
    return _get(name).path()


def load(name: str) -> pd.DataFrame:
    """Load a shipped data set as a DataFrame with its declared dtypes.

    Parameters
    ----------
    name : str
        One of :func:`names`.

    Returns
    -------
    pandas.DataFrame
        Validated: declared columns, dtypes, no unexpected empties, domain checks.

    Raises
    ------
    DataError
        Unknown name, missing file, or a file that fails validation (all problems listed).
    """
    return _get(name).load()


def generate(name: str) -> bytes:
    """Run a synthetic data set's generator and return the file's bytes."""
    ds = _get(name)
    if ds.generator is None:
        raise DataError(f"data set {name!r} is {ds.provenance} data, not generated")
    data = to_csv_bytes(ds.generator())
    raw = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, na_values=[""])
    coerce(raw, ds, source=f"generator of {name}")  # a generator must make valid data
    return data
