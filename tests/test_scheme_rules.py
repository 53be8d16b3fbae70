"""Rule types as one class each, in a registry: a new type registered from this file alone
is validated, scored, explained, perturbed and written as Excel text; count rules read a
missing row as 0 incidents; rule-level bad input is refused with every problem named.

Expected numbers are worked by hand from the rule definitions stated next to them.
"""

from __future__ import annotations

import copy
import math
from typing import ClassVar, Literal

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import Field

import kmmodel as km
from kmmodel import uncertainty as U
from kmmodel.errors import DataError, SchemeError
from kmmodel.scheme import from_dict, reform
from kmmodel.scheme.excel import format_rule, parse_rule, write_excel
from kmmodel.scheme.rules import (
    RULE_TYPES,
    Number,
    RuleBase,
    ScoredRule,
    register_rule,
    rule_kind,
    unregister_rule,
)
from kmmodel.scheme.rules.base import fmt_value
from kmmodel.scheme.yamlio import read_yaml


# --- a toy rule type, defined and registered here only ------------------------------
class ThresholdBonusRule(ScoredRule):
    """``share`` of the points once ``value >= threshold`` (lower: ``<=``), else 0."""

    type: Literal["threshold_bonus"]
    threshold: Number
    share: Number = Field(1.0, ge=0, le=1)

    parameters: ClassVar[tuple[str, ...]] = ("threshold",)

    @classmethod
    def achievement(cls, V, inds, groups):
        th = np.array([i.rule.threshold for i in inds])[None, :]
        sh = np.array([i.rule.share for i in inds])[None, :]
        lower = np.array([i.direction == "lower" for i in inds])[None, :]
        met = np.where(lower, V <= th, V >= th)
        return np.where(np.isnan(V), np.nan, np.where(met, sh, 0.0))

    def check(self, ind, grade_names):
        out = super().check(ind, grade_names)
        if ind.unit == "share" and not 0 <= self.threshold <= 1:
            out.append(
                f"rule.threshold: a share threshold must lie in [0, 1], got {self.threshold}"
            )
        return out

    def reason(self, ind, value, points, max_points):
        met = "reached" if points > 0 else "not reached"
        return (
            f"threshold {fmt_value(self.threshold, ind.unit)} {met} at "
            f"{fmt_value(value, ind.unit)} -> {points:.2f} of {max_points:g} points"
        )


TOY_YAML = """\
id: toy_rules
name: 新规则示例
year: 2025
total: 10
grades:
  - {name: 优秀, min: 9}
  - {name: 良好, min: 5}
  - {name: 较差, min: 0}
dimensions:
  - {id: d, name: 维度, points: 10}
indicators:
  - {id: coverage, name: 覆盖率, dimension: d, points: 6, unit: share,
     rule: {type: threshold_bonus, threshold: 0.9, share: 0.5}}
  - {id: quality, name: 质量, dimension: d, points: 4, unit: share, target: 1.0,
     rule: {type: ratio}}
"""


@pytest.fixture
def toy_rule():
    assert "threshold_bonus" not in RULE_TYPES
    register_rule(ThresholdBonusRule)
    yield ThresholdBonusRule
    unregister_rule("threshold_bonus")


@pytest.fixture
def toy_scheme(toy_rule, tmp_path):
    path = tmp_path / "toy.yaml"
    path.write_text(TOY_YAML, encoding="utf-8")
    return km.load_scheme(path)


TOY_OBS = pd.DataFrame(
    {
        "unit": ["a", "a", "b", "b"],
        "indicator": ["coverage", "quality", "coverage", "quality"],
        "value": [0.95, 0.8, 0.85, 1.0],
    }
)


def test_a_registered_type_validates_scores_and_explains(toy_scheme):
    assert "threshold_bonus" in RULE_TYPES and rule_kind("threshold_bonus") == "score"
    res = km.score(toy_scheme, TOY_OBS)
    pts = res.points.set_index(["unit", "indicator"])["points"]
    # a: 0.95 >= 0.9 -> 0.5 x 6 = 3; quality 0.8 / 1.0 -> 0.8 x 4 = 3.2; total 6.2
    # b: 0.85 <  0.9 -> 0;           quality 1.0       -> 4;           total 4
    assert pts[("a", "coverage")] == pytest.approx(3.0)
    assert pts[("b", "coverage")] == 0.0
    t = res.table.set_index("unit")
    assert t.loc["a", "total"] == pytest.approx(6.2) and t.loc["a", "grade"] == "良好"
    assert t.loc["b", "total"] == pytest.approx(4.0) and t.loc["b", "grade"] == "较差"
    why = res.explain("a").set_index("indicator").loc["coverage", "reason"]
    assert why == "threshold 90.0% reached at 95.0% -> 3.00 of 6 points"


