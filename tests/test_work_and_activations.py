"""The GWM work unit and the inference activations."""

from __future__ import annotations

import numpy as np
import pytest

from lossless_tutorial import activations, work


def test_gwms_reproduce_the_papers_totals():
    # MNIST autoencoder (paper Sec. 6.3.2): 50 batches x 50 iterations x 40 epochs, 220
    # items
    edges = work.dense_edges((784, 200, 10, 200, 784))
    assert edges == 317_600
    assert work.gwms(50 * 50 * 40, 220, edges) == pytest.approx(6987.2)
    # generative classifier (paper Sec. 6.3.2): 1200 batches x 1000 iterations, 500
    # items
    assert work.gwms(
        1200 * 1000, 500, work.dense_edges((10, 50, 50, 50, 2))
    ) == pytest.approx(3360)
    assert work.dense_edges((13, 26, 26, 2)) == 1066


@pytest.mark.parametrize(
    "call",
    [
        lambda: work.gwms(-1, 1, 1),
        lambda: work.gwms(1, 1.5, 1),
        lambda: work.dense_edges([3]),
        lambda: work.dense_edges([3, 0]),
    ],
)
def test_work_rejects_bad_input(call):
    with pytest.raises(ValueError):
        call()


def test_activations():
    z = np.array([-1.0, -0.2, 0.0, 0.1, 0.3])
    np.testing.assert_array_equal(activations.relu(z), [0, 0, 0, 0.1, 0.3])
    np.testing.assert_array_equal(activations.step(z), [0, 0, 0, 1, 1])
    np.testing.assert_allclose(activations.zigmoid(z, gap=0.4), [0, 0, 0.5, 0.75, 1])
    with pytest.raises(ValueError, match="gap"):
        activations.zigmoid(z, gap=0.0)
