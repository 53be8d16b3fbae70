"""The report runner: execute notebooks with papermill, export HTML, write an index.

:func:`run_reports` checks everything it can before running anything (notebook
names, parameters, data files, output folder) and raises
:class:`~kmmodel.errors.ReportError` listing every problem; then it runs each
notebook with the running interpreter's kernel, writes one HTML report per
notebook atomically (a failed notebook's report shows the error) and finally
``index.html``.
"""

from __future__ import annotations

import ast
import contextlib
import html as html_lib
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from kmmodel.errors import Problems, ReportError
from kmmodel.report.atomic import atomic_write_text

__all__ = [
    "NotebookRun",
    "ReportInterrupted",
    "ReportRun",
    "discover",
    "parse_params",
    "run_reports",
    "select",
]

DEFAULT_TIMEOUT = 1200  # [s] per notebook


@dataclass(frozen=True)
class NotebookRun:
    """Outcome of one notebook: status ``ok`` or ``failed``, run time [s], summary line."""

    name: str
    title: str
    status: str
    seconds: float
    summary: str
    error: str
    html: str


@dataclass
class ReportRun:
    """All notebook runs of one ``kmmodel report`` call."""

    output_dir: Path
    runs: list[NotebookRun] = field(default_factory=list)

    @property
    def failed(self) -> list[NotebookRun]:
        return [r for r in self.runs if r.status != "ok"]

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame([r.__dict__ for r in self.runs])


# ---------------------------------------------------------------- selection and parameters
def discover(notebooks_dir: Path) -> list[Path]:
    """Notebooks in reading order (``NN_name.ipynb``; names starting with ``_`` are skipped)."""
    return sorted(
        p for p in Path(notebooks_dir).glob("*.ipynb") if not p.name.startswith(("_", "."))
    )


def select(notebooks: Sequence[Path], only: Sequence[str] | None) -> list[Path]:
    """Pick notebooks by full name, stem, or number prefix (``01``); unknown names are errors."""
    if not only:
        return list(notebooks)
    chosen: list[Path] = []
    probs = Problems(source="--only")
    for token in only:
        tok = token.removesuffix(".ipynb")
        hits = [p for p in notebooks if p.stem == tok or p.stem.split("_", 1)[0] == tok]
        if not hits:
            hits = [p for p in notebooks if p.stem.startswith(tok)]
        if len(hits) != 1:
            what = "no notebook" if not hits else f"{len(hits)} notebooks"
            probs.add(
                f"{what} matches {token!r}; available: {', '.join(p.stem for p in notebooks)}"
            )
            continue
        if hits[0] not in chosen:
            chosen.append(hits[0])
    probs.raise_if_any(ReportError)
    return sorted(chosen)


def _parse_value(text: str) -> Any:
    from kmmodel.safeload import load_yaml

    try:
        value = load_yaml(text, "--param", error=ReportError)
    except ReportError as exc:
        if getattr(exc, "kind", "") == "syntax":
            return text  # not YAML: the text itself
        raise
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return float(value)  # YAML 1.1 reads 1e3 (no dot) as text
    return value


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+")


