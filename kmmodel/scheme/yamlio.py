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

import yaml

from kmmodel.errors import Problems, SchemeError

__all__ = ["read_yaml", "resolve_year"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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


def _resolve(v: Any, when: dt.date, path: str, probs: Problems) -> Any:
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
    """Safe-load a YAML scheme file (never constructs Python objects)."""
    try:
        with open(path, encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise SchemeError(
            f"{at}not valid YAML ({getattr(exc, 'problem', exc)})", source=str(path)
        ) from None
    except UnicodeDecodeError:
        raise SchemeError("not UTF-8 text", source=str(path)) from None
    if not isinstance(raw, dict):
        raise SchemeError("expected a mapping at the top level", source=str(path))
    return raw
