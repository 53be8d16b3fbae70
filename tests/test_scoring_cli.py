"""``kmmodel score`` and ``kmmodel validate``: outputs, exit codes, nothing partial written."""

from __future__ import annotations

import pandas as pd

import kmmodel as km
from kmmodel.cli import main
from kmmodel.paths import data_dir

SCHEME = str(data_dir() / "schemes" / "kunming_2025.yaml")
OBS = str(data_dir() / "observations_2025.csv")


def test_score_writes_the_unit_table(tmp_path, capsys):
    out = tmp_path / "sub" / "out.csv"
    pts = tmp_path / "points.csv"
    assert (
        main(["score", SCHEME, OBS, "-o", str(out), "--points", str(pts), "--explain", "wuhua"])
        == 0
    )
    table = pd.read_csv(out)
    expected = km.score(km.load_scheme(SCHEME), km.datasets.load("observations_2025")).table
    assert list(table["unit"]) == list(expected["unit"])
    pd.testing.assert_series_equal(table["total"], expected["total"], check_exact=False, rtol=1e-12)
    assert len(pd.read_csv(pts)) == 18 * 18
    text = capsys.readouterr().out
    assert "why wuhua lost points" in text and "vetoed:" in text


def test_score_accepts_a_dataset_name_and_year(tmp_path):
    out = tmp_path / "o.csv"
    assert main(["score", SCHEME, "observations_2024", "--year", "2024", "-o", str(out)]) == 0
    assert pd.read_csv(out)["vetoed"].sum() == 2


def test_bad_input_exits_2_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("unit,indicator,value\nwuhua,hotline_days,abc\nwuhua,nope,1\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["score", SCHEME, str(bad), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "kmmodel score: error:" in err and "row 2" in err and "row 3" in err
    assert not out.exists()
    assert main(["score", SCHEME, OBS, "-o", str(out), "--explain", "atlantis"]) == 2
    assert not out.exists()
    assert main(["score", SCHEME, str(tmp_path / "none.csv")]) == 2


def test_validate(capsys, tmp_path):
    assert main(["validate", SCHEME, "observations_2025"]) == 0
    assert "valid" in capsys.readouterr().out
    broken = str(data_dir().parent / "tests" / "cases" / "broken" / "many_problems.yaml")
    assert main(["validate", broken]) == 2
    err = capsys.readouterr().err
    assert "problems found" in err and "indicator growth" in err
    xlsx = str(data_dir() / "schemes" / "mof_project_evaluation.xlsx")
    assert main(["validate", xlsx, "observations_projects_2025"]) == 0
