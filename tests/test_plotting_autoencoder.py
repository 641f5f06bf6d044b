"""The Appendix C gap check (an SVM, against the closed-form bounds and a direct
construction), the autoencoder chapters' figures, and the generative model's helpers
(the fp/tn curve against a direct count, the nearest training items against an
exhaustive search)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from lossless_tutorial.autoencoder import all_binary_codes
from lossless_tutorial.book.plotting_autoencoder import (
    largest_gap,
    nearest_items,
    plot_code_distributions,
    plot_nearest_pairs,
    plot_rate_trade,
    plot_rates,
    plot_rrr_error_traces,
    plot_weight_histogram,
    rate_curve,
)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_largest_gaps_are_the_appendix_c_bounds(n):
    onehots, codes = np.eye(2**n), all_binary_codes(n)
    for j in range(n):  # code nodes: 2 / sqrt(|D|)
        gap = largest_gap(onehots, codes[:, j] > 0)
        assert gap == pytest.approx(2 / np.sqrt(2**n), rel=1e-6)
    for i in range(2**n):  # data nodes: 1 / sqrt(|C|)
        gap = largest_gap(codes, np.arange(2**n) == i)
        assert gap == pytest.approx(1 / np.sqrt(n), rel=1e-6)


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
    plot_rrr_error_traces(
        [[[1, 1.0], [10, 0.1]], [[1, 2.0], [10, 1.0]]], [True, False], ax=axes[1]
    )
    assert len(axes[1].get_legend().get_texts()) == 2
    plot_rates([1.0, 2.0], {"fp": [0.3, 0.28]}, reference=0.25, ax=axes[2])
    with pytest.raises(ValueError, match="2 epochs"):
        plot_rates([1.0, 2.0], {"fp": [0.3]})
    node_axes = plot_code_distributions(rng.uniform(size=(30, 4)))
    assert len(node_axes) == 4
    plt.close("all")


def test_rate_curve_is_a_direct_count(rng):
    scores = np.round(rng.normal(size=300), 1)  # ties between scores
    labels = (rng.uniform(size=300) < 0.4).astype(int)
    scores[labels == 1] += 1.0
    thresholds, fp, tn = rate_curve(scores, labels)
    assert np.all(np.diff(thresholds) > 0)
    for t, f, n in zip(thresholds, fp, tn):
        accepted = scores > t
        assert f == np.sum(accepted & (labels == 0)) / np.sum(labels == 0)
        assert n == np.sum(~accepted & (labels == 1)) / np.sum(labels == 1)
    assert fp[0] == 1.0 and tn[0] == 0.0 and fp[-1] == 0.0 and tn[-1] == 1.0
    assert np.all(np.diff(fp) <= 0) and np.all(np.diff(tn) >= 0)
    # at threshold 0: the classifier's own decision (score > 0 means genuine)
    _, fp0, tn0 = rate_curve(scores, labels, [0.0])
    accepted = scores > 0
    assert fp0[0] == np.mean(accepted[labels == 0])
    assert tn0[0] == np.mean(~accepted[labels == 1])
    with pytest.raises(ValueError, match="both"):
        rate_curve(scores, np.ones(300, int))
    with pytest.raises(ValueError, match="0 \\(fake\\) or 1"):
        rate_curve(scores, np.full(300, 2))


def test_nearest_items_is_an_exhaustive_search(rng):
    reference = rng.uniform(size=(257, 12))
    queries = np.vstack([rng.uniform(size=(20, 12)), reference[[3, 100, 256]]])
    index, distance = nearest_items(queries, reference, chunk=50)
    brute = np.linalg.norm(queries[:, None, :] - reference[None, :, :], axis=2)
    assert np.array_equal(index, np.argmin(brute, axis=1))
    assert np.allclose(distance, brute.min(axis=1), atol=1e-7)
    assert np.array_equal(index[-3:], [3, 100, 256]) and np.allclose(distance[-3:], 0)
    with pytest.raises(ValueError, match="same length"):
        nearest_items(queries, reference[:, :5])


def test_generative_figures_draw(rng):
    fig, axes = plt.subplots(1, 2)
    _, fp, tn = rate_curve(rng.normal(size=40), np.arange(40) % 2)
    plot_rate_trade({"fpa 0.25": (fp, tn, (0.3, 0.1), 0.25)}, ax=axes[0])
    assert len(axes[0].lines) == 3  # curve, operating point, allowance
    images = rng.uniform(size=(5, 784))
    plot_nearest_pairs(images, images[::-1], np.arange(5.0), n_cols=3, ax=axes[1])
    assert [t.get_text() for t in axes[1].texts] == ["0.0", "1.0", "2.0", "3.0", "4.0"]
    assert axes[1].images[0].get_array().shape == (2 * (2 * 28 + 1 + 13), 3 * 31)
    with pytest.raises(ValueError, match="one distance per pair"):
        plot_nearest_pairs(images, images, np.arange(4.0))
    plt.close("all")
