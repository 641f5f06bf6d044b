"""The book's recurring figures. Each function draws on a matplotlib Axes and returns it."""

from __future__ import annotations

import numpy as np

__all__ = ["plot_errors"]


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.gca()
    return ax


def plot_errors(errors, *, ax=None, label=None, **style):
    """RRR error against iteration on a log scale (the paper's Figs. 4, 6, 19)."""
    ax = _axes(ax)
    errors = np.asarray(errors, dtype=float)
    ax.semilogy(np.arange(1, errors.size + 1), errors, label=label, **style)
    ax.set_xlabel("iteration")
    ax.set_ylabel("RRR error")
    return ax
