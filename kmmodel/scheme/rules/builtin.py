"""The built-in rule types, one class each (see :mod:`kmmodel.scheme.rules.base`).

=============  ==========================================================================
``ratio``      completion ratio actual/target (target/actual when lower is better),
               full marks at ``cap`` × target, zero below ``floor`` × target
``linear``     linear interpolation between a ``floor`` value (0 points) and the target
``steps``      stepped thresholds: ``steps: [[threshold, share], ...]``
``rank``       points by rank within the unit's ranking group (``best`` … ``worst`` share)
``pass_fail``  full points when the target is met, none otherwise
``deduction``  ``per`` points off per incident, at most ``cap`` points off
``grade``      qualitative grade → share (``levels: {A: 1, B: 0.8, ...}``)
``formula``    allow-listed formula of ``value``, ``target``, ``floor`` (see :mod:`kmmodel.expr`)
``veto``       one-vote veto: ``value >= threshold`` triggers ``action``
``bonus``      加分: ``per`` points per unit of value, at most the indicator's points
``penalty``    扣分 outside the dimensions: ``per`` points off per unit, at most its points
=============  ==========================================================================

References
----------
.. [1] 财政部《项目支出绩效评价管理办法》(财预〔2020〕10号), 附件: 项目支出绩效评价指标体系框架
   (completion-ratio, interpolation and deduction rules of the common indicator table).
.. [2] PEFA Secretariat (2016), *Framework for assessing public financial management*,
   scoring method M1 (weakest link) and M2 (averaging).
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, StrictBool, field_validator, model_validator

from kmmodel.errors import DataError
from kmmodel.expr import ExprError, compile_expr
from kmmodel.scheme.rules.base import (
    AdjustmentKind,
    Number,
    ScoredRule,
    VetoKind,
    fmt_value,
    num_text,
    register_rule,
    row,
)

__all__ = [
    "BonusRule",
    "DeductionRule",
    "FormulaRule",
    "GradeRule",
    "LinearRule",
    "PassFailRule",
    "PenaltyRule",
    "RankRule",
    "RatioRule",
    "StepsRule",
    "VetoRule",
]

FORMULA_NAMES = ("value", "target", "floor")
_TOL = 1e-6


def _better(ind) -> str:
    return "higher" if ind.direction == "higher" else "lower"


def _tail(points: float, max_points: float) -> str:
    return f" -> {points:.2f} of {max_points:g} points"


@register_rule
class RatioRule(ScoredRule):
    """Completion ratio. Achievement = min(r, cap) / cap, 0 when r < floor."""

    type: Literal["ratio"]
    floor: Number = Field(0.0, ge=0, description="ratio below which no points [ratio]")
    cap: Number = Field(1.0, gt=0, description="ratio that earns full points [ratio]")

    min_value: ClassVar[float | None] = 0.0
    parameters: ClassVar[tuple[str, ...]] = ("floor", "cap")

    @model_validator(mode="after")
    def _order(self):
        if self.floor > self.cap:
            raise ValueError(f"floor ({self.floor}) must not exceed cap ({self.cap})")
        return self

    def needs_target(self) -> bool:
        return True

    def check(self, ind, grade_names):
        out = super().check(ind, grade_names)
        if ind.target is not None and ind.target <= 0:
            out.append(f"rule 'ratio' needs a positive target, got {ind.target}")
        return out

    @classmethod
    def achievement(cls, V, inds, groups):
        t = row([i.target for i in inds])
        lower = row([i.direction == "lower" for i in inds]).astype(bool)
        floor = row([i.rule.floor for i in inds])
        cap = row([i.rule.cap for i in inds])
        r = np.where(lower, np.where(V > 0, t / V, np.inf), V / t)
        a = np.where(r < floor, 0.0, np.minimum(r, cap) / cap)
        return np.where(np.isnan(V), np.nan, a)

    def thresholds(self, ind):
        t, lower = ind.target, ind.direction == "lower"
        if not t:
            return []
        return [
            (name, t / r if lower else t * r, 1 / r if lower else r)
            for name, r in (("floor", self.floor), ("full", self.cap))
            if r > 0
        ]

    def perturbed(self, ind, factors):
        out = {}
        cap = self.cap * factors.get("cap", 1.0)
        if "cap" in factors:
            out["cap"] = cap
        if "floor" in factors or self.floor > cap:
            out["floor"] = min(self.floor * factors.get("floor", 1.0), cap)
        return out

    def reason(self, ind, value, points, max_points):
        v, u = value, ind.unit
        if ind.direction == "higher":
            ratio = v / ind.target
        else:
            ratio = ind.target / v if v > 0 else np.inf
        return (
            f"completion {100 * ratio:.1f}% ({fmt_value(v, u)} vs target "
            f"{fmt_value(ind.target, u)}, {_better(ind)} is better; full at "
            f"{100 * self.cap:g}%, none below {100 * self.floor:g}%){_tail(points, max_points)}"
        )


def _relative_floor(rule, ind, f: float) -> float:
    """A zero point moved by ``f - 1`` of its distance to the target (else times f)."""
    t = ind.target
    if t is not None and np.isfinite(t):
        return t - (t - rule.floor) * f
    return rule.floor * f


@register_rule
class LinearRule(ScoredRule):
    """Linear between ``floor`` (0 points) and the target (full points)."""

    type: Literal["linear"]
    floor: Number = Field(description="value earning zero points [indicator unit]")

    parameters: ClassVar[tuple[str, ...]] = ("floor",)

    def needs_target(self) -> bool:
        return True

    def value_floor(self) -> float | None:
        return self.floor

    def check(self, ind, grade_names):
        out = super().check(ind, grade_names)
        if ind.target is None:
            return out
        if ind.target == self.floor:
            out.append("rule 'linear': floor must differ from the target")
        elif (ind.target > self.floor) != (ind.direction == "higher"):
            out.append(
                f"rule 'linear' with direction {ind.direction!r} needs the target "
                f"{'above' if ind.direction == 'higher' else 'below'} the floor "
                f"(target {ind.target:g}, floor {self.floor:g})"
            )
        return out

    def thresholds(self, ind):
        return (
            [] if ind.target is None else [("floor", self.floor, None), ("full", ind.target, 1.0)]
        )

    @classmethod
    def achievement(cls, V, inds, groups):
        t = row([i.target for i in inds])
        f = row([i.rule.floor for i in inds])
        return np.clip((V - f) / (t - f), 0.0, 1.0)  # NaN stays NaN

    def perturbed(self, ind, factors):
        return {"floor": _relative_floor(self, ind, factors["floor"])} if "floor" in factors else {}

    def reason(self, ind, value, points, max_points):
        u = ind.unit
        return (
            f"{fmt_value(value, u)} between floor {fmt_value(self.floor, u)} (0) and target "
            f"{fmt_value(ind.target, u)} (full), {_better(ind)} is better{_tail(points, max_points)}"
        )


@register_rule
class StepsRule(ScoredRule):
    """Stepped thresholds: the share of the best threshold reached.

    Higher is better: the share of the highest threshold reached, so shares must not
    fall as thresholds rise. Lower is better: the share of the lowest threshold not
    exceeded, so shares must not rise as thresholds rise.
    """

    type: Literal["steps"]
    steps: list[tuple[Number, Number]] = Field(min_length=1)

    parameters: ClassVar[tuple[str, ...]] = ("thresholds",)

    @field_validator("steps")
    @classmethod
    def _shares(cls, v):
        bad = [s for _, s in v if not 0 <= s <= 1]
        if bad:
            raise ValueError(f"step shares must lie in [0, 1], got {bad}")
        th = [t for t, _ in v]
        if len(set(th)) != len(th):
            raise ValueError("step thresholds must be distinct")
        return sorted(v)

    def check(self, ind, grade_names):
        out = super().check(ind, grade_names)
        shares = [s for _, s in self.steps]
        pairs = list(zip(shares, shares[1:]))
        steps = [[t, s] for t, s in self.steps]
        if ind.direction == "higher" and any(b < a for a, b in pairs):
            out.append(
                f"rule.steps: shares must not fall as thresholds rise (higher is better), "
                f"got {steps}: a unit above a higher threshold would earn less"
            )
        if ind.direction == "lower" and any(b > a for a, b in pairs):
            out.append(
                f"rule.steps: shares must not rise as thresholds rise (lower is better), "
                f"got {steps}: a unit with a larger value would earn more"
            )
        return out

    @classmethod
    def achievement(cls, V, inds, groups):
        out = np.empty_like(V)
        for j, ind in enumerate(inds):  # per indicator column, vectorised over units
            th = np.array([s[0] for s in ind.rule.steps])
            sh = np.array([s[1] for s in ind.rule.steps])
            v = V[:, j]
            if ind.direction == "higher":  # share of the highest threshold reached
                k = np.searchsorted(th, v, side="right") - 1
                a = np.where(k >= 0, sh[np.clip(k, 0, None)], 0.0)
            else:  # share of the lowest threshold not exceeded
                k = np.searchsorted(th, v, side="left")
                a = np.where(k < len(th), sh[np.clip(k, None, len(th) - 1)], 0.0)
            out[:, j] = np.where(np.isnan(v), np.nan, a)
        return out

    def thresholds(self, ind):
        return [("step", t, None) for t, _ in self.steps]

    def parameter_value(self, name):
        return float(self.steps[0][0]) if name == "thresholds" else super().parameter_value(name)

    def perturbed(self, ind, factors):
        if "thresholds" not in factors:
            return {}
        return {"steps": [[th * factors["thresholds"], sh] for th, sh in self.steps]}

    def reason(self, ind, value, points, max_points):
        return (
            f"{fmt_value(value, ind.unit)} on steps {[(a, b) for a, b in self.steps]} "
            f"({_better(ind)} is better){_tail(points, max_points)}"
        )

    @classmethod
    def from_text(cls, rest):
        steps = []
        for tok in rest.split():
            a, sep, b = tok.partition(":")
            if not sep:
                raise ValueError(f"steps need threshold:share pairs, got {tok!r}")
            steps.append([float(a), float(b)])
        return {"type": "steps", "steps": steps}

    @classmethod
    def format_text(cls, params):
        return "steps " + " ".join(f"{num_text(a)}:{num_text(b)}" for a, b in params["steps"])


@register_rule
class RankRule(ScoredRule):
    """Share ``best`` for the first in the group, ``worst`` for the last, linear in rank."""

    type: Literal["rank"]
    best: Number = Field(1.0, ge=0, le=1)
    worst: Number = Field(0.0, ge=0, le=1)

    parameters: ClassVar[tuple[str, ...]] = ("worst",)

    @model_validator(mode="after")
    def _order(self):
        if self.worst > self.best:
            raise ValueError(f"worst ({self.worst}) must not exceed best ({self.best})")
        return self

    @classmethod
    def achievement(cls, V, inds, groups):
        out = np.empty_like(V)
        frame = pd.DataFrame(V)
        best = row([i.rule.best for i in inds])
        worst = row([i.rule.worst for i in inds])
        lower = np.array([i.direction == "lower" for i in inds])
        g = pd.Series(groups)
        for asc in (False, True):
            cols = np.flatnonzero(lower == asc)
            if not len(cols):
                continue
            sub = frame.iloc[:, cols]
            rk = sub.groupby(g.to_numpy()).rank(method="min", ascending=asc).to_numpy()
            n = sub.notna().groupby(g.to_numpy()).transform("sum").to_numpy()
            frac = np.where(n > 1, (rk - 1) / np.maximum(n - 1, 1), 0.0)
            out[:, cols] = best[:, cols] - (best[:, cols] - worst[:, cols]) * frac
        return out

    def perturbed(self, ind, factors):
        if "worst" not in factors:
            return {}
        return {"worst": float(np.clip(self.worst * factors["worst"], 0.0, self.best))}

    def reason(self, ind, value, points, max_points):
        return (
            f"rank-based within the group ({fmt_value(value, ind.unit)}, {_better(ind)} is "
            f"better){_tail(points, max_points)}"
        )


@register_rule
class PassFailRule(ScoredRule):
    """Full points when the target is met (``>=``, or ``<=`` when lower is better)."""

    type: Literal["pass_fail"]

    def needs_target(self) -> bool:
        return True

    def thresholds(self, ind):
        return [] if ind.target is None else [("pass", ind.target, 1.0)]

    @classmethod
    def achievement(cls, V, inds, groups):
        t = row([i.target for i in inds])
        lower = row([i.direction == "lower" for i in inds]).astype(bool)
        ok = np.where(lower, V <= t, V >= t).astype(float)
        return np.where(np.isnan(V), np.nan, ok)

    def reason(self, ind, value, points, max_points):
        u = ind.unit
        return (
            f"{fmt_value(value, u)} vs target {fmt_value(ind.target, u)} ({_better(ind)} is "
            f"better): {'met' if points > 0 else 'not met'}{_tail(points, max_points)}"
        )


@register_rule
class DeductionRule(ScoredRule):
    """Per-incident deduction from the indicator's points; a missing row is 0 incidents."""

    type: Literal["deduction"]
    per: Number = Field(gt=0, description="points off per incident [points]")
    cap: Number | None = Field(None, gt=0, description="most points off [points]")

    counts: ClassVar[bool] = True
    parameters: ClassVar[tuple[str, ...]] = ("per",)

    def check(self, ind, grade_names):
        out = super().check(ind, grade_names)
        if self.cap is not None and self.cap > ind.points + _TOL:
            out.append(f"deduction cap {self.cap:g} exceeds the indicator's points {ind.points:g}")
        return out

    @classmethod
    def with_points(cls, params, points):
        if params.get("cap") is None:
            return params
        return {**params, "cap": min(params["cap"], points)}

    @classmethod
    def achievement(cls, V, inds, groups):
        pts = row([i.points for i in inds])
        per = row([i.rule.per for i in inds])
        cap = row([i.rule.cap if i.rule.cap is not None else i.points for i in inds])
        return 1.0 - np.minimum(per * V, cap) / pts

    def reason(self, ind, value, points, max_points):
        n = "0 (no row)" if math.isnan(value) else f"{value:g}"
        return (
            f"{n} incident(s) × {self.per:g} points off (cap {self.cap or ind.points:g})"
            f"{_tail(points, max_points)}"
        )


