"""Notebook 01: stored clean, one parameters cell, and it runs (slow)."""

from __future__ import annotations

import nbformat
import pytest

from kmmodel.paths import project_root

NB = project_root() / "notebooks" / "01_assessment_scores.ipynb"


def test_notebook_is_stored_clean():
    nb = nbformat.read(NB, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# 01")
    assert sum("parameters" in c.metadata.get("tags", []) for c in nb.cells) == 1
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert "nb.summary(" in code[-1].source
    assert [c.id for c in nb.cells] == [f"cell-{k:02d}" for k in range(1, len(nb.cells) + 1)]


@pytest.mark.slow
def test_notebook_runs(tmp_path):
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "01.ipynb"
    papermill.execute_notebook(str(NB), str(out), kernel_name="python3", progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    streams = [o for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stderr"]
    assert not streams, streams
    summary = [
        o
        for c in nb.cells
        for o in c.get("outputs", [])
        if "kmmodel_summary" in o.get("metadata", {})
    ]
    assert summary and "units scored" in summary[0]["metadata"]["kmmodel_summary"]
