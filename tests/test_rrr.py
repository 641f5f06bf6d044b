"""RRR and alternating projections: convergence on flats, the drift of the infeasible
case, the ADMM equivalence of Appendix A, stalls of alternating projections, resuming,
errors."""

from __future__ import annotations

import numpy as np
import pytest

from lossless_tutorial import alternating_projections, rrr
from lossless_tutorial.toy_sets import project_line, project_points


def affine_projection(basis, offset):
    """Projection onto {offset + basis @ t}, by least squares (independent of
    toy_sets)."""

    def project(x):
        t = np.linalg.lstsq(basis, x - offset, rcond=None)[0]
        return offset + basis @ t

    return project


def test_rrr_finds_a_point_of_two_meeting_flats(rng):
    # two planes in R^4 meeting in a line: solve for the intersection independently
    a_basis, b_basis = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    common = rng.normal(size=4)
    project_a = affine_projection(a_basis, common)
    project_b = affine_projection(b_basis, common)
    result = rrr(
        rng.normal(size=4), project_a, project_b, beta=0.7, max_iter=5000, tol=1e-12
    )
    assert result.converged and result.status == "converged"
    x = result.solution
    np.testing.assert_allclose(project_a(x), x, atol=1e-10)
    np.testing.assert_allclose(project_b(x), x, atol=1e-10)
    assert result.errors.size == result.n_iter and result.errors[-1] < 1e-12


def test_rrr_solution_is_pa_of_fixed_point_not_the_fixed_point():
    # lines through the origin in R^3: the fixed points are the common normal line
    project_a = lambda x: project_line(x, np.zeros(3), [1.0, 0.0, 0.0])  # noqa: E731
    project_b = lambda x: project_line(x, np.zeros(3), [1.0, 1.0, 0.0])  # noqa: E731
    result = rrr(
        np.array([0.3, -1.0, 2.0]),
        project_a,
        project_b,
        beta=0.5,
        tol=1e-13,
        max_iter=10000,
    )
    assert result.converged
    np.testing.assert_allclose(result.solution, 0.0, atol=1e-11)
    # the z component is orthogonal to both lines: it never changes
    assert abs(result.x[2] - 2.0) < 1e-12 and np.linalg.norm(result.x) > 1.0


@pytest.mark.parametrize("beta", [0.3, 1.0])
def test_rrr_drifts_when_lines_do_not_meet(beta):
    gap = 0.8
    project_a = lambda x: project_line(x, np.array([0.0, 0.0]), [1.0, 0.0])  # noqa: E731
    project_b = lambda x: project_line(x, np.array([0.0, gap]), [1.0, 0.0])  # noqa: E731
    result = rrr(
        np.array([0.5, 0.3]), project_a, project_b, beta=beta, max_iter=60, tol=0.0
    )
    assert result.status == "max_iter" and not result.converged
    np.testing.assert_allclose(result.errors, gap)
    # the iterate moves by beta * gap along the common normal every iteration
    after = rrr(result.x, project_a, project_b, beta=beta, max_iter=1, tol=0.0)
    np.testing.assert_allclose(after.x - result.x, [0.0, beta * gap], atol=1e-12)


def test_rrr_with_beta_one_is_admm_with_alpha_one(rng):
    """Appendix A: ADMM (z = P_A(x - y); y += z - x; x = P_B(z + y)) in x - y is RRR."""
    a_basis, b_basis = rng.normal(size=(5, 2)), rng.normal(size=(5, 3))
    project_a = affine_projection(a_basis, rng.normal(size=5))
    project_b = affine_projection(b_basis, rng.normal(size=5))
    x, y = rng.normal(size=5), np.zeros(5)
    shifted = [x - y]
    for _ in range(15):
        z = project_a(x - y)
        y = y + (z - x)
        x = project_b(z + y)
        shifted.append(x - y)
    for start, expected in zip(shifted[:-1], shifted[1:]):
        step = rrr(start, project_a, project_b, beta=1.0, max_iter=1, tol=0.0)
        np.testing.assert_allclose(step.x, expected, atol=1e-10)


def discrete_problem():
    points = np.array([[i, j] for i in range(-3, 4) for j in range(-3, 4)], dtype=float)
    project_a = lambda x: project_points(x, points)  # noqa: E731
    project_b = lambda x: project_line(x, np.array([2.0, -1.0]), [1.0, 0.43])  # noqa: E731
    return project_a, project_b


def sign_vector_problem(rng, n=20, m=10):
    """Find x in {-1, 1}^n (set A, non-convex) with M x = c (set B, a flat)."""
    matrix = rng.normal(size=(m, n))
    c = matrix @ rng.choice([-1.0, 1.0], size=n)
    pinv = np.linalg.pinv(matrix)
    return (lambda x: np.where(x >= 0, 1.0, -1.0)), (
        lambda x: x - pinv @ (matrix @ x - c)
    )


def test_alternating_projections_stall_where_rrr_does_not(rng):
    project_a, project_b = sign_vector_problem(rng)
    rrr_solved = ap_solved = 0
    for trial in range(20):
        x0 = rng.normal(size=20)
        ap = alternating_projections(x0, project_a, project_b, max_iter=1000, tol=1e-9)
        ap_solved += ap.converged
        if (
            not ap.converged
        ):  # stuck: a pair of locally nearest points, error constant > 0
            assert ap.errors[-1] > 1e-3 and np.ptp(ap.errors[-5:]) < 1e-9
        result = rrr(x0, project_a, project_b, beta=0.5, max_iter=1000, tol=1e-9)
        if result.converged:
            rrr_solved += 1
            np.testing.assert_allclose(
                project_b(result.solution), result.solution, atol=1e-8
            )
    assert rrr_solved >= 18 and ap_solved <= 4, (rrr_solved, ap_solved)


