"""Declared input tables: each table's columns, types, domains and id references, once.

Every validator of a tidy input table (allocation items, agencies and bids, scoring
observations, correction shocks, cost-benefit flows and projects, the monitoring feed,
surveys) declares its columns here as a :class:`Table` of :class:`Column` and calls
:meth:`Table.check` (coerce and check everything) or :meth:`Table.require` (the columns
only). One pass reports **every** problem at once — missing columns, empty cells, text in
a number column, infinite numbers, values outside their range, unknown choices, duplicate
ids or rows, ids missing from the table they refer to — as one :class:`~kmmodel.errors.DataError`.

Conventions
-----------
* Rows are **file rows, 1-based, with the header as row 1**: the first data row is
  row 2 (a DataFrame position ``i`` is file row ``i + 2``), as a spreadsheet shows them.
* Every problem names the column (``column price: ...``) and shows a few offending values.
* Text typed in WPS/Excel with full-width characters is normalised before checking: the
  ideographic space ``U+3000`` and the full-width forms ``U+FF01-FF5E`` (``１２``, ``．``,
  ``－``) in headers (``分　值`` -> ``分值``, ``ｖａｌｕｅ`` -> ``value``) and in number cells;
  in text cells only full-width spaces and digits are translated (Chinese punctuation in
  names is kept).
* A missing column is reported with the columns actually found; when the header looks
  like one column holding ``;``, tab or ``，`` separators the message says so.

Why our own engine and not pandera: pandera's lazy validation (tried, 0.35) reports a
failed coercion as ``coerce_dtype('float64')`` without telling an empty cell from text or
``inf``, then repeats every failed cell as a ``TypeError`` of each range check on the
uncoerced column, cannot normalise full-width input, and adds ~0.4 s and three packages on
first use. The checks themselves are a few vectorised pandas operations, written here once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems, rows_phrase

__all__ = [
    "Column",
    "Table",
    "columns",
    "normalise_header",
    "normalise_headers",
    "normalise_numbers",
    "normalise_text",
    "require",
    "separator_hint",
]

# full-width ASCII forms U+FF01-FF5E -> U+0021-007E, ideographic space -> space
_WIDE_ALL = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# in text cells: only digits and the space (keep （）、， in Chinese names)
_WIDE_TEXT = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)} | {0x3000: 0x20, 0xFEFF: None}
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SPACES = re.compile(r"\s+")
#: separators a wrong export uses instead of ",", with the name said in messages
SEPARATORS = {";": "';'", "\t": "tab", "，": "full-width '，'", "；": "full-width '；'", "|": "'|'"}


def normalise_header(name) -> str:
    """A header as WPS/Excel users type it -> the id we compare with.

    Full-width forms become ASCII, surrounding spaces go, a space inside a Chinese
    header is dropped (``分　值`` -> ``分值``), other runs of spaces become one.

    >>> normalise_header("\\ufeff ｖａｌｕｅ ")
    'value'
    >>> normalise_header("分\\u3000值")
    '分值'
    """
    text = unicodedata.normalize("NFC", str(name)).replace("\ufeff", "").translate(_WIDE_ALL)
    text = _SPACES.sub(" ", text).strip()
    if _CJK.search(text):
        text = text.replace(" ", "")
    return text


def normalise_headers(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with :func:`normalise_header` applied to string column names (a copy if changed)."""
    cols = [normalise_header(c) if isinstance(c, str) else c for c in df.columns]
    if cols == list(df.columns):
        return df
    out = df.copy(deep=False)
    out.columns = cols
    return out


def normalise_numbers(s: pd.Series) -> pd.Series:
    """Text of number cells: full-width forms to ASCII, stripped (vectorised)."""
    if pd.api.types.is_numeric_dtype(s.dtype) or isinstance(s.dtype, pd.CategoricalDtype):
        return s
    text = s.astype("string")
    return text.str.translate(_WIDE_ALL).str.strip()


def normalise_text(s: pd.Series) -> pd.Series:
    """Text cells: full-width digits and spaces to ASCII, stripped; empty -> missing."""
    if not (pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)):
        return s
    text = s.astype("string").str.translate(_WIDE_TEXT).str.strip()
    return text.mask(text == "")


