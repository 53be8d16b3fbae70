"""Digit preference (heaping): too many reported figures ending in 0 or 5.

Figures estimated rather than counted are often rounded, so their last digit at the
reporting resolution (e.g. whole 万元 = 10,000 yuan) is 0 or 5 far more often than the
1 in 5 expected when figures are measured. The test compares the last-digit counts with a
uniform distribution (chi-square, 9 degrees of freedom) and reports the share of
preferred digits.

References
----------
.. [1] Preece, D. A. (1981). Distributions of final digits in data. *Journal of the
   Royal Statistical Society D (The Statistician)* 30(1), 31-60.
.. [2] Beber, B. and Scacco, A. (2012). What the numbers say: a digit-based test for
   election fraud. *Political Analysis* 20(2), 211-234 (last digits uniform under
   honest counting).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems
from kmmodel.monitoring._common import flags_frame, numeric_column, require_columns

__all__ = ["DigitResult", "digit_flags", "digit_preference", "last_digits"]


def _digit_counts(df: pd.DataFrame, by: list[str], digit: np.ndarray, k: int) -> pd.DataFrame:
    """Counts of ``digit`` (0..k-1) per group of ``by``: index = groups, columns 0..k-1."""
    if not by:
        c = np.bincount(digit, minlength=k)[None, :]
        return pd.DataFrame(c, index=pd.Index(["all"], name="group"), columns=range(k))
    from kmmodel.monitoring.feed import group_key

    _, first, inv = np.unique(group_key(df, by), return_index=True, return_inverse=True)
    c = np.bincount(inv * k + digit, minlength=len(first) * k).reshape(len(first), k)
    idx = pd.MultiIndex.from_frame(df[by].iloc[first].reset_index(drop=True))
    if len(by) == 1:
        idx = idx.get_level_values(0)
    return pd.DataFrame(c, index=idx, columns=range(k))


def last_digits(values, resolution: float = 1.0) -> np.ndarray:
    """Last digit of ``values`` expressed in units of ``resolution`` (vectorised).

    ``last_digits([123_450_000], 10_000) -> [5]`` (12,345 万元 ends in 5).
    """
    x = np.abs(np.asarray(values, dtype=float)) / resolution
    return (np.round(x).astype(np.int64) % 10).astype(np.int64)


@dataclass(frozen=True)
class DigitResult:
    """Result of :func:`digit_preference`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per group: the ``by`` columns, n, preferred_share [0-1], expected_share
        [0-1], chi2, p_value, flag, reason.
    counts : pandas.DataFrame
        Last-digit counts per group (columns 0-9).
    """

    table: pd.DataFrame
    counts: pd.DataFrame

    @property
    def flagged(self) -> pd.DataFrame:
        return self.table[self.table["flag"]].reset_index(drop=True)


def digit_preference(
    data: pd.DataFrame | np.ndarray | pd.Series,
    value: str | None = None,
    by: str | list[str] | None = None,
    resolution: float = 1.0,
    preferred=(0, 5),
    alpha: float = 0.001,
    min_n: int = 30,
) -> DigitResult:
    """Test last digits for preference (heaping) per group.

    Parameters
    ----------
    data : DataFrame, Series or array
        The figures; a DataFrame needs ``value`` (and ``by``).
    value : str, optional
        Column of figures [yuan].
    by : str or list of str, optional
        Groups tested separately (e.g. ``"unit"``).
    resolution : float
        Reporting resolution whose last digit is tested [yuan], e.g. 10,000 for 万元.
        Figures should be much larger than ``resolution`` for the last digit to be uniform.
    preferred : sequence of int
        Digits suspected of preference (default 0 and 5).
    alpha : float
        Flag when the chi-square p-value is below ``alpha`` **and** the preferred digits are
        over-represented [share 0-1].
    min_n : int
        Groups with fewer figures are not tested (flag False, said in the reason).

    Returns
    -------
    DigitResult
    """
    if isinstance(data, pd.DataFrame):
        if value is None:
            raise DataError("value: name the column of figures", source="digit_preference")
        by_cols = [by] if isinstance(by, str) else list(by or [])
        require_columns(data, [value, *by_cols], source="digit_preference")
        df = data
    else:
        by_cols = []
        df = pd.DataFrame({"value": np.asarray(data, dtype=float).ravel()})
        value = "value"
    probs = Problems(source="digit_preference")
    if not resolution > 0:
        probs.add(f"resolution must be > 0, got {resolution!r}", "argument resolution")
    pref = sorted({int(d) for d in preferred})
    if not pref or any(d < 0 or d > 9 for d in pref):
        probs.add(f"preferred digits must be in 0-9, got {preferred!r}", "argument preferred")
    x = numeric_column(df, value, "digit_preference", probs)
    probs.raise_if_any(DataError)
    from scipy import stats

    d = last_digits(x.to_numpy(), resolution)
    counts = _digit_counts(df, by_cols, d, 10)
    c = counts.to_numpy()
    n = c.sum(axis=1)
    chi2 = ((c - n[:, None] / 10) ** 2 / (n[:, None] / 10)).sum(axis=1)
    p = stats.chi2.sf(chi2, 9)
    share = c[:, pref].sum(axis=1) / n
    expected = len(pref) / 10
    enough = n >= min_n
    flag = enough & (p < alpha) & (share > expected)
    table = counts.index.to_frame(index=False)
    table["n"] = n
    table["preferred_share"] = share
    table["expected_share"] = expected
    table["chi2"] = chi2
    table["p_value"] = p
    table["flag"] = flag
    digs = "/".join(map(str, pref))
    table["reason"] = np.where(
        ~enough,
        "fewer than " + str(min_n) + " figures: not tested",
        np.char.mod("%.0f%%", 100 * share)
        + f" of {digs}-ending figures at resolution {resolution:g} vs {expected:.0%} expected "
        + "(chi-square p = "
        + np.char.mod("%.2g", p)
        + ")",
    )
    return DigitResult(table, counts.reset_index(drop=not by_cols))


def digit_flags(res: DigitResult, item: str = "reported figures") -> pd.DataFrame:
    """Flagged groups of a per-unit :func:`digit_preference` in the common flag format."""
    t = res.flagged
    return flags_frame(
        unit=t["unit"].astype(str).to_numpy(),
        check="digits",
        item=item,
        statistic=t["preferred_share"].to_numpy(),
        score=t["p_value"].to_numpy(),
        score_kind="p-value",
        flag=True,
        reason=t["reason"].to_numpy(),
    )
