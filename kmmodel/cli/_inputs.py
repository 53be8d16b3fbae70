"""Inputs and outputs of the CLI commands: one reader and one writer for all of them.

A table argument is a file (``.csv`` / ``.xlsx``, read by :func:`kmmodel.io.read_table`
with its encoding, separator and row rules) or the name of a shipped data set. Output
paths go through :func:`kmmodel.io.check_outputs` before any work starts and are written
together by :func:`kmmodel.io.write_outputs` (all or none; never into ``data/``).
"""

from __future__ import annotations

from pathlib import Path

from kmmodel import io as kio
from kmmodel.errors import DataError

__all__ = ["check_outputs", "read_input", "write_outputs"]

check_outputs = kio.check_outputs


def _looks_like_file(arg: str) -> bool:
    path = Path(arg)
    return path.suffix != "" or path.exists() or any(s in arg for s in ("/", "\\"))


def read_input(arg: str, what: str, *, text=True):
    """A file path or a shipped data-set name -> ``(DataFrame, source)``.

    ``what`` names the argument in messages (``"observations"``, ``"--shocks"``);
    ``text`` is passed to :func:`kmmodel.io.read_table`.
    """
    from kmmodel import datasets

    if _looks_like_file(arg):
        return kio.read_table(arg, what=what.lstrip("-"), text=text), str(Path(arg))
    if arg in datasets.names():
        return datasets.load(arg), f"data set {arg}"
    raise DataError(
        f"{arg!r} is neither a .csv/.xlsx file nor a shipped data set "
        f"({', '.join(datasets.names())})",
        source=what,
    )


def write_outputs(outputs) -> None:
    """Write ``{path: DataFrame}`` (all or none) and say what was written."""
    for path in kio.write_outputs({p: d for p, d in outputs.items() if p is not None}):
        print(f"wrote {path}")
