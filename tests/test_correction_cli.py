"""``kmmodel correct``: the ranking table, the written file, exit code 2 on bad input."""

from __future__ import annotations

import pandas as pd
import pytest

import kmmodel as km
from kmmodel.cli import main
from kmmodel.cli.correct import parse_params
from kmmodel.errors import Problems
from kmmodel.paths import data_dir

SCHEME = str(data_dir() / "schemes" / "kunming_2025.yaml")


def test_default_run_prints_every_method(capsys):
    assert main(["correct"]) == 0
    out = capsys.readouterr().out
    for m in km.correction.METHODS:
        assert m in out
    assert "wuhua" in out and "18 units" in out


def test_written_table_equals_the_library_result(tmp_path, capsys):
    out = tmp_path / "sub" / "corr.csv"
    argv = ["correct", "--scheme", SCHEME, "--method", "none", "--method", "coefficient"]
    argv += ["--param", "coefficient.k=0.8", "--param", "coefficient.cap=none", "--show", "total"]
    assert main(argv + ["-o", str(out)]) == 0
    got = pd.read_csv(out)
    want = km.correction.apply(
        ["none", "coefficient"],
        **km.examples.correction_inputs(year=2025),
        params={"coefficient": {"k": 0.8, "cap": None}},
    ).table
    assert list(got["method"].unique()) == ["none", "coefficient"]
    pd.testing.assert_series_equal(got["total"], want["total"], check_exact=False, rtol=1e-12)
    assert (got["rank"].to_numpy() == want["rank"].to_numpy()).all()
    # none is the engine itself
    eng = km.score(km.load_scheme(SCHEME), km.datasets.load("observations_2025")).table
    none = got.loc[got["method"] == "none"].set_index("unit")["total"]
    pd.testing.assert_series_equal(
        none.loc[eng["unit"]].reset_index(drop=True),
        eng["total"],
        check_names=False,
        check_exact=False,
        rtol=1e-12,
    )
    assert f"wrote {out}" in capsys.readouterr().out


def test_inputs_can_be_csv_files(tmp_path):
    shocks = km.datasets.load("shocks")
    path = tmp_path / "shocks.csv"
    shocks.loc[shocks["unit"] != "wuhua"].to_csv(path, index=False)
    out = tmp_path / "o.csv"
    assert main(["correct", "--shocks", str(path), "--method", "reweight", "-o", str(out)]) == 0
    t = pd.read_csv(out).set_index("unit")
    assert t.loc["wuhua", "exposure"] == 0.0 and t.loc["panlong", "exposure"] > 0


def test_bad_files_are_all_listed_and_nothing_is_written(tmp_path, capsys):
    out = tmp_path / "o.csv"
    argv = ["correct", "--shocks", str(tmp_path / "nope.csv"), "--previous", "no_such_set"]
    argv += ["--param", "coefficient", "-o", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "kmmodel correct: error:" in err and "3 problems" in err
    assert "nope.csv" in err and "no_such_set" in err and "METHOD.NAME=VALUE" in err
    assert not out.exists()


def test_bad_shock_data_and_parameters_exit_2_naming_them(tmp_path, capsys):
    shocks = km.datasets.load("shocks")
    shocks.loc[0, "exposure"] = 1.5
    shocks.loc[1, "unit"] = "atlantis"
    path = tmp_path / "shocks.csv"
    shocks.to_csv(path, index=False)
    out = tmp_path / "o.csv"
    assert main(["correct", "--shocks", str(path), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "column exposure: expected a share in [0, 1]" in err and "atlantis" in err
    argv = ["correct", "--param", "coefficient.k=-1", "--param", "reweight.foo=1", "-o", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "method coefficient" in err and "k must be" in err and "foo" in err
    assert main(["correct", "--method", "magic"]) == 2
    assert "unknown correction method 'magic'" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    ("items", "want"),
    [
        (["coefficient.k=0.8"], {"coefficient": {"k": 0.8}}),
        (["coefficient.cap=None", "coefficient.k=2"], {"coefficient": {"cap": None, "k": 2.0}}),
        (["target_rebase.use_sensitivity=false"], {"target_rebase": {"use_sensitivity": False}}),
    ],
)
def test_parse_params(items, want):
    probs = Problems()
    assert parse_params(items, probs) == want and not probs
