"""Where the project's folders are, from any working directory.

Notebooks and code call :func:`data_dir` / :func:`reports_dir` instead of building
paths from the current directory. The root is, in order: the ``KMMODEL_ROOT``
environment variable; the folder above the installed package when it holds
``data/`` (an editable install or a checkout); the nearest parent of the working
directory that holds ``pyproject.toml`` and ``data/``.

The shipped data have one more home: a non-editable install (``pip install .``)
carries a copy of the repository's ``data/`` inside the package as
``kmmodel/_data/`` (copied by the build step in ``setup.py``). :func:`data_dir`
uses it when there is no ``KMMODEL_ROOT`` and the package does not sit in a
checkout, so ``km.datasets.load`` and ``km.examples.scheme_path`` work from any
working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

from kmmodel.errors import DataError

__all__ = ["data_dir", "notebooks_dir", "project_root", "reports_dir"]


def _is_root(path: Path) -> bool:
    return (path / "data").is_dir() and (path / "pyproject.toml").is_file()


def project_root() -> Path:
    """Return the project root folder [path].

    Raises
    ------
    DataError
        When no folder with ``data/`` and ``pyproject.toml`` is found.
    """
    env = os.environ.get("KMMODEL_ROOT")
    if env:
        root = Path(env).expanduser().resolve()
        if not (root / "data").is_dir():
            raise DataError(f"KMMODEL_ROOT={env} has no data/ folder")
        return root
    here = Path(__file__).resolve().parent.parent
    if _is_root(here):
        return here
    cwd = Path.cwd().resolve()
    for cand in (cwd, *cwd.parents):
        if _is_root(cand):
            return cand
    raise DataError(
        "cannot find the kmmodel project folder (one holding data/ and pyproject.toml); "
        "run from inside the checkout or set KMMODEL_ROOT"
    )


_PACKAGE_DATA = Path(__file__).resolve().parent / "_data"


def data_dir() -> Path:
    """The shipped input data folder ``data/`` (read-only for runs) [path].

    ``KMMODEL_ROOT/data`` when that variable is set; else the checkout's ``data/``
    beside the package; else the copy inside an installed package
    (``kmmodel/_data``); else ``data/`` of the project folder found from the
    working directory.

    Raises
    ------
    DataError
        When none of these exists.
    """
    if not os.environ.get("KMMODEL_ROOT"):
        here = Path(__file__).resolve().parent.parent
        if not _is_root(here) and _PACKAGE_DATA.is_dir():
            return _PACKAGE_DATA
    return project_root() / "data"


def notebooks_dir() -> Path:
    """The scenario notebooks folder ``notebooks/``."""
    return project_root() / "notebooks"


def reports_dir() -> Path:
    """Default output folder ``reports/`` (git-ignored); not created here."""
    return project_root() / "reports"