def parse_numbers(raw: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]:
    """Cells -> ``(numbers, empty, text, infinite)``: float64 values (NaN where not a
    finite number) and boolean masks telling an empty cell from text and from ``inf``.

    >>> num, empty, text, inf = parse_numbers(pd.Series(["１２", "", "abc", "inf", "-1"]))
    >>> num.tolist()[0], empty.tolist(), text.tolist(), inf.tolist()
    (12.0, [False, True, False, False, False], [False, False, True, False, False], [False, False, False, True, False])
    """
    text = normalise_numbers(raw)
    if pd.api.types.is_bool_dtype(text.dtype):
        text = text.astype("string")
    if pd.api.types.is_numeric_dtype(text.dtype):
        num = text.astype("float64")
        empty = num.isna().to_numpy(bool)
    else:
        empty = (text.isna() | (text.astype("string") == "")).to_numpy(bool)
        num = pd.to_numeric(text.mask(empty), errors="coerce").astype("float64")
    bad = num.isna().to_numpy(bool) & ~empty
    isinf = np.isinf(num.to_numpy(dtype=float, na_value=0.0))
    return num.mask(isinf), empty, bad, isinf


def separator_hint(columns: Sequence) -> str:
    """Say which separator a one-column header seems to use (``""`` when none).

    >>> separator_hint(["unit;indicator;value"])
    "; the header looks like a ';'-separated file (expected ',')"
    """
    names = [str(c) for c in columns]
    for sep, said in SEPARATORS.items():
        if any(sep in c for c in names) and len(names) <= 2:
            return f"; the header looks like a {said}-separated file (expected ',')"
    return ""


def _found(df: pd.DataFrame) -> str:
    shown = [str(c) for c in df.columns[:12]]
    more = f" and {len(df.columns) - 12} more" if len(df.columns) > 12 else ""
    return f"found {shown}{more}"


def require(
    df, columns: Sequence[str], probs: Problems, what: str = "rows", *, rows: bool = True
) -> bool:
    """Add a problem unless ``df`` is a DataFrame with every column in ``columns``.

    The message lists the missing columns, the columns expected, what was found and, for
    a header that holds another separator, which one. ``rows=True`` also asks for at least
    one data row. Returns True when the table can be checked further.
    """
    if not isinstance(df, pd.DataFrame):
        probs.add(f"expected a pandas DataFrame of {what}, got {type(df).__name__}")
        return False
    missing = [c for c in columns if c not in df.columns]
    if missing:
        probs.add(
            f"missing column(s) {missing}; expected at least {list(columns)}, "
            f"{_found(df)}{separator_hint(df.columns)}"
        )
        return False
    if rows and len(df) == 0:
        probs.add(f"expected at least one row of {what}")
        return False
    return True


def columns(df, names: Sequence[str], probs: Problems, what: str = "rows") -> pd.DataFrame:
    """``df`` with normalised headers; raise ``probs`` (as DataError) unless it has ``names``.

    For validators that check their cells themselves but share the column rules.
    """
    if isinstance(df, pd.DataFrame):
        df = normalise_headers(df)
    if not require(df, names, probs, what, rows=False):
        probs.raise_if_any(DataError)
    return df


def _shown(values: pd.Series, n: int = 3) -> list:
    out = []
    for v in values.head(n).tolist():
        out.append(v.item() if isinstance(v, np.generic) else v)
    return out


