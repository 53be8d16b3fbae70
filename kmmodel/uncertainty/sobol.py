"""Variance-based global sensitivity (Sobol first- and total-order indices) with SALib.

:func:`sobol_indices` wraps SALib's Saltelli/Sobol sampling and estimator for any
vectorised model ``func(X) -> Y``; :func:`rank_sensitivity` applies it to a scheme's
uncertain choices (the weights of each dimension, aggregation, missing-data policy,
achievement alternatives such as targets and rule parameters) with every unit's rank (or score) as an output.

References
----------
Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output. Design
and estimator for the total sensitivity index. *Comput. Phys. Commun.* 181(2), 259-270.

Herman, J., Usher, W. (2017). SALib: An open-source Python library for sensitivity
analysis. *J. Open Source Softw.* 2(9), 97.

Ishigami, T., Homma, T. (1990). An importance quantification technique in uncertainty
analysis for computer models. *Proc. ISUMA '90*, 398-403.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems
from kmmodel.rng import SeedLike, as_generator
from kmmodel.uncertainty.core import Composite, prepare, rank_within
from kmmodel.uncertainty.perturb import Perturbation
from kmmodel.uncertainty.ranks import scores_for

__all__ = ["SobolResult", "rank_sensitivity", "sobol_indices"]


@dataclass
class SobolResult:
    """Sobol indices of every output with respect to every factor (or factor group).

    Attributes
    ----------
    table : DataFrame
        ``output``, ``factor``, ``S1``, ``S1_low``, ``S1_high``, ``ST``, ``ST_low``,
        ``ST_high`` (bootstrap intervals at ``conf_level``), ``constant`` (the output did
        not vary: indices set to 0), ``output_sd`` (standard deviation of the output over
        the base runs, in its own unit; indices of an output that barely varies rest on a
        few runs and are noisy).
    problem : dict
        The SALib problem (names, bounds, groups).
    n : int
        Base sample size; the model ran ``n * (D + 2)`` times (D factors or groups).
    conf_level : float
    """

    table: pd.DataFrame
    problem: dict
    n: int
    conf_level: float

    def pivot(self, index: str = "ST") -> pd.DataFrame:
        """Outputs x factors matrix of one index column (``"S1"`` or ``"ST"``)."""
        t = self.table
        out = t.pivot(index="output", columns="factor", values=index)
        return out.loc[t["output"].unique(), t["factor"].unique()]


def _problem(factors: Mapping[str, tuple[float, float]], groups: Mapping[str, str] | None) -> dict:
    probs = Problems(source="sobol factors")
    if not factors:
        raise DataError("sobol factors: expected at least one factor name -> (low, high)")
    names, bounds = [], []
    for name, b in factors.items():
        try:
            lo, hi = (float(x) for x in b)
        except (TypeError, ValueError):
            probs.add(f"expected (low, high), got {b!r}", where=str(name))
            continue
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            probs.add(f"expected finite low < high, got ({lo}, {hi})", where=str(name))
        names.append(str(name))
        bounds.append([lo, hi])
    if groups is not None:
        unknown = [g for g in groups if g not in factors]
        if unknown:
            probs.add(f"group given for unknown factor(s) {unknown}", where="groups")
    probs.raise_if_any(DataError)
    problem = {"num_vars": len(names), "names": names, "bounds": bounds}
    if groups:
        problem["groups"] = [str(groups.get(n, n)) for n in names]
    return problem


def sobol_indices(
    func: Callable[[np.ndarray], np.ndarray],
    factors: Mapping[str, tuple[float, float]],
    *,
    n: int = 1024,
    seed: SeedLike = 0,
    groups: Mapping[str, str] | None = None,
    outputs: list | None = None,
    num_resamples: int = 200,
    conf_level: float = 0.95,
) -> SobolResult:
    """First- and total-order Sobol indices of ``func``'s outputs, with bootstrap intervals.

    Parameters
    ----------
    func : callable
        ``func(X) -> Y``: ``X`` is a samples x factors array (columns in ``factors``
        order); ``Y`` has shape (samples,) or (samples, outputs). Vectorised.
    factors : mapping name -> (low, high)
        Uniform ranges of the uncertain factors.
    n : int
        Base sample size, a power of 2 (Sobol' sequences keep their balance only then).
    seed : int or Generator
        Seeds the scrambled Sobol' sequence and the bootstrap.
    groups : mapping factor -> group name, optional
        Factors sharing a group get one joint index (SALib groups).
    outputs : list, optional
        Names of the outputs (default 0, 1, ...).
    num_resamples : int
        Bootstrap resamples of the confidence intervals.
    conf_level : float
        Confidence level of the intervals, in (0, 1).

    Returns
    -------
    SobolResult

    Notes
    -----
    Uses ``SALib.sample.sobol.sample`` (Saltelli's scheme without second order: ``n * (D
    + 2)`` runs) and ``SALib.analyze.sobol.analyze`` (Saltelli et al. 2010 estimators).
    Outputs that never vary (in the A and B runs) get indices 0 (``constant=True``). A single group of factors
    gets ``S1 = ST = 1`` (it carries all the variance).
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    probs = Problems(source="sobol_indices")
    if not isinstance(n, int | np.integer) or n < 2 or (n & (n - 1)) != 0:
        probs.add(f"expected a power of 2 >= 2, got {n!r}", where="n")
    if not (isinstance(num_resamples, int | np.integer) and num_resamples >= 10):
        probs.add(f"expected an integer >= 10, got {num_resamples!r}", where="num_resamples")
    if not (isinstance(conf_level, float) and 0 < conf_level < 1):
        probs.add(f"expected a level in (0, 1), got {conf_level!r}", where="conf_level")
    probs.raise_if_any(DataError)
    problem = _problem(factors, groups)
    rng = as_generator(seed)
    # SALib treats seed=0 as "no seed": draw non-zero seeds from our stream
    sample_seed, boot_seed = (int(s) for s in rng.integers(1, 2**31 - 1, size=2))
    X = sobol_sample.sample(problem, int(n), calc_second_order=False, seed=sample_seed)
    Y = np.asarray(func(X), dtype=float)
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.ndim != 2 or Y.shape[0] != X.shape[0]:
        raise DataError(
            f"sobol_indices: func returned shape {Y.shape}; expected ({X.shape[0]},) or "
            f"({X.shape[0]}, outputs)"
        )
    if not np.all(np.isfinite(Y)):
        raise DataError("sobol_indices: func returned NaN or infinite values")
    names = list(dict.fromkeys(problem.get("groups") or problem["names"]))
    outputs = list(range(Y.shape[1])) if outputs is None else list(outputs)
    if len(outputs) != Y.shape[1]:
        raise DataError(f"sobol_indices: {len(outputs)} output names for {Y.shape[1]} outputs")
    rows = []
    # SALib samples one group of several factors as separate factors: with a single
    # group it alone carries the variance, S1 = ST = 1 by definition
    single = len(names) == 1 and problem["num_vars"] > 1
    for j, out in enumerate(outputs):
        y = Y[:, j]
        # SALib's estimators divide by the variance of the A and B runs (the first and
        # last of each block of D + 2): when those do not vary, nothing can be estimated
        ab = y.reshape(-1, len(names) + 2)[:, [0, -1]] if not single else y
        const = bool(np.ptp(ab) <= 1e-12 * max(1.0, np.abs(y).max()))
        if const or single:
            zero = np.zeros(len(names))
            one = zero if const else np.ones(len(names))
            si = {"S1": one, "ST": one, "S1_conf": zero, "ST_conf": zero}
        else:
            si = sobol_analyze.analyze(
                problem,
                y,
                calc_second_order=False,
                num_resamples=int(num_resamples),
                conf_level=conf_level,
                seed=boot_seed,
            )
        for i, name in enumerate(names):
            s1, c1, st, ct = (float(si[k][i]) for k in ("S1", "S1_conf", "ST", "ST_conf"))
            rows.append(
                {
                    "output": out,
                    "factor": name,
                    "S1": s1,
                    "S1_low": s1 - c1,
                    "S1_high": s1 + c1,
                    "ST": st,
                    "ST_low": st - ct,
                    "ST_high": st + ct,
                    "constant": const,
                    "output_sd": float(np.std(ab)),
                }
            )
    return SobolResult(pd.DataFrame(rows), problem, int(n), conf_level)


