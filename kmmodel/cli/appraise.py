"""``kmmodel appraise``: appraise projects from CSV files and print (or save) the results.

Examples
--------
::

    kmmodel appraise                                   # the shipped synthetic projects, "china"
    kmmodel appraise --schedule green_book --optimism upper --mitigation 0.5
    kmmodel appraise --projects my_projects.csv --flows my_flows.csv --schedule 0.06 \\
        -o reports/appraisal.csv

Input errors (missing file, bad rows, unknown schedule) print every problem and exit 2
before anything is written. Output never goes into ``data/`` (inputs only).
"""

from __future__ import annotations

import argparse
import io

COMMAND = "appraise"
HELP = "Appraise projects (NPV, BCR, IRR, payback) from projects and flows CSV files."
ORDER = 40

_SHOW = ["project", "npv", "bcr", "irr", "payback", "eac", "pv_costs", "pv_benefits"]


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("--projects", help="projects CSV (default: the shipped data/projects.csv)")
    p.add_argument("--flows", help="flows CSV: project, year, line, amount (default: shipped)")
    p.add_argument(
        "--schedule",
        default="china",
        help='discount schedule: a rate (0.05 or 5%%), "china", "china_long" or "green_book"',
    )
    p.add_argument("--prices", choices=("real", "nominal"), default="real")
    p.add_argument("--inflation", type=float, default=0.0, help="annual inflation [share 0-1]")
    p.add_argument("--optimism", choices=("upper", "lower"), help="apply optimism-bias uplifts")
    p.add_argument("--mitigation", type=float, default=0.0, help="share of uplift mitigated")
    p.add_argument("-o", "--output", help="write the full table to this .csv or .xlsx file")
    p.set_defaults(func=run)


def _schedule(text: str):
    """A rate (``0.06``, or ``6%`` as percent), else a schedule name."""
    t = text.strip()
    try:
        return float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        return text


def _read(path: str | None, name: str):
    from kmmodel import datasets
    from kmmodel import io as kio

    if path is None:
        return datasets.load(name)
    return kio.read_table(path, what=name.replace("_", " "))


def run(args: argparse.Namespace) -> int:
    from kmmodel import costbenefit as cba
    from kmmodel.cli._inputs import check_outputs, write_outputs

    out = check_outputs({"-o": args.output})
    projects = _read(args.projects, "projects")
    flows = _read(args.flows, "project_flows")
    res = cba.appraise(
        projects,
        flows,
        _schedule(args.schedule),
        prices=args.prices,
        inflation=args.inflation,
        optimism=args.optimism,
        mitigation=args.mitigation,
    )
    table = res.table
    shown = table[[c for c in _SHOW if c in table.columns]]
    buf = io.StringIO()
    shown.to_string(buf, index=False, float_format=lambda v: f"{v:,.4g}")
    print(buf.getvalue())
    if out:
        write_outputs({out["-o"]: table})
    return 0
