"""Broken inputs, fed on purpose: every class gives our own error, exit code 2, nothing written.

Each class of broken input from the issue tracker's corpus is fed through the CLI
(exit code 2, a message naming the file, row or field, no output file) and through
the matching API call (our own error class). Inputs that used to hang or blow up
memory (formula powers, YAML alias bombs, an .xlsx zip bomb) run in a child process
with a memory limit (``RLIMIT_AS``: the child's size after imports + 400 MB) and a
time limit, so a regression fails instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kmmodel as km
from kmmodel import correction, monitoring
from kmmodel import costbenefit as cba
from kmmodel.cli import main
from kmmodel.errors import DataError, ReportError, SchemeError
from kmmodel.expr import compile_expr
from kmmodel.report import runner
from kmmodel.safeload import MAX_YAML_BYTES, load_yaml, read_yaml

ROOT = Path(__file__).resolve().parents[1]
MOF_XLSX = ROOT / "data" / "schemes" / "mof_project_evaluation.xlsx"

# A one-indicator scheme; FORMULA is replaced by each test's formula.
TINY = """\
id: tiny
name: 小方案
year: 2025
total: 100
grades: [{name: 优秀, min: 90}, {name: 较差, min: 0}]
dimensions: [{id: d1, name: 维度, points: 100}]
indicators:
  - id: growth
    name: 增速
    dimension: d1
    points: 100
    target: 2.0
    rule: {type: formula, floor: 0.5, expr: "FORMULA"}
"""


def _tiny(tmp_path: Path, formula: str, name: str = "tiny.yaml") -> Path:
    path = tmp_path / name
    path.write_text(TINY.replace("FORMULA", formula), encoding="utf-8")
    return path


@pytest.fixture
def obs_csv(tmp_path) -> Path:
    path = tmp_path / "obs.csv"
    path.write_text("unit,indicator,value\nwuhua,growth,1.0\npanlong,growth,3\n", encoding="utf-8")
    return path


def _cli(argv, capsys) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


# ---------------------------------------------------------------- bounded child processes
_CHILD = """\
import json, resource, sys, time
import kmmodel, kmmodel.scheme, kmmodel.safeload, pandas, numpy
def vm_bytes():
    for line in open("/proc/self/status"):
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
budget = {budget}
resource.setrlimit(resource.RLIMIT_AS, (vm_bytes() + budget, vm_bytes() + budget))
t0 = time.perf_counter()
try:
{body}
    out = {{"error": None}}
except kmmodel.errors.KmmodelError as exc:
    out = {{"error": type(exc).__name__, "message": str(exc)}}
