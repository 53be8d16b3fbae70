"""The shipped notebooks: stored clean, one parameters cell, run without error, reproducible."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert any(p.name.startswith("00_") for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_clean(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") for c in code), "stored with outputs"
    assert all(c.get("execution_count") is None for c in code), "stored with execution counts"
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "needs exactly one cell tagged 'parameters'"
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown" and "".join(first["source"]).startswith("# ")
    source = "\n".join("".join(c["source"]) for c in code)
    assert "nb.setup()" in source and "nb.summary(" in source
    assert "import kmmodel" in source
    ids = [c.get("id") for c in nb["cells"]]
    assert len(set(ids)) == len(ids)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    from kmmodel.report import run_reports

    first = run_reports(
        output_dir=tmp_path_factory.mktemp("run1"), progress=False, timings=False, jobs=2
    )
    second = run_reports(
        output_dir=tmp_path_factory.mktemp("run2"), progress=False, timings=False, jobs=2
    )
    return first, second


@pytest.mark.slow
def test_every_notebook_runs(two_runs):
    first, _ = two_runs
    failed = {r.name: r.error for r in first.failed}
    assert not failed
    assert {r.name for r in first.runs} == {p.stem for p in NOTEBOOKS}
    assert all(r.summary for r in first.runs), "each notebook ends with nb.summary(...)"


@pytest.mark.slow
def test_reports_are_byte_identical_across_runs(two_runs):
    first, second = two_runs
    for run in first.runs:
        a = (first.output_dir / run.html).read_bytes()
        b = (second.output_dir / run.html).read_bytes()
        assert a == b, f"{run.html} differs between two runs"
    assert (first.output_dir / "index.html").read_bytes() == (
        second.output_dir / "index.html"
    ).read_bytes()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_parameter_is_visible_to_papermill(path):
    """``--param`` only reaches parameters papermill can parse (no '=' in their comments)."""
    import ast

    import papermill as pm

    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    assigned = [
        t.id
        for node in ast.parse("".join(cell["source"])).body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    ]
    assert assigned, "the parameters cell assigns nothing"
    assert sorted(pm.inspect_notebook(str(path))) == sorted(assigned)
