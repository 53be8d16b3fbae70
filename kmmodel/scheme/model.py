"""The assessment-scheme model: pydantic specs and the :class:`Scheme` object.

A scheme is data (in the spirit of OpenFisca parameters): dimensions with
points, indicators with targets and scoring rules, grade bands, veto rules and
bonus/penalty items. :func:`build_scheme` validates a plain mapping (already
read from YAML or Excel, with date-keyed values resolved for one year) and
raises :class:`~kmmodel.errors.SchemeError` listing *every* problem with its
location (indicator id, dimension id, grade band, or the Excel row given in
``where``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, StrictInt, TypeAdapter, ValidationError

from kmmodel.errors import Problems, SchemeError
from kmmodel.scheme.rules import Number, Rule

__all__ = [
    "AGGREGATIONS",
    "MISSING_POLICIES",
    "Dimension",
    "GradeBand",
    "Indicator",
    "Scheme",
    "build_scheme",
]

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
MISSING_POLICIES = ("zero", "rescale", "error")
AGGREGATIONS = ("weighted_sum", "geometric", "weakest_link")
_TOL = 1e-6


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Dimension(_Model):
    """A first-level dimension (一级指标) and its points [points]."""

    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1)
    points: Number = Field(ge=0)
    description: str = ""


class Indicator(_Model):
    """One indicator: points [points], target [indicator unit], scoring rule.

    ``domain`` [indicator unit] bounds the plausible observations (``[0, 1]`` for a
    share that cannot leave 0-100 %, ``[-1, null]`` for a growth rate): ``score``
    refuses values outside it. ``missing`` overrides the scheme's missing-observation
    policy for this indicator; count rules (``deduction``) read a missing row as 0
    incidents unless it is given.
    """

    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1)
    dimension: str
    points: Number = Field(ge=0)
    unit: str = ""
    direction: Literal["higher", "lower"] = "higher"
    target: Number | None = None
    rule: Rule
    domain: tuple[Number | None, Number | None] | None = None
    missing: Literal["zero", "rescale", "error"] | None = None
    group: str = ""
    source: str = ""
    assumption: str = ""
    description: str = ""

    @property
    def kind(self) -> str:
        """``score``, ``veto`` or ``adjustment`` (from the rule type)."""
        return self.rule.kind


class GradeBand(_Model):
    """A grade (e.g. 优秀) earned from ``min`` points upwards [points]."""

    name: str = Field(min_length=1)
    min: Number = Field(ge=0)


class Aggregation(_Model):
    """How indicators combine into a dimension, and dimensions into the total."""

    indicators: Literal["weighted_sum", "geometric", "weakest_link"] = "weighted_sum"
    dimensions: Literal["weighted_sum", "geometric", "weakest_link"] = "weighted_sum"


class _Head(_Model):
    """Scheme-level fields (validated on their own first, then with the lists)."""

    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1)
    description: str = ""
    reference: str = ""
    year: StrictInt
    total: Number = Field(gt=0)
    missing: Literal["zero", "rescale", "error"] = "zero"
    rank_by: str = "group"
    aggregation: Aggregation = Aggregation()
    excellent_share_cap: Number | None = Field(None, gt=0, le=1)


class SchemeSpec(_Head):
    """The whole validated scheme for one year."""

    grades: list[GradeBand] = Field(min_length=1)
    dimensions: list[Dimension] = Field(min_length=1)
    indicators: list[Indicator] = Field(min_length=1)


def _loc(err: dict) -> str:
    return ".".join(str(p) for p in err["loc"])


def _msg(err: dict) -> str:
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return msg


def _validate_part(model, raw: Any, where: str, probs: Problems):
    """Validate one part; add each pydantic error as a problem located at ``where``."""
    try:
        return TypeAdapter(model).validate_python(raw)
    except ValidationError as exc:
        for err in exc.errors():
            loc = _loc(err)
            probs.add(f"{loc + ': ' if loc else ''}{_msg(err)}", where)
        return None


def build_scheme(
    raw: dict,
    source: str = "scheme",
    where: dict[str, str] | None = None,
    raw_source: dict | None = None,
) -> Scheme:
    """Validate a scheme mapping and return a :class:`Scheme`.

    Parameters
    ----------
    raw : dict
        Mapping with the fields of the YAML format, values already resolved for one year.
    source : str
        File name shown first in error messages.
    where : dict, optional
        Indicator id -> location text (e.g. ``"Excel row 7"``) used in messages.
    raw_source : dict, optional
        The unresolved mapping (kept so reforms and other years can be rebuilt).

    Raises
    ------
    SchemeError
        Every problem found, each with its location.
    """
    where = where or {}
    probs = Problems(source=source)
    if not isinstance(raw, dict):
        raise SchemeError("expected a mapping at the top level", source=source)
    top = {k: v for k, v in raw.items() if k not in ("grades", "dimensions", "indicators")}
    head = _validate_part(_Head, top, "scheme", probs)
    grades = []
    for i, g in enumerate(_as_list(raw.get("grades"), "grades", probs)):
        band = _validate_part(GradeBand, g, f"grades[{i}]", probs)
        grades.append(band)
    dims = []
    for i, d in enumerate(_as_list(raw.get("dimensions"), "dimensions", probs)):
        did = d.get("id", f"#{i + 1}") if isinstance(d, dict) else f"#{i + 1}"
        dims.append(_validate_part(Dimension, d, f"dimension {did}", probs))
    inds = []
    for i, d in enumerate(_as_list(raw.get("indicators"), "indicators", probs)):
        iid = d.get("id", f"#{i + 1}") if isinstance(d, dict) else f"#{i + 1}"
        loc = where.get(str(iid), f"indicator {iid}")
        inds.append((loc, _validate_part(Indicator, d, loc, probs)))
    # cross-checks on the parts that validated
    _cross_check(head, grades, dims, inds, probs)
    probs.raise_if_any(SchemeError)
    spec = SchemeSpec(
        **top,
        grades=grades,
        dimensions=dims,
        indicators=[ind for _, ind in inds],
    )
    return Scheme(spec=spec, source=source, raw=raw_source if raw_source is not None else raw)


def _as_list(v, name: str, probs: Problems) -> list:
    if v is None:
        probs.add("missing; expected a list", name)
        return []
    if not isinstance(v, list) or not v:
        probs.add("expected a non-empty list", name)
        return []
    return v


def _cross_check(head, grades, dims, inds, probs: Problems) -> None:
    # grade bands: names unique, strictly decreasing minimums, the last one at 0
    good = [g for g in grades if g is not None]
    names = [g.name for g in good]
    if len(set(names)) != len(names):
        probs.add(f"grade names must be unique, got {names}", "grades")
    mins = [g.min for g in good]
    if any(a <= b for a, b in zip(mins, mins[1:])):
        probs.add(
            f"grade bands must be listed best first with strictly decreasing 'min', got {mins}",
            "grades",
        )
    if good and mins[-1] != 0:
        probs.add(
            f"the last grade band must start at 0 so every score gets a grade, got {mins[-1]}",
            "grades",
        )
    if head is not None and good and mins[0] > head.total:
        probs.add(f"top grade needs {mins[0]} points but the total is {head.total}", "grades")
    # dimensions: ids unique; points add up to the total
    gdims = [d for d in dims if d is not None]
    ids = [d.id for d in gdims]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        probs.add(f"duplicate dimension ids {dup}", "dimensions")
    if head is not None and gdims and len(gdims) == len(dims):
        s = sum(d.points for d in gdims)
        if abs(s - head.total) > _TOL:
            probs.add(
                f"dimension points add up to {s:g}, expected the scheme total {head.total:g}",
                "dimensions",
            )
    # indicators
    good_inds = [(loc, i) for loc, i in inds if i is not None]
    iids = [i.id for _, i in good_inds]
    reported: set[str] = set()
    for loc, ind in good_inds:
        if iids.count(ind.id) > 1 and ind.id not in reported:
            reported.add(ind.id)
            probs.add(f"duplicate indicator id {ind.id!r} ({iids.count(ind.id)} times)", loc)
        if ind.dimension not in ids:
            probs.add(f"unknown dimension {ind.dimension!r}; expected one of {ids}", loc)
        for problem in ind.rule.check(ind, names):
            probs.add(problem, loc)
        for problem in _indicator_checks(ind):
            probs.add(problem, loc)
    # points per dimension add up
    if len(good_inds) == len(inds) and gdims and len(gdims) == len(dims):
        for d in gdims:
            s = sum(i.points for _, i in good_inds if i.dimension == d.id and i.kind == "score")
            if abs(s - d.points) > _TOL:
                probs.add(
                    f"indicator points add up to {s:g}, expected the dimension's {d.points:g}",
                    f"dimension {d.id}",
                )


def _value_floor(rule) -> float:
    """The zero-point value of a rule [indicator unit] (linear/formula floors), else NaN."""
    v = rule.value_floor()
    return math.nan if v is None else float(v)


def _indicator_checks(ind: Indicator) -> list[str]:
    """Checks of the indicator's own fields that involve its rule (domain, missing)."""
    out = []
    if ind.domain is not None:
        lo, hi = ind.domain
        if lo is not None and hi is not None and lo >= hi:
            out.append(f"domain: lower bound {lo:g} must be below the upper bound {hi:g}")
    if ind.missing is not None and ind.kind != "score":
        out.append(
            f"missing: {ind.rule.type} items count incidents (a missing row is 0); "
            "a missing policy applies to scored indicators only"
        )
    return out


