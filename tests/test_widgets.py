"""The book's ipywidgets explorers (matplotlib Agg backend, no kernel needed): the orbit
recorder, the RRR explorer's sliders, reruns and drawings, and the explorers of the
bilinear projection, the activation sets with a gap and the class-node constraints:
what they draw is the package's projection, their bad arguments are refused by name,
they draw without a display, and moving a slider redraws the image."""

from __future__ import annotations

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import pytest

from lossless_tutorial import alternating_projections, rrr
from lossless_tutorial.toy_sets import project_circle, project_line, project_points
from lossless_tutorial.book.widgets import (
    ActivationExplorer,
    BilinearExplorer,
    ClassMarginExplorer,
    RRRExplorer,
    record_orbit,
)
from lossless_tutorial.projections import (
    class_margin_distance,
    project_bilinear,
    project_class_margin,
    project_norm,
    project_relu,
    project_step_gap,
    project_zigmoid,
)

GRID = np.array([(i, j) for j in range(6) for i in range(6)], dtype=float)


def project_grid(x):
    return project_points(x, GRID)


def project_middle_line(x):
    return project_line(x, [2.0, 2.0], [1.0, 0.3])


def project_circle_a(x):
    return project_circle(x, [0.0, 0.0], 1.0)


def project_line_b(x):
    return project_line(x, [0.0, 0.6], [1.0, 0.25])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _orbit_by_hand(x0, beta, n):
    """The RRR iterates written out, independently of the package."""
    x = np.asarray(x0, dtype=float)
    orbit = [x]
    for _ in range(n):
        a = project_circle_a(x)
        x = x + beta * (project_line_b(2 * a - x) - a)
        orbit.append(x)
    return np.array(orbit)


# ----------------------------------------------------------------------- record_orbit


def test_record_orbit_keeps_every_iterate_when_the_cap_is_reached():
    result, orbit = record_orbit(
        [1.8, -1.2], project_circle_a, project_line_b, beta=0.7, max_iter=15, tol=0.0
    )
    assert result.status == "max_iter" and orbit.shape == (16, 2)
    np.testing.assert_allclose(orbit, _orbit_by_hand([1.8, -1.2], 0.7, 15), atol=1e-14)
    np.testing.assert_array_equal(orbit[-1], result.x)


def test_record_orbit_includes_the_iterate_of_the_converging_iteration():
    result, orbit = record_orbit(
        [1.8, -1.2], project_circle_a, project_line_b, beta=0.5, max_iter=1000, tol=1e-9
    )
    assert result.converged
    assert orbit.shape == (result.n_iter + 1, 2)
    np.testing.assert_array_equal(orbit[0], [1.8, -1.2])
    np.testing.assert_array_equal(orbit[-1], result.x)
    np.testing.assert_allclose(
        orbit, _orbit_by_hand([1.8, -1.2], 0.5, result.n_iter), atol=1e-12
    )


def test_record_orbit_for_alternating_projections():
    result, orbit = record_orbit(
        [4.3, 3.6], project_grid, project_middle_line, method="ap", max_iter=5, tol=0.0
    )
    reference = alternating_projections(
        [4.3, 3.6], project_grid, project_middle_line, max_iter=5, tol=0.0
    )
    np.testing.assert_array_equal(orbit[-1], reference.x)
    np.testing.assert_allclose(orbit[1], project_middle_line(project_grid([4.3, 3.6])))
    with pytest.raises(ValueError, match="method"):
        record_orbit([0.0, 0.0], project_grid, project_middle_line, method="gd")


# ------------------------------------------------------------------------ RRRExplorer


def _explorer(**kwargs):
    options = dict(beta=0.5, max_iter=200, tol=1e-8)
    options.update(kwargs)
    return RRRExplorer(project_grid, project_middle_line, [0.5, 4.6], **options)


def _drawn_orbit(explorer):
    """The orbit as drawn in the explorer's figure: the line labelled 'iterates
    $x_t$'."""
    ax = explorer.figure.axes[0]
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == "iterates $x_t$"]
    return np.column_stack(line.get_data())


