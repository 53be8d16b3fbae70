"""Remove one: how ranks move when each indicator, or each dimension, is left out.

Each indicator is given weight 0 and its dimension keeps its points (the remaining
indicators of the dimension rescaled — COINr's ``remove_elements`` rule: the
aggregation group is re-averaged over what is left); each dimension is left out and the
others rescaled to the scheme total. Every variant is re-scored by the engine
(:func:`kmmodel.scoring.score_achievement` with per-unit weights), so vetoes,
bonus/penalty items, the scheme's aggregation, grade caps and ranking groups apply
exactly as in the scheme.

Invariants the tests check: leaving out an indicator equal to the weighted mean of the
rest of its dimension (e.g. a copy of the only other one) changes nothing; leaving out a dimension that does not vary across units
(or a one-indicator dimension whose indicator is constant) shifts every total by an
increasing affine map, so no rank changes. Removing a *constant* indicator from a
dimension with others *can* move ranks: its siblings' weights grow, and that is the
point of the exercise, not a defect.

References
----------
.. [1] OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, Part I step 7
   (robustness and sensitivity: excluding one indicator at a time).
.. [2] COINr documentation, "Sensitivity analysis" vignette, ``remove_elements()``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["remove_one"]


def remove_one(inp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rank change of every unit with each indicator and each dimension left out.

    All variants are scored in **one** engine run: the units are stacked once per
    variant (ids ``unit#k``), each copy ranked in its own copy of its ranking group, with
    per-unit weights that zero the element left out.

    Parameters
    ----------
    inp : Inputs
        From :func:`kmmodel.diagnostics._common.prepare`.

    Returns
    -------
    (DataFrame, DataFrame)
        ``shifts``: long, one row per (left out, unit): level (``indicator`` /
        ``dimension``), removed, unit, rank, new_rank, shift (places moved up,
        positive = better). ``summary``: one row per removed element: level, removed,
        dimension, mean_abs_shift [places], max_abs_shift, units_moved, most_moved
        (unit), sorted by mean_abs_shift, largest first.
    """
    from kmmodel.scoring import score_achievement

    variants = [("indicator", c, [c], inp.dimension_of[c]) for c in inp.points.index]
    variants += [("dimension", d, inp.indicators_of(d), d) for d in inp.dimensions]
    units = inp.A.index.to_numpy(dtype=object)
    n, m = len(units), len(variants)
    stacked = np.array([f"{u}#{k}" for k in range(m) for u in units], dtype=object)
    obs = inp.observations
    pos = pd.Index(units).get_indexer(obs["unit"].astype(str))
    codes = (np.arange(m)[:, None] * n + pos[None, :]).ravel()
    big = pd.DataFrame(
        {
            # categorical ids: the engine factorises codes, not 2-million strings
            "unit": pd.Categorical.from_codes(codes, categories=stacked),
            "indicator": np.tile(obs["indicator"].to_numpy(), m),
            "value": np.tile(obs["value"].to_numpy(), m),
        }
    )
    rank_by = inp.scheme.to_dict().get("rank_by") or "group"
    grp = inp.group.reindex(inp.A.index).to_numpy(dtype=object)
    groups = pd.DataFrame(
        {"unit": stacked, rank_by: np.concatenate([grp + f"#{k}" for k in range(m)])}
    )
    W = np.tile(inp.points.to_numpy(dtype=float), (n * m, 1))
    col = {c: j for j, c in enumerate(inp.points.index)}
    for k, (_, _, cols, _) in enumerate(variants):
        W[k * n : (k + 1) * n, [col[c] for c in cols]] = 0.0
    weights = pd.DataFrame(W, index=stacked, columns=inp.points.index)
    res = score_achievement(
        inp.scheme,
        big,
        weights=weights,
        units=groups,
        missing=inp.base.missing,
        source="remove-one variants",
    )
    new = res.table.set_index("unit")["rank"].reindex(stacked).to_numpy(dtype=int).reshape(m, n)
    rank0 = inp.rank.reindex(inp.A.index).to_numpy(dtype=int)
    shift = rank0[None, :] - new
    shifts = pd.DataFrame(
        {
            "level": np.repeat([v[0] for v in variants], n),
            "removed": np.repeat([v[1] for v in variants], n),
            "unit": np.tile(units, m),
            "rank": np.tile(rank0, m),
            "new_rank": new.ravel(),
            "shift": shift.ravel(),
        }
    )
    a = np.abs(shift)
    summary = pd.DataFrame(
        {
            "level": [v[0] for v in variants],
            "removed": [v[1] for v in variants],
            "dimension": [v[3] for v in variants],
            "mean_abs_shift": a.mean(axis=1),
            "max_abs_shift": a.max(axis=1),
            "units_moved": (a > 0).sum(axis=1),
            "most_moved": np.where(a.max(axis=1) > 0, units[a.argmax(axis=1)], ""),
        }
    ).sort_values(
        ["mean_abs_shift", "max_abs_shift", "removed"],
        ascending=[False, False, True],
        kind="stable",
    )
    return shifts, summary.reset_index(drop=True)
