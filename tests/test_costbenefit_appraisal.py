"""Lifecycle flows, appraisal of a portfolio, optimism bias, green line and the shipped data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kmmodel as km
from kmmodel import costbenefit as cba
from kmmodel.costbenefit.flows import LINES
from kmmodel.errors import DataError


def _toy():
    projects = pd.DataFrame(
        {
            "project": ["a", "b"],
            "name_zh": ["甲", "乙"],
            "kind": ["livelihood", "industrial"],
            "life_years": [3, 2],
            "ob_category": ["standard_buildings", "equipment_development"],
            "beneficiaries": [100, 10],
            "carbon_price": [80.0, 80.0],
            "satisfaction_gain": [2.0, 0.5],
        }
    )
    flows = pd.DataFrame(
        {
            "project": ["a", "a", "a", "a", "a", "b", "b", "b"],
            "year": [0, 1, 2, 3, 3, 0, 1, 2],
            "line": [
                "investment",
                "social",
                "social",
                "social",
                "residual",
                "investment",
                "carbon",
                "economic",
            ],
            "amount": [100.0, 40.0, 40.0, 40.0, 10.0, 50.0, 30.0, 30.0],
        }
    )
    return projects, flows


def test_appraisal_hand_computed():
    projects, flows = _toy()
    a = cba.appraise(projects, flows, 0.10)
    t = a.table.set_index("project")
    # project a: -100 + 40/1.1 + 40/1.1^2 + 50/1.1^3 (social 40 + residual 10 in year 3)
    npv_a = -100 + 40 / 1.1 + 40 / 1.1**2 + 50 / 1.1**3
    assert t.loc["a", "npv"] == pytest.approx(npv_a, rel=1e-12)
    pvb = 40 / 1.1 + 40 / 1.1**2 + 40 / 1.1**3
    assert t.loc["a", "bcr"] == pytest.approx(pvb / (100 - 10 / 1.1**3), rel=1e-12)
    assert t.loc["a", "irr"] == pytest.approx(cba.irr([-100, 40, 40, 50]), rel=1e-12)
    assert t.loc["b", "npv"] == pytest.approx(-50 + 30 / 1.1 + 30 / 1.1**2, rel=1e-12)
    assert t.loc["a", "name_zh"] == "甲"
    # EAC of project b over its own 2-year horizon
    assert t.loc["b", "eac"] == pytest.approx(50 / ((1 - 1.1**-2) / 0.1), rel=1e-12)
    net = a.flows("a").loc["net"].to_numpy()
    np.testing.assert_allclose(net, [-100, 40, 40, 50])


def test_nominal_flows_at_real_rate_equal_fisher_discounting():
    projects, flows = _toy()
    infl, real = 0.03, 0.05
    nominal = flows.copy()
    nominal["amount"] = nominal["amount"] * (1 + infl) ** nominal["year"]
    a_real = cba.appraise(projects, flows, real).table["npv"]
    a_nom = cba.appraise(projects, nominal, real, prices="nominal", inflation=infl).table["npv"]
    np.testing.assert_allclose(a_nom, a_real, rtol=1e-12)
    # same as discounting nominal flows at the Fisher nominal rate
    net_nom = cba.appraise(projects, nominal, real).flows("a").loc["net"].to_numpy()
    assert cba.npv(net_nom, cba.nominal_rate(real, infl)) == pytest.approx(a_real.iloc[0])


@given(st.floats(-0.05, 0.2), st.lists(st.floats(0, 1e6), min_size=1, max_size=20))
def test_to_real_inverts_to_nominal(infl, amounts):
    a = np.array(amounts)
    np.testing.assert_allclose(cba.to_real(cba.to_nominal(a, infl), infl), a, rtol=1e-12)


def test_project_order_does_not_change_results():
    projects, flows = _toy()
    t1 = cba.appraise(projects, flows, "china").table.set_index("project")
    t2 = cba.appraise(projects.iloc[::-1], flows.iloc[::-1], "china").table.set_index("project")
    pd.testing.assert_frame_equal(t1, t2.loc[t1.index])


# ---------------------------------------------------------------- optimism bias


def test_optimism_table_values_from_green_book_supplementary_guidance():
    # HM Treasury (2003) Supplementary Green Book Guidance: Optimism Bias, Table 2
    assert cba.uplift("standard_buildings") == (0.24, 0.04)
    assert cba.uplift("standard_buildings", "lower") == (0.02, 0.01)
    assert cba.uplift("non_standard_buildings") == (0.51, 0.39)
    assert cba.uplift("non_standard_civil_engineering", "lower") == (0.06, 0.03)
    assert cba.uplift("standard_civil_engineering") == (0.44, 0.20)
    assert cba.uplift("equipment_development") == (2.00, 0.54)
    cost, dur = cba.uplift("outsourcing")
    assert cost == 0.41 and np.isnan(dur)


def test_combined_uplift_reproduces_the_guidance_worked_example():
    # guidance section 4: 30% non-standard + 70% standard building -> 32.1% capex, 14.5% duration
    cost, dur = cba.combined_uplift({"non_standard_buildings": 0.3, "standard_buildings": 0.7})
    assert cost == pytest.approx(0.321)
    assert dur == pytest.approx(0.145)


def test_mitigation_follows_the_guidance_worked_examples():
    # HM Treasury (2003) Supplementary Green Book Guidance: Optimism Bias, section 4.1,
    # Example 1 at contract award: "Resultant capital expenditure optimism bias =
    # (100 % - 92 %) * 51 = 4 %" for a non-standard building (0.08 * 0.51 = 0.0408);
    # works duration with 23.8 % mitigated: "(100 % - 23.8 %) * 39 = 29.7 %".
    # Text verified at ppponline.affinitext.com/public/book?id=1343 (toc 444265, 444266).
    # R greenbook::gb_apply_ob: cost * (1 + ob_pct * (1 - mitigation)), the same formula.
    cost, _ = cba.uplift("non_standard_buildings", mitigation=0.92)
    assert cost == pytest.approx(0.0408, abs=1e-12)
    _, dur = cba.uplift("non_standard_buildings", mitigation=0.238)
    assert dur == pytest.approx(0.762 * 0.39, abs=1e-12)  # 29.718 %, printed as 29.7 %
    # the interpolation between the bounds is a different, separately named reading
    assert cba.uplift_between_bounds("non_standard_buildings", 0.92)[0] == pytest.approx(0.0776)
    assert cba.uplift_between_bounds("non_standard_buildings", 1.0) == pytest.approx((0.04, 0.02))


@given(st.floats(0, 1), st.sampled_from(sorted(cba.OPTIMISM_BIAS)))
def test_mitigated_uplift_is_the_unmitigated_share_of_the_upper_bound(m, cat):
    cu, du = cba.uplift(cat, "upper", m)
    up_c, up_d = cba.uplift(cat)
    assert cu == pytest.approx((1 - m) * up_c, abs=1e-15)
    assert 0.0 <= cu <= up_c
    if np.isfinite(up_d):
        assert du == pytest.approx((1 - m) * up_d, abs=1e-15)
    cb, _ = cba.uplift_between_bounds(cat, m)
    assert cba.uplift(cat, "lower")[0] - 1e-12 <= cb <= up_c + 1e-12


def test_apply_optimism_bias_keeps_totals_and_delays_benefits():
    a = np.zeros((len(LINES), 11))
    a[LINES.index("investment"), :4] = 25.0
    a[LINES.index("social"), 4:] = 10.0
    out = cba.apply_optimism_bias(a, cost=0.24, duration=0.5)  # 4 works years -> 6
    assert out.shape[1] == 13
    assert out[LINES.index("investment")].sum() == pytest.approx(124.0)
    assert np.flatnonzero(out[LINES.index("investment")]).max() == 5
    np.testing.assert_allclose(out[LINES.index("social"), 6:], 10.0)
    assert out[LINES.index("social"), :6].sum() == 0


def test_optimism_bias_lowers_npv_in_appraisal():
    projects, flows = _toy()
    base = cba.appraise(projects, flows, 0.05).table["npv"].to_numpy()
    up = cba.appraise(projects, flows, 0.05, optimism="upper").table["npv"].to_numpy()
    low = cba.appraise(projects, flows, 0.05, optimism="lower").table["npv"].to_numpy()
    assert np.all(up < low) and np.all(low < base)


def test_optimism_bad_input():
    with pytest.raises(DataError) as exc:
        cba.uplift("bridges", "middle", 2.0)
    msg = str(exc.value)
    assert "bridges" in msg and "middle" in msg and "mitigation" in msg
    with pytest.raises(DataError, match="sum to 1"):
        cba.combined_uplift({"standard_buildings": 0.5})


# ---------------------------------------------------------------- green line


def test_carbon_benefit_is_mwh_times_factor_times_price():
    assert float(cba.carbon_benefit(120_000, 0.5366, 80.0)) == pytest.approx(120_000 * 0.5366 * 80)
    with pytest.raises(DataError, match="carbon_price"):
        cba.carbon_benefit(100, 0.5, -1)


# ---------------------------------------------------------------- bad input


def test_bad_flows_list_every_problem_with_rows():
    projects, flows = _toy()
    bad = flows.copy()
    bad = bad.astype({"amount": object, "year": object})
    bad.loc[1, "amount"] = np.nan
    bad.loc[2, "line"] = "profit"
    bad.loc[3, "year"] = 1.5
    bad.loc[4, "amount"] = -5.0
    bad.loc[5, "project"] = "zzz"
    bad.loc[7, "year"] = 9
    with pytest.raises(DataError) as exc:
        cba.appraise(projects, bad)
    msg = str(exc.value)
    assert "problems found" in msg
    assert "column amount" in msg and "row 3 (project a)" in msg  # NaN amount (file row 3)
    assert "unknown line in row 4" in msg
    assert "whole year" in msg and "row 5" in msg
    assert ">= 0" in msg and "row 6" in msg
    assert "'zzz'" in msg
    assert "beyond the project's life_years in row 9" in msg


def test_duplicate_flows_and_missing_columns():
    projects, flows = _toy()
    with pytest.raises(DataError, match="duplicate \\(project, year, line\\) in rows 2, 10"):
        cba.validate_flows(pd.concat([flows, flows.iloc[[0]]]), projects)
    with pytest.raises(DataError, match="missing column"):
        cba.validate_flows(flows.drop(columns="line"))


def test_bad_projects_and_options():
    projects, flows = _toy()
    p = projects.copy()
    p.loc[0, "life_years"] = 0
    p.loc[1, "ob_category"] = "rocket"
    p.loc[1, "carbon_price"] = -3
    with pytest.raises(DataError) as exc:
        cba.appraise(p, flows)
    msg = str(exc.value)
    assert "life_years" in msg and "ob_category" in msg and "carbon_price" in msg
    with pytest.raises(DataError, match="unknown discount schedule"):
        cba.appraise(projects, flows, "ramsey")
    with pytest.raises(DataError, match="prices"):
        cba.appraise(projects, flows, prices="current")
    with pytest.raises(DataError, match="longest: project a"):
        cba.appraise(projects, flows, [0.03, 0.03])  # per-year schedule of the wrong length
    with pytest.raises(DataError, match="above -100%"):
        cba.appraise(projects, flows, -1.2)
    with pytest.raises(DataError, match="have no flows"):
        cba.appraise(projects, flows[flows["project"] == "a"])


# ---------------------------------------------------------------- shipped data


def test_shipped_projects_include_green_industrial_and_livelihood():
    p = km.datasets.load("projects")
    green = p[(p["kind"] == "industrial") & (p["green_mwh"] > 0)]
    assert len(green) >= 1
    assert (p["kind"] == "livelihood").sum() >= 1
    flows = km.datasets.load("project_flows")
    assert set(flows.loc[flows["line"] == "carbon", "project"]) == set(green["project"])
    a = cba.appraise(p, flows, "china")
    assert a.table["npv"].notna().all()
    # the green-book schedule discounts less than 8%, so every PV of benefits is larger
    g = cba.appraise(p, flows, "green_book")
    assert np.all(g.table["pv_benefits"] > a.table["pv_benefits"])


def test_shipped_carbon_line_follows_its_stated_assumption():
    p = km.datasets.load("projects").set_index("project")
    flows = km.datasets.load("project_flows")
    c = flows[flows["line"] == "carbon"].groupby("project")["amount"].max()
    from kmmodel.costbenefit.green import EMISSION_FACTOR_NATIONAL_2022

    full = (
        p.loc[c.index, "green_mwh"] * EMISSION_FACTOR_NATIONAL_2022 * p.loc[c.index, "carbon_price"]
    )
    # ramped-up years carry the full value times a U(0.95, 1.05) factor
    assert np.all((c / full > 0.95) & (c / full <= 1.05 + 1e-9))


def test_compare_schedules_matches_separate_appraisals():
    projects, flows = _toy()
    cmp = cba.compare_schedules(projects, flows, {"low": 0.01, "high": 0.6})
    lo = cba.appraise(projects, flows, 0.01).table
    hi = cba.appraise(projects, flows, 0.6).table
    np.testing.assert_allclose(cmp["npv_low"], lo["npv"])
    np.testing.assert_allclose(cmp["bcr_high"], hi["bcr"])
    expected = np.sign(lo["npv"].to_numpy()) != np.sign(hi["npv"].to_numpy())
    np.testing.assert_array_equal(cmp["decision_differs"].to_numpy(), expected)
    assert expected.any()  # the toy projects pass at 1% and fail at 60%
    ax = cba.plot_npv(cmp, labels="project")
    assert len(ax.patches) == 2 * len(cmp)


def test_edited_shipped_files_are_caught_on_load(tmp_path, monkeypatch):
    import shutil

    src = km.paths.data_dir()
    data = tmp_path / "data"
    data.mkdir()
    (tmp_path / "pyproject.toml").write_text("")
    for f in ("units.csv", "projects.csv", "project_flows.csv", "cost_chain.csv"):
        shutil.copy(src / f, data / f)
    flows = (data / "project_flows.csv").read_text(encoding="utf-8").splitlines()
    flows[1] = flows[1].replace("gaoxin_green_mfg", "ghost_project")
    flows[2] = flows[2].replace("investment", "profits")
    (data / "project_flows.csv").write_text("\n".join(flows) + "\n", encoding="utf-8")
    chain = (data / "cost_chain.csv").read_text(encoding="utf-8").replace(",1.0\n", ",1.7\n", 1)
    (data / "cost_chain.csv").write_text(chain, encoding="utf-8")
    monkeypatch.setenv("KMMODEL_ROOT", str(tmp_path))
    with pytest.raises(DataError) as exc:
        km.datasets.load("project_flows")
    msg = str(exc.value)
    assert "project_flows.csv" in msg and "ghost_project" in msg and "unknown line in row 3" in msg
    with pytest.raises(DataError, match="time_share"):
        km.datasets.load("cost_chain")
