"""Classifier-chapter figures (lossless_tutorial.book.plotting_classifier). The tests
read back what was drawn and compare it with per-epoch values written out by hand."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lossless_tutorial.classifier import ClassifierHistory  # noqa: E402
from lossless_tutorial.book.plotting_classifier import (  # noqa: E402
    history_columns,
    plot_training_history,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _run():
    # a results-file run: three epochs, cumulative work 0.1 GWMs per epoch
    return {
        "seed": 0,
        "epochs_done": 3,
        "batch_error": [0.2, 0.05, 0.0],
        "train_error": [0.3, 0.1, 0.0],
        "test_error": [0.35, 0.2, 0.15],
        "gwms": [0.1, 0.2, 0.3],
        "wall_time": [1.0, 2.0, 3.0],
    }


def _lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_history_columns_reads_a_classifier_history_and_a_mapping_alike():
    run = _run()
    history = ClassifierHistory(
        **{
            k: run[k]
            for k in ("batch_error", "train_error", "test_error", "gwms", "wall_time")
        },
        mean_iterations=[100, 90, 10],
        rrr_error_start=[0.1, 0.01, 0.001],
        rrr_error_end=[0.05, 0.005, 0.0005],
    )
    from_history = history_columns(history, ["train_error", "gwms"])
    from_mapping = history_columns(run, ["train_error", "gwms"])
    for columns in (from_history, from_mapping):
        np.testing.assert_array_equal(columns["train_error"], [0.3, 0.1, 0.0])
        np.testing.assert_array_equal(columns["gwms"], [0.1, 0.2, 0.3])


def test_history_columns_keeps_nan_and_names_missing_or_ragged_columns():
    run = _run()
    run["test_error"] = [float("nan")] * 3
    assert np.isnan(history_columns(run, ["test_error"])["test_error"]).all()
    with pytest.raises(ValueError, match="'rrr_error_end'"):
        history_columns(run, ["rrr_error_end"])
    run["gwms"] = [0.1, 0.2]
    with pytest.raises(ValueError, match="differ in length"):
        history_columns(run, ["train_error", "gwms"])
    with pytest.raises(ValueError, match="history must be"):
        history_columns([0.1, 0.2], ["train_error"])


def test_plot_against_epochs_draws_each_error_in_its_style_and_one_colour():
    ax = plt.figure().add_subplot()
    assert plot_training_history(_run(), ax=ax, label="RRR") is ax
    lines = _lines_by_label(ax)
    assert set(lines) == {"RRR, batch", "RRR, train", "RRR, test"}
    for label, expected in [
        ("RRR, batch", [0.2, 0.05, 0.0]),
        ("RRR, train", [0.3, 0.1, 0.0]),
        ("RRR, test", [0.35, 0.2, 0.15]),
    ]:
        x, y = lines[label].get_data()
        np.testing.assert_array_equal(x, [1, 2, 3])
        np.testing.assert_array_equal(y, expected)
    assert [
        lines[k].get_linestyle() for k in ("RRR, batch", "RRR, train", "RRR, test")
    ] == [":", "-", "--"]
    assert len({line.get_color() for line in ax.get_lines()}) == 1
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "error rate"


def test_successive_runs_take_successive_colours_unless_one_is_given():
    ax = plt.figure().add_subplot()
    plot_training_history(_run(), ax=ax, errors=["train_error"], label="a")
    plot_training_history(_run(), ax=ax, errors=["train_error"], label="b")
    plot_training_history(_run(), ax=ax, errors=["train_error"], label="c", color="k")
    colours = [line.get_color() for line in ax.get_lines()]
    assert colours[0] != colours[1] and colours[2] == "k"


def test_plot_against_work_uses_the_cumulative_gwms_and_skips_all_nan_columns():
    run = _run()
    run["test_error"] = [float("nan")] * 3
    ax = plt.figure().add_subplot()
    plot_training_history(run, against="gwms", ax=ax)
    lines = _lines_by_label(ax)
    assert set(lines) == {"batch", "train"}
    np.testing.assert_allclose(lines["train"].get_xdata(), [0.1, 0.2, 0.3])
    assert ax.get_xlabel() == "work (GWMs)"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(against="seconds"), "against"),
        (dict(errors=["loss"]), "errors"),
        (dict(errors=[]), "errors"),
    ],
)
def test_plot_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_training_history(_run(), ax=plt.figure().add_subplot(), **kwargs)


def test_plot_against_work_needs_a_gwms_column():
    run = _run()
    del run["gwms"]
    with pytest.raises(ValueError, match="'gwms'"):
        plot_training_history(run, against="gwms", ax=plt.figure().add_subplot())