def _choice_factors(comp: Composite, pert: Perturbation) -> list[tuple[str, int]]:
    """Discrete choices with more than one option: (factor name, number of options)."""
    out = []
    for name, n_opt in (
        *comp.alt_factors,
        ("aggregation", len(pert.aggregation)),
        ("missing data", len(pert.missing)),
    ):
        if n_opt > 1:
            out.append((name, n_opt))
    return out


def rank_sensitivity(
    achievement,
    weights,
    *,
    dimensions=None,
    groups=None,
    offset=None,
    cap: float | None = None,
    perturbation: Perturbation | None = None,
    output: str = "rank",
    n: int = 256,
    seed: SeedLike = 0,
    num_resamples: int = 200,
    conf_level: float = 0.95,
    alternative_factors=None,
) -> SobolResult:
    """Sobol indices of each unit's rank (or score) to each uncertain choice of a scheme.

    Factors: ``weights in <dimension>`` (the indicator weights of one dimension, as one
    group), ``dimension <d>`` weights (uniform law with ``dimension_spread > 0``;
    ``dimension weights`` as one group under the Dirichlet law), one factor per
    discrete factor of the achievement alternatives (``alternatives`` by default; e.g.
    ``targets`` and ``rule parameters`` from
    :func:`~kmmodel.uncertainty.rules.scheme_alternatives`), ``aggregation`` and
    ``missing data`` (when they have more than one option; each option equally likely).

    Parameters
    ----------
    achievement, weights, dimensions, groups, offset, cap, alternative_factors
        As in :func:`~kmmodel.uncertainty.rank_uncertainty`.
    perturbation : Perturbation, optional
        Ranges of the factors (default: uniform +-25 % indicator weights).
    output : {"rank", "score"}
        Output of each unit: its rank (within its group) or its score [points].
    n : int
        Base sample size (power of 2); the model runs ``n * (D + 2)`` times.
    seed : int or Generator
    num_resamples, conf_level
        Bootstrap settings of the intervals.

    Returns
    -------
    SobolResult
        One output per unit.

    Notes
    -----
    Under the Dirichlet law, uniform factors are mapped to Gamma variables by their
    quantile function and normalised, which gives exactly the Dirichlet law.
    """
    pert = Perturbation() if perturbation is None else perturbation
    comp = prepare(achievement, weights, dimensions, groups, offset, cap, alternative_factors)
    if output not in ("rank", "score"):
        raise DataError(f"rank_sensitivity: output: expected 'rank' or 'score', got {output!r}")
    dim_of = comp.member.argmax(axis=1)
    dlabels = [str(d) for d in comp.dimension_labels]
    factors: dict[str, tuple[float, float]] = {}
    fgroups: dict[str, str] = {}
    dirichlet = pert.weights == "dirichlet"
    ind_free = (pert.weights == "uniform" and pert.spread > 0) or (
        dirichlet and not math.isinf(pert.concentration)
    )
    dim_free = (pert.weights == "uniform" and pert.dimension_spread > 0) or (
        dirichlet and not math.isinf(pert.dimension_concentration)
    )
    pos = comp.weights > 0
    if ind_free:
        for i in np.flatnonzero(pos):
            name = f"w:{comp.indicators[i]}"
            factors[name] = (0.0, 1.0) if dirichlet else (1 - pert.spread, 1 + pert.spread)
            fgroups[name] = f"weights in {dlabels[dim_of[i]]}"
    if dim_free:
        for d in dlabels:
            name = f"dimension {d}"
            factors[name] = (
                (0.0, 1.0) if dirichlet else (1 - pert.dimension_spread, 1 + pert.dimension_spread)
            )
            fgroups[name] = "dimension weights" if dirichlet else name
    choices = _choice_factors(comp, pert)
    for name, _ in choices:
        factors[name] = (0.0, 1.0)
        fgroups[name] = name
    if not factors:
        raise DataError(
            "rank_sensitivity: nothing is uncertain (zero weight spread and one option per "
            "choice); give a perturbation with something to vary"
        )
    names = list(factors)

    def model(X: np.ndarray) -> np.ndarray:
        W = _weights_from_factors(X, names, comp, pert, pos, dim_of, dlabels)
        choice = np.zeros((X.shape[0], 3), dtype=np.int64)
        slot = {"aggregation": 1, "missing data": 2}
        alt = [f for f, _ in comp.alt_factors]
        levels = np.zeros((X.shape[0], len(alt)), dtype=np.int64)
        for name, n_opt in choices:
            x = np.minimum((X[:, names.index(name)] * n_opt).astype(np.int64), n_opt - 1)
            if name in slot:
                choice[:, slot[name]] = x
            else:
                levels[:, alt.index(name)] = x
        choice[:, 0] = comp.alternative_index(levels)
        S = scores_for(comp, pert, W, choice)
        return (rank_within(S, comp.groups) if output == "rank" else S).T

    return sobol_indices(
        model,
        factors,
        n=n,
        seed=seed,
        groups=fgroups,
        outputs=comp.units,
        num_resamples=num_resamples,
        conf_level=conf_level,
    )


