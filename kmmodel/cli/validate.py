"""``kmmodel validate SCHEME [OBSERVATIONS]``: check a scheme (and observations against it)."""

from __future__ import annotations

import argparse

COMMAND = "validate"
HELP = "Validate an assessment scheme (.yaml/.xlsx), and optionally observations against it."
ORDER = 20


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("scheme", help="scheme file (.yaml, .yml, .xlsx)")
    p.add_argument(
        "observations",
        nargs="?",
        help="optional observations CSV (unit, indicator, value) or shipped data-set name",
    )
    p.add_argument("--year", type=int, help="assessment year for date-keyed values")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kmmodel.cli.score import read_observations
    from kmmodel.examples import score  # the example units rank in their groups
    from kmmodel.scheme import load_scheme

    scheme = load_scheme(args.scheme, year=args.year)
    dims = scheme.dimensions
    kinds = scheme.indicators["kind"].value_counts()
    print(f"{args.scheme}: valid — {scheme.name} ({scheme.year}), total {scheme.total:g} points")
    print(
        f"  {len(dims)} dimensions, {kinds.get('score', 0)} scored indicators, "
        f"{kinds.get('veto', 0)} vetoes, {kinds.get('adjustment', 0)} bonus/penalty items; "
        f"grades {' / '.join(scheme.grade_names)}; missing policy '{scheme.spec.missing}'"
    )
    print(dims[["id", "name", "points", "n_indicators"]].to_string(index=False))
    if args.observations:
        obs, source = read_observations(args.observations)
        res = score(scheme, obs, source=source)
        print(f"{source}: valid — {len(obs)} observations for {len(res.table)} units")
    return 0
