"""Every declared threshold tested at, just below and just above its edge.

A threshold test that only uses values far from the edge cannot tell ``<=`` from ``<``;
these can (each was checked by flipping the comparison in the code and seeing it fail).
Edges are placed on dyadic numbers (exact in binary floating point) where the rule is
arithmetic on the inputs, so "at the edge" means exactly at it, not 1e-17 off.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

import kmmodel as km
from kmmodel import monitoring
from kmmodel.monitoring.progress import Thresholds
from kmmodel.scheme import from_dict

EPS = 2.0**-20  # a step well above float noise, well below any band width

# ------------------------------------------------------------------ progress status bands


def _feed(increments, target=64.0):
    inc = np.asarray(increments, float)
    return pd.DataFrame(
        {
            "unit": "a",
            "indicator": "x",
            "year": 2025,
            "month": np.arange(1, inc.size + 1),
            "target": target,
            "actual": np.cumsum(inc),
        }
    )


def _status(increments, thresholds):
    res = monitoring.progress(_feed(increments), 2025, 6, profile="linear", thresholds=thresholds)
    row = res.table.iloc[0]
    return row["status"], row


TH = Thresholds(yellow=0.0625, red=0.125)  # dyadic: gaps below are exact in binary


@pytest.mark.parametrize(
    ("done", "want"),
    [(24.0, "red"), (24.0 - EPS, "red"), (24.0 + EPS, "yellow")],
    ids=["at", "below", "above"],
)
def test_red_edge_of_the_gap_is_inclusive(done, want):
    # Thresholds docstring and progress Notes: red when gap <= -red. Month 6 of 12 on the
    # linear profile: expected share 0.5; done 24 of 64 -> share 0.375, gap = -0.125 = -red.
    # All of it in month 1: a wide interval, so the projection rule cannot make it red.
    status, row = _status([done, 0, 0, 0, 0, 0], TH)
    assert row["expected"] == 0.5
    assert row["projected_high"] > 64.0  # the best case reaches the target: red only by the gap
    assert status == want


@pytest.mark.parametrize(
    ("done", "want"),
    [(30.0, "yellow"), (30.0 - EPS, "yellow"), (30.0 + EPS, "green")],
    ids=["at", "below", "above"],
)
def test_yellow_edge_of_the_projected_shortfall_is_inclusive(done, want):
    # yellow when the projection P = A/p falls short by >= yellow: P = 30 / 0.5 = 60,
    # shortfall 1 - 60/64 = 0.0625 = yellow; the gap -0.03125 is inside the yellow band
    status, row = _status([done, 0, 0, 0, 0, 0], TH)
    assert row["gap"] > -TH.yellow
    assert status == want


@pytest.mark.parametrize(
    ("monthly", "want"),
    [(5.0, "red"), (5.0 - EPS, "red"), (5.0 + EPS, "green")],
    ids=["at", "below", "above"],
)
def test_red_edge_of_the_best_case_projection_is_inclusive(monthly, want):
    # equal monthly amounts: zero spread, the interval collapses on P = 12 * monthly;
    # red when even its upper end misses the target by >= yellow: 60/64 -> 0.0625 short
    status, row = _status([monthly] * 6, TH)
    assert row["projected_high"] == row["projected"]
    assert status == want


def test_default_thresholds_are_the_declared_ones():
    # the declared defaults the bands above are the shape of
    assert (Thresholds().yellow, Thresholds().red) == (0.05, 0.10)


# ------------------------------------------------------------------ grade bands

SCHEME_PATH = km.paths.data_dir() / "schemes" / "kunming_2025.yaml"


def _bands():
    """The grade bands declared in the shipped Kunming scheme (best first)."""
    raw = yaml.safe_load(SCHEME_PATH.read_text(encoding="utf-8"))
    return [{"name": g["name"], "min": g["min"]} for g in raw["grades"]]


def _one_indicator_scheme(bands):
    # one indicator worth all 100 points, ratio rule with target 100: points = value
    return from_dict(
        {
            "id": "edge",
            "name": "edge",
            "year": 2025,
            "total": 100,
            "grades": bands,
            "dimensions": [{"id": "d", "name": "D", "points": 100}],
            "indicators": [
                {
                    "id": "x",
                    "name": "x",
                    "dimension": "d",
                    "points": 100,
                    "target": 100,
                    "rule": {"type": "ratio"},
                }
            ],
        }
    )


def test_grade_bands_of_the_shipped_scheme_at_below_and_above_each_edge():
    bands = _bands()
    assert [b["min"] for b in bands] == [90, 80, 60, 0]  # kunming_2025.yaml (an assumption)
    scheme = _one_indicator_scheme(bands)
    rows, want = [], {}
    for i, b in enumerate(bands[:-1]):
        edge = float(b["min"])
        for tag, value, grade in [
            ("at", edge, b["name"]),  # min is inclusive: "min: 90" means 90 and above
            ("below", edge - 1e-6, bands[i + 1]["name"]),
            ("above", edge + 1e-6, b["name"]),
        ]:
            unit = f"{b['name']}_{tag}"
            rows.append({"unit": unit, "indicator": "x", "value": value})
            want[unit] = grade
    table = km.score(scheme, pd.DataFrame(rows)).table.set_index("unit")
    assert table["total"].loc["优秀_at"] == 90.0
    assert table["grade"].to_dict() == want


# ------------------------------------------------------------------ Benford MAD bands

# Nigrini, M. J. (2012). Benford's Law. Wiley, Table 7.1: first digits close conformity
# 0.000-0.006, acceptable 0.006-0.012, marginally acceptable 0.012-0.015, above 0.015
# nonconformity; first-two digits 0.0012 / 0.0018 / 0.0022. kmmodel reads each upper
# limit as inclusive (a MAD of exactly 0.006 is still close conformity).
NIGRINI = {1: (0.006, 0.012, 0.015), 2: (0.0012, 0.0018, 0.0022)}
NAMES = ["close conformity", "acceptable conformity", "marginally acceptable", "nonconformity"]


@pytest.mark.parametrize("digits", [1, 2])
def test_mad_bands_at_below_and_above_each_nigrini_limit(digits):
    assert monitoring.MAD_BANDS[digits] == NIGRINI[digits]
    for k, limit in enumerate(NIGRINI[digits]):
        step = limit * 1e-6
        assert monitoring.mad_band(limit, digits) == NAMES[k], (limit, "at")
        assert monitoring.mad_band(limit - step, digits) == NAMES[k], (limit, "below")
        assert monitoring.mad_band(limit + step, digits) == NAMES[k + 1], (limit, "above")
    # the vectorised form agrees with the scalar one at the edges
    edges = np.array(NIGRINI[digits])
    assert list(monitoring.mad_band(edges, digits)) == NAMES[:3]


def test_benford_conforms_flag_switches_at_the_last_limit():
    # conforms is "not nonconformity": true at 0.015, false just above (via the band)
    assert monitoring.mad_band(0.015, 1) != "nonconformity"
    assert monitoring.mad_band(np.nextafter(0.015, 1.0), 1) == "nonconformity"


# ------------------------------------------------------------------ monitoring flags


def test_outlier_flag_is_strictly_above_the_threshold():
    # Iglewicz & Hoaglin (1993): flag |modified z| > 3.5. Place the threshold exactly on a
    # computed z, then one float below and above it.
    data = pd.DataFrame({"v": [10.0, 11.0, 12.0, 13.0, 14.0, 40.0]})
    z = float(monitoring.outliers(data, "v").table["z"].iloc[-1])
    assert z > 3.5 and monitoring.outliers(data, "v").table["flag"].iloc[-1]  # default: flagged
    at = monitoring.outliers(data, "v", threshold=z).table["flag"].iloc[-1]
    below = monitoring.outliers(data, "v", threshold=np.nextafter(z, 0.0)).table["flag"].iloc[-1]
    above = monitoring.outliers(data, "v", threshold=np.nextafter(z, np.inf)).table["flag"].iloc[-1]
    assert (at, below, above) == (False, True, False)


def test_benford_by_flag_is_strictly_below_alpha():
    # benford_by: flag when p < alpha (a p-value equal to alpha is not significant)
    rng = np.random.default_rng(0)
    vals = pd.DataFrame({"g": "a", "amount": 10 ** rng.uniform(0, 3, 2000) * 1.7})
    p = float(monitoring.benford_by(vals, "amount", by="g", min_n=1)["p_value"].iloc[0])
    flag = lambda a: bool(  # noqa: E731
        monitoring.benford_by(vals, "amount", by="g", min_n=1, alpha=a)["flag"].iloc[0]
    )
    assert (flag(p), flag(np.nextafter(p, 0.0)), flag(np.nextafter(p, 1.0))) == (
        False,
        False,
        True,
    )


def test_consistency_flag_is_strictly_beyond_the_tolerance():
    # consistency docstring: flag |reported - other| / other > tolerance. With other = 64
    # and tolerance 1/16, reported 68 is exactly at the edge (4/64), both above and below.
    other = pd.DataFrame({"unit": list("abcdef"), "indicator": "x", "year": 2025, "value": 64.0})
    reported = other.assign(value=[68.0, 68.0 - EPS, 68.0 + EPS, 60.0, 60.0 + EPS, 60.0 - EPS])
    t = monitoring.consistency(reported, other, tolerance=0.0625).table.set_index("unit")
    assert t["flag"].to_dict() == {
        "a": False,  # at the edge above
        "b": False,  # just inside
        "c": True,  # just beyond
        "d": False,  # at the edge below (-4/64)
        "e": False,
        "f": True,
    }


def test_jump_flag_is_strictly_above_the_threshold():
    # jumps docstring: a month's jump is flagged when its robust z is above the threshold.
    # Put the threshold exactly on the largest jump z of the shipped (synthetic) feed.
    feed = monitoring.validate_feed(km.datasets.load("monthly_progress"))
    t = monitoring.jumps(feed, 2025).table
    finite = t[np.isfinite(t["jump_z"])]
    k = finite["jump_z"].idxmax()
    z = float(finite.loc[k, "jump_z"])

    def jumped(threshold):
        return bool(monitoring.jumps(feed, 2025, threshold=threshold).table.loc[k, "jump"])

    assert (jumped(z), jumped(np.nextafter(z, 0.0)), jumped(np.nextafter(z, np.inf))) == (
        False,
        True,
        False,
    )
