"""Scheme diagnostics before a scheme is adopted: ``km.diagnose(scheme, observations)``.

The checks the JRC/OECD *Handbook on Constructing Composite Indicators* (2008) and the
JRC's COINr package make standard before a composite index is published, applied to a
points scheme as the rules engine scores it:

===========================  =====================================================
redundancy and structure     :mod:`~kmmodel.diagnostics.structure` (Pearson/Spearman,
                             within/between dimensions, pairs above a threshold)
reliability                  :mod:`~kmmodel.diagnostics.reliability` (Cronbach's
                             alpha, alpha if deleted, item-rest r)
principal components         :mod:`~kmmodel.diagnostics.pca`
effective weights            :mod:`~kmmodel.diagnostics.weights` (r², Pearson's
                             correlation ratio — Paruolo et al. 2013)
most-favourable weights      :mod:`~kmmodel.diagnostics.bod` (benefit of the doubt,
                             batched HiGHS LPs — Cherchye et al. 2007)
remove one                   :mod:`~kmmodel.diagnostics.removal`
outliers                     :mod:`~kmmodel.diagnostics.outliers` (COINr's
                             skew/kurtosis rule, winsorising, percentile clipping)
imputation sensitivity       :mod:`~kmmodel.diagnostics.imputation`
mixed aggregation            :mod:`~kmmodel.diagnostics.mixing`
===========================  =====================================================

Examples
--------
>>> import kmmodel as km
>>> d = km.diagnose(km.examples.scheme("kunming_2025"), km.datasets.load("observations_2025"))
>>> d.n_units, len(d.table) == len(km.examples.scheme("kunming_2025").weights())
(18, True)
>>> bool((d.tables["bod"]["bod_total"] >= d.tables["bod"]["nominal_total"] - 1e-9).all())
True
"""

from __future__ import annotations

import pandas as pd

from kmmodel.diagnostics.result import Diagnostics
from kmmodel.errors import DataError, Problems

__all__ = ["Diagnostics", "diagnose", "mixed_aggregation"]

#: below this many units every statistic here is flagged as descriptive only
SMALL_N = 30


def small_sample_note(n: int) -> str:
    """What ``n`` units can and cannot support, in words."""
    exact = "Remove-one, benefit-of-the-doubt and treatment effects are exact for these units."
    if n <= 4:
        return (
            f"small sample: {n} units. Correlations, alpha and components of so few units carry "
            f"no inferential weight (a Fisher-z interval needs more than 4); read them as "
            f"arithmetic only. {exact}"
        )
    se = (n - 3) ** -0.5
    return (
        f"small sample: {n} units. A correlation's standard error is about {se:.2f} (Fisher z), "
        f"so |r| below about {min(2 * se, 1):.2f} cannot be told from 0; principal components "
        f"and alpha describe these units only. {exact}"
    )


def mixed_aggregation(*args, **kwargs):
    """See :func:`kmmodel.diagnostics.mixing.mixed_aggregation`."""
    from kmmodel.diagnostics.mixing import mixed_aggregation as f

    return f(*args, **kwargs)


def _check_args(scheme, threshold, bounds, outliers, percentiles, mixed) -> None:
    """Every argument problem at once (before any scoring)."""
    from kmmodel.diagnostics.bod import parse_bounds
    from kmmodel.errors import KmmodelError, SchemeError

    if not (hasattr(scheme, "weights") and hasattr(scheme, "dimensions")):
        raise SchemeError(f"expected a Scheme (from km.load_scheme), got {type(scheme).__name__}")
    probs = Problems(source="diagnose")
    ind = scheme.indicators
    used = set(ind.loc[ind["kind"] == "score", "dimension"])
    dims = scheme.dimensions.set_index("id")["points"].astype(float)
    dims = dims[[d for d in dims.index if d in used]]
    try:
        parse_bounds(bounds, dims / dims.sum(), source="bounds")
    except KmmodelError as exc:
        probs.extend(
            type(p)(p.message, f"bounds{': ' + p.where if p.where else ''}") for p in exc.problems
        )
    try:
        t = float(threshold)
        if not (0 < t <= 1):
            probs.add(f"must lie in (0, 1], got {threshold!r}", "threshold")
    except (TypeError, ValueError):
        probs.add(f"expected a number in (0, 1], got {threshold!r}", "threshold")
    if outliers not in ("skew_kurtosis", "percentile", "none"):
        probs.add(f"expected 'skew_kurtosis', 'percentile' or 'none', got {outliers!r}", "outliers")
    try:
        lo, hi = (float(x) for x in percentiles)
        if not (0 <= lo < hi <= 1):
            probs.add(f"need 0 <= low < high <= 1, got {percentiles!r}", "percentiles")
    except (TypeError, ValueError):
        probs.add(f"expected a pair (low, high) of shares, got {percentiles!r}", "percentiles")
    if mixed is not None and not isinstance(mixed, dict):
        probs.add(f"expected a mapping dimension -> method, got {type(mixed).__name__}", "mixed")
    probs.raise_if_any(DataError)


