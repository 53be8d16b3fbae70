"""The examples layer: the shipped example data as the defaults of the domain functions.

The domain packages (:mod:`~kmmodel.scheme`, :mod:`~kmmodel.scoring`,
:mod:`~kmmodel.allocation`, :mod:`~kmmodel.costbenefit`, :mod:`~kmmodel.satisfaction`,
:mod:`~kmmodel.correction`, :mod:`~kmmodel.monitoring`, :mod:`~kmmodel.uncertainty`)
take their data as arguments and never read the shipped files. Where a call is
meant to run on the Kunming example, this module supplies the data: the shipped
schemes (:func:`scheme_path`, :func:`scheme`), the example units with their ranking
groups and Chinese names (:func:`units`, :func:`unit_names`), the inputs of a
correction study (:func:`correction_inputs`) and :func:`score`, which is
``km.score``: the engine's :func:`kmmodel.scoring.score` with the example units'
ranking groups filled in when every unit scored is an example unit.

The CLI and the notebooks resolve their defaults here; :mod:`kmmodel.datasets` (names
and loading) and :mod:`kmmodel.catalog` (the declarations) belong to the same layer.
The files are found by :func:`kmmodel.paths.data_dir`: ``data/`` in a checkout, the
copy inside the package in a non-editable install.

Examples
--------
>>> import kmmodel as km
>>> km.examples.scheme_names()
['kunming_2025', 'mof_project_evaluation']
>>> s = km.load_scheme(km.examples.scheme_path("kunming_2025"), year=2025)
>>> res = km.score(s, km.datasets.load("observations_2025"))
>>> sorted(res.table["group"].unique())
['county_level', 'development_zone']
>>> km.examples.unit_names()["wuhua"]
'五华区'
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from kmmodel import datasets
from kmmodel.errors import DataError, SchemeError
from kmmodel.paths import data_dir
from kmmodel.scheme import load_scheme
from kmmodel.scoring import score as _engine_score

__all__ = [
    "correction_inputs",
    "data_dir",
    "diagnose",
    "ranking_units",
    "scheme",
    "scheme_names",
    "scheme_path",
    "score",
    "unit_names",
    "units",
]

_SCHEME_SUFFIXES = (".yaml", ".yml", ".xlsx")


def scheme_names() -> list[str]:
    """Names of the shipped schemes in ``data/schemes/`` (sorted, without suffix)."""
    folder = data_dir() / "schemes"
    return sorted({p.stem for p in folder.iterdir() if p.suffix in _SCHEME_SUFFIXES})


def scheme_path(name: str = "kunming_2025", suffix: str = ".yaml") -> Path:
    """Path of a shipped scheme file [path], for :func:`kmmodel.load_scheme`.

    Parameters
    ----------
    name : str
        One of :func:`scheme_names` (``kunming_2025``, ``mof_project_evaluation``).
    suffix : {".yaml", ".xlsx"}
        Which form of the scheme (``mof_project_evaluation`` is shipped in both).

    Raises
    ------
    SchemeError
        No shipped scheme of that name and form (the shipped ones are listed).
    """
    folder = data_dir() / "schemes"
    path = folder / f"{name}{suffix}"
    if not path.is_file():
        have = sorted(p.name for p in folder.iterdir() if p.suffix in _SCHEME_SUFFIXES)
        raise SchemeError(
            f"no shipped scheme {name!r} as {suffix}; expected one of {have}", source=str(folder)
        )
    return path


def scheme(name: str = "kunming_2025", year: int | None = None):
    """A shipped scheme, loaded: ``km.load_scheme(scheme_path(name), year=year)``.

    Parameters
    ----------
    name : str
        One of :func:`scheme_names`.
    year : int, optional
        The year whose targets apply (schemes with targets by year).
    """
    return load_scheme(scheme_path(name), year=year)


def units() -> pd.DataFrame:
    """The example units (``km.datasets.load("units")``): unit, name_zh, name_en, kind, group."""
    return datasets.load("units")


@cache
def _shared_units() -> pd.DataFrame:
    """The example units, read once per process (:func:`ranking_units` hands out copies)."""
    return units()


def unit_names(lang: str = "zh") -> pd.Series:
    """Display names of the example units, indexed by unit id (``lang``: ``zh`` or ``en``).

    For chart labels, e.g. ``kmmodel.scoring.plots.dimension_bars(res, names=unit_names())``.
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    u = units()
    return pd.Series(u[f"name_{lang}"].to_numpy(dtype=object), index=u["unit"].astype(str))


