"""The import graph of kmmodel/: layers only point down, and no loop hides in a function.

Every module under ``kmmodel/`` is parsed with :mod:`ast` (nothing is imported), and
every ``import`` / ``from ... import`` of one of kmmodel's own modules becomes an edge,
wherever it sits: module level, inside a function, under ``if TYPE_CHECKING``.
``from pkg import sub`` is an edge to the submodule ``pkg.sub`` when that is a module,
otherwise to ``pkg``. Two rules:

- the domain packages take their data as arguments: none of their modules imports the
  examples layer (``datasets``, ``catalog``, ``examples``) or the edges
  (``cli``, ``report``, ``notebook``); the base modules (``errors``, ``expr``, ``rng``,
  ``parallel``, ``plots``, ``sweep``, ``io``, ``tables``, ``safeload``, and ``paths``, which
  only locates folders, e.g. for the guard that keeps outputs out of ``data/``) import
  neither domain nor anything above; a domain module never *calls* ``data_dir`` and the like;
- the graph has no cycle, so no function-level import exists only to hide one.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "kmmodel"

DOMAIN = (
    "scheme",
    "scoring",
    "allocation",
    "costbenefit",
    "satisfaction",
    "correction",
    "monitoring",
    "uncertainty",
    "forms",
    "panel",
    "diagnostics",
)
"""Domain packages (or modules): models that take their data as arguments."""

ABOVE_DOMAIN = ("datasets", "catalog", "examples", "cli", "report", "notebook", "__main__")
"""The examples layer (shipped data and where they live) and the edges (CLI, reports,
notebook helpers): a domain module imports none of them."""

KNOWN_EXCEPTIONS: set[tuple[str, str]] = set()
"""Downward-pointing exceptions still to be removed; each must still exist (no stale entry)."""


def _modules(root: Path) -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (file, is_package) for every module under ``root``."""
    out = {}
    for f in sorted(root.rglob("*.py")):
        parts = list(f.relative_to(root.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        out[".".join(parts)] = (f, is_pkg)
    return out


def import_edges(root: Path = PACKAGE) -> list[tuple[str, str, int]]:
    """Every import of a kmmodel module: (importer, imported, line), at any depth."""
    mods = _modules(root)
    edges = []
    for name, (file, is_pkg) in mods.items():
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative import
                    base = name.split(".") if is_pkg else name.split(".")[:-1]
                    base = base[: len(base) - node.level + 1]
                    where = ".".join(base + ([node.module] if node.module else []))
                else:
                    where = node.module or ""
                for alias in node.names:
                    sub = f"{where}.{alias.name}"
                    targets.append(sub if sub in mods else where)
            for t in targets:
                # ``import a.b.c`` names the deepest module that exists
                while t and t not in mods and "." in t:
                    t = t.rsplit(".", 1)[0]
                if t in mods and t != name:
                    edges.append((name, t, node.lineno))
    return edges


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _cycles(edges) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b, _ in edges:
        graph[a].add(b)
        graph.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, children = work[-1]
            advanced = False
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    advanced = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


@pytest.fixture(scope="module")
def edges():
    return import_edges()


def test_the_walk_sees_function_level_and_relative_imports(tmp_path):
    pkg = tmp_path / "kmmodel"
    (pkg / "scoring").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "datasets.py").write_text("")
    (pkg / "scoring" / "__init__.py").write_text("from .core import f\n")
    (pkg / "scoring" / "core.py").write_text(
        "def f():\n    from kmmodel import datasets\n    import kmmodel.scoring\n"
    )
    got = set(import_edges(pkg))
    assert ("kmmodel.scoring", "kmmodel.scoring.core", 1) in got
    assert ("kmmodel.scoring.core", "kmmodel.datasets", 2) in got
    assert ("kmmodel.scoring.core", "kmmodel.scoring", 3) in got
    assert _cycles(list(got)) == [["kmmodel.scoring", "kmmodel.scoring.core"]]


def test_domain_packages_do_not_import_the_examples_layer_or_the_edges(edges):
    upward = [
        (a, b, line) for a, b, line in edges if _layer(a) in DOMAIN and _layer(b) in ABOVE_DOMAIN
    ]
    bad = [
        f"{a} (line {line}) imports {b}" for a, b, line in upward if (a, b) not in KNOWN_EXCEPTIONS
    ]
    assert not bad, "\n".join(bad)
    stale = KNOWN_EXCEPTIONS - {(a, b) for a, b, _ in upward}
    assert not stale, f"no longer needed, remove from KNOWN_EXCEPTIONS: {sorted(stale)}"


def test_domain_modules_read_no_shipped_files():
    # also through ``import kmmodel as km; km.datasets.load(...)``, which names no submodule
    calls = ("data_dir", "project_root", "datasets.load", "datasets.path", "km.examples.")
    bad = []
    for name, (file, _) in _modules(PACKAGE).items():
        if _layer(name) not in DOMAIN:
            continue
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = ast.unparse(node.func)
                if any(c in func for c in calls):
                    bad.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
    assert not bad, "\n".join(bad)


def test_the_examples_layer_does_not_import_the_edges(edges):
    edge = ("cli", "report", "notebook", "__main__")
    bad = [
        f"{a} (line {line}) imports {b}"
        for a, b, line in edges
        if _layer(a) in ("datasets", "catalog", "examples") and _layer(b) in edge
    ]
    assert not bad, "\n".join(bad)


def test_base_modules_import_only_base_modules(edges):
    # everything that is neither domain, examples layer nor edge is the base (errors, expr,
    # rng, paths, parallel, plots, sweep, ...): it may use only its own kind
    upper = set(DOMAIN) | set(ABOVE_DOMAIN)
    bad = [
        f"{a} (line {line}) imports {b}"
        for a, b, line in edges
        if _layer(a) not in upper and _layer(a) and _layer(b) in upper
    ]
    assert not bad, "\n".join(bad)


def test_no_import_cycles_among_kmmodel_modules(edges):
    cycles = _cycles(edges)
    detail = [
        " -> ".join(c)
        + "\n    "
        + "\n    ".join(f"{a}:{line} imports {b}" for a, b, line in edges if a in c and b in c)
        for c in cycles
    ]
    assert not cycles, "\n".join(detail)


def test_the_domain_list_names_real_packages():
    present = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()}
    assert {"scheme", "scoring", "allocation", "correction"} <= present
