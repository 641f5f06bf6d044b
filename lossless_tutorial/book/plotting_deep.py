"""Figures and one worked construction for the chapter on deep networks (paper
Sec. 5.5, Figs. 8-15).

- :func:`majority_network` writes the paper's argument that 13 -> 26 -> ... -> 2 ReLU
  networks can compute its majority circuits (eqs. 34-35) as actual weights, scaled to
  the trained networks' convention (incoming weights of norm omega,
  ``y = x . w / omega``), so that the margin it reaches can be compared with the bound
  of eq. (36).
- The plotting functions draw on a matplotlib Axes and return it;
  :func:`plot_majority_runs` and :func:`plot_mnist_runs` draw the figures of the
  results files that :mod:`lossless_tutorial.book.results` chooses (the paper's
  Figs. 9-12 and 13-15) and return the Figure.

Reading the results files is :mod:`lossless_tutorial.book.results`'s.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_float_array, check_nonnegative_int, check_positive
from .plotting import _axes
from .results import last_epochs, mean_curve

__all__ = [
    "majority_network",
    "plot_majority_circuit",
    "plot_error_vs_work",
    "plot_error_distributions",
    "plot_digit_grid",
    "plot_majority_runs",
    "plot_mnist_runs",
]


# --------------------------------------------------------------------------------------
# The exact network of a majority circuit (paper eqs. 34-36)
# --------------------------------------------------------------------------------------


def _check_circuit(circuit):
    try:
        X, sources, negated = circuit.X, circuit.sources, circuit.negated
    except AttributeError:
        raise ValueError(
            "circuit must be a MajorityCircuit (from "
            "datasets.majority_circuit), with X, sources and negated"
        ) from None
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] == 0:
        raise ValueError(
            f"circuit.X must be a 2-d array of inputs, got shape {X.shape}"
        )
    if len(sources) == 0 or len(sources) != len(negated):
        raise ValueError(
            "circuit.sources and circuit.negated must list the same, nonzero "
            "number of gate layers"
        )
    n_below = X.shape[1]
    layers = []
    for l, (reads, nots) in enumerate(zip(sources, negated)):
        reads = np.asarray(reads)
        nots = np.asarray(nots, dtype=bool)
        if (
            reads.ndim != 2
            or reads.shape != nots.shape
            or not np.issubdtype(reads.dtype, np.integer)
        ):
            raise ValueError(
                f"circuit.sources[{l}] must be an integer (gates, fan_in) "
                f"array with circuit.negated[{l}] of the same shape"
            )
        if reads.shape[1] % 2 == 0:
            raise ValueError(
                f"circuit layer {l} has even fan-in {reads.shape[1]}; majority "
                "gates need an odd fan-in"
            )
        if reads.min() < 0 or reads.max() >= n_below:
            raise ValueError(
                f"circuit.sources[{l}] reads nodes outside the layer below "
                f"(0..{n_below - 1})"
            )
        if np.any(np.diff(np.sort(reads, axis=1), axis=1) == 0):
            raise ValueError(f"a gate of circuit layer {l} reads the same node twice")
        layers.append((reads, nots))
        n_below = reads.shape[0]
    if layers[-1][0].shape[0] != 1:
        raise ValueError("the last gate layer of the circuit must be a single top gate")
    return X.shape[1], layers


def majority_network(circuit, *, omega=2.0):
    """Weights and biases of a ReLU network that computes a majority circuit exactly.

    Problem: show that the architecture the paper trains on its majority data (one input
    per circuit input, two ReLUs per gate of every hidden gate layer, two class nodes)
    can represent the circuit, and with which class margin. A gate reads ``f`` nodes
    (odd ``f``), some through a Not; with ``t`` the number of its true literals it fires
    iff ``t >= (f + 1) / 2``. With signs ``s = +-1`` (-1 for a Not) and ``n_not`` Nots,
    ``t = s . v + n_not`` for 0/1 values ``v`` of the layer below, so two ReLUs give
    the gate exactly (the paper's eqs. 34-35)::

        gate = relu(s . v - b) - relu(s . v - b - 1),   b = (f - 1) / 2 - n_not.

    A layer above reads the gate as the difference of its two ReLUs (weights ``+s``,
    ``-s``). The top gate becomes two class nodes, ``z_1 = t - (f - 1)/2`` and
    ``z_0 = (f + 1)/2 - t``, so the correct class has ``z >= 1`` and the other
    ``z <= 0``.

    Finally every node's incoming weights are scaled to norm ``omega`` and, since the
    trained networks compute ``y = x . w / omega``, each node's pre-activation shrinks
    by the norm ``sqrt(c)`` of its integer weights (``c`` nonzero weights of +-1).
    Biases and the value of a true gate shrink with it, so the class margin reached is
    the product of ``1 / sqrt(c)`` over the layers.

    Parameters
    ----------
    circuit : MajorityCircuit
        From :func:`lossless_tutorial.datasets.majority_circuit` (its ``X`` sets the
        number of inputs; ``sources``/``negated`` the gates).
    omega : float
        Norm of every node's incoming weights.

    Returns
    -------
    layer_sizes : tuple of int
        ``(n_inputs, 2 n_1, ..., 2 n_h, 2)``.
    weights : list of arrays (n_out, n_in)
        Layer by layer, in the orientation of
        :func:`lossless_tutorial.classifier.forward_pass`.
    biases : list
        ``[None, b_1, ..., b_out]`` for ``forward_pass``.

    Each hidden gate layer of ``n`` gates gives ``2 n`` ReLUs: the first ``n`` are the
    lower-threshold ReLUs of the gates in order, the last ``n`` the upper ones.
    """
    omega = check_positive("omega", omega)
    n_inputs, layers = _check_circuit(circuit)
    weights, biases = [], [None]
    sizes = [n_inputs]
    paired = False  # the layer below represents each gate by two ReLUs
    true_value = 1.0  # the value of a true node of the layer below
    for l, (reads, nots) in enumerate(layers):
        n_gates, fan_in = reads.shape
        signs = np.where(nots, -1.0, 1.0)
        n_below = sizes[-1] // 2 if paired else sizes[-1]
        integer = np.zeros((n_gates, n_below))
        np.put_along_axis(integer, reads, signs, axis=1)
        if paired:
            integer = np.concatenate([integer, -integer], axis=1)
        norm = np.sqrt(fan_in * (2 if paired else 1))
        scale = true_value / norm  # pre-activation per unit of s . v
        threshold = (fan_in - 1) / 2 - nots.sum(axis=1)  # z = t - (f - 1)/2 at the gate
        unit = integer * (omega / norm)
        if l < len(layers) - 1:
            weights.append(np.concatenate([unit, unit]))
            biases.append(scale * np.concatenate([threshold, threshold + 1.0]))
            sizes.append(2 * n_gates)
            paired, true_value = True, scale
        else:
            weights.append(np.concatenate([-unit, unit]))
            biases.append(scale * np.concatenate([-(threshold + 1.0), threshold]))
            sizes.append(2)
    return tuple(sizes), weights, biases


# --------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------


def plot_majority_circuit(circuit, *, ax=None, node_size=60):
    """Draw a majority circuit as in the paper's Fig. 8: inputs at the bottom, one row
    per gate layer, the top gate last; edges with a Not in red, plain edges in grey.
    Returns the Axes."""
    from matplotlib.collections import LineCollection

    ax = _axes(ax)
    n_inputs, layers = _check_circuit(circuit)
    rows = [np.arange(n_inputs)] + [np.arange(reads.shape[0]) for reads, _ in layers]

    def xpos(row):
        n = rows[row].size
        return (rows[row] - (n - 1) / 2.0) if n > 1 else np.zeros(1)

    for level, (reads, nots) in enumerate(layers, start=1):
        below, here = xpos(level - 1), xpos(level)
        for negate, color, width in ((False, "0.6", 1.0), (True, "C3", 1.3)):
            gate, slot = np.nonzero(nots == negate)
            segments = np.stack(
                [
                    np.column_stack(
                        [below[reads[gate, slot]], np.full(gate.size, level - 1.0)]
                    ),
                    np.column_stack([here[gate], np.full(gate.size, level)]),
                ],
                axis=1,
            )
            ax.add_collection(
                LineCollection(segments, colors=color, linewidths=width, zorder=1)
            )
    for level, nodes in enumerate(rows):
        kind = (
            "input"
            if level == 0
            else ("top gate" if level == len(rows) - 1 else "majority gate")
        )
        color = "C0" if level == 0 else ("C1" if kind == "top gate" else "C2")
        ax.scatter(
            xpos(level),
            np.full(nodes.size, level),
            s=node_size,
            color=color,
            edgecolor="k",
            zorder=2,
            label=kind if level < 2 or kind == "top gate" else None,
        )
    ax.plot([], [], color="0.6", label="edge")
    ax.plot([], [], color="C3", label="edge with Not")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(["inputs"] + [f"gate layer {l}" for l in range(1, len(rows))])
    ax.set_xticks([])
    ax.set_xlabel("nodes of a layer")
    ax.set_xlim(-n_inputs / 2.0 - 0.5, n_inputs / 2.0 + 0.5)
    ax.set_ylim(-0.4, len(rows) - 0.6)
    return ax


def plot_error_vs_work(gwms, errors, *, ax=None, label=None, show_runs=True, **style):
    """Error against work (GWMs) for one setting: each run thin, their mean thick.

    ``gwms`` and ``errors`` are one sequence (a single run) or a list of per-run
    sequences (the mean is taken up to the shortest run; ``gwms`` of the mean is the
    mean of the runs' values). The paper's Fig. 9. Returns the Axes.
    """
    ax = _axes(ax)
    xs = [gwms] if np.ndim(gwms[0]) == 0 else list(gwms)
    ys = [errors] if np.ndim(errors[0]) == 0 else list(errors)
    if len(xs) != len(ys):
        raise ValueError(
            f"gwms and errors must hold the same number of runs, got "
            f"{len(xs)} and {len(ys)}"
        )
    xs = [as_float_array("gwms", x, ndim=1) for x in xs]
    ys = [as_float_array("errors", y, ndim=1, finite=False) for y in ys]
    if any(x.shape != y.shape or x.size == 0 for x, y in zip(xs, ys)):
        raise ValueError("every run needs as many (at least one) gwms as errors")
    n = min(x.size for x in xs)
    (line,) = ax.plot(
        np.mean([x[:n] for x in xs], axis=0),
        np.mean([y[:n] for y in ys], axis=0),
        marker="o",
        markersize=3,
        linewidth=2,
        label=label,
        **style,
    )
    if show_runs and len(xs) > 1:
        for x, y in zip(xs, ys):
            ax.plot(x, y, color=line.get_color(), linewidth=0.6, alpha=0.35)
    ax.set_xlabel("work (GWMs)")
    ax.set_ylabel("error rate")
    return ax


def plot_error_distributions(groups, *, ax=None, ylabel="test error", reference=None):
    """Distributions of final errors, one column per setting (the paper's Figs. 10-14).

    ``groups`` maps a label (e.g. ``"Delta = 0.1"``, ``"depth 3"``, ``"SGD"``) to its
    values; each column shows a box (quartiles, whiskers at 1.5 IQR) and every value as
    a point, spread sideways in sorted order so that the points do not hide each other.
    ``reference`` = ``(value, label)`` draws a dashed horizontal line. Empty groups are
    shown as an empty column. Returns the Axes.
    """
    ax = _axes(ax)
    if not groups:
        raise ValueError("groups must map at least one label to values")
    labels = list(groups)
    values = [
        as_float_array(f"groups[{label!r}]", groups[label], finite=False).ravel()
        for label in labels
    ]
    values = [v[np.isfinite(v)] for v in values]
    positions = np.arange(1, len(labels) + 1)
    filled = [i for i, v in enumerate(values) if v.size]
    if filled:
        ax.boxplot(
            [values[i] for i in filled],
            positions=positions[filled],
            widths=0.5,
            showfliers=False,
            medianprops=dict(color="k"),
        )
    for i, v in enumerate(values):
        if v.size:
            offsets = np.linspace(-0.18, 0.18, v.size) if v.size > 1 else np.zeros(1)
            ax.scatter(
                positions[i] + offsets,
                np.sort(v),
                s=12,
                color=f"C{i % 10}",
                alpha=0.7,
                zorder=3,
                label=f"{labels[i]} ({v.size})",
            )
    if reference is not None:
        value, text = reference
        ax.axhline(value, color="0.3", linestyle="--", linewidth=1, label=text)
    ax.set_xticks(positions)
    ax.set_xticklabels(labels)
    ax.set_xlim(0.4, len(labels) + 0.6)
    ax.set_ylabel(ylabel)
    return ax


def plot_digit_grid(
    images,
    labels=None,
    *,
    image_shape=(28, 28),
    n_cols=10,
    ax=None,
    title=None,
    cmap="gray_r",
):
    """Draw images (rows of ``images``) in a grid, each with its label above it
    (e.g. the training items exempted by RRR, the paper's Fig. 15). Returns the Axes."""
    ax = _axes(ax)
    height, width = (
        check_nonnegative_int("image_shape", n, minimum=1) for n in image_shape
    )
    images = as_float_array("images", images)
    if images.ndim != 2 or images.shape[0] == 0 or images.shape[1] != height * width:
        raise ValueError(
            f"images must be (n_images >= 1, {height * width}), got shape "
            f"{images.shape}"
        )
    n_images = images.shape[0]
    if labels is not None and len(labels) != n_images:
        raise ValueError(
            f"labels must hold one label per image ({n_images}), got {len(labels)}"
        )
    n_cols = min(check_nonnegative_int("n_cols", n_cols, minimum=1), n_images)
    n_rows = -(-n_images // n_cols)
    gap, top = (
        2,
        9 if labels is not None else 0,
    )  # pixels between tiles, room for labels
    cell_h, cell_w = height + gap + top, width + gap
    canvas = np.full((n_rows * cell_h, n_cols * cell_w), np.nan)
    for index, image in enumerate(images.reshape(-1, height, width)):
        r, c = divmod(index, n_cols)
        canvas[
            r * cell_h + top : r * cell_h + top + height,
            c * cell_w : c * cell_w + width,
        ] = image
    ax.imshow(canvas, cmap=cmap, interpolation="nearest")
    if labels is not None:
        for index, label in enumerate(labels):
            r, c = divmod(index, n_cols)
            ax.text(
                c * cell_w + width / 2,
                r * cell_h + top / 2,
                str(label),
                ha="center",
                va="center",
                fontsize=9,
            )
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title)
    return ax


# --------------------------------------------------------------------------------------
# Figures of the results files (chosen by lossless_tutorial.book.results)
# --------------------------------------------------------------------------------------


def _titles(prefix, shown):
    """Title lines, one per distinct label: ``"n = 2, 3: 10 runs; 100 of 1000 epochs,
    reduced"``."""
    names = {}
    for name, item in shown.items():
        if item.file is not None:
            names.setdefault(item.label, []).append(str(name))
    return "; ".join(f"{prefix}{', '.join(n)}: {label}" for label, n in names.items())


def plot_majority_runs(runs):
    """The paper's Figs. 9-12 from the files of
    :func:`lossless_tutorial.book.results.majority_runs` (``runs``), one panel per
    figure that has a file to show: Fig. 9, the mean training error against work for
    the caps of 50, 100 and 200 iterations per batch; Fig. 10, training and test errors
    (last 10 epochs of every run) against Delta; Figs. 11-12, RRR's and SGD's test
    errors against depth. Each panel's title says how much of the paper's protocol its
    files cover. Returns the Figure, or None when no file is shown."""
    from . import style

    for key in ("cap", "delta", "depth"):
        if key not in runs:
            raise ValueError(
                f"runs must be the dict of results.majority_runs, without {key!r}"
            )
    fig10, fig11 = {}, {}
    for delta, shown in runs["delta"].items():
        for key in ("train_error", "test_error"):
            values = last_epochs(shown.results, key)
            if values.size:  # the number of values pooled under each label
                fig10[f"$\\Delta$={delta}\n{key[:-6]} ({values.size})"] = values
    for depth, shown in runs["depth"].items():
        sgd = ((shown.results or {}).get("sgd") or {}).get("test_error", [])
        for name, values in [
            ("RRR", last_epochs(shown.results, "test_error")),
            ("SGD", sgd),
        ]:
            if len(values):
                fig11[f"{name}, n={depth}\n({len(values)})"] = values
    panels = [
        p
        for p, ok in [
            ("fig9", any(s.file for s in runs["cap"].values())),
            ("fig10", fig10),
            ("fig11", fig11),
        ]
        if ok
    ]
    if not panels:
        return None
    fig, axes = style.panels(len(panels), columns=1, height=2.8, layout="constrained")
    for ax, panel in zip(axes, panels):
        if panel == "fig9":
            for cap, shown in runs["cap"].items():
                curve = mean_curve(shown.results)
                if curve is not None:
                    ax.plot(
                        curve[0], curve[1], label=f"cap {cap}: mean of {shown.label}"
                    )
            ax.set(xlabel="work (GWMs)", ylabel="train error")
            ax.set_title("Fig. 9: depth 3, train error against work")
            ax.legend()
        elif panel == "fig10":
            plot_error_distributions(fig10, ax=ax, ylabel="error (last 10 ep.\nx runs)")
            ax.set_title(
                "Fig. 10: depth 3, train and test error against $\\Delta$\n"
                + _titles("$\\Delta$ = ", runs["delta"])
            )
        else:
            plot_error_distributions(fig11, ax=ax, ylabel="test error")
            ax.set_title(
                "Figs. 11-12: test error against depth, RRR and SGD\n"
                + _titles("RRR, n = ", runs["depth"])
            )
    return fig


def plot_mnist_runs(shown, X_train, y_train, *, n_last=10):
    """The paper's Figs. 13-15 from the MNIST file ``shown`` (a
    :class:`lossless_tutorial.book.results.Shown`): left, the test errors of RRR (last
    ``n_last`` epochs of every run, pooled) and of the SGD trials beside the paper's SGD
    mean (0.073) and minimum (0.061); right, the training items exempted in the last
    epoch of the first run, from ``X_train``/``y_train`` (the paper's Fig. 15). Returns
    the Figure, or None when no file is shown."""
    import matplotlib.pyplot as plt

    if shown.file is None:
        return None
    r = shown.results
    runs = [
        run
        for run in r.get("runs") or []
        if isinstance(run, dict) and run.get("test_error")
    ]
    rrr = last_epochs(runs, "test_error", n_last=n_last)
    last = min([n_last] + [len(run["test_error"]) for run in runs])
    pooled = f"last {last} ep. x {len(runs)} run{'s' * (len(runs) != 1)}"
    sgd = np.asarray((r.get("sgd") or {}).get("test_error", []), dtype=float)
    fig, (ax1, ax2) = plt.subplots(
        1,
        2,
        figsize=(8, 4.2),
        layout="constrained",
        gridspec_kw=dict(width_ratios=[1, 1.6]),
    )
    plot_error_distributions(
        {f"RRR ({rrr.size})\n{pooled}": rrr, f"SGD ({sgd.size})\ntrials": sgd},
        ax=ax1,
        reference=(0.073, "paper: SGD mean 0.073"),
    )
    ax1.axhline(0.061, color="0.5", linestyle=":", label="paper: SGD never below 0.061")
    ax1.set_title(
        f"MNIST 784-20-10, EE = {r.get('exemptions', '?')}, "
        f"$\\Delta$ = {r.get('delta', '?')}\nRRR: {shown.label}"
    )
    handles = [
        (h, t)
        for h, t in zip(*ax1.get_legend_handles_labels())
        if t.startswith("paper")
    ]  # the columns are named below the axis
    fig.legend(*zip(*handles), loc="outside lower center", ncol=2)
    index = np.asarray(
        runs[0].get("exempted_last_epoch", []) if runs else [], dtype=int
    )
    if index.size:
        plot_digit_grid(
            np.asarray(X_train)[index],
            labels=np.asarray(y_train)[index],
            ax=ax2,
            title="Fig. 15: exempted in the last epoch, seed 0",
        )
        ax2.set_xlabel(f"{index.size} exempted training items, label above each")
    else:
        ax2.set_axis_off()
    return fig
