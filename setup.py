"""Build step that ships the repository's ``data/`` folder inside the package.

All metadata lives in ``pyproject.toml``; this file only adds one step to
``build_py``: copy ``data/`` (the shipped example data sets, schemes and their
README) into the built package as ``kmmodel/_data/``, so that a non-editable install
(``pip install .``) finds them from any working directory. In the repository the
data stay in the top-level ``data/`` folder, where :func:`kmmodel.paths.data_dir`
finds them first; no symlink and no second copy is kept in git.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DATA = Path(__file__).resolve().parent / "data"
SUFFIXES = {".csv", ".yaml", ".yml", ".xlsx", ".md"}


class BuildPyWithData(build_py):
    """``build_py`` plus a copy of ``data/`` to ``<build_lib>/kmmodel/_data/``."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads data/ in place
            return
        target = Path(self.build_lib) / "kmmodel" / "_data"
        if target.exists():
            shutil.rmtree(target)
        for src in sorted(DATA.rglob("*")):
            if src.is_file() and src.suffix in SUFFIXES:
                dst = target / src.relative_to(DATA)
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)


setup(cmdclass={"build_py": BuildPyWithData})
