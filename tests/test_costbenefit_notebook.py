"""notebooks/03_cost_benefit.ipynb: stored clean, and it runs with no warnings printed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / "notebooks" / "03_cost_benefit.ipynb"


def test_notebook_is_stored_clean_with_one_parameters_cell():
    nb = json.loads(NB.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert "".join(nb["cells"][0]["source"]).startswith("# ")
    assert [c["id"] for c in nb["cells"]] == [
        f"cell-{i:02d}" for i in range(1, len(nb["cells"]) + 1)
    ]
    assert "nb.summary(" in "".join(code[-1]["source"])
    text = "\n".join("".join(c["source"]) for c in nb["cells"])
    assert "synthetic" in text.lower()


@pytest.mark.slow
def test_notebook_runs_without_warnings(tmp_path):
    import papermill as pm

    out = tmp_path / "03.ipynb"
    env_path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = env_path
    try:
        pm.execute_notebook(
            str(NB), str(out), kernel_name="python3", progress_bar=False, cwd=str(tmp_path)
        )
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old
    nb = json.loads(out.read_text(encoding="utf-8"))
    streams = [
        o
        for c in nb["cells"]
        if c["cell_type"] == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stderr"
    ]
    assert not streams, streams
    last = nb["cells"][-1]["outputs"]
    assert any("kmmodel_summary" in o.get("metadata", {}) for o in last)
