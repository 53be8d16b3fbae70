"""The report runner: HTML per notebook, index, failures, parameters, determinism."""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from kmmodel.cli import main
from kmmodel.report.atomic import atomic_write_bytes

pytestmark = pytest.mark.slow


def _write_nb(path: Path, cells) -> None:
    nb = new_notebook(cells=cells)
    # a kernel name the runner must ignore: notebooks run on the running interpreter
    nb.metadata["kernelspec"] = {
        "name": "no-such-kernel",
        "display_name": "x",
        "language": "python",
    }
    for i, c in enumerate(nb.cells):
        c["id"] = f"c{i}"
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def nb_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("notebooks")
    _write_nb(
        d / "01_good.ipynb",
        [
            new_markdown_cell("# A good study\n\nIt works."),
            new_code_cell("n = 3\nlabel = 'base'", metadata={"tags": ["parameters"]}),
            new_code_cell(
                "import sys, numpy as np, pandas as pd, matplotlib.pyplot as plt\n"
                "from kmmodel import notebook as nb\n"
                "nb.setup()\n"
                "print('interpreter:', sys.executable)\n"
                "rng = np.random.default_rng(n)\n"
                "df = pd.DataFrame({'单位': ['五华区', '盘龙区', '官渡区'], 'x': rng.normal(size=3)})\n"
                "display(df.style.format({'x': '{:.3f}'}).background_gradient())\n"
                "fig, ax = plt.subplots(); ax.bar(df['单位'], df['x']); ax.set_title('五华区 ' + label)\n"
                "plt.show()"
            ),
            new_code_cell("print('n squared =', n * n)\nnb.summary(f'n is {n}, label {label}')"),
        ],
    )
    _write_nb(
        d / "02_broken.ipynb",
        [
            new_markdown_cell("# A broken study"),
            new_code_cell("k = 1", metadata={"tags": ["parameters"]}),
            new_code_cell("print('before the error')"),
            new_code_cell("raise ValueError('planted failure for the test')"),
            new_code_cell("print('never runs')"),
        ],
    )
    return d


def _run(nb_dir, out, *extra) -> int:
    return main(["report", "--notebooks-dir", str(nb_dir), "-o", str(out), *extra])


@pytest.fixture(scope="module")
def both_runs(nb_dir, tmp_path_factory):
    a, b = tmp_path_factory.mktemp("a"), tmp_path_factory.mktemp("b")
    codes = (_run(nb_dir, a), _run(nb_dir, b))
    return a, b, codes


def test_failure_still_writes_reports_and_exit_code_says_so(both_runs, capsys):
    a, _, codes = both_runs
    assert codes == (1, 1)
    assert (a / "01_good.html").is_file() and (a / "02_broken.html").is_file()
    broken = (a / "02_broken.html").read_text()
    assert "This notebook failed" in broken
    assert "planted failure for the test" in broken
    assert "<pre>before the error" in broken  # output of the cells that ran
    assert "<pre>never runs" not in broken  # cells after the error did not run
    index = (a / "index.html").read_text()
    assert "02_broken.html" in index and "FAILED" in index
    assert "n is 3, label base" in index  # the good notebook's summary line


def test_second_run_is_byte_identical(both_runs):
    a, b, _ = both_runs
    for name in ("01_good.html", "02_broken.html"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_html_is_self_contained_and_path_free(both_runs):
    a, _, _ = both_runs
    html = (a / "01_good.html").read_text()
    external = re.findall(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    assert not external
    assert not re.search(r"@import\s+url\(\s*['\"]?https?:", html)
    assert "<script src" not in html
    assert str(Path.cwd()) not in html and os.path.expanduser("~") + "/" not in html
    # Styler ids were renumbered, the chart is an embedded PNG
    assert "T_s0000" in html
    assert "data:image/png;base64," in html


def test_runs_with_the_running_interpreter(both_runs):
    a, _, _ = both_runs
    # the runner replaces sys.prefix with <python>: the kernel ran inside this environment
    assert "interpreter: &lt;python&gt;/bin/python" in (a / "01_good.html").read_text()


def test_params_override_and_no_input(nb_dir, tmp_path):
    code = _run(
        nb_dir, tmp_path, "--only", "01", "--param", "n=4", "--param", "label=reform", "--no-input"
    )
    assert code == 0
    html = (tmp_path / "01_good.html").read_text()
    assert "n squared = 16" in html and "n is 4, label reform" in html
    assert "rng = np.random.default_rng" not in html  # code hidden
    assert not (tmp_path / "02_broken.html").exists()


def test_params_from_yaml_file_per_notebook(nb_dir, tmp_path):
    pfile = tmp_path / "p.yaml"
    pfile.write_text("01_good:\n  n: 5\n")
    out = tmp_path / "out"
    assert _run(nb_dir, out, "--only", "01_good", "--params", str(pfile), "--no-timings") == 0
    assert "n squared = 25" in (out / "01_good.html").read_text()
    assert "run time" not in (out / "index.html").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--only", "99"], "no notebook matches '99'"),
        (["--param", "novalue"], "bad --param 'novalue'"),
        (["--param", "zzz=1"], "no selected notebook has a parameter 'zzz'"),
        (["--params", "/nonexistent/p.yaml"], "parameter file not found"),
        (["--timeout", "0"], "--timeout must be positive"),
        (["--jobs", "0"], "--jobs must be at least 1"),
    ],
)
def test_input_errors_exit_2_and_write_nothing(nb_dir, tmp_path, capsys, args, message):
    out = tmp_path / "out"
    assert _run(nb_dir, out, *args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) <= 2
    assert not out.exists() or not any(out.iterdir())


def test_unwritable_output_folder_exits_2(nb_dir, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert _run(nb_dir, blocker / "reports") == 2
    assert "cannot write to output folder" in capsys.readouterr().err


def test_missing_data_file_exits_2(nb_dir, tmp_path, monkeypatch, capsys):
    root = tmp_path / "root"
    (root / "data").mkdir(parents=True)
    (root / "pyproject.toml").write_text("")
    monkeypatch.setenv("KMMODEL_ROOT", str(root))
    assert _run(nb_dir, tmp_path / "out") == 2
    assert "missing data file" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_bytes(b"good report")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(target, b"half a rep")
    assert target.read_bytes() == b"good report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_printed_text_split_across_outputs_renders_the_same():
    """The kernel may deliver one print as one or two stream chunks (timing); the page must not differ."""
    from nbformat.v4 import new_output

    from kmmodel.report.html import normalise_notebook, to_html

    def page(chunks):
        cell = new_code_cell("print('...')")
        cell["outputs"] = [new_output("stream", name="stdout", text=t) for t in chunks]
        cell["execution_count"] = 1
        nb = normalise_notebook(new_notebook(cells=[new_markdown_cell("# t"), cell]))
        return to_html(nb, "t")

    one = page(["no award satisfies the rules: item E03 has no agency\\n"])
    two = page(["no award satisfies the rules: ", "item E03 has no agency\\n"])
    assert one == two
    # stdout and stderr stay apart
    mixed = new_code_cell("x")
    mixed["outputs"] = [
        new_output("stream", name="stdout", text="a"),
        new_output("stream", name="stderr", text="b"),
    ]
    nb = normalise_notebook(new_notebook(cells=[mixed]))
    assert [o["name"] for o in nb.cells[0]["outputs"]] == ["stdout", "stderr"]