def test_a_registered_type_is_validated_with_its_indicator(toy_rule, tmp_path):
    text = TOY_YAML.replace("threshold: 0.9, share: 0.5", "threshold: 1.5, share: 2, bogus: 1")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SchemeError) as info:
        km.load_scheme(path)
    msg = str(info.value)
    assert str(path) in msg
    assert "indicator coverage: rule.share: Input should be less than or equal to 1" in msg
    assert "indicator coverage: rule.bogus: Extra inputs are not permitted" in msg
    # a check that needs the indicator (its unit), from the class's own check()
    raw = yaml.safe_load(TOY_YAML.replace("threshold: 0.9", "threshold: 1.5"))
    with pytest.raises(SchemeError, match=r"indicator coverage: rule.threshold: a share threshold"):
        from_dict(raw, source="toy.yaml")


def test_a_registered_type_has_an_excel_text_form(toy_scheme, tmp_path):
    cell = "threshold_bonus threshold=0.9 share=0.5"
    assert parse_rule(cell) == {"type": "threshold_bonus", "threshold": 0.9, "share": 0.5}
    assert format_rule(toy_scheme.indicator("coverage").rule) == cell
    back = km.load_scheme(write_excel(toy_scheme, tmp_path / "toy.xlsx"))
    assert back.indicator("coverage").rule == toy_scheme.indicator("coverage").rule
    pd.testing.assert_frame_equal(
        km.score(back, TOY_OBS).table.drop(columns="unit"),
        km.score(toy_scheme, TOY_OBS).table.drop(columns="unit"),
    )


def test_a_registered_type_is_perturbed_in_the_uncertainty_analysis(toy_scheme):
    assert U.RULE_PARAMETERS["threshold_bonus"] == ("threshold",)
    p = U.rule_parameters(toy_scheme).set_index(["indicator", "parameter"])["value"]
    assert p[("coverage", "threshold")] == 0.9
    # threshold x 0.9 = 0.81: unit b's 0.85 now reaches it -> 0.5 x 6 = 3 points
    easier = U.perturb_rules(toy_scheme, {("coverage", "threshold"): 0.9})
    assert easier.indicator("coverage").rule.threshold == pytest.approx(0.81)
    pts = km.score(easier, TOY_OBS).points.set_index(["unit", "indicator"])["points"]
    assert pts[("b", "coverage")] == pytest.approx(3.0)
    alts = U.rule_alternatives(toy_scheme, TOY_OBS, spread=0.05, n=3, seed=1)
    moved = [r.scheme.indicator("coverage").rule.threshold for r in alts.values()]
    assert all(0.855 <= m <= 0.945 for m in moved) and len(set(moved)) == 3
    # reforms see the new type's kind: its points scale with the dimension
    r = reform.set_points(toy_scheme, "quality", 2)
    assert r.indicator("coverage").points == pytest.approx(8.0)


def test_the_registry_refuses_a_second_class_for_a_taken_name(toy_rule):
    class Other(ScoredRule):
        type: Literal["threshold_bonus"]

    with pytest.raises(TypeError, match="already registered"):
        register_rule(Other)
    with pytest.raises(TypeError, match="RuleBase subclass"):
        register_rule(dict)
    assert issubclass(RULE_TYPES["ratio"], RuleBase)


def test_without_registration_the_type_is_unknown(tmp_path):
    path = tmp_path / "toy.yaml"
    path.write_text(TOY_YAML, encoding="utf-8")
    with pytest.raises(SchemeError, match=r"indicator coverage: rule: unknown rule type"):
        km.load_scheme(path)


# --- count rules: a missing row is 0 incidents (issue 13 item 2) ----------------------
KUNMING = km.paths.data_dir() / "schemes" / "kunming_2025.yaml"


def _without(obs, unit, indicator):
    return obs[~((obs["unit"] == unit) & (obs["indicator"] == indicator))]


