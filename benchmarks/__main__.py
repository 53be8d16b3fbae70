"""Run every benchmark module and print one table per module (also ``reports/benchmarks.md``).

Usage: ``python -m benchmarks [--quick] [--only NAME ...] [-o reports/benchmarks.md]``
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import platform
import sys
import time
import traceback
from pathlib import Path

import pandas as pd


def _modules(only: list[str]) -> list[str]:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if only:
        unknown = [o for o in only if f"bench_{o}" not in names and o not in names]
        if unknown:
            sys.exit(f"unknown benchmark(s) {unknown}; available: {[n[6:] for n in names]}")
        names = [n for n in names if n in only or n[6:] in only]
    return names


def _fmt(df: pd.DataFrame) -> str:
    df = df.copy()
    for col in df.columns:
        if pd.api.types.is_float_dtype(df[col]):
            df[col] = df[col].map(lambda v: "" if pd.isna(v) else f"{v:.4g}")
    header = "| " + " | ".join(map(str, df.columns)) + " |"
    sep = "|" + "|".join("---" for _ in df.columns) + "|"

    def cell(v: object) -> str:
        return str(v).replace("|", "\\|")  # a pipe inside a cell would split the column

    rows = ["| " + " | ".join(map(cell, r)) + " |" for r in df.astype(object).fillna("").to_numpy()]
    return "\n".join([header, sep, *rows])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    ap.add_argument("--only", nargs="*", default=[], help="benchmark module names (without bench_)")
    ap.add_argument("-o", "--output", default="reports/benchmarks.md")
    ap.add_argument("--list", action="store_true", help="list the benchmark modules and exit")
    args = ap.parse_args(argv)
    if args.list:
        for name in _modules([]):
            mod = importlib.import_module(f"benchmarks.{name}")
            print(f"{name[6:]:<16} {getattr(mod, 'TITLE', name)}")
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    parts = [
        "# kmmodel benchmarks",
        "",
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{'quick' if args.quick else 'full'} sizes. Ratios compare timings taken in this same run.",
        "",
    ]
    failed = []
    overview = []
    for name in _modules(args.only):
        mod = importlib.import_module(f"benchmarks.{name}")
        title = getattr(mod, "TITLE", name)
        print(f"== {title}", flush=True)
        t0 = time.perf_counter()
        try:
            table = mod.run(quick=args.quick)
        except Exception:  # report and go on with the other benchmarks
            failed.append(name)
            traceback.print_exc()
            parts += [f"## {title}", "", "FAILED (see console)", ""]
            overview.append((name[6:], time.perf_counter() - t0, "FAILED"))
            continue
        text = _fmt(table)
        print(text, f"\n({time.perf_counter() - t0:.1f} s)\n", flush=True)
        parts += [f"## {title}", "", text, ""]
        overview.append((name[6:], time.perf_counter() - t0, "ok"))
    summary = pd.DataFrame(overview, columns=["benchmark", "wall seconds", "status"])
    parts[4:4] = ["## Overview", "", _fmt(summary), ""]
    print(_fmt(summary))
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(parts), encoding="utf-8")
    print(f"written {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
