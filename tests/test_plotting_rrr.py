"""Chapter 1 figures in lossless_tutorial.book.plotting: lines, circles, point sets and
orbits, on 2-d and 3-d Axes. The tests read back what was drawn and compare it with the
input."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from lossless_tutorial.book.plotting import (
    plot_circle,
    plot_errors,
    plot_line,
    plot_orbit,
    plot_point_set,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _axes_2d():
    return plt.figure().add_subplot()


def _axes_3d():
    return plt.figure().add_subplot(projection="3d")


def test_plot_line_draws_a_segment_of_the_line_in_the_plane():
    ax = _axes_2d()
    point, direction = np.array([1.0, -2.0]), np.array([3.0, 4.0])
    assert plot_line(point, direction, ax=ax, extent=2.5, label="B", color="C1") is ax
    (line,) = ax.get_lines()
    ends = np.column_stack(line.get_data())
    np.testing.assert_allclose(ends, [[1.0 - 1.5, -2.0 - 2.0], [1.0 + 1.5, -2.0 + 2.0]])
    assert line.get_label() == "B"


def test_plot_line_in_space():
    ax = _axes_3d()
    point, direction = np.array([0.0, 0.0, 1.0]), np.array([0.0, 2.0, 0.0])
    assert plot_line(point, direction, ax=ax, extent=1.0) is ax
    (line,) = ax.get_lines()
    ends = np.column_stack(line.get_data_3d())
    np.testing.assert_allclose(ends, [[0.0, -1.0, 1.0], [0.0, 1.0, 1.0]])


def test_plot_line_rejects_mismatched_input():
    with pytest.raises(ValueError, match="direction"):
        plot_line([0.0, 0.0], [0.0, 0.0], ax=_axes_2d())
    with pytest.raises(ValueError, match="3-d Axes"):
        plot_line([0.0, 0.0], [1.0, 0.0], ax=_axes_3d())
    with pytest.raises(ValueError, match="2-d Axes"):
        plot_line([0.0, 0.0, 0.0], [1.0, 0.0, 0.0], ax=_axes_2d())


def test_plot_circle_points_lie_on_the_closed_circle():
    ax = _axes_2d()
    assert plot_circle([0.5, -1.0], 2.0, ax=ax, n_points=101) is ax
    xy = np.column_stack(ax.get_lines()[0].get_data())
    assert xy.shape == (101, 2)
    np.testing.assert_allclose(np.linalg.norm(xy - [0.5, -1.0], axis=1), 2.0)
    np.testing.assert_allclose(xy[0], xy[-1], atol=1e-12)
    # the curve goes all the way round
    angles = np.arctan2(xy[:, 1] + 1.0, xy[:, 0] - 0.5)
    assert np.ptp(angles) > 6.0


def test_plot_circle_rejects_bad_input():
    with pytest.raises(ValueError):
        plot_circle([0.0, 0.0], 0.0, ax=_axes_2d())
    with pytest.raises(ValueError):
        plot_circle([0.0, 0.0, 0.0], 1.0, ax=_axes_2d())


def test_plot_point_set_in_the_plane_and_in_space():
    points = np.array([[0.0, 1.0], [2.0, 3.0], [-1.0, 0.5]])
    ax = _axes_2d()
    assert plot_point_set(points, ax=ax, label="A") is ax
    (collection,) = ax.collections
    np.testing.assert_allclose(collection.get_offsets(), points)
    assert collection.get_label() == "A"
    ax3 = _axes_3d()
    points3 = np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    plot_point_set(points3, ax=ax3)
    xs, ys, zs = ax3.collections[0]._offsets3d
    np.testing.assert_allclose(np.column_stack([xs, ys, zs]), points3)


def test_plot_orbit_draws_the_iterates_and_marks_the_ends():
    orbit = np.array([[0.0, 0.0], [1.0, 0.5], [1.5, 0.2], [1.6, 0.1]])
    ax = _axes_2d()
    assert plot_orbit(orbit, ax=ax, label="iterates", color="k") is ax
    path, start, end = ax.get_lines()
    np.testing.assert_allclose(np.column_stack(path.get_data()), orbit)
    np.testing.assert_allclose(np.column_stack(start.get_data()), orbit[:1])
    np.testing.assert_allclose(np.column_stack(end.get_data()), orbit[-1:])
    assert path.get_label() == "iterates"
    assert path.get_marker() == "o" and path.get_linestyle() == "-"


def test_plot_orbit_without_end_marks_and_in_space():
    ax = _axes_2d()
    plot_orbit(np.zeros((3, 2)), ax=ax, mark_ends=False)
    assert len(ax.get_lines()) == 1
    ax3 = _axes_3d()
    orbit = np.arange(12.0).reshape(4, 3)
    plot_orbit(orbit, ax=ax3)
    np.testing.assert_allclose(np.column_stack(ax3.get_lines()[0].get_data_3d()), orbit)
    with pytest.raises(ValueError, match="orbit"):
        plot_orbit(orbit, ax=_axes_2d())


def test_plot_orbit_uses_the_current_axes_by_default():
    fig, ax = plt.subplots()
    assert plot_orbit(np.zeros((2, 2))) is ax


def test_plot_errors_draws_one_point_per_iteration_on_a_log_scale():
    ax = _axes_2d()
    errors = [1.0, 0.1, 1e-3, 1e-9]
    assert plot_errors(errors, ax=ax, label="run", color="C2") is ax
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3, 4])
    np.testing.assert_array_equal(line.get_ydata(), errors)
    assert ax.get_yscale() == "log" and line.get_label() == "run"
    assert ax.get_xlabel() == "iteration" and "error" in ax.get_ylabel()
