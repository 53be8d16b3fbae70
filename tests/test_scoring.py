"""Scoring: hand-computed reference values, an independent per-row implementation,
scipy cross-checks for ranks and aggregation, vetoes, grades, missing data, bad input."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import kmmodel as km
from kmmodel.errors import DataError
from kmmodel.scheme import from_dict, reform
from kmmodel.scoring.aggregate import aggregate

# A toy scheme with one indicator per rule type; expected points are worked by hand below.
TOY = {
    "id": "toy",
    "name": "toy",
    "year": 2025,
    "total": 100,
    "grades": [
        {"name": "优秀", "min": 90},
        {"name": "良好", "min": 80},
        {"name": "一般", "min": 60},
        {"name": "较差", "min": 0},
    ],
    "dimensions": [
        {"id": "a", "name": "A", "points": 50},
        {"id": "b", "name": "B", "points": 50},
    ],
    "indicators": [
        {
            "id": "ratio_hi",
            "name": "r",
            "dimension": "a",
            "points": 10,
            "target": 0.761,
            "rule": {"type": "ratio", "floor": 0.9},
        },
        {
            "id": "ratio_lo",
            "name": "r2",
            "dimension": "a",
            "points": 10,
            "direction": "lower",
            "target": 4.0,
            "rule": {"type": "ratio"},
        },
        {
            "id": "linear",
            "name": "l",
            "dimension": "a",
            "points": 10,
            "target": 0.033,
            "rule": {"type": "linear", "floor": 0.0},
        },
        {
            "id": "steps",
            "name": "s",
            "dimension": "a",
            "points": 10,
            "rule": {"type": "steps", "steps": [[0.8, 0.5], [0.9, 1.0]]},
        },
        {
            "id": "passf",
            "name": "p",
            "dimension": "a",
            "points": 10,
            "target": 1,
            "rule": {"type": "pass_fail"},
        },
        {
            "id": "deduct",
            "name": "d",
            "dimension": "b",
            "points": 10,
            "rule": {"type": "deduction", "per": 1.5, "cap": 6},
        },
        {
            "id": "grade",
            "name": "g",
            "dimension": "b",
            "points": 10,
            "rule": {"type": "grade", "levels": {"A": 1, "B": 0.8, "C": 0.6, "D": 0}},
        },
        {
            "id": "formula",
            "name": "f",
            "dimension": "b",
            "points": 10,
            "target": 90,
            "rule": {
                "type": "formula",
                "expr": "clip((value - floor) / (target - floor), 0, 1)",
                "floor": 60,
            },
        },
        {
            "id": "rank",
            "name": "k",
            "dimension": "b",
            "points": 20,
            "rule": {"type": "rank", "best": 1.0, "worst": 0.5},
        },
        {"id": "veto", "name": "v", "dimension": "b", "points": 0, "rule": {"type": "veto"}},
        {
            "id": "bonus",
            "name": "+",
            "dimension": "a",
            "points": 2,
            "rule": {"type": "bonus", "per": 0.5},
        },
        {
            "id": "penalty",
            "name": "-",
            "dimension": "b",
            "points": 3,
            "rule": {"type": "penalty", "per": 1.0},
        },
    ],
}

# unit u1 values and the hand-worked points (provenance: arithmetic of the rule definitions)
U1 = {
    "ratio_hi": (0.70, 10 * 0.70 / 0.761),  # completion 91.98% >= floor 90% -> 9.198
    "ratio_lo": (5.0, 10 * 4.0 / 5.0),  # lower is better: target/value = 0.8 -> 8
    "linear": (0.0165, 5.0),  # halfway between floor 0 and target 3.3% -> 5
    "steps": (0.85, 5.0),  # 0.85 reaches the 0.8 step only -> 0.5 * 10
    "passf": (1, 10.0),  # met -> full
    "deduct": (5, 10 - 6.0),  # 5 * 1.5 = 7.5 off, capped at 6 -> 4
    "grade": ("B", 8.0),  # grade B -> 0.8 * 10
    "formula": (75, 5.0),  # (75-60)/(90-60) = 0.5 -> 5
    "rank": (3.0, 20 * 0.75),  # middle of 3 units: best 1.0, worst 0.5 -> 0.75 * 20 = 15
    "veto": (0, 0.0),
    "bonus": (10, 2.0),  # 10 * 0.5 = 5, capped at 2
    "penalty": (1, -1.0),
}


@pytest.fixture(scope="module")
def toy():
    return from_dict(TOY, source="toy")


def toy_obs(**override):
    rows = [("u1", k, v) for k, (v, _) in U1.items()]
    rows += [("u2", "rank", 5.0), ("u3", "rank", 1.0)]
    rows = [(u, k, override.get(k, v) if u == "u1" else v) for u, k, v in rows]
    return pd.DataFrame(rows, columns=["unit", "indicator", "value"])


def test_every_rule_matches_hand_computed_points(toy):
    res = km.score(toy, toy_obs())
    p = res.points[res.points["unit"] == "u1"].set_index("indicator")["points"]
    for ind, (_, expected) in U1.items():
        assert p[ind] == pytest.approx(expected, abs=1e-9), ind
    total = sum(v for _, v in U1.values())
    row = res.table.set_index("unit").loc["u1"]
    assert row["total"] == pytest.approx(total)
    assert row["a"] == pytest.approx(9.198423127463863 + 8 + 5 + 5 + 10)
    assert row["bonus"] == pytest.approx(1.0)
    # the rank indicator: best unit full, worst unit half
    rk = res.points[res.points["indicator"] == "rank"].set_index("unit")["points"]
    assert (rk["u2"], rk["u3"]) == (20.0, 10.0)


def test_ratio_floor_and_lower_is_better(toy):
    res = km.score(toy, toy_obs(ratio_hi=0.68, ratio_lo=0.0))
    p = res.points[res.points["unit"] == "u1"].set_index("indicator")["points"]
    assert p["ratio_hi"] == 0.0  # 0.68/0.761 = 89.4% < 90% floor
    assert p["ratio_lo"] == 10.0  # zero of a lower-is-better quantity beats any target


def test_grade_letter_and_position_agree(toy):
    a = km.score(toy, toy_obs(grade="C")).table
    b = km.score(toy, toy_obs(grade=3)).table
    pd.testing.assert_frame_equal(a, b)


def test_shipped_scores_match_an_independent_per_row_implementation():
    """Per-row Python transcription of each rule (no numpy broadcasting, no shared code)."""
    s = km.examples.scheme("kunming_2025")
    obs = km.datasets.load("observations_2025")
    units = km.datasets.load("units").set_index("unit")["group"]
    res = km.score(s, obs)
    V = obs.pivot(index="unit", columns="indicator", values="value")
    expected = {}
    for ind in s.spec.indicators:
        r = ind.rule
        for unit, v in V[ind.id].items():
            if r.type == "ratio":
                q = v / ind.target if ind.direction == "higher" else ind.target / v
                a = 0.0 if q < r.floor else min(q, r.cap) / r.cap
            elif r.type == "linear":
                a = min(max((v - r.floor) / (ind.target - r.floor), 0.0), 1.0)
            elif r.type == "steps":
                a = max([sh for th, sh in r.steps if v >= th], default=0.0)
            elif r.type == "grade":
                a = list(r.levels.values())[int(v) - 1]
            elif r.type == "deduction":
                a = 1 - min(r.per * v, r.cap) / ind.points
            elif r.type == "formula":
                a = min(max((v - 60) / (90 - 60), 0.0), 1.0)
            elif r.type == "rank":
                grp = V[ind.id][units.reindex(V.index) == units[unit]]
                rk = stats.rankdata(-grp.to_numpy(), method="min")[list(grp.index).index(unit)]
                a = 1.0 - (1.0 - 0.4) * (rk - 1) / (len(grp) - 1)
            elif r.type in ("bonus", "penalty"):
                expected[(unit, ind.id)] = (1 if r.type == "bonus" else -1) * min(
                    r.per * v, ind.points
                )
                continue
            else:
                continue
            expected[(unit, ind.id)] = a * ind.points
    got = res.points.set_index(["unit", "indicator"])["points"]
    for key, val in expected.items():
        assert got[key] == pytest.approx(val, abs=1e-9), key
    # totals: sum of points, clipped, no veto here changes points (cap_grade only)
    sums = pd.Series(expected).groupby(level=0).sum().clip(0, 100)
    t = res.table.set_index("unit")["total"]
    pd.testing.assert_series_equal(t.sort_index(), sums.sort_index(), check_names=False, atol=1e-9)


def test_ranks_agree_with_scipy_rankdata_within_groups():
    res = km.score(km.examples.scheme("kunming_2025"), km.datasets.load("observations_2025"))
    for _, grp in res.table.groupby("group"):
        expected = stats.rankdata(-grp["total"].to_numpy(), method="min")
        np.testing.assert_array_equal(grp["rank"].to_numpy(), expected)
    assert set(res.table["group"]) == {"county_level", "development_zone"}


@pytest.mark.parametrize("seed", range(5))
def test_aggregation_methods_against_closed_forms(seed):
    rng = np.random.default_rng(seed)
    A = rng.uniform(0.05, 1, size=(7, 5))
    w = rng.uniform(1, 10, size=5)
    np.testing.assert_allclose(aggregate(A, w, "weighted_sum"), A @ w / w.sum())
    np.testing.assert_allclose(aggregate(A, w, "geometric"), stats.gmean(A, axis=1, weights=w))
    np.testing.assert_allclose(aggregate(A, w, "weakest_link"), A.min(axis=1))
    A[0, 2] = np.nan  # left out: the remaining weights are rescaled
    keep = [0, 1, 3, 4]
    assert aggregate(A, w, "weighted_sum")[0] == pytest.approx(A[0, keep] @ w[keep] / w[keep].sum())
    assert aggregate(A, w, "geometric")[0] == pytest.approx(
        stats.gmean(A[0, keep], weights=w[keep])
    )


def test_compensability_orders_totals():
    """AM-GM: weighted sum >= geometric >= weakest link for every unit."""
    s = km.examples.scheme("kunming_2025")
    obs = km.datasets.load("observations_2025")
    totals = {}
    for m in ("weighted_sum", "geometric", "weakest_link"):
        r = km.score(reform.set_aggregation(s, indicators=m, dimensions=m), obs)
        t = r.table.set_index("unit").sort_index()
        totals[m] = t["total"] - t["bonus"]
    assert (totals["weighted_sum"] >= totals["geometric"] - 1e-9).all()
    assert (totals["geometric"] >= totals["weakest_link"] - 1e-9).all()


def test_one_vote_veto_removes_excellent_rating():
    s = km.examples.scheme("kunming_2025")
    obs = km.datasets.load("observations_2025")
    res = km.score(s, obs)
    vetoed = res.table[res.table["vetoed"]]
    assert len(vetoed) >= 1
    assert not (vetoed["grade"] == "优秀").any()
    unit = vetoed["unit"].iloc[0]
    # without the veto the same unit, same points, would be rated 优秀
    no_veto = km.score(reform.set_veto(s, "veto_integrity", enabled=False), obs)
    row = no_veto.table.set_index("unit").loc[unit]
    assert row["grade"] == "优秀"
    assert row["total"] == pytest.approx(res.table.set_index("unit").loc[unit, "total"])
    ex = res.explain(unit)
    assert ex.iloc[0]["indicator"] == "veto_integrity"
    assert "一票否决" in ex.iloc[0]["reason"] and "良好" in ex.iloc[0]["reason"]


def test_zero_dimension_and_disqualify_actions():
    s = km.examples.scheme("kunming_2025", year=2024)
    obs = km.datasets.load("observations_2024")
    res = km.score(s, obs)
    hit = res.vetoes.set_index("indicator").loc["veto_civilisation", "unit"]
    row = res.table.set_index("unit").loc[hit]
    assert row["common"] == 0.0 and row["vetoed"] and row["grade"] != "优秀"
    ex = res.explain(hit)
    assert ex["points"].sum() == pytest.approx(row["total"])
    dq = km.score(reform.set_veto(s, "veto_civilisation", action="disqualify"), obs)
    r2 = dq.table.set_index("unit").loc[hit]
    assert r2["total"] == 0.0 and r2["grade"] == "较差"


def test_excellent_share_cap_demotes_beyond_the_quota(toy):
    one = toy_obs().query("unit == 'u1'")
    obs = pd.concat([one.assign(unit=f"x{k}") for k in range(5)], ignore_index=True)
    obs.loc[obs["indicator"] == "rank", "value"] = np.arange(5.0)  # distinct totals
    bands = [{"name": "优秀", "min": 10}, {"name": "良好", "min": 5}, {"name": "较差", "min": 0}]
    free = km.score(reform.set_grades(toy, bands, excellent_share_cap=None), obs).table
    capped = km.score(reform.set_grades(toy, bands, excellent_share_cap=0.4), obs).table
    assert (free["grade"] == "优秀").sum() == 5
    assert (capped["grade"] == "优秀").sum() == 2  # floor(0.4 * 5)
    top2 = capped.nsmallest(2, "rank")["unit"]
    assert set(capped.loc[capped["grade"] == "优秀", "unit"]) == set(top2)
    assert set(capped.loc[capped["grade"] != "优秀", "grade"]) == {"良好"}


def test_missing_policies(toy):
    obs = toy_obs()
    gap = obs[~((obs["unit"] == "u1") & (obs["indicator"] == "linear"))]
    full = km.score(toy, obs).table.set_index("unit").loc["u1"]
    zero = km.score(toy, gap, missing="zero")
    z = zero.table.set_index("unit").loc["u1"]
    assert z["a"] == pytest.approx(full["a"] - 5.0)
    assert (
        "no observation: 0 points"
        in zero.explain("u1").set_index("indicator").loc["linear", "reason"]
    )
    resc = km.score(toy, gap, missing="rescale")
    r = resc.table.set_index("unit").loc["u1"]
    assert r["a"] == pytest.approx((full["a"] - 5.0) * 50 / 40)  # 4 of 5 indicators observed
    assert np.isnan(resc.achievement().loc["u1", "linear"])
    with pytest.raises(DataError, match=r"u1/linear"):
        km.score(toy, gap, missing="error")


def test_bad_observations_report_every_problem_at_once(toy):
    obs = toy_obs().astype({"value": object})
    extra = pd.DataFrame(
        [
            ("u1", "no_such_indicator", 1.0),
            ("u2", "ratio_hi", "abc"),
            ("u1", "ratio_hi", 0.5),  # duplicate of u1/ratio_hi
            ("u3", "grade", "E"),
            ("u3", "deduct", -2.0),
            ("u2", "linear", None),
            ("u2", "steps", np.inf),
        ],
        columns=["unit", "indicator", "value"],
    )
    bad = pd.concat([obs, extra], ignore_index=True)
    with pytest.raises(DataError) as info:
        km.score(toy, bad, source="obs.csv")
    msg = str(info.value)
    n = len(obs)
    assert msg.startswith("obs.csv")
    assert f"unknown indicator id(s) ['no_such_indicator'] in row {n + 2}" in msg
    assert f"expected a number (or a declared grade letter) in rows {n + 3}, {n + 5}" in msg
    assert f"must be >= 0; negative in row {n + 6}" in msg
    assert f"empty value in row {n + 7}" in msg
    assert f"infinite value in row {n + 8}" in msg
    with pytest.raises(
        DataError, match=rf"duplicate \(unit, indicator\) observations in rows 2, {n + 2}"
    ):
        km.score(toy, pd.concat([obs, extra.iloc[[2]]], ignore_index=True))


def test_unknown_units_and_columns():
    s = km.examples.scheme("kunming_2025")
    obs = km.datasets.load("observations_2025")
    bad = pd.concat(
        [obs, pd.DataFrame({"unit": ["atlantis"], "indicator": ["hotline_days"], "value": [3.0]})]
    )
    with pytest.raises(DataError, match=r"unknown unit id\(s\) \['atlantis'\]"):
        km.score(s, bad)
    with pytest.raises(DataError, match="missing column"):
        km.score(s, obs.rename(columns={"value": "v"}))
    with pytest.raises(DataError, match="must be a DataFrame"):
        km.score(s, obs.to_dict())
    units = km.datasets.load("units").iloc[:5]
    with pytest.raises(DataError, match="not in units"):
        km.score(s, obs, units=units)


def test_explain_accounts_for_every_point():
    res = km.score(km.examples.scheme("kunming_2025"), km.datasets.load("observations_2025"))
    for unit in res.units:
        ex = res.explain(unit)
        assert list(ex.columns[:1]) == ["indicator"]
        for col in ("points", "max_points", "lost", "reason"):
            assert col in ex.columns
        assert ex["points"].sum() == pytest.approx(res.table.set_index("unit").loc[unit, "total"])
        np.testing.assert_allclose(ex["lost"], ex["max_points"] - ex["points"])
        assert ex["reason"].str.len().min() > 0
    with pytest.raises(DataError, match="unknown unit"):
        res.explain("nowhere")


def test_achievement_and_weights_rebuild_the_total():
    s = km.examples.scheme("kunming_2025")
    res = km.score(s, km.datasets.load("observations_2025"))
    A = res.achievement()
    assert A.shape == (18, 14)
    assert ((A >= 0) & (A <= 1)).all().all()
    rebuilt = (A @ s.weights()).rename("t") + res.table.set_index("unit")["bonus"]
    t = res.table.set_index("unit")["total"]
    pd.testing.assert_series_equal(
        rebuilt.clip(0, 100).sort_index(), t.sort_index(), check_names=False
    )


def test_compare_shows_rank_and_grade_changes():
    s = km.examples.scheme("kunming_2025")
    obs = km.datasets.load("observations_2025")
    base = km.score(s, obs)
    alt = km.score(reform.move_points(s, "common", "key", 5), obs)
    cmp = km.compare(base, alt)
    assert len(cmp) == 18
    assert (cmp["rank_change"] == cmp["rank_a"] - cmp["rank_b"]).all()
    assert (cmp["delta"] == cmp["total_b"] - cmp["total_a"]).all()
    assert cmp["delta"].abs().max() > 0
    same = km.compare(base, base)
    assert (same["rank_change"] == 0).all() and not same["grade_changed"].any()
    with pytest.raises(DataError, match="different units"):
        km.compare(
            base,
            km.score(
                km.examples.scheme("mof_project_evaluation"),
                km.datasets.load("observations_projects_2025"),
            ),
        )


def test_mof_items_and_grade_boundaries():
    s = km.examples.scheme("mof_project_evaluation")
    res = km.score(s, km.datasets.load("observations_projects_2025"))
    assert len(res.table) == 8  # seed: 8 expenditure items
    # 财预〔2020〕10号 bands: [90, 100] 优, [80, 90) 良, [60, 80) 中, below 60 差
    t = res.table
    expected = np.select(
        [t["total"] >= 90, t["total"] >= 80, t["total"] >= 60], ["优", "良", "中"], "差"
    )
    assert (t["grade"] == expected).all()
    missing_one = km.datasets.load("observations_projects_2025").iloc[1:]
    with pytest.raises(DataError, match="missing observation"):
        km.score(s, missing_one)  # the MoF scheme declares missing: error


def test_same_inputs_same_numbers():
    s = km.examples.scheme("kunming_2025")
    obs = km.datasets.load("observations_2025")
    a, b = km.score(s, obs), km.score(copy.deepcopy(s), obs.copy())
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.points, b.points)


def test_shipped_observations_are_complete_and_score_under_the_error_policy():
    for year in (2024, 2025):
        s = km.examples.scheme("kunming_2025", year=year)
        res = km.score(s, km.datasets.load(f"observations_{year}"), missing="error")
        assert len(res.table) == 18 and res.table["vetoed"].any()


def test_aggregation_ranks_reports_agreement():
    s = km.examples.scheme("kunming_2025")
    units = km.examples.units()
    ranks, agree = km.scoring.aggregation_ranks(
        s, km.datasets.load("observations_2025"), units=units
    )
    assert {"rank_weighted_sum", "rank_geometric", "rank_weakest_link"} <= set(ranks.columns)
    assert set(agree["method"]) == {"geometric", "weakest_link"}
    assert agree["spearman_vs_weighted_sum"].between(-1, 1).all()
    base = km.score(s, km.datasets.load("observations_2025")).table.set_index("unit")["rank"]
    pd.testing.assert_series_equal(
        ranks.set_index("unit")["rank_weighted_sum"].sort_index(),
        base.sort_index(),
        check_names=False,
    )
    # without units the engine ranks every unit in one group
    alone, _ = km.scoring.aggregation_ranks(s, km.datasets.load("observations_2025"))
    assert set(alone["group"]) == {"all"} and sorted(alone["rank_weighted_sum"]) == list(
        range(1, 19)
    )


def test_km_score_gives_example_units_their_groups_and_the_engine_does_not():
    s = km.examples.scheme("kunming_2025")
    obs = km.datasets.load("observations_2025")
    grouped = km.score(s, obs).table
    assert set(grouped["group"]) == {"county_level", "development_zone"}
    same = km.scoring.score(s, obs, units=km.examples.units()).table
    pd.testing.assert_frame_equal(grouped, same)
    assert set(km.scoring.score(s, obs).table["group"]) == {"all"}
    # units that are not example units: one group, as in the engine
    other = obs.assign(unit="x_" + obs["unit"])
    assert set(km.score(s, other).table["group"]) == {"all"}
    # a mix cannot be ranked without the groups of the others
    mixed = pd.concat([obs, other.loc[other["unit"] == "x_wuhua"]], ignore_index=True)
    with pytest.raises(DataError, match=r"unknown unit id\(s\) \['x_wuhua'\]: some units are"):
        km.score(s, mixed)


def test_pefa_scoring_methods_reference():
    """PEFA (2016) Framework, 'Scoring methodology': M1 (weakest link) gives the lowest
    dimension score; M2 (averaging) of dimension scores A, B, C gives B (conversion table).
    Letters as shares: A = 1, B = 0.75, C = 0.5, D = 0.25."""
    A = np.array([[1.0, 0.75, 0.5]])
    w = np.ones(3)
    assert aggregate(A, w, "weakest_link")[0] == 0.5  # M1: C (PEFA adds a '+')
    assert aggregate(A, w, "weighted_sum")[0] == 0.75  # M2: B
