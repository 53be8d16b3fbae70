"""``kmmodel correct``: force-majeure correction methods as reforms of a scheme's year.

Scores the year with the assessment engine, applies one or all correction methods
(``kmmodel.correction.METHODS``) with the year's shocks, and prints the ranking
table (units x methods); ``-o`` writes the long table (method, unit, total, change,
grade, rank) only after everything succeeded.

Examples
--------
``kmmodel correct`` (shipped example scheme, 2025 observations, 2024 history and
the illustrative synthetic shocks)::

    kmmodel correct --method none --method coefficient --param coefficient.k=0.8 -o out.csv
"""

from __future__ import annotations

import argparse

COMMAND = "correct"
HELP = (
    "Apply force-majeure correction methods to a scheme's year; print/write the ranking per method."
)
ORDER = 55

_SHOW = ("rank", "total", "grade", "change")


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scheme", help="scheme file (.yaml/.xlsx; default: shipped kunming_2025)")
    p.add_argument(
        "--previous-scheme", help="the previous year's scheme (default: --scheme, or shipped)"
    )
    p.add_argument(
        "--observations",
        help="CSV unit, indicator, value or a data-set name (default: observations_<year>)",
    )
    p.add_argument(
        "--previous",
        help="previous year's observations, CSV or data-set name (default: observations_<year-1>)",
    )
    p.add_argument(
        "--shocks", help="shocks CSV or data-set name (default: shocks, illustrative synthetic)"
    )
    p.add_argument(
        "--sensitivity", help="sensitivity CSV or data-set name (default: shock_sensitivity)"
    )
    p.add_argument(
        "--units", help="units CSV with unit and the ranking-group column (default: shipped units)"
    )
    p.add_argument("--year", type=int, default=2025, help="assessment year (default 2025)")
    p.add_argument(
        "--method",
        action="append",
        dest="methods",
        metavar="NAME",
        help="correction method (repeatable; default: every registered method)",
    )
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="METHOD.NAME=VALUE",
        help="method parameter, e.g. coefficient.k=0.8 or coefficient.cap=none (repeatable)",
    )
    p.add_argument(
        "--show", choices=_SHOW, default="rank", help="column printed per method (default rank)"
    )
    p.add_argument("-o", "--output", help="write the long result table to this .csv or .xlsx")
    p.set_defaults(func=run)


def _value(text: str):
    low = text.strip().lower()
    if low in ("none", "null"):
        return None
    if low in ("true", "false"):
        return low == "true"
    try:
        return float(text)
    except ValueError:
        return text


def parse_params(items, probs) -> dict[str, dict]:
    """``["coefficient.k=0.8", ...]`` -> ``{"coefficient": {"k": 0.8}}``; problems to ``probs``."""
    out: dict[str, dict] = {}
    for item in items:
        key, eq, val = item.partition("=")
        method, dot, name = key.partition(".")
        if not (eq and dot and method.strip() and name.strip()):
            probs.add(f"expected METHOD.NAME=VALUE, got {item!r}", "--param")
            continue
        out.setdefault(method.strip(), {})[name.strip()] = _value(val)
    return out


def _table(arg: str | None, default: str | None, what: str, probs, *, keep_text=False):
    """A .csv/.xlsx path or a shipped data-set name -> DataFrame (None when unreadable)."""
    from kmmodel.cli._inputs import read_input
    from kmmodel.errors import KmmodelError

    if arg is None:
        if default is None:
            return None
        arg = default
    try:
        return read_input(arg, what, text=True if keep_text else False)[0]
    except KmmodelError as exc:
        probs.add(str(exc), what)
        return None


def run(args: argparse.Namespace) -> int:
    from kmmodel import correction
    from kmmodel.cli._inputs import check_outputs, write_outputs
    from kmmodel.errors import DataError, KmmodelError, Problems
    from kmmodel.examples import ranking_units
    from kmmodel.examples import scheme as shipped
    from kmmodel.scheme import load_scheme

    out = check_outputs({"-o": args.output})
    year = args.year
    probs = Problems(source="kmmodel correct")
    params = parse_params(args.param, probs)
    schemes = {}
    for key, arg, y in (
        ("scheme", args.scheme, year),
        ("previous", args.previous_scheme, year - 1),
    ):
        try:
            if arg:
                schemes[key] = load_scheme(arg, year=y)
            elif args.scheme is None:
                schemes[key] = shipped("kunming_2025", year=y)
            else:
                schemes[key] = schemes.get("scheme")  # the given scheme, for both years
        except KmmodelError as exc:
            probs.add(str(exc), f"--{key.replace('previous', 'previous-scheme')}")
    obs = _table(args.observations, f"observations_{year}", "--observations", probs, keep_text=True)
    prev = _table(args.previous, f"observations_{year - 1}", "--previous", probs, keep_text=True)
    shocks = _table(args.shocks, "shocks", "--shocks", probs)
    sens = _table(args.sensitivity, "shock_sensitivity", "--sensitivity", probs)
    units = _table(args.units, None, "--units", probs)
    probs.raise_if_any(DataError)
    if "scheme" not in schemes or schemes["scheme"] is None:  # pragma: no cover - reported above
        return 2
    if units is None:  # the example units' ranking groups, when every unit is one of them
        units = ranking_units(schemes["scheme"], obs, source="--observations")
    app = correction.apply(
        args.methods,
        scheme=schemes["scheme"],
        previous_scheme=schemes.get("previous"),
        observations=obs,
        previous_observations=prev,
        shocks=shocks,
        sensitivity=sens,
        units=units,
        params=params,
    )
    wide = app.wide(args.show)
    shocked = app.table.drop_duplicates("unit").set_index("unit")["exposure"]
    wide.insert(0, "exposure", shocked.reindex(wide.index).map(lambda e: f"{e:.0%}"))
    print(
        f"{schemes['scheme'].id} {year}: {args.show} per correction method "
        f"({len(wide)} units, {shocked.gt(0).sum()} hit by a shock)"
    )
    print(wide.to_string(float_format=lambda v: f"{v:.2f}"))
    moved = app.wide("rank").ne(app.wide("rank").iloc[:, 0], axis=0).any(axis=1)
    print(f"units whose rank differs between methods: {int(moved.sum())}")
    if out:
        write_outputs({out["-o"]: app.table})
    return 0