def _weights_from_factors(X, names, comp: Composite, pert: Perturbation, pos, dim_of, dlabels):
    from scipy.stats import gamma

    from kmmodel.uncertainty.perturb import _rescale

    n_rows = X.shape[0]
    w0 = comp.weights
    member = comp.member
    dim_total = w0 @ member
    col = {name: j for j, name in enumerate(names)}
    ind_cols = [col.get(f"w:{comp.indicators[i]}") for i in range(len(w0))]
    has_ind = any(c is not None for c in ind_cols)
    if pert.weights == "dirichlet":
        if has_ind:
            share = w0 / np.where(dim_total > 0, dim_total, 1.0)[dim_of]
            idx = np.flatnonzero(pos)
            U = X[:, [ind_cols[i] for i in idx]]
            W = np.zeros((n_rows, len(w0)))
            W[:, idx] = gamma.ppf(U, pert.concentration * share[idx])
            W = _rescale(W, member, np.broadcast_to(dim_total, (n_rows, dim_total.size)))
        else:
            W = np.broadcast_to(w0, (n_rows, len(w0))).copy()
        dcols = [col.get(f"dimension {d}") for d in dlabels]
        if all(c is not None for c in dcols):
            alpha = pert.dimension_concentration * dim_total / dim_total.sum()
            D = np.zeros((n_rows, len(dlabels)))
            dpos = alpha > 0
            D[:, dpos] = gamma.ppf(X[:, np.array(dcols)[dpos]], alpha[dpos])
            D *= dim_total.sum() / D.sum(axis=1, keepdims=True)
            W = _rescale(W, member, D)
        return W
    mult = np.ones((n_rows, len(w0)))
    for i, c in enumerate(ind_cols):
        if c is not None:
            mult[:, i] = X[:, c]
    W = _rescale(w0 * mult, member, np.broadcast_to(dim_total, (n_rows, dim_total.size)))
    dcols = [col.get(f"dimension {d}") for d in dlabels]
    if all(c is not None for c in dcols):
        W = _rescale(W, member, dim_total * X[:, dcols])
    return W * (w0.sum() / W.sum(axis=1, keepdims=True))
