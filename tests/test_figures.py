"""Every figure the book stores is readable at the width of its text column: no stored
PNG is wider than the style allows (so its text is not scaled below 9 pixels), and no
notebook asks for text smaller than the style's smallest size."""

from __future__ import annotations

import base64
import re
import struct
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import pytest

from lossless_tutorial.book import style

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
PLOTTING = sorted((ROOT / "lossless_tutorial" / "book").glob("*.py"))
# font sizes below style.MIN_FONT_SIZE at the style's 10-point base size
SMALL_TEXT = re.compile(
    r"""(?<![\w.])(fontsize|labelsize|titlesize)\s*=\s*(["']xx?-small["']|[1-7](\.\d*)?\b)"""
    r"""|(?<![\w.])size\s*=\s*["']xx?-small["']"""
)


def _png_sizes(path):
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                png = base64.b64decode(data["image/png"])
                yield index, struct.unpack(">II", png[16:24])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_stored_figures_fit_the_column(path):
    too_wide = [
        (cell, width)
        for cell, (width, _) in _png_sizes(path)
        if width > style.max_png_width()
    ]
    assert not too_wide, (
        f"figures wider than {style.max_png_width()} px (cell, width): {too_wide}"
    )


def _code_lines(path):
    if path.suffix == ".py":
        return path.read_text().splitlines()
    nb = nbformat.read(path, as_version=4)
    return [
        line
        for cell in nb.cells
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
    ]


@pytest.mark.parametrize("path", NOTEBOOKS + PLOTTING, ids=lambda p: p.stem[:12])
def test_no_text_below_the_smallest_size(path):
    small = [line.strip() for line in _code_lines(path) if SMALL_TEXT.search(line)]
    assert not small, small


def test_the_smallest_text_at_the_widest_figure_is_9_pixels():
    assert style.text_pixels(style.MIN_FONT_SIZE, style.MAX_WIDTH) >= 9
    style.use()
    fig, axes = style.panels(5)
    try:
        assert len(axes) == 5 and len(fig.axes) == 5
        width, height = fig.get_size_inches()
        assert width == style.MAX_WIDTH and height == pytest.approx(2 * 2.8)
        sizes = [
            plt.rcParams[key]
            for key in (
                "xtick.labelsize",
                "ytick.labelsize",
                "legend.fontsize",
                "axes.labelsize",
            )
        ]
        assert min(sizes) >= style.MIN_FONT_SIZE
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="width"):
        style.panels(2, width=12)
