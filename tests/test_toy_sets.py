"""The toy sets of chapter 1: each projection against an independent computation (a
dense search over the set, scipy.optimize, or a plain loop), membership, idempotence,
and the documented tie-breaking and errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize, minimize_scalar

from lossless_tutorial.toy_sets import project_circle, project_line, project_points


# ------------------------------------------------------------------------------ lines


@pytest.mark.parametrize("dim", [2, 3, 5])
def test_project_line_matches_a_scalar_minimization(rng, dim):
    point, direction = rng.normal(size=dim), rng.normal(size=dim)
    for x in rng.normal(scale=3.0, size=(10, dim)):
        best = minimize_scalar(
            lambda t: np.sum((point + t * direction - x) ** 2),
            bracket=(-1.0, 1.0),
            tol=1e-12,
        )
        np.testing.assert_allclose(
            project_line(x, point, direction), point + best.x * direction, atol=1e-6
        )


def test_project_line_matches_a_dense_search_along_the_line(rng):
    point, direction = np.array([0.5, -1.0]), np.array([2.0, 1.0])
    t = np.linspace(-10.0, 10.0, 400_001)
    samples = point + t[:, None] * direction / np.linalg.norm(direction)
    for x in rng.uniform(-4.0, 4.0, size=(5, 2)):
        nearest = samples[np.argmin(np.sum((samples - x) ** 2, axis=1))]
        np.testing.assert_allclose(
            project_line(x, point, direction), nearest, atol=1e-4
        )


def test_project_line_membership_orthogonality_and_idempotence(rng):
    point, direction = rng.normal(size=3), rng.normal(size=3)
    x = rng.normal(size=(4, 6, 3))  # leading axes are independent points
    p = project_line(x, point, direction)
    assert p.shape == x.shape
    # on the line: p - point is parallel to the direction
    np.testing.assert_allclose(np.cross(p - point, direction), 0.0, atol=1e-12)
    # the residual is orthogonal to the line
    np.testing.assert_allclose((x - p) @ direction, 0.0, atol=1e-12)
    np.testing.assert_allclose(project_line(p, point, direction), p, atol=1e-12)
    # the scale of the direction does not matter
    np.testing.assert_allclose(project_line(x, point, -7.0 * direction), p, atol=1e-12)


def test_project_line_rejects_bad_input():
    with pytest.raises(ValueError, match="direction"):
        project_line([1.0, 2.0], [0.0, 0.0], [0.0, 0.0])
    with pytest.raises(ValueError, match="direction"):
        project_line([1.0, 2.0], [0.0, 0.0], [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="dimension 2"):
        project_line([1.0, 2.0, 3.0], [0.0, 0.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="NaN"):
        project_line([1.0, 2.0], [np.nan, 0.0], [1.0, 0.0])


# ---------------------------------------------------------------------------- circles


def test_project_circle_matches_a_dense_search_over_the_circle(rng):
    center, radius = np.array([0.3, -0.2]), 1.7
    angle = np.linspace(0.0, 2.0 * np.pi, 200_000, endpoint=False)
    samples = center + radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    for x in rng.uniform(-3.0, 3.0, size=(8, 2)):
        nearest = samples[np.argmin(np.sum((samples - x) ** 2, axis=1))]
        np.testing.assert_allclose(
            project_circle(x, center, radius), nearest, atol=1e-4
        )


def test_project_sphere_matches_scipy_minimization(rng):
    center, radius = rng.normal(size=3), 0.8
    for x in rng.normal(scale=2.0, size=(6, 3)):

        def distance(angles):
            theta, phi = angles
            s = center + radius * np.array(
                [
                    np.sin(theta) * np.cos(phi),
                    np.sin(theta) * np.sin(phi),
                    np.cos(theta),
                ]
            )
            return np.sum((s - x) ** 2)

        best = min(
            (
                minimize(
                    distance,
                    start,
                    method="Nelder-Mead",
                    options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 5000},
                )
                for start in [(0.5, 0.0), (1.5, 2.0), (2.5, -2.0), (1.0, 4.0)]
            ),
            key=lambda r: r.fun,
        )
        assert np.sum((project_circle(x, center, radius) - x) ** 2) <= best.fun + 1e-9


def test_project_circle_membership_and_idempotence(rng):
    center, radius = np.array([1.0, 2.0]), 0.5
    x = rng.normal(scale=3.0, size=(7, 5, 2))
    p = project_circle(x, center, radius)
    assert p.shape == x.shape
    np.testing.assert_allclose(np.linalg.norm(p - center, axis=-1), radius, atol=1e-12)
    np.testing.assert_allclose(project_circle(p, center, radius), p, atol=1e-12)
    # the projection lies on the ray from the center through x
    u, v = p - center, x - center
    np.testing.assert_allclose(
        u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0], 0.0, atol=1e-12
    )
    assert np.all(np.sum((p - center) * (x - center), axis=-1) > 0)


def test_project_circle_sends_the_center_to_the_documented_point():
    np.testing.assert_allclose(project_circle([1.0, 2.0], [1.0, 2.0], 3.0), [4.0, 2.0])
    np.testing.assert_allclose(
        project_circle(np.zeros(3), np.zeros(3), 2.0), [2.0, 0, 0]
    )


def test_project_circle_rejects_bad_radius():
    for radius in (0.0, -1.0, np.inf, np.nan):
        with pytest.raises(ValueError, match="radius"):
            project_circle([1.0, 0.0], [0.0, 0.0], radius)


# --------------------------------------------------------------------- finite sets


def _nearest_by_loop(x, points):
    best, best_d = None, np.inf
    for p in points:
        d = float(np.sum((p - x) ** 2))
        if d < best_d:  # strict: the first one wins a tie
            best, best_d = p, d
    return best


def test_project_points_matches_a_plain_loop(rng):
    points = rng.normal(size=(25, 3))
    x = rng.normal(scale=2.0, size=(40, 3))
    expected = np.array([_nearest_by_loop(xi, points) for xi in x])
    np.testing.assert_array_equal(project_points(x, points), expected)


def test_project_points_membership_idempotence_and_batch_shape(rng):
    points = np.array([(i, j) for j in range(6) for i in range(6)], dtype=float)
    x = rng.uniform(-1.0, 6.0, size=(3, 4, 2))
    p = project_points(x, points)
    assert p.shape == x.shape
    member = np.any(np.all(p[..., None, :] == points, axis=-1), axis=-1)
    assert member.all()
    np.testing.assert_array_equal(project_points(p, points), p)
    # on the integer grid the nearest point is the rounded point (clipped to the grid)
    np.testing.assert_array_equal(p, np.clip(np.round(x), 0, 5))


def test_project_points_breaks_ties_in_favour_of_the_first_point():
    points = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_array_equal(project_points([0.0, -5.0], points), [1.0, 0.0])
    np.testing.assert_array_equal(
        project_points([0.0, -5.0], points[::-1][1:]), [-1.0, 0.0]
    )


def test_project_points_rejects_bad_input():
    with pytest.raises(ValueError, match="at least one"):
        project_points([0.0, 0.0], np.zeros((0, 2)))
    with pytest.raises(ValueError, match="2-d"):
        project_points([0.0, 0.0], [0.0, 0.0])
    with pytest.raises(ValueError, match="dimension 2"):
        project_points([0.0, 0.0, 0.0], np.zeros((3, 2)))