def test_explorer_builds_with_the_documented_slider_range():
    explorer = RRRExplorer(project_circle_a, project_line_b, [1.8, -1.2])
    slider = explorer.beta_slider
    assert isinstance(slider, ipywidgets.FloatSlider)
    assert (slider.min, slider.max, slider.step, slider.value) == (0.05, 2.0, 0.05, 0.5)
    assert isinstance(explorer.iterations_slider, ipywidgets.IntSlider)
    assert explorer.iterations_slider.value == 100
    assert explorer.iterations_slider.min == 1
    assert isinstance(explorer.widget, ipywidgets.VBox)
    assert explorer.image in explorer.widget.children
    assert explorer.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert explorer.n_runs == 1 and explorer.result is not None


def test_explorer_custom_range_and_plain_text_form():
    explorer = _explorer(beta_range=(0.1, 1.9), beta_step=0.1, beta=1.0)
    assert (explorer.beta_slider.min, explorer.beta_slider.max) == (0.1, 1.9)
    bundle = explorer._repr_mimebundle_()
    assert bundle["text/plain"] == (
        "RRRExplorer(beta=1.00 in [0.1, 1.9], iterations=200; "
        "move the sliders in a live kernel)"
    )
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_moving_the_beta_slider_reruns_rrr_and_redraws_the_orbit():
    explorer = _explorer()
    before_orbit = _drawn_orbit(explorer)
    before_png, before_runs = explorer.image.value, explorer.n_runs
    np.testing.assert_allclose(before_orbit, explorer.orbit)
    explorer.beta_slider.value = 1.6
    assert explorer.n_runs == before_runs + 1
    after = _drawn_orbit(explorer)
    assert after.shape != before_orbit.shape or not np.allclose(after, before_orbit)
    assert explorer.image.value != before_png
    # the drawing shows exactly what rrr does with the new beta
    expected = rrr(
        [0.5, 4.6], project_grid, project_middle_line, beta=1.6, max_iter=200, tol=1e-8
    )
    np.testing.assert_allclose(after[-1], expected.x)
    assert explorer.result.n_iter == expected.n_iter
    assert explorer.result.converged == expected.converged
    assert "1.60" in explorer.figure.axes[0].get_title()


def test_moving_the_iterations_slider_changes_the_length_of_the_orbit():
    explorer = _explorer(beta=0.3)
    assert not explorer.result.converged and len(explorer.orbit) == 201
    explorer.iterations_slider.value = 17
    assert len(explorer.orbit) == 18 and len(_drawn_orbit(explorer)) == 18


def test_explorer_draws_on_given_axes():
    explorer = _explorer()
    fig, axes = plt.subplots(1, 2)
    assert explorer.draw(1.0, max_iter=50, axes=axes) is axes
    assert "1.00" in axes[0].get_title()
    assert len(axes[1].get_lines()) == 1  # the error trace
    fig, ax = plt.subplots()
    assert explorer.draw(0.7, axes=ax) is ax


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"beta": 2.5}, "beta"),
        ({"beta_range": (1.0, 0.5)}, "beta_range"),
        ({"beta_range": (0.0, 1.0)}, "beta_range"),
        ({"max_iter": 0}, "max_iter"),
        ({"tol": -1.0}, "tol"),
    ],
)
def test_explorer_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _explorer(**kwargs)


def test_explorer_needs_a_point_of_the_plane():
    with pytest.raises(ValueError, match="x0"):
        RRRExplorer(project_grid, project_middle_line, [0.5, 4.6, 1.0])


# ------------------------------------------- the explorers of single constraints


def _drawn(ax, label):
    """The data of the one line labelled ``label`` on ``ax``, as an array of points."""
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return np.column_stack(line.get_data())


def _no_pyplot_figure(make):
    """Build an explorer and check that pyplot (and so a display) is never used."""
    before = plt.get_fignums()
    explorer = make()
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    assert isinstance(explorer.figure.canvas, FigureCanvasAgg)
    assert plt.get_fignums() == before
    assert explorer.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    return explorer