@dataclass(frozen=True)
class Column:
    """One declared column of an input table.

    Parameters
    ----------
    name : str
        Column name in the file (after :func:`normalise_header`).
    dtype : {"string", "float", "int", "bool", "date", "any"}
        Coerced type: ``float`` -> float64 (NaN for empty), ``int`` -> whole numbers
        (int64, or Int64 when nullable), ``string`` -> pandas string, ``date`` ->
        YYYY-MM-DD, ``any`` -> left as given (e.g. numbers or grade letters).
    required : bool
        The column must be present; an optional column takes ``default`` when absent.
    nullable : bool
        Empty cells are allowed.
    low, high : float, optional
        Inclusive range (exclusive with ``low_open`` / ``high_open``).
    choices : tuple, optional
        Allowed values.
    unique : bool
        Values must not repeat (empty cells aside).
    ref : str, optional
        ``"table.column"`` whose values this column refers to; checked when
        :meth:`Table.check` is given that table's ids in ``refs``.
    unit : str
        Unit said in range messages (``" yuan"``).
    default : object
        Value of an absent optional column (``None``: stays absent).
    label : str
        What one value is called in an unknown-reference message (default ``"<column> id"``).
    expect : str
        The domain in words (``"a share in [0, 1] (0.25 = 25%)"``): a value out of range
        (or not whole, for ``int``) is then reported once as "expected <expect>".
    """

    name: str
    dtype: str = "string"
    required: bool = True
    nullable: bool = False
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple | None = None
    unique: bool = False
    ref: str | None = None
    unit: str = ""
    default: object = None
    label: str = ""
    expect: str = ""
    doc: str = ""

    @property
    def pandas_dtype(self) -> str:
        return {"float": "float64", "int": "int64", "any": "object"}.get(self.dtype, self.dtype)

    def _outside(self, num: pd.Series) -> np.ndarray:
        out = np.zeros(len(num), bool)
        if self.low is not None:
            out |= ((num <= self.low) if self.low_open else (num < self.low)).to_numpy(bool)
        if self.high is not None:
            out |= ((num >= self.high) if self.high_open else (num > self.high)).to_numpy(bool)
        return out

    def _range(self, num: pd.Series, probs: Problems, where: str, rows) -> None:
        for bound, is_low in ((self.low, True), (self.high, False)):
            if bound is None:
                continue
            open_ = self.low_open if is_low else self.high_open
            if is_low:
                bad = (num <= bound) if open_ else (num < bound)
                rel = ">" if open_ else ">="
            else:
                bad = (num >= bound) if open_ else (num > bound)
                rel = "<" if open_ else "<="
            bad = bad.fillna(False).to_numpy(bool)
            if bad.any():
                probs.add(
                    f"expected {rel} {bound:g}{self.unit} in {rows(bad)}, got {_shown(num[bad])}",
                    where,
                )

    def coerce(self, raw: pd.Series, probs: Problems, rows) -> pd.Series:
        """Coerce one column, adding every problem of its cells to ``probs``."""
        where = f"column {self.name}"
        if self.dtype == "any":
            return raw
        if self.dtype in ("float", "int"):
            num, empty, bad, isinf = parse_numbers(raw)
            if empty.any() and not self.nullable:
                probs.add(f"missing value in {rows(empty)}", where)
            if bad.any():
                probs.add(
                    f"expected a number in {rows(bad)}, got {_shown(raw[bad].astype(str))}", where
                )
            if isinf.any():
                probs.add(
                    f"expected a finite number in {rows(isinf)}, got infinite "
                    f"{_shown(raw[isinf].astype(str))}",
                    where,
                )
            frac = np.zeros(len(num), bool)
            if self.dtype == "int":
                frac = (num.notna() & (num % 1 != 0)).to_numpy(bool)
            if self.expect:
                out = frac | self._outside(num)
                if out.any():
                    probs.add(
                        f"expected {self.expect} in {rows(out)}, got {_shown(num[out])}", where
                    )
            else:
                if frac.any():
                    probs.add(
                        f"expected a whole number in {rows(frac)}, got {_shown(num[frac])}", where
                    )
                self._range(num, probs, where, rows)
            if self.choices is not None:
                self._choices(num, probs, where, rows)
            if self.dtype == "int":
                if self.nullable:
                    return num.round().astype("Int64")
                return num.fillna(0).round().astype("int64")
            return num
        text = normalise_text(raw)
        empty = text.isna().to_numpy(bool)
        if empty.any() and not self.nullable:
            probs.add(f"missing value in {rows(empty)}", where)
        if self.dtype == "bool":
            low = text.str.lower()
            true = low.isin(["true", "1", "yes", "是"]).fillna(False)
            false = low.isin(["false", "0", "no", "否"]).fillna(False)
            bad = (~true & ~false).to_numpy(bool) & ~empty
            if bad.any():
                probs.add(f"expected true/false in {rows(bad)}, got {_shown(text[bad])}", where)
            return true.astype(bool)
        if self.dtype == "date":
            d = pd.to_datetime(text, errors="coerce", format="%Y-%m-%d")
            bad = d.isna().to_numpy(bool) & ~empty
            if bad.any():
                probs.add(
                    f"expected a date YYYY-MM-DD in {rows(bad)}, got {_shown(text[bad])}", where
                )
            return d
        if self.choices is not None:
            self._choices(text, probs, where, rows)
        return text.astype("string")

    def _choices(self, s: pd.Series, probs, where, rows) -> None:
        bad = (s.notna() & ~s.isin(list(self.choices))).to_numpy(bool)
        if bad.any():
            probs.add(
                f"expected one of {self.choices} in {rows(bad)}, got "
                f"{sorted(map(str, set(s[bad].tolist())))[:5]}",
                where,
            )


