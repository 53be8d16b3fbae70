"""Discounting schedules: constant rate, China's social discount rate, the UK Green Book.

A schedule turns ``n_years`` into discount factors ``D[0..n]`` with ``D[0] = 1``.
Each year ``t >= 1`` is discounted at its own rate on top of the previous year's
factor (the *product rule*)::

    D[t] = D[t-1] / (1 + r_t)

With a constant rate this is ``(1 + r) ** -t``.

References
----------
.. [1] 国家发展改革委、建设部.《建设项目经济评价方法与参数》(第三版). 发改投资〔2006〕1325号.
   中国计划出版社, 2006: 社会折现率 8%; 对受益期长、远期效益较大且风险较小的项目,
   社会折现率可适当降低, 但不应低于 6%.
.. [2] HM Treasury (2022). The Green Book: Central Government Guidance on Appraisal and
   Evaluation, Annex A6 (discounting): declining long-term discount rate 3.5% (years 0-30),
   3.0% (31-75), 2.5% (76-125), 2.0% (126-200), 1.5% (201-300), 1.0% (301+).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kmmodel.errors import DataError

__all__ = [
    "CHINA_LONG_RATE",
    "CHINA_RATE",
    "GREEN_BOOK_BANDS",
    "MAX_RATE",
    "SCHEDULES",
    "annuity_factor",
    "check_appraisal_schedule",
    "discount_factors",
    "nominal_rate",
    "real_rate",
    "year_rates",
]

#: Social discount rate of 《建设项目经济评价方法与参数》(3rd ed., 2006) [share 0-1].
CHINA_RATE = 0.08
#: Its floor for long-lived public-benefit projects ("不应低于6%") [share 0-1].
CHINA_LONG_RATE = 0.06

#: Green Book declining schedule: (last year of the band, rate) [year], [share 0-1].
#: Year 0 carries no discounting; years 1-30 at 3.5%, 31-75 at 3.0% and so on.
GREEN_BOOK_BANDS: tuple[tuple[float, float], ...] = (
    (30, 0.035),
    (75, 0.030),
    (125, 0.025),
    (200, 0.020),
    (300, 0.015),
    (np.inf, 0.010),
)

#: Named schedules accepted by :func:`discount_factors`.
SCHEDULES = {
    "china": "8% social discount rate (建设项目经济评价方法与参数, 3rd ed.)",
    "china_long": "6% floor for long-lived public-benefit projects (same source)",
    "green_book": "HM Treasury Green Book declining schedule (3.5% ... 1.0%)",
}

Schedule = float | str | Sequence[float] | np.ndarray


#: largest discount rate accepted [share 0-1]: a rate is a fraction, so 6 (meant as 6%)
#: would discount at 600% a year
MAX_RATE = 1.0


def _percent_hint(rate: float) -> str:
    return (
        f"a discount rate is a fraction: {rate:g} means {rate:.0%} a year; "
        f"for {rate:g}% write {rate / 100:g}"
    )


def _check_rates(rates: np.ndarray, field: str) -> None:
    bad = ~np.isfinite(rates) | (rates <= -1.0)
    if bad.any():
        where = ", ".join(str(int(i) + 1) for i in np.flatnonzero(bad)[:10])
        raise DataError(
            f"discount rates must be finite numbers above -100% (> -1.0); bad value(s) in year(s) {where}",
            source=field,
        )


def check_appraisal_schedule(schedule: Schedule, field: str = "schedule") -> None:
    """Refuse a rate above :data:`MAX_RATE` in a schedule used to appraise projects.

    A rate is a fraction; ``6`` (meant as 6%) would discount at 600% a year, which no
    public appraisal uses (the social discount rate is 8% [1]_, the Green Book's 3.5% [2]_).
    The message says which fraction to write (``0.06``). :func:`discount_factors`
    itself accepts any rate above -100%, so an NPV can be evaluated at a large IRR.

    Raises
    ------
    DataError
        A bare number, or a per-year rate, above :data:`MAX_RATE`.
    """
    if isinstance(schedule, (str, bool, np.bool_)):
        return
    try:
        rates = np.atleast_1d(np.asarray(schedule, dtype=float))
    except (TypeError, ValueError):
        return  # not numbers: year_rates says so
    high = np.flatnonzero(rates > MAX_RATE)
    if not high.size:
        return
    i = int(high[0])
    where = f" in year {i + 1}" if np.ndim(schedule) else ""
    raise DataError(f"rate above 1 (100%){where}: {_percent_hint(float(rates[i]))}", field)


def year_rates(n_years: int, schedule: Schedule) -> np.ndarray:
    """The rate applied in each year ``1..n_years`` [share 0-1].

    Parameters
    ----------
    n_years : int
        Appraisal horizon [years], >= 0.
    schedule : float, str or sequence of float
        A constant rate (0.08), a name in :data:`SCHEDULES`, or one rate per year
        for years 1..n_years (length exactly ``n_years``).

    Returns
    -------
    numpy.ndarray
        Length ``n_years``; element ``t-1`` is the rate of year ``t``.

    Raises
    ------
    DataError
        Unknown schedule name, rate at or below -100 %, NaN, or a per-year schedule whose
        length differs from ``n_years``. Rates above 100% are arithmetic (an NPV at an
        IRR of 200%); appraisals refuse them with :func:`check_appraisal_schedule`.
    """
    if isinstance(n_years, bool) or not isinstance(n_years, (int, np.integer)) or n_years < 0:
        raise DataError(f"n_years must be a whole number >= 0, got {n_years!r}", source="n_years")
    n = int(n_years)
    if isinstance(schedule, str):
        key = schedule.strip().lower()
        if key == "china":
            return np.full(n, CHINA_RATE)
        if key == "china_long":
            return np.full(n, CHINA_LONG_RATE)
        if key == "green_book":
            years = np.arange(1, n + 1)
            ends = np.array([b[0] for b in GREEN_BOOK_BANDS])
            rates = np.array([b[1] for b in GREEN_BOOK_BANDS])
            return rates[np.searchsorted(ends, years, side="left")]
        raise DataError(
            f"unknown discount schedule {schedule!r}; expected a rate, a per-year sequence or "
            f"one of {sorted(SCHEDULES)}",
            source="schedule",
        )
    if isinstance(schedule, (bool, np.bool_)):
        raise DataError("schedule must be a rate, a name or a sequence, not a bool", "schedule")
    if np.ndim(schedule) == 0:
        try:
            rate = float(schedule)
        except (TypeError, ValueError):
            raise DataError(
                f"schedule must be a rate, a name or a sequence, got {schedule!r}", "schedule"
            ) from None
        if not np.isfinite(rate) or rate <= -1.0:
            raise DataError(
                f"a discount rate must be a finite number above -100% (> -1.0), got {rate!r}",
                source="schedule",
            )
        return np.full(n, rate)
    try:
        rates = np.asarray(schedule, dtype=float)
    except (TypeError, ValueError):
        raise DataError("a per-year schedule must hold numbers", source="schedule") from None
    if rates.ndim != 1 or rates.size != n:
        raise DataError(
            f"a per-year schedule needs one rate for each of years 1..{n} "
            f"({n} values), got {rates.size}",
            source="schedule",
        )
    _check_rates(rates, "schedule")
    return rates


def discount_factors(n_years: int, schedule: Schedule = "china") -> np.ndarray:
    """Discount factors for years ``0..n_years`` [share 0-1], year 0 = 1.0.

    Parameters
    ----------
    n_years : int
        Appraisal horizon [years].
    schedule : float, str or sequence of float
        ``0.05`` (constant rate), ``"china"`` (8 % [1]_), ``"china_long"`` (6 %, the floor
        [1]_ allows for long-lived public-benefit projects), ``"green_book"`` (declining
        schedule [2]_), or one rate per year 1..n_years.

    Returns
    -------
    numpy.ndarray
        Length ``n_years + 1``; ``D[t] = prod_{s<=t} 1 / (1 + r_s)``.

    References
    ----------
    .. [1] 《建设项目经济评价方法与参数》(第三版), 发改投资〔2006〕1325号.
    .. [2] HM Treasury, The Green Book (2022), Annex A6.

    Examples
    --------
    >>> discount_factors(2, 0.1).round(6).tolist()
    [1.0, 0.909091, 0.826446]
    >>> round(float(discount_factors(31, "green_book")[31] * 1.035**30 * 1.03), 12)
    1.0
    """
    rates = year_rates(n_years, schedule)
    # cumulative product in log space keeps long horizons accurate
    return np.exp(-np.concatenate(([0.0], np.cumsum(np.log1p(rates)))))


def annuity_factor(n_years: int, schedule: Schedule = "china") -> float:
    """Present value of 1 yuan a year paid at the end of years 1..n [years].

    ``sum(D[1..n])``; for a constant rate ``r`` this equals ``(1 - (1+r)**-n) / r``.

    Examples
    --------
    >>> round(annuity_factor(10, 0.08), 6)
    6.710081
    """
    return float(discount_factors(n_years, schedule)[1:].sum())


def nominal_rate(real: float, inflation: float) -> float:
    """Fisher relation: nominal rate from a real rate and inflation [share 0-1].

    ``(1 + nominal) = (1 + real) (1 + inflation)``.
    """
    return (1.0 + real) * (1.0 + inflation) - 1.0


def real_rate(nominal: float, inflation: float) -> float:
    """Fisher relation: real rate from a nominal rate and inflation [share 0-1]."""
    return (1.0 + nominal) / (1.0 + inflation) - 1.0
