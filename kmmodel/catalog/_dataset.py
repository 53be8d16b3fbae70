"""Declaration of one shipped data set, and reading it with its dtypes.

:class:`Dataset` is what the topic modules of :mod:`kmmodel.catalog` declare and what
:mod:`kmmodel.datasets` lists. It lives here, below both, so that a topic module can
read another data set it cross-checks (e.g. the unit ids) through its declaration
instead of going back up through :mod:`kmmodel.datasets`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kmmodel.errors import DataError, Problems, rows_phrase
from kmmodel.paths import data_dir
from kmmodel.tables import require

__all__ = ["PROVENANCES", "Dataset", "coerce", "read_raw", "to_csv_bytes"]

PROVENANCES = ("seed", "public", "synthetic")
_DTYPES = {"string", "int64", "float64", "bool", "date"}


@dataclass(frozen=True)
class Dataset:
    """Declaration of one shipped data set.

    Parameters
    ----------
    name : str
        Public name passed to :func:`kmmodel.datasets.load`.
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

    def path(self) -> Path:
        """Absolute path of the data set's file [path] (see :func:`kmmodel.paths.data_dir`)."""
        return data_dir() / self.file

    def load(self) -> pd.DataFrame:
        """Read the file with the declared dtypes (see :func:`kmmodel.datasets.load`)."""
        file = self.path()
        if not file.is_file():
            raise DataError(
                "data file is missing; restore it from git or run `kmmodel data --regenerate`",
                source=str(file),
            )
        return coerce(read_raw(file), self, source=str(file))


def read_raw(file: Path) -> pd.DataFrame:
    """A ``.csv`` or ``.yaml`` (list of records) file as text columns, before :func:`coerce`."""
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


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """Canonical CSV encoding used for every shipped file (UTF-8, ``\\n``, no index)."""
    from kmmodel.io import csv_bytes

    return csv_bytes(df, safe=False, bom=False)
