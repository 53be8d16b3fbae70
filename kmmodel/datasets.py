"""Shipped data sets: names, loading with dtypes, validation, regeneration.

Each data set is declared by a :class:`Dataset` in a topic module of
:mod:`kmmodel.catalog` (a module-level ``DATASETS`` list); this module finds
them all. A data set has a file under ``data/``, its columns with dtypes, a
provenance (``seed`` / ``public`` / ``synthetic``) and, when synthetic, the seeded
generator that made it: ``kmmodel data --regenerate`` rewrites the files from
the generators, and a test proves the shipped files equal what they produce.

Examples
--------
>>> import kmmodel as km
>>> "units" in km.datasets.names()
True
>>> km.datasets.load("units").shape[0] >= 14
True
"""

from __future__ import annotations

import importlib
import io
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

from kmmodel.errors import DataError, Problems, rows_phrase
from kmmodel.paths import data_dir
from kmmodel.tables import require

__all__ = ["Dataset", "info", "load", "names", "path", "registry", "to_csv_bytes"]

PROVENANCES = ("seed", "public", "synthetic")
_DTYPES = {"string", "int64", "float64", "bool", "date"}


@dataclass(frozen=True)
class Dataset:
    """Declaration of one shipped data set.

    Parameters
    ----------
    name : str
        Public name passed to :func:`load`.
    file : str
        Path relative to ``data/`` (``.csv`` or ``.yaml`` holding a list of records).
    provenance : {"seed", "public", "synthetic"}
        Where the numbers come from (see ``data/README.md``).
    description : str
        One line for listings.
    columns : dict
        Column name -> dtype (``string``, ``int64``, ``float64``, ``bool``, ``date``).
        Columns listed in ``nullable`` may be empty; all others must be filled.
    generator : callable, optional
        ``generator() -> DataFrame`` for synthetic data (seeded inside).
    check : callable, optional
        ``check(df, problems)`` adding domain problems (ranges, keys) to a
        :class:`kmmodel.errors.Problems`.
    """

    name: str
    file: str
    provenance: str
    description: str
    columns: dict[str, str]
    generator: Callable[[], pd.DataFrame] | None = None
    check: Callable[[pd.DataFrame, Problems], None] | None = None
    nullable: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.provenance not in PROVENANCES:
            raise ValueError(f"{self.name}: provenance must be one of {PROVENANCES}")
        bad = {c: t for c, t in self.columns.items() if t not in _DTYPES}
        if bad:
            raise ValueError(f"{self.name}: unknown dtypes {bad}")
        if self.provenance == "synthetic" and self.generator is None:
            raise ValueError(f"{self.name}: synthetic data needs its generator")


@cache
def registry() -> dict[str, Dataset]:
    """All declared data sets, by name (topic modules found in :mod:`kmmodel.catalog`)."""
    import kmmodel.catalog as pkg

    out: dict[str, Dataset] = {}
    for mod in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"{pkg.__name__}.{mod.name}")
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
    return data_dir() / _get(name).file


def _read_raw(file: Path) -> pd.DataFrame:
    if file.suffix == ".csv":
        return pd.read_csv(file, dtype=str, keep_default_na=False, na_values=[""])
    if file.suffix in (".yaml", ".yml"):
        from kmmodel.safeload import read_yaml

        records = read_yaml(file, error=DataError)
        if isinstance(records, dict) and "records" in records:
            records = records["records"]
        if not isinstance(records, list):
            raise DataError("expected a list of records", source=str(file))
        return pd.DataFrame.from_records(records).astype(object)
    raise DataError(f"unsupported file type {file.suffix!r}", source=str(file))


def coerce(df: pd.DataFrame, ds: Dataset, source: str) -> pd.DataFrame:
    """Check columns and convert to the declared dtypes, listing every problem."""
    probs = Problems(source=source)
    require(df, list(ds.columns), probs, "rows", rows=False)
    extra = [c for c in df.columns if c not in ds.columns]
    if extra:
        probs.add(f"unexpected column(s) {extra}")
    probs.raise_if_any(DataError)
    out = {}
    for col, dtype in ds.columns.items():
        s = df[col]
        empty = s.isna() | (s.astype(str).str.strip() == "")
        if empty.any() and col not in ds.nullable:
            probs.add(
                f"empty values in {rows_phrase(empty.to_numpy().nonzero()[0])}", f"column {col}"
            )
        if dtype == "string":
            out[col] = s.where(~empty, None).astype("string")
        elif dtype in ("int64", "float64"):
            num = pd.to_numeric(s.where(~empty, None), errors="coerce")
            bad = num.isna() & ~empty
            if bad.any():
                probs.add(
                    f"expected a number in {rows_phrase(bad.to_numpy().nonzero()[0])}, "
                    f"got {s[bad].astype(str).head(3).tolist()}",
                    f"column {col}",
                )
            if dtype == "int64":
                frac = num.notna() & (num.fillna(0) % 1 != 0)
                if frac.any():
                    probs.add(
                        f"expected whole numbers in {rows_phrase(frac.to_numpy().nonzero()[0])}",
                        f"column {col}",
                    )
                out[col] = (
                    num.astype("Int64") if col in ds.nullable else num.fillna(0).astype("int64")
                )
            else:
                out[col] = num.astype("float64")
        elif dtype == "bool":
            txt = s.astype(str).str.strip().str.lower()
            ok = txt.isin(["true", "false", "1", "0"])
            if (~ok & ~empty).any():
                probs.add(
                    f"expected true/false in {rows_phrase((~ok & ~empty).to_numpy().nonzero()[0])}",
                    f"column {col}",
                )
            out[col] = txt.isin(["true", "1"])
        elif dtype == "date":
            d = pd.to_datetime(s.where(~empty, None), errors="coerce", format="%Y-%m-%d")
            bad = d.isna() & ~empty
            if bad.any():
                probs.add(
                    f"expected a date YYYY-MM-DD in {rows_phrase(bad.to_numpy().nonzero()[0])}",
                    f"column {col}",
                )
            out[col] = d
    probs.raise_if_any(DataError)
    result = pd.DataFrame(out, index=pd.RangeIndex(len(df)))
    if ds.check is not None:
        ds.check(result, probs)
        probs.raise_if_any(DataError)
    return result


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
    ds = _get(name)
    file = data_dir() / ds.file
    if not file.is_file():
        raise DataError(
            "data file is missing; restore it from git or run `kmmodel data --regenerate`",
            source=str(file),
        )
    return coerce(_read_raw(file), ds, source=str(file))


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """Canonical CSV encoding used for every shipped file (UTF-8, ``\\n``, no index)."""
    from kmmodel.io import csv_bytes

    return csv_bytes(df, safe=False, bom=False)


def generate(name: str) -> bytes:
    """Run a synthetic data set's generator and return the file's bytes."""
    ds = _get(name)
    if ds.generator is None:
        raise DataError(f"data set {name!r} is {ds.provenance} data, not generated")
    data = to_csv_bytes(ds.generator())
    raw = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, na_values=[""])
    coerce(raw, ds, source=f"generator of {name}")  # a generator must make valid data
    return data
