"""Command-line entry points and the package's import cost."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kmmodel.cli import build_parser, main


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("report", "data"):
        assert cmd in out


def test_python_dash_m_kmmodel_works():
    res = subprocess.run(
        [sys.executable, "-m", "kmmodel", "--version"], capture_output=True, text=True, check=True
    )
    assert res.stdout.startswith("kmmodel ")


def test_data_check_passes_on_the_shipped_files(capsys):
    assert main(["data", "--check"]) == 0


def test_data_unknown_name_exits_2(capsys):
    assert main(["data", "--check", "nope"]) == 2
    assert "unknown data set(s) ['nope']" in capsys.readouterr().err


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2


def test_every_command_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        assert p.description, name


def test_import_kmmodel_stays_light():
    code = (
        "import sys, kmmodel; heavy = ['pandas', 'scipy', 'statsmodels', 'pulp', 'matplotlib',"
        " 'papermill', 'dask', 'SALib']; print([m for m in heavy if m in sys.modules])"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "[]"


def test_monitor_command_reports_the_planted_late_unit(capsys):
    assert main(["monitor", "--month", "9"]) == 0
    out = capsys.readouterr().out
    assert "xundian industrial_value_added    red" in out


def test_monitor_missing_feed_exits_2(tmp_path, capsys):
    assert main(["monitor", "--feed", str(tmp_path / "none.csv")]) == 2
    assert "none.csv: file not found" in capsys.readouterr().err


def test_output_piped_into_a_closed_reader_is_not_an_error():
    # `kmmodel correct | head -1`: the reader stops early; the command ends quietly with 0
    cmd = f"{sys.executable} -m kmmodel correct | head -1"
    res = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr and "BrokenPipe" not in res.stderr
