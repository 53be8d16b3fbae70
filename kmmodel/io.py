"""Reading input tables and writing outputs: one home for the file rules of every command.

Low in the package (it imports only :mod:`kmmodel.errors`, :mod:`kmmodel.tables` and,
for the ``data/`` guard, :mod:`kmmodel.paths`), so ``scheme`` and ``report`` both use it.

Reading (:func:`read_table`)
    ``.csv`` in UTF-8, UTF-8 with BOM (Excel's "CSV UTF-8"), UTF-16 with BOM (Excel's
    "Unicode text") or GBK/GB18030 (Excel and WPS "CSV" on Chinese Windows), and ``.xlsx``
    (first sheet unless named). A header that holds ``;``, tab or the full-width ``，``
    instead of commas is named as such. Headers and cells are normalised as WPS users type
    them (full-width digits and spaces, see :mod:`kmmodel.tables`). Rows keep their file
    numbering: header = row 1, first data row = row 2 (blank lines inside the file are kept
    as empty rows so the numbers match what a spreadsheet shows; trailing ones are dropped).

Writing (:func:`check_outputs`, :func:`write_outputs`)
    Every output path of a command is checked **before any work starts** (parent is a file,
    path is a folder, folder not writable, unsupported extension, inside the repository's
    ``data/`` folder, the same path twice), all problems in one error. Then all outputs are
    rendered in memory and written atomically together: each to a temporary file beside its
    target, then moved into place, so a command writes all its outputs or none.

Tables are written by extension: ``.csv`` (UTF-8, ``\\n``, no index; :data:`CSV_BOM`
switches to UTF-8 with BOM in one place) or ``.xlsx`` (one sheet, text cells always
text). Text cells that a spreadsheet would run as a formula are neutralised
(:func:`neutralise`).
"""

from __future__ import annotations

import io as _io
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems
from kmmodel.tables import SEPARATORS, normalise_headers, normalise_text

__all__ = [
    "CSV_BOM",
    "TABLE_SUFFIXES",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_output",
    "check_outputs",
    "csv_bytes",
    "decode",
    "inside_data_dir",
    "neutralise",
    "read_table",
    "table_bytes",
    "write_outputs",
    "xlsx_bytes",
]

#: Write CSV as UTF-8 with a byte-order mark (Excel on Chinese Windows then reads 良好).
#: Off until the Office deliverables switch it on for every command at once.
CSV_BOM = False
#: Output types a table can be written as.
TABLE_SUFFIXES = (".csv", ".xlsx")
#: Encodings tried, in order, for a CSV without a byte-order mark (GB18030 is a superset
#: of GBK and GB2312, which Excel/WPS write as "ANSI" on Chinese Windows).
ENCODINGS = ("utf-8", "gb18030")

# ------------------------------------------------------------------ atomic writes


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and ``os.replace``.

    A crash never leaves a half-written file in place of a good one.
    """
    path = Path(path)
    tmp = _temp_beside(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write UTF-8 text atomically (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _temp_beside(path: Path, data: bytes) -> str:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


# ------------------------------------------------------------------ reading


def decode(data: bytes, source: str) -> str:
    """Bytes of a text file -> str: BOM first, then UTF-8, then GB18030 (GBK).

    Raises
    ------
    DataError
        When the bytes are none of these (e.g. a binary file renamed ``.csv``).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for enc in ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise DataError(
        "cannot read the text: expected UTF-8 (with or without BOM) or GBK/GB18030 "
        "(Excel/WPS 'CSV' on Chinese Windows); save it as 'CSV UTF-8'",
        source=source,
    )


def _header_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def _wrong_separator(header: str) -> str | None:
    """The name of the separator a header uses instead of ',' (None when fine)."""
    if "," in header:
        return None
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    sep = max(counts, key=counts.get)
    return SEPARATORS[sep] if counts[sep] else None


def _tidy(df: pd.DataFrame) -> pd.DataFrame:
    """Normalise headers and text cells; drop trailing all-empty rows."""
    df = normalise_headers(df)
    df.columns = [str(c) for c in df.columns]
    for col in df.columns:
        df[col] = normalise_text(df[col]).astype(object).where(lambda s: s.notna(), np.nan)
    filled = df.notna().any(axis=1).to_numpy()
    last = len(filled) - int(np.argmax(filled[::-1])) if filled.any() else 0
    return df.iloc[:last].reset_index(drop=True)


_BOOLS = {"true": True, "false": False}