@dataclass(frozen=True)
class Table:
    """A declared input table: its columns and the keys that must not repeat.

    Parameters
    ----------
    name : str
        Table name in messages and in ``ref`` (``"items"``, ``"agencies"``).
    columns : tuple of Column
    key : tuple of str
        Columns whose combination identifies a row; repeated combinations are reported
        as duplicate rows (with every other problem, in the same message).
    key_message : str
        How a repeated key is worded (``{rows}`` and ``{key}`` are filled in).
    ordered : tuple of (str, str, str)
        ``(low, high, message)``: column ``low`` must not exceed column ``high`` in a row
        (checked when both are checked); ``message`` is said with ``{rows}`` filled in.
    allow_empty : bool
        A table without data rows is valid (otherwise "expected at least one row").
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    key_message: str = "duplicate rows for ({key}) in {rows}"
    ordered: tuple[tuple[str, str, str], ...] = ()
    allow_empty: bool = False
    doc: str = ""
    by_name: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "by_name", {c.name: c for c in self.columns})

    def __getitem__(self, name: str) -> Column:
        return self.by_name[name]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def dtypes(self) -> dict[str, str]:
        """``{column: pandas dtype}`` in declared order (data-set declarations use it)."""
        out = {}
        for c in self.columns:
            d = c.pandas_dtype
            out[c.name] = "float64" if d == "object" else d
        return out

    def require(self, df, probs: Problems, *, columns: Iterable[str] | None = None) -> bool:
        """Check only that ``df`` has the required (or the given) columns and a row."""
        need = list(self.required if columns is None else columns)
        return require(df, need, probs, self.name, rows=not self.allow_empty)

    def check(
        self,
        df,
        source: str | None = None,
        *,
        probs: Problems | None = None,
        refs: Mapping[str, Iterable] | None = None,
        columns: Iterable[str] | None = None,
        required: Iterable[str] | None = None,
    ) -> pd.DataFrame:
        """Coerce and check ``df``; return a typed copy with a 0-based RangeIndex.

        Parameters
        ----------
        df : pandas.DataFrame
            The table as read (text or typed cells; headers are normalised).
        source : str, optional
            File or object name shown first in the error.
        probs : Problems, optional
            Collect into this instead of raising (the caller raises once, with its own
            cross-table checks).
        refs : mapping, optional
            ``{"table.column": ids}`` for id references (e.g. ``{"agencies.agency": [...]}``).
        columns : iterable of str, optional
            Check only these declared columns (others pass through untouched).
        required : iterable of str, optional
            Columns that must be present for this use (default: the declared ``required``);
            a model that needs fewer columns than another checks the same table so.

        Raises
        ------
        DataError
            Every problem found (only when ``probs`` is not given), or at once, with what
            ``probs`` holds, when required columns are missing.
        """
        own = probs is None
        probs = Problems(source=source) if own else probs
        if isinstance(df, pd.DataFrame):
            df = normalise_headers(df)
        chosen = [self[c] for c in columns] if columns is not None else list(self.columns)
        need = [c.name for c in chosen if c.required] if required is None else list(required)
        if not require(df, need, probs, self.name, rows=not self.allow_empty):
            probs.raise_if_any(DataError)  # nothing else can be checked without them
        out = df.reset_index(drop=True).copy()

        def rows(mask) -> str:
            return rows_phrase(np.flatnonzero(np.asarray(mask, dtype=bool)))

        for col in chosen:
            if col.name not in out.columns:
                if col.default is not None:
                    out[col.name] = col.default
                continue
            out[col.name] = col.coerce(out[col.name], probs, rows)
            if col.unique:
                s = out[col.name]
                dup = (s.duplicated(keep=False) & s.notna()).to_numpy(bool)
                if dup.any():
                    probs.add(
                        f"duplicate ids {sorted(map(str, set(s[dup].tolist())))[:10]} in "
                        f"{rows(dup)}",
                        f"column {col.name}",
                    )
            if col.ref and refs and col.ref in refs:
                allowed = pd.Index(list(refs[col.ref]))
                s = out[col.name]
                unknown = (s.notna() & ~s.isin(allowed)).to_numpy(bool)
                if unknown.any():
                    table, _, key = col.ref.partition(".")
                    probs.add(
                        f"unknown {col.label or key + ' id'}(s) "
                        f"{sorted(map(str, set(s[unknown].tolist())))[:10]} "
                        f"in {rows(unknown)}; expected an id of the {table} table",
                        f"column {col.name}",
                    )
        key = [k for k in self.key if k in out.columns]
        if key and len(key) == len(self.key):
            dup = out.duplicated(key, keep=False).to_numpy(bool)
            if dup.any():
                probs.add(self.key_message.format(key=", ".join(key), rows=rows(dup)))
        checked = {c.name for c in chosen} & set(out.columns)
        for low, high, message in self.ordered:
            if low in checked and high in checked:
                bad = (out[low] > out[high]).fillna(False).to_numpy(bool)
                if bad.any():
                    probs.add(message.format(rows=rows(bad)), f"columns {low}, {high}")
        if own:
            probs.raise_if_any(DataError)
        return out
