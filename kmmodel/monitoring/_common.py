"""Shared pieces of the distortion checks: robust z-scores, column checks, flag tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmmodel import tables
from kmmodel.errors import DataError, Problems, rows_phrase

# every check's flags, in one tidy shape (see :func:`kmmodel.monitoring.quality.screen`)
FLAG_COLUMNS = ["unit", "check", "item", "statistic", "score", "score_kind", "flag", "reason"]

# 1 / Phi^-1(3/4): makes the MAD a consistent estimate of a normal standard deviation
MAD_SCALE = 1.482602218505602
# sqrt(pi / 2): same for the mean absolute deviation (used when the MAD is zero)
MEANAD_SCALE = 1.2533141373155001


def require_columns(df, columns, source: str) -> None:
    """Raise DataError naming every missing column (and a non-DataFrame input)."""
    tables.columns(df, list(columns), Problems(source=source))


def numeric_column(df: pd.DataFrame, col: str, source: str, probs: Problems | None = None):
    """A column as float, adding a problem listing rows that are missing or not numbers."""
    v = pd.to_numeric(df[col], errors="coerce").astype(float)
    bad = ~np.isfinite(v.to_numpy())
    own = probs is None
    if own:
        probs = Problems(source=source)
    if bad.any():
        pos = np.flatnonzero(bad)
        seen = df[col].iloc[pos[:3]].tolist()
        got = ", ".join("empty" if pd.isna(x) else repr(x) for x in seen)
        more = ", ..." if len(pos) > 3 else ""
        probs.add(
            f"expected finite numbers in {rows_phrase(pos)} (got {got}{more})", f"column {col}"
        )
    if own:
        probs.raise_if_any(DataError)
    return v


def _key_of(cols: list) -> np.ndarray:
    from kmmodel.monitoring.feed import group_key

    frame = pd.DataFrame({f"k{i}": np.asarray(c) for i, c in enumerate(cols)})
    return group_key(frame, list(frame.columns))


def robust_z(values, groups=None) -> np.ndarray:
    """Modified z-scores ``(x - median) / (1.4826 MAD)`` within groups (vectorised).

    ``groups``: None (one group), an integer key array, or a list of key columns.

    When a group's MAD is zero, the mean absolute deviation (x 1.2533) is used instead;
    when that is zero too, values equal to the median get 0 and others +-inf.

    References
    ----------
    .. [1] Iglewicz, B. and Hoaglin, D. C. (1993). *How to Detect and Handle Outliers*.
       ASQC Quality Press (modified z-score, cut-off 3.5).
    """
    x = pd.Series(np.asarray(values, dtype=float))
    if isinstance(groups, list):
        groups = _key_of(groups) if groups else None
    if groups is not None:
        key = np.asarray(groups)
        g = x.groupby(key, sort=False)
        med = g.transform("median")
        dev = (x - med).abs()
        gd = dev.groupby(key, sort=False)
        mad = gd.transform("median")
        meanad = gd.transform("mean")
    else:
        med = pd.Series(np.median(x), index=x.index)
        dev = (x - med).abs()
        mad = pd.Series(np.median(dev), index=x.index)
        meanad = pd.Series(np.mean(dev), index=x.index)
    scale = np.where(mad > 0, MAD_SCALE * mad, MEANAD_SCALE * meanad)
    diff = (x - med).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(scale > 0, diff / np.where(scale > 0, scale, 1.0), np.sign(diff) * np.inf)
    return np.where(diff == 0, 0.0, z)


def flags_frame(**cols) -> pd.DataFrame:
    """Build a flag table with :data:`FLAG_COLUMNS` (scalars broadcast)."""
    n = max((len(v) for v in cols.values() if np.ndim(v) > 0), default=0)
    out = pd.DataFrame({k: (v if np.ndim(v) > 0 else [v] * n) for k, v in cols.items()})
    out = out[FLAG_COLUMNS]
    return out.astype(
        {"unit": "string", "check": "string", "item": "string", "reason": "string", "flag": bool}
    )