def parse_params(
    pairs: Sequence[str] = (), params_file: str | os.PathLike | None = None
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Parameters from ``key=value`` strings and a YAML file.

    The YAML file is a mapping; a key naming a notebook (stem or number prefix)
    with a mapping value holds that notebook's parameters, other keys apply to
    every notebook that declares them. ``--param`` values override the file.
    Values are parsed as YAML scalars (``5`` → int, ``0.5`` → float, ``true`` → bool).
    Keys are read as written, so a notebook number ``03`` stays ``"03"``. The file is
    read within the bounds of :mod:`kmmodel.safeload` (1 MB, no alias bombs, no
    duplicate keys).

    Returns
    -------
    (global, per_notebook)
    """
    probs = Problems(source="parameters")
    glob: dict[str, Any] = {}
    per_nb: dict[str, dict[str, Any]] = {}
    if params_file is not None:
        from kmmodel.safeload import read_yaml

        path = Path(params_file)
        if not path.exists():
            raise ReportError(f"parameter file not found: {path}")
        data = read_yaml(path, error=ReportError, keys_as_text=True)
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise ReportError(f"{path}: expected a mapping of parameter names to values")
        for k, v in data.items():
            if isinstance(v, Mapping):
                per_nb[str(k)] = dict(v)
            else:
                glob[str(k)] = v
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            probs.add(f"bad --param {pair!r}: expected key=value with a Python name as key")
            continue
        glob[key] = _parse_value(value)
    probs.raise_if_any(ReportError)
    return glob, per_nb


def _declared(path: Path) -> dict[str, Any]:
    import papermill as pm

    return pm.inspect_notebook(str(path))


_TYPE_NAMES = {
    "int": "a whole number",
    "float": "a number",
    "str": "text",
    "bool": "true or false",
    "list": "a list",
    "dict": "a mapping",
}


def _expected_type(spec: Mapping[str, Any]) -> str | None:
    """Type a notebook parameter expects: its annotation, else the type of its default."""
    named = str(spec.get("inferred_type_name") or "None")
    if named in _TYPE_NAMES:
        return named
    try:
        default = ast.literal_eval(str(spec.get("default")))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None  # an expression: nothing to compare with
    if default is None:
        return None
    name = type(default).__name__
    return name if name in _TYPE_NAMES else None


def _type_problem(value: Any, expected: str | None) -> str | None:
    """Why ``value`` cannot stand for a parameter of type ``expected`` (None: it can)."""
    if expected is None:
        return None
    ok = {
        "bool": isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "str": isinstance(value, str),
        "list": isinstance(value, list),
        "dict": isinstance(value, Mapping),
    }[expected]
    if ok:
        return None
    return f"expected {_TYPE_NAMES[expected]} (as its default), got {value!r}"


def resolve_params(
    notebooks: Sequence[Path], glob: Mapping[str, Any], per_nb: Mapping[str, Mapping[str, Any]]
) -> dict[Path, dict[str, Any]]:
    """Parameters for each notebook, type-checked against the notebook's parameters cell.

    Names no selected notebook declares are errors, and so is a value whose type does
    not match the parameter's annotation or default (``n_reps=abc`` where the default
    is ``300``); a default of ``None`` accepts any value. Nothing runs before this.
    """
    probs = Problems(source="parameters")
    declared = {p: _declared(p) for p in notebooks}
    out: dict[Path, dict[str, Any]] = {p: {} for p in notebooks}
    used: set[str] = set()
    for p, names in declared.items():
        for k, v in glob.items():
            if k in names:
                out[p][k] = v
                used.add(k)
    for k in glob:
        if k not in used:
            probs.add(
                f"no selected notebook has a parameter {k!r}; "
                + "; ".join(f"{p.stem}: {', '.join(d) or '-'}" for p, d in declared.items())
            )
    for key, params in per_nb.items():
        hits = [p for p in notebooks if p.stem == key or p.stem.split("_", 1)[0] == key]
        if not hits:
            probs.add(f"parameter file names notebook {key!r}, which is not selected")
            continue
        for k, v in params.items():
            if k not in declared[hits[0]]:
                probs.add(
                    f"{hits[0].stem} has no parameter {k!r}; it has {', '.join(declared[hits[0]])}"
                )
            else:
                out[hits[0]][k] = v
    for p, values in out.items():
        for k, v in values.items():
            why = _type_problem(v, _expected_type(declared[p][k]))
            if why:
                probs.add(f"{why}", f"{p.stem}, parameter {k}")
    probs.raise_if_any(ReportError)
    return out


def _check_output_dir(out: Path) -> None:
    from kmmodel.io import inside_data_dir

    if inside_data_dir(out):
        raise ReportError(f"{out}: data/ holds inputs only and no run writes there; use reports/")
    if out.exists() and not out.is_dir():
        raise ReportError(f"{out}: expected an output folder, but this is an existing file")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise ReportError(f"cannot write to output folder {out}: {exc.strerror or exc}") from None


def _check_data() -> None:
    from kmmodel import datasets

    missing = [str(datasets.path(n)) for n in datasets.names() if not datasets.path(n).is_file()]
    if missing:
        raise ReportError(
            [f"missing data file {m}" for m in missing]
            + ["restore them from git, or run `kmmodel data --regenerate` for synthetic files"]
        )


# ---------------------------------------------------------------- one notebook
def _title(nb, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return fallback


def _summary(nb) -> str:
    from kmmodel.notebook import SUMMARY_KEY

    found = ""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("metadata", {}).get(SUMMARY_KEY)
            if text:
                found = str(text)
    return found


def _failure_cell(error: str):
    import nbformat

    cell = nbformat.v4.new_markdown_cell(
        "<div style='border:2px solid #c0392b;padding:0.6em;background:#fdecea'>"
        f"<b>This notebook failed.</b> {html_lib.escape(error)}<br>"
        "The cells below ran up to the error; later cells did not run.</div>"
    )
    cell["id"] = "cell-failure"
    return cell


def run_one(
    path: Path,
    params: Mapping[str, Any],
    kernel: str,
    out_dir: Path,
    timeout: float,
    no_input: bool,
) -> NotebookRun:
    """Execute one notebook and write its HTML report atomically."""
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from kmmodel.report.html import normalise_notebook, to_html

    t0 = time.perf_counter()
    error = ""
    with tempfile.TemporaryDirectory(prefix="kmmodel-run-") as tmp:
        executed = Path(tmp) / path.name
        try:
            pm.execute_notebook(
                str(path),
                str(executed),
                parameters=dict(params),
                kernel_name=kernel,
                progress_bar=False,
                log_output=False,
                cwd=str(path.parent),
                execution_timeout=timeout,
                start_timeout=180,
            )
        except PapermillExecutionError as exc:
            error = f"cell {exc.cell_index + 1}: {exc.ename}: {exc.evalue}".strip()
        except Exception as exc:  # timeout, dead kernel: still report
            error = f"{type(exc).__name__}: {exc}".strip() or type(exc).__name__
        seconds = time.perf_counter() - t0
        nb = nbformat.read(executed if executed.exists() else path, as_version=4)
    error = " ".join(error.split())
    nb = normalise_notebook(nb)
    title = _title(nb, path.stem)
    if error:
        nb.cells.insert(0, _failure_cell(error))
    html_name = f"{path.stem}.html"
    atomic_write_text(out_dir / html_name, to_html(nb, title, no_input=no_input))
    return NotebookRun(
        name=path.stem,
        title=title,
        status="failed" if error else "ok",
        seconds=seconds,
        summary=_summary(nb),
        error=error,
        html=html_name,
    )


def _run_parallel(chosen, nb_params, kernel, out, timeout, no_input, jobs, progress):
    """Run notebooks in worker processes; results come back in reading order."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    results: dict[Path, NotebookRun] = {}
    ctx = mp.get_context("spawn")  # fresh interpreters: no state shared between notebooks
    pool = ProcessPoolExecutor(
        max_workers=min(jobs, len(chosen)),
        mp_context=ctx,
        initializer=_worker_init,
        initargs=(tempfile.gettempdir(),),
    )
    try:
        futures = {
            pool.submit(run_one, p, nb_params[p], kernel, out, timeout, no_input): p for p in chosen
        }
        if progress:
            names = ", ".join(p.stem for p in chosen)
            print(f"running {len(chosen)} notebooks, {jobs} at a time: {names}", file=sys.stderr)
        for done, fut in enumerate(as_completed(futures), 1):
            path = futures[fut]
            try:
                run = fut.result()
            except Exception as exc:  # the worker died: report it like a failed notebook
                run = NotebookRun(path.stem, path.stem, "failed", 0.0, "", f"runner: {exc}", "")
            results[path] = run
            if progress:
                print(
                    f"[{done}/{len(chosen)}] {run.name} {run.status} ({run.seconds:.1f} s)",
                    file=sys.stderr,
                    flush=True,
                )
    except BaseException:
        # interrupted: stop the workers (each cleans up its kernel), then wait for them
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            with contextlib.suppress(OSError):
                proc.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [results[p] for p in chosen]


