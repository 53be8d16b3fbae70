"""Canonical toy and scale models reused by tests, the benchmark and the docs.

:func:`synthetic_market` makes an award problem of any size (n items, each its own
package, and m agencies that all bid), seeded; it exercises every rule of
:func:`kmmodel.allocation.assign_packages` at scale. Numbers are synthetic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmmodel.rng import SeedLike, as_generator

__all__ = ["synthetic_market"]


def synthetic_market(
    n_items: int = 2_000, n_agencies: int = 40, seed: SeedLike = 0, slack: float = 1.3
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Items, agencies and bids for a scale test of the package award.

    Parameters
    ----------
    n_items : int
        Items; each is its own package.
    n_agencies : int
        Agencies; every agency bids for every package.
    seed : int or numpy.random.Generator
        Random stream.
    slack : float
        Total agency capacity / total effort [ratio > 1].

    Returns
    -------
    items, agencies, bids : pandas.DataFrame
        In the column layout of ``evaluation_items``, ``agencies`` and ``bids``; 10 budget
        units, 3 qualifications, about 5 % of agencies tied to one unit, about 3 % of bids
        late.
    """
    rng = as_generator(seed)
    units = np.array([f"单位{k:02d}" for k in range(10)])
    quals = np.array(["cpa", "research", "engineering"])
    effort = np.round(rng.uniform(0.5, 3.0, n_items), 1)
    items = pd.DataFrame(
        {
            "item": [f"I{k:05d}" for k in range(n_items)],
            "name_zh": [f"事项{k}" for k in range(n_items)],
            "package": [f"K{k:05d}" for k in range(n_items)],
            "budget_unit": units[rng.integers(0, len(units), n_items)],
            "evaluated_object": [f"对象{k % 50}" for k in range(n_items)],
            "qualification": quals[rng.integers(0, 3, n_items)],
            "effort_pm": effort,
            "max_cost": np.round(rng.uniform(20_000, 120_000, n_items), -3),
        }
    )
    held = rng.random((n_agencies, 3)) < 0.7
    held[np.arange(n_agencies), rng.integers(0, 3, n_agencies)] = True
    tied = rng.random(n_agencies) < 0.05
    agencies = pd.DataFrame(
        {
            "agency": [f"G{k:03d}" for k in range(n_agencies)],
            "name_zh": [f"机构{k}" for k in range(n_agencies)],
            "qualifications": [";".join(quals[h]) for h in held],
            "capacity_pm": np.round(
                np.full(n_agencies, slack * effort.sum() / n_agencies / 0.7), 1
            ),
            "ties": np.where(tied, units[rng.integers(0, len(units), n_agencies)], None),
        }
    )
    n_bids = n_items * n_agencies
    reserve = np.repeat(items["max_cost"].to_numpy(), n_agencies)
    bids = pd.DataFrame(
        {
            "package": np.repeat(items["package"].to_numpy(), n_agencies),
            "agency": np.tile(agencies["agency"].to_numpy(), n_items),
            "price": np.round(reserve * rng.uniform(0.5, 0.9, n_bids), -2),
            "quality": np.round(rng.uniform(55, 98, n_bids), 1),
            "plan_months": np.round(rng.uniform(0.3, 1.0, n_bids), 1),
            "report_months": np.where(rng.random(n_bids) < 0.03, 3.5, 2.5),
        }
    )
    return items, agencies, bids
