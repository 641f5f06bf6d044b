"""Tests of the chapter-2 figures in lossless_tutorial.book.plotting: what is drawn, not
just that."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

from lossless_tutorial.book.plotting import (  # noqa: E402
    plot_activation_projections,
    plot_activation_regions,
    plot_activation_set,
    plot_bilinear_multiplier,
    plot_projection_segments,
)
from lossless_tutorial.projections import (  # noqa: E402
    bilinear_h0,
    project_bilinear,
    project_relu,
    project_step_gap,
    project_zigmoid,
)

R2 = np.sqrt(2.0)


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def _segments(ax):
    (collection,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    return np.array(collection.get_segments())


# ------------------------------------------------------------------ plot_activation_set


def test_relu_set_is_two_half_lines_in_isotropic_coordinates(ax):
    assert plot_activation_set("relu", z_range=(-2, 3), ax=ax) is ax
    off, on = ax.get_lines()
    np.testing.assert_allclose(np.column_stack(off.get_data()), [[-2 / R2, 0], [0, 0]])
    np.testing.assert_allclose(np.column_stack(on.get_data()), [[0, 0], [3 / R2, 3]])
    assert ax.get_aspect() == 1.0
    assert "sqrt" in ax.get_xlabel() and ax.get_ylabel() == "$x$"


def test_relu_set_in_plain_coordinates(ax):
    plot_activation_set("relu", z_range=(-1, 2), isotropic=False, ax=ax)
    off, on = ax.get_lines()
    np.testing.assert_allclose(np.column_stack(on.get_data()), [[0, 0], [2, 2]])
    assert ax.get_xlabel() == "$z = y - b$"


def test_step_set_has_a_gap_of_full_width_delta(ax):
    plot_activation_set("step", gap=0.8, z_range=(-2, 2), isotropic=False, ax=ax)
    zero, one = ax.get_lines()
    np.testing.assert_allclose(np.column_stack(zero.get_data()), [[-2, 0], [-0.4, 0]])
    np.testing.assert_allclose(np.column_stack(one.get_data()), [[0.4, 1], [2, 1]])
    assert [line.get_label() for line in ax.get_lines()] == ["$x = 0$", "$x = 1$"]


def test_zigmoid_set_has_a_ramp_across_the_gap(ax):
    plot_activation_set("zigmoid", gap=1.0, z_range=(-2, 2), ax=ax)
    zero, ramp, one = ax.get_lines()
    np.testing.assert_allclose(
        np.column_stack(ramp.get_data()), [[-0.5 / R2, 0], [0.5 / R2, 1]]
    )
    assert zero.get_color() != ramp.get_color() != one.get_color()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"activation": "tanh"},
        {"activation": "step", "gap": -1.0},
        {"activation": "zigmoid", "gap": 0.0},
    ],
)
def test_activation_set_rejects_bad_arguments(ax, kwargs):
    activation = kwargs.pop("activation")
    with pytest.raises(ValueError):
        plot_activation_set(activation, ax=ax, **kwargs)


# ------------------------------------------------------------- plot_projection_segments


def test_segments_join_each_point_to_its_projection(ax):
    points = np.array([[0.0, 1.0], [2.0, -1.0], [1.5, 0.5]])
    projected = np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]])
    assert plot_projection_segments(points, projected, ax=ax, label="pts") is ax
    np.testing.assert_allclose(_segments(ax), np.stack([points, projected], axis=1))
    marks, dots = ax.get_lines()
    np.testing.assert_allclose(np.column_stack(marks.get_data()), points)
    np.testing.assert_allclose(np.column_stack(dots.get_data()), projected)
    assert marks.get_label() == "pts"


def test_segments_need_matching_shapes(ax):
    with pytest.raises(ValueError, match="same shape"):
        plot_projection_segments(np.zeros((3, 2)), np.zeros((2, 2)), ax=ax)


def test_segments_default_to_current_axes():
    fig = plt.figure()
    try:
        ax = plot_projection_segments([[0, 0]], [[1, 1]])
        assert ax is fig.gca()
    finally:
        plt.close(fig)


# -------------------------------------------------------------- plot_activation_regions


@pytest.mark.parametrize(
    "activation, project, values",
    [
        ("relu", lambda x, y, b: project_relu(x, y, b), {0, 1}),
        ("step", lambda x, y, b: project_step_gap(x, y, b, gap=1.0), {0, 1}),
        ("zigmoid", lambda x, y, b: project_zigmoid(x, y, b, gap=1.0), {0, 1, 2}),
    ],
)
def test_regions_show_the_branch_each_grid_point_projects_to(
    ax, activation, project, values
):
    plot_activation_regions(
        activation, gap=1.0, z_range=(-2, 2), x_range=(-1, 2), resolution=41, ax=ax
    )
    image = ax.images[-1]
    index = np.asarray(image.get_array())
    assert index.shape == (41, 41)
    assert set(np.unique(index)) == values
    # row r is x = -1 + 3 r / 40, column c is z = -2 + 4 c / 40 (origin="lower")
    z, x = np.meshgrid(np.linspace(-2, 2, 41), np.linspace(-1, 2, 41))
    x_new, _, _ = project(x, z / 2, -z / 2)
    if activation == "relu":
        expected = (x_new > 0).astype(int)
    elif activation == "step":
        expected = x_new.astype(int)
    else:
        expected = np.where(x_new == 0, 0, np.where(x_new == 1, 2, 1))
    np.testing.assert_array_equal(index, expected)
    np.testing.assert_allclose(image.get_extent(), [-2 / R2, 2 / R2, -1, 2])


def test_step_regions_split_the_gap_along_the_perpendicular_bisector(ax):
    plot_activation_regions(
        "step",
        gap=1.0,
        z_range=(-0.5, 0.5),
        x_range=(0, 1),
        resolution=101,
        isotropic=False,
        ax=ax,
    )
    index = np.asarray(ax.images[-1].get_array())
    z, x = np.meshgrid(np.linspace(-0.5, 0.5, 101), np.linspace(0, 1, 101))
    border = 0.5 - 1.0 * z / 2  # x = 1/2 - Delta z / 2 inside the gap
    clear = np.abs(x - border) > 1e-9
    np.testing.assert_array_equal(index[clear], (x > border)[clear].astype(int))


# --------------------------------------------------------- plot_activation_projections


def test_activation_projections_draw_the_package_projection(ax):
    rng = np.random.default_rng(0)
    x, y, b = rng.uniform(-1, 2, (3, 25))
    out = plot_activation_projections(
        "relu", x, y, b, ax=ax, title="ReLU", z_range=(-3, 3), x_range=(-1, 2)
    )
    assert out is ax and ax.get_title() == "ReLU"
    x1, y1, b1 = project_relu(x, y, b)
    segments = _segments(ax)
    np.testing.assert_allclose(segments[:, 0], np.column_stack([(y - b) / R2, x]))
    np.testing.assert_allclose(segments[:, 1], np.column_stack([(y1 - b1) / R2, x1]))
    np.testing.assert_allclose(ax.get_xlim(), [-3 / R2, 3 / R2])
    np.testing.assert_allclose(ax.get_ylim(), [-1, 2])
    assert len(ax.images) == 1 and ax.get_legend() is not None


def test_isotropic_segments_meet_the_relu_on_branch_at_right_angles(ax):
    rng = np.random.default_rng(1)
    x, y, b = rng.uniform(-2, 2, (3, 200))
    plot_activation_projections("relu", x, y, b, ax=ax, regions=False)
    segments = _segments(ax)
    landed = segments[:, 1]
    on = landed[:, 1] > 1e-9
    assert on.sum() > 20
    direction = segments[on, 1] - segments[on, 0]
    tangent = np.array([1.0, R2]) / np.sqrt(3.0)  # x = z = sqrt(2) * (z / sqrt2)
    moved = np.linalg.norm(direction, axis=1) > 1e-9
    cosines = direction[moved] @ tangent / np.linalg.norm(direction[moved], axis=1)
    np.testing.assert_allclose(cosines, 0.0, atol=1e-12)
    assert len(ax.images) == 0


def test_plain_coordinates_are_not_orthogonal(ax):
    plot_activation_projections(
        "relu", [2.0], [0.0], [0.0], isotropic=False, ax=ax, regions=False, legend=False
    )
    (segment,) = _segments(ax)
    np.testing.assert_allclose(segment, [[0, 2], [4 / 3, 4 / 3]])  # s = 2/3, z moves 2s
    assert ax.get_legend() is None


@pytest.mark.parametrize("activation", ["step", "zigmoid"])
def test_gapped_projections_land_on_the_set(ax, activation):
    rng = np.random.default_rng(2)
    x, y, b = rng.uniform(-1.5, 1.5, (3, 50))
    plot_activation_projections(activation, x, y, b, gap=0.6, ax=ax)
    landed = _segments(ax)[:, 1]
    zeta, xx = landed.T
    z = R2 * zeta
    if activation == "step":
        ok = ((xx == 0) & (z <= -0.3 + 1e-12)) | ((xx == 1) & (z >= 0.3 - 1e-12))
    else:
        ok = np.isclose(xx, np.clip(z / 0.6 + 0.5, 0, 1), atol=1e-12)
    assert ok.all()


# ------------------------------------------------------------ plot_bilinear_multiplier


@pytest.mark.parametrize(
    "omega, g2, y", [(1.0, np.inf, 2.0), (2.0, 3.0, -1.0), (1.0, 0.5, 20.0)]
)
def test_multiplier_curve_is_h0_and_the_marked_root_is_the_projections(
    ax, omega, g2, y
):
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=(2, 6))
    assert (
        plot_bilinear_multiplier(x, w, y, omega=omega, g2=g2, ax=ax, label="h0") is ax
    )
    curve = [line for line in ax.get_lines() if line.get_label() == "h0"][0]
    u, h = curve.get_data()
    assert u.min() > -1 and u.max() < 1 and u.size == 1999
    np.testing.assert_allclose(
        h, bilinear_h0(u, x @ w, x @ x + w @ w, y, omega=omega, g2=g2)
    )
    assert np.all(np.diff(h) > 0)  # increasing, as Lemma B.1 says
    root = ax.get_lines()[-1]
    (u_mark,), (h_mark,) = root.get_data()
    *_, u0 = project_bilinear(x, w, y, omega=omega, g2=g2, return_multiplier=True)
    assert u_mark == pytest.approx(float(u0)) and h_mark == 0.0
    assert abs(bilinear_h0(u_mark, x @ w, x @ x + w @ w, y, omega=omega, g2=g2)) < 1e-8
    low, high = ax.get_ylim()
    assert low == pytest.approx(-high) and high > 0
    assert ax.get_xlabel() == "$u$"


def test_multiplier_plot_takes_ylim_and_checks_shapes(ax):
    plot_bilinear_multiplier([1.0, 0.0], [0.5, 1.0], 0.3, ax=ax, ylim=(-5, 7))
    assert ax.get_ylim() == (-5, 7)
    with pytest.raises(ValueError, match="same length"):
        plot_bilinear_multiplier([1.0, 2.0], [1.0], 0.3, ax=ax)
    with pytest.raises(ValueError, match="1-d"):
        plot_bilinear_multiplier(np.ones((2, 2)), np.ones((2, 2)), 0.3, ax=ax)
