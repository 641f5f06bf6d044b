"""Tests of the deep-networks chapter helpers: the exact majority network (checked
against the circuit's own truth table and a closed-form margin) and the figures,
including those of the results files (read by lossless_tutorial.book.results, tested in
test_book_results.py)."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import LineCollection

from lossless_tutorial import datasets
from lossless_tutorial.classifier import forward_pass
from lossless_tutorial.network import Architecture
from lossless_tutorial.book import results
from lossless_tutorial.book.plotting_deep import (
    majority_network,
    plot_digit_grid,
    plot_error_distributions,
    plot_error_vs_work,
    plot_majority_circuit,
    plot_majority_runs,
    plot_mnist_runs,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _class_outputs(circuit, omega):
    sizes, weights, biases = majority_network(circuit, omega=omega)
    _, pre = forward_pass(Architecture(sizes, omega=omega), weights, biases, circuit.X)
    return sizes, weights, pre[-1] - biases[-1]


def _expected_margin(n_inputs, depth, fan_in):
    # One unit of "true literals" at the top gate, after every layer divided its signal
    # by the norm of its +-1 weights: sqrt(fan_in) for the first gate layer (reads
    # inputs), sqrt(2 fan_in) above it (reads ReLU pairs), sqrt(2 n_inputs) at the top.
    if depth == 1:
        return 1 / np.sqrt(n_inputs)
    return (
        1 / np.sqrt(2 * n_inputs) / np.sqrt(fan_in) / np.sqrt(2 * fan_in) ** (depth - 2)
    )


@pytest.mark.parametrize(
    "n_inputs, depth, fan_in, seed",
    [
        (13, 1, 3, 0),
        (13, 2, 3, 1),
        (13, 3, 3, 2),
        (13, 4, 3, 3),
        (7, 3, 5, 4),
        (9, 4, 3, 5),
        (5, 2, 5, 6),
    ],
)
def test_majority_network_computes_the_circuit_with_the_closed_form_margin(
    n_inputs, depth, fan_in, seed
):
    circuit = datasets.majority_circuit(n_inputs, depth, fan_in, random_state=seed)
    omega = 2.0
    sizes, weights, z = _class_outputs(circuit, omega)
    assert sizes == (n_inputs, *([2 * n_inputs] * (depth - 1)), 2)
    items = np.arange(circuit.y.size)
    correct, wrong = z[items, circuit.y], z[items, 1 - circuit.y]
    margin = _expected_margin(n_inputs, depth, fan_in)
    # every item meets the class constraints with Delta = margin, and some only just
    assert np.all(correct >= margin - 1e-12)
    assert np.all(wrong <= 1e-12)
    assert correct.min() == pytest.approx(margin, abs=1e-12)
    assert wrong.max() == pytest.approx(0.0, abs=1e-12)
    for w in weights:
        np.testing.assert_allclose(np.linalg.norm(w, axis=1), omega, rtol=1e-12)


def test_majority_network_outputs_do_not_depend_on_omega():
    # y = x . w / omega with |w| = omega: the network is the same for every omega
    circuit = datasets.majority_circuit(9, 3, random_state=11)
    _, _, z_small = _class_outputs(circuit, 0.3)
    _, _, z_large = _class_outputs(circuit, 7.0)
    np.testing.assert_allclose(z_small, z_large, atol=1e-12)


def test_majority_network_hidden_pairs_are_the_gates():
    # the difference of the two ReLUs of gate g in the first hidden layer equals that
    # gate's Boolean value (scaled by 1/sqrt(fan_in)), computed directly from the
    # circuit
    circuit = datasets.majority_circuit(7, 3, random_state=3)
    sizes, weights, biases = majority_network(circuit)
    values, _ = forward_pass(Architecture(sizes, omega=2.0), weights, biases, circuit.X)
    n = sizes[1] // 2
    literals = circuit.X[:, circuit.sources[0]].astype(bool) ^ circuit.negated[0]
    gates = 2 * literals.sum(axis=2) > circuit.sources[0].shape[1]
    np.testing.assert_allclose(
        values[1][:, :n] - values[1][:, n:], gates / np.sqrt(3), atol=1e-12
    )


def test_majority_network_rejects_bad_input():
    circuit = datasets.majority_circuit(5, 2, random_state=0)
    with pytest.raises(ValueError, match="omega"):
        majority_network(circuit, omega=0.0)
    with pytest.raises(ValueError, match="circuit"):
        majority_network(np.zeros((4, 5)))
    even = circuit._replace(
        sources=[
            np.array([[0, 1], [1, 2], [2, 3], [3, 4], [0, 4]]),
            circuit.sources[1],
        ],
        negated=[np.zeros((5, 2), bool), circuit.negated[1]],
    )
    with pytest.raises(ValueError, match="even fan-in"):
        majority_network(even)
    twice = circuit._replace(
        sources=[np.array([[0, 0, 1]] * 5), circuit.sources[1]],
        negated=[np.zeros((5, 3), bool), circuit.negated[1]],
    )
    with pytest.raises(ValueError, match="twice"):
        majority_network(twice)
    outside = circuit._replace(sources=[circuit.sources[0] + 5, circuit.sources[1]])
    with pytest.raises(ValueError, match="outside"):
        majority_network(outside)


# ---- figures -------------------------------------------------------------------------


def test_plot_majority_circuit_draws_every_edge_once():
    circuit = datasets.majority_circuit(13, 3, random_state=8)
    ax = plot_majority_circuit(circuit)
    collections = [c for c in ax.collections if isinstance(c, LineCollection)]
    n_edges = sum(len(c.get_segments()) for c in collections)
    assert n_edges == sum(s.size for s in circuit.sources)  # 13*3 + 13*3 + 13
    red = [
        c
        for c in collections
        if np.allclose(c.get_colors()[0][:3], plt.matplotlib.colors.to_rgb("C3"))
    ]
    assert sum(len(c.get_segments()) for c in red) == sum(
        n.sum() for n in circuit.negated
    )
    labels = ax.get_legend_handles_labels()[1]
    assert {"input", "majority gate", "top gate", "edge with Not"} <= set(labels)


def test_plot_error_vs_work_draws_the_mean_of_the_runs():
    runs_x = [[1.0, 2.0, 3.0], [1.0, 2.0]]
    runs_y = [[0.3, 0.2, 0.1], [0.5, 0.4]]
    ax = plot_error_vs_work(runs_x, runs_y, label="cap 100")
    mean_line = ax.lines[0]
    np.testing.assert_allclose(mean_line.get_xdata(), [1.0, 2.0])
    np.testing.assert_allclose(mean_line.get_ydata(), [0.4, 0.3])
    assert len(ax.lines) == 3
    single = plot_error_vs_work([1.0, 2.0], [0.2, 0.1], ax=plt.figure().gca())
    assert len(single.lines) == 1
    with pytest.raises(ValueError, match="same number of runs"):
        plot_error_vs_work([[1.0], [2.0]], [[0.1]])
    with pytest.raises(ValueError, match="as many"):
        plot_error_vs_work([1.0, 2.0], [0.1])


def test_plot_error_distributions_one_column_per_group():
    groups = {"a": [0.1, 0.2, 0.3], "b": [], "c": [0.05, np.nan]}
    ax = plot_error_distributions(groups, reference=(0.073, "paper"))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    points = [c for c in ax.collections if c.get_offsets().size]
    assert sorted(len(c.get_offsets()) for c in points) == [
        1,
        3,
    ]  # NaN dropped, b empty
    labels = ax.get_legend_handles_labels()[1]
    assert "a (3)" in labels and "c (1)" in labels and "paper" in labels
    with pytest.raises(ValueError, match="groups"):
        plot_error_distributions({})


def test_plot_digit_grid_places_every_image_and_label():
    images = np.arange(5 * 6, dtype=float).reshape(5, 6) / 30  # five 2x3 "images"
    ax = plot_digit_grid(images, labels=[7, 1, 4, 2, 9], image_shape=(2, 3), n_cols=2)
    canvas = ax.images[0].get_array()
    shown = np.sort(
        canvas.compressed()
        if np.ma.isMaskedArray(canvas)
        else canvas[np.isfinite(canvas)]
    )
    np.testing.assert_allclose(shown, np.sort(images.ravel()))
    assert [t.get_text() for t in ax.texts] == ["7", "1", "4", "2", "9"]
    with pytest.raises(ValueError, match="labels"):
        plot_digit_grid(images, labels=[1], image_shape=(2, 3))
    with pytest.raises(ValueError, match="images"):
        plot_digit_grid(images, image_shape=(28, 28))


# ---- figures of the results files ----------------------------------------------------


def _majority(depth, epochs, *, seeds=2, trials=3, max_iter=100, delta=0.1):
    run = dict(
        epochs_done=epochs,
        train_error=[0.1] * epochs,
        test_error=[0.2] * epochs,
        gwms=[0.4 * (e + 1) for e in range(epochs)],
    )
    return dict(
        experiment="majority",
        depth=depth,
        epochs=epochs,
        complete=True,
        max_iter=max_iter,
        delta=delta,
        runs=[run] * seeds,
        command=f"python -m lossless_tutorial reproduce majority --depth {depth} "
        f"--seeds {seeds} --epochs {epochs} --sgd-trials {trials}",
        sgd=dict(trials=trials, test_error=[0.07] * trials, train_error=[0.0] * trials),
    )


def test_plot_majority_runs_has_one_panel_per_figure_with_files(tmp_path):
    (tmp_path / "majority_d3.json").write_text(json.dumps(_majority(3, 12)))
    (tmp_path / "majority_d3_cap50.json").write_text(
        json.dumps(_majority(3, 20, trials=0, max_iter=50))
    )
    fig = plot_majority_runs(results.majority_runs(tmp_path))
    fig9, fig10, fig11 = fig.axes
    # Fig. 9: cap 50 (complete, full protocol needs 10 runs: reduced) and cap 100
    labels = [line.get_label() for line in fig9.lines]
    assert labels == [
        "cap 50: mean of 2 of 10 runs; 20 of 2000 epochs, reduced",
        "cap 100: mean of 2 of 10 runs; 12 of 1000 epochs, reduced",
    ]
    assert fig9.lines[0].get_xdata().size == 20
    # Fig. 10: train and test at Delta = 0.1 only, 2 runs x last 10 epochs each
    ticks = [t.get_text() for t in fig10.get_xticklabels()]
    assert ticks == ["$\\Delta$=0.1\ntrain (20)", "$\\Delta$=0.1\ntest (20)"]
    # Figs. 11-12: RRR and SGD at depth 3, the title says the file is reduced
    ticks = [t.get_text() for t in fig11.get_xticklabels()]
    assert ticks == ["RRR, n=3\n(20)", "SGD, n=3\n(3)"]
    assert "RRR, n = 3: 2 of 10 runs; 12 of 1000 epochs, reduced" in fig11.get_title()


def test_plot_majority_runs_without_files(tmp_path):
    assert plot_majority_runs(results.majority_runs(tmp_path)) is None
    with pytest.raises(ValueError, match="runs"):
        plot_majority_runs({"depth": {}})


def test_plot_mnist_runs_shows_the_exempted_items(tmp_path):
    run = dict(
        epochs_done=4, test_error=[0.1, 0.09, 0.08, 0.07], exempted_last_epoch=[2, 0]
    )
    (tmp_path / "mnist_classifier.json").write_text(
        json.dumps(
            dict(
                experiment="mnist_classifier",
                epochs=4,
                complete=True,
                delta=0.7,
                exemptions=5,
                command="python -m lossless_tutorial reproduce mnist-classifier "
                "--seeds 1 "
                "--epochs 4 --sgd-trials 2",
                runs=[run],
                sgd=dict(trials=2, test_error=[0.07, 0.075]),
            )
        )
    )
    shown = results.choose(
        tmp_path, "mnist_classifier_e200.json", "mnist_classifier.json"
    )
    X = np.arange(3 * 4, dtype=float).reshape(3, 4) / 12
    fig = plot_mnist_runs(shown, np.repeat(X, 196, axis=1), [5, 6, 7])
    left, right = fig.axes
    assert [t.get_text() for t in left.get_xticklabels()] == [
        "RRR (4)\nlast 4 ep. x 1 run",
        "SGD (2)\ntrials",
    ]
    assert "RRR: 1 of 10 runs; 4 of 200 epochs, reduced" in left.get_title()
    assert [t.get_text() for t in right.texts] == ["7", "5"]
    assert (
        plot_mnist_runs(
            results.choose(tmp_path, "mnist_classifier_e200.json"), X, [0, 1, 2]
        )
        is None
    )
