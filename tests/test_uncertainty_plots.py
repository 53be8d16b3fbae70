"""Charts draw what the results say, with Chinese labels and no warnings."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from kmmodel import uncertainty as U
from kmmodel.errors import DataError
from kmmodel.uncertainty import plots


@pytest.fixture(scope="module")
def results():
    rng = np.random.default_rng(0)
    A = pd.DataFrame(
        rng.uniform(0.5, 1, (5, 4)), index=["wuhua", "panlong", "guandu", "xishan", "gaoxin"]
    )
    w = pd.Series([40.0, 30, 20, 10])
    dims = pd.Series(["a", "a", "b", "b"])
    pert = U.Perturbation(spread=0.3, dimension_spread=0.2)
    res = U.rank_uncertainty(A, w, dimensions=dims, perturbation=pert, n_draws=300, seed=1)
    sob = U.rank_sensitivity(A, w, dimensions=dims, perturbation=pert, n=64, seed=1)
    return res, sob


LABELS = {
    "wuhua": "五华区",
    "panlong": "盘龙区",
    "guandu": "官渡区",
    "xishan": "西山区",
    "gaoxin": "高新区",
}


def render(ax):
    ax.figure.savefig(io.BytesIO(), format="png")  # missing glyphs would warn (= error)


def test_rank_intervals_span_p05_to_p95_in_rank_order(results):
    res, _ = results
    ax = plots.rank_intervals(res, labels=LABELS)
    render(ax)
    t = res.table.sort_values(["rank", "unit"])
    segs = ax.collections[0].get_segments()
    got = sorted((s[0][0], s[1][0]) for s in segs)
    assert got == sorted(zip(t["rank_p05"].astype(float), t["rank_p95"].astype(float)))
    assert [tick.get_text() for tick in ax.get_yticklabels()][0] == LABELS[t["unit"].iloc[0]]


def test_grade_bars_stack_to_one(results):
    res, _ = results
    ax = plots.grade_probabilities(res, labels=LABELS)
    render(ax)
    widths = np.zeros(5)
    for bar in ax.patches:
        widths[round(bar.get_y() + bar.get_height() / 2)] += bar.get_width()
    np.testing.assert_allclose(widths, 1.0)


def test_sobol_charts(results):
    _, sob = results
    ax = plots.sobol_heatmap(sob, labels=LABELS)
    render(ax)
    shown = np.ma.filled(ax.images[0].get_array(), np.nan)
    sd = sob.table.groupby("output", sort=False)["output_sd"].first()
    expected = sob.pivot("ST").to_numpy().copy()
    expected[(sd < 0.2).to_numpy()] = np.nan
    np.testing.assert_allclose(shown, expected)
    ax = plots.sobol_bars(sob, "wuhua")
    render(ax)
    assert len(ax.patches) == 2 * sob.table["factor"].nunique()
    with pytest.raises(DataError, match="nowhere"):
        plots.sobol_bars(sob, "nowhere")
