"""The ``monitor`` CLI says when its data-quality scores cover fewer checks than the report."""

from __future__ import annotations

import pandas as pd

import kmmodel as km
from kmmodel import monitoring as mon
from kmmodel.cli import main
from kmmodel.monitoring.quality import CHECKS


def test_default_monitor_run_names_the_checks_it_did_not_run(capsys):
    # default run: no third-party figures, payments or thresholds, so only part of the six
    # checks run (fumin scored 33 here against 67 in the report, with no word on why)
    assert main(["monitor", "--month", "6"]) == 0
    out = capsys.readouterr().out
    run = out.split("data checks run: ")[1].splitlines()[0].split(", ")
    skipped = [c for c in CHECKS if c not in run]
    assert skipped, "the default run is expected to skip some checks"
    assert f"out of the {len(run)} of {len(CHECKS)} checks run here" in out
    assert f"not run: {', '.join(skipped)}" in out and "notebook 06" in out


def test_with_the_reports_inputs_the_cli_gives_the_reports_scores(tmp_path, capsys):
    # notebook 06 (the monitoring report) screens month 12 with the shipped third-party
    # figures, payment records and the 100 % completion threshold; so does this run
    tp, pay = tmp_path / "tp.csv", tmp_path / "pay.csv"
    km.datasets.load("third_party_checks").to_csv(tp, index=False)
    km.datasets.load("payment_records").to_csv(pay, index=False)
    args = ["monitor", "--third-party", str(tp), "--payments", str(pay), "--threshold", "1.0"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "not run" not in out  # all six checks ran
    report = mon.screen(
        mon.validate_feed(km.datasets.load("monthly_progress")),
        2025,
        month=12,
        third_party=km.datasets.load("third_party_checks"),
        payments=km.datasets.load("payment_records"),
        bunching_thresholds=[1.0],
    ).table.set_index("unit")["score"]
    lines = [ln.split() for ln in out.split("data checks run: ")[1].splitlines()[2:] if ln.strip()]
    cli = pd.Series({ln[0]: float(ln[1]) for ln in lines})
    assert round(report["fumin"]) == 67  # the report's figure for fumin
    # the CLI prints scores to 6 decimals
    pd.testing.assert_series_equal(
        cli.sort_index(),
        report.set_axis(report.index.astype(object)).sort_index(),
        check_names=False,
        check_index_type=False,
        atol=1e-6,
        rtol=0,
    )
