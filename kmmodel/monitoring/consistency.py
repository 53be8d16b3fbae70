"""Two sources of the same quantity: self-reported vs third-party (audit, platform) data.

For each matched pair the relative difference ``(self - other) / other`` is compared
with a tolerance; a robust p-value says how unusual the difference is against the spread
of all pairs (measurement noise estimated with the median absolute deviation).

References
----------
.. [1] Bland, J. M. and Altman, D. G. (1986). Statistical methods for assessing
   agreement between two methods of clinical measurement. *The Lancet* 327(8476),
   307-310 (differences between two measurements of one quantity, limits of agreement).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems, rows_phrase
from kmmodel.monitoring._common import MAD_SCALE, flags_frame, numeric_column, require_columns

__all__ = ["ConsistencyResult", "consistency", "consistency_flags"]


@dataclass(frozen=True)
class ConsistencyResult:
    """Result of :func:`consistency`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per matched pair: keys, reported, other, rel_diff [share], z, p_value,
        flag, reason.
    unmatched : pandas.DataFrame
        Keys present in only one source, with ``missing_in``.
    tolerance : float
        Allowed relative difference [share 0-1].
    noise_sd : float
        Robust standard deviation of the relative differences [share 0-1].
    """

    table: pd.DataFrame
    unmatched: pd.DataFrame
    tolerance: float
    noise_sd: float

    @property
    def flagged(self) -> pd.DataFrame:
        t = self.table[self.table["flag"]]
        return t.iloc[np.argsort(-np.abs(t["rel_diff"].to_numpy()), kind="stable")].reset_index(
            drop=True
        )


def consistency(
    reported: pd.DataFrame,
    other: pd.DataFrame,
    on=("unit", "indicator", "year"),
    reported_value: str = "value",
    other_value: str = "value",
    tolerance: float = 0.03,
) -> ConsistencyResult:
    """Compare two sources of the same quantities.

    Parameters
    ----------
    reported : pandas.DataFrame
        Self-reported figures: the ``on`` keys and ``reported_value`` [yuan].
    other : pandas.DataFrame
        The independent source (third party): ``on`` keys and ``other_value`` [yuan].
    on : sequence of str
        Key columns identifying a quantity; each key must appear once per source.
    reported_value, other_value : str
        Value columns.
    tolerance : float
        Flag pairs with ``|reported - other| / other > tolerance`` [share 0-1].

    Returns
    -------
    ConsistencyResult

    Raises
    ------
    DataError
        Missing columns, duplicate keys, non-numbers or non-positive third-party values
        (rows listed for each source), no matching pair.
    """
    on = list(on)
    require_columns(reported, [*on, reported_value], source="reported")
    require_columns(other, [*on, other_value], source="other source")
    if not tolerance >= 0:
        raise DataError(f"tolerance must be >= 0, got {tolerance!r}", source="consistency")
    for df, col, name in (
        (reported, reported_value, "reported"),
        (other, other_value, "other source"),
    ):
        probs = Problems(source=name)
        v = numeric_column(df, col, name, probs)
        dup = df.duplicated(on, keep=False).to_numpy()
        if dup.any():
            probs.add(f"duplicate keys {on} in {rows_phrase(np.flatnonzero(dup))}")
        if name == "other source":
            nonpos = (v <= 0).to_numpy()
            if nonpos.any():
                probs.add(
                    f"values must be > 0 in {rows_phrase(np.flatnonzero(nonpos))}", f"column {col}"
                )
        probs.raise_if_any(DataError)
    a = reported[[*on, reported_value]].rename(columns={reported_value: "reported"})
    b = other[[*on, other_value]].rename(columns={other_value: "other"})
    a = a.astype({c: str for c in on})
    b = b.astype({c: str for c in on})
    m = a.merge(b, on=on, how="outer", indicator=True)
    unmatched = m[m["_merge"] != "both"][on].assign(
        missing_in=np.where(
            m.loc[m["_merge"] != "both", "_merge"] == "left_only", "other source", "reported"
        )
    )
    t = m[m["_merge"] == "both"].drop(columns="_merge").reset_index(drop=True)
    if t.empty:
        raise DataError(f"no quantity appears in both sources (keys {on})", source="consistency")
    from scipy import stats

    t["reported"] = t["reported"].astype(float)
    t["other"] = t["other"].astype(float)
    rel = (t["reported"] - t["other"]) / t["other"]
    med = float(np.median(rel))
    sd = float(MAD_SCALE * np.median(np.abs(rel - med)))
    t["rel_diff"] = rel
    t["z"] = (rel - med) / sd if sd > 0 else np.where(rel == med, 0.0, np.inf)
    t["p_value"] = 2 * stats.norm.sf(np.abs(t["z"]))
    t["flag"] = np.abs(rel) > tolerance
    t["reason"] = np.where(
        t["flag"],
        "self-reported "
        + np.char.mod("%+.1f%%", 100 * rel.to_numpy())
        + " vs third party (tolerance "
        + f"{tolerance:.0%}"
        + ", robust z "
        + np.char.mod("%.1f", t["z"].to_numpy())
        + ")",
        "within tolerance",
    )
    return ConsistencyResult(t, unmatched.reset_index(drop=True), tolerance, sd)


def consistency_flags(res: ConsistencyResult) -> pd.DataFrame:
    """Flagged pairs in the common flag format (needs ``unit`` among the keys)."""
    t = res.flagged
    keys = [
        c
        for c in t.columns
        if c not in {"unit", "reported", "other", "rel_diff", "z", "p_value", "flag", "reason"}
    ]
    item = (
        t[keys].astype(str).agg(" ".join, axis=1) if keys and len(t) else pd.Series([""] * len(t))
    )
    return flags_frame(
        unit=t["unit"].astype(str).to_numpy(),
        check="consistency",
        item=item.to_numpy(),
        statistic=t["rel_diff"].to_numpy(),
        score=t["p_value"].to_numpy(),
        score_kind="p-value",
        flag=True,
        reason=t["reason"].to_numpy(),
    )
