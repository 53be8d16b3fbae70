"""``kmmodel appraise`` (kmmodel.cli.appraise): output, errors exit 2, nothing partial written."""

from __future__ import annotations

import argparse

import pandas as pd
import pytest

import kmmodel as km
from kmmodel.cli import appraise as cli
from kmmodel.errors import KmmodelError


def _main(argv):
    """Run the command the way kmmodel.cli.main does (own errors -> exit 2)."""
    p = argparse.ArgumentParser(prog="kmmodel appraise")
    cli.register(p)
    args = p.parse_args(argv)
    try:
        return args.func(args)
    except KmmodelError as exc:
        print(f"kmmodel appraise: error: {exc}")
        return 2


def test_default_run_prints_every_shipped_project(capsys):
    assert _main(["--schedule", "green_book"]) == 0
    out = capsys.readouterr().out
    for pid in km.datasets.load("projects")["project"]:
        assert pid in out


def test_output_csv_equals_the_python_api(tmp_path):
    from kmmodel import costbenefit as cba

    out = tmp_path / "appraisal.csv"
    assert _main(["--schedule", "0.06", "--optimism", "upper", "-o", str(out)]) == 0
    got = pd.read_csv(out)
    exp = cba.appraise(
        km.datasets.load("projects"), km.datasets.load("project_flows"), 0.06, optimism="upper"
    ).table
    pd.testing.assert_series_equal(got["npv"], exp["npv"], check_exact=False, rtol=1e-12)


def test_bad_input_exits_2_and_writes_nothing(tmp_path, capsys):
    flows = km.datasets.load("project_flows").astype({"amount": object})
    flows.loc[0, "amount"] = "abc"
    bad = tmp_path / "flows.csv"
    flows.to_csv(bad, index=False)
    out = tmp_path / "out.csv"
    assert _main(["--flows", str(bad), "-o", str(out)]) == 2
    msg = capsys.readouterr().out
    assert "row 2" in msg and "gaoxin_green_mfg" in msg and "column amount" in msg
    assert not out.exists()
    assert _main(["--schedule", "ramsey"]) == 2
    assert "unknown discount schedule" in capsys.readouterr().out
    assert _main(["--projects", str(tmp_path / "none.csv")]) == 2
    assert "file not found" in capsys.readouterr().out


def test_refuses_to_write_into_data(capsys):
    target = km.paths.data_dir() / "appraisal.csv"
    assert _main(["-o", str(target)]) == 2
    assert "inputs only" in capsys.readouterr().out
    assert not target.exists()


@pytest.mark.parametrize("attr", ["COMMAND", "HELP", "ORDER", "register", "run"])
def test_module_has_the_cli_command_interface(attr):
    assert hasattr(cli, attr)
