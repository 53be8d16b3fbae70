"""``score``: units × indicators in one vectorised pass; ``compare`` two results."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems, rows_phrase
from kmmodel.scoring.aggregate import aggregate
from kmmodel.scoring.result import ScoreResult
from kmmodel.scoring.rules import achievement_block, adjustment_block, veto_block
from kmmodel.tables import Column, Table, normalise_headers, normalise_numbers, require

__all__ = ["compare", "score", "score_achievement"]

#: Observations: one row per unit x indicator; ``value`` is a number or a grade letter.
OBSERVATIONS = Table(
    "observations",
    (Column("unit"), Column("indicator"), Column("value", "any")),
    key=("unit", "indicator"),
)
OBSERVATION_COLUMNS = OBSERVATIONS.required


def _check_domains(scheme, vals: np.ndarray, ii: np.ndarray, probs: Problems) -> None:
    """Observations outside their rule's domain or the indicator's declared ``domain``.

    One pass per indicator (tens), vectorised over its rows; one problem per kind of
    violation, listing every row.
    """
    bad_rows: dict[str, list[np.ndarray]] = {}
    for k, ind in enumerate(scheme.spec.indicators):
        rows = np.flatnonzero(ii == k)
        if not len(rows):
            continue
        v = vals[rows]
        bad = ind.rule.invalid_values(v)
        if bad.any():
            bad_rows.setdefault(ind.rule.value_message, []).append(rows[bad])
        if ind.domain is not None:
            lo, hi = ind.domain
            with np.errstate(invalid="ignore"):
                out = (v < (-np.inf if lo is None else lo)) | (v > (np.inf if hi is None else hi))
            out &= ~bad & np.isfinite(v)
            if out.any():
                span = f"[{'' if lo is None else f'{lo:g}'}, {'' if hi is None else f'{hi:g}'}]"
                probs.add(
                    f"values of indicator {ind.id!r} must lie in its declared domain {span} "
                    f"[{ind.unit or 'indicator unit'}]; outside in {rows_phrase(rows[out])}, "
                    f"got {v[out][:3].tolist()}",
                    "column value",
                )
    for message, parts in bad_rows.items():
        probs.add(message.format(rows=rows_phrase(np.sort(np.concatenate(parts)))), "column value")


def _prepare(scheme, observations, units, source) -> tuple:
    """Validate observations; return (unit ids, groups, value matrix)."""
    probs = Problems(source=source)
    if not isinstance(observations, pd.DataFrame):
        raise DataError(
            f"observations must be a DataFrame with columns unit, indicator, value, got {type(observations).__name__}",
            source=source,
        )
    observations = normalise_headers(observations)
    if not require(observations, OBSERVATION_COLUMNS, probs, "observations", rows=False):
        probs.raise_if_any(DataError)
    if len(observations) == 0:
        raise DataError("no observations", source=source)
    ind_ids = [i.id for i in scheme.spec.indicators]
    unit_col = observations["unit"]
    ind_col = observations["indicator"]
    # units: hash-factorize (NaN -> -1), then order ids so results do not depend on row order
    ucodes, uniq = pd.factorize(unit_col)
    uniq = np.asarray(uniq, dtype=object).astype(str)
    empty_u = ucodes < 0
    if empty_u.any():
        probs.add(f"empty unit id in {rows_phrase(np.flatnonzero(empty_u))}", "column unit")
    order = np.argsort(uniq, kind="stable")
    unit_ids = uniq[order]
    where = np.empty(len(order), np.int64)
    where[order] = np.arange(len(order))
    ii = pd.Index(ind_ids).get_indexer(ind_col)
    bad_i = ii < 0
    if bad_i.any():
        rows = np.flatnonzero(bad_i)
        names = sorted(set(map(str, ind_col.iloc[rows[:200]])))
        probs.add(
            f"unknown indicator id(s) {names[:10]} in {rows_phrase(rows)}; the scheme "
            f"{scheme.id!r} has {len(ind_ids)} indicators",
            "column indicator",
        )
    # values: numbers, or grade letters for grade-rule indicators (full-width forms as ASCII)
    raw = normalise_numbers(observations["value"])
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        vals = raw.to_numpy(dtype=float, na_value=np.nan)
        not_num = np.zeros(len(vals), bool)
    else:
        num = pd.to_numeric(raw, errors="coerce")
        vals = np.array(num.to_numpy(dtype=float, na_value=np.nan), dtype=float, copy=True)
        not_num = np.array((num.isna() & raw.notna()).to_numpy(), dtype=bool, copy=True)
        if not_num.any():
            grade_map = {
                (k, text): code
                for k, ind in enumerate(scheme.spec.indicators)
                for text, code in ind.rule.value_codes().items()
            }
            rows = np.flatnonzero(not_num)
            txt = raw.iloc[rows].astype(str).str.strip().to_numpy()
            codes = np.array([grade_map.get((ii[r], t), np.nan) for r, t in zip(rows, txt)])
            vals[rows] = codes
            not_num[rows] = np.isnan(codes)
    if not_num.any():
        rows = np.flatnonzero(not_num)
        probs.add(
            f"expected a number (or a declared grade letter) in {rows_phrase(rows)}, got "
            f"{raw.iloc[rows[:3]].astype(str).tolist()}",
            "column value",
        )
    empty_v = raw.isna().to_numpy()
    if empty_v.any():
        probs.add(
            f"empty value in {rows_phrase(np.flatnonzero(empty_v))} (leave the row out to mark a "
            "missing observation)",
            "column value",
        )
    inf_v = np.isinf(vals)
    if inf_v.any():
        probs.add(f"infinite value in {rows_phrase(np.flatnonzero(inf_v))}", "column value")
    # value domains of the rules and the indicators
    _check_domains(scheme, vals, ii, probs)
    # units and ranking groups
    if units is not None:
        if "unit" not in units.columns or scheme.spec.rank_by not in units.columns:
            probs.add(
                f"units must have columns 'unit' and {scheme.spec.rank_by!r} (the scheme's rank_by)",
                "units",
            )
            groups = np.full(len(unit_ids), "all", dtype=object)
        else:
            gmap = pd.Series(
                units[scheme.spec.rank_by].astype(str).to_numpy(), index=units["unit"].astype(str)
            )
            gmap = gmap[~gmap.index.duplicated()]
            groups = gmap.reindex(unit_ids).to_numpy(dtype=object)
            unknown = unit_ids[pd.isna(groups)].tolist()
            if unknown:
                probs.add(f"unknown unit id(s) {unknown[:10]} (not in units)", "column unit")
    else:
        groups = np.full(len(unit_ids), "all", dtype=object)
    ui = where[ucodes]
    n_u, n_i = len(unit_ids), len(ind_ids)
    flat = ui.astype(np.int64) * n_i + ii
    known = (ucodes >= 0) & (ii >= 0)  # duplicates are listed with every other problem
    counts = np.bincount(flat[known], minlength=n_u * n_i)
    if (counts > 1).any():
        dup_cells = np.flatnonzero(counts > 1)
        dup_rows = np.flatnonzero(known & np.isin(flat, dup_cells))
        pairs = sorted({(unit_ids[c // n_i], ind_ids[c % n_i]) for c in dup_cells[:10]})
        probs.add(
            f"duplicate (unit, indicator) observations in {rows_phrase(dup_rows)}: {pairs}",
            "columns unit, indicator",
        )
    probs.raise_if_any(DataError)
    V = np.full(n_u * n_i, np.nan)
    V[flat] = vals
    return unit_ids, groups.astype(str), V.reshape(n_u, n_i)


def score(
    scheme,
    observations: pd.DataFrame,
    units: pd.DataFrame | None = None,
    missing: str | None = None,
    source: str = "observations",
) -> ScoreResult:
    """Score every unit against a scheme.

    Parameters
    ----------
    scheme : Scheme
        From :func:`kmmodel.load_scheme` (or a reform of one).
    observations : DataFrame
        Long table with columns ``unit``, ``indicator``, ``value`` [indicator unit].
        One row per (unit, indicator); a missing row is a missing observation.
        ``grade`` indicators accept the grade letter or its 1-based position; veto,
        deduction, bonus and penalty indicators take counts (rules with ``counts``: a
        missing row = 0 incidents, whatever the missing policy, unless a scored count
        indicator declares its own ``missing``). Values outside an indicator's declared
        ``domain`` are refused. Row order does not matter.
    units : DataFrame, optional
        ``unit`` and the scheme's ``rank_by`` column (ranking group). Default: one
        group for all units. (``km.score``, the examples layer's
        :func:`kmmodel.examples.score`, fills in the shipped ``units`` data set when
        every unit is an example unit.)
    missing : {"zero", "rescale", "error"}, optional
        Override the scheme's missing-observation policy (an indicator that declares
        its own ``missing`` keeps it): ``zero`` gives a missing indicator no points; ``rescale`` leaves it out and rescales its dimension
        over the indicators observed (a dimension with none observed scores 0);
        ``error`` raises listing every gap.
    source : str
        Name for error messages (e.g. the CSV path).

    Returns
    -------
    ScoreResult
        ``.table``, ``.points``, ``.explain(unit)``, ``.achievement()``, ``.vetoes``.

    Raises
    ------
    DataError
        Every problem in the observations at once: missing columns, unknown unit or
        indicator ids, non-numeric or empty values, negative counts, undeclared grade
        letters, values outside a declared domain, duplicate (unit, indicator) rows,
        gaps under the ``error`` policy, and formulas that are not finite at an
        observed value.

    Notes
    -----
    The computation is vectorised: values are put into a units × indicators matrix,
    each rule type scores its block of columns at once, and dimensions and totals are
    matrix reductions. Totals are kept within [0, scheme total].
    """
    spec = scheme.spec
    policy = missing or spec.missing
    if policy not in ("zero", "rescale", "error"):
        raise DataError(f"missing policy must be zero, rescale or error, got {policy!r}")
    unit_ids, groups, V = _prepare(scheme, observations, units, source)
    inds = spec.indicators
    n_u, n_i = V.shape
    types = np.array([i.rule.type for i in inds])
    kind = np.array([i.kind for i in inds])
    scored = kind == "score"
    gap, pol = _gaps(inds, V, policy)
    # count rules: a missing row is 0 incidents (unless the indicator declares a policy)
    Vc = np.where(np.isnan(V) & (pol == "count")[None, :], 0.0, V)

    # achievement of scored indicators, rule type by rule type
    A = np.full((n_u, n_i), np.nan)
    for t in pd.unique(types[scored]):
        cols = np.flatnonzero(scored & (types == t))
        try:
            A[:, cols] = achievement_block(t, Vc[:, cols], [inds[c] for c in cols], groups)
        except DataError as exc:
            raise DataError(exc.problems, source=source) from None
    err = gap & (pol == "error")[None, :]
    if err.any():
        u, c = np.nonzero(err)
        pairs = [f"{unit_ids[a]}/{inds[b].id}" for a, b in zip(u[:20], c[:20])]
        more = f" and {len(u) - 20} more" if len(u) > 20 else ""
        raise DataError(
            f"{len(u)} missing observation(s) under the 'error' policy: {', '.join(pairs)}{more}",
            source=source,
        )
    A_sc = A.copy()
    A_sc[gap & (pol == "zero")[None, :]] = 0.0
    return _assemble(scheme, unit_ids, groups, V, A_sc, gap, policy)


def _gaps(inds, V: np.ndarray, policy: str) -> tuple[np.ndarray, np.ndarray]:
    """Missing scored observations and the missing policy of each indicator.

    Returns ``(gap, pol)``: ``gap`` (units × indicators) marks missing observations of
    scored indicators that a policy applies to; ``pol`` gives each indicator's policy:
    its own ``missing`` when declared, ``"count"`` for count rules (a missing row is 0
    incidents, never a gap), otherwise the scheme's (or the caller's) ``policy``.
    """
    pol = np.array(
        [i.missing or ("count" if i.rule.counts else policy) for i in inds], dtype=object
    )
    scored = np.array([i.kind == "score" for i in inds])
    gap = np.isnan(V) & (scored & (pol != "count"))[None, :]
    return gap, pol


def _assemble(scheme, unit_ids, groups, V, A_sc, gap, policy, W=None) -> ScoreResult:
    """Dimensions, vetoes, bonus/penalty, total, grades and ranks from achievements.

    ``A_sc`` (units x indicators) holds the scored indicators' achievements after the
    missing policy; ``W`` optional per-unit indicator weights [points] used instead of
    the indicator points inside each dimension (a dimension whose weights are all 0 for
    a unit is left out of that unit's total, unless a zero_dimension veto holds it at 0).
    """
    spec = scheme.spec
    inds = spec.indicators
    kind = np.array([i.kind for i in inds])
    dim_ids = [d.id for d in spec.dimensions]
    ind_dim = np.array([dim_ids.index(i.dimension) for i in inds])
    D, dropped = _dimension_points(spec, A_sc, W, kind, ind_dim)
    vcols = np.flatnonzero(kind == "veto")
    veto_hit, vaction, disq = _vetoes(inds, V, vcols, ind_dim, D, dropped)
    acols = np.flatnonzero(kind == "adjustment")
    adj = (
        adjustment_block(V[:, acols], [inds[c] for c in acols])
        if len(acols)
        else np.zeros((V.shape[0], 0))
    )
    total, bonus = _total(spec, D, dropped, adj, disq)
    gidx, rank = _grades_and_ranks(spec, total, groups, veto_hit, vcols, disq)
    names = [g.name for g in spec.grades]
    table = pd.DataFrame(
        {
            "unit": unit_ids,
            "group": groups,
            "total": total,
            "grade": np.array(names, dtype=object)[gidx],
            "rank": rank,
            "vetoed": veto_hit.any(axis=1),
        }
    )
    for k, d in enumerate(dim_ids):
        table[d] = D[:, k]
    table["bonus"] = bonus
    vnames = np.array([inds[c].id for c in vcols], dtype=object)
    veto_txt = np.full(len(unit_ids), "", dtype=object)
    for j, name in enumerate(vnames):  # loop over veto rules, vectorised over units
        veto_txt = veto_txt + np.where(veto_hit[:, j], ";" + name, "")
    table["veto"] = pd.Series(veto_txt, dtype=object).str.removeprefix(";").to_numpy()
    table = table.sort_values(["group", "rank", "unit"], kind="stable").reset_index(drop=True)
    points = _points_frame(inds, dim_ids, unit_ids, V, A_sc, W, adj, acols, gap, policy)
    vu, vc = np.nonzero(veto_hit)
    vetoes = pd.DataFrame(
        {
            "unit": unit_ids[vu],
            "indicator": vnames[vc] if len(vcols) else np.array([], dtype=object),
            "name": [inds[vcols[c]].name for c in vc],
            "action": vaction[vc] if len(vcols) else np.array([], dtype=object),
            "value": V[vu, vcols[vc]] if len(vcols) else np.array([], dtype=float),
        }
    )
    scored = kind == "score"
    ach = pd.DataFrame(
        A_sc[:, scored],
        index=pd.Index(unit_ids, name="unit"),
        columns=pd.Index([i.id for i, s in zip(inds, scored) if s], name="indicator"),
    )
    return ScoreResult(
        scheme=scheme, table=table, points=points, vetoes=vetoes, missing=policy, _achievement=ach
    )


def _dimension_points(spec, A_sc, W, kind, ind_dim) -> tuple[np.ndarray, np.ndarray]:
    """Points of each dimension [points] (units x dimensions) and the dimensions left out
    because a unit's weights in them are all 0 (per-unit weights only)."""
    inds = spec.indicators
    n_u = A_sc.shape[0]
    scored = kind == "score"
    maxpts = np.array([i.points for i in inds], dtype=float)
    dim_pts = np.array([d.points for d in spec.dimensions], dtype=float)
    D = np.zeros((n_u, len(dim_pts)))
    dropped = np.zeros((n_u, len(dim_pts)), bool)
    for k in range(len(dim_pts)):  # a handful of dimensions
        cols = np.flatnonzero(scored & (ind_dim == k))
        if len(cols) and dim_pts[k] > 0:
            w_k = maxpts[cols] if W is None else W[:, cols]
            share = aggregate(A_sc[:, cols], w_k, spec.aggregation.indicators)
            D[:, k] = np.nan_to_num(share, nan=0.0) * dim_pts[k]
            if W is not None:
                dropped[:, k] = W[:, cols].sum(axis=1) <= 0
    return D, dropped


def _vetoes(inds, V, vcols, ind_dim, D, dropped) -> tuple:
    """Triggered vetoes (units x veto indicators), their actions and disqualified units.

    ``zero_dimension`` vetoes set their dimension's points in ``D`` to 0 (in place).
    """
    veto_hit = (
        veto_block(V[:, vcols], [inds[c] for c in vcols])
        if len(vcols)
        else np.zeros((V.shape[0], 0), bool)
    )
    vaction = np.array([inds[c].rule.action for c in vcols])
    for j, c in enumerate(vcols):
        if vaction[j] == "zero_dimension":
            D[veto_hit[:, j], ind_dim[c]] = 0.0
            dropped[veto_hit[:, j], ind_dim[c]] = False  # a vetoed dimension counts as 0
    disq = (veto_hit & (vaction == "disqualify")[None, :]).any(axis=1)
    return veto_hit, vaction, disq


def _total(spec, D, dropped, adj, disq) -> tuple[np.ndarray, np.ndarray]:
    """Total [points] within [0, scheme total] after bonus/penalty items and
    disqualifications, and the net bonus [points]."""
    dim_pts = np.array([d.points for d in spec.dimensions], dtype=float)
    dshare = np.where(dim_pts > 0, D / np.where(dim_pts > 0, dim_pts, 1.0), np.nan)
    dshare = np.where(dropped, np.nan, dshare)
    tshare = aggregate(dshare[:, dim_pts > 0], dim_pts[dim_pts > 0], spec.aggregation.dimensions)
    total = np.nan_to_num(tshare, nan=0.0) * spec.total
    bonus = adj.sum(axis=1)
    total = np.clip(total + bonus, 0.0, spec.total)
    total = np.where(disq, 0.0, total)
    total = np.round(total, 10)  # stable ties and grade boundaries against float noise
    return total, bonus


def _grades_and_ranks(spec, total, groups, veto_hit, vcols, disq) -> tuple:
    """Grade index (0 = best band) after veto caps and the excellent-share cap, and the
    rank within each group (1 = best)."""
    inds = spec.indicators
    names = [g.name for g in spec.grades]
    mins = np.array([g.min for g in spec.grades], dtype=float)
    gidx = (total[:, None] < mins[None, :] - 1e-9).sum(axis=1)  # bands best first
    cap_idx = np.zeros(len(total), int)
    for j, c in enumerate(vcols):
        cg = inds[c].rule.cap_grade
        ci = names.index(cg) if cg is not None else 1
        cap_idx = np.where(veto_hit[:, j], np.maximum(cap_idx, ci), cap_idx)
    gidx = np.maximum(gidx, cap_idx)
    gidx = np.where(disq, len(names) - 1, gidx)
    tot_s = pd.Series(total)
    rank = tot_s.groupby(groups).rank(method="min", ascending=False).astype(int).to_numpy()
    if spec.excellent_share_cap is not None:
        top = gidx == 0
        order_in_top = (
            pd.Series(np.where(top, total, -np.inf))
            .groupby(groups)
            .rank(method="first", ascending=False)
        ).to_numpy()
        size = pd.Series(groups).map(pd.Series(groups).value_counts()).to_numpy()
        allowed = np.floor(spec.excellent_share_cap * size + 1e-9)
        gidx = np.where(top & (order_in_top > allowed), 1, gidx)
    return gidx, rank


def _points_frame(inds, dim_ids, unit_ids, V, A_sc, W, adj, acols, gap, policy) -> pd.DataFrame:
    """The long points table, with categorical id columns (codes, not 2 million strings)."""
    n_u, n_i = V.shape
    kind = np.array([i.kind for i in inds])
    scored = kind == "score"
    maxpts = np.array([i.points for i in inds], dtype=float)
    Wp = np.broadcast_to(maxpts, (n_u, n_i)) if W is None else W
    P = np.where(scored[None, :], np.nan_to_num(A_sc, nan=0.0) * Wp, 0.0)
    P[:, acols] = adj + 0.0  # no negative zeros
    mx = np.where(scored[None, :], Wp, 0.0).ravel()
    ind_ids = [i.id for i in inds]
    ucodes = np.repeat(np.arange(n_u), n_i)
    icodes = np.tile(np.arange(n_i), n_u)
    dim_codes = np.array([dim_ids.index(i.dimension) for i in inds])
    status_names = ["ok", "missing", "excluded"]
    pol = _gaps(inds, V, policy)[1]
    st_code = np.where(gap, np.where(pol == "rescale", 2, 1)[None, :], 0)
    kind_names = ["score", "veto", "adjustment"]
    kind_code = np.array([kind_names.index(k) for k in kind])

    def cat(codes, names):
        return pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=object))

    return pd.DataFrame(
        {
            "unit": cat(ucodes, unit_ids),
            "indicator": cat(icodes, ind_ids),
            "dimension": cat(dim_codes[icodes], dim_ids),
            "value": V.ravel(),
            "points": P.ravel(),
            "max_points": mx,
            "achievement": np.where(scored[None, :], A_sc, np.nan).ravel(),
            "status": cat(st_code.ravel(), status_names),
            "kind": cat(kind_code[icodes], kind_names),
        }
    )


