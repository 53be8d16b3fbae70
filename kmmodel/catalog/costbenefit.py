"""Cost-benefit data sets: example projects, their lifecycle flows, their cost chain (all synthetic).

The eight projects are invented examples placed in real Kunming units so the notebooks
have something concrete to appraise. Their sizes, costs, benefits and satisfaction gains
are made up by the seeded generators below (assumptions stated next to each number and
in ``data/README.md``); they are not Kunming's projects or figures.

Generator assumptions (all amounts in constant 2025 yuan):

- Investment spreads evenly over the works years, times a factor drawn from U(0.9, 1.1).
- Operation & maintenance: a fixed share of investment per year after the works.
- Renewal: a share of investment once, at mid-life.
- Residual value: a share of investment in the last year.
- Benefit lines ramp up linearly over 3 years after the works, each year's amount times
  a factor drawn from U(0.95, 1.05).
- Carbon line: ``green_mwh`` [MWh/year] * 0.5366 tCO2/MWh (MEE/NBS national average 2022)
  * 80 yuan/tCO2 (kmmodel's illustrative carbon price), with the same ramp-up.
- Cost chain: budgets split the project's investment (plus first-year O&M) by phase; final
  accounts of closed phases and execution of open phases are budget times a drawn factor;
  two projects are set up to show an overrun and a slow-execution warning.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmmodel.catalog._dataset import Dataset
from kmmodel.catalog.base import unit_ids
from kmmodel.costbenefit.chain import CHAIN_COLUMNS, PHASES, _validate
from kmmodel.costbenefit.flows import LINES, validate_flows
from kmmodel.costbenefit.green import CARBON_PRICE_ASSUMED, EMISSION_FACTOR_NATIONAL_2022
from kmmodel.costbenefit.optimism import OPTIMISM_BIAS
from kmmodel.errors import DataError, Problems, rows_phrase

SEED = 20250305
KINDS = ("industrial", "livelihood", "ecological", "infrastructure", "digital")

# id, name_zh, name_en, kind, unit, ob_category, life, works, capex [yuan], opex share,
# renewal share, residual share, beneficiaries, satisfaction gain [points], green MWh/yr,
# benefits per year at full operation [yuan]: economic, social, ecological
_SPEC = [
    (
        "gaoxin_green_mfg",
        "高新区绿电先进制造产业园",
        "High-tech zone green-power advanced manufacturing park",
        "industrial",
        "gaoxin",
        "non_standard_buildings",
        25,
        3,
        480e6,
        0.015,
        0.10,
        0.15,
        6_000,
        1.5,
        120_000,
        (62e6, 4e6, 1e6),
    ),
    (
        "anning_rooftop_pv",
        "安宁工业园区屋顶分布式光伏",
        "Anning industrial park rooftop solar",
        "industrial",
        "anning",
        "equipment_development",
        25,
        1,
        95e6,
        0.012,
        0.12,
        0.05,
        2_000,
        0.5,
        60_000,
        (7.2e6, 0.3e6, 0.5e6),
    ),
    (
        "chenggong_elder_care",
        "呈贡区社区养老服务中心",
        "Chenggong community elderly-care centres",
        "livelihood",
        "chenggong",
        "standard_buildings",
        30,
        2,
        68e6,
        0.05,
        0.08,
        0.10,
        18_000,
        6.0,
        0,
        (0.8e6, 8.5e6, 0.0),
    ),
    (
        "guandu_school",
        "官渡区义务教育学校扩容",
        "Guandu compulsory-school expansion",
        "livelihood",
        "guandu",
        "standard_buildings",
        40,
        2,
        150e6,
        0.035,
        0.06,
        0.10,
        4_500,
        4.0,
        0,
        (0.0, 13.5e6, 0.0),
    ),
    (
        "luquan_water_supply",
        "禄劝县农村供水保障工程",
        "Luquan rural drinking-water supply",
        "livelihood",
        "luquan",
        "non_standard_civil_engineering",
        30,
        2,
        120e6,
        0.03,
        0.10,
        0.05,
        85_000,
        8.0,
        0,
        (1.5e6, 10.5e6, 0.8e6),
    ),
    (
        "xishan_sewage",
        "西山区污水处理提标改造",
        "Xishan sewage-treatment upgrade",
        "ecological",
        "xishan",
        "standard_civil_engineering",
        20,
        2,
        210e6,
        0.06,
        0.15,
        0.05,
        300_000,
        2.0,
        0,
        (0.0, 3.0e6, 24e6),
    ),
    (
        "songming_rural_road",
        "嵩明县农村公路提升",
        "Songming rural road upgrade",
        "infrastructure",
        "songming",
        "standard_civil_engineering",
        20,
        2,
        135e6,
        0.025,
        0.20,
        0.05,
        60_000,
        3.0,
        0,
        (9.0e6, 4.0e6, 0.0),
    ),
    (
        "wuhua_e_services",
        "五华区政务服务数字化平台",
        "Wuhua digital government-services platform",
        "digital",
        "wuhua",
        "equipment_development",
        8,
        1,
        32e6,
        0.12,
        0.0,
        0.0,
        400_000,
        3.5,
        0,
        (2.5e6, 3.2e6, 0.0),
    ),
]

PROJECT_COLUMNS = {
    "project": "string",
    "name_zh": "string",
    "name_en": "string",
    "kind": "string",
    "unit": "string",
    "ob_category": "string",
    "life_years": "int64",
    "beneficiaries": "int64",
    "satisfaction_gain": "float64",
    "green_mwh": "float64",
    "carbon_price": "float64",
}


def generate_projects() -> pd.DataFrame:
    """The example projects (synthetic; satisfaction gains are assumptions, not survey results)."""
    rows = [
        {
            "project": s[0],
            "name_zh": s[1],
            "name_en": s[2],
            "kind": s[3],
            "unit": s[4],
            "ob_category": s[5],
            "life_years": s[6],
            "beneficiaries": s[12],
            "satisfaction_gain": s[13],
            "green_mwh": float(s[14]),
            "carbon_price": CARBON_PRICE_ASSUMED,
        }
        for s in _SPEC
    ]
    return pd.DataFrame(rows, columns=list(PROJECT_COLUMNS))


def generate_flows() -> pd.DataFrame:
    """Lifecycle flows [constant 2025 yuan] by project, year and line (seeded)."""
    rng = np.random.default_rng(SEED)
    parts = []
    for s in _SPEC:
        pid, life, works, capex, opex, renew, resid = s[0], s[6], s[7], s[8], s[9], s[10], s[11]
        green, (econ, social, eco) = s[14], s[15]
        years = np.arange(life + 1)
        amt = np.zeros((len(LINES), life + 1))
        amt[LINES.index("investment"), :works] = capex / works * rng.uniform(0.9, 1.1, works)
        op = years >= works
        amt[LINES.index("operation"), op] = capex * opex
        if renew > 0:
            amt[LINES.index("renewal"), works + (life - works) // 2] = capex * renew
        amt[LINES.index("residual"), life] = capex * resid
        ramp = np.clip((years - works + 1) / 3.0, 0.0, 1.0)
        carbon = green * EMISSION_FACTOR_NATIONAL_2022 * CARBON_PRICE_ASSUMED
        for line, full in (
            ("economic", econ),
            ("social", social),
            ("ecological", eco),
            ("carbon", carbon),
        ):
            if full > 0:
                amt[LINES.index(line)] = full * ramp * rng.uniform(0.95, 1.05, life + 1)
        amt = np.round(amt)
        li, yi = np.nonzero(amt)
        parts.append(
            pd.DataFrame(
                {
                    "project": pid,
                    "year": yi.astype("int64"),
                    "line": np.asarray(LINES)[li],
                    "amount": amt[li, yi],
                }
            ).sort_values(["year", "line"], kind="stable")
        )
    return pd.concat(parts, ignore_index=True)


# phase shares of the investment budget by kind, and the project's progress story:
# (share of phases closed, execution factor of the open phase, final-account factor range)
_PHASE_SPLIT = {
    "industrial": (0.06, 0.64, 0.30),
    "livelihood": (0.08, 0.80, 0.12),
    "ecological": (0.07, 0.58, 0.35),
    "infrastructure": (0.07, 0.88, 0.05),
    "digital": (0.10, 0.20, 0.70),
}
_STATUS = {  # phases still open (others closed) and the time elapsed in the open phase
    "gaoxin_green_mfg": (("equipment", "operation"), 0.7),
    "anning_rooftop_pv": ((), 1.0),
    "chenggong_elder_care": (("operation",), 0.4),
    "guandu_school": (("construction", "equipment", "operation"), 0.6),  # slow execution
    "luquan_water_supply": (("operation",), 0.5),
    "xishan_sewage": (("operation",), 0.3),
    "songming_rural_road": ((), 1.0),  # closed; construction overran
    "wuhua_e_services": (("operation",), 0.5),
}


def generate_cost_chain() -> pd.DataFrame:
    """Budget -> execution -> final accounts by project and phase (seeded)."""
    rng = np.random.default_rng(SEED + 1)
    rows = []
    for s in _SPEC:
        pid, kind, capex, opex = s[0], s[3], s[8], s[9]
        split = _PHASE_SPLIT[kind]
        budgets = dict(
            zip(PHASES, [capex * split[0], capex * split[1], capex * split[2], capex * opex])
        )
        open_phases, elapsed = _STATUS[pid]
        for phase in PHASES:
            b = round(budgets[phase], -3)
            if b <= 0:
                continue
            if phase in open_phases:
                first_open = phase == open_phases[0]
                share = elapsed if first_open else 0.0
                factor = rng.uniform(0.9, 1.05) * share
                if pid == "guandu_school" and first_open:
                    factor = 0.25  # spending trails time: the slow-execution example
                executed, final, ts = round(b * factor, -3), np.nan, share
            else:
                f = rng.uniform(0.93, 1.06)
                if pid == "songming_rural_road" and phase == "construction":
                    f = 1.18  # the overrun example
                final = round(b * f, -3)
                executed, ts = final, 1.0
            rows.append(
                {
                    "project": pid,
                    "phase": phase,
                    "budget": b,
                    "executed": executed,
                    "final_account": final,
                    "time_share": ts,
                }
            )
    return pd.DataFrame(rows, columns=list(CHAIN_COLUMNS))


def _check_projects(df: pd.DataFrame, probs: Problems) -> None:
    def bad(mask, msg, col):
        if mask.any():
            probs.add(f"{msg} in {rows_phrase(np.flatnonzero(mask))}", f"column {col}")

    bad(df["project"].duplicated(keep=False).to_numpy(), "duplicate project ids", "project")
    bad(~df["kind"].isin(KINDS).to_numpy(), f"expected one of {KINDS}", "kind")
    bad(~df["ob_category"].isin(list(OPTIMISM_BIAS)).to_numpy(), "unknown category", "ob_category")
    bad((df["life_years"] < 1).to_numpy(), "life_years must be >= 1", "life_years")
    bad((df["beneficiaries"] < 0).to_numpy(), "beneficiaries must be >= 0", "beneficiaries")
    bad(
        (df["satisfaction_gain"].abs() > 100).to_numpy(),
        "gain outside +-100 points",
        "satisfaction_gain",
    )
    bad((df["green_mwh"] < 0).to_numpy(), "green_mwh must be >= 0", "green_mwh")
    bad((df["carbon_price"] <= 0).to_numpy(), "carbon_price must be > 0", "carbon_price")
    units = set(unit_ids())
    bad(~df["unit"].isin(units).to_numpy(), "unit not in units.csv", "unit")


def _check_flows(df: pd.DataFrame, probs: Problems) -> None:
    try:  # cross-check against the shipped projects file (ids, life_years)
        validate_flows(df, PROJECTS.load(), source="project_flows")
    except DataError as exc:
        probs.extend(exc.problems)


def _check_chain(df: pd.DataFrame, probs: Problems) -> None:
    try:
        _validate(df, "cost_chain")
    except DataError as exc:
        probs.extend(exc.problems)


PROJECTS = Dataset(
    name="projects",
    file="projects.csv",
    provenance="synthetic",
    description="Eight example projects for cost-benefit appraisal (synthetic)",
    columns=PROJECT_COLUMNS,
    generator=generate_projects,
    check=_check_projects,
)

DATASETS = [
    PROJECTS,
    Dataset(
        name="project_flows",
        file="project_flows.csv",
        provenance="synthetic",
        description="Lifecycle costs and benefits of the example projects by year and line (synthetic)",
        columns={"project": "string", "year": "int64", "line": "string", "amount": "float64"},
        generator=generate_flows,
        check=_check_flows,
    ),
    Dataset(
        name="cost_chain",
        file="cost_chain.csv",
        provenance="synthetic",
        description="Budget, execution and final accounts of the example projects by phase (synthetic)",
        columns={
            "project": "string",
            "phase": "string",
            "budget": "float64",
            "executed": "float64",
            "final_account": "float64",
            "time_share": "float64",
        },
        nullable=("final_account",),
        generator=generate_cost_chain,
        check=_check_chain,
    ),
]
