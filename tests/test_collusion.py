"""Bid-rigging screens against hand-computed values and scipy.

Screens as defined by Imhof (2017), Imhof, Karagök & Rutz (2018) and Huber & Imhof (2019):
CV = s / mean; RD = (b2 - b1) / s_losing; DIFFP = (b2 - b1) / b1; spread = (max - min) / min;
skewness and excess kurtosis with the bias corrections of scipy.stats (bias=False).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import kmmodel as km
from kmmodel import monitoring
from kmmodel.errors import DataError


def test_screens_by_hand_and_scipy():
    x = np.array([100.0, 120.0, 121.0, 123.0, 124.0])
    s = monitoring.bid_screens(pd.DataFrame({"package": "T", "price": x})).iloc[0]
    # by hand: mean 117.6; losing bids 120,121,123,124 have sd 1.8257; b2 - b1 = 20
    assert s["mean_bid"] == pytest.approx(117.6)
    assert s["cv"] == pytest.approx(np.std(x, ddof=1) / 117.6)
    assert s["rd"] == pytest.approx(20 / np.std([120, 121, 123, 124], ddof=1))
    assert s["diffp"] == pytest.approx(0.2)
    assert s["spread"] == pytest.approx(0.24)
    assert s["skewness"] == pytest.approx(stats.skew(x, bias=False))
    assert s["kurtosis"] == pytest.approx(stats.kurtosis(x, bias=False))
    assert s["flagged"] and "RD" in s["explanation"]


def test_too_few_bids_leave_screens_empty():
    s = monitoring.bid_screens(pd.DataFrame({"package": ["A", "A", "B"], "price": [1, 2, 3]}))
    assert s["rd"].isna().all() and s["skewness"].isna().all() and s["kurtosis"].isna().all()
    assert not s["flagged"].any()


def test_shipped_tender_flags_the_planted_cover_bidding():
    s = monitoring.bid_screens(km.datasets.load("tender_bids")).set_index("package")
    assert s.loc["P4", "flagged"]  # planted: one low bid, the others bunched
    assert not s.loc[["P1", "P2"], "flagged"].any()


@given(
    st.lists(st.floats(1_000, 1e6, allow_nan=False), min_size=4, max_size=8, unique=True),
    st.floats(0.01, 100),
)
def test_screens_do_not_depend_on_the_currency_unit(prices, c):
    b = pd.DataFrame({"package": "T", "price": prices})
    s1 = monitoring.bid_screens(b).iloc[0]
    s2 = monitoring.bid_screens(b.assign(price=b["price"] * c)).iloc[0]
    for col in ("cv", "rd", "diffp", "spread", "skewness", "kurtosis"):
        if np.isfinite(s1[col]):
            assert s2[col] == pytest.approx(s1[col], rel=1e-6, abs=1e-9)


def test_bad_prices_listed():
    with pytest.raises(DataError) as err:
        monitoring.bid_screens(pd.DataFrame({"package": "T", "price": [0, -1, "x", 5]}))
    assert "rows 2, 3, 4" in str(err.value)
    with pytest.raises(DataError, match="missing column"):
        monitoring.bid_screens(pd.DataFrame({"tender": ["T"], "price": [1]}))
