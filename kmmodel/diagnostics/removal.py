"""Remove one: how ranks move when each indicator, or each dimension, is left out.

Each indicator is given weight 0 and its dimension keeps its points (the remaining
indicators of the dimension rescaled — COINr's ``remove_elements`` rule: the
aggregation group is re-averaged over what is left); each dimension is left out and the
others rescaled to the scheme total. Every variant is re-scored by the engine
(:func:`kmmodel.scoring.score_achievement` with per-unit weights), so vetoes,
bonus/penalty items, the scheme's aggregation, grade caps and ranking groups apply
exactly as in the scheme.

Invariants the tests check: leaving out an indicator that duplicates another of its
dimension changes nothing; leaving out a dimension that does not vary across units
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

    base_w = pd.DataFrame(
        np.broadcast_to(inp.points.to_numpy(), inp.A.shape).copy(),
        index=inp.A.index,
        columns=inp.points.index,
    )
    variants = [("indicator", c, [c], inp.dimension_of[c]) for c in inp.points.index]
    variants += [("dimension", d, inp.indicators_of(d), d) for d in inp.dimensions]
    frames, rows = [], []
    rank0 = inp.rank.reindex(inp.A.index).astype(int)
    for level, name, cols, dim in variants:  # one engine run per indicator/dimension
        w = base_w.copy()
        w[cols] = 0.0
        res = score_achievement(
            inp.scheme, inp.observations, weights=w, units=inp.units, missing=inp.base.missing
        )
        new = res.table.set_index("unit")["rank"].reindex(inp.A.index).astype(int)
        shift = (rank0 - new).astype(int)
        frames.append(
            pd.DataFrame(
                {
                    "level": level,
                    "removed": name,
                    "unit": inp.A.index,
                    "rank": rank0.to_numpy(),
                    "new_rank": new.to_numpy(),
                    "shift": shift.to_numpy(),
                }
            )
        )
        a = shift.abs()
        rows.append(
            {
                "level": level,
                "removed": name,
                "dimension": dim,
                "mean_abs_shift": float(a.mean()),
                "max_abs_shift": int(a.max()),
                "units_moved": int((a > 0).sum()),
                "most_moved": str(a.idxmax()) if a.max() > 0 else "",
            }
        )
    summary = pd.DataFrame(rows).sort_values(
        ["mean_abs_shift", "max_abs_shift", "removed"], ascending=[False, False, True], kind="stable"
    )
    return pd.concat(frames, ignore_index=True), summary.reset_index(drop=True)
