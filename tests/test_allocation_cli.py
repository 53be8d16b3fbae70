"""`kmmodel allocate`, the allocation plots and the notebook."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import kmmodel as km
from kmmodel import allocation
from kmmodel.cli import main
from kmmodel.datasets import path

ROOT = Path(__file__).resolve().parents[1]


def test_cli_writes_the_allocation(tmp_path, capsys):
    out = tmp_path / "sub" / "allocation.csv"
    code = main(["allocate", str(path("evaluation_items")), "--budget", "550000", "-o", str(out)])
    assert code == 0
    table = pd.read_csv(out)
    ref = allocation.allocate_budget(km.datasets.load("evaluation_items"), budget=550_000).table
    assert table["allocation"].sum() == pytest.approx(ref["allocation"].sum())
    assert list(table["item"]) == list(ref["item"])
    out = capsys.readouterr().out
    res = allocation.allocate_budget(km.datasets.load("evaluation_items"), budget=550_000)
    # both numbers, named for what they are, as the result formats them
    assert f"marginal value {res.marginal_value_per_yuan:,.2f} yuan per yuan (LP dual)" in out
    assert f"the next 10,000 yuan gains {res.gain_next_10k:,.0f} yuan (re-solved)" in out
    assert "MIP gap" not in out


def test_cli_min_share_and_granularity(tmp_path, capsys):
    out = tmp_path / "a.csv"
    args = [str(path("evaluation_items")), "--min-share", "livelihood=0.5", "--granularity", "1000"]
    assert main(["allocate", *args, "-o", str(out)]) == 0
    assert "MIP gap" in capsys.readouterr().out
    t = pd.read_csv(out)
    assert (t["allocation"] % 1000 == 0).all()
    assert t.loc[t["group"] == "livelihood", "allocation"].sum() >= 0.5 * t["allocation"].sum() - 1


def test_cli_bad_file_exits_2_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "items.csv"
    df = km.datasets.load("evaluation_items")
    df.loc[2, "min_cost"] = -1
    df.to_csv(bad, index=False)
    out = tmp_path / "out.csv"
    assert main(["allocate", str(bad), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "row 4" in err and "min_cost" in err
    assert not out.exists()
    assert (
        main(["allocate", str(path("evaluation_items")), "--budget", "1000", "-o", str(out)]) == 2
    )
    assert "minimum feasible budget" in capsys.readouterr().err
    assert not out.exists()
    assert main(["allocate", str(tmp_path / "missing.csv")]) == 2


def test_cli_names_a_granularity_no_item_can_meet(tmp_path, capsys):
    """Issue 14: `--granularity 1000000` was blamed on all 8 floors."""
    out = tmp_path / "a.csv"
    args = ["allocate", str(path("evaluation_items")), "--granularity", "1000000"]
    assert main([*args, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "granularity (1,000,000 yuan) has no multiple between the floor and the cap" in err
    assert "floor of item" not in err and not out.exists()


def test_cli_rejects_a_bad_share():
    with pytest.raises(SystemExit):
        main(["allocate", "x.csv", "--min-share", "livelihood=40"])


def test_plots_draw_with_chinese_labels():
    items = km.datasets.load("evaluation_items")
    res = allocation.allocate_budget(items)
    from kmmodel.allocation.plots import plot_allocation, plot_budget_curve

    ax = plot_allocation(res)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(items["name_zh"])
    ax = plot_budget_curve(res.sweep([200_000, 400_000, 550_000]), res)
    assert ax.get_xlabel() == "评价预算 [万元]"


def test_notebook_is_stored_clean_with_one_parameters_cell():
    nb = json.loads((ROOT / "notebooks" / "02_evaluation_budget.ipynb").read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert sum("parameters" in c["metadata"].get("tags", []) for c in code) == 1
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert "nb.summary(" in "".join(code[-1]["source"])


@pytest.mark.slow
def test_notebook_runs(tmp_path):
    import papermill as pm

    out = tmp_path / "02.ipynb"
    pm.execute_notebook(
        str(ROOT / "notebooks" / "02_evaluation_budget.ipynb"),
        str(out),
        kernel_name="python3",
        parameters={"sweep_step": 100_000},
        progress_bar=False,
    )
    nb = json.loads(out.read_text(encoding="utf-8"))
    streams = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
    assert not [o for o in streams if o.get("name") == "stderr"]
    assert any("kmmodel_summary" in o.get("metadata", {}) for o in streams)
