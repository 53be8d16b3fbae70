"""Ordered logit/probit: reference values from R MASS::polr, marginal effects, recovery."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kmmodel as km
from kmmodel import satisfaction as sat
from kmmodel.catalog import satisfaction as truth

UCLA = Path(__file__).parent / "data" / "ologit_ucla.csv"
LEVELS = ["unlikely", "somewhat likely", "very likely"]


@pytest.fixture(scope="module")
def ucla() -> pd.DataFrame:
    df = pd.read_csv(UCLA)
    df["apply"] = pd.Categorical(df["apply"], categories=LEVELS, ordered=True)
    return df


@pytest.fixture(scope="module")
def logit(ucla):
    return sat.ordered_model(ucla, "apply ~ pared + public + gpa", distr="logit")


def test_polr_logit_slopes_and_cutpoints(logit):
    # R MASS::polr(apply ~ pared + public + gpa, method="logit") on the UCLA data;
    # values from statsmodels/miscmodels/tests/results/results_ordinal_model.py (R 3.4.4)
    # and the UCLA OARC ordinal-logistic-regression example.
    np.testing.assert_allclose(logit.params.to_numpy(), [1.04769, -0.05879, 0.61594], atol=1e-3)
    np.testing.assert_allclose(logit.thresholds.to_numpy(), [2.20391, 4.29936], atol=1e-3)
    assert list(logit.thresholds.index) == [
        "unlikely|somewhat likely",
        "somewhat likely|very likely",
    ]
    # polr standard errors (same source): slopes 0.2658, 0.2979, 0.2606; zeta 0.7795, 0.8043
    np.testing.assert_allclose(logit.bse.to_numpy(), [0.2658, 0.2979, 0.2606], atol=2e-4)
    np.testing.assert_allclose(logit.threshold_bse.to_numpy(), [0.7795, 0.8043], atol=2e-3)


def test_polr_logit_probabilities(logit, ucla):
    # predict(r_logit, type="prob") first 7 rows, results_ordinal_model.py
    ref = np.array(
        [
            [0.5488310, 0.3593310, 0.09183798],
            [0.3055632, 0.4759496, 0.21848725],
            [0.2293835, 0.4781951, 0.29242138],
            [0.6161224, 0.3126888, 0.07118879],
            [0.6560149, 0.2833901, 0.06059505],
            [0.6609240, 0.2797117, 0.05936431],
            [0.6518332, 0.2865114, 0.06165547],
        ]
    )
    np.testing.assert_allclose(logit.predict_proba(ucla.head(7)).to_numpy(), ref, atol=1e-4)
    np.testing.assert_allclose(logit.predict_proba().to_numpy()[:7], ref, atol=1e-4)


def test_polr_probit(ucla):
    # R MASS::polr(..., method="probit"), results_ordinal_model.py
    res = sat.ordered_model(ucla, "apply ~ pared + public + gpa", distr="probit")
    np.testing.assert_allclose(res.params.to_numpy(), [0.59811, 0.01016, 0.35815], atol=1e-3)
    np.testing.assert_allclose(res.thresholds.to_numpy(), [1.2968, 2.5028], atol=1e-3)
    np.testing.assert_allclose(res.bse.to_numpy(), [0.1579, 0.1728, 0.1568], atol=2e-4)


def test_table_has_slopes_and_cutpoints(logit):
    t = logit.table()
    assert list(t["kind"]) == ["slope"] * 3 + ["cut-point"] * 2
    assert (t["low"] < t["coef"]).all() and (t["coef"] < t["high"]).all()
    np.testing.assert_allclose(t["odds_ratio"].iloc[0], np.exp(logit.params["pared"]))


def test_marginal_effects_match_numerical_derivative(logit, ucla):
    ame = logit.marginal_effects()
    h = 1e-5
    up, down = ucla.copy(), ucla.copy()
    up["gpa"] += h
    down["gpa"] -= h
    numeric = (logit.predict_proba(up).to_numpy() - logit.predict_proba(down).to_numpy()) / (2 * h)
    np.testing.assert_allclose(ame.loc["gpa", LEVELS].to_numpy(), numeric.mean(axis=0), atol=1e-7)
    np.testing.assert_allclose(ame[LEVELS].sum(axis=1), 0, atol=1e-12)  # probabilities sum to 1
    # expected score uses positions 1..3 for text levels
    np.testing.assert_allclose(ame["expected"], ame[LEVELS].to_numpy() @ [1, 2, 3])


@given(
    st.lists(st.floats(-20, 20), min_size=1, max_size=30),
    st.lists(st.floats(-5, 5), min_size=1, max_size=6),
)
def test_category_probabilities_are_a_distribution(xb, gaps):
    cuts = np.cumsum(np.abs(gaps) + 0.01) - 3
    for distr in ("logit", "probit"):
        p = sat.category_probabilities(np.array(xb), cuts, distr)
        assert p.shape == (len(xb), len(cuts) + 1)
        assert (p >= -1e-15).all()
        np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
        # a higher linear predictor never lowers P(top category)
        order = np.argsort(xb)
        assert (np.diff(p[order, -1]) >= -1e-12).all()


@pytest.fixture(scope="module")
def survey():
    return km.datasets.load("survey")


def test_recovers_true_effects_on_shipped_survey(survey):
    terms = list(truth.TRUE_SLOPES)
    f = "overall ~ " + " + ".join(terms) + " + C(unit)"
    res = sat.ordered_model(survey, f)
    t = res.table(level=0.99).set_index("term")
    truth_s = pd.Series(truth.TRUE_SLOPES)
    inside = (t.loc[terms, "low"] <= truth_s) & (truth_s <= t.loc[terms, "high"])
    assert inside.all(), t.loc[terms].assign(true=truth_s)[~inside]
    # unit effects relative to the reference unit (first alphabetically)
    ref = sorted(truth.TRUE_UNIT_EFFECTS)[0]
    eff = {
        u: v - truth.TRUE_UNIT_EFFECTS[ref] for u, v in truth.TRUE_UNIT_EFFECTS.items() if u != ref
    }
    rows = [f"C(unit)[T.{u}]" for u in eff]
    z = (t.loc[rows, "coef"].to_numpy() - np.array(list(eff.values()))) / t.loc[
        rows, "se"
    ].to_numpy()
    assert np.mean(np.abs(z) < 1.96) >= 0.8  # 17 effects, 95% intervals
    assert np.all(np.abs(z) < 3.5)
    # cut-points shift by the reference unit's effect
    np.testing.assert_allclose(
        res.thresholds.to_numpy() - truth.TRUE_UNIT_EFFECTS[ref],
        truth.TRUE_CUTPOINTS,
        atol=4 * res.threshold_bse.max(),
    )


def test_interval_coverage_at_stated_rate():
    """95% intervals cover the true slopes about 95% of the time (30 surveys x 10 slopes)."""
    terms = list(truth.TRUE_SLOPES)
    f = "overall ~ " + " + ".join(terms)
    hits = []
    for rep in range(30):
        s = truth.make_survey(seed=1000 + rep, respondents={"wuhua": 500})
        t = sat.ordered_model(s, f).table().set_index("term").loc[terms]
        true = pd.Series(truth.TRUE_SLOPES)[terms]
        hits.append(((t["low"] <= true) & (true <= t["high"])).to_numpy())
    coverage = np.mean(hits)
    # binomial sd of a 300-interval coverage at 0.95 is 0.0126 (intervals within a
    # survey are correlated, so allow about 3.5 sd)
    assert 0.90 <= coverage <= 0.99, coverage


def test_numeric_outcome_levels(survey):
    res = sat.ordered_model(survey, "overall ~ health + safety")
    assert res.categories == [1, 2, 3, 4, 5]
    assert list(res.thresholds.index) == ["1|2", "2|3", "3|4", "4|5"]
    assert np.all(np.diff(res.thresholds.to_numpy()) > 0)
    e = res.expected_score()
    assert e.min() >= 1 and e.max() <= 5


def test_bad_inputs_raise_dataerror(ucla, survey):
    with pytest.raises(km.DataError, match="distr"):
        sat.ordered_model(ucla, "apply ~ gpa", distr="cloglog")
    s = survey.head(200).copy()
    s["const"] = 3
    s.loc[5, "health"] = np.nan
    with pytest.raises(km.DataError) as err:
        sat.ordered_model(s, "overall ~ const + health")
    msg = str(err.value)
    assert "column const" in msg and "constant" in msg
    assert "column health" in msg and "row 7" in msg  # both problems at once
    with pytest.raises(km.DataError, match="not found"):
        sat.ordered_model(s, "nothere ~ health")
    bad = ucla.copy()
    bad["apply"] = pd.Categorical(bad["apply"].astype(str), ordered=False)
    with pytest.raises(km.DataError, match="unordered"):
        sat.ordered_model(bad, "apply ~ gpa")


def test_perfect_separation_is_an_error(survey):
    s = survey.head(400).copy()
    s["leak"] = s["overall"] + np.linspace(0, 0.5, len(s))  # orders the outcome exactly
    with pytest.raises(km.DataError, match="separation"):
        sat.ordered_model(s, "overall ~ leak + health")