def diagnose(
    scheme,
    observations: pd.DataFrame,
    *,
    units: pd.DataFrame | None = None,
    missing: str | None = None,
    threshold: float = 0.9,
    bounds=0.5,
    outliers: str = "skew_kurtosis",
    percentiles: tuple[float, float] = (0.05, 0.95),
    previous: pd.DataFrame | None = None,
    mixed: dict | None = None,
    source: str = "observations",
) -> Diagnostics:
    """Diagnose a scheme on a set of observations before it is adopted.

    Parameters
    ----------
    scheme : Scheme
        From :func:`kmmodel.load_scheme`.
    observations : DataFrame
        Long ``unit, indicator, value`` (as for :func:`kmmodel.score`).
    units : DataFrame, optional
        Ranking groups, as for :func:`kmmodel.score`.
    missing : {"zero", "rescale", "error"}, optional
        Override the scheme's missing-observation policy.
    threshold : float
        |r| [0-1] at or above which two indicators are called redundant (default 0.9).
    bounds : float or dict
        Admissible dimension weights for the benefit-of-the-doubt LPs: a relative band r
        (each dimension's share may move to nominal x (1 ± r); default 0.5) or
        ``{dimension: (lo, hi)}`` shares [share 0-1]. Must admit the nominal weights.
    outliers : {"skew_kurtosis", "percentile", "none"}
        Outlier treatment whose rank effect is shown (COINr's winsorising by default).
    percentiles : (float, float)
        Clipping quantiles [share 0-1] for ``outliers="percentile"``.
    previous : DataFrame, optional
        Earlier observations (long) for carry-forward imputation.
    mixed : dict, optional
        Dimension -> aggregation method: also score that mixed aggregation
        (:func:`mixed_aggregation`) and compare.
    source : str
        Name of the observations in error messages.

    Returns
    -------
    Diagnostics
        ``.table`` (one row per indicator), ``.tables`` (every table), ``.summary()``,
        ``.verdict()``, ``.plot(kind)``, ``.to_frame()``, ``.to_excel(path)``, ``.notes``.

    Raises
    ------
    SchemeError
        ``scheme`` is not a scheme.
    DataError
        Bad observations (every problem at once, from :func:`kmmodel.score`); fewer than
        3 units; bad arguments (all listed at once); weight bounds that exclude the
        nominal weights.

    Notes
    -----
    Statistics that need more units than there are are computed and flagged, not
    hidden: with 18 units (Kunming's 14 county-level divisions and 4 development zones)
    a correlation has a standard error of about 0.26 (Fisher z), so "redundant" pairs
    and principal components describe this sample and cannot establish a structure;
    remove-one, benefit-of-the-doubt and treatment effects on ranks are exact for these
    units and need no sampling argument.

    References
    ----------
    .. [1] OECD/JRC (2008), *Handbook on Constructing Composite Indicators: Methodology
       and User Guide*, OECD Publishing (Part I steps 3-7; Part II toolbox).
    .. [2] Becker, W. et al. (2022), COINr: an R package for developing composite
       indicators, *Journal of Open Source Software* 7(78), 4567.
    .. [3] Paruolo, P., Saisana, M. & Saltelli, A. (2013), *J. R. Stat. Soc. A* 176(3),
       609-634.
    .. [4] Cherchye, L. et al. (2007), *Social Indicators Research* 82, 111-145.
    """
    from kmmodel.diagnostics import bod as _bod
    from kmmodel.diagnostics import imputation as _imp
    from kmmodel.diagnostics import outliers as _out
    from kmmodel.diagnostics import pca as _pca
    from kmmodel.diagnostics import reliability as _rel
    from kmmodel.diagnostics import removal as _rm
    from kmmodel.diagnostics import structure as _st
    from kmmodel.diagnostics import weights as _w
    from kmmodel.diagnostics._common import constant_columns, prepare

    _check_args(scheme, threshold, bounds, outliers, percentiles, mixed)
    inp = prepare(scheme, observations, units=units, missing=missing, source=source)
    notes: list[str] = []
    n = inp.n_units
    if n < SMALL_N:
        notes.append(small_sample_note(n))
    const = constant_columns(inp.A)
    if const:
        notes.append(
            "constant across units (no correlation, no influence on ranks): " + ", ".join(const)
        )
    gaps = int(inp.A.isna().to_numpy().sum())
    if gaps:
        notes.append(
            f"{gaps} achievement(s) left out under the 'rescale' policy: correlations use "
            "pairwise-complete units, alpha and components complete units only"
        )
    agg = scheme.to_dict().get("aggregation") or {}
    if (agg.get("dimensions") or "weighted_sum") != "weighted_sum":
        notes.append(
            f"the scheme aggregates dimensions by {agg.get('dimensions')}: the benefit-of-the-doubt "
            "totals are the weighted-sum reading of the same dimension scores"
        )
    pear, spear = _st.correlations(inp.A)
    tables: dict[str, pd.DataFrame] = {
        "correlation_pearson": pear,
        "correlation_spearman": spear,
        "pairs": _st.pairs(pear, spear, inp.dimension_of, float(threshold)),
        "indicator_structure": _st.indicator_structure(inp.A, inp.D, inp.total, inp.dimension_of),
        "dimension_structure": _st.dimension_structure(pear, inp.D, inp.total, inp.dimension_of),
    }
    rel, items = _rel.reliability(inp.A, inp.dimension_of)
    tables["reliability"], tables["alpha_if_deleted"] = rel, items
    comps, loads = _pca.pca_summary(inp.A, inp.dimension_of)
    tables["pca"], tables["pca_loadings"] = comps, loads
    skipped = [d for d in inp.dimensions if len(inp.indicators_of(d)) < 2]
    if skipped:
        notes.append("one-indicator dimension(s), no alpha or components: " + ", ".join(skipped))
    tables["effective_weights"] = pd.concat(
        [
            _w.effective_weights(inp.A, inp.total, inp.points, "indicator", inp.dimension_of),
            _w.effective_weights(inp.D, inp.total, inp.dim_points, "dimension"),
        ],
        ignore_index=True,
    )
    tables["bod"] = _bod.benefit_of_the_doubt(inp.D, inp.dim_points, inp.group, inp.rank, bounds)
    ranks, summary = _rm.remove_one(inp)
    tables["remove_one"], tables["remove_one_ranks"] = summary, ranks
    o_table, o_values, o_ranks = _out.outliers(inp, method=outliers, percentiles=tuple(percentiles))
    tables["outliers"], tables["outlier_values"], tables["outlier_ranks"] = (
        o_table,
        o_values,
        o_ranks,
    )
    i_summary, i_ranks = _imp.imputation(inp, previous=previous)
    tables["imputation"], tables["imputation_ranks"] = i_summary, i_ranks
    if i_summary.empty:
        notes.append(
            "no observation of a scored indicator is missing: imputation cannot move ranks"
        )
    if mixed is not None:
        from kmmodel.diagnostics.mixing import mixed_aggregation as _mix

        _, cmp = _mix(scheme, observations, mixed, units=units, missing=missing, source=source)
        tables["mixed_aggregation"] = cmp
    tables["notes"] = pd.DataFrame({"note": notes})
    return Diagnostics(
        scheme=scheme, tables=tables, notes=notes, n_units=n, threshold=float(threshold)
    )
