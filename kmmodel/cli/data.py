"""``kmmodel data``: list the shipped data sets, check or regenerate synthetic files."""

from __future__ import annotations

import argparse
import sys

COMMAND = "data"
HELP = "List shipped data sets; --check or --regenerate the synthetic files from their seeded generators."
ORDER = 90


def register(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--regenerate",
        action="store_true",
        help="rewrite every synthetic data file in data/ from its generator (a developer action)",
    )
    g.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when a shipped synthetic file differs from what its generator makes",
    )
    p.add_argument("names", nargs="*", help="data sets to act on (default: all)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kmmodel import datasets
    from kmmodel.errors import DataError
    from kmmodel.io import atomic_write_bytes

    reg = datasets.registry()
    unknown = [n for n in args.names if n not in reg]
    if unknown:
        raise DataError(f"unknown data set(s) {unknown}; expected one of: {', '.join(reg)}")
    chosen = args.names or list(reg)
    if not (args.regenerate or args.check):
        print(datasets.info().loc[lambda d: d["name"].isin(chosen)].to_string(index=False))
        return 0
    synthetic = [n for n in chosen if reg[n].generator is not None]
    # generate everything first: a failing generator leaves every file untouched
    made = {n: datasets.generate(n) for n in synthetic}
    differ = []
    for n, data in made.items():
        path = datasets.path(n)
        same = path.is_file() and path.read_bytes() == data
        if args.check:
            if not same:
                differ.append(n)
            print(f"{'ok     ' if same else 'DIFFERS'} {n} ({reg[n].file})")
        elif not same:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, data)
            print(f"wrote {path}")
        else:
            print(f"unchanged {path}")
    if differ:
        print(
            f"{len(differ)} data set(s) differ from their generators: {', '.join(differ)}",
            file=sys.stderr,
        )
        return 1
    return 0