@dataclass(frozen=True, eq=False)
class Scheme:
    """A validated assessment scheme for one year.

    Build with :func:`kmmodel.load_scheme`; change with the reforms in
    :mod:`kmmodel.scheme.reform` (each returns a new, re-validated scheme).

    Attributes
    ----------
    spec : SchemeSpec
        The validated content.
    source : str
        The file (or reform chain) it came from.
    raw : dict
        The unresolved mapping (all years).
    """

    spec: SchemeSpec
    source: str = "scheme"
    raw: dict = field(default_factory=dict, repr=False)

    # --- views -----------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def year(self) -> int:
        return self.spec.year

    @property
    def total(self) -> float:
        """Scheme total [points]."""
        return self.spec.total

    @property
    def grade_names(self) -> list[str]:
        return [g.name for g in self.spec.grades]

    @cached_property
    def dimensions(self) -> pd.DataFrame:
        """One row per dimension: id, name, points [points], share [0-1], n_indicators."""
        counts = pd.Series([i.dimension for i in self.spec.indicators if i.kind == "score"])
        return pd.DataFrame(
            {
                "id": [d.id for d in self.spec.dimensions],
                "name": [d.name for d in self.spec.dimensions],
                "points": [float(d.points) for d in self.spec.dimensions],
                "share": [d.points / self.total for d in self.spec.dimensions],
                "n_indicators": [int((counts == d.id).sum()) for d in self.spec.dimensions],
            }
        )

    @cached_property
    def indicators(self) -> pd.DataFrame:
        """One row per indicator.

        Columns: id, name, dimension, points [points], unit, direction, rule (type
        name), target (for the scheme's year, NaN when none), floor (the zero-point value
        of linear/formula rules [indicator unit], else NaN), kind (``score`` / ``veto`` / ``adjustment``), group, source,
        assumption.
        """
        rows = []
        for i in self.spec.indicators:
            rows.append(
                {
                    "id": i.id,
                    "name": i.name,
                    "dimension": i.dimension,
                    "points": float(i.points),
                    "unit": i.unit,
                    "direction": i.direction,
                    "rule": i.rule.type,
                    "target": math.nan if i.target is None else float(i.target),
                    "floor": _value_floor(i.rule),
                    "kind": i.kind,
                    "group": i.group,
                    "source": i.source,
                    "assumption": i.assumption,
                }
            )
        return pd.DataFrame(rows)

    def indicator(self, id: str) -> Indicator:
        """The :class:`Indicator` with this id (``KeyError`` when unknown)."""
        for i in self.spec.indicators:
            if i.id == id:
                return i
        raise KeyError(id)

    def weights(self, share: bool = False) -> pd.Series:
        """Points of the scored indicators (not vetoes or bonus/penalty items).

        Parameters
        ----------
        share : bool
            False: points [points] summing to the scheme total; True: fractions [share 0-1].

        Returns
        -------
        pandas.Series
            Indexed by indicator id, in scheme order. With weighted-sum aggregation,
            ``res.achievement() @ scheme.weights()`` is each unit's total before
            vetoes, bonus and penalty items.
        """
        ind = self.indicators
        w = ind.loc[ind["kind"] == "score"].set_index("id")["points"].rename("weight")
        return w / w.sum() if share else w

    def to_dict(self) -> dict:
        """The validated content as a plain mapping (resolved for this year)."""
        return self.spec.model_dump(mode="python", exclude_defaults=False)

    def __repr__(self) -> str:
        n = sum(i.kind == "score" for i in self.spec.indicators)
        return (
            f"Scheme({self.id!r}, year={self.year}, {len(self.spec.dimensions)} dimensions, "
            f"{n} scored indicators, total={self.total:g})"
        )
