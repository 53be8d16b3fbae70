"""``kmmodel allocate``: split an evaluation budget across the items of a CSV file."""

from __future__ import annotations

import argparse

COMMAND = "allocate"
HELP = "Allocate an evaluation budget across items (LP, HiGHS); write the allocation table as CSV."
ORDER = 30


def _share(text: str) -> tuple[str, float]:
    group, sep, value = text.partition("=")
    try:
        share = float(value)
    except ValueError:
        share = float("nan")
    if not sep or not group or not (0 <= share <= 1):
        raise argparse.ArgumentTypeError(
            f"expected GROUP=SHARE with SHARE a fraction 0-1 (e.g. livelihood=0.4), got {text!r}"
        )
    return group, share


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("items", help="items CSV (columns as data/evaluation_items.csv)")
    p.add_argument("--budget", type=float, default=550_000, help="budget [yuan] (default 550000)")
    p.add_argument(
        "--min-share",
        type=_share,
        action="append",
        default=[],
        metavar="GROUP=SHARE",
        help="at least this share (0-1) of the spending goes to items of GROUP; repeatable",
    )
    p.add_argument(
        "--granularity",
        type=float,
        default=None,
        help="allocate whole multiples of this [yuan] (MILP)",
    )
    p.add_argument("--solver", choices=["highs", "cbc"], default="highs")
    p.add_argument("--time-limit", type=float, default=None, help="solver time limit [s]")
    p.add_argument(
        "--mip-gap",
        type=float,
        default=1e-9,
        help="relative MIP gap at which the solver may stop, with --granularity (default 1e-9)",
    )
    p.add_argument("-o", "--output", default=None, help="output CSV (default: print the table)")
    p.add_argument("--log", action="store_true", help="print the solver log")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    import pandas as pd

    from kmmodel.allocation import allocate_budget
    from kmmodel.datasets import to_csv_bytes
    from kmmodel.errors import DataError
    from kmmodel.report.atomic import atomic_write_bytes

    path = Path(args.items)
    if not path.is_file():
        raise DataError("items file not found", source=str(path))
    try:
        items = pd.read_csv(path, dtype={"item": str, "group": str, "package": str})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"cannot read as CSV ({exc})", source=str(path)) from None
    try:
        res = allocate_budget(
            items,
            budget=args.budget,
            shares=dict(args.min_share) or None,
            granularity=args.granularity,
            solver=args.solver,
            time_limit=args.time_limit,
            mip_gap=args.mip_gap,
        )
    except DataError as exc:  # name the file the rows belong to
        raise DataError(exc.problems, source=str(path)) from None
    if args.log:
        print(res.log)
    if args.output:
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(out, to_csv_bytes(res.table))
        print(f"wrote {out}")
    else:
        print(res.table.to_string(index=False))
    print(res.summary())
    return 0
