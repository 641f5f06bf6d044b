"""Tests of the analytic (alternating exact least-squares) training of a two-layer
leaky-ReLU network. Every reference value is computed independently: explicit loops for
the design matrices, ``np.linalg.lstsq`` / normal equations for the optima, finite
differences for the gradient."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from threadpoolctl import threadpool_limits

from lossless_tutorial.related.analytic_relu import (
    AnalyticTrace,
    activation_pattern,
    balance,
    fit_analytic,
    hidden_design,
    init_params,
    make_loss_and_grad,
    mse,
    output_design,
    predict,
    solve_hidden_layer,
    solve_output_layer,
    teacher_student,
)


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """The solves are small; threads only contend on a shared machine."""
    with threadpool_limits(limits=1):
        yield


# ------------------------------------------------------------ independent references
def forward_loop(V, w, X, leak):
    """f(x_i) = sum_j w_j max(z, leak z) + w_0, one item and one unit at a time."""
    out = np.empty(len(X))
    for i, x in enumerate(X):
        total = w[-1]
        for j in range(V.shape[0]):
            z = V[j, :-1] @ x + V[j, -1]
            total += w[j] * (z if z > 0 else leak * z)
        out[i] = total
    return out


def hidden_design_loop(X, w, D):
    n, d = X.shape
    h = D.shape[1]
    Z = np.zeros((n, h * (d + 1)))
    for i in range(n):
        for j in range(h):
            Z[i, j * (d + 1) : (j + 1) * (d + 1)] = (
                w[j] * D[i, j] * np.append(X[i], 1.0)
            )
    return Z


def pattern_loop(X, V, leak):
    D = np.empty((len(X), V.shape[0]))
    for i in range(len(X)):
        for j in range(V.shape[0]):
            D[i, j] = 1.0 if V[j, :-1] @ X[i] + V[j, -1] > 0 else leak
    return D


def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), (y - y.mean()) / y.std()


@pytest.fixture
def small(rng):
    X = rng.normal(size=(40, 3))
    y = rng.normal(size=40)
    V, w = init_params(3, 4, random_state=rng)
    w[-1] = 0.7  # a non-zero output bias w_0
    return X, y, V, w


# ------------------------------------------------------------------------- network
@pytest.mark.parametrize("leak", [0.0, 0.1, 0.5])
def test_predict_and_pattern_match_loops(small, leak):
    X, y, V, w = small
    np.testing.assert_allclose(
        predict([V, w], X, leak=leak),
        forward_loop(V, w, X, leak),
        rtol=1e-12,
        atol=1e-12,
    )
    np.testing.assert_array_equal(
        activation_pattern(X, V, leak=leak), pattern_loop(X, V, leak)
    )
    expected_mse = np.mean((forward_loop(V, w, X, leak) - y) ** 2)
    assert mse([V, w], X, y, leak=leak) == pytest.approx(expected_mse, rel=1e-12)


def test_output_design_gives_the_network_output(small):
    X, y, V, w = small
    H = output_design(X, V, leak=0.2)
    assert H.shape == (40, 5)
    np.testing.assert_allclose(H @ w, forward_loop(V, w, X, 0.2), atol=1e-12)
    np.testing.assert_array_equal(H[:, -1], 1.0)


def test_hidden_design_matches_loop_and_is_exact_within_the_cell(small, rng):
    X, y, V, w = small
    leak = 0.1
    D = activation_pattern(X, V, leak=leak)
    Z = hidden_design(X, w, D)
    np.testing.assert_allclose(Z, hidden_design_loop(X, w, D), rtol=0, atol=0)
    # same pattern -> output is linear in theta: f = Z theta + w_0 exactly
    np.testing.assert_allclose(
        Z @ V.ravel() + w[-1], forward_loop(V, w, X, leak), atol=1e-12
    )
    # a move that changes the pattern breaks the identity
    V_far = V + rng.normal(scale=3.0, size=V.shape)
    assert np.any(activation_pattern(X, V_far, leak=leak) != D)
    assert not np.allclose(Z @ V_far.ravel() + w[-1], forward_loop(V_far, w, X, leak))


def test_gradient_matches_central_differences(small):
    X, y, V, w = small
    loss_and_grad = make_loss_and_grad(X, y, leak=0.1)
    loss, (gV, gw) = loss_and_grad([V, w])
    assert loss == pytest.approx(
        np.mean((forward_loop(V, w, X, 0.1) - y) ** 2), rel=1e-12
    )
    eps = 1e-6
    for array, grad in [(V, gV), (w, gw)]:
        numeric = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            saved = array[index]
            array[index] = saved + eps
            up = loss_and_grad([V, w])[0]
            array[index] = saved - eps
            down = loss_and_grad([V, w])[0]
            array[index] = saved
            numeric[index] = (up - down) / (2 * eps)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


# -------------------------------------------------------------------- layer solves
@pytest.mark.parametrize("solver", ["lstsq", "normal"])
def test_output_solve_is_the_least_squares_optimum(small, solver):
    X, y, V, w = small
    H = np.column_stack(
        [
            np.maximum(X @ V[:, :-1].T + V[:, -1], 0.3 * (X @ V[:, :-1].T + V[:, -1])),
            np.ones(len(X)),
        ]
    )
    reference = np.linalg.lstsq(H, y, rcond=None)[0]
    w_star = solve_output_layer(X, y, V, leak=0.3, solver=solver)
    np.testing.assert_allclose(w_star, reference, rtol=1e-8, atol=1e-10)
    # ridge: closed form (H^T H + n lambda I)^-1 H^T y
    lam = 0.05
    ridge_ref = np.linalg.solve(H.T @ H + len(y) * lam * np.eye(H.shape[1]), H.T @ y)
    np.testing.assert_allclose(
        solve_output_layer(X, y, V, leak=0.3, ridge=lam, solver=solver),
        ridge_ref,
        rtol=1e-9,
    )


@pytest.mark.parametrize("solver", ["lstsq", "normal"])
def test_hidden_solve_is_the_least_squares_optimum_with_the_pattern_frozen(
    small, solver
):
    X, y, V, w = small
    D = pattern_loop(X, V, 0.1)
    Z = hidden_design_loop(X, w, D)
    target = y - w[-1]
    reference = np.linalg.lstsq(Z, target, rcond=None)[0]  # n = 40 > p = 16: unique
    V_star = solve_hidden_layer(X, y, w, D, solver=solver)
    assert V_star.shape == V.shape
    np.testing.assert_allclose(V_star.ravel(), reference, rtol=1e-7, atol=1e-9)
    # normal equations hold: the residual is orthogonal to every column of Z
    residual = Z @ V_star.ravel() - target
    assert np.abs(Z.T @ residual).max() < 1e-9 * np.abs(Z.T @ target).max()
    # and no random move does better on the frozen-pattern quadratic
    rng = np.random.default_rng(1)
    best = np.sum(residual**2)
    for _ in range(50):
        moved = V_star.ravel() + rng.normal(scale=1e-3, size=V_star.size)
        assert np.sum((Z @ moved - target) ** 2) > best
    lam = 0.01
    ridge_ref = np.linalg.solve(
        Z.T @ Z + len(y) * lam * np.eye(Z.shape[1]), Z.T @ target
    )
    np.testing.assert_allclose(
        solve_hidden_layer(X, y, w, D, ridge=lam, solver=solver).ravel(),
        ridge_ref,
        rtol=1e-8,
    )


def test_hidden_solve_recovers_weights_in_the_same_cell(rng):
    # y comes from hidden weights with the same pattern as V: the frozen solve is exact
    # and is then the optimum of the true loss (zero).
    X = rng.normal(size=(200, 4))
    V, w = init_params(4, 3, random_state=rng)
    w[-1] = -0.4
    D = activation_pattern(X, V, leak=0.1)
    for scale in [1e-2, 1e-3, 1e-4]:
        V_true = V + rng.normal(scale=scale, size=V.shape)
        if np.array_equal(activation_pattern(X, V_true, leak=0.1), D):
            break
    else:
        pytest.fail("could not draw a perturbation that keeps the pattern")
    y = predict([V_true, w], X, leak=0.1)
    V_star = solve_hidden_layer(X, y, w, D)
    np.testing.assert_allclose(V_star, V_true, atol=1e-10)
    assert mse([V_star, w], X, y, leak=0.1) < 1e-24


def test_balance_keeps_function_and_pattern(small):
    X, y, V, w = small
    w = w.copy()
    w[1] = 0.0  # a unit with zero output weight is kept
    V2, w2 = balance([V, w])
    np.testing.assert_allclose(predict([V2, w2], X), predict([V, w], X), atol=1e-12)
    np.testing.assert_array_equal(activation_pattern(X, V2), activation_pattern(X, V))
    keep = w[:-1] != 0
    np.testing.assert_allclose(np.abs(w2[:-1][keep]), np.linalg.norm(V2, axis=1)[keep])
    np.testing.assert_array_equal(V2[1], V[1])


# ------------------------------------------------------------------- the alternation
def test_fits_a_noise_free_teacher_to_high_precision():
    for seed in range(2):
        X, y = teacher_student(600, 4, 6, random_state=seed)
        trace = fit_analytic(
            X,
            y,
            12,
            leak=0.1,
            solver="lstsq",
            ridge=0.0,
            max_iter=200,
            random_state=seed,
        )
        assert trace.losses[-1] < 1e-8, (seed, trace.losses[-1])
        assert trace.losses[-1] == pytest.approx(
            np.mean((forward_loop(*trace.params, X, 0.1) - y) ** 2), rel=1e-6, abs=1e-20
        )


@pytest.mark.parametrize("case", ["teacher_noisy", "diabetes"])
def test_safeguarded_loss_never_increases(case):
    if case == "diabetes":
        X, y = diabetes()
    else:
        X, y = teacher_student(500, 5, 8, noise=0.1, random_state=3)
    trace = fit_analytic(X, y, 15, max_iter=60, random_state=0)
    assert isinstance(trace, AnalyticTrace)
    assert trace.n_iter >= 10
    assert np.all(np.diff(trace.losses) < 0)
    # the recorded loss is the true loss of the returned parameters
    V, w = trace.params
    assert trace.losses[-1] == pytest.approx(
        np.mean((forward_loop(V, w, X, 0.1) - y) ** 2), rel=1e-10
    )
    # accepted steps are t = 2^-k >= min_step; every iteration did one hidden solve
    t = trace.step_sizes[1:]
    assert np.all((t <= 1) & (t >= 1e-4))
    np.testing.assert_array_equal(np.log2(t), np.round(np.log2(t)))
    n_hidden_solves, n_output_solves = trace.n_solves
    assert n_hidden_solves == trace.n_iter + (trace.status == "stalled")
    assert n_output_solves >= trace.n_iter + 1
    assert np.all(np.diff(trace.times) >= 0)
    assert trace.loss_at(np.inf) == trace.losses[-1]


def test_without_the_safeguard_the_loss_can_rise():
    X, y = diabetes()
    trace = fit_analytic(X, y, 20, max_iter=30, safeguard=False, random_state=0)
    assert np.all(trace.step_sizes[1:] == 1.0)
    assert np.any(np.diff(trace.losses) > 0)
    assert trace.pattern_flips[1:].max() > 0


def test_same_seed_same_run_and_init_is_used():
    X, y = teacher_student(300, 3, 4, noise=0.05, random_state=5)
    a = fit_analytic(X, y, 6, max_iter=15, random_state=1)
    b = fit_analytic(X, y, 6, max_iter=15, random_state=1)
    c = fit_analytic(X, y, 6, max_iter=15, init=init_params(3, 6, random_state=1))
    np.testing.assert_array_equal(a.losses, b.losses)
    np.testing.assert_array_equal(a.losses, c.losses)
    assert a.losses[0] == pytest.approx(
        mse(
            [
                init_params(3, 6, random_state=1)[0],
                solve_output_layer(
                    X, y, init_params(3, 6, random_state=1)[0], ridge=1e-12
                ),
            ],
            X,
            y,
        ),
        rel=1e-8,
    )


def test_max_iter_zero_returns_the_output_solve_only(small):
    X, y, V, w = small
    trace = fit_analytic(X, y, 4, max_iter=0, init=[V, w], solver="lstsq", ridge=0.0)
    assert trace.status == "max_iter" and trace.n_iter == 0
    np.testing.assert_allclose(trace.params[1], solve_output_layer(X, y, V), atol=1e-12)


# ---------------------------------------------------------------------------- data
def test_teacher_student_data():
    X, y = teacher_student(500, 3, 5, random_state=2)
    assert X.shape == (500, 3) and y.shape == (500,)
    assert y.mean() == pytest.approx(0, abs=1e-12) and y.std() == pytest.approx(1)
    X2, y2 = teacher_student(500, 3, 5, noise=0.5, random_state=2)
    np.testing.assert_array_equal(X, X2)
    assert np.std(y2 - y) == pytest.approx(0.5, rel=0.1)
    X3, _ = teacher_student(500, 3, 5, random_state=np.random.default_rng(2))
    np.testing.assert_array_equal(X, X3)


# -------------------------------------------------------------------- bad arguments
def test_bad_arguments(small):
    X, y, V, w = small
    cases = [
        (lambda: fit_analytic(X, y, 4, leak=1.0), "leak"),
        (lambda: fit_analytic(X, y, 4, leak=-0.1), "leak"),
        (lambda: fit_analytic(X, y[:-1], 4), "y"),
        (lambda: fit_analytic(X[:, :, None], y, 4), "X"),
        (lambda: fit_analytic(np.where(X > 1, np.nan, X), y, 4), "X"),
        (lambda: fit_analytic(X, y, 0), "n_hidden"),
        (lambda: fit_analytic(X, y, 4, solver="qr"), "solver"),
        (lambda: fit_analytic(X, y, 4, ridge=-1.0), "ridge"),
        (lambda: fit_analytic(X, y, 4, min_step=0.0), "min_step"),
        (lambda: fit_analytic(X, y, 4, max_iter=-1), "max_iter"),
        (lambda: fit_analytic(X, y, 4, random_state="seed"), "random_state"),
        (lambda: fit_analytic(X, y, 5, init=[V, w]), "init"),
        (lambda: predict([V, w[:-1]], X), "w"),
        (lambda: predict([V[:, :-1], w], X), "V"),
        (lambda: hidden_design(X, w, np.ones((40, 3))), "pattern"),
        (lambda: teacher_student(10, 2, 3, noise=-1.0), "noise"),
        (lambda: init_params(3, 0), "n_hidden"),
    ]
    for call, name in cases:
        with pytest.raises(ValueError, match=name):
            call()