def _infer_types(df: pd.DataFrame, text: Iterable[str]) -> pd.DataFrame:
    """Columns whose every non-empty cell is a number become numbers, and full columns of
    ``true``/``false`` become booleans (as pandas reads a CSV)."""
    keep = set(text)
    for col in df.columns:
        if col in keep:
            continue
        s = df[col]
        low = s.astype("string").str.lower()
        if s.notna().all() and len(s) and low.isin(list(_BOOLS)).all():
            df[col] = low.map(_BOOLS).astype(bool)
            continue
        num = pd.to_numeric(s, errors="coerce")
        if num.notna().sum() == s.notna().sum() and s.notna().any():
            exact = (num % 1 == 0) & (num.abs() < 2**53)  # whole numbers an int64 holds
            df[col] = num.astype("int64") if exact.all() else num
    return df


def read_table(
    path: str | os.PathLike,
    *,
    what: str = "table",
    text: bool | Iterable[str] = True,
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """Read a ``.csv`` or ``.xlsx`` input table with the file rules above.

    Parameters
    ----------
    path : path
        The file.
    what : str
        What the file is (``"observations"``), said in "file not found".
    text : bool or iterable of str
        ``True``: every cell stays text (empty -> NaN), for a validator that coerces with
        :mod:`kmmodel.tables`. ``False`` or a list of columns kept as text: other columns
        whose every cell is a number become numbers, full ``true``/``false`` columns booleans.
    sheet : str or int, optional
        Worksheet of an ``.xlsx`` (default: the first).

    Returns
    -------
    pandas.DataFrame
        RangeIndex; position ``i`` is file row ``i + 2``.

    Raises
    ------
    DataError
        Not found, a folder, unsupported type, undecodable, wrong separator, no header,
        or not parseable — naming the file.
    """
    file = Path(path)
    source = str(file)
    if file.is_dir():
        raise DataError(f"expected a {what} file, got a folder", source=source)
    if not file.is_file():
        raise DataError(f"file not found (the {what} file)", source=source)
    suffix = file.suffix.lower()
    if suffix == ".xlsx":
        df = _read_xlsx(file, sheet, source)
    elif suffix in (".csv", ".txt", ""):
        df = _read_csv(file, source)
    else:
        raise DataError(
            f"unsupported file type {file.suffix!r}; expected .csv or .xlsx", source=source
        )
    df = _tidy(df)
    if text is True:
        return df
    return _infer_types(df, () if text is False else text)


def _read_csv(file: Path, source: str) -> pd.DataFrame:
    raw = decode(file.read_bytes(), source)
    header = _header_line(raw)
    if not header:
        raise DataError("the file is empty; expected a header row and data rows", source=source)
    if not raw.lstrip("\ufeff").splitlines()[0].strip():
        raise DataError(
            "the first line is empty; the header must be row 1 (row numbers count from it)",
            source=source,
        )
    said = _wrong_separator(header)
    if said is not None:
        shown = header[:60] + ("…" if len(header) > 60 else "")
        raise DataError(
            f"looks like a {said}-separated file (header {shown!r}); expected columns "
            "separated by ',': save it as 'CSV UTF-8 (逗号分隔)'",
            source=source,
        )
    try:
        return pd.read_csv(
            _io.StringIO(raw),
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"not a readable CSV ({exc})", source=source) from None


#: Largest unpacked size of an input workbook [bytes]; a zip bomb is refused unopened.
MAX_XLSX_UNPACKED = 256 * 2**20


def _read_xlsx(file: Path, sheet, source: str) -> pd.DataFrame:
    try:
        with zipfile.ZipFile(file) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError(f"not a readable .xlsx workbook ({exc})", source=source) from None
    if unpacked > MAX_XLSX_UNPACKED:
        raise DataError(
            f"the workbook unpacks to {unpacked / 2**20:,.0f} MB (declared in the archive), "
            f"above the {MAX_XLSX_UNPACKED / 2**20:.0f} MB limit for an input table; refused "
            "unopened",
            source=source,
        )
    try:
        return pd.read_excel(
            file, sheet_name=0 if sheet is None else sheet, dtype=str, engine="openpyxl"
        )
    except (ValueError, KeyError, zipfile.BadZipFile, OSError) as exc:
        raise DataError(f"not a readable .xlsx workbook ({exc})", source=source) from None


# ------------------------------------------------------------------ neutralising

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?%?$")


def _unsafe(s: pd.Series) -> np.ndarray:
    text = s.astype("string")
    starts = text.str.startswith(FORMULA_TRIGGERS).fillna(False)
    number = text.str.match(_NUMBER).fillna(False)
    return (starts & ~number).to_numpy(bool)


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix ``'`` to text cells a spreadsheet would run as a formula; numbers stay numbers.

    A text cell that begins with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a
    leading single quote, which Excel, WPS and LibreOffice read as "this is text". Number
    columns are not touched, and a text cell that is a plain number (``-5``, ``+3.2``,
    ``-12%``) stays as it is.

    References
    ----------
    .. [1] OWASP Foundation, "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection
       (prepend ``'`` to cells beginning with ``=``, ``+``, ``-``, ``@``, tab 0x09 or
       carriage return 0x0D).
    .. [2] OWASP ASVS 5.0, requirement 1.2.10 (CSV and formula injection).

    Examples
    --------
    >>> neutralise(pd.DataFrame({"unit": ["=HYPERLINK(1)", "-x", "-5"], "v": [-1.0, 2, 3]}))
                 unit    v
    0  '=HYPERLINK(1) -1.0
    1             '-x  2.0
    2              -5  3.0
    """
    out = None
    for col in df.columns:
        s = df[col]
        if not (pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)):
            continue
        is_text = s.map(lambda v: isinstance(v, str)).to_numpy(bool)
        bad = _unsafe(s) & is_text
        if bad.any():
            out = df.copy() if out is None else out
            fixed = s.astype(object).copy()
            fixed[bad] = "'" + s[bad].astype(str)
            out[col] = fixed
    out = df if out is None else out
    header = pd.Series([str(c) for c in out.columns])
    if _unsafe(header).any():
        out = out.copy() if out is df else out
        out.columns = ["'" + h if b else h for h, b in zip(header, _unsafe(header), strict=True)]
    return out


# ------------------------------------------------------------------ rendering


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    frame = df.copy()
    for col in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[col]):
            frame[col] = frame[col].dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(frame[col]):
            frame[col] = frame[col].map({True: "true", False: "false"})
    return frame


def csv_bytes(df: pd.DataFrame, *, safe: bool = True, bom: bool | None = None) -> bytes:
    """A table as CSV bytes: UTF-8 (with BOM when ``bom``, default :data:`CSV_BOM`),
    ``\\n`` line ends, no index, dates YYYY-MM-DD, booleans ``true``/``false``;
    ``safe`` neutralises formula-like text cells (:func:`neutralise`) and writes a carriage
    return inside a cell as a line feed (which the writer quotes; a bare CR would split the row)."""
    frame = _plain(df)
    if safe:
        frame = neutralise(frame)
        for col in frame.columns:  # a bare CR inside a cell is not quoted by a '\n' writer
            s = frame[col]
            if pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype):
                is_text = s.map(lambda v: isinstance(v, str))
                cr = is_text & s.where(is_text, "").astype(str).str.contains("\r", regex=False)
                if cr.any():
                    frame[col] = s.where(
                        ~cr, s[cr].astype(str).str.replace("\r\n?", "\n", regex=True)
                    )
    buf = _io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n")
    prefix = b"\xef\xbb\xbf" if (CSV_BOM if bom is None else bom) else b""
    return prefix + buf.getvalue().encode("utf-8")


def _stable_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed entry times, so the same workbook gives the same bytes."""
    src = zipfile.ZipFile(_io.BytesIO(data))
    out = _io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def text_cells(cells: Iterable) -> None:
    """Mark openpyxl cells holding formula-like text as text (never run as formulas)."""
    for cell in cells:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_TRIGGERS):
            cell.data_type = "s"
            cell.quotePrefix = True


