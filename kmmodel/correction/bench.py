"""Test bench: which correction method restores fairness without rewarding gaming.

:func:`evaluate` simulates many replications (:mod:`kmmodel.correction.simulate`),
scores them with every method in :data:`kmmodel.correction.METHODS` (or a chosen
subset) and reports, per method and metric, the mean over replications with a
95% confidence interval. Replications are split into batches that run through
:func:`kmmodel.parallel.map_seeded` on any ``concurrent.futures`` executor, each
batch with its own ``SeedSequence`` child, so the same seed gives the same table
whatever the executor.

Metrics (year 1 unless stated; "clean" = the score the unit would have had without
the shock, with the same effort and noise):

``spearman``, ``kendall``
    Rank correlation of unit totals with true effort [-1, 1] (higher is fairer).
``mae``
    Mean absolute error of unit totals against clean totals [points].
``grade_changes_undone``
    Of the units whose grade the shock changed under ``none``, the share whose grade
    the method restores to the clean grade [share 0-1].
``unaffected_places_lost``
    Mean rank places unaffected units lose against the clean ranking [places];
    > 0 means affected units were lifted over them (over-correction).
``overshoot``
    Mean excess of affected units' totals over their clean totals [points].
``gaming_payoff``
    Gain in total of one hit unit reporting its exposure ``gaming`` x higher than the
    truth (capped at 1) [points]; 0 means the method cannot be gamed this way.
``stability``
    Spearman correlation of year-1 and year-2 totals (fresh shocks in year 2).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor

import numpy as np
import pandas as pd

from kmmodel.correction.methods import METHODS, Adjusted, Panel, _resolve, totals
from kmmodel.correction.simulate import check_scenario, simulate
from kmmodel.errors import DataError, Problems
from kmmodel.parallel import map_seeded
from kmmodel.rng import SeedLike

__all__ = [
    "GRADES",
    "HIGHER_IS_BETTER",
    "METRICS",
    "evaluate",
    "evaluate_grid",
    "evaluate_reps",
    "grade",
    "kendall_tau_b",
    "pareto",
    "scorecard",
    "spearman_rho",
    "summarise",
]

#: Grade thresholds [points]: >= 90 excellent, >= 80 good, >= 60 pass, else fail.
GRADES = (90.0, 80.0, 60.0)
METRICS = (
    "spearman",
    "kendall",
    "mae",
    "grade_changes_undone",
    "unaffected_places_lost",
    "overshoot",
    "gaming_payoff",
    "stability",
)


# natural range of each metric: confidence limits are clipped to it
_BOUNDS = {
    "spearman": (-1.0, 1.0),
    "kendall": (-1.0, 1.0),
    "stability": (-1.0, 1.0),
    "grade_changes_undone": (0.0, 1.0),
    "mae": (0.0, np.inf),
    "overshoot": (0.0, np.inf),
}


def _ranks(x: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(x, axis=-1)  # average ranks for ties, 1 = smallest


def spearman_rho(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman's rank correlation along the last axis (average ranks for ties).

    Equals :func:`scipy.stats.spearmanr` row by row; NaN where a row is constant.
    """
    rx, ry = _ranks(x), _ranks(y)
    rx = rx - rx.mean(axis=-1, keepdims=True)
    ry = ry - ry.mean(axis=-1, keepdims=True)
    den = np.sqrt((rx * rx).sum(axis=-1) * (ry * ry).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (rx * ry).sum(axis=-1) / np.where(den > 0, den, 1), np.nan)


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Kendall's tau-b along the last axis (ties handled as in :func:`scipy.stats.kendalltau`)."""
    sx = np.sign(x[..., :, None] - x[..., None, :])
    sy = np.sign(y[..., :, None] - y[..., None, :])
    num = (sx * sy).sum(axis=(-2, -1))
    den = np.sqrt((sx * sx).sum(axis=(-2, -1)) * (sy * sy).sum(axis=(-2, -1)))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def grade(total: np.ndarray, thresholds: Sequence[float] = GRADES) -> np.ndarray:
    """Grade index (0 = best) of totals [points] for descending thresholds."""
    return (np.asarray(total)[..., None] < np.asarray(thresholds)).sum(axis=-1)


