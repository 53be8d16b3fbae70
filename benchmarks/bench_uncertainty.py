"""Uncertainty analysis: vectorised draws vs a per-draw loop, Sobol indices, the shipped scheme."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks._timing import best_of, timed

TITLE = "Robustness of rankings (kmmodel.uncertainty)"


def _problem(u: int, k: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    A = rng.uniform(0.3, 1.0, (u, k))
    w = rng.uniform(1, 3, k)
    w = w / w.sum() * 100
    dims = np.repeat(np.arange(5), int(np.ceil(k / 5)))[:k]
    return A, w, dims


def _loop_ranks(A: np.ndarray, W: np.ndarray) -> np.ndarray:
    """The naive way: one weighted sum and one ranking per draw (the reference)."""
    from scipy.stats import rankdata

    out = np.empty((A.shape[0], W.shape[0]), dtype=np.int64)
    for j in range(W.shape[0]):
        out[:, j] = rankdata(-np.round(A @ W[j], 9), method="min")
    return out


def run(quick: bool = False) -> pd.DataFrame:
    from SALib.test_functions import Ishigami

    from kmmodel import uncertainty as U

    u, k, n = (200, 20, 1000) if quick else (1000, 50, 10_000)
    n_loop = 200 if quick else 1000
    A, w, dims = _problem(u, k)
    pert = U.Perturbation(spread=0.25, dimension_spread=0.2)
    rows = []

    res, t_full = timed(
        lambda: U.rank_uncertainty(A, w, dimensions=dims, perturbation=pert, n_draws=n)
    )
    rows.append(
        {
            "case": f"rank_uncertainty {u} units x {k} indicators",
            "measure": f"{n} draws, batches of 1000",
            "seconds": t_full,
            "ratio": np.nan,
            "note": f"{n / t_full:,.0f} draws/s; median interval width {res.table['rank_width'].median():.0f} places",
        }
    )
    # side by side on the same draws: batched matrix product + ranking vs a per-draw loop
    W = pert.draw_weights(w, n_loop, dims, seed=1)
    t_vec = best_of(lambda: U.rank_within(U.composite_scores(A, W)), repeat=3)
    t_loop = best_of(lambda: _loop_ranks(A, W), repeat=1)
    same = np.array_equal(U.rank_within(U.composite_scores(A, W)), _loop_ranks(A, W))
    rows.append(
        {
            "case": f"score + rank {n_loop} draws ({u} x {k})",
            "measure": "per-draw loop / one matrix product",
            "seconds": t_vec,
            "ratio": t_loop / t_vec,
            "note": f"loop {t_loop:.3f} s; identical ranks: {same}",
        }
    )

    # weakest link (PEFA M1) side by side with the engine's own aggregate, draw by draw
    from kmmodel.scoring.aggregate import aggregate

    def loop_weakest():
        return np.column_stack(
            [aggregate(A, W[j], "weakest_link") * W[j].sum() for j in range(len(W))]
        )

    t_wl = best_of(lambda: U.composite_scores(A, W, aggregation="weakest_link"), repeat=3)
    t_wl_loop = best_of(loop_weakest, repeat=1)
    same_wl = np.allclose(U.composite_scores(A, W, aggregation="weakest_link"), loop_weakest())
    rows.append(
        {
            "case": f"weakest-link scores {n_loop} draws ({u} x {k})",
            "measure": "engine aggregate per draw / batched",
            "seconds": t_wl,
            "ratio": t_wl_loop / t_wl,
            "note": f"loop {t_wl_loop:.3f} s; identical scores: {same_wl}",
        }
    )

    box = {f"x{i}": (-np.pi, np.pi) for i in (1, 2, 3)}
    n_sobol = 256 if quick else 2048
    sob, t_sob = timed(lambda: U.sobol_indices(Ishigami.evaluate, box, n=n_sobol, seed=0))
    err = np.abs(sob.table["S1"].to_numpy() - np.array([0.3139, 0.4424, 0.0])).max()
    rows.append(
        {
            "case": "sobol_indices Ishigami",
            "measure": f"n={n_sobol} ({n_sobol * 5} runs), 200 bootstrap resamples",
            "seconds": t_sob,
            "ratio": np.nan,
            "note": f"max |S1 - analytic| = {err:.3f}",
        }
    )

    import kmmodel as km

    scheme = km.load_scheme(km.paths.data_dir() / "schemes" / "kunming_2025.yaml")
    obs = km.datasets.load("observations_2025")
    result = km.score(scheme, obs)
    n_s = 500 if quick else 4000
    _, t_s = timed(lambda: U.scheme_uncertainty(result, pert, n_draws=n_s))
    t_score = best_of(lambda: km.score(scheme, obs), repeat=3)
    rows.append(
        {
            "case": "scheme_uncertainty kunming_2025 (18 units)",
            "measure": f"{n_s} draws vs {n_s} engine re-scorings",
            "seconds": t_s,
            "ratio": t_score * n_s / t_s,
            "note": f"one km.score {t_score * 1000:.1f} ms",
        }
    )
    n_sets = 2 if quick else 4
    alts, t_alt = timed(
        lambda: U.scheme_alternatives(scheme, obs, rule_spread=0.1, n_rule_sets=n_sets, seed=0)
    )
    _, t_mix = timed(lambda: U.scheme_uncertainty(result, pert, alternatives=alts, n_draws=n_s))
    rows.append(
        {
            "case": "scheme_alternatives + scheme_uncertainty kunming_2025",
            "measure": f"3 target levels x {n_sets + 1} rule sets re-scored, then {n_s} draws",
            "seconds": t_alt + t_mix,
            "ratio": np.nan,
            "note": f"{len(alts.results)} engine runs {t_alt:.2f} s; draws {t_mix:.2f} s",
        }
    )
    return pd.DataFrame(rows)
