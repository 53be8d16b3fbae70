"""What every scoring-rule type owns, and the registry that lists them.

A rule type is one pydantic class, a subclass of :class:`RuleBase` registered with
:func:`register_rule`. The class is the single home of what the rule means:

==========================  ====================================================================
part                        where on the class
==========================  ====================================================================
YAML form and validation    pydantic fields (strict numbers: a bool or text is not a number)
                            and validators; :meth:`RuleBase.check` for checks that need the
                            indicator (target, points, direction, grade names)
what it is                  ``kind`` (``score`` / ``veto`` / ``adjustment``), ``counts`` (values
                            are incident counts: a missing row is 0 incidents),
                            :meth:`~RuleBase.needs_target`, ``min_value`` and
                            :meth:`~RuleBase.value_codes` (observation domain)
computation                 :meth:`ScoredRule.achievement` (vectorised over a block of units ×
                            indicators), :meth:`VetoKind.triggered`,
                            :meth:`AdjustmentKind.adjustment`
explanation                 :meth:`~RuleBase.reason` (the ``reason`` column of ``explain``)
uncertainty                 ``parameters`` and :meth:`~RuleBase.perturbed` (multipliers of the
                            rule's own parameters, used by :mod:`kmmodel.uncertainty.rules`)
Excel text                  :meth:`~RuleBase.from_text` / :meth:`~RuleBase.format_text` (the
                            ``规则`` cell, e.g. ``ratio floor=0.5``)
==========================  ====================================================================

The engine (:mod:`kmmodel.scoring`), the explanations, the uncertainty analysis, the Excel
reader and the reforms ask the registry, never a list of type names, so a new rule type
is one class (in :mod:`kmmodel.scheme.rules.builtin`, or in the user's own module)
decorated with :func:`register_rule`.
"""

from __future__ import annotations

import math
import types
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, get_args

import numpy as np
from pydantic import AllowInfNan, BaseModel, ConfigDict, Strict

__all__ = [
    "RULE_TYPES",
    "AdjustmentKind",
    "Number",
    "RuleBase",
    "ScoredRule",
    "VetoKind",
    "fmt_value",
    "num_text",
    "parse_pairs",
    "register_rule",
    "rule_class",
    "rule_kind",
    "unregister_rule",
]

#: a finite number given as a number (int or float; ``True``, ``"0.5"`` and ``inf`` refused)
Number = Annotated[float, Strict(), AllowInfNan(False)]

_REGISTRY: dict[str, type[RuleBase]] = {}
#: live, read-only view of the registry: rule type name -> class, in registration order
RULE_TYPES: Mapping[str, type[RuleBase]] = types.MappingProxyType(_REGISTRY)


def row(values) -> np.ndarray:
    """A (1, n) float row of per-indicator parameters, broadcast over units."""
    return np.asarray(values, dtype=float)[None, :]


