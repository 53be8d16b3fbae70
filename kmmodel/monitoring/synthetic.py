"""Seeded generators of a synthetic monitoring feed, third-party checks and payments.

Used by the shipped data sets (:mod:`kmmodel.catalog.monitoring`), the tests (clean
feeds for false-alarm rates) and the benchmark (200 units x 100 indicators). The
numbers are **synthetic**: plausible orders of magnitude for a county-level budget,
not Kunming's figures.

Assumptions
-----------
- Annual targets: a base level per indicator [yuan] x a unit size factor
  (lognormal, sigma 0.7) x an indicator-unit factor (lognormal, sigma 0.3), growing
  5% a year, with 2% noise.
- Year-end completion (actual / target) ~ Normal(1.02, 0.03): most targets are met.
- Monthly amounts follow an indicator's seasonal profile (:data:`SEASONAL_WEIGHTS`,
  e.g. budget spending back-loaded with a December peak) with 8% lognormal noise,
  scaled so the year sums to the year-end actual; reported to the nearest 100 yuan
  (0.01 万元), cumulated.
- Third-party year-end values equal the self-reported ones up to 0.8% measurement noise.
- Payment amounts are lognormal (median 30,000 yuan, log-sd 1.6), which follows
  Benford's law closely.

Planted problems (``plant=True`` with the Kunming example units; see :data:`PLANTED`)
are what the checks should find.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmmodel.rng import SeedLike, as_generator

__all__ = [
    "BASE_INDICATORS",
    "PLANTED",
    "SEASONAL_WEIGHTS",
    "make_feed",
    "make_payments",
    "make_third_party",
]

# annual base level of a mid-sized county-level unit [yuan] (synthetic)
BASE_INDICATORS: dict[str, float] = {
    "budget_execution": 3.0e9,
    "fixed_asset_investment": 8.0e9,
    "industrial_value_added": 1.2e10,
    "livelihood_spending": 2.2e9,
    "tax_revenue": 1.5e9,
}
_m = np.arange(1, 13)
# relative monthly amounts (January..December); normalised to sum 1
SEASONAL_WEIGHTS: dict[str, np.ndarray] = {
    "budget_execution": np.r_[0.6, 0.5, np.linspace(0.8, 1.2, 9), 2.4],
    "fixed_asset_investment": np.r_[0.5, 0.4, np.full(9, 1.0) + 0.1 * np.sin(_m[2:11]), 1.6],
    "industrial_value_added": np.r_[0.9, 0.7, np.full(10, 1.0)],
    "livelihood_spending": np.r_[0.6, 0.5, np.linspace(0.8, 1.2, 9), 2.2],
    "tax_revenue": np.r_[1.4, 0.8, np.full(10, 1.0)],
}
SEASONAL_WEIGHTS = {k: v / v.sum() for k, v in SEASONAL_WEIGHTS.items()}

YEARS = (2021, 2022, 2023, 2024, 2025)
FEED_SEED = 20250806
THIRD_PARTY_SEED = 20250807
PAYMENTS_SEED = 20250808

#: The planted problems of the shipped data (``check`` names the function that should
#: find it).
PLANTED = pd.DataFrame(
    [
        ("progress", "dongchuan", "fixed_asset_investment", 2025, 0,
         "behind schedule: the year runs at 72% of its target pace"),
        ("jumps", "xundian", "industrial_value_added", 2025, 12,
         "manipulated series: January-November at 55% of the normal pace, then a December "
         "spike that lands just above the target"),
        ("outliers", "fumin", "tax_revenue", 2025, 6,
         "data-entry error: the June amount is entered six times too large"),
        ("digits", "songming", "", 2025, 0,
         "rounding: every 2025 monthly amount rounded to 50,000 yuan (5 万元), so figures "
         "end in 0 or 5 万元"),
        ("bunching", "jingkai", "", 0, 0,
         "gaming: every year-end completion that would fall in [0.90, 1.00) is reported "
         "in [1.000, 1.010), just above a 100% scoring threshold"),
        ("consistency", "luquan", "livelihood_spending", 2024, 0,
         "source mismatch: self-reported year-end value 12% above the third-party figure"),
        ("consistency", "luquan", "livelihood_spending", 2025, 0,
         "source mismatch: self-reported year-end value 12% above the third-party figure"),
        ("benford", "yiliang", "", 2025, 0,
         "invented payments: half of the unit's payment amounts drawn uniformly between "
         "10,000 and 100,000 yuan (flat leading digits)"),
    ],
    columns=["check", "unit", "indicator", "year", "month", "what"],
)  # fmt: skip


def _ids(units, default_prefix: str) -> list[str]:
    if isinstance(units, (int, np.integer)):
        return [f"{default_prefix}{i:04d}" for i in range(1, int(units) + 1)]
    return [str(u) for u in units]


def _indicators(indicators) -> tuple[list[str], np.ndarray, np.ndarray]:
    base = list(BASE_INDICATORS)
    if indicators is None:
        names = base
    elif isinstance(indicators, (int, np.integer)):
        k = int(indicators)
        names = [
            base[i] if i < len(base) else f"{base[i % len(base)]}_{i // len(base)}"
            for i in range(k)
        ]
    else:
        names = [str(i) for i in indicators]
    kinds = [
        next((b for b in base if n.startswith(b)), base[hash_index(n) % len(base)]) for n in names
    ]
    level = np.array([BASE_INDICATORS[k] for k in kinds])
    weights = np.stack([SEASONAL_WEIGHTS[k] for k in kinds])
    return names, level, weights


def hash_index(name: str) -> int:
    """A stable small integer from a name (no use of Python's salted ``hash``)."""
    return sum(name.encode("utf-8"))


def make_feed(
    units,
    indicators=None,
    years=YEARS,
    seed: SeedLike = FEED_SEED,
    plant: bool = True,
) -> pd.DataFrame:
    """A synthetic monthly feed (see :mod:`kmmodel.monitoring.feed` for the columns).

    Parameters
    ----------
    units : list of str or int
        Unit ids, or a number of units (ids ``u0001`` ...); the shipped feed uses the 18
        example units (``km.datasets.load("units")["unit"]``).
    indicators : list of str or int, optional
        Indicator ids (those starting with a :data:`BASE_INDICATORS` name take its level and
        profile), or a number of indicators. Default: the five base indicators.
    years : sequence of int
        Calendar years, all 12 months each.
    seed : int or numpy.random.Generator
        Seed of the random numbers.
    plant : bool
        Plant the problems of :data:`PLANTED` (only those whose unit and indicator exist).

    Returns
    -------
    pandas.DataFrame
        unit, indicator, year, month, target [yuan], actual (cumulative) [yuan].
    """
    rng = as_generator(seed)
    uid = _ids(units, "u")
    names, level, weights = _indicators(indicators)
    years = [int(y) for y in years]
    nu, ni, ny = len(uid), len(names), len(years)
    size = np.exp(rng.normal(0.0, 0.7, nu))[:, None] * np.exp(rng.normal(0.0, 0.3, (nu, ni)))
    growth = 1.05 ** (np.asarray(years) - years[0])
    target = (size * level)[:, :, None] * growth * (1 + rng.normal(0, 0.02, (nu, ni, ny)))
    target = np.round(target, -4)  # targets set in whole 万元
    completion = rng.normal(1.02, 0.03, (nu, ni, ny))
    noise = np.exp(rng.normal(0.0, 0.08, (nu, ni, ny, 12)))
    w = weights[None, :, None, :] * noise
    w = w / w.sum(axis=-1, keepdims=True)
    resolution = np.full((nu, ni, ny), 100.0)

    u_at = {u: i for i, u in enumerate(uid)}
    i_at = {n: i for i, n in enumerate(names)}
    y_at = {y: i for i, y in enumerate(years)}
    fumin_june = None
    if plant:
        if "jingkai" in u_at:  # bunching just above 100% completion, every year
            c = completion[u_at["jingkai"]]
            hit = (c >= 0.90) & (c < 1.0)
            c[hit] = 1.0 + rng.uniform(0.0, 0.01, hit.sum())
        if 2025 in y_at:
            y = y_at[2025]
            if "dongchuan" in u_at and "fixed_asset_investment" in i_at:
                completion[u_at["dongchuan"], i_at["fixed_asset_investment"], y] = 0.72
            if "xundian" in u_at and "industrial_value_added" in i_at:
                u, i = u_at["xundian"], i_at["industrial_value_added"]
                completion[u, i, y] = 1.012
                slow = w[u, i, y, :11] * 0.55
                w[u, i, y, :11] = slow
                w[u, i, y, 11] = 1.0 - slow.sum()
            if "songming" in u_at:
                resolution[u_at["songming"], :, y] = 50_000.0
            if "fumin" in u_at and "tax_revenue" in i_at:
                fumin_june = (u_at["fumin"], i_at["tax_revenue"], y)
    inc = (target * completion)[..., None] * w
    if fumin_june is not None:
        inc[fumin_june + (5,)] *= 6.0
    inc = np.round(inc / resolution[..., None]) * resolution[..., None]
    actual = np.cumsum(inc, axis=-1)

    shape = (nu, ni, ny, 12)
    idx = np.indices(shape).reshape(4, -1)
    return pd.DataFrame(
        {
            "unit": pd.array(np.asarray(uid, dtype=object)[idx[0]], dtype="string"),
            "indicator": pd.array(np.asarray(names, dtype=object)[idx[1]], dtype="string"),
            "year": np.asarray(years, dtype=np.int64)[idx[2]],
            "month": (idx[3] + 1).astype(np.int64),
            "target": np.broadcast_to(target[..., None], shape).ravel().astype(float),
            "actual": actual.ravel(),
        }
    )


def make_third_party(
    feed: pd.DataFrame,
    years=(2023, 2024, 2025),
    seed: SeedLike = THIRD_PARTY_SEED,
    plant: bool = True,
) -> pd.DataFrame:
    """Third-party year-end figures for the units and indicators of ``feed``.

    Parameters
    ----------
    feed : pandas.DataFrame
        A validated monthly feed with December rows for ``years``.
    years : sequence of int
        Years checked by the third party.
    seed : int or numpy.random.Generator
        Seed of the measurement noise (0.8% relative, normal).
    plant : bool
        Make Luquan's self-reported livelihood spending 12% higher than the third party's
        in 2024 and 2025 (the third party's figure is the true one).

    Returns
    -------
    pandas.DataFrame
        unit, indicator, year, source (``audit`` for spending, ``statistics`` otherwise),
        value [yuan].
    """
    rng = as_generator(seed)
    dec = feed[(feed["month"] == 12) & feed["year"].isin(list(years))]
    dec = dec.sort_values(["unit", "indicator", "year"], ignore_index=True)
    value = dec["actual"].to_numpy() * (1 + rng.normal(0.0, 0.008, len(dec)))
    if plant:
        hit = (
            (dec["unit"] == "luquan")
            & (dec["indicator"] == "livelihood_spending")
            & dec["year"].isin([2024, 2025])
        ).to_numpy()
        value[hit] = dec["actual"].to_numpy()[hit] / 1.12 * (1 + rng.normal(0.0, 0.008, hit.sum()))
    spending = dec["indicator"].str.contains("budget|livelihood", regex=True).to_numpy(bool)
    return pd.DataFrame(
        {
            "unit": dec["unit"].astype("string"),
            "indicator": dec["indicator"].astype("string"),
            "year": dec["year"].astype(np.int64),
            "source": pd.array(np.where(spending, "audit", "statistics"), dtype="string"),
            "value": np.round(value, -2),
        }
    )


def make_payments(
    units,
    n_per_unit: int = 500,
    year: int = 2025,
    seed: SeedLike = PAYMENTS_SEED,
    plant: bool = True,
) -> pd.DataFrame:
    """Synthetic payment records of each unit (for the Benford test).

    Parameters
    ----------
    units : list of str or int
        Unit ids or a number of units (the shipped records use the 18 example units).
    n_per_unit : int
        Payments per unit.
    year : int
        Year of the payments.
    seed : int or numpy.random.Generator
        Seed.
    plant : bool
        Replace half of Yiliang's payments by amounts drawn uniformly in [10,000, 100,000)
        yuan (invented figures with flat leading digits).

    Returns
    -------
    pandas.DataFrame
        unit, year, payment (1..n), amount [yuan, 2 decimals].
    """
    rng = as_generator(seed)
    uid = _ids(units, "u")
    n = len(uid) * n_per_unit
    amount = np.exp(rng.normal(np.log(30_000.0), 1.6, n))
    unit = np.repeat(np.asarray(uid, dtype=object), n_per_unit)
    if plant and "yiliang" in uid:
        pos = np.flatnonzero(unit == "yiliang")
        fake = pos[rng.permutation(len(pos))[: len(pos) // 2]]
        amount[fake] = rng.uniform(10_000.0, 100_000.0, len(fake))
    return pd.DataFrame(
        {
            "unit": pd.array(unit, dtype="string"),
            "year": np.full(n, year, dtype=np.int64),
            "payment": np.tile(np.arange(1, n_per_unit + 1, dtype=np.int64), len(uid)),
            "amount": np.maximum(np.round(amount, 2), 1.0),
        }
    )
