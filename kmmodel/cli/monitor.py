"""``kmmodel monitor``: time-progress warnings and data-distortion flags for one month."""

from __future__ import annotations

import argparse

COMMAND = "monitor"
HELP = "Progress warnings (序时进度) and data-distortion flags from a monthly feed."
ORDER = 60


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("--feed", help="feed CSV (default: the shipped synthetic monthly_progress)")
    p.add_argument("--third-party", help="third-party CSV: unit, indicator, year, value")
    p.add_argument("--payments", help="payment records CSV (amount column) for the Benford check")
    p.add_argument("--year", type=int, default=2025, help="year monitored (default 2025)")
    p.add_argument("--month", type=int, default=12, help="month of the data (1-12, default 12)")
    p.add_argument("--profile", choices=["seasonal", "linear"], default="seasonal")
    p.add_argument("--yellow", type=float, default=0.05, help="yellow threshold [share of target]")
    p.add_argument("--red", type=float, default=0.10, help="red threshold [share of target]")
    p.add_argument(
        "--threshold",
        type=float,
        action="append",
        dest="thresholds",
        help="scoring threshold on year-end completion for the bunching check (repeatable)",
    )
    p.set_defaults(func=run)


def _read_csv(path: str):
    from kmmodel import io as kio

    return kio.read_table(path, what="feed", text=("unit", "indicator"))


def run(args: argparse.Namespace) -> int:
    from kmmodel import datasets, monitoring
    from kmmodel.monitoring.quality import CHECKS

    if args.feed:
        feed, source = _read_csv(args.feed), args.feed
    else:
        feed, source = datasets.load("monthly_progress"), "monthly_progress (synthetic)"
    feed = monitoring.validate_feed(feed, source=source)
    third = _read_csv(args.third_party) if args.third_party else None
    payments = _read_csv(args.payments) if args.payments else None
    res = monitoring.progress(
        feed,
        args.year,
        args.month,
        profile=args.profile,
        thresholds=monitoring.Thresholds(args.yellow, args.red),
        source=source,
    )
    print(
        f"{source}: {args.year} month {args.month}: "
        + ", ".join(f"{k} {v}" for k, v in res.counts().items())
    )
    if len(res.alerts):
        print(res.alerts[["unit", "indicator", "status", "reason"]].to_string(index=False))
    scr = monitoring.screen(
        feed,
        args.year,
        month=args.month,
        third_party=third,
        payments=payments,
        bunching_thresholds=args.thresholds,
    )
    print(f"\ndata checks run: {', '.join(scr.checks_run)}")
    skipped = [c for c in CHECKS if c not in scr.checks_run]
    if skipped:  # the score is over the checks run; the report runs more, so it can differ
        print(
            f"note: scores are out of the {len(scr.checks_run)} of {len(CHECKS)} checks run here; "
            f"not run: {', '.join(skipped)} (they need --third-party, --payments or "
            "--threshold). The monitoring report (notebook 06) runs all of them on the shipped "
            "data, so its scores differ from these."
        )
    print(scr.table[["unit", "score", "n_flags", "checks"]].to_string(index=False))
    return 0
