"""The result of :func:`kmmodel.diagnose`: tables, a headline table, charts, a verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["Diagnostics"]

_PLOTS = ("weights", "bod", "remove_one", "correlation")


@dataclass(frozen=True, eq=False)
class Diagnostics:
    """Scheme diagnostics for one set of observations.

    Attributes
    ----------
    scheme : Scheme
    tables : dict of str -> DataFrame
        ``correlation_pearson`` / ``correlation_spearman`` (indicator x indicator),
        ``pairs``, ``indicator_structure``, ``dimension_structure``, ``reliability``,
        ``alpha_if_deleted``, ``pca``, ``pca_loadings``, ``effective_weights``
        (indicators and dimensions), ``bod``, ``remove_one`` (summary),
        ``remove_one_ranks`` (long), ``outliers``, ``outlier_values``,
        ``outlier_ranks``, ``imputation``, ``imputation_ranks``, ``notes``; and
        ``mixed_aggregation`` when asked for.
    notes : list of str
        Caveats and flags in words (small sample, constant indicators, skipped statistics).
    n_units : int
    threshold : float
        |r| at or above which a pair is called redundant.
    """

    scheme: object
    tables: dict = field(repr=False)
    notes: list = field(repr=False)
    n_units: int
    threshold: float

    # --- result protocol ---------------------------------------------------------
    @property
    def table(self) -> pd.DataFrame:
        """One row per scored indicator: the headline figures side by side.

        Columns: indicator, dimension, points [points], nominal_share, effective_share
        (eta^2 share) [share 0-1], r_total, max_abs_r (largest |r| with another
        indicator), partner, alpha_if_deleted, mean_abs_shift and max_abs_shift
        (ranks moved when the indicator is left out) [places], outlier (flagged),
        misfit (closer to another dimension than to its own).
        """
        ew = self.tables["effective_weights"]
        ew = ew[ew["level"] == "indicator"].set_index("id")
        P = self.tables["correlation_pearson"]
        absr = P.abs().where(~np.eye(len(P), dtype=bool))
        st = self.tables["indicator_structure"].set_index("indicator")
        aid = self.tables["alpha_if_deleted"].set_index("indicator")
        ro = self.tables["remove_one"]
        ro = ro[ro["level"] == "indicator"].set_index("removed")
        out = self.tables["outliers"].set_index("indicator")
        ids = list(ew.index)
        t = pd.DataFrame(
            {
                "indicator": ids,
                "dimension": ew["dimension"].to_numpy(),
                "points": ew["points"].to_numpy(),
                "nominal_share": ew["nominal_share"].to_numpy(),
                "effective_share": ew["eta2_share"].to_numpy(),
                "r_total": st["r_total"].reindex(ids).to_numpy(),
                "max_abs_r": absr.max(axis=1).reindex(ids).to_numpy(),
                "partner": absr.fillna(-1)
                .idxmax(axis=1)
                .where(absr.notna().any(axis=1), "")
                .reindex(ids)
                .to_numpy(),
                "alpha_if_deleted": aid["alpha_if_deleted"].reindex(ids).to_numpy(),
                "mean_abs_shift": ro["mean_abs_shift"].reindex(ids).to_numpy(),
                "max_abs_shift": ro["max_abs_shift"].reindex(ids).to_numpy(),
                "outlier": out["flagged"].reindex(ids).fillna(False).astype(bool).to_numpy(),
                "misfit": st["misfit"].reindex(ids).fillna(False).astype(bool).to_numpy(),
            }
        )
        return t

    def to_frame(self) -> pd.DataFrame:
        """The headline table (a copy): one row per indicator."""
        return self.table.copy()

    @property
    def redundant_pairs(self) -> pd.DataFrame:
        """Pairs with |r| at or above the threshold (Pearson or Spearman)."""
        p = self.tables["pairs"]
        return p[p["flag"] == "redundant"].reset_index(drop=True)

    def summary(self) -> str:
        """One line: units, redundancy, reliability, weights, BoD, remove-one, outliers."""
        t = self.table
        rel = self.tables["reliability"]
        a = rel.loc[rel["dimension"] != "all", "alpha"].dropna()
        alpha = f"alpha {a.min():.2f}–{a.max():.2f}" if len(a) else "alpha n/a"
        gap = (t["effective_share"] - t["nominal_share"]).abs()
        worst = t.loc[gap.idxmax(), "indicator"] if gap.notna().any() else "n/a"
        bod = self.tables["bod"]
        ro = self.tables["remove_one"]
        top = ro.iloc[0] if len(ro) else None
        moved = (
            f"{top['removed']} (mean {top['mean_abs_shift']:.1f} places)"
            if top is not None
            else "n/a"
        )
        return (
            f"{self.scheme.name}: {self.n_units} units, {len(t)} indicators; "
            f"{len(self.redundant_pairs)} pair(s) |r| ≥ {self.threshold:g}; {alpha}; "
            f"effective vs nominal share differs most for {worst} ({100 * gap.max():.1f} pp); "
            f"{int(bod['can_be_first'].sum())} unit(s) first under some admissible weighting; "
            f"removal moving ranks most: {moved}; {int(t['outlier'].sum())} outlying indicator(s)"
            + (
                "; small sample: read correlations and components as descriptive"
                if self.n_units < 30
                else ""
            )
        )

    def verdict(self) -> str:
        """A paragraph, generated from the numbers, on whether the scheme is fit to adopt."""
        t = self.table
        rel = self.tables["reliability"]
        bod = self.tables["bod"]
        ro = self.tables["remove_one"]
        red = self.redundant_pairs
        neg = self.tables["pairs"].query("flag == 'negative within dimension'")
        parts = [
            f"On {self.n_units} units the {len(t)} scored indicators of {self.scheme.name} show "
            + (
                f"{len(red)} redundant pair(s) (|r| ≥ {self.threshold:g}: "
                + ", ".join(
                    f"{a}–{b}" for a, b in red[["indicator_a", "indicator_b"]].head(3).to_numpy()
                )
                + ")"
                if len(red)
                else f"no redundant pair (|r| ≥ {self.threshold:g})"
            )
            + (
                f" and {len(neg)} negatively correlated pair(s) inside a dimension"
                if len(neg)
                else ""
            )
            + "."
        ]
        a = rel[(rel["dimension"] != "all") & rel["alpha"].notna()]
        if len(a):
            lo = a.loc[a["alpha"].idxmin()]
            parts.append(
                f"Cronbach's alpha ranges from {a['alpha'].min():.2f} ({lo['dimension']}) to "
                f"{a['alpha'].max():.2f}; dimensions of distinct tasks need not be scales, but a "
                "low or negative alpha means the dimension adds up things that do not move together."
            )
        gap = t["effective_share"] - t["nominal_share"]
        if gap.notna().any():
            hi, lo_ = t.loc[gap.idxmax()], t.loc[gap.idxmin()]
            parts.append(
                f"By their main effect on the totals, {hi['indicator']} weighs "
                f"{100 * hi['effective_share']:.1f}% against a nominal {100 * hi['nominal_share']:.1f}%, "
                f"and {lo_['indicator']} {100 * lo_['effective_share']:.1f}% against "
                f"{100 * lo_['nominal_share']:.1f}%."
            )
        firsts = bod.groupby("group")["can_be_first"].sum()
        parts.append(
            "Under the declared weight bounds "
            + ", ".join(
                f"{int(n)} of {int((bod['group'] == g).sum())} units in {g}"
                for g, n in firsts.items()
            )
            + " could come first with weights of their own choosing"
            + f"; the largest best-case gain is {bod['gain'].max():.1f} points."
        )
        if len(ro):
            top = ro.iloc[0]
            parts.append(
                f"Leaving out {top['level']} {top['removed']} moves ranks most "
                f"(mean {top['mean_abs_shift']:.1f}, up to {int(top['max_abs_shift'])} places)."
            )
        n_out = int(t["outlier"].sum())
        parts.append(
            f"{n_out} indicator(s) fail the skewness/kurtosis test."
            if n_out
            else "No indicator fails the skewness/kurtosis test."
        )
        if self.n_units < 30:
            se = (
                f"correlations carry a standard error near {(self.n_units - 3) ** -0.5:.2f} "
                "(Fisher z)"
                if self.n_units > 4
                else "correlations of so few units carry no inferential weight"
            )
            parts.append(
                f"With {self.n_units} units these are descriptions of this sample: {se}, and "
                "the components are not evidence of latent factors."
            )
        return " ".join(parts)

    # --- charts ------------------------------------------------------------------
    def plot(self, kind: str = "weights", ax=None):
        """Chart: ``weights`` (nominal vs effective share), ``bod`` (nominal vs best
        total), ``remove_one`` (rank moves by element left out) or ``correlation``
        (heat map). Returns the matplotlib Axes."""
        from kmmodel.diagnostics import plots

        if kind not in _PLOTS:
            from kmmodel.errors import DataError

            raise DataError(f"unknown plot {kind!r}; expected one of {', '.join(_PLOTS)}")
        return getattr(plots, kind)(self, ax=ax)

    # --- export ------------------------------------------------------------------
    def to_excel(self, path) -> Path:
        """Write the headline table and every table to one workbook (one sheet each).

        The same result gives a byte-identical file (fixed document dates and zip
        timestamps); the file is replaced atomically.
        """
        import datetime as dt
        import io
        import re
        import zipfile

        from kmmodel.io import atomic_write_bytes

        path = Path(path)
        buf = io.BytesIO()
        with pd.ExcelWriter(buf, engine="openpyxl") as xl:
            self.table.to_excel(xl, sheet_name="indicators", index=False)
            for name, frame in self.tables.items():
                keep_index = name.startswith("correlation_")
                frame.to_excel(xl, sheet_name=name[:31], index=keep_index)
            stamp = dt.datetime(2000, 1, 1)
            xl.book.properties.created = stamp
            xl.book.properties.modified = stamp
        out = io.BytesIO()
        with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
            for item in zin.infolist():
                info = zipfile.ZipInfo(item.filename, date_time=(2000, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                data = zin.read(item.filename)
                if item.filename == "docProps/core.xml":  # openpyxl stamps the save time
                    data = re.sub(
                        rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z", data
                    )
                zout.writestr(info, data)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, out.getvalue())
        return path

    def __repr__(self) -> str:
        return (
            f"Diagnostics({self.scheme.id!r}, {self.n_units} units, {len(self.table)} indicators)"
        )