def test_a_unit_without_an_audit_row_keeps_its_six_points():
    # kunming_2025.yaml: audit_findings, deduction per=1 cap=6, 6 points; score() documents
    # that deduction indicators take counts and a missing row means 0 (before the fix the
    # row went through the scheme's `missing: zero` policy and lost all 6 points)
    s = km.load_scheme(KUNMING)
    obs = km.datasets.load("observations_2025")
    full = km.score(s, obs)
    before = full.points.set_index(["unit", "indicator"]).loc[("wuhua", "audit_findings")]
    res = km.score(s, _without(obs, "wuhua", "audit_findings"))
    row = res.points.set_index(["unit", "indicator"]).loc[("wuhua", "audit_findings")]
    assert row["points"] == 6.0 and row["status"] == "ok" and math.isnan(row["value"])
    t0 = full.table.set_index("unit").loc["wuhua", "total"]
    t1 = res.table.set_index("unit").loc["wuhua", "total"]
    assert t1 == pytest.approx(min(t0 + 6.0 - before["points"], 100.0))
    why = res.explain("wuhua").set_index("indicator").loc["audit_findings", "reason"]
    assert why.startswith("0 (no row) incident(s)")
    # under the error policy a count rule has no gap either (like vetoes and bonus items)
    km.score(s, _without(obs, "wuhua", "audit_findings"), missing="error")


@pytest.mark.parametrize(("policy", "points"), [("zero", 0.0), ("rescale", None), ("error", None)])
def test_an_indicator_may_declare_its_own_missing_policy(policy, points):
    raw = read_yaml(KUNMING)
    audit = next(i for i in raw["indicators"] if i["id"] == "audit_findings")
    audit["missing"] = policy
    s = from_dict(raw, source="kunming_2025.yaml")
    obs = _without(km.datasets.load("observations_2025"), "wuhua", "audit_findings")
    if policy == "error":
        with pytest.raises(DataError, match=r"1 missing observation\(s\).*wuhua/audit_findings"):
            km.score(s, obs)
        return
    res = km.score(s, obs)
    row = res.points.set_index(["unit", "indicator"]).loc[("wuhua", "audit_findings")]
    if policy == "zero":
        assert row["points"] == points and row["status"] == "missing"
    else:  # rescale: left out, the functional dimension rescaled over the other two
        assert row["status"] == "excluded" and math.isnan(row["achievement"])


def test_a_missing_policy_on_a_veto_is_refused():
    raw = read_yaml(KUNMING)
    veto = next(i for i in raw["indicators"] if i["id"] == "veto_integrity")
    veto["missing"] = "zero"
    with pytest.raises(SchemeError, match=r"indicator veto_integrity: missing: veto items count"):
        from_dict(raw, source="kunming_2025.yaml")


# --- rule-level silent acceptances (issue 14) ----------------------------------------
def _kunming(**changes):
    raw = copy.deepcopy(read_yaml(KUNMING))
    by_id = {i["id"]: i for i in raw["indicators"]}
    for ind, fields in changes.items():
        by_id[ind].update(fields)
    return raw


def test_falling_step_shares_are_refused_naming_indicator_and_field():
    raw = _kunming(
        green_power_manufacturing={
            "rule": {"type": "steps", "steps": [[0.8, 1.0], [0.85, 0.75], [0.9, 0.5]]}
        }
    )
    with pytest.raises(SchemeError) as info:
        from_dict(raw, source="kunming_2025.yaml")
    msg = str(info.value)
    assert msg.startswith("kunming_2025.yaml: ")
    assert "indicator green_power_manufacturing: rule.steps: shares must not fall" in msg
    # lower is better: shares fall as thresholds rise, as they should
    lower = _kunming(
        hotline_days={"rule": {"type": "steps", "steps": [[3, 1.0], [5, 0.6], [8, 0.2]]}}
    )
    assert from_dict(lower).indicator("hotline_days").rule.steps[0] == (3.0, 1.0)
    rising = _kunming(
        hotline_days={"rule": {"type": "steps", "steps": [[3, 0.2], [5, 0.6], [8, 1.0]]}}
    )
    with pytest.raises(
        SchemeError, match="indicator hotline_days: rule.steps: shares must not rise"
    ):
        from_dict(rising)


def test_formula_names_and_zero_denominators_are_refused_at_validation():
    raw = _kunming(
        rural_income_growth={"rule": {"type": "formula", "expr": "clip(value / floor, 0, 1)"}},
        civilisation_creation={
            "rule": {
                "type": "formula",
                "expr": "clip((value - floor) / (target - floor), 0, 1)",
                "floor": 90,  # = the 2025 target of 90 points
            }
        },
    )
    with pytest.raises(SchemeError) as info:
        from_dict(raw, source="kunming_2025.yaml")
    msg = str(info.value)
    assert (
        "indicator rural_income_growth: rule: formula 'clip(value / floor, 0, 1)' uses 'floor'"
        in msg
    )
    assert "indicator civilisation_creation: rule.expr: formula" in msg
    assert "divides by 'target - floor', which is 0" in msg


