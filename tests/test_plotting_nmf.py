"""Chapter 3 figures in lossless_tutorial.book.plotting: image grids and error
histograms. The tests read back what was drawn and compare it with an independent
construction."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from lossless_tutorial.book.plotting import (
    image_mosaic,
    plot_error_histograms,
    plot_image_grid,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_mosaic_places_each_image_in_its_tile(rng):
    images = rng.uniform(size=(7, 3 * 4))
    mosaic = image_mosaic(images, (3, 4), n_cols=3, gap=2)
    assert mosaic.shape == (3 * 3 + 2 * 2, 3 * 4 + 2 * 2)
    for index in range(9):
        row, col = divmod(index, 3)
        tile = mosaic[row * 5 : row * 5 + 3, col * 6 : col * 6 + 4]
        if index < 7:
            np.testing.assert_array_equal(tile, images[index].reshape(3, 4))
        else:
            assert np.all(np.isnan(tile))  # empty slots of the last row
    assert np.all(np.isnan(mosaic[3:5])) and np.all(
        np.isnan(mosaic[:, 4:6])
    )  # the gaps


def test_mosaic_scales_each_image_to_its_maximum(rng):
    images = rng.uniform(size=(2, 2, 2)) * np.array([3.0, 0.5])[:, None, None]
    mosaic = image_mosaic(images, (2, 2), n_cols=5, gap=0, scale="each")
    assert mosaic.shape == (2, 4)  # n_cols shrinks to the number of images
    np.testing.assert_allclose(mosaic[:, :2], images[0] / images[0].max())
    np.testing.assert_allclose(mosaic[:, 2:], images[1] / images[1].max())
    np.testing.assert_array_equal(
        image_mosaic(np.zeros((1, 4)), (2, 2), scale="each"), 0.0
    )


def test_plot_image_grid_shows_the_mosaic(rng):
    images = rng.uniform(size=(5, 6))
    ax = plt.figure().add_subplot()
    assert plot_image_grid(images, (2, 3), n_cols=2, ax=ax, title="t") is ax
    (shown,) = ax.get_images()
    np.testing.assert_array_equal(
        np.ma.filled(shown.get_array(), np.nan), image_mosaic(images, (2, 3), n_cols=2)
    )
    assert ax.get_title() == "t" and len(ax.get_xticks()) == 0
    np.testing.assert_allclose(shown.cmap.get_bad(), (0.7, 0.7, 0.7, 1.0))  # the gaps
    assert (
        plt.get_cmap("gray_r").get_bad()[3] == 0.0
    )  # the shared colormap is untouched


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"images": np.zeros((3, 5)), "image_shape": (2, 2)}, "images"),
        ({"images": np.zeros((0, 4)), "image_shape": (2, 2)}, "images"),
        ({"images": np.zeros((3, 4)), "image_shape": (2, 2), "n_cols": 0}, "n_cols"),
        ({"images": np.zeros((3, 4)), "image_shape": (2, 2), "scale": "max"}, "scale"),
        ({"images": np.zeros((3, 4)), "image_shape": (2, 0)}, "image_shape"),
    ],
)
def test_mosaic_rejects_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=name):
        image_mosaic(**kwargs)


def test_histograms_count_the_runs_on_common_bins(rng):
    a, b = rng.normal(1.0, 0.1, 40), rng.normal(1.3, 0.1, 25)
    ax = plt.figure().add_subplot()
    assert plot_error_histograms({"RRR": a, "CD": b}, bins=10, ax=ax) is ax
    edges = np.linspace(min(a.min(), b.min()), max(a.max(), b.max()), 11)
    for patch, values in zip(ax.patches, (a, b)):
        # a step outline's vertices: x at the edges, y at the counts
        xy = patch.get_path().vertices
        counts, _ = np.histogram(values, edges)
        heights = xy[1:-1:2, 1]
        np.testing.assert_array_equal(heights[: counts.size], counts)
        assert counts.sum() == values.size
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["RRR (40 runs)", "CD (25 runs)"]


def test_log_histograms_use_geometric_bins():
    values = np.array([1e-12, 1e-9, 1e-3, 2e-3])
    ax = plt.figure().add_subplot()
    plot_error_histograms({"CD": values}, bins=11, log=True, ax=ax)
    assert ax.get_xscale() == "log"
    xy = ax.patches[0].get_path().vertices
    edges = np.unique(xy[:, 0])
    np.testing.assert_allclose(edges, np.geomspace(1e-12, 2e-3, 12))
    with pytest.raises(ValueError, match="> 0"):
        plot_error_histograms({"CD": [0.0, 1.0]}, log=True, ax=ax)
    with pytest.raises(ValueError, match="samples"):
        plot_error_histograms({}, ax=ax)
