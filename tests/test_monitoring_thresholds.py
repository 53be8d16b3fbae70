"""Scoring thresholds read off a scheme feed the bunching check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kmmodel as km
from kmmodel import monitoring
from kmmodel.scheme import reform

SCHEME = km.paths.data_dir() / "schemes" / "kunming_2025.yaml"


@pytest.fixture(scope="module")
def scheme():
    return km.load_scheme(SCHEME, year=2025)


def test_thresholds_follow_the_rules_of_the_scheme(scheme):
    t = monitoring.scheme_thresholds(scheme).set_index(["indicator", "kind"])
    # kunming_2025.yaml: budget_execution_rate is a ratio rule, floor 0.7, cap 1, target 0.95
    assert t.loc[("budget_execution_rate", "floor"), "completion"] == 0.7
    assert t.loc[("budget_execution_rate", "floor"), "value"] == pytest.approx(0.665)
    assert t.loc[("budget_execution_rate", "full"), "value"] == pytest.approx(0.95)
    # linear rule between floor 0.03 and the 6.5% target (rural income growth)
    assert t.loc[("rural_income_growth", "floor"), "value"] == pytest.approx(0.03)
    assert t.loc[("rural_income_growth", "full"), "completion"] == 1.0
    # stepped rule: one row per step threshold
    steps = t.xs("green_power_manufacturing", level="indicator")
    assert steps["value"].tolist() == [0.8, 0.85, 0.9]
    # lower is better: the floor of hotline days lies above the target
    hot = t.xs("hotline_days", level="indicator")
    assert (hot["direction"] == "lower").all()
    assert hot.loc["floor", "value"] > hot.loc["full", "value"]
    # rules without value thresholds give no rows
    for ind in ("agri_exports_growth", "party_conduct", "audit_findings", "veto_integrity"):
        assert ind not in t.index.get_level_values("indicator")


def test_thresholds_move_with_a_reform(scheme):
    alt = reform.set_rule(scheme, "budget_execution_rate", floor=0.8)
    t = monitoring.scheme_thresholds(alt).set_index(["indicator", "kind"])
    assert t.loc[("budget_execution_rate", "floor"), "completion"] == 0.8


def test_scheme_thresholds_find_planted_bunching(scheme):
    # 30 units' completion rates: smooth around 1, except one unit that reports
    # values just above the 'full points' threshold of 100% year after year
    rng = np.random.default_rng(3)
    full = monitoring.scheme_thresholds(scheme).query(
        "indicator == 'key_projects_completion' and kind == 'full'"
    )["completion"]
    rows = [
        {"unit": f"u{u:02d}", "year": y, "rate": float(rng.normal(1.0, 0.05))}
        for u in range(30)
        for y in range(12)
    ]
    rows += [{"unit": "gamer", "year": y, "rate": 1.0 + rng.uniform(0, 0.01)} for y in range(12)]
    res = monitoring.bunching(pd.DataFrame(rows), "rate", full.tolist(), by="unit")
    assert set(res.flagged["unit"]) == {"gamer"}
