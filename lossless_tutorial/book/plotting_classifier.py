"""Figures of the classifier chapters: per-epoch error curves of a training run.

A run is either the ``history_`` of a fitted
:class:`~lossless_tutorial.classifier.RRRClassifier` or one entry of the ``"runs"`` list
of a results file written by ``python -m lossless_tutorial reproduce majority`` (a
mapping with the same keys: ``batch_error``, ``train_error``, ``test_error``, ``gwms``,
...). Each function draws on a matplotlib Axes and returns it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .._validation import as_float_array

__all__ = ["ERROR_STYLES", "history_columns", "plot_training_history"]

#: Line style and legend name of each per-epoch error.
ERROR_STYLES = {
    "batch_error": (":", "batch"),
    "train_error": ("-", "train"),
    "test_error": ("--", "test"),
}

_AGAINST = {"epoch": "epoch", "gwms": "work (GWMs)"}


def history_columns(history, names):
    """The per-epoch columns ``names`` of a run as float arrays of equal length.

    Solves the small problem of reading a run whatever its origin: ``history`` is a
    :class:`~lossless_tutorial.classifier.ClassifierHistory` (anything with
    ``as_arrays()``) or a mapping such as a results file's run. NaN entries are kept
    (a run without validation data has NaN test errors). Raises ``ValueError`` naming
    the missing column or the columns whose lengths differ.
    """
    if hasattr(history, "as_arrays"):
        history = history.as_arrays()
    if not isinstance(history, Mapping):
        raise ValueError(
            "history must be a ClassifierHistory or a mapping of per-epoch "
            f"lists, got {type(history).__name__}"
        )
    columns = {}
    for name in names:
        if name not in history:
            raise ValueError(
                f"history has no column {name!r} (it has {sorted(history)})"
            )
        columns[name] = as_float_array(
            f"history[{name!r}]", history[name], ndim=1, finite=False
        )
    lengths = {name: column.size for name, column in columns.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"history columns differ in length: {lengths}")
    return columns


def plot_training_history(
    history,
    *,
    against="epoch",
    errors=("batch_error", "train_error", "test_error"),
    ax=None,
    label=None,
    **style,
):
    """Error rates of a training run after every epoch (the paper's Figs. 9, 22, 23).

    Parameters
    ----------
    history : ClassifierHistory or mapping
        The run (see :func:`history_columns`).
    against : ``"epoch"`` or ``"gwms"``
        Horizontal axis: epoch number 1, 2, ... or the cumulative work in GWMs at the
        end of each epoch.
    errors : sequence of names
        Which of ``"batch_error"``, ``"train_error"``, ``"test_error"`` to draw, each in
        its own line style (dotted, solid, dashed). A column that is all NaN (no
        validation data) is left out.
    ax : matplotlib Axes, optional
    label : str, optional
        Name of the run, prefixed to each line's legend entry.
    **style
        Passed to ``Axes.plot``; all lines of the run share one colour (the next of the
        colour cycle unless ``color`` is given).

    Returns the Axes.
    """
    if against not in _AGAINST:
        raise ValueError(f"against must be 'epoch' or 'gwms', got {against!r}")
    errors = list(errors)
    if not errors:
        raise ValueError("errors must name at least one error column")
    unknown = [name for name in errors if name not in ERROR_STYLES]
    if unknown:
        raise ValueError(f"errors must be among {list(ERROR_STYLES)}, got {unknown}")
    needed = errors + (["gwms"] if against == "gwms" else [])
    columns = history_columns(history, needed)
    n_epochs = columns[errors[0]].size
    x = (
        columns["gwms"]
        if against == "gwms"
        else np.arange(1, n_epochs + 1, dtype=float)
    )

    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.gca()
    color = style.pop("color", None)
    for name in errors:
        values = columns[name]
        if values.size and np.all(np.isnan(values)):
            continue
        linestyle, short = ERROR_STYLES[name]
        (line,) = ax.plot(
            x,
            values,
            linestyle=linestyle,
            color=color,
            label=f"{label}, {short}" if label else short,
            **style,
        )
        color = line.get_color()
    ax.set_xlabel(_AGAINST[against])
    ax.set_ylabel("error rate")
    return ax
