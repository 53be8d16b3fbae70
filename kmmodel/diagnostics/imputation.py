"""Imputation sensitivity: do the ranks depend on what a missing figure counts for?

Every missing observation of a scored indicator is filled in several ways, each variant
re-scored by the engine, and the ranks compared with the nominal result (the scheme's
own missing policy):

``zero`` / ``rescale``
    the engine's policies: no points, or leave the indicator out and rescale its
    dimension;
``group_median``
    the median of the indicator's observed values in the unit's ranking group;
``carry_forward``
    the unit's value for the same indicator in ``previous`` (e.g. last year's
    observations), where there is one; cells still missing follow the scheme's policy.

Grade indicators are not imputed (a median of grade positions need not be a grade);
their gaps follow the scheme's policy in every variant.

References
----------
.. [1] OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, Part I step 3
   and Part II (imputation of missing data: unconditional and hot-deck imputation).
.. [2] COINr documentation, "Imputation" vignette (``Impute``: group median, ``i_mean_grp``).
"""

from __future__ import annotations

import pandas as pd

from kmmodel.errors import DataError

__all__ = ["imputation"]

_SKIP_RULES = ("grade",)


def imputation(inp, previous: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ranks under each way of filling the missing observations.

    Parameters
    ----------
    inp : Inputs
    previous : DataFrame, optional
        Long ``unit, indicator, value`` observations of an earlier period.

    Returns
    -------
    (DataFrame, DataFrame)
        ``summary``: method, n_missing, n_filled, units_moved, max_abs_shift,
        mean_abs_shift [places]. ``ranks``: unit, group, rank (scheme policy) and one
        ``rank_<method>`` column per method.
    """
    from kmmodel.scoring import score

    ind = inp.scheme.indicators.set_index("id")
    A = inp.A
    ids = [c for c in A.columns if ind.loc[c, "rule"] not in _SKIP_RULES]
    p = inp.base.points
    p = p[p["indicator"].astype(str).isin(ids)]
    V = p.pivot_table(
        index="unit", columns="indicator", values="value", aggfunc="first", observed=True
    )
    V.index, V.columns = V.index.astype(str), V.columns.astype(str)
    V = V.reindex(index=A.index, columns=ids).astype(float)
    # gaps as the engine saw them (its own status), not merely NaN values
    St = p.assign(gap=p["status"].astype(str).isin(["missing", "excluded"])).pivot_table(
        index="unit", columns="indicator", values="gap", aggfunc="first", observed=True
    )
    St.index, St.columns = St.index.astype(str), St.columns.astype(str)
    gaps = St.reindex(index=A.index, columns=ids).fillna(False).astype(bool)
    n_missing = int(gaps.to_numpy().sum())
    ranks = pd.DataFrame(
        {"unit": A.index, "group": inp.group.to_numpy(), "rank": inp.rank.to_numpy()}
    )
    cols = ["method", "n_missing", "n_filled", "units_moved", "max_abs_shift", "mean_abs_shift"]
    if n_missing == 0:
        return pd.DataFrame(columns=cols), ranks
    fills: dict[str, pd.DataFrame | str] = {"zero": "zero", "rescale": "rescale"}
    med = V.groupby(inp.group.reindex(A.index).to_numpy()).transform("median")
    fills["group_median"] = V.where(~gaps, med)
    if previous is not None:
        if not isinstance(previous, pd.DataFrame) or not {"unit", "indicator", "value"} <= set(
            previous.columns
        ):
            raise DataError(
                "previous observations need columns unit, indicator, value", source="previous"
            )
        prev = previous.assign(
            unit=previous["unit"].astype(str),
            indicator=previous["indicator"].astype(str),
            value=pd.to_numeric(previous["value"], errors="coerce"),
        )
        P = prev.pivot_table(index="unit", columns="indicator", values="value", aggfunc="first")
        P = P.reindex(index=A.index, columns=ids)
        fills["carry_forward"] = V.where(~gaps, P)
    rows = []
    for name, fill in fills.items():
        if isinstance(fill, str):
            res = score(inp.scheme, inp.observations, units=inp.units, missing=fill)
            n_filled = 0
        else:
            filled = fill.where(gaps).stack()
            n_filled = int(filled.notna().sum())
            extra = filled.dropna().rename("value").reset_index()
            extra.columns = ["unit", "indicator", "value"]
            obs = pd.concat([inp.observations, extra], ignore_index=True)
            res = score(
                inp.scheme,
                obs,
                units=inp.units,
                missing=inp.base.missing,
                source=f"{name} imputation",
            )
        r = res.table.set_index("unit")["rank"].reindex(A.index).astype(int)
        ranks[f"rank_{name}"] = r.to_numpy()
        shift = (ranks["rank"] - ranks[f"rank_{name}"]).abs()
        rows.append(
            {
                "method": name,
                "n_missing": n_missing,
                "n_filled": n_missing if name in ("zero", "rescale") else n_filled,
                "units_moved": int((shift > 0).sum()),
                "max_abs_shift": int(shift.max()),
                "mean_abs_shift": float(shift.mean()),
            }
        )
    return pd.DataFrame(rows, columns=cols), ranks
