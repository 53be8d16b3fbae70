"""Read a scheme from YAML and resolve values keyed by effective date.

Like OpenFisca parameters, any value in a scheme file may be given as a mapping
from effective dates to values::

    target:
      2024-01-01: 0.033   # in force from 2024
      2025-01-01: 0.035   # in force from 2025

The value used for a year is the one with the latest date on or before 1 January of
that year. The top level names the years the file covers (``years``) and the one
used by default (``default_year``).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from kmmodel.errors import Problems, SchemeError

__all__ = ["read_yaml", "resolve_year"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# what a person may write meaning a date: 2025/01/01, 2025.1.1, 2025年1月1日, 2025-1-1
_DATE_LIKE = re.compile(r"^\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?$")


def _as_date(key: Any) -> dt.date | None:
    if isinstance(key, dt.datetime):
        return key.date()
    if isinstance(key, dt.date):
        return key
    if isinstance(key, str) and _DATE.match(key):
        try:
            return dt.date.fromisoformat(key)
        except ValueError:
            return None
    return None


def _is_dated(v: Any) -> bool:
    return isinstance(v, dict) and bool(v) and all(_as_date(k) is not None for k in v)


def _bad_date_keys(v: Any) -> list[str]:
    """Keys of a mapping that look like dates but are not ``YYYY-MM-DD``."""
    if not isinstance(v, dict):
        return []
    return [
        str(k)
        for k in v
        if _as_date(k) is None and isinstance(k, str) and (_DATE.match(k) or _DATE_LIKE.match(k))
    ]


def _resolve(v: Any, when: dt.date, path: str, probs: Problems) -> Any:
    bad = _bad_date_keys(v)
    if bad:
        probs.add(
            f"date key(s) {', '.join(repr(b) for b in bad)} are not dates written as YYYY-MM-DD "
            "(e.g. 2025-01-01 for the value in force from 1 January 2025)",
            path,
        )
        return None
    if _is_dated(v):
        dated = sorted((_as_date(k), val) for k, val in v.items())
        in_force = [val for d, val in dated if d <= when]
        if not in_force:
            probs.add(
                f"no value in force on {when.isoformat()} (first one from {dated[0][0].isoformat()})",
                path,
            )
            return None
        return _resolve(in_force[-1], when, path, probs)
    if isinstance(v, dict):
        return {
            k: _resolve(val, when, f"{path}.{k}" if path else str(k), probs) for k, val in v.items()
        }
    if isinstance(v, list):
        return [_resolve(val, when, f"{path}[{i}]", probs) for i, val in enumerate(v)]
    return v


def _where(path: str, raw: dict) -> str:
    """Turn ``indicators[3].target`` into ``indicator <id>, target``."""
    m = re.match(r"^(indicators|dimensions)\[(\d+)\]\.?(.*)$", path)
    if m:
        items = raw.get(m.group(1)) or []
        i = int(m.group(2))
        iid = (
            items[i].get("id", f"#{i + 1}")
            if i < len(items) and isinstance(items[i], dict)
            else f"#{i + 1}"
        )
        kind = "indicator" if m.group(1) == "indicators" else "dimension"
        return f"{kind} {iid}" + (f", {m.group(3)}" if m.group(3) else "")
    return path


def resolve_year(raw: dict, year: int | None, source: str) -> dict:
    """The scheme mapping with every date-keyed value resolved for ``year``.

    Parameters
    ----------
    raw : dict
        Mapping as read from the file (may have ``years`` and ``default_year``).
    year : int, optional
        Assessment year; default the file's ``default_year`` (or its ``year``).
    source : str
        File name for messages.
    """
    if not isinstance(raw, dict):
        raise SchemeError("expected a mapping at the top level", source=source)
    probs = Problems(source=source)
    years = raw.get("years")
    if year is None:
        year = raw.get("default_year", raw.get("year"))
    if year is None:
        raise SchemeError("no year given and the file has no 'default_year'", source=source)
    if not isinstance(year, int) or isinstance(year, bool):
        raise SchemeError(f"year must be a whole number, got {year!r}", source=source)
    if years is not None and year not in years:
        raise SchemeError(f"the scheme covers years {years}, not {year}", source=source)
    body = {k: v for k, v in raw.items() if k not in ("years", "default_year")}
    out = {}
    for k, v in body.items():
        if k in ("indicators", "dimensions") and isinstance(v, list):
            items = []
            for i, item in enumerate(v):
                sub = Problems()
                items.append(_resolve(item, dt.date(year, 1, 1), "", sub))
                for p in sub.items:
                    probs.add(p.message, _where(f"{k}[{i}].{p.where}", raw))
            out[k] = items
        else:
            out[k] = _resolve(v, dt.date(year, 1, 1), k, probs)
    out["year"] = year
    probs.raise_if_any(SchemeError)
    return out


def read_yaml(path: Path) -> dict:
    """Safe-load a YAML scheme file within bounds (see :mod:`kmmodel.safeload`).

    Never constructs Python objects; refuses files above 1 MB, alias bombs,
    self-referring aliases, deep nesting, duplicate keys and impossible dates, naming
    the line.
    """
    from kmmodel.safeload import read_yaml as _read

    raw = _read(path, error=SchemeError)
    if not isinstance(raw, dict):
        raise SchemeError("expected a mapping at the top level", source=str(path))
    return raw
