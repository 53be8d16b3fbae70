"""Every ```python block of README.md runs, so the README cannot show code that fails.

Rules (also stated here for whoever edits the README):

- Each block is a self-contained script, run in a fresh namespace, in README order.
- A line that is a bare comparison (``kd["share"].sum() == kd.attrs["r2"]``) states a
  fact: it is run as an ``assert``.
- A block preceded by ``<!-- readme-test: continues -->`` runs in the namespace left by
  the block before it (for a snippet that builds on the one above).
- A block preceded by ``<!-- readme-test: skip: <reason> -->`` is not executed; the reason
  is required. It must still compile, and every name it reads must be defined by itself,
  by the namespace it continues, or be a builtin (so an undefined name cannot hide there).

All blocks run in one subprocess with a temporary working directory (no relative path
into the repository can work by accident), a headless matplotlib and the repository on
``PYTHONPATH``; shipped data are found through ``km.paths`` / ``km.datasets``.
"""

from __future__ import annotations

import builtins
import json
import os
import re
import subprocess
import symtable
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

FENCE_OPEN = re.compile(r"^```python\s*$")
FENCE_CLOSE = re.compile(r"^```\s*$")
MARK = re.compile(r"^<!--\s*readme-test:\s*(?P<what>skip|continues)\s*(?::\s*(?P<why>.*?))?\s*-->$")


def blocks(text: str) -> list[dict]:
    """The python blocks of a markdown text: line, source, skip reason, continues."""
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        if FENCE_OPEN.match(lines[i].strip()):
            start, marks = i + 1, []
            j = i - 1
            while j >= 0 and (lines[j].strip() == "" or MARK.match(lines[j].strip())):
                if lines[j].strip():
                    marks.append(MARK.match(lines[j].strip()))
                j -= 1
            k = start
            while k < len(lines) and not FENCE_CLOSE.match(lines[k].strip()):
                k += 1
            if k == len(lines):
                raise AssertionError(f"README.md line {i + 1}: python block never closed")
            skip = [m for m in marks if m["what"] == "skip"]
            out.append(
                {
                    "line": i + 1,
                    "source": "\n".join(lines[start:k]) + "\n",
                    "skip": (skip[0]["why"] or "") if skip else None,
                    "continues": any(m["what"] == "continues" for m in marks),
                }
            )
            i = k + 1
        else:
            i += 1
    return out


def free_names(source: str) -> set[str]:
    """Global names a block reads without binding them itself."""
    top = symtable.symtable(source, "<readme>", "exec")
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    read: set[str] = set()

    def visit(table):
        for s in table.get_symbols():
            if s.is_referenced() and (table is top or s.is_global()):
                read.add(s.get_name())
        for child in table.get_children():
            visit(child)

    visit(top)
    return read - bound - set(dir(builtins))


RUNNER = r"""
import ast, json, sys, traceback
import matplotlib
matplotlib.use("Agg")


def checked(source, name):
    # a bare comparison line (``a == b  # shares sum to R^2``) is a claim: assert it
    tree = ast.parse(source, name)
    tree.body = [
        ast.copy_location(ast.Assert(test=node.value, msg=None), node)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Compare)
        else node
        for node in tree.body
    ]
    return compile(ast.fix_missing_locations(tree), name, "exec")


blocks = json.loads(sys.stdin.read())
ns = {}
failures = []
for b in blocks:
    if not b["continues"]:
        ns = {"__name__": "__readme__"}
    if b["skip"] is not None:
        continue
    try:
        exec(checked(b["source"], f"README.md:{b['line']}"), ns)
    except Exception:
        failures.append({"line": b["line"], "error": traceback.format_exc(limit=3)})
print(json.dumps(failures))
"""


def test_marks_are_well_formed_and_skips_give_a_reason():
    text = README.read_text(encoding="utf-8")
    for n, line in enumerate(text.splitlines(), 1):
        if "readme-test" in line:
            m = MARK.match(line.strip())
            assert m, f"README.md line {n}: malformed readme-test mark {line!r}"
            if m["what"] == "skip":
                assert m["why"] and len(m["why"]) > 10, f"README.md line {n}: skip needs a reason"
    assert len(blocks(text)) >= 5


def test_extraction_finds_fences_marks_and_continuations():
    md = (
        "x\n```python\na = 1\n```\n<!-- readme-test: continues -->\n```python\nb = a\n```\n"
        "<!-- readme-test: skip: needs a cluster address -->\n\n```python\nc = zz\n```\n"
        "```bash\nls\n```\n"
    )
    got = blocks(md)
    assert [(b["line"], b["continues"], b["skip"]) for b in got] == [
        (2, False, None),
        (6, True, None),
        (11, False, "needs a cluster address"),
    ]
    assert free_names(got[2]["source"]) == {"zz"}
    assert free_names("def f(p):\n    return p + q\n") == {"q"}


def test_skipped_blocks_compile_and_read_only_defined_names():
    bs = blocks(README.read_text(encoding="utf-8"))
    env: set[str] = set()
    problems = []
    for b in bs:
        names = free_names(b["source"])  # also proves the block compiles
        top = symtable.symtable(b["source"], "<readme>", "exec")
        defined = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
        available = env if b["continues"] else set()
        if b["skip"] is not None and names - available:
            problems.append(f"README.md line {b['line']}: undefined {sorted(names - available)}")
        env = available | defined
    assert not problems, problems


@pytest.mark.slow
def test_every_python_block_of_the_readme_runs(tmp_path):
    bs = blocks(README.read_text(encoding="utf-8"))
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", RUNNER],
        input=json.dumps(bs),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    failures = json.loads(proc.stdout.strip().splitlines()[-1])
    assert not failures, "\n\n".join(f"README.md:{f['line']}\n{f['error']}" for f in failures)
