"""Seeded simulator of units with known effort hit by force-majeure shocks.

One call draws a batch of independent replications at once (arrays with a leading
replication axis), so the bench is vectorised over replications x units x
indicators. Every replication has three periods: year 0 (no shock; the
"previous" period of year 1), year 1 and year 2 (each with fresh shocks).

Model (log scale, indicator ``i``, unit ``u``, year ``t``; all indicators are
"more is better")::

    log y[t,u,i] = log T[i] + level + effort_sd * a[i] * theta[u] + g[t,i] + noise * e[t,u,i]
                   + log(1 - L[t,u,i])
    L[t,u,i]     = exposure[t,u] * severity[t,u] * s[event(t,u), i] * (months[t,u] / 12) ** months_power

``theta`` is the unit's true effort (standard normal, the same in every year),
``a`` an indicator's loading, ``g`` a common year effect, ``e`` noise, ``T`` the
target (the same in every year). A share ``shock_share`` of units is hit each year
by one of ``n_events`` event kinds; each kind has its own sensitivity profile ``s``
over indicators (a share ``zero_sensitivity`` of indicators untouched, the others
Beta(2, 2)). The methods see the sensitivity after severity (``severity * s``), the
months and an exposure that may be mis-measured (``exposure_error``: log-normal
multiplicative error). These are assumptions of the bench, not facts about Kunming.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmmodel.correction.methods import Panel
from kmmodel.errors import DataError, Problems

__all__ = ["DEFAULTS", "Simulation", "check_scenario", "simulate"]

#: Default scenario of the bench (every key may be overridden in ``evaluate``).
DEFAULTS: dict = {
    "n_units": 14,  # units per replication
    "n_indicators": 30,  # indicators per unit
    "n_groups": 2,  # peer groups (round-robin)
    "shock_share": 0.3,  # [share 0-1] of units hit each year
    "severity": 0.3,  # mean severity [share 0-1]: indicator loss at full exposure and sensitivity
    "exposure_low": 0.1,  # [share 0-1] exposure of a hit unit ~ U(low, high)
    "exposure_high": 0.9,
    "months_low": 2,  # [months] months affected ~ integer U(low, high)
    "months_high": 12,
    "months_power": 0.5,  # how the loss grows with the months affected
    "n_events": 3,  # event kinds with their own sensitivity profiles
    "zero_sensitivity": 0.4,  # [share 0-1] of indicators an event does not touch
    "level": -0.08,  # mean log achievement (below target on average)
    "effort_sd": 0.08,  # log-scale spread of true effort
    "year_sd": 0.03,  # common year effect per indicator
    "noise": 0.04,  # idiosyncratic noise
    "exposure_error": 0.0,  # log-normal sd of exposure mis-measurement
}


def check_scenario(scenario: dict) -> dict:
    """Merge ``scenario`` with :data:`DEFAULTS` and validate; :class:`DataError` lists all problems."""
    probs = Problems(source="scenario")
    unknown = sorted(set(scenario) - set(DEFAULTS))
    if unknown:
        probs.add(f"unknown scenario parameter(s) {unknown}; expected some of {sorted(DEFAULTS)}")
    sc = {**DEFAULTS, **{k: v for k, v in scenario.items() if k in DEFAULTS}}
    for key in ("n_units", "n_indicators", "n_groups", "n_events", "months_low", "months_high"):
        v = sc[key]
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            probs.add(f"expected a whole number, got {v!r}", key)
    for key in ("shock_share", "severity", "exposure_low", "exposure_high", "zero_sensitivity"):
        v = sc[key]
        if not isinstance(v, (int, float, np.number)) or not 0 <= float(v) <= 1:
            probs.add(f"expected a number in [0, 1], got {v!r}", key)
    for key in ("effort_sd", "year_sd", "noise", "exposure_error", "months_power"):
        v = sc[key]
        if not isinstance(v, (int, float, np.number)) or not np.isfinite(v) or v < 0:
            probs.add(f"expected a finite number >= 0, got {v!r}", key)
    probs.raise_if_any(DataError)
    if sc["n_units"] < 3:
        probs.add(f"expected at least 3 units, got {sc['n_units']}", "n_units")
    if sc["n_indicators"] < 1:
        probs.add(f"expected at least 1 indicator, got {sc['n_indicators']}", "n_indicators")
    if not 1 <= sc["n_groups"] <= sc["n_units"]:
        probs.add(f"expected 1..n_units groups, got {sc['n_groups']}", "n_groups")
    if sc["n_events"] < 1:
        probs.add(f"expected at least 1 event kind, got {sc['n_events']}", "n_events")
    if sc["exposure_low"] > sc["exposure_high"]:
        probs.add("exposure_low must not exceed exposure_high", "exposure_low")
    if not 0 <= sc["months_low"] <= sc["months_high"] <= 12:
        probs.add("expected 0 <= months_low <= months_high <= 12", "months_low")
    probs.raise_if_any(DataError)
    return sc


@dataclass(frozen=True)
class Simulation:
    """A batch of simulated replications (leading axis ``B``).

    Attributes
    ----------
    year1, year2 : Panel
        What the methods see in years 1 and 2 (year 2's previous values are year 1's
        shocked actuals).
    clean1, clean2 : ndarray (B, U, I)
        The values the units would have had without any shock [indicator units].
    effort : ndarray (B, U)
        True effort ``theta``.
    hit1, hit2 : ndarray (B, U) of bool
        Units truly hit by a shock in year 1 / year 2.
    """

    year1: Panel
    year2: Panel
    clean1: np.ndarray
    clean2: np.ndarray
    effort: np.ndarray
    hit1: np.ndarray
    hit2: np.ndarray


def _shocks(rng: np.random.Generator, sc: dict, b: int, profiles: np.ndarray):
    u = sc["n_units"]
    hit = rng.random((b, u)) < sc["shock_share"]
    exposure = np.where(hit, rng.uniform(sc["exposure_low"], sc["exposure_high"], (b, u)), 0.0)
    months = np.where(hit, rng.integers(sc["months_low"], sc["months_high"] + 1, (b, u)), 0)
    severity = np.clip(sc["severity"] * rng.uniform(0.5, 1.5, (b, u)), 0.0, 1.0)
    event = rng.integers(0, sc["n_events"], (b, u))
    sens = np.take_along_axis(profiles, event[:, :, None], axis=1)  # (B, U, I)
    sens = severity[..., None] * sens * hit[..., None]
    loss = exposure[..., None] * sens * (months / 12.0)[..., None] ** sc["months_power"]
    loss = np.where(hit[..., None], loss, 0.0)
    observed = exposure
    if sc["exposure_error"] > 0:
        observed = np.clip(exposure * np.exp(rng.normal(0, sc["exposure_error"], (b, u))), 0, 1)
    return hit, observed, months.astype(float), sens, loss


def simulate(rng: np.random.Generator, n_reps: int, **scenario) -> Simulation:
    """Draw ``n_reps`` replications of the bench's world.

    Parameters
    ----------
    rng : numpy.random.Generator
        The stream (the bench gives each task its own).
    n_reps : int
        Replications in this batch.
    **scenario
        Overrides of :data:`DEFAULTS`.
    """
    sc = check_scenario(scenario)
    b, u, n = int(n_reps), sc["n_units"], sc["n_indicators"]
    target = np.exp(rng.normal(np.log(100.0), 0.5, (b, 1, n)))
    loading = rng.uniform(0.5, 1.5, (b, 1, n))
    effort = rng.standard_normal((b, u))
    # event profiles: (B, n_events, I), some indicators untouched by each kind of event
    profiles = rng.beta(2.0, 2.0, (b, sc["n_events"], n))
    profiles *= rng.random((b, sc["n_events"], n)) >= sc["zero_sensitivity"]
    base = np.log(target) + sc["level"] + sc["effort_sd"] * loading * effort[..., None]

    def year() -> np.ndarray:
        return (
            base + rng.normal(0, sc["year_sd"], (b, 1, n)) + rng.normal(0, sc["noise"], (b, u, n))
        )

    y0 = np.exp(year())
    clean1, clean2 = np.exp(year()), np.exp(year())
    hit1, exp1, mon1, sens1, loss1 = _shocks(rng, sc, b, profiles)
    hit2, exp2, mon2, sens2, loss2 = _shocks(rng, sc, b, profiles)
    y1 = clean1 * (1.0 - loss1)
    y2 = clean2 * (1.0 - loss2)
    weights = np.full(n, 100.0 / n)
    direction = np.ones(n)
    group = np.arange(u) % sc["n_groups"]
    common = {"weights": weights, "direction": direction, "group": group}
    year1 = Panel(y1, target, y0, target, exp1, mon1, sens1, **common)
    year2 = Panel(y2, target, y1, target, exp2, mon2, sens2, **common)
    return Simulation(year1, year2, clean1, clean2, effort, hit1, hit2)
