"""Figures and one bound check for the chapters on the autoencoder and the generative
model (paper Sec. 6.3, Figs. 18-24, Appendix C).

- :func:`largest_gap` computes, independently of RRR, the widest gap Delta that one node
  with incoming weights of norm omega can open between two sets of inputs (a hard-margin
  linear SVM), to check the Appendix C bounds on the binary-encoding gaps.
- The plotting functions draw on a matplotlib Axes (or a row of them) and return it.
  Images are drawn with :func:`lossless_tutorial.book.plotting_deep.plot_digit_grid`.
- For the generative model: :func:`rate_curve` gives fp and tn as the acceptance
  threshold varies; :func:`nearest_items` finds each sample's nearest training item.
  Which results file a chapter shows is chosen by
  :func:`lossless_tutorial.book.results.choose`.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_float_array
from .plotting import _axes

__all__ = [
    "largest_gap",
    "plot_weight_histogram",
    "plot_rrr_error_traces",
    "plot_code_distributions",
    "plot_rates",
    "rate_curve",
    "plot_rate_trade",
    "nearest_items",
    "plot_nearest_pairs",
]


def largest_gap(inputs, positive):
    """The widest gap Delta with which a node ``z = x . w / omega - b``,
    ``||w|| = omega``, can put ``z >= Delta/2`` on the ``positive`` inputs and
    ``z <= -Delta/2`` on the others.

    Scaling ``w`` to norm omega turns this into the hard-margin linear SVM ``min ||v||``
    subject to ``s_k (v . x_k - c) >= 1``; then ``Delta = 2 / ||v||`` (independent of
    omega). Solved by scikit-learn's ``SVC`` (libsvm) with a very large ``C``; returns
    0 when the two sets cannot be separated.
    """
    from sklearn.svm import SVC

    inputs = as_float_array("inputs", inputs, ndim=2)
    positive = np.asarray(positive, dtype=bool)
    if positive.shape != (inputs.shape[0],) or positive.all() or not positive.any():
        raise ValueError(
            "positive must mark some, but not all, of the inputs (one flag per row)"
        )
    svm = SVC(kernel="linear", C=1e8, tol=1e-10).fit(inputs, positive)
    if np.any(svm.predict(inputs) != positive):
        return 0.0
    return float(2.0 / np.linalg.norm(svm.coef_))


def plot_weight_histogram(weights, omega, *, bounds=None, ax=None, bins=60):
    """Histogram of trained weights in units of omega (the paper's Fig. 18). ``bounds``
    maps a label to a value of ``|w| / omega`` to mark with dashed lines at +-value."""
    ax = _axes(ax)
    values = np.concatenate([as_float_array("weights", w).ravel() for w in weights])
    values = values / omega
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
        ax.loglog(
            trace[:, 0],
            trace[:, 1],
            color="C0" if success else "C3",
            lw=1.2,
            label="success" if success else "failure",
        )
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

        _, axes = style.panels(
            codes.shape[1],
            width=min(style.MAX_WIDTH, 2.7 * codes.shape[1]),
            height=1.5,
            sharey=True,
            layout="constrained",
        )
    axes = np.ravel(axes)
    if len(axes) < codes.shape[1]:
        raise ValueError(f"axes must hold one Axes per code node ({codes.shape[1]})")
    for node, ax in enumerate(axes[: codes.shape[1]]):
        ax.hist(codes[:, node], bins=bins, range=(0, 1), color="C0")
        ax.set_title(f"node {node}")
        ax.set_xticks([0, 1])
    for ax in axes[: codes.shape[1]]:
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
            raise ValueError(
                f"rates[{label!r}] has {values.size} values for {gwms.size} epochs"
            )
        ax.plot(gwms, values, marker="o", ms=3, color=f"C{index}", label=label)
    if reference is not None:
        ax.axhline(reference, color="0.5", ls=":", label=reference_label)
    ax.set_xlabel("work (GWMs)")
    ax.legend()
    return ax


# --------------------------------------------------------------------------------------
# The generative model (chapter 7): the fp/tn trade, nearest digits
# --------------------------------------------------------------------------------------


def rate_curve(scores, labels, thresholds=None):
    """fp and tn of a two-class code classifier as its acceptance threshold varies.

    A code is accepted (called genuine) when its ``score`` (the classifier's
    ``decision_function``, positive where it predicts genuine) is above the threshold
    ``t``; ``t = 0`` is the classifier's own decision. ``labels`` are 1 for genuine
    codes and 0 for fakes. Returns ``(thresholds, fp, tn)``: the fraction of fakes
    accepted and of genuine codes rejected at each threshold (by default every distinct
    score, and one below the lowest, sorted ascending).
    """
    scores = as_float_array("scores", scores, ndim=1)
    labels = np.asarray(labels)
    if labels.shape != scores.shape or not np.isin(labels, (0, 1)).all():
        raise ValueError("labels must be 0 (fake) or 1 (genuine), one per score")
    if labels.all() or not labels.any():
        raise ValueError("labels must hold both fakes (0) and genuine codes (1)")
    if thresholds is None:
        unique = np.unique(scores)
        thresholds = np.r_[unique[0] - 1.0, unique]
    thresholds = as_float_array("thresholds", thresholds, ndim=1)
    fake, genuine = np.sort(scores[labels == 0]), np.sort(scores[labels == 1])
    fp = (fake.size - np.searchsorted(fake, thresholds, side="right")) / fake.size
    tn = np.searchsorted(genuine, thresholds, side="right") / genuine.size
    return thresholds, fp, tn


def plot_rate_trade(curves, *, ax=None):
    """The trade between fp (fakes accepted) and tn (genuine codes rejected) of code
    classifiers: ``curves`` maps a label to ``(fp, tn, point, fpa)``, the curve of
    :func:`rate_curve`, the classifier's own ``(fp, tn)`` (drawn as a dot) and its
    allowance (a dotted vertical line of the same colour)."""
    ax = _axes(ax)
    for index, (label, (fp, tn, point, fpa)) in enumerate(curves.items()):
        color = f"C{index}"
        ax.plot(fp, tn, color=color, label=label)
        ax.plot(*point, "o", color=color, ms=6, mec="k")
        if fpa is not None:
            ax.axvline(fpa, color=color, ls=":", lw=1.2)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("fp: fraction of fakes accepted")
    ax.set_ylabel("tn: fraction of genuine codes rejected")
    ax.legend()
    return ax


def nearest_items(queries, reference, *, chunk=2000):
    """Index and Euclidean distance of the nearest row of ``reference`` to each row of
    ``queries`` (an exhaustive search, in chunks of ``chunk`` reference rows)."""
    queries = as_float_array("queries", queries, ndim=2)
    reference = as_float_array("reference", reference, ndim=2)
    if queries.shape[1] != reference.shape[1] or reference.shape[0] == 0:
        raise ValueError(
            "queries and reference must have rows of the same length, "
            "and reference at least one row"
        )
    best = np.full(queries.shape[0], np.inf)
    index = np.zeros(queries.shape[0], dtype=int)
    q2 = np.sum(queries**2, axis=1)[:, None]
    for start in range(0, reference.shape[0], chunk):
        block = reference[start : start + chunk]
        d2 = q2 - 2 * queries @ block.T + np.sum(block**2, axis=1)[None, :]
        local = np.argmin(d2, axis=1)
        value = d2[np.arange(len(local)), local]
        better = value < best
        best[better], index[better] = value[better], local[better] + start
    return index, np.sqrt(np.maximum(best, 0.0))


def plot_nearest_pairs(
    samples,
    neighbours,
    distances,
    *,
    n_cols=10,
    ax=None,
    image_shape=(28, 28),
    cmap="gray_r",
):
    """Each sample (upper image) above its nearest training item (lower image), with
    their distance over the pair; pairs in rows of ``n_cols``."""
    ax = _axes(ax)
    samples = as_float_array("samples", samples, ndim=2)
    neighbours = as_float_array("neighbours", neighbours, ndim=2)
    distances = as_float_array("distances", distances, ndim=1)
    height, width = image_shape
    if (
        samples.shape != neighbours.shape
        or samples.shape[1] != height * width
        or distances.size != samples.shape[0]
    ):
        raise ValueError(
            "samples and neighbours must be (n, pixels) images with one "
            "distance per pair"
        )
    n = samples.shape[0]
    n_cols = min(n_cols, n)
    n_rows = -(-n // n_cols)
    gap, top = 3, 10  # pixels between tiles, room for the distance
    cell_h, cell_w = 2 * height + 1 + top + gap, width + gap
    canvas = np.full((n_rows * cell_h, n_cols * cell_w), np.nan)
    for k in range(n):
        r, c = divmod(k, n_cols)
        y, x = r * cell_h + top, c * cell_w
        canvas[y : y + height, x : x + width] = samples[k].reshape(height, width)
        y += height + 1
        canvas[y : y + height, x : x + width] = neighbours[k].reshape(height, width)
        ax.text(
            x + width / 2,
            r * cell_h + top / 2,
            f"{distances[k]:.1f}",
            ha="center",
            va="center",
            fontsize=9,
        )
    ax.imshow(canvas, cmap=cmap, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax
