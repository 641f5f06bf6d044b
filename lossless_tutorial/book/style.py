"""One look for the book's figures, readable at the width of the book's text column.

The book's HTML theme shows a figure at most 672 pixels wide (measured in a 1280-pixel
browser window, where both sidebars show), so a figure stored wider is scaled down and
its text with it. A figure of ``w`` inches whose smallest text is ``s`` points ends up
with that text ``s * 672 / (72 * w)`` pixels tall; with figures at most
:data:`MAX_WIDTH` inches and text at least :data:`MIN_FONT_SIZE` points that is
at least 9.3 pixels. :func:`use` sets matplotlib's defaults accordingly (the notebooks
call it first), and :func:`panels` lays out several panels in rows of at most three.
"""

from __future__ import annotations

import math

import matplotlib as mpl
import matplotlib.pyplot as plt

__all__ = [
    "COLUMN_PIXELS",
    "DPI",
    "MAX_WIDTH",
    "MIN_FONT_SIZE",
    "max_png_width",
    "panels",
    "text_pixels",
    "use",
]

COLUMN_PIXELS = 672  # a figure's width on the page in a 1280-pixel browser window
DPI = 100  # the notebooks' stored figures: pixels per inch
MAX_WIDTH = 8.0  # inches: the widest figure
MIN_FONT_SIZE = 8.0  # points: the smallest text in a figure
MAX_COLUMNS = 3  # panels per row

RC = {
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "figure.figsize": (6.4, 4.0),
    "font.size": 10.0,
    "axes.titlesize": 10.0,
    "axes.labelsize": 10.0,
    "xtick.labelsize": 9.0,
    "ytick.labelsize": 9.0,
    "legend.fontsize": 9.0,
    "legend.title_fontsize": 9.0,
    "figure.titlesize": 11.0,
    "lines.linewidth": 1.5,
    "axes.grid": False,
}


def use():
    """Make the book's style matplotlib's default for this session."""
    mpl.rcParams.update(RC)


def text_pixels(font_size, width):
    """Height in pixels, at the column width, of text of ``font_size`` points in a
    figure ``width`` inches wide (figures narrower than the column are not enlarged)."""
    scale = min(1.0, COLUMN_PIXELS / (width * DPI))
    return font_size / 72 * DPI * scale


def max_png_width():
    """The widest stored figure allowed, in pixels: :data:`MAX_WIDTH` at :data:`DPI`,
    plus the few pixels a tight bounding box may add around it."""
    return int(MAX_WIDTH * DPI * 1.05)


def panels(n, *, width=MAX_WIDTH, height=2.8, columns=MAX_COLUMNS, **subplot_kw):
    """A figure of ``n`` panels in rows of at most ``columns``, ``width`` inches wide
    and ``height`` inches per row; returns the figure and a flat list of its ``n`` axes
    (the unused places of the last row are removed)."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n!r}")
    if width > MAX_WIDTH:
        raise ValueError(
            f"width must be at most {MAX_WIDTH} inches (the column), got {width!r}"
        )
    columns = min(columns, n)
    rows = math.ceil(n / columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(width, height * rows), squeeze=False, **subplot_kw
    )
    axes = list(axes.flat)
    for ax in axes[n:]:
        ax.remove()
    return fig, axes[:n]