# ---------------------------------------------------------------- interruption
class ReportInterrupted(KeyboardInterrupt):
    """SIGTERM (or SIGINT) arrived while notebooks ran; temporary files were removed."""


def _raise_interrupted(signum, frame):  # pragma: no cover - runs in a signal handler
    raise ReportInterrupted(f"stopped by signal {signal.Signals(signum).name}")


def _worker_init(scratch: str) -> None:
    """Worker processes: a SIGTERM from the parent unwinds (and cleans up) like Ctrl-C."""
    os.environ["TMPDIR"] = scratch
    tempfile.tempdir = scratch
    signal.signal(signal.SIGTERM, _raise_interrupted)
    signal.signal(signal.SIGINT, _raise_interrupted)


def _processes_using(path: str) -> list[int]:
    """Ids of live processes whose command line names ``path`` (Linux ``/proc``; else none)."""
    found = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if path.encode() in cmd:
            found.append(int(entry.name))
    return found


def _stop_processes_using(path: str, grace: float = 5.0) -> None:
    """Stop kernels still alive whose connection file is in ``path``.

    A signal that arrives while a kernel starts can leave it running (its client had
    not connected yet, so nothing shuts it down); such a kernel would write its
    connection file back after the folder is removed.
    """
    pids = _processes_using(path)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while pids and time.monotonic() < deadline:
            for pid in pids:  # reap our own children; others are reaped by their parent
                with contextlib.suppress(ChildProcessError, OSError):
                    os.waitpid(pid, os.WNOHANG)
            pids = _processes_using(path)
            if pids:
                time.sleep(0.05)
        if not pids:
            return


