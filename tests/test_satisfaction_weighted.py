"""Survey-weighted ordered logit: identities, R polr, hand-computed sandwich, GLM, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kmmodel as km
from kmmodel import satisfaction as sat
from kmmodel.catalog import satisfaction as truth

UCLA = Path(__file__).parent / "data" / "ologit_ucla.csv"
LEVELS = ["unlikely", "somewhat likely", "very likely"]
F = "apply ~ pared + public + gpa"


@pytest.fixture(scope="module")
def ucla() -> pd.DataFrame:
    df = pd.read_csv(UCLA)
    df["apply"] = pd.Categorical(df["apply"], categories=LEVELS, ordered=True)
    rng = np.random.default_rng(6)
    df["w"] = rng.uniform(0.3, 3.0, len(df))  # unequal "survey" weights
    df["freq"] = rng.integers(1, 5, len(df))  # integer frequency weights 1-4
    df["one"] = 1.0
    df["const"] = 3.7
    df["school"] = rng.integers(0, 25, len(df))  # 25 made-up clusters
    return df


@pytest.fixture(scope="module")
def plain(ucla):
    return sat.ordered_model(ucla, F)


@pytest.fixture(scope="module")
def weighted(ucla):
    return sat.ordered_model(ucla, F, weights="w")


def _same_estimates(a, b, tol=1e-6):
    np.testing.assert_allclose(a.params.to_numpy(), b.params.to_numpy(), atol=tol)
    np.testing.assert_allclose(a.thresholds.to_numpy(), b.thresholds.to_numpy(), atol=tol)


@pytest.mark.parametrize("col", ["one", "const"])
def test_constant_weights_equal_the_unweighted_fit(ucla, plain, col):
    res = sat.ordered_model(ucla, F, weights=col, cov="nonrobust")
    _same_estimates(res, plain)
    np.testing.assert_allclose(res.bse.to_numpy(), plain.bse.to_numpy(), rtol=1e-5)
    assert res.llf == pytest.approx(plain.llf, rel=1e-8)
    assert res.pseudo_r2 == pytest.approx(plain.pseudo_r2, rel=1e-6)
    # the robust default agrees with the unweighted fit's own sandwich
    rob = sat.ordered_model(ucla, F, weights=col)
    assert rob.cov_type == "robust" and plain.cov_type == "nonrobust"
    unw_rob = sat.ordered_model(ucla, F, cov="robust")
    np.testing.assert_allclose(rob.bse.to_numpy(), unw_rob.bse.to_numpy(), rtol=1e-5)
    pd.testing.assert_frame_equal(rob.marginal_effects(), plain.marginal_effects(), atol=1e-7)


def test_unit_weights_still_match_r_polr(ucla):
    # R MASS::polr(apply ~ pared + public + gpa) on the UCLA data (R 3.4.4), from
    # statsmodels/miscmodels/tests/results/results_ordinal_model.py
    res = sat.ordered_model(ucla, F, weights="one", cov="nonrobust")
    np.testing.assert_allclose(res.params.to_numpy(), [1.04769, -0.05879, 0.61594], atol=1e-3)
    np.testing.assert_allclose(res.thresholds.to_numpy(), [2.20391, 4.29936], atol=1e-3)
    np.testing.assert_allclose(res.bse.to_numpy(), [0.2658, 0.2979, 0.2606], atol=2e-4)


def test_frequency_weights_equal_repeated_rows(ucla):
    """Analytic identity: weight m_i = the row repeated m_i times (same likelihood up to scale)."""
    rep = ucla.loc[ucla.index.repeat(ucla["freq"])].reset_index(drop=True)
    dup = sat.ordered_model(rep, F)
    wtd = sat.ordered_model(ucla, F, weights="freq", cov="nonrobust")
    _same_estimates(wtd, dup, tol=1e-5)
    assert wtd.pseudo_r2 == pytest.approx(dup.pseudo_r2, rel=1e-6)
    # weights are rescaled to mean 1, so the information is n/N of the repeated data's
    n, big_n = len(ucla), len(rep)
    np.testing.assert_allclose(
        wtd.bse.to_numpy() * np.sqrt(n / big_n), dup.bse.to_numpy(), rtol=1e-4
    )
    np.testing.assert_allclose(
        wtd.threshold_bse.to_numpy() * np.sqrt(n / big_n), dup.threshold_bse.to_numpy(), rtol=1e-4
    )
    # weighted average marginal effects = plain averages over the repeated rows
    pd.testing.assert_frame_equal(wtd.marginal_effects(), dup.marginal_effects(), atol=1e-6)
    np.testing.assert_allclose(
        wtd.predict_proba(ucla.head(5)).to_numpy(), dup.predict_proba(ucla.head(5)), atol=1e-6
    )


def _hand_sandwich(ucla, params, weights, groups=None):
    """H^-1 B H^-1 from statsmodels' own OrderedModel: numerical Hessian of the weighted
    log-likelihood, numerical per-observation scores, no analytic derivative of ours."""
    from statsmodels.miscmodels.ordinal_model import OrderedModel
    from statsmodels.tools.numdiff import approx_fprime, approx_hess

    model = OrderedModel.from_formula(F, ucla, distr="logit")
    w = weights / weights.mean()
    hess = approx_hess(params, lambda p: (w * model.loglikeobs(p)).sum())
    scores = approx_fprime(params, lambda p: w * model.loglikeobs(p), centered=True)
    if groups is not None:
        scores = pd.DataFrame(scores).groupby(groups).sum().to_numpy()
    h_inv = np.linalg.inv(hess)
    return h_inv @ (scores.T @ scores) @ h_inv


def test_robust_errors_match_hand_computed_sandwich(ucla, weighted):
    params = np.asarray(weighted.fit.params, float)
    ref = _hand_sandwich(ucla, params, ucla["w"].to_numpy())
    np.testing.assert_allclose(np.asarray(weighted.fit.cov_params()), ref, rtol=1e-4, atol=1e-8)
    np.testing.assert_allclose(weighted.bse.to_numpy(), np.sqrt(np.diag(ref)[:3]), rtol=1e-4)
    # cut-point errors: delta method through t_2 = theta_0 + exp(theta_1)
    jac = np.array([[1.0, 0.0], [1.0, np.exp(params[4])]])
    np.testing.assert_allclose(
        weighted.threshold_bse.to_numpy(),
        np.sqrt(np.diag(jac @ ref[3:, 3:] @ jac.T)),
        rtol=1e-4,
    )
    # weights move the estimates, within a couple of standard errors
    assert not np.allclose(weighted.params, sat.ordered_model(ucla, F).params, atol=1e-3)


def test_cluster_errors_match_hand_computed_sandwich(ucla):
    res = sat.ordered_model(ucla, F, weights="w", cov="cluster", cluster="school")
    params = np.asarray(res.fit.params, float)
    n, k, g = len(ucla), len(params), ucla["school"].nunique()
    ref = _hand_sandwich(ucla, params, ucla["w"].to_numpy(), groups=ucla["school"].to_numpy())
    ref *= g / (g - 1) * (n - 1) / (n - k)  # CRV1 small-sample factor (statsmodels, Stata regress)
    np.testing.assert_allclose(np.asarray(res.fit.cov_params()), ref, rtol=1e-4, atol=1e-8)
    assert res.cov_type == "cluster (school)"


def test_two_levels_equal_a_weighted_logit_glm(ucla):
    """With two answers the ordered logit is a logit with intercept -cut (McCullagh 1980)."""
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    df = ucla.assign(
        likely=pd.Categorical(
            np.where(ucla["apply"] == "unlikely", "no", "yes"), ["no", "yes"], ordered=True
        ),
        y=(ucla["apply"] != "unlikely").astype(float),
    )
    w = df["w"].to_numpy() / df["w"].mean()
    glm = smf.glm("y ~ pared + public + gpa", df, family=sm.families.Binomial(), var_weights=w).fit(
        cov_type="HC0"
    )
    res = sat.ordered_model(df, "likely ~ pared + public + gpa", weights="w")
    np.testing.assert_allclose(res.params.to_numpy(), glm.params.iloc[1:].to_numpy(), atol=1e-5)
    assert res.thresholds.iloc[0] == pytest.approx(-glm.params["Intercept"], abs=1e-5)
    np.testing.assert_allclose(res.bse.to_numpy(), glm.bse.iloc[1:].to_numpy(), rtol=1e-4)
    assert res.threshold_bse.iloc[0] == pytest.approx(glm.bse["Intercept"], rel=1e-4)


@settings(max_examples=8, deadline=None)
@given(scale=st.floats(0.01, 100), seed=st.integers(0, 2**16))
def test_weight_scale_and_row_order_do_not_matter(ucla, weighted, scale, seed):
    order = np.random.default_rng(seed).permutation(len(ucla))
    df = ucla.iloc[order].assign(w=ucla["w"].to_numpy()[order] * scale)
    res = sat.ordered_model(df, F, weights="w")
    _same_estimates(res, weighted, tol=1e-5)
    np.testing.assert_allclose(res.bse.to_numpy(), weighted.bse.to_numpy(), rtol=1e-4)
    assert res.pseudo_r2 == pytest.approx(weighted.pseudo_r2, rel=1e-6)


def test_weighted_fit_recovers_true_effects_on_shipped_survey():
    """The survey's weights depend on urban and age only, so the weighted fit targets
    the generator's slopes too; its 99% intervals cover them."""
    survey = km.datasets.load("survey")
    terms = list(truth.TRUE_SLOPES)
    f = "overall ~ " + " + ".join(terms) + " + C(unit)"  # units differ in urban share
    res = sat.ordered_model(survey, f, weights="weight")
    t = res.table(level=0.99).set_index("term").loc[terms]
    true = pd.Series(truth.TRUE_SLOPES)[terms]
    inside = (t["low"] <= true) & (true <= t["high"])
    assert inside.all(), t.assign(true=true)[~inside]
    assert res.weights is not None and res.weights.mean() == pytest.approx(1.0)
    # scenario draws use the weighted fit's sandwich covariance
    sc = sat.scenario(res, survey, {"transport": 1}, by=None, n_draws=100, seed=3)
    assert sc.low < sc.change < sc.high


