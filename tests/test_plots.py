"""Chinese labels render with a real CJK font, never with missing-glyph boxes."""

from __future__ import annotations

import io
import warnings

import matplotlib
import matplotlib.pyplot as plt
import pytest
from matplotlib import font_manager

from kmmodel import plots

LABELS = ["五华区", "寻甸回族彝族自治县", "禄劝彝族苗族自治县", "昆明高新技术产业开发区", "得分"]


def test_chinese_labels_render_without_missing_glyph_warnings():
    name = plots.setup()
    fig, ax = plt.subplots()
    ax.bar(LABELS, range(len(LABELS)))
    ax.set_title("昆明市 单位得分 −1.5")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png")
    glyph = [str(w.message) for w in caught if "glyph" in str(w.message).lower()]
    assert not glyph, glyph
    assert matplotlib.rcParams["font.sans-serif"][0] == name


def test_the_chosen_font_has_the_glyphs():
    name = plots.setup_cjk_font()
    path = font_manager.findfont(
        font_manager.FontProperties(family=name), fallback_to_default=False
    )
    from matplotlib.ft2font import FT2Font

    font = FT2Font(path)
    charmap = font.get_charmap()
    missing = [ch for label in LABELS for ch in label if ord(ch) not in charmap]
    assert not missing


def test_without_setup_dejavu_lacks_the_glyphs():
    """Control: the check above can fail — DejaVu Sans (matplotlib's default) has no CJK."""
    path = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"))
    from matplotlib.ft2font import FT2Font

    charmap = FT2Font(path).get_charmap()
    assert ord("华") not in charmap


@pytest.mark.parametrize("banned", ["SimHei"])
def test_never_simhei(banned):
    assert banned not in plots.PREFERRED_FONTS
    assert plots.setup_cjk_font() != banned