out["seconds"] = time.perf_counter() - t0
print(json.dumps(out))
"""


def run_bounded(body: str, budget_mb: int = 400, timeout: float = 120.0) -> dict:
    """Run ``body`` in a child with at most ``budget_mb`` MB more address space than
    after its imports; return {"error", "message", "seconds"} (seconds: the call alone).

    ``timeout`` bounds the whole child (imports on a loaded machine included); the
    call's own time is asserted by the caller.
    """
    code = _CHILD.format(budget=budget_mb * 1024 * 1024, body=textwrap.indent(body, "    "))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def assert_refused_quickly(res: dict, cls: str, *fragments: str, seconds: float = 5.0) -> None:
    assert res["error"] == cls, res
    for frag in fragments:
        assert frag in res["message"], res["message"]
    assert res["seconds"] < seconds, res


# ---------------------------------------------------------------- formulas
DOS_FORMULAS = ["9**9**9", "value**2**2**2**2**2**2"]
OVERFLOW_FORMULAS = [
    ("value * 10**400", "too large"),
    ("value * 2.0**5000", "too large"),
    ("value / 1 + 1/0", "divides by zero"),
    ("value * 1e999", "too large"),
    ("sqrt(-1) + value", "no real value"),
    ("value ** 1000", "exponent"),
    ("value / (2 - 2)", "divides by zero"),
]


@pytest.mark.parametrize("formula", DOS_FORMULAS)
def test_formula_power_bombs_are_refused_within_bounds(tmp_path, formula):
    path = _tiny(tmp_path, formula)
    res = run_bounded(f"kmmodel.load_scheme({str(path)!r})")
    assert_refused_quickly(res, "SchemeError", "growth", formula)


@pytest.mark.parametrize(("formula", "why"), OVERFLOW_FORMULAS + [(f, "") for f in DOS_FORMULAS])
def test_formula_overflow_is_refused_at_validation_naming_indicator(
    tmp_path, obs_csv, capsys, formula, why
):
    path = _tiny(tmp_path, formula)
    with pytest.raises(SchemeError) as err:
        km.load_scheme(path)
    msg = str(err.value)
    assert str(path) in msg and "indicator growth" in msg and formula in msg and why in msg
    out, pts = tmp_path / "scores.csv", tmp_path / "points.csv"
    code, err_text = _cli(["score", path, obs_csv, "-o", out, "--points", pts], capsys)
    assert code == 2 and "growth" in err_text and formula in err_text
    assert not out.exists() and not pts.exists()
    assert _cli(["validate", path], capsys)[0] == 2


def test_valid_formula_scores_the_hand_worked_numbers(tmp_path, obs_csv):
    # min(value/target, 1)**2 with target 2: value 1 -> 0.25 of 100 points; value 3 -> 100
    res = km.score(
        km.load_scheme(_tiny(tmp_path, "min(value / target, 1) ** 2")), pd.read_csv(obs_csv)
    )
    total = res.table.set_index("unit")["total"]
    assert total["wuhua"] == pytest.approx(25.0) and total["panlong"] == pytest.approx(100.0)


# property test: random expression trees are refused with SchemeError or score finitely
_NAMES = st.sampled_from(["value", "target", "floor"])
_NUMBERS = st.one_of(
    st.integers(0, 12).map(str),
    st.sampled_from(
        ["0", "0.5", "1e308", "1e-308", "10**400", "2.0**5000", "9**9**9", "1" + "0" * 320]
    ),
    st.floats(0, 1e6, allow_nan=False).map(repr),
)
_LEAF = st.one_of(_NAMES, _NUMBERS)


def _extend(children):
    binop = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "**", "%"]), children).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})"
    )
    unary = children.map(lambda c: f"(-{c})")
    one = st.tuples(st.sampled_from(["abs", "sqrt", "log", "exp"]), children).map(
        lambda t: f"{t[0]}({t[1]})"
    )
    two = st.tuples(st.sampled_from(["min", "max"]), children, children).map(
        lambda t: f"{t[0]}({t[1]}, {t[2]})"
    )
    three = st.tuples(st.sampled_from(["clip", "where"]), children, children, children).map(
        lambda t: f"{t[0]}({t[1]}, {t[2]}, {t[3]})"
    )
    cond = st.tuples(
        children, st.sampled_from(["<", ">=", "=="]), children, children, children
    ).map(lambda t: f"({t[3]} if {t[0]} {t[1]} {t[2]} else {t[4]})")
    return st.one_of(binop, unary, one, two, three, cond)


EXPRESSIONS = st.recursive(_LEAF, _extend, max_leaves=12)


@given(EXPRESSIONS, st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=1, max_size=5))
def test_random_formulas_are_refused_or_score_finitely_and_fast(text, values):
    t0 = time.perf_counter()
    try:
        f = compile_expr(text, {"value", "target", "floor"})
    except SchemeError:
        return  # refused with our own error: fine
    out = f(value=np.array(values), target=2.0, floor=0.5)
    assert np.asarray(out).dtype == float
    try:
        scheme = km.scheme.from_dict(load_yaml(TINY.replace("FORMULA", text), "tiny"))
    except SchemeError:
        return  # a rule-level refusal (also our own error)
    obs = pd.DataFrame({"unit": [f"u{i}" for i in range(len(values))], "indicator": "growth"})
    obs["value"] = values
    try:
        points = km.score(scheme, obs).points["points"].to_numpy()
    except DataError as exc:
        # a formula that is not finite at an observed value is refused when scoring,
        # naming the indicator and the value (our own error, never inf clipped)
        assert "not finite" in str(exc) and "growth" in str(exc)
        return
    assert np.isfinite(points).all() and (points >= 0).all() and (points <= 100).all()
    assert time.perf_counter() - t0 < 5.0


# ---------------------------------------------------------------- YAML
def _billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_yaml_alias_bomb_is_refused_within_bounds(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(_billion_laughs(), encoding="utf-8")
    res = run_bounded(f"kmmodel.load_scheme({str(path)!r})")
    assert_refused_quickly(res, "SchemeError", "bomb.yaml", "alias")
    res = run_bounded(f"from kmmodel.report import runner\nrunner.parse_params([], {str(path)!r})")
    assert_refused_quickly(res, "ReportError", "alias")


def test_yaml_size_cap_refuses_unread(tmp_path, capsys):
    path = tmp_path / "big.yaml"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("indicators:\n")
        line = "  - {id: x, name: y, points: 1}\n"
        fh.write(line * (MAX_YAML_BYTES // len(line) + 10))
    res = run_bounded(f"kmmodel.load_scheme({str(path)!r})")
    assert_refused_quickly(res, "SchemeError", "larger than 1 MB", seconds=2.0)
    code, err = _cli(["validate", path], capsys)
    assert code == 2 and "larger than 1 MB" in err


BROKEN_YAML = [
    # (text, fragments the message must hold)
    ("id: x\ndescription: &x [*x]\n", ["line 2", "refers to the anchor"]),
    ("id: x\ndescription: " + "[" * 3000 + "]" * 3000 + "\n", ["line 2", "nest"]),
    ("id: x\ntarget:\n  2025-13-01: 1\n", ["line 3", "'2025-13-01' is not a valid date"]),
    ("id: x\ntarget: 1.0\nname: y\ntarget: 0.5\n", ["line 4", "duplicate key 'target'", "line 2"]),
    ("id: [1, 2\n", ["line 2", "not valid YAML"]),
    (b"id: \xff\xfe\n", ["not UTF-8"]),
]


@pytest.mark.parametrize(("text", "fragments"), BROKEN_YAML)
def test_broken_yaml_schemes_name_the_line(tmp_path, capsys, obs_csv, text, fragments):
    path = tmp_path / "broken.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(SchemeError) as err:
        km.load_scheme(path)
    for frag in [str(path), *fragments]:
        assert frag in str(err.value)
    out = tmp_path / "scores.csv"
    code, err_text = _cli(["score", path, obs_csv, "-o", out], capsys)
    assert code == 2 and fragments[0] in err_text and not out.exists()


def test_deep_nesting_is_refused_by_the_pure_python_loader_too(monkeypatch):
    import yaml

    import kmmodel.safeload as safeload

    monkeypatch.setattr(safeload, "_Loader", yaml.SafeLoader)
    for text in ["a: " + "[" * 3000 + "]" * 3000, "a: &x [*x]", "a: 1\na: 2"]:
        with pytest.raises(SchemeError):
            load_yaml(text, "f.yaml")


@pytest.mark.parametrize("key", ["2025/01/01", "2025.1.1", "2025年1月1日"])
def test_date_keys_not_written_iso_are_named(tmp_path, key):
    text = TINY.replace("FORMULA", "value / target").replace(
        "target: 2.0", f"target: {{2024-01-01: 1.0, '{key}': 2.0}}"
    )
    path = tmp_path / "dates.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        SchemeError, match=re.escape(f"'{key}' are not dates written as YYYY-MM-DD")
    ) as err:
        km.load_scheme(path)
    assert "indicator growth, target" in str(err.value)


def test_yaml_duplicate_keys_in_data_files_are_refused(tmp_path):
    path = tmp_path / "facts.yaml"
    path.write_text("records:\n  - {id: a, value: 1, value: 2}\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 2: duplicate key 'value'"):
        read_yaml(path, error=DataError)
    from kmmodel.catalog._dataset import read_raw  # the shipped-data reader

    with pytest.raises(DataError, match="duplicate key"):
        read_raw(path)


def test_shared_aliases_within_bounds_still_load():
    # a handful of aliases is ordinary YAML and must keep working
    data = load_yaml("base: &b {points: 5}\na: *b\nc: *b\n<<: *b\n", "ok.yaml")
    assert data == {"base": {"points": 5}, "a": {"points": 5}, "c": {"points": 5}, "points": 5}


# ---------------------------------------------------------------- report runner parameters
def test_report_cli_refuses_a_bomb_params_file_before_running(tmp_path, capsys):
    bomb = tmp_path / "params.yaml"
    bomb.write_text(_billion_laughs(), encoding="utf-8")
    assert (
        "alias"
        in run_bounded(
            f"from kmmodel.report import runner\nrunner.parse_params([], {str(bomb)!r})"
        )["message"]
    )
    out = tmp_path / "reports"
    code, err = _cli(["report", "--params", bomb, "-o", out], capsys)
    assert code == 2 and "params.yaml" in err and "alias bomb" in err and not out.exists()
    code, err = _cli(["report", "--param", "x=&a [*a]", "-o", out], capsys)
    assert code == 2 and "refers to the anchor" in err and not out.exists()


def test_param_values_are_read_as_numbers_where_yaml_11_reads_text():
    glob, _ = runner.parse_params(["spread=1e3", "label=abc", "n=5"])
    assert glob == {"spread": 1000.0, "label": "abc", "n": 5}


def test_params_file_numeric_keys_are_notebook_ids(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("03: {n_draws: 500}\n05: {n_reps: 10}\nseed: 1\n", encoding="utf-8")
    glob, per_nb = runner.parse_params([], path)
    assert per_nb == {"03": {"n_draws": 500}, "05": {"n_reps": 10}} and glob == {"seed": 1}
    path.write_text("05: {n_reps: 1}\n05: {n_reps: 2}\n", encoding="utf-8")
    with pytest.raises(ReportError, match="line 2: duplicate key '05'"):
        runner.parse_params([], path)


def test_param_types_are_checked_before_anything_runs(tmp_path, capsys):
    out = tmp_path / "reports"
    argv = ["report", "--only", "05", "--param", "n_reps=abc", "--param", "severity=high"]
    code, err = _cli([*argv, "-o", out], capsys)
    assert code == 2
    assert "05_force_majeure, parameter n_reps: expected a whole number" in err and "'abc'" in err
    assert "parameter severity: expected a number" in err
    assert not out.exists()
    nbs = runner.select(runner.discover(ROOT / "notebooks"), ["05"])
    ok = runner.resolve_params(nbs, {"n_reps": 20, "severity": 1}, {})  # an int for a float
    assert ok[nbs[0]] == {"n_reps": 20, "severity": 1}
    with pytest.raises(ReportError, match="expected a list"):
        runner.resolve_params(nbs, {"k_values": 0.5}, {})


def _sleeping_notebooks(d: Path) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    for name in ("01_sleep", "02_sleep"):
        nb = new_notebook(
            cells=[
                new_markdown_cell("# sleeps"),
                new_code_cell("n = 3", metadata={"tags": ["parameters"]}),
                new_code_cell("import time\ntime.sleep(120)"),
            ]
        )
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "x", "language": "python"}
        for i, c in enumerate(nb.cells):
            c["id"] = f"c{i}"
        nbformat.write(nb, d / f"{name}.ipynb")


def _kernels_using(path: Path) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if "ipykernel" in cmd and str(path) in cmd:
                pids.append(int(proc.name))
    return pids


@pytest.mark.slow
@pytest.mark.parametrize("jobs", [1, 2])
def test_sigterm_during_report_leaves_tmpdir_clean(tmp_path, jobs):
    nbs, tmp, out = tmp_path / "nbs", tmp_path / "tmp", tmp_path / "out"
    nbs.mkdir()
    tmp.mkdir()
    _sleeping_notebooks(nbs)
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "kmmodel", "report", "--notebooks-dir", str(nbs)]
    proc = subprocess.Popen(
        [*argv, "-o", str(out), "-j", str(jobs)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        # wait until every kernel runs (its connection file tmp*.json is in our TMPDIR)
        while len(_kernels_using(tmp)) < jobs and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.5)
        assert len(_kernels_using(tmp)) == jobs, "kernels did not start"
        assert list(tmp.rglob("tmp*.json")) and list(tmp.rglob("kmmodel-kernel-*"))
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:  # pragma: no cover - the runner ignored SIGTERM
            proc.kill()
            proc.wait()
    assert code == 130, proc.stderr.read()
    for _ in range(20):  # kernels exit once their parent has shut them down
        if not _kernels_using(tmp):
            break
        time.sleep(0.5)
    assert not _kernels_using(tmp)
    assert sorted(p.name for p in tmp.iterdir()) == []
    assert not (out / "index.html").exists()


# ---------------------------------------------------------------- xlsx
def _rewrite_member(src: Path, dst: Path, member: str, edit) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == member:
                data = edit(data)
            zout.writestr(info, data)


def test_xlsx_zip_bomb_is_refused_before_openpyxl(tmp_path, capsys):
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(MOF_XLSX) as zin, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                zout.writestr(info, zin.read(info.filename))
                continue
            with zout.open(info.filename, "w", force_zip64=True) as fh:  # one cell of 256 MiB
                fh.write(
                    b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                )
                fh.write(b'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr">')
                fh.write(b"<is><t>")
                chunk = b"A" * (1 << 20)
                for _ in range(256):
                    fh.write(chunk)
                fh.write(b"</t></is></c></row></sheetData></worksheet>")
    assert bomb.stat().st_size < 2 * 1024 * 1024
    res = run_bounded(f"kmmodel.load_scheme({str(bomb)!r})")
    assert_refused_quickly(res, "SchemeError", "bomb.xlsx", "zip bomb", "sheet1.xml")
    code, err = _cli(["validate", bomb], capsys)
    assert code == 2 and "unpacks to" in err


def test_xlsx_with_too_many_parts_or_not_a_zip_is_refused(tmp_path):
    many = tmp_path / "many.xlsx"
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(2_001):
            zf.writestr(f"x/{i}.xml", b"")
    with pytest.raises(SchemeError, match="2,001 parts"):
        km.load_scheme(many)
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a zip", encoding="utf-8")
    with pytest.raises(SchemeError, match="not a readable .xlsx"):
        km.load_scheme(fake)


def test_xlsx_dimension_one_row_short_keeps_the_last_row(tmp_path):
    base = km.load_scheme(MOF_XLSX)
    short = tmp_path / "short.xlsx"
    n_rows = len(base.indicators) + 1  # header + one row per indicator

    def shrink(xml: bytes) -> bytes:
        new, k = re.subn(
            rb'<dimension ref="A1:([A-Z]+)\d+"', rb'<dimension ref="A1:\g<1>%d"' % (n_rows - 1), xml
        )
        assert k == 1
        return new

    _rewrite_member(MOF_XLSX, short, "xl/worksheets/sheet1.xml", shrink)
    got = km.load_scheme(short)
    assert list(got.indicators["id"]) == list(base.indicators["id"])
    assert got.indicators["points"].sum() == pytest.approx(base.indicators["points"].sum())


def test_xlsx_formula_without_cached_value_is_named(tmp_path, capsys):
    from openpyxl import load_workbook

    wb = load_workbook(MOF_XLSX)
    ws = wb["指标"] if "指标" in wb.sheetnames else wb.worksheets[0]
    header = [c.value for c in ws[1]]
    col = header.index("分值") + 1
    ws.cell(row=3, column=col).value = "=1+2"  # openpyxl stores no cached value
    path = tmp_path / "formula.xlsx"
    wb.save(path)
    with pytest.raises(SchemeError) as err:
        km.load_scheme(path)
    msg = str(err.value)
    assert "Excel row 3: 分值 holds the formula '=1+2' with no cached value" in msg
    assert "must be a number, got ''" not in msg
    assert _cli(["validate", path], capsys)[0] == 2
    wb["维度"].cell(row=2, column=3).value = "=SUM(1,2)"
    wb.save(path)
    with pytest.raises(SchemeError, match="sheet 维度, Excel row 2: 分值 holds the formula '=SUM"):
        km.load_scheme(path)


# ---------------------------------------------------------------- monitoring
def test_empty_and_header_only_feeds(tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    header = tmp_path / "header.csv"
    header.write_text("unit,indicator,year,month,target,actual\n", encoding="utf-8")
    code, err = _cli(["monitor", "--feed", empty], capsys)
    assert code == 2 and "empty.csv: the file is empty" in err
    code, err = _cli(["monitor", "--feed", header], capsys)
    assert code == 2 and "header.csv: no data rows" in err
    with pytest.raises(DataError, match="no data rows"):
        monitoring.validate_feed(pd.read_csv(header), source="header.csv")
    assert len(monitoring.feed_problems(pd.read_csv(header))) == 1


def test_payments_with_text_amounts_are_data_errors():
    feed = km.datasets.load("monthly_progress")
    pay = pd.DataFrame({"unit": ["wuhua", "wuhua", "panlong"], "amount": ["两万", "300", "x"]})
    with pytest.raises(DataError) as err:
        monitoring.screen(feed, 2025, payments=pay)
    assert "payments: column amount: expected finite numbers in rows 2, 4 (got '两万', 'x')" in str(
        err.value
    )
    pay = pd.DataFrame({"unit": ["wuhua"], "amount": [100.0], "year": ["二〇二五"]})
    with pytest.raises(DataError, match="column year"):
        monitoring.screen(feed, 2025, payments=pay)
    with pytest.raises(DataError, match="not a number at positions 0 \\('两万'\\)"):
        monitoring.benford_by(pd.DataFrame({"u": ["a"], "v": ["两万"]}), "v", "u")


# ---------------------------------------------------------------- plausibility
def test_discount_rate_given_as_percent_is_refused(tmp_path, capsys):
    projects, flows = km.datasets.load("projects"), km.datasets.load("project_flows")
    with pytest.raises(DataError, match="for 6% write 0.06"):
        cba.appraise(projects, flows, 6)
    with pytest.raises(DataError, match="year 2: a discount rate is a fraction: 8 means 800%"):
        cba.check_appraisal_schedule([0.05, 8, 0.05])
    with pytest.raises(DataError, match="for 6% write 0.06"):
        cba.compare_schedules(projects, flows, {"typo": 6})
    # discounting itself is arithmetic: an NPV at an IRR of 200% is zero
    assert cba.npv([-1.0, 3.0], 2.0) == pytest.approx(0.0)
    out = tmp_path / "appraisal.csv"
    code, err = _cli(["appraise", "--schedule", "6", "-o", out], capsys)
    assert code == 2 and "6 means 600% a year" in err and "0.06" in err and not out.exists()
    # 6% written with the sign is 0.06, and a rate of exactly 100% is still a rate
    assert _cli(["appraise", "--schedule", "6%"], capsys)[0] == 0
    cba.check_appraisal_schedule(1.0)  # exactly 100% is still a rate


@pytest.mark.slow
def test_correction_parameters_are_type_checked(tmp_path, capsys):
    with pytest.raises(DataError, match="k: expected a finite number, got 'abc'"):
        correction.evaluate(n_reps=2, params={"coefficient": {"k": "abc"}})
    out = tmp_path / "corr.csv"
    argv = ["correct", "--param", "coefficient.k=abc", "--param", "reweight.min_exposure=x"]
    code, err = _cli([*argv, "-o", out], capsys)
    assert code == 2 and "'abc'" in err and "min_exposure" in err and "ufunc" not in err
    assert not out.exists()


def test_formula_errors_are_scheme_errors():
    from kmmodel.expr import ExprError

    assert issubclass(ExprError, SchemeError) and issubclass(ExprError, ValueError)


# ---------------------------------------------------------------- plausible values
@pytest.mark.parametrize(
    ("indicator", "value"),
    [
        ("rural_income_growth", -1.5),  # a fall of 150%
        ("civilisation_creation", -5.0),
        ("hotline_days", -2.0),
    ],
)
def test_shipped_kunming_scheme_refuses_values_outside_declared_domains(indicator, value):
    scheme = km.examples.scheme("kunming_2025")
    obs = km.datasets.load("observations_2025").copy()
    km.score(scheme, obs)  # the shipped observations lie inside every declared domain
    obs["value"] = obs["value"].astype(object)
    obs.loc[obs["indicator"] == indicator, "value"] = value
    with pytest.raises(DataError) as exc:
        km.score(scheme, obs)
    assert indicator in str(exc.value) and "declared domain" in str(exc.value)
