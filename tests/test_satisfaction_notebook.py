"""notebooks/04_satisfaction.ipynb: stored clean, one parameters cell, runs without warnings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / "notebooks" / "04_satisfaction.ipynb"


def test_notebook_is_stored_clean():
    nb = json.loads(NB.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert nb["cells"][0]["cell_type"] == "markdown" and "synthetic" in "".join(
        nb["cells"][0]["source"]
    )
    assert "nb.summary(" in "".join(code[-1]["source"])
    assert [c["id"] for c in nb["cells"]] == [
        f"cell-{i:02d}" for i in range(1, len(nb["cells"]) + 1)
    ]


@pytest.mark.slow
def test_notebook_runs_without_warnings(tmp_path):
    pytest.importorskip("papermill")
    out = tmp_path / "04.ipynb"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "default"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            str(NB),
            str(out),
            "-k",
            "python3",
            "-p",
            "n_boot",
            "50",
            "--log-level",
            "ERROR",
        ],
        check=True,
        env=env,
        cwd=tmp_path,
        capture_output=True,
    )
    nb = json.loads(out.read_text(encoding="utf-8"))
    streams = [
        o
        for c in nb["cells"]
        if c["cell_type"] == "code"
        for o in c["outputs"]
        if o.get("name") == "stderr"
    ]
    assert not streams, streams
    summary = [o for o in nb["cells"][-1]["outputs"] if "kmmodel_summary" in o.get("metadata", {})]
    assert summary and "index" in summary[0]["metadata"]["kmmodel_summary"]
