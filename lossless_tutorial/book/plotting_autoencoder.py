"""Figures and one bound check for the chapters on the autoencoder and the generative
model (paper Sec. 6.3, Figs. 18-24, Appendix C).

- :func:`largest_gap` computes, independently of RRR, the widest gap Delta that one node
  with incoming weights of norm omega can open between two sets of inputs (a hard-margin
  linear SVM), to check the Appendix C bounds on the binary-encoding gaps.
- The plotting functions draw on a matplotlib Axes (or a row of them) and return it.
  Images are drawn with :func:`lossless_tutorial.book.plotting_deep.plot_digit_grid`.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_float_array

__all__ = ["largest_gap", "plot_weight_histogram", "plot_rrr_error_traces",
           "plot_code_distributions", "plot_rates"]


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.gca()
    return ax


def largest_gap(inputs, positive):
    """The widest gap Delta with which a node ``z = x . w / omega - b``, ``||w|| = omega``,
    can put ``z >= Delta/2`` on the ``positive`` inputs and ``z <= -Delta/2`` on the others.

    Scaling ``w`` to norm omega turns this into the hard-margin linear SVM ``min ||v||``
    subject to ``s_k (v . x_k - c) >= 1``; then ``Delta = 2 / ||v||`` (independent of
    omega). Solved by scikit-learn's ``SVC`` (libsvm) with a very large ``C``; returns
    0 when the two sets cannot be separated.
    """
    from sklearn.svm import SVC

    inputs = as_float_array("inputs", inputs, ndim=2)
    positive = np.asarray(positive, dtype=bool)
    if positive.shape != (inputs.shape[0],) or positive.all() or not positive.any():
        raise ValueError("positive must mark some, but not all, of the inputs (one flag "
                         "per row)")
    svm = SVC(kernel="linear", C=1e8, tol=1e-10).fit(inputs, positive)
    if np.any(svm.predict(inputs) != positive):
        return 0.0
    return float(2.0 / np.linalg.norm(svm.coef_))


def plot_weight_histogram(weights, omega, *, bounds=None, ax=None, bins=60):
    """Histogram of trained weights in units of omega (the paper's Fig. 18). ``bounds``
    maps a label to a value of ``|w| / omega`` to mark with dashed lines at +-value."""
    ax = _axes(ax)
    values = np.concatenate([as_float_array("weights", w).ravel() for w in weights]) / omega
    ax.hist(values, bins=bins, color="0.4")
    for index, (label, value) in enumerate((bounds or {}).items()):
        color = f"C{index + 1}"
        ax.axvline(value, color=color, ls="--", label=label)
        ax.axvline(-value, color=color, ls="--")
    ax.set_xlabel(r"weight / $\Omega$")
    ax.set_ylabel("edges")
    if bounds:
        ax.legend()
    return ax


def plot_rrr_error_traces(traces, successes, *, ax=None):
    """RRR error against iterations, log-log, one line per run (the paper's Fig. 19):
    ``traces`` are lists of ``[iteration, error]`` pairs, ``successes`` flags."""
    ax = _axes(ax)
    for trace, success in zip(traces, successes):
        trace = np.asarray(trace, dtype=float)
        ax.loglog(trace[:, 0], trace[:, 1], color="C0" if success else "C3", lw=1.2,
                  label="success" if success else "failure")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys())
    ax.set_xlabel("RRR iteration")
    ax.set_ylabel("RRR error")
    return ax


def plot_code_distributions(codes, *, axes=None, bins=20):
    """Histogram of each code node's values over a data set (the paper's Fig. 20), one
    Axes per node (by default a new figure, the book's width, in rows of at most three
    panels)."""
    codes = as_float_array("codes", codes, ndim=2)
    if axes is None:
        from . import style

        _, axes = style.panels(codes.shape[1], width=min(style.MAX_WIDTH,
                                                         2.7 * codes.shape[1]),
                               height=1.5, sharey=True, layout="constrained")
    axes = np.ravel(axes)
    if len(axes) < codes.shape[1]:
        raise ValueError(f"axes must hold one Axes per code node ({codes.shape[1]})")
    for node, ax in enumerate(axes[:codes.shape[1]]):
        ax.hist(codes[:, node], bins=bins, range=(0, 1), color="C0")
        ax.set_title(f"node {node}")
        ax.set_xticks([0, 1])
    for ax in axes[:codes.shape[1]]:
        if ax.get_subplotspec() is None or ax.get_subplotspec().is_first_col():
            ax.set_ylabel("items")
    return axes


def plot_rates(gwms, rates, *, ax=None, reference=None, reference_label=None):
    """Rates (e.g. fp or tn on training and test codes) against work (Figs. 22-23):
    ``rates`` maps a label to one value per epoch; ``reference`` draws a dotted level
    (e.g. the allowance fpa)."""
    ax = _axes(ax)
    gwms = as_float_array("gwms", gwms, ndim=1)
    for index, (label, values) in enumerate(rates.items()):
        values = as_float_array(f"rates[{label!r}]", values, ndim=1, finite=False)
        if values.size != gwms.size:
            raise ValueError(f"rates[{label!r}] has {values.size} values for "
                             f"{gwms.size} epochs")
        ax.plot(gwms, values, marker="o", ms=3, color=f"C{index}", label=label)
    if reference is not None:
        ax.axhline(reference, color="0.5", ls=":", label=reference_label)
    ax.set_xlabel("work (GWMs)")
    ax.legend()
    return ax
