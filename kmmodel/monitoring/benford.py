"""Benford's law tests: first digit and first two digits, chi-square and Nigrini's MAD.

Benford's law gives the share of numbers whose leading digit(s) are ``d`` as
``log10(1 + 1/d)``. Data that span several orders of magnitude and arise from
multiplicative processes (payments, invoices, populations) follow it closely;
invented or tampered figures often do not. Nigrini's mean absolute deviation (MAD)
between observed and expected digit shares does not grow with the sample size,
unlike the chi-square statistic, so it is the recommended conformity measure for
large data sets; the chi-square p-value is reported beside it.

References
----------
.. [1] Nigrini, M. J. (2012). *Benford's Law: Applications for Forensic Accounting,
   Auditing, and Fraud Detection*. Wiley. Table 7.1 (MAD conformity ranges).
.. [2] Drake, P. D. and Nigrini, M. J. (2000). Computer assisted analytical
   procedures using Benford's Law. *Journal of Accounting Education* 18, 127-146.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems
from kmmodel.tables import require

__all__ = [
    "MAD_BANDS",
    "BenfordResult",
    "benford",
    "benford_by",
    "expected_shares",
    "leading_digits",
    "mad_band",
]

# Nigrini (2012), Table 7.1: upper MAD limits of "close conformity", "acceptable
# conformity" and "marginally acceptable conformity"; above the last: "nonconformity".
MAD_BANDS: dict[int, tuple[float, float, float]] = {
    1: (0.006, 0.012, 0.015),  # first digit
    2: (0.0012, 0.0018, 0.0022),  # first two digits
}
BAND_NAMES = ("close conformity", "acceptable conformity", "marginally acceptable", "nonconformity")
_DIGITS_NAME = {1: "first digit", 2: "first two digits"}


def _check_digits(digits: int) -> None:
    if digits not in MAD_BANDS:
        raise DataError(f"digits must be 1 (first digit) or 2 (first two digits), got {digits!r}")


def expected_shares(digits: int = 1) -> pd.Series:
    """Benford shares of each leading-digit value [share 0-1].

    Parameters
    ----------
    digits : {1, 2}
        1: first digit 1-9; 2: first two digits 10-99.

    Examples
    --------
    >>> round(float(expected_shares(1)[1]), 5)  # log10(2)
    0.30103
    """
    _check_digits(digits)
    d = np.arange(10 ** (digits - 1), 10**digits)
    return pd.Series(np.log10(1.0 + 1.0 / d), index=pd.Index(d, name="digit"), name="expected")


def leading_digits(values: np.ndarray, digits: int = 1) -> np.ndarray:
    """Leading ``digits`` of positive finite numbers (vectorised) [integer].

    ``1234.5 -> 1`` (digits=1) or ``12`` (digits=2); ``0.0456 -> 4`` or ``45``.
    Values are first rounded to 12 significant digits, so binary representation noise
    (``0.29999999999999999``) does not change a digit.
    """
    _check_digits(digits)
    x = np.asarray(values, dtype=float)
    exp = np.floor(np.log10(x))
    mant = x / 10.0**exp  # in [1, 10) up to rounding
    mant = np.round(mant, 11)
    exp = np.where(mant >= 10.0, exp + 1, exp)
    mant = np.where(mant >= 10.0, mant / 10.0, mant)
    mant = np.where(mant < 1.0, mant * 10.0, mant)
    return np.floor(mant * 10 ** (digits - 1) + 1e-9).astype(np.int64)


def mad_band(mad: float | np.ndarray, digits: int = 1):
    """Nigrini's conformity band of a MAD value (vectorised; see :data:`MAD_BANDS`)."""
    _check_digits(digits)
    idx = np.searchsorted(np.asarray(MAD_BANDS[digits]), np.asarray(mad), side="left")
    names = np.asarray(BAND_NAMES, dtype=object)[idx]
    return names if np.ndim(mad) else str(names)


