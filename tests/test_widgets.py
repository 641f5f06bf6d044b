"""The book's ipywidgets explorers (matplotlib Agg backend, no kernel needed): the orbit
recorder, and the RRR explorer's sliders, reruns and drawings."""

from __future__ import annotations

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import pytest

from lossless_tutorial import alternating_projections, rrr
from lossless_tutorial.toy_sets import project_circle, project_line, project_points
from lossless_tutorial.book.widgets import RRRExplorer, record_orbit

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
    result, orbit = record_orbit([1.8, -1.2], project_circle_a, project_line_b, beta=0.7,
                                 max_iter=15, tol=0.0)
    assert result.status == "max_iter" and orbit.shape == (16, 2)
    np.testing.assert_allclose(orbit, _orbit_by_hand([1.8, -1.2], 0.7, 15), atol=1e-14)
    np.testing.assert_array_equal(orbit[-1], result.x)


def test_record_orbit_includes_the_iterate_of_the_converging_iteration():
    result, orbit = record_orbit([1.8, -1.2], project_circle_a, project_line_b, beta=0.5,
                                 max_iter=1000, tol=1e-9)
    assert result.converged
    assert orbit.shape == (result.n_iter + 1, 2)
    np.testing.assert_array_equal(orbit[0], [1.8, -1.2])
    np.testing.assert_array_equal(orbit[-1], result.x)
    np.testing.assert_allclose(orbit, _orbit_by_hand([1.8, -1.2], 0.5, result.n_iter),
                               atol=1e-12)


def test_record_orbit_for_alternating_projections():
    result, orbit = record_orbit([4.3, 3.6], project_grid, project_middle_line, method="ap",
                                 max_iter=5, tol=0.0)
    reference = alternating_projections([4.3, 3.6], project_grid, project_middle_line,
                                        max_iter=5, tol=0.0)
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
    """The orbit as drawn in the explorer's figure: the line labelled 'iterates $x_t$'."""
    ax = explorer.figure.axes[0]
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == "iterates $x_t$"]
    return np.column_stack(line.get_data())


def test_explorer_builds_with_the_documented_slider_range():
    explorer = RRRExplorer(project_circle_a, project_line_b, [1.8, -1.2])
    slider = explorer.beta_slider
    assert isinstance(slider, ipywidgets.FloatSlider)
    assert (slider.min, slider.max, slider.step, slider.value) == (0.05, 2.0, 0.05, 0.5)
    assert isinstance(explorer.iterations_slider, ipywidgets.IntSlider)
    assert explorer.iterations_slider.value == 100 and explorer.iterations_slider.min == 1
    assert isinstance(explorer.widget, ipywidgets.VBox)
    assert explorer.image in explorer.widget.children
    assert explorer.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert explorer.n_runs == 1 and explorer.result is not None


def test_explorer_custom_range_and_plain_text_form():
    explorer = _explorer(beta_range=(0.1, 1.9), beta_step=0.1, beta=1.0)
    assert (explorer.beta_slider.min, explorer.beta_slider.max) == (0.1, 1.9)
    bundle = explorer._repr_mimebundle_()
    assert bundle["text/plain"] == ("RRRExplorer(beta=1.00 in [0.1, 1.9], iterations=200; "
                                    "move the sliders in a live kernel)")
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_moving_the_beta_slider_reruns_rrr_and_redraws_the_orbit():
    explorer = _explorer()
    before_orbit, before_png, before_runs = _drawn_orbit(explorer), explorer.image.value, \
        explorer.n_runs
    np.testing.assert_allclose(before_orbit, explorer.orbit)
    explorer.beta_slider.value = 1.6
    assert explorer.n_runs == before_runs + 1
    after = _drawn_orbit(explorer)
    assert after.shape != before_orbit.shape or not np.allclose(after, before_orbit)
    assert explorer.image.value != before_png
    # the drawing shows exactly what rrr does with the new beta
    expected = rrr([0.5, 4.6], project_grid, project_middle_line, beta=1.6, max_iter=200,
                   tol=1e-8)
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
    assert len(axes[1].get_lines()) == 1                      # the error trace
    fig, ax = plt.subplots()
    assert explorer.draw(0.7, axes=ax) is ax


@pytest.mark.parametrize("kwargs, match", [
    ({"beta": 2.5}, "beta"),
    ({"beta_range": (1.0, 0.5)}, "beta_range"),
    ({"beta_range": (0.0, 1.0)}, "beta_range"),
    ({"max_iter": 0}, "max_iter"),
    ({"tol": -1.0}, "tol"),
])
def test_explorer_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _explorer(**kwargs)


def test_explorer_needs_a_point_of_the_plane():
    with pytest.raises(ValueError, match="x0"):
        RRRExplorer(project_grid, project_middle_line, [0.5, 4.6, 1.0])