def _override(frame, name, unit_ids, scored_ids, lo, hi, probs) -> np.ndarray | None:
    """A units x scored indicators matrix from ``frame`` (NaN = not given), validated."""
    if frame is None:
        return None
    if not isinstance(frame, pd.DataFrame):
        probs.add(
            f"expected a DataFrame (units x scored indicators), got {type(frame).__name__}", name
        )
        return None
    idx, cols = frame.index.astype(str), frame.columns.astype(str)
    unknown_u = sorted(set(idx) - set(unit_ids))
    unknown_i = sorted(set(cols) - set(scored_ids))
    if unknown_u:
        probs.add(f"unknown unit id(s) {unknown_u[:10]} (not in the observations)", name)
    if unknown_i:
        probs.add(f"not a scored indicator of the scheme: {unknown_i[:10]}", name)
    if idx.duplicated().any() or cols.duplicated().any():
        probs.add("duplicate unit or indicator labels", name)
    if unknown_u or unknown_i or idx.duplicated().any() or cols.duplicated().any():
        return None
    try:
        M = frame.set_axis(idx, axis=0).set_axis(cols, axis=1)
        M = M.reindex(index=unit_ids, columns=scored_ids).to_numpy(dtype=float)
    except (TypeError, ValueError):
        probs.add("expected numbers", name)
        return None
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(M) & ~((M >= lo) & (M <= hi))
    if bad.any():
        u, c = np.nonzero(bad)
        cells = [f"{unit_ids[a]}/{scored_ids[b]}" for a, b in zip(u[:10], c[:10])]
        more = f" and {len(u) - 10} more" if len(u) > 10 else ""
        probs.add(f"values must lie in [{lo:g}, {hi:g}]; not so for {', '.join(cells)}{more}", name)
        return None
    return M


