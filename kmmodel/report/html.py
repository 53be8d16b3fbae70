"""Notebook → self-contained, reproducible HTML.

Reproducibility: the same executed notebook gives the same bytes. Before export,
cell ids are renumbered, run metadata (papermill timestamps, paths, execution
times) is dropped and absolute paths in outputs are replaced by placeholders;
after export, pandas Styler's random table ids are renumbered. The template
(``templates/kmmodel``) drops require.js, MathJax, mermaid and widget scripts, so
the page needs nothing from the internet.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

__all__ = ["normalise_notebook", "normalise_html", "to_html"]

TEMPLATES = Path(__file__).parent / "templates"
_STYLER_ID = re.compile(r"\bT_([0-9a-f]{5})(?=[_\"'\s>#.:,)])")


def _path_replacements() -> list[tuple[str, str]]:
    from kmmodel.paths import project_root

    pairs = []
    try:
        pairs.append((str(project_root()), "<project>"))
    except Exception:  # pragma: no cover - no project folder
        pass
    pairs += [(sys.prefix, "<python>"), (sys.base_prefix, "<python>"), (str(Path.home()), "~")]
    # longest first, so a venv inside the project maps to <python>
    return sorted({p for p in pairs if p[0] and p[0] != "/"}, key=lambda p: -len(p[0]))


def _scrub(text: str, pairs: list[tuple[str, str]]) -> str:
    for old, new in pairs:
        text = text.replace(old, new)
    return text


def _coalesce_streams(outputs: list) -> list:
    """Merge consecutive stdout (or stderr) outputs into one.

    The kernel sends printed text in chunks whose boundaries depend on timing, so the
    same print can arrive as one output or as two; merged, the page is the same.
    """
    merged: list = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (
            out.get("output_type") == "stream"
            and prev is not None
            and prev.get("output_type") == "stream"
            and prev.get("name") == out.get("name")
        ):
            prev["text"] = prev["text"] + out["text"]
        else:
            merged.append(out)
    return merged


def normalise_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip run-dependent data from an executed notebook (in place; also returned)."""
    pairs = _path_replacements()
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
        for key in ("papermill", "execution", "collapsed", "scrolled"):
            cell.metadata.pop(key, None)
        if "outputs" in cell:
            cell["outputs"] = _coalesce_streams(cell["outputs"])
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"] = _scrub(out["text"], pairs)
            if "traceback" in out:
                out["traceback"] = [_scrub(t, pairs) for t in out["traceback"]]
            if "evalue" in out:
                out["evalue"] = _scrub(out["evalue"], pairs)
            data = out.get("data", {})
            for mime in ("text/plain", "text/html", "text/markdown"):
                if mime in data and isinstance(data[mime], str):
                    data[mime] = _scrub(data[mime], pairs)
    return nb


def normalise_html(html: str) -> str:
    """Renumber pandas Styler ids (``T_1a2b3``) in order of appearance."""
    mapping: dict[str, str] = {}

    def repl(m: re.Match) -> str:
        key = m.group(1)
        if key not in mapping:
            mapping[key] = f"s{len(mapping):04d}"
        return f"T_{mapping[key]}"

    return _STYLER_ID.sub(repl, html)


def to_html(nb: nbformat.NotebookNode, title: str, no_input: bool = False) -> str:
    """Export a (normalised) notebook to one self-contained HTML page.

    Parameters
    ----------
    nb : NotebookNode
        The executed notebook.
    title : str
        Page title.
    no_input : bool
        Hide code cells' input (the outputs and markdown stay).
    """
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="kmmodel",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=no_input,
        exclude_input_prompt=no_input,
        exclude_output_prompt=no_input,
        embed_images=True,
    )
    nb = nbformat.from_dict(nb)
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return normalise_html(body)
