"""Lifecycle cash flows by project, year and line: validation, arrays, real and nominal prices.

A flows table is long: one row per ``project``, ``year`` (0 = first year of the project)
and ``line``, with a positive ``amount`` [yuan]. The line says what the money is:

=============  =========  ====================================================
line           kind       meaning
=============  =========  ====================================================
investment     cost       preparation and construction (capital expenditure)
operation      cost       operation and maintenance
renewal        cost       replacement of components during the life
residual       residual   residual value at the end of the appraisal period
economic       benefit    output, revenue, time saved, tax base [yuan]
social         benefit    health, education, safety, livelihood gains [yuan]
ecological     benefit    environmental gains other than carbon [yuan]
carbon         benefit    green power: avoided CO2 valued at a carbon price [yuan]
=============  =========  ====================================================

Costs enter the net flow with a minus sign; residual value and benefits with a plus.
Amounts are in constant (real) yuan of the project's base year unless said otherwise;
:func:`to_nominal` / :func:`to_real` convert with a constant inflation rate.

References
----------
.. [1] HM Treasury (2022). The Green Book, Annex A2 (costs, residual values, real prices).
.. [2] 《建设项目经济评价方法与参数》(第三版), 2006: 计算期 (建设期 + 运营期), 回收固定资产余值.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems, rows_phrase
from kmmodel.tables import columns, parse_numbers

__all__ = [
    "BENEFIT_LINES",
    "COST_LINES",
    "LINES",
    "FlowCube",
    "cube",
    "line_sign",
    "to_nominal",
    "to_real",
    "validate_flows",
]

COST_LINES = ("investment", "operation", "renewal")
BENEFIT_LINES = ("economic", "social", "ecological", "carbon")
LINES = (*COST_LINES, "residual", *BENEFIT_LINES)
FLOW_COLUMNS = ("project", "year", "line", "amount")


def line_sign(lines) -> np.ndarray:
    """-1 for cost lines, +1 for residual value and benefit lines."""
    return np.where(np.isin(np.asarray(lines), COST_LINES), -1.0, 1.0)


def validate_flows(
    flows: pd.DataFrame, projects: pd.DataFrame | None = None, source: str = "flows"
) -> pd.DataFrame:
    """Check a long flows table and return it typed (project str, year int, line str, amount float).

    Every problem is collected before raising: missing columns, empty or non-numeric
    amounts, negative amounts, unknown lines, years that are not whole numbers >= 0,
    duplicate (project, year, line) rows, projects missing from ``projects``, and years
    beyond a project's ``life_years``.

    Parameters
    ----------
    flows : pandas.DataFrame
        Columns ``project``, ``year``, ``line``, ``amount`` [yuan].
    projects : pandas.DataFrame, optional
        With columns ``project`` and ``life_years`` [years] to cross-check.
    source : str
        Name used in messages (a file name).

    Raises
    ------
    DataError
        Listing every problem with its rows (file rows: header is row 1).
    """
    probs = Problems(source=source)
    df = columns(flows, FLOW_COLUMNS, probs, "flows").reset_index(drop=True)
    project = df["project"].astype("string")

    def where(mask) -> str:
        """File rows plus the projects they belong to."""
        idx = np.flatnonzero(np.asarray(mask, dtype=bool))
        ids = sorted({str(p) for p in project.iloc[idx] if not pd.isna(p)})
        shown = ", ".join(ids[:5]) + (" …" if len(ids) > 5 else "")
        return rows_phrase(idx) + (f" (project {shown})" if ids else "")

    empty_p = project.isna() | (project.str.strip() == "")
    if empty_p.any():
        probs.add(f"empty project id in {rows_phrase(np.flatnonzero(empty_p))}", "column project")
    year = parse_numbers(df["year"])[0]
    bad_y = year.isna() | (year < 0) | (year % 1 != 0)
    if bad_y.any():
        probs.add(
            f"expected a whole year offset >= 0 in {where(bad_y)}",
            "column year",
        )
    amount, empty_a, text_a, inf_a = parse_numbers(df["amount"])
    for bad_a, said in ((empty_a, "an empty cell"), (text_a, "text"), (inf_a, "infinite")):
        if bad_a.any():
            probs.add(
                f"expected a finite number [yuan], got {said} in {where(bad_a)}", "column amount"
            )
    neg = (amount < 0).fillna(False)
    if neg.any():
        probs.add(
            f"amounts must be >= 0 (the line gives the sign) in {where(neg)}",
            "column amount",
        )
    line = df["line"].astype("string").str.strip()
    bad_l = ~line.isin(LINES).fillna(False)
    if bad_l.any():
        probs.add(
            f"unknown line in {where(bad_l)}; expected one of {list(LINES)}",
            "column line",
        )
    ok = ~(empty_p | bad_y | bad_l)
    dup = pd.DataFrame({"p": project, "y": year, "l": line})[ok].duplicated(keep=False)
    if dup.any():
        probs.add(
            f"duplicate (project, year, line) in {where(dup.reindex(df.index, fill_value=False))}",
            "columns project, year, line",
        )
    if projects is not None:
        life = projects.set_index("project")["life_years"]
        unknown = ok & ~project.isin(life.index).fillna(False)
        if unknown.any():
            ids = sorted(set(project[unknown]))
            probs.add(
                f"project id(s) {ids} not in the projects table ({rows_phrase(np.flatnonzero(unknown))})",
                "column project",
            )
        known = ok & ~unknown
        beyond = known & (year > project.map(life).astype(float))
        if beyond.any():
            probs.add(
                f"year beyond the project's life_years in {where(beyond)}",
                "column year",
            )
    probs.raise_if_any(DataError)
    return pd.DataFrame(
        {
            "project": project.astype(str),
            "year": year.astype("int64"),
            "line": line.astype(str),
            "amount": amount.astype(float),
        }
    )


@dataclass(frozen=True)
class FlowCube:
    """Flows as an array ``amounts[project, line, year]`` [yuan], positive magnitudes.

    Attributes
    ----------
    projects : tuple of str
    lines : tuple of str
        Always :data:`LINES`, in that order.
    amounts : numpy.ndarray
        Shape (n_projects, n_lines, n_years + 1); missing cells are 0.
    """

    projects: tuple[str, ...]
    lines: tuple[str, ...]
    amounts: np.ndarray

    @property
    def n_years(self) -> int:
        return self.amounts.shape[-1] - 1

    @property
    def signs(self) -> np.ndarray:
        return line_sign(self.lines)

    def index(self, project: str) -> int:
        try:
            return self.projects.index(project)
        except ValueError:
            raise DataError(
                f"unknown project {project!r}; expected one of {list(self.projects)}", "project"
            ) from None

    def net(self) -> np.ndarray:
        """Net flows [yuan], shape (n_projects, n_years + 1)."""
        return np.einsum("l,ply->py", self.signs, self.amounts)

    def select(self, lines) -> np.ndarray:
        """Sum of the chosen lines [yuan], shape (n_projects, n_years + 1)."""
        mask = np.isin(self.lines, list(lines))
        return self.amounts[:, mask, :].sum(axis=1)

    def table(self) -> pd.DataFrame:
        """Wide view: one row per project and line, one column per year."""
        p, ln, y = self.amounts.shape
        idx = pd.MultiIndex.from_product([self.projects, self.lines], names=["project", "line"])
        return pd.DataFrame(self.amounts.reshape(p * ln, y), index=idx, columns=range(y))


def cube(flows: pd.DataFrame, n_years: int | None = None, projects=None) -> FlowCube:
    """Pivot a validated long flows table into a :class:`FlowCube` (vectorised).

    Parameters
    ----------
    flows : pandas.DataFrame
        Long flows (see :func:`validate_flows`).
    n_years : int, optional
        Horizon [years]; default the last year present.
    projects : sequence of str, optional
        Project order; default sorted ids in ``flows``.
    """
    df = validate_flows(flows)
    ids = tuple(projects) if projects is not None else tuple(sorted(df["project"].unique()))
    last = int(df["year"].max()) if len(df) else 0
    n = last if n_years is None else int(n_years)
    if n < last:
        raise DataError(f"flows run to year {last}, beyond n_years={n}", source="flows")
    p = pd.Index(ids).get_indexer(df["project"])
    if (p < 0).any():
        raise DataError("flows name projects outside the chosen list", source="flows")
    ln = pd.Index(LINES).get_indexer(df["line"])
    arr = np.zeros((len(ids), len(LINES), n + 1))
    np.add.at(arr, (p, ln, df["year"].to_numpy()), df["amount"].to_numpy())
    return FlowCube(ids, LINES, arr)


def _growth(n_plus_1: int, inflation: float) -> np.ndarray:
    if not np.isfinite(inflation) or inflation <= -1:
        raise DataError(f"inflation must be a rate above -100%, got {inflation}", "inflation")
    return (1.0 + inflation) ** np.arange(n_plus_1)


def to_nominal(amounts, inflation: float) -> np.ndarray:
    """Real (base-year) yuan to nominal yuan: ``amount[t] * (1 + inflation) ** t``.

    Works on the last axis of any array (a flow vector, a :class:`FlowCube`'s amounts).
    """
    a = np.asarray(amounts, dtype=float)
    return a * _growth(a.shape[-1], inflation)


def to_real(amounts, inflation: float) -> np.ndarray:
    """Nominal yuan to real (base-year) yuan: ``amount[t] / (1 + inflation) ** t``."""
    a = np.asarray(amounts, dtype=float)
    return a / _growth(a.shape[-1], inflation)
