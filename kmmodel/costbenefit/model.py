"""One project's NPV as a function of uncertain inputs (used by sensitivity and Monte Carlo).

The model keeps a project's flows by line ``amounts[line, year]`` [yuan] and evaluates

    NPV = sum_t D_t(rate) * sum_line sign_line * m_line * amounts[line, t]

where ``m_line`` are multipliers (1.0 = the appraisal's central case) and ``D_t`` the
discount factors. Inputs are named:

- a line of :data:`~kmmodel.costbenefit.flows.LINES` (``"investment"``, ``"social"`` …):
  a multiplier on that line [ratio];
- ``"costs"`` / ``"benefits"``: a multiplier on all cost / all benefit lines [ratio];
- ``"carbon_price"``: the carbon price [yuan/tCO2]; the carbon line scales by
  ``value / base_carbon_price``;
- ``"discount_rate"``: a constant discount rate replacing the schedule [share 0-1].

Every argument may be an array (one value per draw): evaluation is vectorised.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from kmmodel.costbenefit.discount import Schedule, discount_factors
from kmmodel.costbenefit.flows import BENEFIT_LINES, COST_LINES, LINES, FlowCube, line_sign
from kmmodel.errors import DataError

__all__ = ["INPUT_NAMES", "ProjectModel"]

INPUT_NAMES = (*LINES, "costs", "benefits", "carbon_price", "discount_rate")


@dataclass(frozen=True)
class ProjectModel:
    """A project's flows plus the assumptions its NPV depends on.

    Parameters
    ----------
    project : str
        Project id.
    amounts : numpy.ndarray
        Shape (len(LINES), n_years + 1) [yuan], positive magnitudes.
    schedule : float, str or sequence
        Central discount schedule.
    base_carbon_price : float
        Carbon price the carbon line was valued at [yuan/tCO2].
    """

    project: str
    amounts: np.ndarray
    schedule: Schedule = "china"
    base_carbon_price: float = 1.0

    def __post_init__(self) -> None:
        a = np.asarray(self.amounts, dtype=float)
        if a.ndim != 2 or a.shape[0] != len(LINES) or not np.isfinite(a).all():
            raise DataError(
                f"amounts must be finite with shape ({len(LINES)}, years)", source=self.project
            )
        if not (np.isfinite(self.base_carbon_price) and self.base_carbon_price > 0):
            raise DataError("base_carbon_price must be > 0 [yuan/tCO2]", source=self.project)
        object.__setattr__(self, "amounts", a)

    @classmethod
    def from_cube(
        cls, cube: FlowCube, project: str, schedule: Schedule = "china", base_carbon_price=1.0
    ) -> ProjectModel:
        """The model of one project of a :class:`~kmmodel.costbenefit.flows.FlowCube`."""
        return cls(project, cube.amounts[cube.index(project)], schedule, base_carbon_price)

    @property
    def n_years(self) -> int:
        return self.amounts.shape[1] - 1

    def central(self, name: str) -> float:
        """Central value of an input (1.0 for multipliers)."""
        if name == "carbon_price":
            return float(self.base_carbon_price)
        if name == "discount_rate":
            if isinstance(self.schedule, str) or np.ndim(self.schedule) != 0:
                raise DataError(
                    "discount_rate as an input needs a constant-rate schedule; "
                    f"the model uses {self.schedule!r}",
                    source=self.project,
                )
            return float(self.schedule)
        self._check_names([name])
        return 1.0

    def _check_names(self, names) -> None:
        bad = [n for n in names if n not in INPUT_NAMES]
        if bad:
            raise DataError(
                f"unknown input(s) {bad}; expected names from {list(INPUT_NAMES)}",
                source=self.project,
            )

    def line_pv(self) -> dict[str, float]:
        """Present value of each line at the central schedule [yuan], signed."""
        d = discount_factors(self.n_years, self.schedule)
        return dict(zip(LINES, line_sign(LINES) * (self.amounts @ d)))

    def npv(self, values: Mapping[str, float | np.ndarray] | None = None) -> np.ndarray:
        """NPV [yuan] with the named inputs set (others central); arrays broadcast.

        Returns a 1-D array (length 1 when every value is a scalar).
        """
        values = dict(values or {})
        self._check_names(values)
        size = max([np.size(v) for v in values.values()] + [1])
        m = np.ones((size, len(LINES)))
        for name, v in values.items():
            v = np.asarray(v, dtype=float).reshape(-1)
            if name in LINES:
                m[:, LINES.index(name)] *= v
            elif name == "costs":
                m[:, [LINES.index(c) for c in COST_LINES]] *= v[:, None]
            elif name == "benefits":
                m[:, [LINES.index(b) for b in BENEFIT_LINES]] *= v[:, None]
            elif name == "carbon_price":
                m[:, LINES.index("carbon")] *= v / self.base_carbon_price
        signed = self.amounts * line_sign(LINES)[:, None]
        net = m @ signed  # (size, years)
        if "discount_rate" in values:
            r = np.asarray(values["discount_rate"], dtype=float).reshape(-1)
            if np.any(r <= -1) or not np.isfinite(r).all():
                raise DataError("discount_rate must be above -100%", source=self.project)
            t = np.arange(self.n_years + 1)
            d = np.exp(-np.log1p(r)[:, None] * t)  # (size or 1, years)
            return np.einsum("ny,ny->n", net, np.broadcast_to(d, net.shape))
        return net @ discount_factors(self.n_years, self.schedule)
