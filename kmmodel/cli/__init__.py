"""Command-line interface: ``kmmodel <command>`` (also ``python -m kmmodel``).

Each command lives in a module of this package that defines ``COMMAND`` (its
name), ``HELP`` (one line) and ``register(parser)`` which adds arguments and
sets ``func(args) -> int``. Input errors (kmmodel's own errors) print one clear
message and exit with code 2.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from kmmodel import __version__
from kmmodel.errors import KmmodelError

__all__ = ["build_parser", "main"]


def _command_modules():
    pkg = sys.modules[__name__]
    mods = []
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(mod, "COMMAND"):
            mods.append(mod)
    return sorted(mods, key=lambda m: getattr(m, "ORDER", 50))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kmmodel",
        description="Government performance assessment and fiscal performance evaluation models.",
    )
    parser.add_argument("--version", action="version", version=f"kmmodel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in _command_modules():
        p = sub.add_parser(mod.COMMAND, help=mod.HELP, description=mod.HELP)
        mod.register(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KmmodelError as exc:
        first, *rest = str(exc).splitlines()
        print(f"kmmodel {args.command}: error: {first}", file=sys.stderr)
        for line in rest:
            print(line, file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes stdout
        return 0
    except KeyboardInterrupt:  # pragma: no cover
        print("interrupted", file=sys.stderr)
        return 130
