"""Reforms: functions that take a scheme and return a modified, re-validated copy.

In the spirit of OpenFisca reforms, a policy change is a function of the
scheme; the baseline is never modified, and baseline and reform are scored on
the same observations and compared with :func:`kmmodel.compare`::

    reform = km.scheme.reform.move_points(base, "common", "key", 5)
    km.compare(km.score(base, obs), km.score(reform, obs))

Every reform rebuilds the scheme through the same validation as a file, so a
reform that breaks the rules (points not adding up, unknown grade) raises
:class:`~kmmodel.errors.SchemeError`. Reforms apply to the scheme's year.

Functions
---------
set_points(scheme, indicator, points)          change one weight, dimension total kept
move_points(scheme, from_dim, to_dim, points)  move points between two dimensions
set_target(scheme, indicator, target)          change a target
set_rule(scheme, indicator, **params)          change rule parameters (or ``type=``)
set_veto(scheme, indicator, action=..., ...)   change (or with ``enabled=False`` switch off) a veto
set_aggregation(scheme, indicators=, dimensions=)  compensability per level
set_missing(scheme, policy)                    missing-observation policy
set_grades(scheme, bands, excellent_share_cap=...)  grade bands
chain(scheme, *reforms)                        apply several reforms in order
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from kmmodel.errors import SchemeError
from kmmodel.scheme.rules import rule_class, rule_kind

__all__ = [
    "chain",
    "move_points",
    "set_aggregation",
    "set_grades",
    "set_missing",
    "set_points",
    "set_rule",
    "set_target",
    "set_veto",
]


def _rebuild(scheme, data: dict, label: str):
    from kmmodel.scheme.model import build_scheme

    source = f"{scheme.source} | {label}"
    return build_scheme(data, source=source, raw_source=copy.deepcopy(data))


def _data(scheme) -> dict:
    return copy.deepcopy(scheme.to_dict())


def _find(data: dict, indicator: str, scheme) -> dict:
    for ind in data["indicators"]:
        if ind["id"] == indicator:
            return ind
    raise SchemeError(f"unknown indicator {indicator!r}", source=scheme.source)


def _dim(data: dict, dim: str, scheme) -> dict:
    for d in data["dimensions"]:
        if d["id"] == dim:
            return d
    ids = [d["id"] for d in data["dimensions"]]
    raise SchemeError(f"unknown dimension {dim!r}; expected one of {ids}", source=scheme.source)


def _scale_dimension(data: dict, dim: str, new_points: float, scheme, keep: str | None = None):
    """Scale the scored indicators of ``dim`` (except ``keep``) to reach ``new_points``."""
    scored = [
        i
        for i in data["indicators"]
        if i["dimension"] == dim and rule_kind(i["rule"]["type"]) == "score"
    ]
    fixed = sum(i["points"] for i in scored if i["id"] == keep)
    free = [i for i in scored if i["id"] != keep]
    old = sum(i["points"] for i in free)
    want = new_points - fixed
    if want < -1e-9 or (old <= 0 and want > 1e-9):
        raise SchemeError(
            f"cannot give dimension {dim!r} {new_points:g} points with its other indicators "
            f"worth {old:g}",
            source=scheme.source,
        )
    for i in free:
        i["points"] = i["points"] * want / old if old > 0 else 0.0
        i["rule"] = rule_class(i["rule"]["type"]).with_points(i["rule"], i["points"])
    _dim(data, dim, scheme)["points"] = new_points


def set_points(scheme, indicator: str, points: float):
    """Give one indicator ``points`` [points]; the others in its dimension are scaled
    proportionally so the dimension (and the scheme) keeps its total."""
    data = _data(scheme)
    ind = _find(data, indicator, scheme)
    ind["points"] = float(points)
    dim = _dim(data, ind["dimension"], scheme)
    _scale_dimension(data, ind["dimension"], dim["points"], scheme, keep=indicator)
    return _rebuild(scheme, data, f"set_points({indicator}, {points:g})")


def move_points(scheme, from_dim: str, to_dim: str, points: float):
    """Move ``points`` [points] from one dimension to another.

    The indicators of each dimension are scaled proportionally (their relative
    weights inside the dimension stay); the scheme total is unchanged.
    """
    data = _data(scheme)
    src, dst = _dim(data, from_dim, scheme), _dim(data, to_dim, scheme)
    if from_dim == to_dim:
        raise SchemeError("from_dim and to_dim must differ", source=scheme.source)
    if points > src["points"] + 1e-9:
        raise SchemeError(
            f"cannot move {points:g} points: dimension {from_dim!r} has {src['points']:g}",
            source=scheme.source,
        )
    _scale_dimension(data, from_dim, src["points"] - points, scheme)
    _scale_dimension(data, to_dim, dst["points"] + points, scheme)
    return _rebuild(scheme, data, f"move_points({from_dim}->{to_dim}, {points:g})")


def set_target(scheme, indicator: str, target: float):
    """Change an indicator's target [indicator unit] for the scheme's year."""
    data = _data(scheme)
    _find(data, indicator, scheme)["target"] = float(target)
    return _rebuild(scheme, data, f"set_target({indicator}, {target:g})")


def set_rule(scheme, indicator: str, **params):
    """Change rule parameters, e.g. ``set_rule(s, "x", floor=0.5)``; ``type=`` replaces
    the rule (then give all its parameters)."""
    data = _data(scheme)
    ind = _find(data, indicator, scheme)
    if "type" in params and params["type"] != ind["rule"]["type"]:
        ind["rule"] = dict(params)
    else:
        ind["rule"].update(params)
    ind["rule"] = {k: v for k, v in ind["rule"].items() if v is not None or k == "type"}
    return _rebuild(scheme, data, f"set_rule({indicator})")


def set_veto(
    scheme,
    indicator: str,
    action: str | None = None,
    threshold: float | None = None,
    cap_grade: str | None = None,
    enabled: bool = True,
):
    """Change a veto rule's ``action`` / ``threshold`` / ``cap_grade``; ``enabled=False``
    switches the veto off (a "no veto" reform; the indicator and its observations stay)."""
    data = _data(scheme)
    ind = _find(data, indicator, scheme)
    if ind["rule"]["type"] != "veto":
        raise SchemeError(f"indicator {indicator!r} is not a veto", source=scheme.source)
    ind["rule"]["active"] = bool(enabled)
    for k, v in (("action", action), ("threshold", threshold), ("cap_grade", cap_grade)):
        if v is not None:
            ind["rule"][k] = v
    return _rebuild(scheme, data, f"set_veto({indicator}{'' if enabled else ', off'})")


def set_aggregation(scheme, indicators: str | None = None, dimensions: str | None = None):
    """Aggregation per level: ``weighted_sum`` (compensatory), ``geometric`` or
    ``weakest_link`` (PEFA M1: the weakest part caps the whole)."""
    data = _data(scheme)
    agg = dict(data.get("aggregation") or {})
    if indicators is not None:
        agg["indicators"] = indicators
    if dimensions is not None:
        agg["dimensions"] = dimensions
    data["aggregation"] = agg
    return _rebuild(scheme, data, f"set_aggregation({indicators}, {dimensions})")


def set_missing(scheme, policy: str):
    """Missing-observation policy: ``zero``, ``rescale`` or ``error``."""
    data = _data(scheme)
    data["missing"] = policy
    return _rebuild(scheme, data, f"set_missing({policy})")


def set_grades(scheme, bands: list[dict] | None = None, excellent_share_cap: float | None = ...):
    """Replace the grade bands (``[{"name": "优秀", "min": 90}, ...]``) and/or the cap on
    the share of top-grade units (``None`` removes it)."""
    data = _data(scheme)
    if bands is not None:
        data["grades"] = [dict(b) for b in bands]
    if excellent_share_cap is not ...:
        data["excellent_share_cap"] = excellent_share_cap
    return _rebuild(scheme, data, "set_grades")


def chain(scheme, *reforms: Callable):
    """Apply reforms in order: ``chain(s, lambda s: set_target(s, "x", 1), ...)``."""
    for r in reforms:
        scheme = r(scheme)
    return scheme