# ------------------------------------------------------------------ BilinearExplorer


def test_bilinear_explorer_draws_the_package_projection():
    explorer = _no_pyplot_figure(BilinearExplorer)
    assert set(explorer.controls) == {"x", "w", "omega", "y"}
    for values in [
        dict(x=1.5, w=-0.5, omega=1.0, y=1.0),
        dict(x=-2.0, w=0.35, omega=2.5, y=-0.6),
        dict(x=1.0, w=1.0, omega=1.0, y=-1.0),  # x = w: degenerate
        dict(x=0.4, w=-1.2, omega=0.5, y=0.0),
    ]:  # the two axes
        for name, value in values.items():
            explorer.controls[name].value = value
        x_new, w_new, _, u0 = project_bilinear(
            [values["x"]],
            [values["w"]],
            values["y"],
            omega=values["omega"],
            return_multiplier=True,
        )
        ax_set, ax_h0 = explorer.figure.axes
        drawn = _drawn(ax_set, "nearest point")[0]
        np.testing.assert_allclose(drawn, [x_new[0], w_new[0]], atol=1e-12)
        np.testing.assert_allclose(
            _drawn(ax_set, "point")[0], [values["x"], values["w"]]
        )
        assert abs(drawn[0] * drawn[1] - values["omega"] * values["y"]) < 1e-9
        distance = np.hypot(x_new[0] - values["x"], w_new[0] - values["w"])
        assert explorer.distance == pytest.approx(distance, abs=1e-12)
        assert f"{distance:.3f}" in ax_set.get_title()
        assert explorer.multiplier == pytest.approx(float(u0))
        assert ax_h0.get_lines()[-1].get_xdata()[0] == pytest.approx(float(u0))


def test_bilinear_explorer_draws_the_set():
    explorer = BilinearExplorer(x=1.0, w=-1.0, omega=2.0, y=0.5)
    ax_set = explorer.figure.axes[0]
    curves = [ln for ln in ax_set.get_lines() if ln.get_color() == "C0"]
    assert len(curves) == 2  # two branches
    for curve in curves:
        xs, ws = curve.get_data()
        np.testing.assert_allclose(xs * ws, 1.0)  # x w = Omega y
    explorer.controls["y"].value = 0.0  # the degenerate set
    curves = [
        ln for ln in explorer.figure.axes[0].get_lines() if ln.get_color() == "C0"
    ]
    assert all(np.all(np.prod(c.get_data(), axis=0) == 0) for c in curves)


def test_bilinear_explorer_redraws_when_a_slider_moves():
    explorer = BilinearExplorer()
    png, draws, nearest = explorer.image.value, explorer.n_draws, explorer.nearest
    explorer.controls["omega"].value = 2.0
    assert explorer.n_draws == draws + 1
    assert explorer.image.value != png
    assert not np.allclose(explorer.nearest, nearest)
    assert "Ω=2.00" in repr(explorer)


def test_bilinear_explorer_draws_on_given_axes_without_changing_the_sliders():
    explorer = BilinearExplorer()
    fig, axes = plt.subplots(1, 2)
    assert explorer.draw(axes=axes, x=-1.0, w=2.0) is axes
    expected = project_bilinear([-1.0], [2.0], 1.0, omega=1.0)
    np.testing.assert_allclose(
        _drawn(axes[0], "nearest point")[0], [expected[0][0], expected[1][0]]
    )
    assert explorer.controls["x"].value == 1.5
    with pytest.raises(ValueError, match="axes"):
        explorer.draw(axes=axes[0])
    with pytest.raises(ValueError, match="beta"):
        explorer.draw(beta=1.0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"x": 3.0}, "x"),
        ({"w": -9.0}, "w"),
        ({"omega_range": (0.0, 2.0)}, "omega_range"),
        ({"y_range": (1.0, -1.0)}, "y_range"),
        ({"y": float("nan")}, "y"),
        ({"step": 0.0}, "step"),
        ({"limit": -1.0}, "limit"),
        ({"h0_ylim": (5.0, 5.0)}, "h0_ylim"),
        ({"figsize": (8.0, 0.0)}, "figsize"),
    ],
)
def test_bilinear_explorer_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BilinearExplorer(**kwargs)