@register_rule
class GradeRule(ScoredRule):
    """Qualitative grade to share. Observations give the letter or its 1-based position."""

    type: Literal["grade"]
    levels: dict[str, Number] = Field(min_length=2)

    value_message: ClassVar[str] = (
        "grade values must be a declared letter or its position 1..n in {rows}"
    )

    @field_validator("levels")
    @classmethod
    def _shares(cls, v):
        bad = {k: s for k, s in v.items() if not 0 <= s <= 1}
        if bad:
            raise ValueError(f"grade shares must lie in [0, 1], got {bad}")
        shares = list(v.values())
        if any(a < b for a, b in zip(shares, shares[1:])):
            raise ValueError("grade levels must be listed best first (shares non-increasing)")
        return v

    def value_codes(self):
        return {letter: pos + 1.0 for pos, letter in enumerate(self.levels)}

    def invalid_values(self, v):
        with np.errstate(invalid="ignore"):
            return ~np.isnan(v) & ((np.fmod(v, 1) != 0) | (v < 1) | (v > len(self.levels)))

    @classmethod
    def achievement(cls, V, inds, groups):
        out = np.empty_like(V)
        for j, ind in enumerate(inds):
            shares = np.array(list(ind.rule.levels.values()))
            v = V[:, j]
            k = np.nan_to_num(v, nan=1).astype(int) - 1
            out[:, j] = np.where(np.isnan(v), np.nan, shares[np.clip(k, 0, len(shares) - 1)])
        return out

    def reason(self, ind, value, points, max_points):
        levels = list(self.levels)
        k = int(value) - 1
        shown = levels[k] if 0 <= k < len(levels) else value
        return f"grade {shown} of {'/'.join(levels)}{_tail(points, max_points)}"

    @classmethod
    def from_text(cls, rest):
        levels = {}
        for tok in rest.split():
            k, sep, v = tok.partition("=")
            if not sep:
                raise ValueError(f"grade levels need LETTER=share, got {tok!r}")
            levels[k] = float(v)
        return {"type": "grade", "levels": levels}

    @classmethod
    def format_text(cls, params):
        return "grade " + " ".join(f"{k}={num_text(v)}" for k, v in params["levels"].items())


