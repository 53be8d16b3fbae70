"""Allocation models: OR-Library GAP instances vs a direct scipy.optimize.milp matrix model,
and a 2,000-item x 40-agency package award.

For every instance of gap1-gap12 (maximisation) and gapa-gapc (minimisation): was the known
optimum reached, the PuLP model-build time, the HiGHS solve time (through PuLP, which also
passes the model to highspy) and the ratio of that total to the floor: the same model
built as sparse matrices and solved by ``scipy.optimize.milp`` (also HiGHS). gapd (hard)
runs with a time limit when the shared benchmark folder is present, reporting the gap to
the best known value. Rows are one per file (sums over its instances).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._timing import timed

TITLE = "Evaluation-budget optimisation (GAP, package award)"

HERE = Path(__file__).resolve().parent
LOCAL = HERE.parent / "tests" / "data" / "gap"


def _shared() -> Path:
    """The shared OR-Library folder: $KMMODEL_GAP_DIR, or ``shared/benchmarks/gap`` beside
    the checkout (``../shared``) or beside its worktree folder (``../../shared``)."""
    env = os.environ.get("KMMODEL_GAP_DIR")
    cands = [Path(env)] if env else []
    cands += [p / "shared" / "benchmarks" / "gap" for p in HERE.parents[1:3]]
    return next((c for c in cands if (c / "README.md").is_file()), cands[-1])


SHARED = _shared()


def _gap_dir() -> Path:
    return SHARED if (SHARED / "README.md").is_file() else LOCAL


def _optima(folder: Path) -> dict[str, list[float]]:
    """Known optima from the README table of the instance folder (``| gapN | v v v |``)."""
    text = (SHARED / "README.md").read_text() if (SHARED / "README.md").is_file() else ""
    if not text:
        from tests.test_allocation_gap import OPTIMA  # the copy kept with provenance

        return {k: [float(v) for v in vals] for k, vals in OPTIMA.items()}
    out = {}
    for stem, vals in re.findall(r"^\|\s*(gap\w+)\s*\|\s*([\d ]+?)\s*(?:\(|\|)", text, re.M):
        out[stem] = [float(v) for v in vals.split()]
    return out


def _milp(profit, weight, capacity, maximize, time_limit=None):
    """The GAP as sparse matrices solved by scipy.optimize.milp (the floor)."""
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint, milp

    m, n = profit.shape
    idx = np.arange(m * n)
    job = sparse.csr_matrix((np.ones(m * n), (idx % n, idx)), shape=(n, m * n))
    cap = sparse.csr_matrix((weight.ravel(), (idx // n, idx)), shape=(m, m * n))
    c = -profit.ravel() if maximize else profit.ravel()
    opts = {"disp": False} | ({"time_limit": time_limit} if time_limit else {})
    res = milp(
        c,
        constraints=[LinearConstraint(job, 1, 1), LinearConstraint(cap, -np.inf, capacity)],
        integrality=np.ones(m * n),
        bounds=Bounds(0, 1),
        options=opts,
    )
    x = res.x.reshape(m, n).argmax(axis=0)
    return float(profit[x, np.arange(n)].sum())


def _gap_rows(stems, quick, time_limit=None) -> list[dict]:
    import scipy.optimize  # noqa: F401  (import outside the timed floor)

    from kmmodel.allocation.gap import gap_solve_info
    from kmmodel.allocation.orlib import read_gap

    folder = _gap_dir()
    optima = _optima(folder)
    rows = []
    for stem in stems:
        f = folder / f"{stem}.txt"
        if not f.is_file():
            continue
        insts = read_gap(f)[:1] if quick else read_gap(f)
        maximize = stem[3:].isdigit()
        build = solve = floor = 0.0
        reached, gaps = 0, []
        for k, inst in enumerate(insts):
            (assign, info), total = timed(
                lambda inst=inst, maximize=maximize: gap_solve_info(
                    inst.profit, inst.weight, inst.capacity, maximize, time_limit
                )
            )
            obj = float(inst.profit[assign, np.arange(len(assign))].sum())
            best = optima[stem][k]
            reached += obj == best
            gaps.append(abs(obj - best) / best)
            build += info.build_seconds
            solve += total - info.build_seconds
            floor_obj, t_floor = timed(
                lambda inst=inst, maximize=maximize: _milp(
                    inst.profit, inst.weight, inst.capacity, maximize, time_limit
                )
            )
            floor += t_floor
        shape = "x".join(str(s) for s in insts[0].shape) + ("" if len(insts) == 1 else " ...")
        rows.append(
            {
                "case": f"{stem} ({len(insts)} inst., {shape})",
                "measure": "build+solve (PuLP+HiGHS)",
                "seconds": build + solve,
                "build_seconds": build,
                "solve_seconds": solve,
                "floor_seconds": floor,
                "ratio": (build + solve) / floor if floor > 0 else np.nan,
                "note": f"optimum {reached}/{len(insts)}"
                + (f"; max gap {max(gaps):.2%}" if reached < len(insts) else ""),
            }
        )
    return rows


def _scale_row(quick: bool) -> dict:
    from kmmodel.allocation import assign_packages
    from kmmodel.allocation.examples import synthetic_market

    n_items, n_ag = (200, 10) if quick else (2_000, 40)
    items, agencies, bids = synthetic_market(n_items, n_ag, seed=1)
    t0 = time.perf_counter()
    res = assign_packages(items, agencies, bids, budget=None, max_packages=None, time_limit=300)
    total = time.perf_counter() - t0
    return {
        "case": f"award {n_items} items x {n_ag} agencies ({len(bids):,} bids)",
        "measure": "validate+eligibility+build+solve",
        "seconds": total,
        "build_seconds": res.build_seconds,
        "solve_seconds": res.solve_seconds,
        "floor_seconds": np.nan,
        "ratio": np.nan,
        "note": f"status {res.status}; {int(res.bids['eligible'].sum()):,} eligible bids",
    }


def _formation_row(quick: bool) -> dict:
    """Package formation at scale: items regrouped into packages of 2-4 and awarded."""
    from kmmodel.allocation import form_packages
    from kmmodel.allocation.examples import synthetic_market

    n_items, n_ag = (16, 4) if quick else (40, 8)
    items, agencies, bids = synthetic_market(n_items, n_ag, seed=1)
    # every synthetic package holds one item, so the package bids are item bids
    ib = bids.merge(items[["package", "item"]], on="package").drop(columns="package")
    pairs = items.assign(package=[f"Q{k // 2:04d}" for k in range(n_items)])
    rules = dict(budget=None, max_packages=None, time_limit=120)
    t0 = time.perf_counter()
    fixed = form_packages(pairs, agencies, ib, fixed=True, **rules)
    fixed_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = form_packages(items, agencies, ib, min_items=2, max_items=4, **rules)
    total = time.perf_counter() - t0
    return {
        "case": f"form packages of 2-4 from {n_items} items x {n_ag} agencies",
        "measure": "validate+eligibility+build+solve",
        "seconds": total,
        "build_seconds": res.build_seconds,
        "solve_seconds": res.solve_seconds,
        "floor_seconds": np.nan,
        "ratio": total / fixed_s,
        "note": f"status {res.status}; {len(res.table)} packages; net value "
        f"{res.objective:,.0f} vs {fixed.objective:,.0f} yuan with fixed pairs; "
        f"ratio = time / award of fixed pairs ({fixed_s:.2f} s)",
    }


def run(quick: bool = False) -> pd.DataFrame:
    """One row per GAP file plus the scale case (``quick``: first instance of a few files)."""
    stems = (
        ["gap1", "gap12", "gapa", "gapb"]
        if quick
        else [f"gap{k}" for k in range(1, 13)] + ["gapa", "gapb", "gapc"]
    )
    rows = _gap_rows(stems, quick)
    if not quick:
        rows += _gap_rows(["gapd"], quick=False, time_limit=20)
    rows.append(_scale_row(quick))
    rows.append(_formation_row(quick))
    return pd.DataFrame(rows)