def test_bad_weights_are_reported_together(ucla):
    bad = ucla.copy()
    bad.loc[3, "w"] = -1.0
    bad.loc[10, "w"] = np.nan
    bad.loc[12, "gpa"] = np.nan
    with pytest.raises(km.DataError) as err:
        sat.ordered_model(bad, F, weights="w")
    msg = str(err.value)
    assert "column w: missing values in row 12" in msg and "bad in row 5" in msg
    assert "column gpa" in msg and "row 14" in msg
    with pytest.raises(km.DataError, match="weight column 'nope' not found"):
        sat.ordered_model(ucla, F, weights="nope")
    with pytest.raises(km.DataError) as err:
        sat.ordered_model(ucla, F, distr="cloglog", cov="HC3")
    assert "distr" in str(err.value) and "cov" in str(err.value)
    with pytest.raises(km.DataError, match="cluster column 'unit' not found"):
        sat.ordered_model(ucla, F, weights="w", cov="cluster")
    with pytest.raises(km.DataError, match="at least 2 clusters"):
        sat.ordered_model(ucla.assign(one_school=1), F, cov="cluster", cluster="one_school")


def test_model_hessian_follows_the_weights(ucla):
    """The cached Hessian is dropped when the weights change (and equals a fresh one)."""
    from statsmodels.tools.numdiff import approx_hess

    from kmmodel.satisfaction._weighted import WeightedOrderedModel

    model = WeightedOrderedModel.from_formula(F, ucla, distr="logit")
    p = model.start_params + 0.1
    h_plain = model.hessian(p)
    model.survey_weights = ucla["w"].to_numpy()
    h_w = model.hessian(p)
    np.testing.assert_allclose(h_w, approx_hess(p, model.loglike), rtol=1e-4)
    assert not np.allclose(h_plain, h_w)
    model.survey_weights = None
    np.testing.assert_allclose(model.hessian(p), h_plain)


@pytest.mark.parametrize("distr", ["logit", "probit"])
def test_analytic_weighted_score_matches_numerical_gradient(ucla, distr):
    from statsmodels.tools.numdiff import approx_fprime

    from kmmodel.satisfaction._weighted import WeightedOrderedModel

    model = WeightedOrderedModel.from_formula(F, ucla, distr=distr)
    model.survey_weights = ucla["w"].to_numpy()
    p = model.start_params + np.array([0.3, -0.2, 0.1, 0.5, -0.3])  # away from the optimum
    obs = model.score_obs(p)
    np.testing.assert_allclose(obs, approx_fprime(p, model.loglikeobs, centered=True), atol=1e-6)
    np.testing.assert_allclose(model.score(p), obs.sum(axis=0), rtol=1e-10)