def test_a_formula_not_finite_at_an_observed_value_is_refused_when_scoring():
    raw = _kunming(civilisation_creation={"rule": {"type": "formula", "expr": "log(value - 80)"}})
    s = from_dict(raw)
    obs = km.datasets.load("observations_2025")  # civilisation_creation 78.6 .. 91
    with pytest.raises(
        DataError,
        match=r"indicator civilisation_creation: formula 'log\(value - 80\)' is not finite",
    ):
        km.score(s, obs)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        (
            {"industrial_va_growth": {"target": True}},
            "indicator industrial_va_growth: target: Input should be a valid number",
        ),
        (
            {"industrial_va_growth": {"points": "8"}},
            "indicator industrial_va_growth: points: Input should be a valid number",
        ),
        (
            {"hotline_days": {"rule": {"type": "linear", "floor": False}}},
            "indicator hotline_days: rule.floor: Input should be a valid number",
        ),
        (
            {"audit_findings": {"rule": {"type": "deduction", "per": "1", "cap": 6}}},
            "indicator audit_findings: rule.per: Input should be a valid number",
        ),
        (
            {"veto_integrity": {"rule": {"type": "veto", "active": "no"}}},
            "indicator veto_integrity: rule.active: Input should be a valid boolean",
        ),
        (
            {"livelihood_spending_share": {"target": float("inf")}},
            "indicator livelihood_spending_share: target: Input should be a finite number",
        ),
    ],
)
def test_numbers_are_strict(changes, fragment):
    with pytest.raises(SchemeError) as info:
        from_dict(_kunming(**changes), source="kunming_2025.yaml")
    assert fragment in str(info.value)


def test_every_rule_problem_is_listed_at_once():
    raw = _kunming(
        industrial_va_growth={"target": True},
        green_power_manufacturing={
            "rule": {"type": "steps", "steps": [[0.8, 1.0], [0.85, 0.75], [0.9, 0.5]]}
        },
        rural_income_growth={"rule": {"type": "formula", "expr": "value / floor"}},
        budget_execution_rate={"domain": [1, 0]},
    )
    with pytest.raises(SchemeError) as info:
        from_dict(raw, source="kunming_2025.yaml")
    where = {p.where for p in info.value.problems}
    assert {
        "indicator industrial_va_growth",
        "indicator green_power_manufacturing",
        "indicator rural_income_growth",
        "indicator budget_execution_rate",
    } <= where
    assert "domain: lower bound 1 must be below the upper bound 0" in str(info.value)


def test_values_outside_a_declared_domain_are_refused():
    # mof_project_evaluation.yaml declares budget_execution (预算执行率 = 实际支出 / 实际到位,
    # at most 100 % by construction, 财预〔2013〕53号 共性指标体系框架) in the domain [0, 1]
    s = km.examples.scheme("mof_project_evaluation")
    assert s.indicator("budget_execution").domain == (0.0, 1.0)
    obs = km.datasets.load("observations_projects_2025")
    km.score(s, obs)  # the shipped values lie in [0.71, 1]
    bad = obs.copy()
    sel = np.flatnonzero(bad["indicator"].to_numpy() == "budget_execution")[:2]
    bad.loc[bad.index[sel], "value"] = [1e308, 95.0]  # 95 typed for 95 %
    with pytest.raises(DataError) as info:
        km.score(s, bad, source="obs.csv")
    msg = str(info.value)
    assert msg.startswith("obs.csv: ")
    assert "values of indicator 'budget_execution' must lie in its declared domain [0, 1]" in msg
    assert f"rows {sel[0] + 2}, {sel[1] + 2}" in msg  # 1-based file rows after the header
    # without the declaration 1e308 is a completion ratio of 1e308: full marks (capped)
    raw = read_yaml(km.paths.data_dir() / "schemes" / "mof_project_evaluation.yaml")
    for ind in raw["indicators"]:
        ind.pop("domain", None)
    pts = km.score(from_dict(raw), bad).points.set_index(["unit", "indicator"])
    unit = bad.loc[bad.index[sel[0]], "unit"]
    row = pts.loc[(unit, "budget_execution")]
    assert row["points"] == row["max_points"]


