"""Excel indicator tables in the common Chinese layout, read and written.

Layout of the sheet ``指标`` (or the first sheet), one row per indicator; a
first-level cell left empty (e.g. from merged cells) repeats the one above:

=========  ====================================================================
column     meaning
=========  ====================================================================
一级指标    dimension name (required)
二级指标    second-level group (optional text)
三级指标    indicator name (required)
分值        points [points] (required, a number)
评分标准    scoring standard as text for readers (kept as the description)
目标值      target [indicator unit] (a number, or empty)
指标编号    indicator id, lower-case pinyin/ASCII (optional; default ``i01``, ``i02`` …)
单位        indicator unit (optional: ``share``, ``days``, ``grade`` …)
方向        ``正向``/``higher`` or ``逆向``/``lower`` (optional, default higher)
规则        machine rule, e.g. ``ratio floor=0.5``, ``linear floor=0``,
            ``steps 0.8:0.5 0.9:1``, ``grade A=1 B=0.8 C=0.6 D=0``, ``pass_fail``,
            ``deduction per=1 cap=5``, ``rank best=1 worst=0.4``,
            ``formula clip(value/target,0,1)``, ``veto action=cap_grade``,
            ``bonus per=0.5``. Empty: ``ratio`` when a target is given.
值域        plausible observed values ``LOW~HIGH`` [indicator unit] (optional: ``0~1``,
            ``-1~`` for no upper bound); ``score`` refuses values outside
缺失        the indicator's own missing-observation policy (optional: ``zero``,
            ``rescale``, ``error``)
=========  ====================================================================

An optional sheet ``方案`` holds key/value rows: ``id``, ``name``, ``total``, ``year``,
``missing``, ``rank_by``, ``excellent_share_cap``, ``grades`` (``优:90 良:80 中:60 差:0``).
An optional sheet ``维度`` (columns 编号, 名称, 分值) gives dimension ids and points;
without it dimensions are numbered ``d1``, ``d2`` … and get the sum of their points.
Every problem is reported with its Excel row (``Excel row 7``).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from kmmodel.errors import Problems, SchemeError
from kmmodel.scheme.rules import rule_kind

__all__ = ["COLUMNS", "parse_rule", "read_excel", "write_excel"]

COLUMNS = ("一级指标", "二级指标", "三级指标", "分值", "评分标准", "目标值")
OPTIONAL = ("指标编号", "单位", "方向", "规则", "值域", "缺失")
_REQUIRED = ("一级指标", "三级指标", "分值")
_DIRECTIONS = {
    "正向": "higher",
    "逆向": "lower",
    "higher": "higher",
    "lower": "lower",
    "": "higher",
}


def _num(text: str):
    try:
        return float(text)
    except ValueError:
        return text


def parse_rule(text: str) -> dict:
    """Parse a compact rule cell (``"ratio floor=0.5"``) into a rule mapping.

    The text form belongs to the rule type (``from_text`` of its class in
    :mod:`kmmodel.scheme.rules`); an unknown type is read as ``key=value`` pairs so
    that validation names it.

    Raises
    ------
    ValueError
        Text that is not ``type [key=value ...]`` (or the type's own form).
    """
    from kmmodel.scheme.rules import RULE_TYPES
    from kmmodel.scheme.rules.base import parse_pairs

    text = (text or "").strip()
    if not text:
        raise ValueError("empty rule")
    rtype, _, rest = text.partition(" ")
    cls = RULE_TYPES.get(rtype)
    return cls.from_text(rest.strip()) if cls is not None else parse_pairs(rtype, rest)


def format_rule(rule) -> str:
    """Inverse of :func:`parse_rule`: a rule mapping (or rule) as its 规则 cell text."""
    from kmmodel.scheme.rules import RuleBase, rule_class

    if isinstance(rule, RuleBase):
        rule = rule.model_dump(mode="python")
    return rule_class(rule["type"]).format_text(rule)


def _domain_and_missing(ind: dict, domain: str, missing: str, loc: str, probs) -> None:
    """The optional 值域 (``LOW~HIGH``) and 缺失 cells into ``ind``."""
    if domain:
        lo, sep, hi = domain.replace("～", "~").partition("~")
        try:
            if not sep:
                raise ValueError
            ind["domain"] = [float(x) if x.strip() else None for x in (lo, hi)]
        except ValueError:
            probs.add(
                f"值域 must be LOW~HIGH (e.g. 0~1, or -1~ with no upper bound), got {domain!r}", loc
            )
    if missing in ("zero", "rescale", "error"):
        ind["missing"] = missing
    elif missing:
        probs.add(f"缺失 must be zero, rescale or error (or empty), got {missing!r}", loc)


def _format_domain(domain) -> str:
    if domain is None:
        return ""
    from kmmodel.scheme.rules.base import num_text

    return "~".join("" if x is None else num_text(x) for x in domain)


def _cell(v) -> str:
    return "" if v is None else str(v).strip()


def _sheet_rows(ws) -> list[list[str]]:
    # read-only mode trusts the sheet's stored <dimension>, which some writers set one row
    # short: recompute it from the cells (openpyxl docs, "Optimised Modes: worksheet
    # dimensions", https://openpyxl.readthedocs.io/en/stable/optimized.html)
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()
    return [[_cell(c) for c in row] for row in ws.iter_rows(values_only=True)]


def _uncached_formulas(path: Path, sheet: str, rows: list[list[str]]) -> dict[tuple[int, int], str]:
    """Cells that hold a formula but no cached value: (row, column) 0-based -> formula.

    Read with ``data_only=True`` such a cell is empty; a workbook written by a program
    that does not calculate (openpyxl, some converters) has no cached values at all.
    """
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=False)
    try:
        formulas = _sheet_rows(wb[sheet])
    finally:
        wb.close()
    out = {}
    for r, row in enumerate(formulas):
        for c, text in enumerate(row):
            empty = r >= len(rows) or c >= len(rows[r]) or rows[r][c] == ""
            if empty and text.startswith("="):
                out[(r, c)] = text
    return out


def read_excel(path: str | Path) -> tuple[dict, dict[str, str]]:
    """Read an Excel indicator table into a scheme mapping.

    Returns
    -------
    (dict, dict)
        The scheme mapping (YAML format) and indicator id -> ``"Excel row N"`` for messages.

    Raises
    ------
    SchemeError
        Not a readable .xlsx, missing columns, or any row problem (all rows listed).
    """
    from openpyxl import load_workbook

    from kmmodel.safeload import check_xlsx

    path = Path(path)
    src = str(path)
    check_xlsx(path, error=SchemeError)  # size, parts, declared unpacked size (zip bombs)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise SchemeError(f"not a readable .xlsx workbook ({exc})", source=src) from None
    probs = Problems(source=src)
    sheet = "指标" if "指标" in wb.sheetnames else wb.sheetnames[0]
    rows = _sheet_rows(wb[sheet])
    try:
        uncached = _uncached_formulas(path, sheet, rows)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        uncached = {}
    if not rows:
        raise SchemeError(f"sheet {sheet!r} is empty", source=src)
    header = rows[0]
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise SchemeError(
            f"sheet {sheet!r} lacks column(s) {missing}; expected the layout {list(COLUMNS)}",
            source=src,
        )
    col = {name: header.index(name) for name in COLUMNS + OPTIONAL if name in header}

    def get(row, name):
        i = col.get(name)
        return row[i] if i is not None and i < len(row) else ""

    for (r, c), formula in sorted(uncached.items()):
        if r == 0 or c not in col.values():
            continue
        name = next(n for n, i in col.items() if i == c)
        probs.add(
            f"{name} holds the formula {formula!r} with no cached value (the file was saved by "
            "a program that does not calculate formulas): open and save it in Excel or WPS, "
            "or type the value",
            f"Excel row {r + 1}",
        )
    bad_cells = {(r, c) for r, c in uncached}

    meta: dict = {"id": path.stem.lower().replace("-", "_"), "name": path.stem, "total": None}
    if "方案" in wb.sheetnames:
        for r in _sheet_rows(wb["方案"])[1:]:
            if len(r) >= 2 and r[0]:
                meta[r[0]] = (
                    _num(r[1]) if r[0] not in ("id", "name", "missing", "rank_by") else r[1]
                )
    grades_txt = meta.pop("grades", "优秀:90 良好:80 一般:60 较差:0")
    grades = []
    for tok in str(grades_txt).split():
        name, sep, lo = tok.partition(":")
        try:
            grades.append({"name": name, "min": float(lo)})
        except ValueError:
            probs.add(f"grades: expected NAME:MIN pairs, got {tok!r}", "sheet 方案")
    if "year" in meta and isinstance(meta["year"], float):
        meta["year"] = int(meta["year"])
    dims_sheet: dict[str, dict] = {}
    if "维度" in wb.sheetnames:
        dim_rows = _sheet_rows(wb["维度"])
        try:
            dim_formulas = _uncached_formulas(path, "维度", dim_rows)
        except (zipfile.BadZipFile, OSError, KeyError, ValueError):
            dim_formulas = {}
        for k, r in enumerate(dim_rows[1:], start=2):
            if len(r) >= 3 and any(r[:3]):
                try:
                    dims_sheet[r[1]] = {"id": r[0], "name": r[1], "points": float(r[2])}
                except ValueError:
                    formula = dim_formulas.get((k - 1, 2))
                    probs.add(
                        f"分值 holds the formula {formula!r} with no cached value: open and save "
                        "the file in Excel or WPS, or type the value"
                        if formula
                        else f"分值 must be a number, got {r[2]!r}",
                        f"sheet 维度, Excel row {k}",
                    )
    dims: dict[str, dict] = {}
    indicators, where = [], {}
    current_dim = ""
    for k, r in enumerate(rows[1:], start=2):
        if not any(r):
            continue
        loc = f"Excel row {k}"
        current_dim = get(r, "一级指标") or current_dim
        name = get(r, "三级指标")
        if not current_dim:
            probs.add("一级指标 is empty (and no row above gives it)", loc)
        if not name:
            probs.add("三级指标 (indicator name) is empty", loc)
        pts_txt = get(r, "分值")
        try:
            pts = float(pts_txt)
        except ValueError:
            if (k - 1, col["分值"]) not in bad_cells:
                probs.add(f"分值 must be a number, got {pts_txt!r}", loc)
            pts = 0.0
        tgt_txt = get(r, "目标值")
        target = None
        if tgt_txt:
            try:
                target = float(tgt_txt.rstrip("%")) / (100 if tgt_txt.endswith("%") else 1)
            except ValueError:
                probs.add(f"目标值 must be a number or empty, got {tgt_txt!r}", loc)
        direction = _DIRECTIONS.get(get(r, "方向"))
        if direction is None:
            probs.add(f"方向 must be 正向/逆向 (higher/lower), got {get(r, '方向')!r}", loc)
        rule_txt = get(r, "规则") or ("ratio" if target is not None else "")
        rule = {"type": "ratio"}
        if not rule_txt:
            probs.add(
                "规则 is empty: give a rule (e.g. 'grade A=1 B=0.8') or a 目标值 for 'ratio'", loc
            )
        else:
            try:
                rule = parse_rule(rule_txt)
            except ValueError as exc:
                probs.add(f"规则: {exc} (write e.g. 'ratio floor=0.5')", loc)
        if current_dim not in dims:
            d = dims_sheet.get(current_dim) or {
                "id": f"d{len(dims) + 1}",
                "name": current_dim,
                "points": 0.0,
            }
            dims[current_dim] = dict(d)
            dims[current_dim]["_sum"] = 0.0
        if rule_kind(rule["type"]) == "score":
            dims[current_dim]["_sum"] += pts
        iid = get(r, "指标编号") or f"i{len(indicators) + 1:02d}"
        ind = {
            "id": iid,
            "name": name or f"row {k}",
            "dimension": dims[current_dim]["id"],
            "points": pts,
            "unit": get(r, "单位"),
            "direction": direction or "higher",
            "rule": rule,
            "group": get(r, "二级指标"),
            "description": get(r, "评分标准"),
        }
        if target is not None:
            ind["target"] = target
        _domain_and_missing(ind, get(r, "值域"), get(r, "缺失"), loc, probs)
        indicators.append(ind)
        where[iid] = f"{loc} (indicator {iid})"
    wb.close()
    probs.raise_if_any(SchemeError)
    dim_list = []
    for d in dims.values():
        s = d.pop("_sum")
        if d["name"] not in dims_sheet:
            d["points"] = s
        dim_list.append(d)
    if meta.get("total") is None:
        meta["total"] = sum(d["points"] for d in dim_list)
    raw = {**meta, "grades": grades, "dimensions": dim_list, "indicators": indicators}
    raw.setdefault("year", 2025)
    return raw, where


def write_excel(scheme, path: str | Path) -> Path:
    """Write a scheme as an Excel indicator table in the layout :func:`read_excel` reads.

    The file is written to a temporary name and moved into place, so a failure leaves
    no partial workbook.
    """
    from openpyxl import Workbook

    from kmmodel.io import atomic_write_bytes, text_cells

    spec = scheme.spec
    wb = Workbook()
    ws = wb.active
    ws.title = "指标"
    ws.append(list(COLUMNS + OPTIONAL))
    dims = {d.id: d for d in spec.dimensions}
    last = None
    for ind in spec.indicators:
        d = dims[ind.dimension].name
        rule = ind.rule.model_dump(mode="python")
        ws.append(
            [
                d if d != last else "",
                ind.group,
                ind.name,
                float(ind.points),
                ind.description,
                ind.target if ind.target is not None else None,
                ind.id,
                ind.unit,
                "正向" if ind.direction == "higher" else "逆向",
                format_rule(rule),
                _format_domain(ind.domain),
                ind.missing or "",
            ]
        )
        last = d
    meta = wb.create_sheet("方案")
    meta.append(["key", "value"])
    for k in ("id", "name", "total", "year", "missing", "rank_by"):
        meta.append([k, getattr(spec, k)])
    if spec.excellent_share_cap is not None:
        meta.append(["excellent_share_cap", spec.excellent_share_cap])
    meta.append(["grades", " ".join(f"{g.name}:{g.min:g}" for g in spec.grades)])
    dsheet = wb.create_sheet("维度")
    dsheet.append(["编号", "名称", "分值"])
    for d in spec.dimensions:
        dsheet.append([d.id, d.name, float(d.points)])
    for sheet in wb.worksheets:  # a name beginning with '=' is text, never a formula
        for row in sheet.iter_rows():
            text_cells(row)
    import io

    buf = io.BytesIO()
    wb.save(buf)
    path = Path(path)
    atomic_write_bytes(path, buf.getvalue())
    return path