@contextlib.contextmanager
def _scratch_and_signals() -> Iterator[str]:
    """One private temporary folder for the whole run, removed however the run ends.

    Everything temporary of the run (the kernel spec, executed notebooks, the kernels'
    connection files ``tmp*.json``, worker processes' files) goes into one folder
    ``kmmodel-report-*`` under ``$TMPDIR``: ``TMPDIR`` points into it while the run
    lasts, so kernels and worker processes use it too. SIGTERM and SIGINT are turned
    into :class:`ReportInterrupted`, which unwinds every ``finally`` (kernels are shut
    down, worker processes stopped) before the folder is removed.
    """
    scratch = tempfile.mkdtemp(prefix="kmmodel-report-")
    old_env, old_tempdir = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"] = scratch
    tempfile.tempdir = scratch
    handlers = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            handlers[sig] = signal.signal(sig, _raise_interrupted)
    try:
        yield scratch
    finally:
        for sig in handlers:  # a second signal must not cut the clean-up short
            signal.signal(sig, signal.SIG_IGN)
        if old_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = old_env
        tempfile.tempdir = old_tempdir
        _stop_processes_using(scratch)
        shutil.rmtree(scratch, ignore_errors=True)
        for sig, old in handlers.items():
            signal.signal(sig, old)


# ---------------------------------------------------------------- index
def index_html(report: ReportRun, timings: bool = True) -> str:
    """The report index: one row per notebook with status, run time and summary."""
    esc = html_lib.escape
    rows = []
    for r in report.runs:
        ok = r.status == "ok"
        status = "ok" if ok else f"FAILED — {esc(r.error)}"
        cells = [
            f"<td><a href='{esc(r.html)}'>{esc(r.name)}</a></td>",
            f"<td>{esc(r.title)}</td>",
            f"<td class='{'ok' if ok else 'failed'}'>{status}</td>",
        ]
        if timings:
            cells.append(f"<td class='num'>{r.seconds:.1f}</td>")
        cells.append(f"<td>{esc(r.summary)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = ["notebook", "title", "status"] + (["run time [s]"] if timings else []) + ["summary"]
    n_failed = len(report.failed)
    verdict = "all notebooks ran" if not n_failed else f"{n_failed} notebook(s) failed"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>kmmodel reports</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 0.4em 0.6em; text-align: left; vertical-align: top; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
td.ok {{ color: #1e7b34; }}
td.failed {{ color: #b00020; font-weight: bold; }}
</style>
</head>
<body>
<h1>kmmodel reports</h1>
<p>{len(report.runs)} notebook(s): {verdict}. Synthetic data is labelled as such in each report;
figures from the source text are cited to it.</p>
<table>
<thead><tr>{"".join(f"<th>{h}</th>" for h in head)}</tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""


# ---------------------------------------------------------------- entry point
def run_reports(
    notebooks_dir: str | os.PathLike | None = None,
    output_dir: str | os.PathLike | None = None,
    only: Sequence[str] | None = None,
    params: Sequence[str] = (),
    params_file: str | os.PathLike | None = None,
    no_input: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    timings: bool = True,
    progress: bool = True,
    jobs: int = 1,
) -> ReportRun:
    """Run notebooks and write HTML reports plus ``index.html``.

    Parameters
    ----------
    notebooks_dir : path, optional
        Folder of ``*.ipynb`` (default: the project's ``notebooks/``).
    output_dir : path, optional
        Where reports go (default: the project's ``reports/``).
    only : list of str, optional
        Notebook names, stems or number prefixes to run.
    params : list of str
        ``key=value`` parameter overrides.
    params_file : path, optional
        YAML file of parameters (global keys, or per-notebook mappings).
    no_input : bool
        Hide code in the HTML.
    timeout : float
        Per-cell execution limit [s].
    timings : bool
        Show run times in the index (the only run-dependent content).
    progress : bool
        Print which notebook runs to stderr.
    jobs : int
        Notebooks run at once (each in its own kernel process). Reports do not
        depend on it.

    Raises
    ------
    ReportError
        Before anything runs, for every input problem found.
    ReportInterrupted
        On SIGTERM or SIGINT (a ``KeyboardInterrupt``), after kernels and worker
        processes are stopped and every temporary file is removed; reports already
        written stay, ``index.html`` is not written.
    """
    from kmmodel import paths
    from kmmodel.report.kernel import running_interpreter_kernel

    nb_dir = Path(notebooks_dir) if notebooks_dir else paths.notebooks_dir()
    out = Path(output_dir) if output_dir else paths.reports_dir()
    if not nb_dir.is_dir():
        raise ReportError(f"notebook folder not found: {nb_dir}")
    if jobs < 1:
        raise ReportError(f"--jobs must be at least 1, got {jobs}")
    if timeout is not None and timeout <= 0:
        raise ReportError(f"--timeout must be positive seconds, got {timeout}")
    chosen = select(discover(nb_dir), only)
    if not chosen:
        raise ReportError(f"no notebooks in {nb_dir}")
    glob, per_nb = parse_params(params, params_file)
    nb_params = resolve_params(chosen, glob, per_nb)
    _check_data()
    _check_output_dir(out)

    report = ReportRun(output_dir=out)
    env = {
        "PYTHONHASHSEED": "0",
        "KMMODEL_ROOT": str(paths.project_root()),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    with _scratch_and_signals(), running_interpreter_kernel(env) as kernel:
        if jobs <= 1 or len(chosen) == 1:
            for i, path in enumerate(chosen, 1):
                if progress:
                    print(
                        f"[{i}/{len(chosen)}] {path.stem} ...", end="", file=sys.stderr, flush=True
                    )
                run = run_one(path, nb_params[path], kernel, out, timeout, no_input)
                report.runs.append(run)
                if progress:
                    print(f" {run.status} ({run.seconds:.1f} s)", file=sys.stderr, flush=True)
        else:
            report.runs.extend(
                _run_parallel(chosen, nb_params, kernel, out, timeout, no_input, jobs, progress)
            )
    atomic_write_text(out / "index.html", index_html(report, timings=timings))
    return report
