"""Green-power / carbon benefit line: avoided CO2 from green electricity, valued at a carbon price.

The seed asks that "green power + advanced manufacturing" count in industrial project
evaluation (Yunnan's power is over 90 % green). The carbon line of a project is::

    carbon benefit [yuan] = green power [MWh] * emission factor [tCO2/MWh] * carbon price [yuan/tCO2]

Both factors are assumptions the user states:

- Emission factor: which generation the green power displaces. The Ministry of Ecology and
  Environment and the National Bureau of Statistics publish, for 2022 [1]_: national
  average electricity CO2 factor 0.5366 tCO2/MWh; national fossil-fuel electricity
  0.8325 tCO2/MWh; Yunnan's provincial average 0.1073 tCO2/MWh. kmmodel's default is the
  national average (:data:`EMISSION_FACTOR_NATIONAL_2022`); the fossil and Yunnan values are
  there for sensitivity.
- Carbon price: :data:`CARBON_PRICE_ASSUMED` = 80 yuan/tCO2 is an illustrative assumption of
  kmmodel for the shipped synthetic projects, not an observed market price; replace it with
  the price your appraisal guidance prescribes and vary it in the sensitivity analysis.

References
----------
.. [1] 生态环境部, 国家统计局.《关于发布2022年电力二氧化碳排放因子的公告》(2024年12月);
   figures as reported by 新京报, 2024-12-27 ("全国电力平均二氧化碳排放因子为0.5366").
"""

from __future__ import annotations

import numpy as np

from kmmodel.errors import DataError

__all__ = [
    "CARBON_PRICE_ASSUMED",
    "EMISSION_FACTOR_FOSSIL_2022",
    "EMISSION_FACTOR_NATIONAL_2022",
    "EMISSION_FACTOR_YUNNAN_2022",
    "carbon_benefit",
]

# MEE & NBS announcement on 2022 electricity CO2 emission factors [tCO2/MWh] (see [1])
EMISSION_FACTOR_NATIONAL_2022 = 0.5366
EMISSION_FACTOR_FOSSIL_2022 = 0.8325
EMISSION_FACTOR_YUNNAN_2022 = 0.1073
#: Illustrative carbon price used for the synthetic projects [yuan/tCO2] (an assumption).
CARBON_PRICE_ASSUMED = 80.0


def carbon_benefit(
    green_mwh,
    emission_factor: float = EMISSION_FACTOR_NATIONAL_2022,
    carbon_price: float = CARBON_PRICE_ASSUMED,
) -> np.ndarray:
    """Value of CO2 avoided by green power [yuan], element-wise over years.

    Parameters
    ----------
    green_mwh : array-like
        Green electricity generated or used instead of grid power [MWh per year], >= 0.
    emission_factor : float
        CO2 displaced per MWh [tCO2/MWh], >= 0.
    carbon_price : float
        Value of one tonne of CO2 [yuan/tCO2], >= 0.

    Examples
    --------
    >>> float(carbon_benefit(1000.0, 0.5, 80.0))
    40000.0
    """
    e = np.asarray(green_mwh, dtype=float)
    bad = []
    if not np.isfinite(e).all() or (e < 0).any():
        bad.append("green_mwh must be finite and >= 0 [MWh]")
    if not (np.isfinite(emission_factor) and emission_factor >= 0):
        bad.append(f"emission_factor must be >= 0 [tCO2/MWh], got {emission_factor!r}")
    if not (np.isfinite(carbon_price) and carbon_price >= 0):
        bad.append(f"carbon_price must be >= 0 [yuan/tCO2], got {carbon_price!r}")
    if bad:
        raise DataError(bad, source="carbon benefit")
    return e * emission_factor * carbon_price
