"""``kmmodel tender``: score and rank a tender's bids as 财政部令第87号 prescribes."""

from __future__ import annotations

import argparse

COMMAND = "tender"
HELP = (
    "Score a tender's bids (综合评分法 / 最低评标价法, small-firm deduction, abnormally low "
    "bids); write the scores and winners as CSV or Excel."
)
ORDER = 35


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "bids",
        help="bids CSV: package, agency, price [yuan], technical / business [0-100], sme, valid",
    )
    p.add_argument(
        "--ratings",
        default=None,
        help="expert ratings CSV: package, agency, factor (technical/business), rater, score",
    )
    p.add_argument("--method", choices=["composite", "lowest_price"], default="composite")
    p.add_argument(
        "--price-weight", type=float, default=0.3, help="price weight [0-1] (default 0.3)"
    )
    p.add_argument(
        "--business-weight", type=float, default=0.0, help="business weight [0-1] (default 0)"
    )
    p.add_argument(
        "--sme-deduction",
        type=float,
        default=0.1,
        help="small/micro price deduction [0-1]: 0.10-0.20, or 0 (default 0.1)",
    )
    p.add_argument("--category", choices=["services", "goods"], default="services")
    p.add_argument("--abnormal", choices=["explain", "exclude", "keep"], default="explain")
    p.add_argument(
        "--abnormal-share",
        type=float,
        default=0.6,
        help="abnormally low below this share of the other valid bids' median (default 0.6)",
    )
    p.add_argument("--rating-method", choices=["trimmed", "mean", "median"], default="trimmed")
    p.add_argument("--seed", type=int, default=0, help="seed of the tie-breaking lot")
    p.add_argument(
        "--items",
        default=None,
        help="items CSV (with --agencies): apply the eligibility rules and award the packages",
    )
    p.add_argument("--agencies", default=None, help="agencies CSV (with --items)")
    p.add_argument(
        "--max-packages", type=int, default=2, help="packages one agency may win (with --items)"
    )
    p.add_argument("-o", "--output", default=None, help="output .csv or .xlsx (default: print)")
    p.set_defaults(func=run)


def _read(path, what: str):
    from pathlib import Path

    import pandas as pd

    from kmmodel.errors import DataError

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{what} file not found", source=str(path))
    try:
        return pd.read_csv(
            path,
            dtype={"package": str, "agency": str, "rater": str, "factor": str, "reason": str},
            encoding="utf-8-sig",
        )
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"cannot read as CSV ({exc})", source=str(path)) from None


def run(args: argparse.Namespace) -> int:
    import io
    from pathlib import Path

    from kmmodel.allocation import tender_scores
    from kmmodel.errors import DataError
    from kmmodel.report.atomic import atomic_write_bytes

    out = Path(args.output) if args.output else None
    if out is not None and out.suffix.lower() not in (".csv", ".xlsx"):
        raise DataError(f"expected an output ending in .csv or .xlsx, got {out.name!r}", "-o")
    if (args.items is None) != (args.agencies is None):
        raise DataError("give --items and --agencies together", "--items, --agencies")
    bids = _read(args.bids, "bids")
    ratings = _read(args.ratings, "ratings") if args.ratings else None
    options = {
        "business_weight": args.business_weight,
        "category": args.category,
        "ratings": ratings,
        "rating_method": args.rating_method,
        "abnormal": args.abnormal,
        "abnormal_share": args.abnormal_share,
        "seed": args.seed,
    }
    try:
        if args.items:
            from kmmodel.allocation import award_tender

            items = _read(args.items, "items")
            agencies = _read(args.agencies, "agencies")
            res = award_tender(
                items,
                agencies,
                bids,
                args.method,
                args.price_weight,
                args.sme_deduction,
                max_packages=args.max_packages,
                compare=False,
                **options,
            )
            s = res.scores
            winners = res.table.drop(columns=["items"])
        else:
            s = tender_scores(
                bids, args.method, args.price_weight, args.sme_deduction, source="bids", **options
            )
            winners = s[s["award_rank"] == 1][
                ["package", "agency", "price", "evaluated_price", "total", "flags"]
            ]
    except DataError as exc:  # name the file the rows belong to
        raise DataError(exc.problems, source=str(args.bids)) from None
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".xlsx":
            import pandas as pd

            buf = io.BytesIO()
            with pd.ExcelWriter(buf, engine="openpyxl") as xl:
                s.to_excel(xl, sheet_name="scores", index=False)
                winners.to_excel(xl, sheet_name="winners", index=False)
            atomic_write_bytes(out, buf.getvalue())
        else:
            data = s.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
            atomic_write_bytes(out, data)
        print(f"wrote {out}")
    else:
        print(s.to_string(index=False))
    won = winners[winners["agency"].notna()]
    print("winners: " + ", ".join(f"{p}→{a}" for p, a in zip(won["package"], won["agency"])))
    return 0