def ranking_units(scheme, observations, source: str = "observations") -> pd.DataFrame | None:
    """The example units when every unit observed is one of them (else None).

    The default ``units`` of :func:`score`, and of the CLI commands that rank units.

    Raises
    ------
    DataError
        Some units are example units and others are not: their ranking groups are
        unknown, so ``units=`` must be given.
    """
    if not isinstance(observations, pd.DataFrame) or "unit" not in observations.columns:
        return None  # the engine names what is wrong with the table
    ref = _shared_units()
    if scheme.spec.rank_by not in ref.columns:
        return None
    ids = np.asarray(pd.unique(observations["unit"].dropna()), dtype=object).astype(str)
    known = np.isin(ids, ref["unit"].to_numpy(dtype=str))
    if known.all():
        return ref.copy()
    if known.any():
        raise DataError(
            f"unknown unit id(s) {sorted(ids[~known].tolist())[:10]}: some units are example "
            "units, these are not (pass units= with their ranking groups)",
            source=source,
        )
    return None


def score(
    scheme,
    observations: pd.DataFrame,
    units: pd.DataFrame | None = None,
    missing: str | None = None,
    source: str = "observations",
):
    """``km.score``: :func:`kmmodel.scoring.score` with the example units as default.

    Parameters
    ----------
    scheme, observations, missing, source
        As for :func:`kmmodel.scoring.score`.
    units : DataFrame, optional
        ``unit`` and the scheme's ``rank_by`` column (ranking group). Default: the
        shipped ``units`` data set when every unit observed is an example unit (so the
        Kunming example ranks county-level divisions and development zones apart),
        otherwise one group for all units.

    Returns
    -------
    ScoreResult

    Raises
    ------
    DataError
        As for :func:`kmmodel.scoring.score`; also when only some units are example
        units and ``units`` is not given.
    """
    if units is None:
        units = ranking_units(scheme, observations, source)
    return _engine_score(scheme, observations, units=units, missing=missing, source=source)


def diagnose(scheme, observations: pd.DataFrame, units: pd.DataFrame | None = None, **kwargs):
    """``km.diagnose``: :func:`kmmodel.diagnostics.diagnose` with the example units as default.

    ``units`` is resolved as in :func:`score` (the shipped ranking groups when every unit
    observed is an example unit), so ``rank`` rules and ranks agree with ``km.score``;
    every other keyword goes to :func:`kmmodel.diagnostics.diagnose`.
    """
    from kmmodel.diagnostics import diagnose as _diagnose

    if units is None and hasattr(scheme, "spec"):  # a non-scheme is named by diagnose itself
        units = ranking_units(scheme, observations, kwargs.get("source", "observations"))
    return _diagnose(scheme, observations, units=units, **kwargs)


def correction_inputs(year: int = 2025, scheme_name: str = "kunming_2025") -> dict:
    """The shipped inputs of :func:`kmmodel.correction.apply` for one assessment year.

    ``correction.apply(methods, **correction_inputs(2025))`` runs the methods on the
    example: the scheme for ``year`` and ``year - 1``, the observations of both years,
    the (synthetic) shocks and indicator sensitivities and the example units.

    Returns
    -------
    dict
        scheme, previous_scheme, observations, previous_observations, shocks,
        sensitivity, units.
    """
    return {
        "scheme": scheme(scheme_name, year=year),
        "previous_scheme": scheme(scheme_name, year=year - 1),
        "observations": datasets.load(f"observations_{year}"),
        "previous_observations": datasets.load(f"observations_{year - 1}"),
        "shocks": datasets.load("shocks"),
        "sensitivity": datasets.load("shock_sensitivity"),
        "units": units(),
    }
