"""Scoring-rule specifications (pydantic models), one class per rule type.

A rule turns an indicator's observed value into an *achievement* share in
[0, 1]; the indicator's points are ``achievement × points``. The computation
lives in :mod:`kmmodel.scoring.rules`; this module only declares what each rule
needs, so a scheme is validated before anything is scored.

Rule types (``rule.type`` in YAML):

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
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kmmodel.expr import ExprError, compile_expr

__all__ = ["RULE_TYPES", "Rule", "RuleBase"]

FORMULA_NAMES = ("value", "target", "floor")


class RuleBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def needs_target(self) -> bool:
        """Whether the rule needs a numeric target."""
        return self.type in ("ratio", "linear", "pass_fail")  # type: ignore[attr-defined]


class RatioRule(RuleBase):
    """Completion ratio. Achievement = min(r, cap) / cap, 0 when r < floor."""

    type: Literal["ratio"]
    floor: float = Field(0.0, ge=0, description="ratio below which no points [ratio]")
    cap: float = Field(1.0, gt=0, description="ratio that earns full points [ratio]")

    @model_validator(mode="after")
    def _order(self):
        if self.floor > self.cap:
            raise ValueError(f"floor ({self.floor}) must not exceed cap ({self.cap})")
        return self


class LinearRule(RuleBase):
    """Linear between ``floor`` (0 points) and the target (full points)."""

    type: Literal["linear"]
    floor: float = Field(description="value earning zero points [indicator unit]")


class StepsRule(RuleBase):
    """Stepped thresholds: the share of the best threshold reached."""

    type: Literal["steps"]
    steps: list[tuple[float, float]] = Field(min_length=1)

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


class RankRule(RuleBase):
    """Share ``best`` for the first in the group, ``worst`` for the last, linear in rank."""

    type: Literal["rank"]
    best: float = Field(1.0, ge=0, le=1)
    worst: float = Field(0.0, ge=0, le=1)

    @model_validator(mode="after")
    def _order(self):
        if self.worst > self.best:
            raise ValueError(f"worst ({self.worst}) must not exceed best ({self.best})")
        return self


class PassFailRule(RuleBase):
    type: Literal["pass_fail"]


class DeductionRule(RuleBase):
    """Per-incident deduction from the indicator's points."""

    type: Literal["deduction"]
    per: float = Field(gt=0, description="points off per incident [points]")
    cap: float | None = Field(None, gt=0, description="most points off [points]")


class GradeRule(RuleBase):
    """Qualitative grade to share. Observations give the letter or its 1-based position."""

    type: Literal["grade"]
    levels: dict[str, float] = Field(min_length=2)

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


class FormulaRule(RuleBase):
    """Allow-listed formula giving the achievement share (clipped into [0, 1])."""

    type: Literal["formula"]
    expr: str
    floor: float | None = None

    @field_validator("expr")
    @classmethod
    def _parse(cls, v):
        try:
            compile_expr(v, FORMULA_NAMES)
        except ExprError as exc:
            raise ValueError(str(exc)) from None
        return v

    def needs_target(self) -> bool:
        return "target" in compile_expr(self.expr, FORMULA_NAMES).names


class VetoRule(RuleBase):
    """One-vote veto (一票否决) triggered when ``value >= threshold``.

    Every triggered veto removes eligibility for the top grade (the grade is capped
    at ``cap_grade``, default the second band); ``action`` adds: ``cap_grade``
    (nothing more), ``zero_dimension`` (the indicator's dimension scores 0) or
    ``disqualify`` (total 0 and the lowest grade).
    """

    type: Literal["veto"]
    action: Literal["cap_grade", "zero_dimension", "disqualify"] = "cap_grade"
    threshold: float = Field(1.0, gt=0, description="incidents that trigger the veto [count]")
    cap_grade: str | None = None


class BonusRule(RuleBase):
    type: Literal["bonus"]
    per: float = Field(gt=0, description="points per unit of value [points]")


class PenaltyRule(RuleBase):
    type: Literal["penalty"]
    per: float = Field(gt=0, description="points off per unit of value [points]")


Rule = Annotated[
    RatioRule
    | LinearRule
    | StepsRule
    | RankRule
    | PassFailRule
    | DeductionRule
    | GradeRule
    | FormulaRule
    | VetoRule
    | BonusRule
    | PenaltyRule,
    Field(discriminator="type"),
]

RULE_TYPES = (
    "ratio",
    "linear",
    "steps",
    "rank",
    "pass_fail",
    "deduction",
    "grade",
    "formula",
    "veto",
    "bonus",
    "penalty",
)
#: rule types outside the dimension totals
ADJUSTMENT_TYPES = ("bonus", "penalty")
