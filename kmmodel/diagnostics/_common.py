"""What every diagnostic reads: the scheme's structure and one scoring of the units.

The diagnostics use the scoring engine through its public interface only
(:func:`kmmodel.score`, :meth:`ScoreResult.achievement`, ``Scheme.weights`` /
``.indicators`` / ``.dimensions``), so they describe the scheme exactly as it scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, SchemeError

__all__ = ["MIN_UNITS", "Inputs", "prepare"]

#: fewest units for which a correlation (and so any diagnostic here) means anything
MIN_UNITS = 3


@dataclass(frozen=True, eq=False)
class Inputs:
    """One scoring of the units and the scheme's structure, aligned by unit id.

    Attributes
    ----------
    scheme : Scheme
    base : ScoreResult
        ``km.score(scheme, observations, ...)``.
    observations : DataFrame
        The observations scored (long: unit, indicator, value).
    A : DataFrame
        Units (sorted ids) x scored indicators: achievement [share 0-1]; NaN where an
        observation was left out under the ``rescale`` policy.
    dimension_of : Series
        Scored indicator id -> dimension id.
    points : Series
        Scored indicator id -> points [points].
    dim_points : Series
        Dimension id -> points [points] (dimensions with scored indicators only).
    D : DataFrame
        Units x dimensions: dimension score / dimension points [share 0-1] as scored.
    total : Series
        Unit -> total [points] as scored (vetoes, bonus/penalty and bounds included).
    group : Series
        Unit -> ranking group.
    rank : Series
        Unit -> rank within the group (1 = best).
    """

    scheme: object
    base: object
    observations: pd.DataFrame
    A: pd.DataFrame
    dimension_of: pd.Series
    points: pd.Series
    dim_points: pd.Series
    D: pd.DataFrame
    total: pd.Series
    group: pd.Series
    rank: pd.Series
    units: object = None

    @property
    def n_units(self) -> int:
        return len(self.A)

    @property
    def dimensions(self) -> list[str]:
        return list(self.dim_points.index)

    def indicators_of(self, dim: str) -> list[str]:
        return list(self.dimension_of.index[self.dimension_of == dim])


def prepare(scheme, observations, *, units=None, missing=None, source="observations") -> Inputs:
    """Score once and line up everything the diagnostics need.

    Raises
    ------
    SchemeError
        ``scheme`` is not a scheme, or has no scored indicator.
    DataError
        The observations fail :func:`kmmodel.score`'s checks (every problem at once),
        or fewer than :data:`MIN_UNITS` units were scored.
    """
    from kmmodel.scoring import score

    if not (hasattr(scheme, "weights") and hasattr(scheme, "indicators")):
        raise SchemeError(
            f"expected a Scheme (from km.load_scheme), got {type(scheme).__name__}", source=source
        )
    base = score(scheme, observations, units=units, missing=missing, source=source)
    A = base.achievement().sort_index()
    A.index = A.index.astype(str)
    ind = scheme.indicators
    scored = ind[ind["kind"] == "score"].set_index("id")
    dimension_of = scored["dimension"].astype(str)
    points = scored["points"].astype(float)
    dims = scheme.dimensions.set_index("id")["points"].astype(float)
    dims = dims[[d for d in dims.index if (dimension_of == d).any()]]
    t = base.table.set_index("unit").reindex(A.index)
    if len(A) < MIN_UNITS:
        raise DataError(
            f"scheme diagnostics need at least {MIN_UNITS} units (a correlation of 2 points is "
            f"always ±1), got {len(A)}",
            source=source,
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        D = t[list(dims.index)].astype(float) / dims.where(dims > 0)
    return Inputs(
        scheme=scheme,
        base=base,
        observations=observations,
        A=A[list(points.index)].astype(float),
        dimension_of=dimension_of,
        points=points,
        dim_points=dims,
        D=D,
        total=t["total"].astype(float),
        group=t["group"].astype(str),
        rank=t["rank"].astype(int),
        units=units,
    )


def constant_columns(X: pd.DataFrame, tol: float = 1e-12) -> list[str]:
    """Columns whose observed values do not vary (or have fewer than 2 values)."""
    sd = X.std(ddof=1)
    n = X.notna().sum()
    return [c for c in X.columns if not (n[c] >= 2 and sd[c] > tol)]


def rank_shift(base_rank: pd.Series, new_rank: pd.Series) -> pd.Series:
    """Places moved up (positive) from ``base_rank`` to ``new_rank``, aligned by unit."""
    return (base_rank - new_rank.reindex(base_rank.index)).astype(int)
