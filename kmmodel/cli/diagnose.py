"""``kmmodel diagnose SCHEME OBSERVATIONS [-o diagnostics.xlsx]``: scheme diagnostics."""

from __future__ import annotations

import argparse

COMMAND = "diagnose"
HELP = (
    "Diagnose a scheme before adoption: redundancy, Cronbach's alpha, components, effective "
    "weights, most-favourable weights, remove-one, outliers, imputation."
)
ORDER = 12


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("scheme", help="scheme file (.yaml, .yml, .xlsx)")
    p.add_argument(
        "observations",
        help="CSV with columns unit, indicator, value — or a shipped data-set name "
        "(e.g. observations_2025)",
    )
    p.add_argument(
        "-o",
        "--output",
        help="write the tables: .xlsx = one sheet per table; .csv = the per-indicator table "
        "(UTF-8 with BOM)",
    )
    p.add_argument("--year", type=int, help="assessment year for date-keyed values")
    p.add_argument(
        "--missing", choices=("zero", "rescale", "error"), help="override the missing-data policy"
    )
    p.add_argument(
        "--threshold", type=float, default=0.9, help="|r| at or above which a pair is redundant"
    )
    p.add_argument(
        "--bounds",
        type=float,
        default=0.5,
        help="benefit of the doubt: each dimension's share may move to nominal x (1 ± BOUNDS)",
    )
    p.add_argument(
        "--outliers",
        choices=("skew_kurtosis", "percentile", "none"),
        default="skew_kurtosis",
        help="outlier treatment whose effect on ranks is shown",
    )
    p.add_argument(
        "--previous",
        help="earlier observations (CSV or data-set name) for carry-forward imputation",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kmmodel import io as kio
    from kmmodel.cli._inputs import check_outputs, write_outputs
    from kmmodel.cli.score import read_observations
    from kmmodel.examples import diagnose  # the example units rank in their groups
    from kmmodel.scheme import load_scheme

    out = check_outputs({"-o": args.output}).get("-o")  # before any work, as every command
    scheme = load_scheme(args.scheme, year=args.year)
    obs, source = read_observations(args.observations)
    previous = read_observations(args.previous)[0] if args.previous else None
    d = diagnose(
        scheme,
        obs,
        missing=args.missing,
        threshold=args.threshold,
        bounds=args.bounds,
        outliers=args.outliers,
        previous=previous,
        source=source,
    )
    show = d.table[
        [
            "indicator",
            "dimension",
            "nominal_share",
            "effective_share",
            "max_abs_r",
            "partner",
            "alpha_if_deleted",
            "mean_abs_shift",
            "outlier",
            "misfit",
        ]
    ]
    print(show.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print()
    print(d.summary())
    print()
    print(d.verdict())
    for note in d.notes:
        print(f"note: {note}")
    if out is not None and out.suffix.lower() == ".xlsx":
        out.parent.mkdir(parents=True, exist_ok=True)
        d.to_excel(out)  # one sheet per table
        print(f"wrote {out}")
    elif out is not None:
        write_outputs({out: kio.csv_bytes(d.table, bom=True)})
    return 0
