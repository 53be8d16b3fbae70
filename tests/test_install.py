"""A non-editable install finds the shipped data sets and schemes from any folder.

The repository keeps its data in the top-level ``data/``; the build step in
``setup.py`` copies it into the wheel as ``kmmodel/_data/``. This test builds and
installs the package the way a user does (``pip install .``, not editable; into a
target folder, without dependencies, with the test environment's setuptools so that
no network is needed) from a copy of the sources, then imports it from a folder
outside any checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("kmmodel", "data", "pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE")


def _copy_sources(dst: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=ignore)
        else:
            shutil.copy2(src, dst / name)


def test_pip_install_dot_finds_shipped_data_and_schemes_from_another_folder(tmp_path):
    src, site, elsewhere = tmp_path / "src", tmp_path / "site", tmp_path / "elsewhere"
    src.mkdir()
    elsewhere.mkdir()
    _copy_sources(src)
    build = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
        + ["--no-index", "--target", str(site), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    shipped = site / "kmmodel" / "_data"
    assert (shipped / "schemes" / "kunming_2025.yaml").is_file()
    # every file of data/ is in the package, byte for byte
    want = sorted(p.relative_to(ROOT / "data") for p in (ROOT / "data").rglob("*") if p.is_file())
    got = sorted(p.relative_to(shipped) for p in shipped.rglob("*") if p.is_file())
    assert got == want
    assert all((shipped / f).read_bytes() == (ROOT / "data" / f).read_bytes() for f in want)
    assert not (site / "data").exists()  # the data live inside the package, nowhere else
    script = textwrap.dedent(
        """
        import kmmodel as km
        print(km.__file__)
        print(km.datasets.load('units').shape)
        s = km.load_scheme(km.examples.scheme_path('kunming_2025'))
        print(s.id, float(s.dimensions['points'].sum()))
        print(km.score(s, km.datasets.load('observations_2025')).table.shape[0])
        print(km.paths.data_dir())
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in ("KMMODEL_ROOT", "PYTHONPATH")}
    env["PYTHONPATH"] = str(site)
    run = subprocess.run(
        [sys.executable, "-c", script],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    where, shape, scheme, scored, data = run.stdout.splitlines()
    assert Path(where).resolve().is_relative_to(site.resolve())  # the installed copy ran
    assert shape == "(18, 5)"
    assert scheme == "kunming_units 100.0"
    assert scored == "18"
    assert Path(data).resolve() == (site / "kmmodel" / "_data").resolve()


def test_data_dir_prefers_the_variable_then_the_checkout_then_the_installed_copy(
    tmp_path, monkeypatch
):
    from kmmodel import paths

    monkeypatch.delenv("KMMODEL_ROOT", raising=False)
    assert paths.data_dir() == ROOT / "data"  # a checkout: data/ beside the package
    # an installed package: no checkout above it, its own copy inside
    site = tmp_path / "site" / "kmmodel"
    (site / "_data").mkdir(parents=True)
    monkeypatch.setattr(paths, "__file__", str(site / "paths.py"))
    monkeypatch.setattr(paths, "_PACKAGE_DATA", site / "_data")
    assert paths.data_dir() == site / "_data"
    # KMMODEL_ROOT wins over both
    other = tmp_path / "other"
    (other / "data").mkdir(parents=True)
    monkeypatch.setenv("KMMODEL_ROOT", str(other))
    assert paths.data_dir() == (other / "data").resolve()
