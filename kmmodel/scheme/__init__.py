"""Assessment schemes as data: load, validate, inspect and reform.

A scheme declares dimensions with points, indicators with targets and scoring
rules, grade bands, one-vote vetoes and bonus/penalty items (see
``data/schemes/kunming_2025.yaml`` for the annotated format). Values may change
by year: any value can be a mapping from effective dates to values.

Examples
--------
>>> import kmmodel as km
>>> s = km.load_scheme(km.examples.scheme_path("kunming_2025"))
>>> float(s.dimensions["points"].sum())
100.0
>>> s.year
2025
"""

from __future__ import annotations

from pathlib import Path

from kmmodel.errors import SchemeError
from kmmodel.scheme import reform
from kmmodel.scheme.model import Dimension, GradeBand, Indicator, Scheme, build_scheme
from kmmodel.scheme.rules import RULE_TYPES
from kmmodel.scheme.yamlio import read_yaml, resolve_year

__all__ = [
    "RULE_TYPES",
    "Dimension",
    "GradeBand",
    "Indicator",
    "Scheme",
    "from_dict",
    "load_scheme",
    "reform",
]


def from_dict(raw: dict, year: int | None = None, source: str = "scheme") -> Scheme:
    """Build a scheme from a mapping in the YAML format (date-keyed values allowed).

    Parameters
    ----------
    raw : dict
        The scheme mapping.
    year : int, optional
        Assessment year; default the mapping's ``default_year`` / ``year``.
    source : str
        Name used in error messages.
    """
    resolved = resolve_year(raw, year, source)
    return build_scheme(resolved, source=source, raw_source=raw)


def load_scheme(path: str | Path, year: int | None = None) -> Scheme:
    """Load and validate an assessment scheme.

    Parameters
    ----------
    path : str or Path
        ``.yaml`` / ``.yml`` (the kmmodel format) or ``.xlsx`` (an indicator table with
        the columns 一级指标 / 二级指标 / 三级指标 / 分值 / 评分标准 / 目标值, see
        :mod:`kmmodel.scheme.excel`).
    year : int, optional
        Assessment year for date-keyed values; default the file's ``default_year``.

    Returns
    -------
    Scheme

    Raises
    ------
    SchemeError
        Listing every problem found, each with the file and the indicator id or
        Excel row it concerns.
    """
    path = Path(path)
    if not path.is_file():
        raise SchemeError("scheme file not found", source=str(path))
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return from_dict(read_yaml(path), year=year, source=str(path))
    if suffix == ".xlsx":
        from kmmodel.scheme.excel import read_excel

        raw, where = read_excel(path)
        resolved = resolve_year(raw, year, str(path))
        return build_scheme(resolved, source=str(path), where=where, raw_source=raw)
    raise SchemeError(
        f"unsupported file type {path.suffix!r}; expected .yaml, .yml or .xlsx", source=str(path)
    )