@register_rule
class FormulaRule(ScoredRule):
    """Allow-listed formula giving the achievement share (clipped into [0, 1]).

    The formula may use ``value``, ``target`` (when the indicator has one) and ``floor``
    (when the rule gives one). A formula that is finite at no value (e.g. a division by
    ``target - floor`` with ``floor == target``) is refused when the scheme is loaded; a
    non-finite result at an observed value is refused when scoring, never clipped.
    """

    type: Literal["formula"]
    expr: str
    floor: Number | None = None

    parameters: ClassVar[tuple[str, ...]] = ("floor",)

    @field_validator("expr")
    @classmethod
    def _parse(cls, v):
        try:
            compile_expr(v, FORMULA_NAMES)
        except ExprError as exc:
            raise ValueError(str(exc)) from None
        return v

    @model_validator(mode="after")
    def _names(self):
        if self.floor is None and "floor" in self.compiled().names:
            raise ValueError(
                f"formula {self.expr!r} uses 'floor' but the rule gives no 'floor' "
                "(add floor: <value>)"
            )
        return self

    def compiled(self):
        return compile_expr(self.expr, FORMULA_NAMES)

    def needs_target(self) -> bool:
        return "target" in self.compiled().names

    def value_floor(self) -> float | None:
        return self.floor

    def _env(self, ind, value) -> dict:
        return {
            "value": value,
            "target": np.nan if ind.target is None else ind.target,
            "floor": np.nan if self.floor is None else self.floor,
        }

    def check(self, ind, grade_names):
        out = super().check(ind, grade_names)
        if self.needs_target() and ind.target is None:
            return out
        known = [x for x in (ind.target, self.floor) if x is not None]
        probe = np.array(sorted({0.0, 1.0, -1.0, 10.0, 100.0, *known, *(2 * x for x in known)}))
        env = self._env(ind, probe)
        for text in self._divisors():  # a denominator that is 0 whatever the value
            d = np.broadcast_to(compile_expr(text, FORMULA_NAMES)(**env), probe.shape)
            if (d == 0).all():
                out.append(
                    f"rule.expr: formula {self.expr!r} divides by {text!r}, which is 0 for "
                    f"this indicator (target {ind.target}, floor {self.floor}); its shares "
                    "would be ±inf clipped to full or zero marks"
                )
                return out
        a = np.broadcast_to(self.compiled()(**env), probe.shape)
        if not np.isfinite(a).any():
            out.append(
                f"rule.expr: formula {self.expr!r} gives no finite share at any value tried "
                f"(target {ind.target}, floor {self.floor})"
            )
        return out

    def _divisors(self) -> list[str]:
        """Text of every denominator (``a / b``, ``a % b``) in the formula."""
        return [
            ast.unparse(node.right)
            for node in ast.walk(self.compiled().tree)
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div | ast.Mod)
        ]

    @classmethod
    def achievement(cls, V, inds, groups):
        out = np.empty_like(V)
        bad = []
        for j, ind in enumerate(inds):
            v = V[:, j]
            try:
                a = np.broadcast_to(ind.rule.compiled()(**ind.rule._env(ind, v)), v.shape)
                a = np.asarray(a, dtype=float)
            except (ArithmeticError, ValueError, TypeError) as exc:
                bad.append(f"indicator {ind.id}: formula {ind.rule.expr!r} failed ({exc})")
                continue
            nonfinite = ~np.isfinite(a) & ~np.isnan(v)
            if nonfinite.any():
                vals = sorted(set(v[nonfinite].tolist()))[:5]
                bad.append(
                    f"indicator {ind.id}: formula {ind.rule.expr!r} is not finite at value(s) "
                    f"{vals}"
                )
                continue
            out[:, j] = np.where(np.isnan(v), np.nan, np.clip(a, 0.0, 1.0))
        if bad:
            raise DataError(bad)
        return out

    def perturbed(self, ind, factors):
        if "floor" not in factors or self.floor is None:
            return {}
        return {"floor": _relative_floor(self, ind, factors["floor"])}

    def reason(self, ind, value, points, max_points):
        return (
            f"formula {self.expr!r} at value {fmt_value(value, ind.unit)}"
            f"{_tail(points, max_points)}"
        )

    @classmethod
    def from_text(cls, rest):
        m = re.match(r"^(.*?)(?:\s+floor=([-\d.eE+]+))?$", rest)
        out: dict[str, Any] = {"type": "formula", "expr": m.group(1).strip()}
        if m.group(2):
            out["floor"] = float(m.group(2))
        return out

    @classmethod
    def format_text(cls, params: Mapping[str, Any]):
        floor = params.get("floor")
        return f"formula {params['expr']}" + (
            f" floor={num_text(floor)}" if floor is not None else ""
        )