def fmt_value(x, unit: str) -> str:
    """A value in its unit for explanations: shares and ratios in percent."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if unit in ("share", "ratio"):
        return f"{100 * x:.1f}%"
    return f"{x:,.4g}" + (f" {unit}" if unit else "")


def num_text(x: float) -> str:
    """A number as short text that reads back exactly (``0.5``, ``1``, ``0.123456789``)."""
    short = f"{x:g}"
    return short if float(short) == x else repr(float(x))


def _text_value(text: str):
    """A ``key=value`` right-hand side: a number, ``true``/``false``, or the text."""
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return float(text)
    except ValueError:
        return text


def parse_pairs(rule_type: str, rest: str) -> dict:
    """``{"type": rule_type, key: value, ...}`` from ``key=value`` tokens."""
    out: dict[str, Any] = {"type": rule_type}
    for tok in rest.split():
        k, sep, v = tok.partition("=")
        if not sep or not k:
            raise ValueError(f"expected key=value, got {tok!r}")
        out[k] = _text_value(v)
    return out


class RuleBase(BaseModel):
    """Base of every rule type; subclasses declare ``type: Literal["name"]`` and fields.

    Class attributes
    ----------------
    kind : {"score", "veto", "adjustment"}
        Scored inside a dimension, a one-vote veto, or a bonus/penalty outside the
        dimensions.
    counts : bool
        Observations are incident counts: a missing row means 0 incidents (unless the
        indicator declares its own ``missing`` policy), and values must be >= 0.
    min_value : float or None
        Smallest valid observation [indicator unit] (``None``: no bound from the rule).
    parameters : tuple of str
        Parameters the uncertainty analysis may multiply (see :meth:`perturbed`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ClassVar[str] = "score"
    counts: ClassVar[bool] = False
    min_value: ClassVar[float | None] = None
    value_message: ClassVar[str] = "counts and ratio-rule values must be >= 0; negative in {rows}"
    parameters: ClassVar[tuple[str, ...]] = ()

    # --- identity -----------------------------------------------------------------
    @classmethod
    def type_name(cls) -> str:
        """The ``type`` tag of the class (from its ``Literal`` annotation)."""
        field = cls.model_fields.get("type")
        args = get_args(field.annotation) if field is not None else ()
        if len(args) != 1 or not isinstance(args[0], str):
            raise TypeError(f"{cls.__name__} needs a field  type: Literal['name']")
        return args[0]

    # --- validation with the indicator --------------------------------------------
    def needs_target(self) -> bool:
        """Whether the rule needs a numeric target."""
        return False

    def check(self, ind, grade_names: list[str]) -> list[str]:
        """Problems of this rule on indicator ``ind`` (its target, points, direction).

        ``grade_names`` are the scheme's grade bands, best first. The base checks the
        target (when :meth:`needs_target`) and the points of the rule's kind; subclasses
        add theirs to ``super().check(...)``.
        """
        out = []
        if self.needs_target() and (ind.target is None or not math.isfinite(ind.target)):
            out.append(f"rule {self.type!r} needs a numeric 'target'")  # type: ignore[attr-defined]
        if self.kind == "score" and ind.points <= 0:
            out.append("scored indicators need positive points")
        return out

    def value_floor(self) -> float | None:
        """The value earning zero points [indicator unit], when the rule has one."""
        return None

    @classmethod
    def with_points(cls, params: dict, points: float) -> dict:
        """The rule mapping after its indicator's points changed to ``points`` [points]
        (e.g. a deduction cap kept within the points); default unchanged."""
        return params

    def thresholds(self, ind) -> list[tuple[str, float, float | None]]:
        """Values where the indicator's points jump, for the bunching check.

        ``(kind, value [indicator unit], completion [ratio] or None)``; kinds ``floor``,
        ``full``, ``step``, ``pass``. Default: none.
        """
        return []

    # --- observation domain --------------------------------------------------------
    def value_codes(self) -> dict[str, float]:
        """Text observations this rule accepts and their numeric codes (e.g. grade letters)."""
        return {}

    def invalid_values(self, v: np.ndarray) -> np.ndarray:
        """Boolean mask of observations outside the rule's domain (NaN is never invalid)."""
        if self.min_value is None and not self.counts:
            return np.zeros(v.shape, bool)
        lo = 0.0 if self.min_value is None else self.min_value
        with np.errstate(invalid="ignore"):
            return v < lo

    # --- uncertainty ---------------------------------------------------------------
    def parameter_value(self, name: str) -> float | None:
        """Nominal value of a perturbable parameter (``None`` when not set)."""
        v = getattr(self, name)
        return None if v is None else float(v)

    def perturbed(self, ind, factors: Mapping[str, float]) -> dict:
        """New parameter values after multiplying by ``factors`` (``{name: f}``, f != 1).

        The default multiplies each named parameter; override where a parameter moves
        in another way (e.g. a zero point moving relative to the target).
        """
        out = {}
        for name, f in factors.items():
            v = getattr(self, name)
            if v is not None:
                out[name] = v * f
        return out

    # --- explanation ---------------------------------------------------------------
    def reason(self, ind, value: float, points: float, max_points: float) -> str:
        """Why the indicator earned ``points`` of ``max_points`` with this value."""
        return f"{self.type} at value {fmt_value(value, ind.unit)} -> {points:.2f} of {max_points:g} points"  # type: ignore[attr-defined]

    # --- Excel text form -------------------------------------------------------------
    @classmethod
    def from_text(cls, rest: str) -> dict:
        """Parameters from the text after the type name (``floor=0.5 cap=1.2``)."""
        return parse_pairs(cls.type_name(), rest)

    @classmethod
    def format_text(cls, params: Mapping[str, Any]) -> str:
        """The ``规则`` cell text of a rule mapping; inverse of :meth:`from_text`."""
        parts = [str(params["type"])] + [
            f"{k}={num_text(v)}" if isinstance(v, float) else f"{k}={v}"
            for k, v in params.items()
            if k != "type" and v is not None
        ]
        return " ".join(parts)


class ScoredRule(RuleBase):
    """A rule scored inside its dimension: observed values -> achievement [share 0-1]."""

    kind: ClassVar[str] = "score"

    @classmethod
    def achievement(cls, V: np.ndarray, inds: list, groups: np.ndarray) -> np.ndarray:
        """Achievement [share 0-1] of a block of indicators of this type.

        Parameters
        ----------
        V : ndarray, shape (n_units, n_indicators)
            Observed values [indicator unit]; NaN where missing (counts: already 0).
        inds : list of Indicator
            The block's indicators, in column order (``ind.rule`` is of this class).
        groups : ndarray of str, shape (n_units,)
            Ranking group of each unit.

        Returns
        -------
        ndarray, same shape as ``V``
            NaN where the value is missing.
        """
        raise NotImplementedError


class VetoKind(RuleBase):
    """A one-vote veto: subclasses give the fields ``action`` (``cap_grade`` /
    ``zero_dimension`` / ``disqualify``) and ``cap_grade`` (a grade name or None), and
    :meth:`triggered`; the engine applies the action."""

    kind: ClassVar[str] = "veto"
    counts: ClassVar[bool] = True

    @classmethod
    def triggered(cls, V: np.ndarray, inds: list) -> np.ndarray:
        """Boolean block (units × indicators): the veto holds."""
        raise NotImplementedError

    def veto_reason(self, value: float, cap: str, what: str) -> str:
        """The ``explain`` row of a triggered veto (``what``: the action's effect)."""
        return f"一票否决 veto: {value:g}; grade capped at {cap}" + (f"; {what}" if what else "")


class AdjustmentKind(RuleBase):
    """A bonus (+) or penalty (−) outside the dimensions, capped at the indicator's points."""

    kind: ClassVar[str] = "adjustment"
    counts: ClassVar[bool] = True

    @classmethod
    def adjustment(cls, V: np.ndarray, inds: list) -> np.ndarray:
        """Signed points [points] of a block of indicators of this type."""
        raise NotImplementedError

    def check(self, ind, grade_names: list[str]) -> list[str]:
        out = super().check(ind, grade_names)
        if ind.points <= 0:
            out.append(f"{self.type} items need positive points (their cap)")  # type: ignore[attr-defined]
        return out


def register_rule(cls: type[RuleBase]) -> type[RuleBase]:
    """Class decorator: add a rule type to the registry (its ``type`` tag is the key).

    Raises
    ------
    TypeError
        Not a :class:`RuleBase` subclass of a known kind, or a tag already taken by
        another class.
    """
    if not (isinstance(cls, type) and issubclass(cls, RuleBase)):
        raise TypeError(f"expected a RuleBase subclass, got {cls!r}")
    if cls.kind not in ("score", "veto", "adjustment"):
        raise TypeError(f"{cls.__name__}.kind must be score, veto or adjustment, got {cls.kind!r}")
    name = cls.type_name()
    old = _REGISTRY.get(name)
    if old is not None and old is not cls:
        raise TypeError(f"rule type {name!r} is already registered ({old.__name__})")
    _REGISTRY[name] = cls
    return cls


def unregister_rule(name: str) -> None:
    """Remove a rule type from the registry (e.g. a type registered by a test)."""
    _REGISTRY.pop(name, None)


def rule_class(name: str) -> type[RuleBase]:
    """The class of rule type ``name`` (``KeyError`` naming the known types)."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise KeyError(
            f"unknown rule type {name!r}; expected one of {', '.join(_REGISTRY)}"
        ) from None


def rule_kind(name: str) -> str:
    """``score`` / ``veto`` / ``adjustment`` of a rule type name (unknown: ``score``)."""
    cls = _REGISTRY.get(name) if isinstance(name, str) else None
    return cls.kind if cls is not None else "score"


def validate_rule(value: Any) -> RuleBase:
    """A rule instance from a mapping with a ``type`` (or an instance, returned as is).

    Raises
    ------
    ValueError
        Not a mapping with a known ``type``; pydantic's ValidationError for bad fields.
    """
    if isinstance(value, RuleBase):
        return value
    if not isinstance(value, Mapping) or "type" not in value:
        raise ValueError(f"expected a mapping with a 'type' (one of {', '.join(_REGISTRY)})")
    name = value["type"]
    cls = _REGISTRY.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(f"unknown rule type {name!r}; expected one of {', '.join(_REGISTRY)}")
    return cls.model_validate(dict(value))