@dataclass(frozen=True)
class BenfordResult:
    """Result of :func:`benford`.

    Attributes
    ----------
    digits : int
        1 (first digit) or 2 (first two digits).
    n : int
        Number of values tested (positive, at least ``min_value``).
    n_excluded : int
        Values left out (zero, negative, or below ``min_value``).
    mad : float
        Mean absolute deviation between observed and expected shares [share 0-1].
    band : str
        Nigrini's conformity band of ``mad``.
    conforms : bool
        ``mad`` is within Nigrini's bands (not "nonconformity").
    chi2 : float
        Pearson chi-square statistic against the Benford counts.
    dof : int
        Degrees of freedom (8 for first digits, 89 for first two).
    p_value : float
        Chi-square p-value (small: the digits differ from Benford's law).
    table : pandas.DataFrame
        One row per digit value: digit, count, observed, expected, deviation, z.
    """

    digits: int
    n: int
    n_excluded: int
    mad: float
    band: str
    conforms: bool
    chi2: float
    dof: int
    p_value: float
    table: pd.DataFrame

    def summary(self) -> str:
        """One sentence: sample, MAD and band, chi-square p-value."""
        return (
            f"Benford {_DIGITS_NAME[self.digits]} test on {self.n} values: MAD {self.mad:.4f} "
            f"({self.band}), chi-square {self.chi2:.1f} on {self.dof} df, p = {self.p_value:.3g}"
        )


def _as_values(values, source: str) -> np.ndarray:
    if isinstance(values, (pd.Series, pd.Index)):
        raw = pd.Series(values)
        num = pd.to_numeric(raw, errors="coerce")
        text = np.flatnonzero(raw.notna().to_numpy() & num.isna().to_numpy())
        if text.size:
            shown = ", ".join(f"{int(p)} ({raw.iloc[p]!r})" for p in text[:5])
            more = f" and {text.size - 5} more" if text.size > 5 else ""
            raise DataError(f"expected numbers; not a number at positions {shown}{more}", source)
        values = num.to_numpy(dtype=float, na_value=np.nan)
    try:
        x = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise DataError(f"expected numbers, got {exc}", source=source) from None
    bad = ~np.isfinite(x)
    if bad.any():
        pos = np.flatnonzero(bad)
        shown = ", ".join(str(int(p)) for p in pos[:10])
        more = f" and {len(pos) - 10} more" if len(pos) > 10 else ""
        raise DataError(
            f"expected finite numbers; missing or infinite at positions {shown}{more}",
            source=source,
        )
    return x


def benford(values, digits: int = 1, min_value: float = 0.0) -> BenfordResult:
    """Test whether the leading digits of ``values`` follow Benford's law.

    Parameters
    ----------
    values : array-like of float
        Amounts, e.g. payments [yuan]. Zero and negative values (and values below
        ``min_value``) are left out and counted in ``n_excluded``.
    digits : {1, 2}
        Test the first digit (1-9) or the first two digits (10-99).
    min_value : float
        Leave out values below this [same unit as values]; Nigrini suggests 10 for
        amounts, since small numbers carry few digits.

    Returns
    -------
    BenfordResult
        ``.mad``, ``.band``, ``.conforms`` (Nigrini's MAD bands), ``.chi2``, ``.p_value``
        and ``.table`` of observed vs expected shares.

    Raises
    ------
    DataError
        Missing or infinite values (positions listed), no positive value to test,
        or ``digits`` not 1 or 2.

    Notes
    -----
    ``conforms`` follows Nigrini's MAD bands [1]_, which are meant for large samples
    (about 1,000 values or more): for a conforming sample the expected MAD is roughly
    ``0.23 / sqrt(n)`` for first digits, so below a few hundred values a clean sample can
    fall outside the bands by chance. For small samples use ``p_value``.

    References
    ----------
    .. [1] Nigrini, M. J. (2012). *Benford's Law*. Wiley, Table 7.1.

    Examples
    --------
    >>> import numpy as np
    >>> x = 10 ** np.random.default_rng(0).uniform(0, 5, 5000)
    >>> res = benford(x)
    >>> res.conforms, res.band
    (True, 'close conformity')
    """
    _check_digits(digits)
    x = _as_values(values, source="benford values")
    keep = x >= max(min_value, np.finfo(float).tiny)
    x = x[keep]
    if x.size == 0:
        raise DataError(
            f"no positive value at least {min_value} to test (got {keep.size} values)",
            source="benford values",
        )
    exp = expected_shares(digits)
    counts = np.bincount(leading_digits(x, digits) - exp.index[0], minlength=len(exp))
    return _result(counts, exp, digits, n_excluded=int((~keep).sum()))


