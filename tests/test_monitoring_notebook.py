"""The monitoring notebook (structure; execution marked slow) and the dashboard charts."""

from __future__ import annotations

import json

import pytest

import kmmodel as km
from kmmodel import monitoring

NB = km.paths.project_root() / "notebooks" / "06_monitoring.ipynb"


def test_notebook_is_stored_clean_with_one_parameters_cell():
    nb = json.loads(NB.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    tagged = [c for c in code if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1
    assert nb["cells"][0]["cell_type"] == "markdown" and "Question" in "".join(
        nb["cells"][0]["source"]
    )
    assert "nb.summary(" in "".join(code[-1]["source"])
    assert [c["id"] for c in nb["cells"]] == [
        f"cell-{i:02d}" for i in range(1, len(nb["cells"]) + 1)
    ]


def test_charts_draw_the_dashboard():
    km.plots.setup()
    feed = km.datasets.load("monthly_progress")
    res = monitoring.progress(feed, 2025, 6)
    ax = monitoring.progress_chart(res, feed, "dongchuan", "fixed_asset_investment")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("序时进度" in t for t in labels) and any("(red)" in t for t in labels)
    ax = monitoring.status_chart(res, labels={"wuhua": "五华区"})
    assert "五华区" in [t.get_text() for t in ax.get_yticklabels()]
    b = monitoring.benford(km.datasets.load("payment_records")["amount"])
    ax = monitoring.benford_chart(b)
    assert len(ax.patches) == 9
    with pytest.raises(km.DataError, match="no progress row"):
        monitoring.progress_chart(res, feed, "nowhere", "x")


@pytest.mark.slow
def test_notebook_runs(tmp_path):
    pm = pytest.importorskip("papermill")
    out = tmp_path / "06.ipynb"
    pm.execute_notebook(str(NB), str(out), kernel_name="python3", parameters={"month": 9})
    nb = json.loads(out.read_text(encoding="utf-8"))
    text = json.dumps(nb["cells"][-1]["outputs"])
    assert "month 9 of 2025" in text
    assert "7 of 7 planted problems" in text