# ---------------------------------------------------------------- ActivationExplorer

PROJECT_ACTIVATION = {
    "relu": lambda x, y, b, gap: project_relu(x, y, b),
    "step": lambda x, y, b, gap: project_step_gap(x, y, b, gap=gap),
    "zigmoid": lambda x, y, b, gap: project_zigmoid(x, y, b, gap=gap),
}


def test_activation_explorer_draws_the_package_projections():
    explorer = _no_pyplot_figure(
        lambda: ActivationExplorer(("relu", "step", "zigmoid"), resolution=40)
    )
    assert len(explorer.figure.axes) == 3
    for gap, z, x in [(1.0, 0.1, 0.45), (0.4, -0.3, 0.9), (1.8, 0.7, 0.2)]:
        explorer.controls["gap"].value = gap
        explorer.controls["z"].value = z
        explorer.controls["x"].value = x
        for ax, name in zip(explorer.figure.axes, explorer.activations):
            x_new, y_new, b_new = PROJECT_ACTIVATION[name](x, z / 2, -z / 2, gap)
            drawn = _drawn(ax, "nearest point")[0]
            np.testing.assert_allclose(
                drawn, [(y_new - b_new) / np.sqrt(2), x_new], atol=1e-12
            )
            np.testing.assert_allclose(_drawn(ax, "point")[0], [z / np.sqrt(2), x])
            np.testing.assert_allclose(
                explorer.projections[name], [x_new, y_new, b_new], atol=1e-12
            )
            distance = np.sqrt(
                (x_new - x) ** 2 + (y_new - z / 2) ** 2 + (b_new + z / 2) ** 2
            )
            assert explorer.distances[name] == pytest.approx(distance, abs=1e-12)
            assert f"{distance:.3f}" in ax.get_title()