def score_achievement(
    scheme,
    observations: pd.DataFrame,
    achievement: pd.DataFrame | None = None,
    weights: pd.DataFrame | None = None,
    *,
    units: pd.DataFrame | None = None,
    missing: str | None = None,
    source: str = "observations",
) -> ScoreResult:
    """Score with given indicator achievements and/or per-unit weights.

    The entry point for methods that change *what an indicator scores* or *how much
    it weighs for one unit* (e.g. force-majeure corrections) rather than the observed
    values: the achievements go through the scheme's own aggregation, vetoes,
    bonus/penalty items, clipping, grades, the excellent-share cap and ranks, exactly
    as in :func:`score`.

    Parameters
    ----------
    scheme : Scheme
        The scheme (never modified).
    observations : DataFrame
        Long ``unit, indicator, value`` table as for :func:`score`: it defines the
        units, the missing observations, and the counts of veto, deduction, bonus and
        penalty items; achievements not overridden come from the scheme's rules.
    achievement : DataFrame, optional
        Units (index) x scored indicator ids (columns) [share 0-1]. A number replaces
        the rule's achievement of that observed cell; NaN (or a cell not given) keeps
        it. Missing observations follow the missing policy whatever is given here.
    weights : DataFrame, optional
        Units x scored indicator ids [points], >= 0: per-unit indicator weights used
        instead of the indicator points *inside* each dimension; NaN keeps the
        scheme's points. A dimension whose weights are all 0 for a unit is left out
        of that unit's total and the other dimensions are rescaled (unless a
        ``zero_dimension`` veto holds it at 0). In ``.points`` the indicator's
        ``max_points`` is then its weight.
    units, missing, source
        As for :func:`score`.

    Returns
    -------
    ScoreResult
        With no ``achievement`` and ``weights`` (or weights equal to the scheme's
        points) the result equals ``score(scheme, observations, ...)`` exactly.

    Raises
    ------
    DataError
        Every problem at once: those of :func:`score`, unknown units or indicators in
        ``achievement`` / ``weights``, achievements outside [0, 1], negative or
        infinite weights.
    """
    base = score(scheme, observations, units=units, missing=missing, source=source)
    spec = scheme.spec
    inds = spec.indicators
    scored = np.array([i.kind == "score" for i in inds])
    scored_ids = [i.id for i, s in zip(inds, scored) if s]
    unit_ids = base._achievement.index.to_numpy(dtype=object).astype(str)
    probs = Problems(source=source)
    A_new = _override(achievement, "achievement", list(unit_ids), scored_ids, 0.0, 1.0, probs)
    W_new = _override(weights, "weights", list(unit_ids), scored_ids, 0.0, np.inf, probs)
    probs.raise_if_any(DataError)
    # rebuild the engine's inputs in unit order (ScoreResult.table is sorted by rank)
    pts = base.points
    n_u, n_i = len(unit_ids), len(inds)
    V = pts["value"].to_numpy(dtype=float).reshape(n_u, n_i)
    gap = _gaps(inds, V, base.missing)[0]
    groups = base.table.set_index("unit")["group"].reindex(unit_ids).to_numpy(dtype=str)
    A_sc = np.full((n_u, n_i), np.nan)
    A_sc[:, scored] = base._achievement.to_numpy(dtype=float)
    if A_new is not None:
        cols = np.flatnonzero(scored)
        given = ~np.isnan(A_new) & ~gap[:, cols]
        sub = A_sc[:, cols]
        sub[given] = A_new[given]
        A_sc[:, cols] = sub
    W = None
    if W_new is not None:
        maxpts = np.array([i.points for i in inds], dtype=float)
        W = np.broadcast_to(maxpts, (n_u, n_i)).copy()
        W[:, scored] = np.where(np.isnan(W_new), W[:, scored], W_new)
        if np.array_equal(W, np.broadcast_to(maxpts, W.shape)):
            W = None  # the scheme's own weights: the exact path of score()
    if A_new is None and W is None:
        return base
    return _assemble(scheme, unit_ids, groups, V, A_sc, gap, base.missing, W)


