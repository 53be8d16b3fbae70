"""Helpers for the scenario notebooks: one set-up call and a one-line summary.

Notebooks start with ``from kmmodel import notebook as nb; nb.setup()`` and end
with ``nb.summary("…")``: the report runner puts that line in ``reports/index.html``.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["SUMMARY_KEY", "setup", "summary"]

SUMMARY_KEY = "kmmodel_summary"


def setup() -> str:
    """Plot defaults with a CJK font, inline PNG figures, stable pandas display.

    Returns the CJK font family in use.
    """
    from kmmodel import plots

    name = plots.setup()
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.width", 120)
    pd.set_option("display.precision", 3)
    try:  # inside IPython: PNG figures (deterministic bytes), no run-dependent metadata
        from IPython import get_ipython

        ip = get_ipython()
        if ip is not None:
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            ip.run_line_magic("matplotlib", "inline")
            set_matplotlib_formats("png")
    except ImportError:  # pragma: no cover
        pass
    return name


def summary(text: str) -> None:
    """Show ``text`` as the notebook's one-line result and mark it for the report index."""
    text = " ".join(str(text).split())
    try:
        from IPython.display import Markdown, display

        display(Markdown(f"**Summary.** {text}"), metadata={SUMMARY_KEY: text})
    except ImportError:  # pragma: no cover
        print(f"Summary. {text}")
