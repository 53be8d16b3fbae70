"""Reforms return re-validated copies and never touch the baseline."""

from __future__ import annotations

import pytest

import kmmodel as km
from kmmodel.errors import SchemeError
from kmmodel.scheme import reform


@pytest.fixture(scope="module")
def base():
    return km.examples.scheme("kunming_2025")


def test_move_points_keeps_total_and_relative_weights(base):
    new = reform.move_points(base, "common", "key", 5)
    d0 = base.dimensions.set_index("id")["points"]
    d1 = new.dimensions.set_index("id")["points"]
    assert d1["common"] == d0["common"] - 5 and d1["key"] == d0["key"] + 5
    assert d1.sum() == base.total
    w0, w1 = base.weights(), new.weights()
    # inside a dimension the weights keep their proportions
    assert w1["party_conduct"] / w1["leadership_building"] == pytest.approx(
        w0["party_conduct"] / w0["leadership_building"]
    )
    assert w1["livelihood_spending_share"] == pytest.approx(8 * 35 / 30)
    assert base.dimensions.set_index("id").loc["common", "points"] == 20  # baseline untouched
    assert "move_points" in new.source


def test_set_points_rebalances_its_dimension(base):
    new = reform.set_points(base, "industrial_va_growth", 10)
    w = new.weights()
    assert w["industrial_va_growth"] == 10 and w["rural_income_growth"] == pytest.approx(5)
    assert w.sum() == pytest.approx(100)


def test_set_target_changes_scores_through_the_same_path(base):
    obs = km.datasets.load("observations_2025")
    easy = reform.set_target(base, "livelihood_spending_share", 0.5)
    a = km.score(base, obs).points.query("indicator == 'livelihood_spending_share'")
    b = km.score(easy, obs).points.query("indicator == 'livelihood_spending_share'")
    assert (b["points"].to_numpy() >= a["points"].to_numpy()).all()
    assert (b["points"] == 8).all()  # every synthetic value is above 50%


def test_set_rule_veto_aggregation_missing(base):
    assert (
        reform.set_rule(base, "budget_execution_rate", floor=0.9)
        .indicator("budget_execution_rate")
        .rule.floor
        == 0.9
    )
    new = reform.set_rule(base, "agri_exports_growth", type="steps", steps=[[0.0, 0.5], [0.1, 1.0]])
    assert new.indicator("agri_exports_growth").rule.type == "steps"
    v = reform.set_veto(base, "veto_integrity", action="disqualify")
    assert v.indicator("veto_integrity").rule.action == "disqualify"
    assert (
        not reform.set_veto(base, "veto_integrity", enabled=False)
        .indicator("veto_integrity")
        .rule.active
    )
    g = reform.set_aggregation(base, indicators="geometric")
    assert (
        g.spec.aggregation.indicators == "geometric"
        and g.spec.aggregation.dimensions == "weighted_sum"
    )
    assert reform.set_missing(base, "rescale").spec.missing == "rescale"
    chained = reform.chain(
        base,
        lambda s: reform.set_missing(s, "error"),
        lambda s: reform.move_points(s, "key", "common", 1),
    )
    assert (
        chained.spec.missing == "error"
        and chained.dimensions.set_index("id").loc["common", "points"] == 21
    )


def test_invalid_reforms_are_refused(base):
    with pytest.raises(SchemeError, match="unknown indicator"):
        reform.set_target(base, "nope", 1)
    with pytest.raises(SchemeError, match="unknown dimension"):
        reform.move_points(base, "common", "nowhere", 1)
    with pytest.raises(SchemeError, match="cannot move 25 points"):
        reform.move_points(base, "common", "key", 25)
    with pytest.raises(SchemeError, match="needs a numeric 'target'"):
        reform.set_rule(base, "agri_exports_growth", type="ratio")
    with pytest.raises(SchemeError, match="not a veto"):
        reform.set_veto(base, "party_conduct", action="disqualify")
    with pytest.raises(SchemeError, match="aggregation"):
        reform.set_aggregation(base, dimensions="median")
    with pytest.raises(SchemeError, match="not a grade"):
        reform.set_veto(base, "veto_integrity", cap_grade="卓越")