def _place(total: np.ndarray) -> np.ndarray:
    """Rank place, 1 = best (average for ties)."""
    return total.shape[-1] + 1 - _ranks(total)


def _nanmean_masked(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    n = mask.sum(axis=-1)
    s = np.where(mask, values, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, s / np.where(n > 0, n, 1), np.nan)


def _gamed_exposure(
    sim_panel: Panel, hit: np.ndarray, gaming: float, rng
) -> tuple[np.ndarray, np.ndarray]:
    """Exposure with one hit unit per replication overstating by ``gaming``; (exposure, gamer)."""
    b, u = hit.shape
    # a random hit unit per replication (-1 where none was hit)
    key = np.where(hit, rng.random((b, u)), -1.0)
    gamer = np.where(hit.any(axis=1), key.argmax(axis=1), -1)
    exp = sim_panel.exposure.copy()
    rows = np.flatnonzero(gamer >= 0)
    exp[rows, gamer[rows]] = np.minimum(exp[rows, gamer[rows]] * (1.0 + gaming), 1.0)
    return exp, gamer


def _batch(task: dict, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One batch of replications -> {metric: array (n_methods, B)}."""
    sim = simulate(rng, task["size"], **task["scenario"])
    thresholds = task["grades"]
    gamed_exp, gamer = _gamed_exposure(sim.year1, sim.hit1, task["gaming"], rng)
    gamed = sim.year1.with_exposure(gamed_exp)
    clean_panel = sim.year1
    clean1 = totals(
        Adjusted(
            clean_panel.score(sim.clean1), np.broadcast_to(clean_panel.weights, sim.clean1.shape)
        )
    )
    none1 = totals(METHODS["none"](sim.year1)) if "none" in METHODS else None
    g_clean = grade(clean1, thresholds)
    changed = (
        grade(none1, thresholds) != g_clean if none1 is not None else np.zeros_like(g_clean, bool)
    )
    clean_place = _place(clean1)
    b = sim.effort.shape[0]
    rows = np.arange(b)
    out: dict[str, list] = {m: [] for m in METRICS}
    for func, params in task["methods"].values():
        t1 = totals(func(sim.year1, **params))
        t2 = totals(func(sim.year2, **params))
        tg = totals(func(gamed, **params))
        out["spearman"].append(spearman_rho(t1, sim.effort))
        out["kendall"].append(kendall_tau_b(t1, sim.effort))
        out["mae"].append(np.abs(t1 - clean1).mean(axis=-1))
        undone = grade(t1, thresholds) == g_clean
        out["grade_changes_undone"].append(_nanmean_masked(undone.astype(float), changed))
        lost = _place(t1) - clean_place
        out["unaffected_places_lost"].append(_nanmean_masked(lost, ~sim.hit1))
        out["overshoot"].append(_nanmean_masked(np.maximum(t1 - clean1, 0.0), sim.hit1))
        pay = np.where(
            gamer >= 0, tg[rows, np.maximum(gamer, 0)] - t1[rows, np.maximum(gamer, 0)], np.nan
        )
        out["gaming_payoff"].append(pay)
        out["stability"].append(spearman_rho(t1, t2))
    return {m: np.vstack(v) for m, v in out.items()}


def _methods(methods, params) -> dict[str, tuple[Callable, dict]]:
    probs = Problems(source="evaluate")
    if methods is None:
        chosen = dict(METHODS)
    elif isinstance(methods, Mapping):
        chosen = dict(methods)
    else:
        chosen = {}
        for m in methods:
            if callable(m):
                chosen[getattr(m, "__name__", repr(m))] = m
            elif m in METHODS:
                chosen[m] = METHODS[m]
            else:
                probs.add(
                    f"unknown correction method {m!r}; expected one of: {', '.join(METHODS)}",
                    "methods",
                )
    params = dict(params or {})
    for name in params:
        if name not in chosen:
            probs.add(
                f"parameters given for method {name!r}, which is not being evaluated", "params"
            )
    probs.raise_if_any(DataError)
    if not chosen:
        raise DataError("no correction method to evaluate", source="evaluate")
    return {n: (_resolve(f), dict(params.get(n, {}))) for n, f in chosen.items()}


def _param_problems(func: Callable, given: Mapping) -> list[str]:
    """Parameters a method does not take, or of the wrong type for its annotation.

    ``coefficient.k=abc`` is reported here as "k: expected a number, got 'abc'" instead
    of failing deep inside numpy. Annotations ``float``, ``int``, ``bool`` and their
    ``| None`` forms are checked; others are left to the method.
    """
    import inspect
    import typing

    try:
        sig = inspect.signature(func)
        hints = typing.get_type_hints(func)
    except (TypeError, ValueError, NameError):  # builtins, unresolvable annotations
        return []
    takes = {
        k: p
        for k, p in list(sig.parameters.items())[1:]  # the first is the panel
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    }
    open_kw = any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values())
    out = []
    for k, v in given.items():
        if k not in takes:
            if not open_kw:
                out.append(f"no parameter {k!r}; it takes {', '.join(takes) or 'none'}")
            continue
        hint = hints.get(k)
        args = set(typing.get_args(hint)) if typing.get_args(hint) else {hint}
        allow_none = type(None) in args
        args.discard(type(None))
        if v is None:
            if not allow_none and args & {float, int, bool}:
                out.append(f"{k}: expected a number, got None")
            continue
        is_num = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
            v, (bool, np.bool_)
        )
        if args == {bool} and not isinstance(v, (bool, np.bool_)):
            out.append(f"{k}: expected true or false, got {v!r}")
        elif args == {float} and not (is_num and np.isfinite(v)):
            extra = " or none" if allow_none else ""
            out.append(f"{k}: expected a finite number{extra}, got {v!r}")
        elif args == {int} and not (is_num and float(v).is_integer()):
            out.append(f"{k}: expected a whole number, got {v!r}")
    return out


def _try_methods(methods: dict, scenario: dict) -> None:
    """Run every method once on a tiny simulation so bad parameters fail here, clearly."""
    sim = simulate(np.random.default_rng(0), 2, **scenario)
    probs = Problems(source="evaluate")
    for name, (func, params) in methods.items():
        bad = _param_problems(func, params)
        for p in bad:
            probs.add(f"bad parameters: {p}", f"method {name}")
        if bad:
            continue
        try:
            res = func(sim.year1, **params)
            if not isinstance(res, Adjusted) and not (isinstance(res, tuple) and len(res) == 2):
                probs.add("must return Adjusted(score, weight)", f"method {name}")
        except TypeError as exc:
            probs.add(f"bad parameters: {exc}", f"method {name}")
        except DataError as exc:
            probs.extend(exc.problems)
    probs.raise_if_any(DataError)


def evaluate_reps(
    n_reps: int = 200,
    seed: SeedLike = 0,
    executor: Executor | None = None,
    *,
    methods: Sequence | Mapping | None = None,
    params: Mapping[str, dict] | None = None,
    gaming: float = 0.2,
    grades: Sequence[float] = GRADES,
    batch_size: int = 50,
    **scenario,
) -> pd.DataFrame:
    """Per-replication metric values: long DataFrame ``rep, method, metric, value``.

    Same arguments as :func:`evaluate`.
    """
    probs = Problems(source="evaluate")
    if not isinstance(n_reps, (int, np.integer)) or n_reps < 2:
        probs.add(f"expected a whole number >= 2, got {n_reps!r}", "n_reps")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        probs.add(f"expected a whole number >= 1, got {batch_size!r}", "batch_size")
    if not np.isfinite(gaming) or gaming < 0:
        probs.add(f"expected a finite share >= 0, got {gaming!r}", "gaming")
    g = np.asarray(grades, dtype=float)
    if g.ndim != 1 or g.size == 0 or (np.diff(g) >= 0).any():
        probs.add(f"expected strictly descending thresholds [points], got {grades!r}", "grades")
    probs.raise_if_any(DataError)
    sc = check_scenario(scenario)
    chosen = _methods(methods, params)
    _try_methods(chosen, sc)
    sizes = [batch_size] * (n_reps // batch_size)
    if n_reps % batch_size:
        sizes.append(n_reps % batch_size)
    tasks = [
        {"size": s, "scenario": sc, "methods": chosen, "gaming": float(gaming), "grades": tuple(g)}
        for s in sizes
    ]
    outcomes = map_seeded(_batch, tasks, seed=seed, executor=executor, desc="replications")
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise DataError(
            [f"batch {o.index}: {o.error}" for o in failed], source="evaluate (replications)"
        )
    names = list(chosen)
    frames = []
    start = 0
    for o in outcomes:
        size = o.task["size"]
        rep = np.arange(start, start + size)
        start += size
        for metric, arr in o.value.items():
            frames.append(
                pd.DataFrame(
                    {
                        "rep": np.tile(rep, len(names)),
                        "method": np.repeat(names, size),
                        "metric": metric,
                        "value": arr.ravel(),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def summarise(reps: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Mean per method and metric with a t-based confidence interval over replications.

    Replications where a metric is undefined (e.g. no unit was hit) are left out; a
    metric undefined in every replication gets NaN.
    Confidence limits are clipped to the metric's own range (a share stays in [0, 1]).
    Returns columns ``method, metric, value, low, high``.
    """
    from scipy import stats

    # mean/std/count skip NaN: an undefined replication is left out; a metric undefined
    # in every replication keeps its row with NaN value and limits
    agg = reps.groupby(["method", "metric"], sort=False)["value"].agg(["mean", "std", "count"])
    n = agg["count"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = (
            stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1))
            * agg["std"].fillna(0).to_numpy()
            / np.sqrt(n)
        )
    out = agg.reset_index()
    out = pd.DataFrame(
        {
            "method": out["method"].astype(str),
            "metric": out["metric"].astype(str),
            "value": out["mean"].to_numpy(),
            "low": out["mean"].to_numpy() - half,
            "high": out["mean"].to_numpy() + half,
        }
    )
    lo_b = out["metric"].map(lambda m: _BOUNDS.get(m, (-np.inf, np.inf))[0]).to_numpy(dtype=float)
    hi_b = out["metric"].map(lambda m: _BOUNDS.get(m, (-np.inf, np.inf))[1]).to_numpy(dtype=float)
    out["low"] = np.clip(out["low"].to_numpy(), lo_b, hi_b)  # a metric's own range
    out["high"] = np.clip(out["high"].to_numpy(), lo_b, hi_b)
    order = {m: i for i, m in enumerate(METRICS)}
    meth = {m: i for i, m in enumerate(reps["method"].unique())}
    key = out["method"].map(meth) * 100 + out["metric"].map(order).fillna(99)
    return out.iloc[np.argsort(key.to_numpy(), kind="stable")].reset_index(drop=True)


def evaluate(
    n_reps: int = 200,
    seed: SeedLike = 0,
    executor: Executor | None = None,
    **scenario,
) -> pd.DataFrame:
    """Run the correction test bench.

    Parameters
    ----------
    n_reps : int
        Replications (simulated worlds) [-], >= 2.
    seed : int, SeedSequence or Generator
        Root seed; the same seed gives the same table on any executor.
    executor : concurrent.futures.Executor, optional
        ``None`` = serial; a ``ProcessPoolExecutor`` or ``dask.distributed``
        ``Client.get_executor()`` to spread batches of replications.
    **scenario
        ``methods`` (names, functions or ``{name: function}``; default every
        registered method), ``params`` (``{method: {param: value}}``, e.g.
        ``{"coefficient": {"k": 0.8}}``), ``gaming`` (overstatement of exposure by the
        gaming unit [share], default 0.2), ``grades`` (descending thresholds
        [points]), ``batch_size`` (replications per task, default 50) and any key
        of :data:`kmmodel.correction.simulate.DEFAULTS` (``severity``,
        ``shock_share``, ``exposure_error`` …).

    Returns
    -------
    DataFrame
        Columns ``method, metric, value, low, high``: mean over replications and
        its 95% confidence interval; metrics as listed in this module's docstring.

    Examples
    --------
    >>> from kmmodel import correction
    >>> t = correction.evaluate(n_reps=20, seed=1, methods=["none", "coefficient"])
    >>> list(t.columns)
    ['method', 'metric', 'value', 'low', 'high']
    """
    return summarise(evaluate_reps(n_reps, seed, executor, **scenario))


def evaluate_grid(
    grid: Sequence[Mapping],
    n_reps: int = 200,
    seed: SeedLike = 0,
    executor: Executor | None = None,
    **common,
) -> pd.DataFrame:
    """Run :func:`evaluate` once per grid point (e.g. a sweep over ``k`` or ``exposure_error``).

    Every grid point uses the same ``seed``, so they see the same simulated worlds
    (common random numbers) and differences come from the swept setting alone.

    Parameters
    ----------
    grid : sequence of dict
        Keyword arguments of :func:`evaluate` per point (``{"exposure_error": 0.2}``,
        ``{"params": {"coefficient": {"k": 0.5}}}`` …), merged over ``common``.

    Returns
    -------
    DataFrame
        :func:`evaluate`'s columns plus ``point`` (position in ``grid``).
    """
    frames = []
    for i, point in enumerate(grid):
        t = evaluate(n_reps, seed, executor, **{**common, **dict(point)})
        frames.append(t.assign(point=i))
    return pd.concat(frames, ignore_index=True)


#: For each metric, whether a larger value is better (None: closer to 0 is better).
HIGHER_IS_BETTER = {
    "spearman": True,
    "kendall": True,
    "mae": False,
    "grade_changes_undone": True,
    "unaffected_places_lost": None,
    "overshoot": False,
    "gaming_payoff": False,
    "stability": True,
}


def scorecard(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Methods x metrics, each cell ``value [low, high]`` as text (for a committee table)."""
    fmt = f"{{:.{digits}f}}"
    cell = table.assign(
        text=[
            f"{fmt.format(v)} [{fmt.format(lo)}, {fmt.format(hi)}]"
            for v, lo, hi in table[["value", "low", "high"]].itertuples(index=False)
        ]
    )
    out = cell.pivot(index="method", columns="metric", values="text")
    methods = list(dict.fromkeys(table["method"]))
    metrics = [m for m in METRICS if m in out.columns] + [
        m for m in out.columns if m not in METRICS
    ]
    return out.reindex(index=methods, columns=metrics)


def pareto(
    table: pd.DataFrame, fairness: str = "spearman", gaming: str = "gaming_payoff"
) -> list[str]:
    """Methods not dominated on (higher ``fairness``, lower ``gaming``), best fairness first.

    A method is dominated when another is at least as fair and at least as hard to game,
    and strictly better on one of the two (comparing means).
    """
    t = table.pivot(index="method", columns="metric", values="value")[[fairness, gaming]]
    f, g = t[fairness].to_numpy(), t[gaming].to_numpy()
    dom = ((f[None, :] >= f[:, None]) & (g[None, :] <= g[:, None])) & (
        (f[None, :] > f[:, None]) | (g[None, :] < g[:, None])
    )
    keep = t.index[~dom.any(axis=1)]
    return list(t.loc[keep].sort_values(fairness, ascending=False).index)
