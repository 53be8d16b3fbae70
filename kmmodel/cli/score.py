"""``kmmodel score SCHEME OBSERVATIONS -o out.csv``: score units, write the table."""

from __future__ import annotations

import argparse
from pathlib import Path

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
    p.add_argument("-o", "--output", help="write the unit table to this CSV (default: print only)")
    p.add_argument("--points", help="also write the long per-indicator points table to this CSV")
    p.add_argument("--year", type=int, help="assessment year for date-keyed values")
    p.add_argument(
        "--missing", choices=("zero", "rescale", "error"), help="override the missing-data policy"
    )
    p.add_argument("--explain", metavar="UNIT", help="print why UNIT lost points")
    p.set_defaults(func=run)


def read_observations(arg: str):
    """Observations from a CSV path or a shipped data-set name -> (DataFrame, source)."""
    import pandas as pd

    from kmmodel import datasets
    from kmmodel.errors import DataError

    path = Path(arg)
    if path.suffix.lower() == ".csv" or path.exists():
        if not path.is_file():
            raise DataError("observations file not found", source=str(path))
        try:
            obs = pd.read_csv(path, dtype={"unit": str, "indicator": str, "value": str})
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
            raise DataError(f"not a readable CSV ({exc})", source=str(path)) from None
        return obs, str(path)
    if arg in datasets.names():
        return datasets.load(arg), f"data set {arg}"
    raise DataError(
        f"{arg!r} is neither a CSV file nor a shipped data set ({', '.join(datasets.names())})"
    )


def run(args: argparse.Namespace) -> int:
    from kmmodel.datasets import to_csv_bytes
    from kmmodel.examples import score  # the example units rank in their groups
    from kmmodel.report.atomic import atomic_write_bytes
    from kmmodel.scheme import load_scheme

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
    for target, frame in ((args.output, res.table), (args.points, res.points)):
        if target:
            out = Path(target)
            out.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(out, to_csv_bytes(frame))
            print(f"wrote {out}")
    return 0