def xlsx_bytes(sheets: Mapping[str, pd.DataFrame] | pd.DataFrame) -> bytes:
    """Tables as an ``.xlsx`` workbook (one sheet each): header row, numbers as numbers,
    text always as text (a leading ``=`` never becomes a formula), fixed timestamps."""
    import datetime as dt

    from openpyxl import Workbook

    if isinstance(sheets, pd.DataFrame):
        sheets = {"table": sheets}
    wb = Workbook()
    wb.remove(wb.active)
    for name, df in sheets.items():
        ws = wb.create_sheet(str(name)[:31])
        frame = _plain(df)
        ws.append([str(c) for c in frame.columns])
        for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False):
            ws.append([v.item() if isinstance(v, np.generic) else v for v in row])
        for row in ws.iter_rows():
            text_cells(row)
        ws.freeze_panes = "A2"
    stamp = dt.datetime(2000, 1, 1)
    wb.properties.created = wb.properties.modified = stamp
    buf = _io.BytesIO()
    wb.save(buf)
    return _stable_zip(buf.getvalue())


def table_bytes(path: str | os.PathLike, df: pd.DataFrame) -> bytes:
    """Render ``df`` for ``path`` by its extension (``.csv`` or ``.xlsx``)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return csv_bytes(df)
    if suffix == ".xlsx":
        return xlsx_bytes(df)
    raise DataError(f"unsupported output type {suffix!r}; expected one of {TABLE_SUFFIXES}")


# ------------------------------------------------------------------ output checks


def inside_data_dir(path: str | os.PathLike) -> bool:
    """True when ``path`` lies inside the repository's ``data/`` folder (inputs only)."""
    from kmmodel import paths

    try:
        data = paths.data_dir().resolve()
    except DataError:  # no checkout around: there is no data/ folder to protect
        return False
    target = Path(path).expanduser().resolve()
    return target == data or target.is_relative_to(data)


