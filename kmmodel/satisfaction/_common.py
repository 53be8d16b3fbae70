"""Shared helpers: formula checks that name the column at fault, weights, normal quantiles."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems, rows_phrase

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def formula_columns(formula: str, data: pd.DataFrame) -> tuple[str, list[str]]:
    """Split ``formula`` into (outcome, predictor columns) of ``data`` it mentions."""
    if not isinstance(formula, str) or "~" not in formula:
        raise DataError(
            f"expected a formula 'outcome ~ x1 + x2', got {formula!r}", source="formula"
        )
    lhs, rhs = formula.split("~", 1)
    lhs = lhs.strip()
    cols = set(map(str, data.columns))
    names = [n for n in dict.fromkeys(_IDENT.findall(rhs)) if n in cols]
    return lhs, names


def check_frame(
    data: pd.DataFrame,
    formula: str,
    *,
    source: str,
    weights: str | None = None,
    cluster: str | None = None,
) -> tuple[str, list[str]]:
    """Validate the columns a formula uses: present, filled, not constant.

    Returns (outcome, predictor columns). Raises :class:`DataError` listing every problem.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(data).__name__}", source=source)
    outcome, preds = formula_columns(formula, data)
    probs = Problems(source=source)
    if outcome not in data.columns:
        probs.add(
            f"outcome column {outcome!r} not found; columns are {list(map(str, data.columns))}",
            "formula",
        )
    if len(data) == 0:
        probs.add("no rows to fit")
    used = [c for c in [outcome, *preds, weights, cluster] if c is not None and c in data.columns]
    for col in dict.fromkeys(used):
        s = data[col]
        empty = s.isna()
        if empty.any():
            probs.add(
                f"missing values in {rows_phrase(np.flatnonzero(empty.to_numpy()))}",
                f"column {col}",
            )
        elif col in preds and len(s) > 0 and s.nunique() < 2:
            probs.add(
                f"column is constant (every value is {s.iloc[0]!r}); its effect cannot be "
                "estimated — drop it from the formula",
                f"column {col}",
            )
    if outcome in data.columns and len(data) > 0 and data[outcome].nunique() < 2:
        probs.add(
            "the outcome takes a single value; there is nothing to explain", f"column {outcome}"
        )
    if weights is not None:
        if weights not in data.columns:
            probs.add(f"weight column {weights!r} not found", "weights")
        else:
            w = pd.to_numeric(data[weights], errors="coerce")
            # missing cells are reported above; here: text, zero, negative or infinite
            bad = (w.isna() & data[weights].notna()) | (w <= 0) | np.isinf(w)
            if bad.any():
                probs.add(
                    f"weights must be positive numbers; bad in {rows_phrase(np.flatnonzero(bad.to_numpy()))}",
                    f"column {weights}",
                )
    if cluster is not None and cluster not in data.columns:
        probs.add(f"cluster column {cluster!r} not found", "cluster")
    probs.raise_if_any(DataError)
    return outcome, preds


def design(formula_or_spec, data: pd.DataFrame, *, source: str, prediction: bool = False):
    """Build design matrices through statsmodels' formula engine, errors as DataError."""
    from statsmodels.formula._manager import FormulaManager

    try:
        return FormulaManager().get_matrices(
            formula_or_spec, data, pandas=True, prediction=prediction
        )
    except Exception as exc:  # patsy/formulaic raise their own error types
        raise DataError(f"cannot build the model from the formula: {exc}", source=source) from exc


def normal_q(level: float) -> float:
    """Two-sided normal quantile for a confidence ``level`` in (0, 1)."""
    from scipy.stats import norm

    if not 0 < level < 1:
        raise DataError(f"confidence level must be between 0 and 1, got {level}", source="level")
    return float(norm.ppf(0.5 + level / 2))


def separation_check(
    exog: pd.DataFrame, params: pd.Series, names: Iterable[str], *, source: str, converged: bool
) -> None:
    """Raise DataError when slopes run off to infinity (perfect or quasi-perfect separation).

    A slope times its column's standard deviation above 15 moves the odds by a factor
    above e^15: no survey answer carries that much information, it means the fit
    diverged because some column predicts the outcome perfectly.
    """
    names = [n for n in names if n in exog.columns and n in params.index]
    sd = exog[names].std(ddof=0).to_numpy()
    size = np.abs(params[names].to_numpy()) * sd
    huge = [n for n, s in zip(names, size, strict=True) if not np.isfinite(s) or s > 15]
    if huge or not converged:
        where = f" (coefficients diverging: {huge})" if huge else ""
        raise DataError(
            "the model did not converge: perfect or quasi-perfect separation — some column "
            f"predicts the outcome exactly{where}; merge sparse categories or drop that column",
            source=source,
        )


_CATEGORICAL = re.compile(r"C\(\s*([A-Za-z_][A-Za-z0-9_]*)")


def sparse_levels(data: pd.DataFrame, formula: str, min_n: int) -> list[str]:
    """Notes for levels of ``C(col)`` terms with fewer than ``min_n`` respondents.

    Such a level's coefficient rests on few answers: it is estimated, but flagged.
    """
    notes = []
    for col in dict.fromkeys(_CATEGORICAL.findall(formula.split("~", 1)[-1])):
        if col not in data.columns:
            continue
        counts = data[col].value_counts()
        for level, n in counts[counts < min_n].sort_index().items():
            notes.append(
                f"{col} = {level!s} has only {n} respondents (< {min_n}): its coefficient is "
                "imprecise; treat it as indicative"
            )
    return notes
