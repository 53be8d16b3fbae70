"""``kmmodel diagnose``: workbook / CSV outputs, exit codes, nothing partial written."""

from __future__ import annotations

import pandas as pd
import pytest

import kmmodel as km
from kmmodel.cli import main
from kmmodel.paths import data_dir

SCHEME = str(data_dir() / "schemes" / "kunming_2025.yaml")
OBS = str(data_dir() / "observations_2025.csv")


def test_diagnose_writes_a_workbook(tmp_path, capsys):
    out = tmp_path / "sub" / "diagnostics.xlsx"
    assert main(["diagnose", SCHEME, OBS, "-o", str(out)]) == 0
    sheets = pd.read_excel(out, sheet_name=None)
    assert {"indicators", "reliability", "bod", "remove_one", "effective_weights"} <= set(sheets)
    expected = km.diagnose(km.load_scheme(SCHEME), km.datasets.load("observations_2025")).table
    got = sheets["indicators"]
    assert got["indicator"].tolist() == expected["indicator"].tolist()
    pd.testing.assert_series_equal(
        got["effective_share"], expected["effective_share"], check_exact=False, rtol=1e-9
    )
    text = capsys.readouterr().out
    assert "small sample" in text and f"wrote {out}" in text


def test_diagnose_csv_has_bom_and_the_indicator_table(tmp_path):
    out = tmp_path / "d.csv"
    assert main(["diagnose", SCHEME, "observations_2025", "-o", str(out), "--bounds", "0.3"]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    t = pd.read_csv(out, encoding="utf-8-sig")
    assert len(t) == 14 and "effective_share" in t.columns


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--threshold", "1.5", "--bounds", "2"], "2 problems found"),
        (["-o", "out.txt"], "unsupported output type"),
        (["-o", str(data_dir() / "diag.csv")], "data/ holds inputs only"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, extra, message):
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["diagnose", SCHEME, OBS, *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert not (data_dir() / "diag.csv").exists()


def test_bad_observations_exit_2(tmp_path, capsys):
    bad = tmp_path / "obs.csv"
    obs = km.datasets.load("observations_2025").astype({"value": object})
    obs.loc[3, "value"] = "abc"
    obs.to_csv(bad, index=False)
    out = tmp_path / "d.xlsx"
    assert main(["diagnose", SCHEME, str(bad), "-o", str(out)]) == 2
    assert "expected a number" in capsys.readouterr().err
    assert not out.exists()