def _writable(folder: Path) -> str | None:
    """Why files cannot be created in ``folder`` (None when they can): a real probe."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".kmmodel-write-test-"):
            return None
    except OSError as exc:
        return exc.strerror or str(exc)


def check_output(
    path: str | os.PathLike,
    probs: Problems,
    *,
    what: str = "-o",
    folder: bool = False,
    suffixes: tuple[str, ...] | None = TABLE_SUFFIXES,
) -> Path | None:
    """Add to ``probs`` everything that would stop ``path`` from being written.

    Checks, without creating anything: not inside ``data/``; a file path is not an
    existing folder and has a supported suffix; a folder path is not an existing file;
    the nearest existing parent is a folder (not a file) in which files can be created.
    Returns the path (None when it has a problem).
    """
    target = Path(path).expanduser()
    where = f"{what} {path}"
    n = len(probs)
    if inside_data_dir(target):
        probs.add(
            "data/ holds inputs only and no run writes there; write results elsewhere "
            "(e.g. reports/)",
            where,
        )
        return None
    if folder:
        if target.exists() and not target.is_dir():
            probs.add("expected an output folder, but this is an existing file", where)
    else:
        if target.is_dir():
            probs.add("this is an existing folder; give a file name (e.g. out/table.csv)", where)
        elif suffixes is not None and target.suffix.lower() not in suffixes:
            probs.add(
                f"unsupported output type {target.suffix or '(none)'!r}; expected one of "
                f"{', '.join(suffixes)}",
                where,
            )
    parent = target if folder else target.parent
    probe = parent if str(parent) else Path(".")
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        probs.add(f"{probe} is a file, not a folder; cannot create files under it", where)
    elif (why := _writable(probe)) is not None:
        probs.add(f"cannot write into {probe} ({why})", where)
    return target if len(probs) == n else None


def check_outputs(
    targets: Mapping[str, str | os.PathLike | None], source: str | None = None
) -> dict:
    """Check every output of a command at once (before any work starts).

    Parameters
    ----------
    targets : mapping
        ``{"-o": path, "--points": path, ...}``; None entries (not asked for) are skipped.
    source : str
        The command, shown first in the error (``"kmmodel score"``).

    Returns
    -------
    dict
        ``{option: Path}`` of the outputs asked for.

    Raises
    ------
    DataError
        Every problem with every path (and a path given twice).
    """
    probs = Problems(source=source)
    out: dict = {}
    seen: dict = {}
    for opt, path in targets.items():
        if path is None:
            continue
        p = check_output(path, probs, what=opt)
        key = Path(path).expanduser().resolve()
        if key in seen:
            probs.add(f"the same file is also given to {seen[key]}", f"{opt} {path}")
        seen[key] = opt
        if p is not None:
            out[opt] = p
    probs.raise_if_any(DataError)
    return out


def write_outputs(outputs: Mapping[str | os.PathLike, pd.DataFrame | bytes]) -> list[Path]:
    """Write every output or none: render all, write each to a temporary file beside its
    target, then move them all into place. A failure before the moves leaves nothing."""
    rendered = [
        (Path(p), d if isinstance(d, bytes) else table_bytes(p, d)) for p, d in outputs.items()
    ]
    temps: list[tuple[str, Path]] = []
    try:
        for path, data in rendered:
            path.parent.mkdir(parents=True, exist_ok=True)
            temps.append((_temp_beside(path, data), path))
    except OSError as exc:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)
        raise DataError(f"cannot write the outputs ({exc}); nothing was written") from None
    for tmp, path in temps:
        os.replace(tmp, path)
    return [p for p, _ in rendered]