@register_rule
class VetoRule(VetoKind):
    """One-vote veto (一票否决) triggered when ``value >= threshold``.

    Every triggered veto removes eligibility for the top grade (the grade is capped
    at ``cap_grade``, default the second band); ``action`` adds: ``cap_grade``
    (nothing more), ``zero_dimension`` (the indicator's dimension scores 0) or
    ``disqualify`` (total 0 and the lowest grade). ``active: false`` keeps the
    indicator (its observations stay valid) but switches the veto off.
    """

    type: Literal["veto"]
    action: Literal["cap_grade", "zero_dimension", "disqualify"] = "cap_grade"
    threshold: Number = Field(1.0, gt=0, description="incidents that trigger the veto [count]")
    cap_grade: str | None = None
    active: StrictBool = Field(True, description="False keeps the indicator but never triggers")

    def check(self, ind, grade_names):
        out = super().check(ind, grade_names)
        if ind.points != 0:
            out.append(f"veto indicators carry no points, got points {ind.points:g}")
        if self.cap_grade is not None and self.cap_grade not in grade_names:
            out.append(
                f"veto cap_grade {self.cap_grade!r} is not a grade; expected one of {grade_names}"
            )
        if self.cap_grade is not None and grade_names and self.cap_grade == grade_names[0]:
            out.append("veto cap_grade must be below the top grade")
        if len(grade_names) < 2:
            out.append("a veto needs at least two grade bands")
        return out

    @classmethod
    def triggered(cls, V, inds):
        """``value >= threshold``; a missing row counts as no incident."""
        th = row([i.rule.threshold if i.rule.active else np.inf for i in inds])
        return np.nan_to_num(V, nan=0.0) >= th

    def reason(self, ind, value, points, max_points):
        return f"veto not triggered ({0 if math.isnan(value) else value:g} incidents)"

    def veto_reason(self, value: float, cap: str, what: str) -> str:
        """The explanation row of a triggered veto."""
        return (
            f"一票否决 veto: {value:g} incident(s) ≥ threshold {self.threshold:g}; "
            f"grade capped at {cap}" + (f"; {what}" if what else "")
        )


class _PerUnit(AdjustmentKind):
    """``sign × min(per × value, points)``; a missing row is 0."""

    sign: ClassVar[float] = 1.0

    @classmethod
    def adjustment(cls, V, inds):
        per = row([i.rule.per for i in inds])
        cap = row([i.points for i in inds])
        return cls.sign * np.minimum(per * np.nan_to_num(V, nan=0.0), cap)

    def reason(self, ind, value, points, max_points):
        n = 0 if math.isnan(value) else value
        sign = "+" if self.sign > 0 else ""
        return f"{self.type} {self.per:g} × {n:g}, capped at {ind.points:g}: {sign}{points:.2f}"  # type: ignore[attr-defined]


@register_rule
class BonusRule(_PerUnit):
    """加分: ``per`` points per unit of value, at most the indicator's points."""

    type: Literal["bonus"]
    per: Number = Field(gt=0, description="points per unit of value [points]")


@register_rule
class PenaltyRule(_PerUnit):
    """扣分 outside the dimensions: ``per`` points off per unit, at most its points."""

    type: Literal["penalty"]
    per: Number = Field(gt=0, description="points off per unit of value [points]")

    sign: ClassVar[float] = -1.0
