"""Matplotlib set-up so Chinese labels (五华区 …) render on any machine.

:func:`setup_cjk_font` prefers an installed system CJK font (Noto Sans CJK SC,
Source Han Sans SC, Microsoft YaHei, PingFang SC, WenQuanYi); otherwise it
registers the OFL-licensed Noto Sans CJK collection that kmmodel's install brings
(the ``noto-cjk-sans-otc`` package). It never writes into matplotlib's own install
and never uses SimHei.
"""

from __future__ import annotations

from functools import cache

import matplotlib

__all__ = ["PREFERRED_FONTS", "cjk_font_name", "setup", "setup_cjk_font"]

PREFERRED_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Microsoft YaHei",
    "PingFang SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
)


@cache
def setup_cjk_font() -> str:
    """Make a CJK-capable font matplotlib's default sans-serif; return its family name.

    Returns
    -------
    str
        The family name now first in ``rcParams["font.sans-serif"]``.

    Notes
    -----
    Only the in-memory font list and rcParams change; nothing is written to disk.
    """
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    name = next((n for n in PREFERRED_FONTS if n in installed), None)
    if name is None:
        import noto_cjk_sans_otc

        path = str(noto_cjk_sans_otc.FONT_PATH)
        font_manager.fontManager.addfont(path)
        # a collection holds several faces; pick the Simplified-Chinese one
        added = [f for f in font_manager.fontManager.ttflist if f.fname == path]
        sc = [f.name for f in added if f.name.endswith(" SC")]
        name = sc[0] if sc else added[0].name
    rc = matplotlib.rcParams
    rc["font.family"] = ["sans-serif"]
    rc["font.sans-serif"] = [name, *[f for f in rc["font.sans-serif"] if f != name]]
    rc["axes.unicode_minus"] = False
    return name


def cjk_font_name() -> str:
    """Family name of the CJK font in use (sets it up on first call)."""
    return setup_cjk_font()


def setup() -> str:
    """Project plot defaults: CJK font, fixed figure size and dpi, stable SVG ids.

    Returns the CJK font family name.
    """
    name = setup_cjk_font()
    rc = matplotlib.rcParams
    rc["figure.figsize"] = (7.5, 4.2)
    rc["figure.dpi"] = 100
    rc["savefig.dpi"] = 100
    rc["svg.hashsalt"] = "kmmodel"
    rc["axes.spines.top"] = False
    rc["axes.spines.right"] = False
    rc["axes.grid"] = True
    rc["grid.alpha"] = 0.3
    return name