def test_domain_and_missing_travel_through_excel(tmp_path):
    raw = read_yaml(KUNMING)
    by_id = {i["id"]: i for i in raw["indicators"]}
    by_id["industrial_va_growth"]["domain"] = [-1, 0.5]
    by_id["audit_findings"]["missing"] = "zero"
    del by_id["budget_execution_rate"]["domain"]
    s = from_dict(raw)
    back = km.load_scheme(write_excel(s, tmp_path / "k.xlsx"))
    assert back.indicator("industrial_va_growth").domain == (-1.0, 0.5)
    assert back.indicator("hotline_days").domain == (0.0, None)
    assert back.indicator("audit_findings").missing == "zero"
    assert back.indicator("budget_execution_rate").domain is None
    shipped = km.load_scheme(km.paths.data_dir() / "schemes" / "mof_project_evaluation.xlsx")
    yaml_s = km.examples.scheme("mof_project_evaluation")
    assert [i.domain for i in shipped.spec.indicators] == [i.domain for i in yaml_s.spec.indicators]


def test_a_malformed_domain_cell_is_named_with_its_row(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "指标"
    ws.append(["一级指标", "三级指标", "分值", "目标值", "规则", "值域", "缺失"])
    ws.append(["维度", "执行率", 10, 1, "ratio", "0-1", "sometimes"])
    wb.save(tmp_path / "d.xlsx")
    with pytest.raises(SchemeError) as info:
        km.load_scheme(tmp_path / "d.xlsx")
    msg = str(info.value)
    assert "Excel row 2: 值域 must be LOW~HIGH" in msg
    assert "Excel row 2: 缺失 must be zero, rescale or error (or empty), got 'sometimes'" in msg


# --- every registered type: one home, consistent parts ---------------------------------
@pytest.mark.parametrize("name", list(RULE_TYPES))
def test_every_builtin_type_declares_its_parts(name):
    cls = RULE_TYPES[name]
    assert cls.type_name() == name and rule_kind(name) == cls.kind
    assert cls.kind in ("score", "veto", "adjustment")
    for p in cls.parameters:  # what uncertainty perturbs is a field of the class
        assert p in cls.model_fields or p == "thresholds", (name, p)
    if cls.kind == "score":
        assert cls.achievement.__func__ is not ScoredRule.achievement.__func__


_share = st.floats(0, 1, allow_nan=False)
_pos = st.floats(0.01, 50, allow_nan=False)


@st.composite
def _rules(draw):
    kind = draw(
        st.sampled_from(["ratio", "steps", "grade", "deduction", "rank", "formula", "veto"])
    )
    if kind == "ratio":
        floor = draw(_share)
        return {"type": "ratio", "floor": floor, "cap": floor + draw(_pos)}
    if kind == "steps":
        th = draw(st.lists(_pos, min_size=1, max_size=4, unique=True))
        sh = sorted(draw(st.lists(_share, min_size=len(th), max_size=len(th))))
        return {"type": "steps", "steps": [[t, s] for t, s in zip(sorted(th), sh)]}
    if kind == "grade":
        sh = sorted(draw(st.lists(_share, min_size=2, max_size=5)), reverse=True)
        return {"type": "grade", "levels": {chr(65 + k): s for k, s in enumerate(sh)}}
    if kind == "deduction":
        return {"type": "deduction", "per": draw(_pos), "cap": draw(_pos)}
    if kind == "rank":
        worst = draw(_share)
        return {"type": "rank", "best": max(worst, draw(_share)), "worst": worst}
    if kind == "formula":
        return {
            "type": "formula",
            "expr": "clip((value - floor) / (target - floor), 0, 1)",
            "floor": draw(_pos),
        }
    return {
        "type": "veto",
        "action": draw(st.sampled_from(["cap_grade", "disqualify"])),
        "threshold": draw(_pos),
        "active": draw(st.booleans()),
    }


@given(_rules())
def test_the_excel_text_form_round_trips(spec):
    rule = RULE_TYPES[spec["type"]].model_validate(spec)
    text = format_rule(rule)
    again = RULE_TYPES[spec["type"]].model_validate(parse_rule(text))
    assert again == rule, text


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        ("ratio", "indicator budget_execution_rate: rule: expected a mapping with a 'type'"),
        ({"floor": 0.5}, "indicator budget_execution_rate: rule: expected a mapping with a 'type'"),
        ({"type": 3}, "indicator budget_execution_rate: rule: unknown rule type 3"),
    ],
)
def test_a_rule_that_is_not_a_typed_mapping_is_named(rule, fragment):
    raw = _kunming(budget_execution_rate={"rule": rule})
    with pytest.raises(SchemeError) as info:
        from_dict(raw, source="kunming_2025.yaml")
    assert fragment in str(info.value)
