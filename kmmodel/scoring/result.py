"""The result of scoring: tables per unit and per indicator, and explanations."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from kmmodel.errors import DataError

__all__ = ["ScoreResult"]


@dataclass(frozen=True, eq=False)
class ScoreResult:
    """Scores of every unit under one scheme.

    Attributes
    ----------
    scheme : Scheme
        The scheme scored against.
    table : DataFrame
        One row per unit: unit, group, total [points], grade, rank (within the group,
        1 = best), vetoed, one column per dimension id [points], bonus [points]
        (bonus minus penalty items), veto (ids of triggered vetoes, ``;``-joined).
    points : DataFrame
        Long: unit, indicator, dimension, value, points, max_points [points],
        achievement [share 0-1], status (``ok`` / ``missing`` / ``excluded``), kind
        (``score`` / ``veto`` / ``adjustment``). The id columns (unit, indicator,
        dimension, status, kind) are categorical, so 2 million rows stay cheap.
    vetoes : DataFrame
        One row per triggered veto: unit, indicator, name, action, value.
    missing : str
        The missing-observation policy applied.
    """

    scheme: object
    table: pd.DataFrame
    points: pd.DataFrame
    vetoes: pd.DataFrame
    missing: str
    _achievement: pd.DataFrame = field(repr=False)

    @property
    def units(self) -> list[str]:
        return self.table["unit"].tolist()

    def achievement(self) -> pd.DataFrame:
        """Units × scored indicators matrix of points / max_points [share 0-1].

        NaN marks an observation left out under the ``rescale`` missing policy.
        With weighted-sum aggregation, ``res.achievement() @ scheme.weights()`` gives
        each unit's points before vetoes and bonus/penalty items.
        """
        return self._achievement.copy()

    def explain(self, unit: str) -> pd.DataFrame:
        """Why ``unit`` earned and lost points, one row per indicator.

        Returns
        -------
        DataFrame
            indicator, name, dimension, value, points, max_points, lost [points] and
            reason (rule, value vs target, and what followed), then one row per
            triggered veto and, when the total was capped at 0 or at the scheme total,
            a row saying so. Sorted by points lost, largest first.
        """
        if unit not in set(self.table["unit"]):
            raise DataError(f"unknown unit {unit!r}; scored units: {', '.join(self.units)}")
        scheme = self.scheme
        p = self.points[self.points["unit"] == unit]
        rows = []
        for r in p.itertuples(index=False):  # one unit: ~tens of rows, not a hot path
            ind = scheme.indicator(r.indicator)
            rows.append(
                {
                    "indicator": r.indicator,
                    "name": ind.name,
                    "dimension": r.dimension,
                    "value": r.value,
                    "points": r.points,
                    "max_points": r.max_points,
                    "lost": r.max_points - r.points,
                    "reason": _reason(ind, r),
                }
            )
        out = pd.DataFrame(rows)
        trow = self.table.loc[self.table["unit"] == unit].iloc[0]
        dims = {d.id: d for d in scheme.spec.dimensions}
        for v in self.vetoes[self.vetoes["unit"] == unit].itertuples(index=False):
            ind = scheme.indicator(v.indicator)
            lost, what = 0.0, ""
            if v.action == "zero_dimension":
                lost = float(
                    out.loc[out["dimension"] == ind.dimension, "points"].clip(lower=0).sum()
                )
                what = f"dimension {ind.dimension} ({dims[ind.dimension].name}) set to 0"
            elif v.action == "disqualify":
                lost = float(out["points"].sum())
                what = "total set to 0 and lowest grade"
            cap = ind.rule.cap_grade or scheme.grade_names[1]
            rows_extra = {
                "indicator": v.indicator,
                "name": ind.name,
                "dimension": ind.dimension,
                "value": v.value,
                "points": -lost if lost else 0.0,
                "max_points": 0.0,
                "lost": lost,
                "reason": ind.rule.veto_reason(v.value, cap, what),
            }
            out = out[~((out["indicator"] == v.indicator) & (out["lost"] == 0))]
            out = pd.concat([out, pd.DataFrame([rows_extra])], ignore_index=True)
        agg = scheme.spec.aggregation
        if agg.indicators != "weighted_sum" or agg.dimensions != "weighted_sum":
            raw = float(p.loc[p["kind"] == "score", "points"].sum())
            dims_sum = float(trow[[d for d in dims]].sum())
            note = f"aggregation {agg.indicators}/{agg.dimensions}: {raw:.2f} weighted points became {dims_sum:.2f}"
            out = pd.concat(
                [out, pd.DataFrame([_note("aggregation", raw - dims_sum, note)])], ignore_index=True
            )
        expected = float(out["points"].sum())
        if abs(expected - trow["total"]) > 1e-6:
            out = pd.concat(
                [
                    out,
                    pd.DataFrame(
                        [
                            _note(
                                "total_bounds",
                                expected - trow["total"],
                                f"total kept within [0, {scheme.total:g}]",
                            )
                        ]
                    ),
                ],
                ignore_index=True,
            )
        out = out.assign(_veto=out["reason"].str.startswith("一票否决"))
        out = out.sort_values(
            ["_veto", "lost", "indicator"], ascending=[False, False, True], kind="stable"
        )
        return out.drop(columns="_veto").reset_index(drop=True)

    def summary(self) -> str:
        """One line: units scored, mean total, grade counts, vetoed units."""
        t = self.table
        counts = t["grade"].value_counts().reindex(self.scheme.grade_names).fillna(0).astype(int)
        grades = ", ".join(f"{g} {n}" for g, n in counts.items())
        vet = ", ".join(t.loc[t["vetoed"], "unit"]) or "none"
        return (
            f"{len(t)} units scored on {self.scheme.name} ({self.scheme.year}): mean total "
            f"{t['total'].mean():.1f}/{self.scheme.total:g}; grades {grades}; vetoed: {vet}"
        )


def _note(ind: str, lost: float, reason: str) -> dict:
    return {
        "indicator": ind,
        "name": "",
        "dimension": "",
        "value": math.nan,
        "points": -lost,
        "max_points": 0.0,
        "lost": lost,
        "reason": reason,
    }


def _reason(ind, r) -> str:
    """Human-readable reason for one indicator's points (the rule type words it)."""
    if r.status == "missing":
        return "no observation: 0 points (missing policy 'zero')"
    if r.status == "excluded":
        return "no observation: left out, dimension rescaled (missing policy 'rescale')"
    return ind.rule.reason(ind, r.value, r.points, r.max_points)
