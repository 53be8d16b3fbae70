"""The benchmark suite runs end to end (quick sizes) and writes its table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(p.stem[6:] for p in (ROOT / "benchmarks").glob("bench_*.py"))


@pytest.mark.slow
def test_every_benchmark_runs_quick_and_is_reported(tmp_path):
    out = tmp_path / "benchmarks.md"
    res = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    text = out.read_text(encoding="utf-8")
    for name in MODULES:
        assert f"| {name} |" in text and "FAILED" not in text
    # each module's table carries its comparison columns
    assert text.count("| case | measure | seconds |") == len(MODULES)
    assert "ratio" in text