def test_resume_continues_the_same_orbit(rng):
    project_a, project_b = discrete_problem()
    x0 = rng.normal(size=2)
    whole = rrr(x0, project_a, project_b, beta=0.4, max_iter=40, tol=0.0)
    first = rrr(x0, project_a, project_b, beta=0.4, max_iter=25, tol=0.0)
    rest = rrr(first.x, project_a, project_b, beta=0.4, max_iter=15, tol=0.0)
    np.testing.assert_allclose(rest.x, whole.x, atol=1e-12)
    np.testing.assert_allclose(
        np.concatenate([first.errors, rest.errors]), whole.errors
    )


def test_callback_can_stop_and_interrupt_returns_progress():
    project_a, project_b = discrete_problem()
    seen = []
    result = rrr(
        [0.1, 0.2],
        project_a,
        project_b,
        max_iter=100,
        tol=0.0,
        callback=lambda i, x, err: seen.append(i) or i == 4,
    )
    assert result.status == "stopped" and result.n_iter == 5 and seen == list(range(5))

    def interrupt(i, x, err):
        if i == 7:
            raise KeyboardInterrupt

    result = rrr(
        [0.1, 0.2], project_a, project_b, max_iter=100, tol=0.0, callback=interrupt
    )
    assert result.status == "interrupted" and result.n_iter == 8
    assert np.all(np.isfinite(result.x))


def test_callback_sees_every_iterate_including_the_converged_one(rng):
    project_a, project_b = sign_vector_problem(rng)
    seen = []
    result = rrr(
        rng.normal(size=20),
        project_a,
        project_b,
        beta=0.5,
        max_iter=1000,
        tol=1e-9,
        callback=lambda i, x, err: seen.append((i, x.copy(), err)) and False,
    )
    assert result.converged and len(seen) == result.n_iter
    np.testing.assert_array_equal(seen[-1][1], result.x)
    assert [e for _, _, e in seen] == list(result.errors)


def test_metric_weights_the_error():
    project_a = lambda x: np.array([x[0], 0.0])  # noqa: E731
    project_b = lambda x: np.array([x[0], 1.0])  # noqa: E731
    plain = rrr([0.0, 0.0], project_a, project_b, max_iter=1, tol=0.0)
    weighted = rrr(
        [0.0, 0.0], project_a, project_b, max_iter=1, tol=0.0, metric=[1.0, 4.0]
    )
    assert plain.errors[0] == pytest.approx(1.0) and weighted.errors[
        0
    ] == pytest.approx(2.0)
    custom = rrr(
        [0.0, 0.0],
        project_a,
        project_b,
        max_iter=1,
        tol=0.0,
        metric=lambda d: float(np.abs(d).max()) * 3,
    )
    assert custom.errors[0] == pytest.approx(3.0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"beta": 0.0}, "beta"),
        ({"beta": -1.0}, "beta"),
        ({"beta": np.nan}, "beta"),
        ({"max_iter": -1}, "max_iter"),
        ({"max_iter": 2.5}, "max_iter"),
        ({"tol": -1e-3}, "tol"),
        ({"metric": [1.0, -1.0]}, "metric"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, message):
    project_a, project_b = discrete_problem()
    with pytest.raises(ValueError, match=rf"\b{message}\b"):
        rrr([0.0, 0.0], project_a, project_b, **kwargs)


def test_nonfinite_start_raises():
    project_a, project_b = discrete_problem()
    with pytest.raises(ValueError, match="x0"):
        rrr([np.nan, 0.0], project_a, project_b)
    with pytest.raises(ValueError, match="x0"):
        alternating_projections([np.inf, 0.0], project_a, project_b)


@pytest.mark.parametrize("method", [rrr, alternating_projections])
def test_nonfinite_error_stops_with_diverged_status(method):
    """A projection that returns NaN or inf stops the search; the last finite iterate is
    kept."""
    calls = {"n": 0}

    def project_a(x):
        return np.array([x[0], 0.0])

    def project_b(x):
        calls["n"] += 1
        return np.array([x[0], 1.0]) if calls["n"] < 4 else np.array([np.nan, 1.0])

    result = method([0.0, 0.0], project_a, project_b, max_iter=100, tol=0.0)
    assert result.status == "diverged" and not result.converged
    assert result.n_iter == 3 and result.errors.size == 3
    assert np.all(np.isfinite(result.x)) and np.all(np.isfinite(result.errors))


@pytest.mark.parametrize("which", ["project_a", "project_b"])
def test_projection_of_the_wrong_shape_is_named(which):
    good = lambda x: np.asarray(x)  # noqa: E731
    bad = lambda x: np.asarray(x)[:1]  # noqa: E731
    projections = {"project_a": good, "project_b": good, which: bad}
    with pytest.raises(ValueError, match=rf"\b{which}\b.*\(2,\)"):
        rrr([0.0, 0.0], projections["project_a"], projections["project_b"], max_iter=3)


def test_metric_of_the_wrong_shape_is_named():
    project_a, project_b = discrete_problem()
    with pytest.raises(ValueError, match=r"\bmetric\b.*\(2,\)"):
        rrr([0.0, 0.0], project_a, project_b, metric=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"\bmetric\b"):
        rrr([0.0, 0.0], project_a, project_b, metric=[1.0, np.inf])