def compare(a: ScoreResult, b: ScoreResult) -> pd.DataFrame:
    """Rank and grade changes from result ``a`` (baseline) to ``b`` (reform).

    Parameters
    ----------
    a, b : ScoreResult
        Results for the same units (e.g. baseline and reform on the same observations,
        or two years).

    Returns
    -------
    DataFrame
        One row per unit: unit, group, total_a, total_b, delta [points], rank_a, rank_b,
        rank_change (positive = moved up), grade_a, grade_b, grade_changed, vetoed_a,
        vetoed_b; sorted by group and rank_b.

    Raises
    ------
    DataError
        When the two results cover different units.
    """
    ua, ub = set(a.table["unit"]), set(b.table["unit"])
    if ua != ub:
        raise DataError(
            f"results cover different units: only in a {sorted(ua - ub)[:10]}, only in b {sorted(ub - ua)[:10]}"
        )
    cols = ["unit", "group", "total", "rank", "grade", "vetoed"]
    m = a.table[cols].merge(b.table[cols], on="unit", suffixes=("_a", "_b"))
    out = pd.DataFrame(
        {
            "unit": m["unit"],
            "group": m["group_b"],
            "total_a": m["total_a"],
            "total_b": m["total_b"],
            "delta": m["total_b"] - m["total_a"],
            "rank_a": m["rank_a"],
            "rank_b": m["rank_b"],
            "rank_change": m["rank_a"] - m["rank_b"],
            "grade_a": m["grade_a"],
            "grade_b": m["grade_b"],
            "grade_changed": m["grade_a"] != m["grade_b"],
            "vetoed_a": m["vetoed_a"],
            "vetoed_b": m["vetoed_b"],
        }
    )
    return out.sort_values(["group", "rank_b", "unit"], kind="stable").reset_index(drop=True)
