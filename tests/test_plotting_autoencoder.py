"""The Appendix C gap check (an SVM, against the closed-form bounds and a direct
construction) and the autoencoder chapters' figures."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from lossless_tutorial.autoencoder import all_binary_codes
from lossless_tutorial.book.plotting_autoencoder import (
    largest_gap, plot_code_distributions, plot_rates, plot_rrr_error_traces,
    plot_weight_histogram)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_largest_gaps_are_the_appendix_c_bounds(n):
    onehots, codes = np.eye(2 ** n), all_binary_codes(n)
    for j in range(n):  # code nodes: 2 / sqrt(|D|)
        assert largest_gap(onehots, codes[:, j] > 0) == pytest.approx(2 / np.sqrt(2 ** n),
                                                                       rel=1e-6)
    for i in range(2 ** n):  # data nodes: 1 / sqrt(|C|)
        assert largest_gap(codes, np.arange(2 ** n) == i) == pytest.approx(1 / np.sqrt(n),
                                                                          rel=1e-6)


def test_the_extremal_weights_reach_the_gap(rng):
    """The equality solution of Appendix C, built by hand, opens exactly that gap at
    norm omega, so the SVM value is attained (and not exceeded by random weights)."""
    n, omega = 3, 100.0
    codes = all_binary_codes(n)
    signs = 2 * codes[5] - 1  # data node for code 5: weights +-omega/sqrt(n)
    w = signs * omega / np.sqrt(n)
    b = (codes[5] @ w / omega) - 0.5 / np.sqrt(n)  # z(own code) = gap / 2
    z = codes @ w / omega - b
    own = np.arange(8) == 5
    assert z[own].min() - z[~own].max() == pytest.approx(1 / np.sqrt(n))
    for _ in range(50):
        v = rng.normal(size=n)
        v *= omega / np.linalg.norm(v)
        zz = codes @ v / omega
        assert zz[own].min() - zz[~own].max() <= 1 / np.sqrt(n) + 1e-12


def test_largest_gap_of_inseparable_sets_is_zero():
    xor = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    assert largest_gap(xor, [True, True, False, False]) == 0.0
    with pytest.raises(ValueError, match="positive"):
        largest_gap(xor, [True] * 4)


def test_figures_draw(rng):
    fig, axes = plt.subplots(1, 3)
    plot_weight_histogram([rng.normal(size=(4, 3))], 2.0, bounds={"b": 0.5}, ax=axes[0])
    plot_rrr_error_traces([[[1, 1.0], [10, 0.1]], [[1, 2.0], [10, 1.0]]], [True, False],
                          ax=axes[1])
    assert len(axes[1].get_legend().get_texts()) == 2
    plot_rates([1.0, 2.0], {"fp": [0.3, 0.28]}, reference=0.25, ax=axes[2])
    with pytest.raises(ValueError, match="2 epochs"):
        plot_rates([1.0, 2.0], {"fp": [0.3]})
    node_axes = plot_code_distributions(rng.uniform(size=(30, 4)))
    assert len(node_axes) == 4
    plt.close("all")