def _result(counts: np.ndarray, exp: pd.Series, digits: int, n_excluded: int) -> BenfordResult:
    from scipy import stats

    n = int(counts.sum())
    obs = counts / n
    dev = obs - exp.to_numpy()
    mad = float(np.mean(np.abs(dev)))
    e_counts = n * exp.to_numpy()
    chi2 = float(np.sum((counts - e_counts) ** 2 / e_counts))
    dof = len(exp) - 1
    p = float(stats.chi2.sf(chi2, dof))
    se = np.sqrt(exp.to_numpy() * (1 - exp.to_numpy()) / n)
    table = pd.DataFrame(
        {
            "digit": exp.index.to_numpy(),
            "count": counts.astype(np.int64),
            "observed": obs,
            "expected": exp.to_numpy(),
            "deviation": dev,
            "z": dev / se,
        }
    )
    band = mad_band(mad, digits)
    return BenfordResult(
        digits=digits,
        n=n,
        n_excluded=n_excluded,
        mad=mad,
        band=band,
        conforms=band != "nonconformity",
        chi2=chi2,
        dof=dof,
        p_value=p,
        table=table,
    )


def benford_by(
    data: pd.DataFrame,
    value: str,
    by: str | list[str],
    digits: int = 1,
    min_value: float = 0.0,
    alpha: float = 0.001,
    min_n: int = 50,
) -> pd.DataFrame:
    """Benford test per group, vectorised (e.g. the payments of each unit).

    Parameters
    ----------
    data : pandas.DataFrame
        Long table with a numeric ``value`` column and the ``by`` column(s).
    value : str
        Column holding the amounts [yuan].
    by : str or list of str
        Grouping column(s), e.g. ``"unit"``.
    digits : {1, 2}
        First digit or first two digits.
    min_value : float
        Leave out amounts below this.
    alpha : float
        Flag a group when the chi-square p-value is below ``alpha`` [share 0-1]. The
        chi-square test is used for the flag because groups are often too small for
        Nigrini's MAD bands (see :func:`benford`); the band is reported beside it.
    min_n : int
        Groups with fewer usable values are reported with ``flag`` False and a note.

    Returns
    -------
    pandas.DataFrame
        One row per group: the ``by`` columns, n, mad, band, chi2, p_value, flag, reason.
    """
    from scipy import stats

    _check_digits(digits)
    by = [by] if isinstance(by, str) else list(by)
    probs = Problems(source="benford_by")
    require(data, [value, *by], probs, "values", rows=False)
    probs.raise_if_any(DataError)
    x = _as_values(data[value], source=f"column {value}")
    keep = x >= max(min_value, np.finfo(float).tiny)
    exp = expected_shares(digits)
    from kmmodel.monitoring.digits import _digit_counts

    d = leading_digits(x[keep], digits) - exp.index[0]
    counts = _digit_counts(data.loc[keep, by].reset_index(drop=True), by, d, len(exp))
    counts.columns = exp.index
    c = counts.to_numpy()
    n = c.sum(axis=1)
    e = exp.to_numpy()
    mad = np.mean(np.abs(c / n[:, None] - e), axis=1)
    chi2 = np.sum((c - n[:, None] * e) ** 2 / (n[:, None] * e), axis=1)
    p = stats.chi2.sf(chi2, len(e) - 1)
    out = counts.index.to_frame(index=False)
    out["n"] = n
    out["mad"] = mad
    out["band"] = mad_band(mad, digits)
    out["chi2"] = chi2
    out["p_value"] = p
    enough = n >= min_n
    out["flag"] = enough & (p < alpha)
    name = _DIGITS_NAME[digits]
    out["reason"] = np.where(
        ~enough,
        [f"only {k} values (< {min_n}): not tested" for k in n],
        [
            f"{name}s of {k} amounts {'differ from' if f else 'consistent with'} Benford's law "
            f"(chi-square p = {pv:.2g}, MAD {m:.4f}, {b})"
            for k, f, pv, m, b in zip(n, p < alpha, p, mad, out["band"])
        ],
    )
    return out
