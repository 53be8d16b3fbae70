"""``kmmodel score SCHEME OBSERVATIONS -o out.csv``: score units, write the table."""

from __future__ import annotations

import argparse

COMMAND = "score"
HELP = "Score units against an assessment scheme; write one row per unit (total, grade, rank, dimensions)."
ORDER = 10


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("scheme", help="scheme file (.yaml, .yml, .xlsx)")
    p.add_argument(
        "observations",
        help="CSV with columns unit, indicator, value — or a shipped data-set name "
        "(e.g. observations_2025)",
    )
    p.add_argument(
        "-o", "--output", help="write the unit table to this .csv or .xlsx (default: print only)"
    )
    p.add_argument(
        "--points", help="also write the long per-indicator points table (.csv or .xlsx)"
    )
    p.add_argument("--year", type=int, help="assessment year for date-keyed values")
    p.add_argument(
        "--missing", choices=("zero", "rescale", "error"), help="override the missing-data policy"
    )
    p.add_argument("--explain", metavar="UNIT", help="print why UNIT lost points")
    p.set_defaults(func=run)


def read_observations(arg: str):
    """Observations from a .csv/.xlsx path or a shipped data-set name -> (DataFrame, source)."""
    from kmmodel.cli._inputs import read_input

    return read_input(arg, "observations")


def run(args: argparse.Namespace) -> int:
    from kmmodel.cli._inputs import check_outputs, write_outputs
    from kmmodel.examples import score  # the example units rank in their groups
    from kmmodel.scheme import load_scheme

    out = check_outputs({"-o": args.output, "--points": args.points})
    scheme = load_scheme(args.scheme, year=args.year)
    obs, source = read_observations(args.observations)
    res = score(scheme, obs, missing=args.missing, source=source)
    explain = res.explain(args.explain) if args.explain else None  # validate before writing
    show = res.table.drop(columns=["veto"]).copy()
    print(show.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    print(res.summary())
    if explain is not None:
        print(f"\nwhy {args.explain} lost points:")
        print(
            explain[["indicator", "points", "max_points", "lost", "reason"]].to_string(index=False)
        )
    write_outputs({out.get("-o"): res.table, out.get("--points"): res.points})
    return 0
