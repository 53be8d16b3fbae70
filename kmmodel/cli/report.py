"""``kmmodel report``: run the notebooks and write HTML reports plus an index."""

from __future__ import annotations

import argparse
import os
import sys

COMMAND = "report"
HELP = "Run the scenario notebooks and write one HTML report each plus reports/index.html."
ORDER = 10


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--only",
        nargs="+",
        metavar="NOTEBOOK",
        help="run these notebooks (name, stem or number prefix)",
    )
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a notebook parameter (repeatable; value parsed as YAML: 5, 0.5, true, text)",
    )
    p.add_argument(
        "--params", metavar="FILE", help="YAML file of parameters (global or per notebook)"
    )
    p.add_argument("--no-input", action="store_true", help="hide code cells in the HTML")
    p.add_argument("-o", "--output-dir", metavar="DIR", help="output folder (default: reports/)")
    p.add_argument(
        "--timeout",
        type=float,
        default=1200,
        metavar="SECONDS",
        help="per-cell time limit (default 1200)",
    )
    p.add_argument(
        "--no-timings",
        action="store_true",
        help="leave run times out of index.html (fully reproducible)",
    )
    p.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        metavar="N",
        help="notebooks run at once (default: 2, or 1 on a one-core machine)",
    )
    p.add_argument("--notebooks-dir", metavar="DIR", help=argparse.SUPPRESS)
    p.add_argument(
        "--list", action="store_true", help="list notebooks and their parameters, run nothing"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kmmodel import paths
    from kmmodel.report import runner

    if args.list:
        nb_dir = args.notebooks_dir or paths.notebooks_dir()
        for path in runner.discover(nb_dir):
            params = runner._declared(path)
            shown = ", ".join(f"{k}={v['default']}" for k, v in params.items())
            print(f"{path.stem:32s} {shown}")
        return 0
    report = runner.run_reports(
        notebooks_dir=args.notebooks_dir,
        output_dir=args.output_dir,
        only=args.only,
        params=args.param,
        params_file=args.params,
        no_input=args.no_input,
        timeout=args.timeout,
        timings=not args.no_timings,
        jobs=args.jobs,
    )
    index = report.output_dir / "index.html"
    if report.failed:
        for r in report.failed:
            print(f"FAILED {r.name}: {r.error}", file=sys.stderr)
        print(
            f"{len(report.failed)} of {len(report.runs)} notebook(s) failed; reports in {index}",
            file=sys.stderr,
        )
        return 1
    print(f"{len(report.runs)} notebook(s) ran; open {index}")
    return 0