def test_the_gap_changes_the_set_and_the_projection():
    explorer = ActivationExplorer(("step",), gap=0.2, z=0.3, x=0.3, resolution=40)
    ax = explorer.figure.axes[0]
    one = _drawn(ax, "$x = 1$")
    # the branch x = 1 starts at z = gap / 2
    assert one[0, 0] == pytest.approx(0.1 / np.sqrt(2))
    before = explorer.projections["step"].copy()
    png = explorer.image.value
    explorer.controls["gap"].value = 1.6
    one = _drawn(explorer.figure.axes[0], "$x = 1$")
    assert one[0, 0] == pytest.approx(0.8 / np.sqrt(2))
    assert explorer.image.value != png
    after = explorer.projections["step"]
    assert not np.allclose(after, before)
    assert after[1] - after[2] <= -0.8 or after[1] - after[2] >= 0.8  # out of the gap


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((("step", "sigmoid"),), {}, "activations"),
        (((),), {}, "activations"),
        ((("zigmoid",),), {"gap_range": (0.0, 1.0)}, "gap_range"),
        ((("step",),), {"gap_range": (-1.0, 1.0)}, "gap_range"),
        ((), {"gap": 3.0}, "gap"),
        ((), {"z": -5.0}, "z"),
        ((), {"x_range": (2.0, 1.0)}, "x_range"),
        ((), {"resolution": 1}, "resolution"),
    ],
)
def test_activation_explorer_rejects_bad_settings(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        ActivationExplorer(*args, resolution=kwargs.pop("resolution", 20), **kwargs)


def test_a_step_without_gap_is_allowed():
    explorer = ActivationExplorer("step", gap=0.0, gap_range=(0.0, 1.0), resolution=20)
    assert explorer.activations == ("step",) and explorer.distances["step"] >= 0


# --------------------------------------------------------------- ClassMarginExplorer


def _class_expected(weights, biases, delta, omega, x1, x2, label):
    w = project_norm(np.asarray(weights, dtype=float), omega=omega, axis=-1)
    y = w @ np.array([x1, x2]) / omega
    y_new, b_new = project_class_margin(
        y[None], np.asarray(biases)[None], [label], delta=delta
    )
    d2 = class_margin_distance(y[None], np.asarray(biases)[None], [label], delta=delta)
    return w, y - biases, y_new[0] - b_new[0], d2[0]


def test_class_margin_explorer_draws_the_package_projections():
    weights, biases = np.array([[0.9, -0.5], [-0.3, 1.1]]), np.array([0.1, -0.2])
    explorer = _no_pyplot_figure(lambda: ClassMarginExplorer(weights, biases))
    assert set(explorer.controls) == {"delta", "omega", "x1", "x2", "label"}
    settings = [
        (0.5, 2.0, 1.2, 0.5, 1),
        (0.2, 0.7, 0.3, 1.9, 0),
        (0.0, 3.5, 1.5, 1.5, 1),
    ]
    for delta, omega, x1, x2, label in settings:
        for name, value in dict(
            delta=delta, omega=omega, x1=x1, x2=x2, label=label
        ).items():
            explorer.controls[name].value = value
        w, outputs, nearest, d2 = _class_expected(
            weights, biases, delta, omega, x1, x2, label
        )
        ax_z, ax_w = explorer.figure.axes
        np.testing.assert_allclose(_drawn(ax_z, "point")[0], outputs, atol=1e-12)
        np.testing.assert_allclose(
            _drawn(ax_z, "nearest point")[0], nearest, atol=1e-12
        )
        assert nearest[label] >= delta - 1e-12 and nearest[1 - label] <= 1e-12
        assert explorer.distance2 == pytest.approx(d2, abs=1e-12)
        assert f"{d2:.3f}" in ax_z.get_title()
        on_sphere = [
            ln
            for ln in ax_w.get_lines()
            if ln.get_marker() == "s" and ln.get_markerfacecolor() != "white"
        ]
        np.testing.assert_allclose(
            [np.ravel(ln.get_xydata()) for ln in on_sphere], w, atol=1e-12
        )
        np.testing.assert_allclose(np.linalg.norm(w, axis=1), omega)


def test_omega_moves_the_weights_but_not_the_outputs():
    explorer = ClassMarginExplorer()
    outputs, nearest = explorer.outputs.copy(), explorer.nearest.copy()
    weights, png = explorer.projected_weights.copy(), explorer.image.value
    explorer.controls["omega"].value = 3.5
    np.testing.assert_allclose(explorer.outputs, outputs, atol=1e-12)
    np.testing.assert_allclose(explorer.nearest, nearest, atol=1e-12)
    np.testing.assert_allclose(explorer.projected_weights, weights * 3.5 / 2.0)
    assert explorer.image.value != png


def test_the_margin_and_the_class_move_the_projection():
    explorer = ClassMarginExplorer()
    draws = explorer.n_draws
    explorer.controls["delta"].value = 0.9
    assert explorer.nearest[1] == pytest.approx(0.9)
    explorer.controls["label"].value = 0
    assert explorer.n_draws == draws + 2
    assert explorer.nearest[0] >= 0.9 and explorer.nearest[1] <= 0
    assert repr(explorer).startswith("ClassMarginExplorer(Δ=0.90, Ω=2.00")


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        (([[1.0, 0.0], [0.0, 0.0]],), {}, "weights"),
        (([1.0, 2.0],), {}, "weights"),
        (([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0, 0.0]), {}, "biases"),
        ((), {"label": 2}, "label"),
        ((), {"delta_range": (-0.5, 1.0)}, "delta_range"),
        ((), {"omega": 9.0}, "omega"),
        ((), {"x1": -1.0}, "x1"),
        ((), {"x2_range": (0.0, float("inf"))}, "x2_range"),
    ],
)
def test_class_margin_explorer_rejects_bad_settings(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        ClassMarginExplorer(*args, **kwargs)
