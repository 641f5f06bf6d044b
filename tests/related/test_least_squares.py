import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import expit, logit

from lossless_tutorial.related.least_squares import (
    OneHiddenLayerConstraints,
    activate,
    fit_layer,
    fit_to_targets,
    ideal_pre_activations,
    init_mlp,
    inverse_activation,
    least_squares_step,
    make_loss_and_grad,
    min_norm_back_solve,
    mse,
    predict,
    project_activation_graph,
    smooth_regression_task,
    train_least_squares,
)
from lossless_tutorial.rrr import rrr


def reference_predict(params, X, sigma):
    """Item by item, layer by layer, with explicit sums (independent of the module)."""
    out = []
    n_layers = len(params) // 2
    for x in X:
        a = list(x)
        for layer in range(n_layers):
            W, b = params[2 * layer], params[2 * layer + 1]
            z = [
                sum(W[j, i] * a[i] for i in range(len(a))) + b[j] for j in range(len(b))
            ]
            a = z if layer == n_layers - 1 else [sigma(v) for v in z]
        out.append(a[0])
    return np.array(out)


SIGMAS = {
    "tanh": np.tanh,
    "logistic": expit,
    "leaky_relu": lambda v: v if v > 0 else 0.1 * v,
}


# ---------------------------------------------------------------- the backward solve
def test_back_solve_with_mu_zero_is_the_pseudoinverse_solution(rng):
    W = rng.normal(size=(3, 7))  # wide: W da = dz has many solutions
    dz = rng.normal(size=(5, 3))
    da = min_norm_back_solve(W, dz, mu=0.0)
    np.testing.assert_allclose(da, dz @ np.linalg.pinv(W).T, atol=1e-12)
    np.testing.assert_allclose(da @ W.T, dz, atol=1e-12)  # exact solution ...
    other = da + rng.normal(size=(5, 7)) @ (np.eye(7) - np.linalg.pinv(W) @ W)
    np.testing.assert_allclose(other @ W.T, dz, atol=1e-12)  # ... and the shortest one
    assert np.all(np.linalg.norm(other, axis=1) > np.linalg.norm(da, axis=1))


def test_back_solve_with_mu_zero_on_a_tall_rank_deficient_matrix(rng):
    W = rng.normal(size=(6, 2)) @ rng.normal(size=(2, 4))  # rank 2: no exact solution
    dz = rng.normal(size=(3, 6))
    expected = np.linalg.lstsq(W, dz.T, rcond=None)[0].T
    np.testing.assert_allclose(min_norm_back_solve(W, dz), expected, atol=1e-10)
    np.testing.assert_allclose(
        min_norm_back_solve(W, dz), dz @ np.linalg.pinv(W).T, atol=1e-10
    )


@pytest.mark.parametrize("shape", [(1, 16), (4, 3), (16, 16)])
def test_back_solve_with_ridge_minimises_the_regularised_residual(rng, shape):
    mu = 0.3
    W = rng.normal(size=shape)
    dz = rng.normal(size=(6, shape[0]))
    # argmin |W da - dz|^2 + mu |da|^2 as an ordinary least-squares problem
    stacked = np.vstack([W, np.sqrt(mu) * np.eye(shape[1])])
    rhs = np.vstack([dz.T, np.zeros((shape[1], 6))])
    expected = np.linalg.lstsq(stacked, rhs, rcond=None)[0].T
    np.testing.assert_allclose(min_norm_back_solve(W, dz, mu=mu), expected, atol=1e-12)
    np.testing.assert_allclose(
        min_norm_back_solve(W, dz[0], mu=mu), expected[0], atol=1e-12
    )


# ------------------------------------------------------------------- the layer solve
def test_fit_layer_without_ridge_matches_lstsq(rng):
    A = rng.normal(size=(40, 5))
    Z = rng.normal(size=(40, 3))
    W, b = fit_layer(A, Z)
    coef = np.linalg.lstsq(np.hstack([A, np.ones((40, 1))]), Z, rcond=None)[0]
    np.testing.assert_allclose(W, coef[:-1].T, atol=1e-12)
    np.testing.assert_allclose(b, coef[-1], atol=1e-12)
    W1, b1 = fit_layer(A, Z[:, 0])
    assert W1.shape == (1, 5) and b1.shape == (1,)
    np.testing.assert_allclose(W1[0], coef[:-1, 0], atol=1e-12)


def test_fit_layer_with_ridge_solves_the_normal_equations(rng):
    n, k, m, lam = 30, 4, 2, 0.7
    A = rng.normal(size=(n, k)) + 2.0
    Z = rng.normal(size=(n, m))
    # unpenalised bias: [[A'A + lam I, A'1], [1'A, n]] [W'; b'] = [A'Z; 1'Z]
    ones = np.ones((n, 1))
    lhs = np.block(
        [[A.T @ A + lam * np.eye(k), A.T @ ones], [ones.T @ A, np.array([[n]])]]
    )
    sol = np.linalg.solve(lhs, np.vstack([A.T @ Z, ones.T @ Z]))
    W, b = fit_layer(A, Z, ridge=lam)
    np.testing.assert_allclose(W, sol[:k].T, atol=1e-12)
    np.testing.assert_allclose(b, sol[k], atol=1e-12)


# ----------------------------------------------------------------------- activations
@pytest.mark.parametrize("activation", ["tanh", "logistic", "leaky_relu"])
def test_inverse_activation_inverts_the_activation_on_its_range(rng, activation):
    z = rng.uniform(-4, 4, size=200)
    np.testing.assert_allclose(
        inverse_activation(activate(z, activation), activation), z, rtol=1e-9, atol=1e-9
    )
    a = {
        "tanh": rng.uniform(-0.99, 0.99, 200),
        "logistic": rng.uniform(0.01, 0.99, 200),
        "leaky_relu": rng.normal(size=200),
    }[activation]
    np.testing.assert_allclose(
        activate(inverse_activation(a, activation), activation), a, atol=1e-12
    )


def test_activations_against_scipy_and_closed_forms(rng):
    z = rng.normal(size=50) * 3
    np.testing.assert_allclose(activate(z, "logistic"), expit(z), rtol=1e-13)
    a = rng.uniform(0.001, 0.999, 50)
    np.testing.assert_allclose(inverse_activation(a, "logistic"), logit(a), rtol=1e-10)
    np.testing.assert_allclose(
        activate(z, "leaky_relu", alpha=0.2), np.where(z > 0, z, 0.2 * z)
    )
    np.testing.assert_allclose(
        inverse_activation(np.array([2.0, -0.3]), "leaky_relu", alpha=0.2), [2.0, -1.5]
    )


def test_inverse_activation_clips_to_the_range_or_refuses():
    with pytest.raises(ValueError, match="a must lie"):
        inverse_activation([0.5, 1.0], "tanh")
    with pytest.raises(ValueError, match="a must lie"):
        inverse_activation([0.0], "logistic")
    out = inverse_activation([-3.0, 0.5, 1.0], "tanh", clip=0.9)
    np.testing.assert_allclose(
        out, [np.arctanh(-0.9), np.arctanh(0.5), np.arctanh(0.9)]
    )
    out = inverse_activation([1.5, -1.0], "logistic", clip=0.8)
    np.testing.assert_allclose(out, [np.log(0.9 / 0.1), np.log(0.1 / 0.9)])


# ---------------------------------------------------------------------- the network
@pytest.mark.parametrize("activation", ["tanh", "logistic", "leaky_relu"])
def test_predict_matches_an_item_by_item_forward_pass(rng, activation):
    params = init_mlp((3, 4, 5, 1), random_state=1)
    params[1] = rng.normal(size=4)
    X = rng.normal(size=(6, 3))
    np.testing.assert_allclose(
        predict(params, X, activation=activation),
        reference_predict(params, X, SIGMAS[activation]),
        atol=1e-12,
    )


@pytest.mark.parametrize("activation", ["tanh", "logistic", "leaky_relu"])
def test_gradient_matches_finite_differences(rng, activation):
    X = rng.normal(size=(12, 2))
    y = rng.normal(size=12)
    params = init_mlp((2, 4, 3, 1), random_state=2)
    params[1] = rng.normal(size=4)
    params[3] = rng.normal(size=3)
    loss, grads = make_loss_and_grad(X, y, activation=activation)(params)
    assert loss == pytest.approx(
        np.mean((reference_predict(params, X, SIGMAS[activation]) - y) ** 2)
    )
    h = 1e-6
    for p, g in zip(params, grads):
        numeric = np.zeros_like(p)
        for index in np.ndindex(p.shape):
            old = p[index]
            p[index] = old + h
            up = mse(params, X, y, activation=activation)
            p[index] = old - h
            down = mse(params, X, y, activation=activation)
            p[index] = old
            numeric[index] = (up - down) / (2 * h)
        np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-8)


def test_init_mlp_shapes_and_seeding():
    params = init_mlp((2, 16, 16, 1), random_state=3)
    assert [p.shape for p in params] == [(16, 2), (16,), (16, 16), (16,), (1, 16), (1,)]
    again = init_mlp((2, 16, 16, 1), random_state=np.random.default_rng(3))
    assert all(np.array_equal(p, q) for p, q in zip(params, again))
    assert not np.array_equal(params[0], init_mlp((2, 16, 16, 1), random_state=4)[0])


def test_smooth_regression_task_formula():
    X, y = smooth_regression_task(50, random_state=0)
    assert X.shape == (50, 2) and np.all(np.abs(X) <= 1)
    np.testing.assert_allclose(
        y, np.sin(3 * X[:, 0]) * np.cos(2 * X[:, 1]) + 0.5 * X[:, 0] * X[:, 1]
    )


# ------------------------------------------------------------ backward and forward
def test_ideal_activations_satisfy_the_layer_equation(rng):
    X = rng.normal(size=(20, 2))
    params = init_mlp((2, 6, 1), random_state=5)
    z2 = predict(params, X)
    y = z2 + 0.05 * rng.normal(size=20)  # small moves: no clipping happens
    for step in (1.0, 0.4):
        (z1_star, z2_star) = ideal_pre_activations(
            params, X, y, step=step, mu=0.0, clip=0.999
        )
        np.testing.assert_allclose(z2_star[:, 0], y)
        a_star = np.tanh(z1_star)
        # the output layer maps the ideal activations to z + step * (y - z)
        reached = a_star @ params[2][0] + params[3][0]
        np.testing.assert_allclose(reached, z2 + step * (y - z2), atol=1e-10)


def test_one_step_reaches_zero_loss_when_every_target_is_reachable(rng):
    # 5 items, 8 inputs: the first layer can produce any pre-activations exactly, so the
    # ideal activations are realised and the old output layer already fits y exactly.
    X = 0.3 * rng.normal(size=(5, 8))
    params = init_mlp((8, 3, 1), random_state=6)
    y = predict(params, X) + 0.05 * rng.normal(size=5)
    assert mse(params, X, y) > 1e-4
    z1_star = ideal_pre_activations(params, X, y, step=1.0, mu=0.0, clip=0.999)[0]
    assert np.abs(np.tanh(z1_star)).max() < 0.99  # the clip played no part
    new = least_squares_step(params, X, y, step=1.0, mu=0.0, ridge=0.0, clip=0.999)
    assert mse(new, X, y) < 1e-20


def test_forward_pass_fits_the_output_layer_by_least_squares(rng):
    X, y = smooth_regression_task(60, random_state=1)
    params = init_mlp((2, 5, 4, 1), random_state=7)
    targets = ideal_pre_activations(params, X, y, step=0.5)
    new = fit_to_targets(params, X, targets, ridge=0.0)
    hidden = np.tanh(np.tanh(X @ new[0].T + new[1]) @ new[2].T + new[3])
    coef = np.linalg.lstsq(np.hstack([hidden, np.ones((60, 1))]), y, rcond=None)[0]
    np.testing.assert_allclose(new[4][0], coef[:-1], atol=1e-9)
    np.testing.assert_allclose(new[5][0], coef[-1], atol=1e-9)
    # and the first layer is the least-squares fit of its targets on X
    coef1 = np.linalg.lstsq(np.hstack([X, np.ones((60, 1))]), targets[0], rcond=None)[0]
    np.testing.assert_allclose(new[0], coef1[:-1].T, atol=1e-9)


# -------------------------------------------------------------------- the training
def test_accepted_steps_lower_the_loss_and_the_step_rule():
    X, y = smooth_regression_task(200, random_state=2)
    params = init_mlp((2, 8, 8, 1), random_state=8)
    trace = train_least_squares(
        X, y, params, step=0.5, shrink=0.5, grow=1.5, max_iter=60
    )
    assert trace.losses[0] == pytest.approx(
        np.mean((reference_predict(params, X, np.tanh) - y) ** 2)
    )
    acc = trace.accepted[1:]
    assert acc[0] and acc.sum() >= 3 and (~acc).sum() >= 1
    change = np.diff(trace.losses)
    assert np.all(change[acc] < 0) and np.all(change[~acc] == 0)
    sizes = trace.step_sizes[1:]
    expected = np.where(acc[:-1], np.minimum(1.0, 1.5 * sizes[:-1]), 0.5 * sizes[:-1])
    np.testing.assert_allclose(sizes[1:], expected)
    assert trace.losses[-1] == pytest.approx(
        np.mean((reference_predict(trace.params, X, np.tanh) - y) ** 2)
    )
    assert np.array_equal(params[0], init_mlp((2, 8, 8, 1), random_state=8)[0])


def test_without_safeguard_every_step_is_taken():
    X, y = smooth_regression_task(100, random_state=3)
    params = init_mlp((2, 6, 1), random_state=9)
    trace = train_least_squares(X, y, params, step=0.3, safeguard=False, max_iter=15)
    assert trace.accepted.all() and trace.status == "max_iter"
    np.testing.assert_allclose(trace.step_sizes[1:], 0.3)
    candidate = least_squares_step(params, X, y, step=0.3)
    assert trace.losses[1] == pytest.approx(mse(candidate, X, y))


def test_stops_when_the_step_is_tiny():
    X, y = smooth_regression_task(100, random_state=3)
    trace = train_least_squares(
        X,
        y,
        init_mlp((2, 6, 1), random_state=9),
        step=0.5,
        min_step=0.1,
        shrink=0.5,
        max_iter=500,
    )
    assert trace.status in ("min_step", "converged")
    if trace.status == "min_step":
        assert trace.step_sizes[-1] * 0.5 < 0.1


# -------------------------------------------------------------- graph projection
@pytest.mark.parametrize("activation", ["tanh", "logistic", "leaky_relu"])
def test_graph_projection_matches_brute_force(rng, activation):
    z = rng.normal(size=60) * 2.5
    a = rng.normal(size=60) * 1.5
    z1, a1 = project_activation_graph(z, a, activation=activation)
    np.testing.assert_allclose(a1, activate(z1, activation), atol=1e-15)
    sigma = {
        "tanh": np.tanh,
        "logistic": expit,
        "leaky_relu": lambda t: np.where(t > 0, t, 0.1 * t),
    }[activation]
    for zi, ai, ti in zip(z, a, z1):
        dist = lambda t: (t - zi) ** 2 + (sigma(t) - ai) ** 2  # noqa: E731
        grid = np.linspace(zi - 8, zi + 8, 16001)
        t0 = grid[np.argmin(dist(grid))]
        best = minimize_scalar(
            dist,
            bounds=(t0 - 2e-3, t0 + 2e-3),
            method="bounded",
            options={"xatol": 1e-12},
        )
        assert dist(ti) <= best.fun + 1e-10
        assert abs(ti - best.x) < 1e-5


@pytest.mark.parametrize("activation", ["tanh", "logistic"])
def test_graph_projection_far_from_the_graph_finds_the_global_minimum(rng, activation):
    # far points: the distance along the graph can have two local minima
    z = rng.uniform(-6, 6, size=400)
    a = rng.uniform(-5, 5, size=400)
    z = np.append(z, -3.18319476)  # two minima of nearly equal depth (tanh)
    a = np.append(a, 4.37258968)
    sigma = {"tanh": np.tanh, "logistic": expit}[activation]
    z1, a1 = project_activation_graph(z, a, activation=activation)
    d = (z1 - z) ** 2 + (a1 - a) ** 2
    grid = z[:, None] + np.linspace(-12, 12, 12001)  # spacing 2e-3
    d_grid = ((grid - z[:, None]) ** 2 + (sigma(grid) - a[:, None]) ** 2).min(axis=1)
    assert np.all(d <= d_grid + 1e-12)  # at least as near as the grid
    assert np.all(d >= d_grid - 1e-5)  # and the grid is nearly exact


def test_graph_projection_keeps_points_of_the_graph(rng):
    z = rng.normal(size=30)
    for activation in ("tanh", "logistic", "leaky_relu"):
        z1, a1 = project_activation_graph(
            z, activate(z, activation), activation=activation
        )
        np.testing.assert_allclose(z1, z, atol=1e-12)


# --------------------------------------------------------------- the RRR sets
def _metric_distance(problem, x, y):
    return np.sqrt(np.sum(problem.metric * (x - y) ** 2))


def test_a_realizable_network_lies_in_both_sets(rng):
    X = rng.uniform(-1, 1, size=(15, 2))
    teacher = init_mlp((2, 4, 1), random_state=10)
    y = predict(teacher, X)
    problem = OneHiddenLayerConstraints(X, y, 4, g2=2.0)
    x = problem.point(teacher)
    np.testing.assert_allclose(problem.project_a(x), x, atol=1e-12)
    np.testing.assert_allclose(problem.project_b(x), x, atol=1e-12)
    net = problem.network(x)
    for p, q in zip(net, teacher):
        np.testing.assert_allclose(p, q, atol=1e-10)
    result = rrr(
        x, problem.project_a, problem.project_b, max_iter=5, metric=problem.metric
    )
    assert result.converged and result.n_iter == 1


def test_projections_land_in_their_sets_and_are_nearest(rng):
    X = rng.uniform(-1, 1, size=(10, 2))
    y = rng.normal(size=10)
    problem = OneHiddenLayerConstraints(X, y, 3, tolerance=0.1, g2=3.0)
    x = rng.normal(size=problem.size)
    pa, pb = problem.project_a(x), problem.project_b(x)
    Z, A, W, T = problem.unpack(pa)
    np.testing.assert_allclose(A[:, :3], np.tanh(Z), atol=1e-14)
    assert (
        np.all(A[:, 3] == 1)
        and np.allclose(W, W[0])
        and np.all(np.abs(T - y) <= 0.1 + 1e-12)
    )
    Z, A, W, T = problem.unpack(pb)
    X_aug = np.hstack([X, np.ones((10, 1))])
    V = np.linalg.lstsq(X_aug, Z, rcond=None)[0]
    np.testing.assert_allclose(X_aug @ V, Z, atol=1e-12)
    np.testing.assert_allclose(np.sum(A * W, axis=1), T, atol=1e-10)
    # no random point of either set is nearer (in the problem's metric)
    d_a, d_b = _metric_distance(problem, x, pa), _metric_distance(problem, x, pb)
    for _ in range(200):
        other = problem.point(init_mlp((2, 3, 1), random_state=rng))  # a point of B
        assert _metric_distance(problem, x, other) >= d_b
        near = pb + 0.05 * rng.normal(size=problem.size)  # nearby points of B
        Zn, An, Wn, Tn = problem.unpack(near)
        Zn[:] = X_aug @ np.linalg.lstsq(X_aug, Zn, rcond=None)[0]
        Tn[:] = np.sum(An * Wn, axis=1)
        assert _metric_distance(problem, x, near) >= d_b - 1e-12
        near = pa + 0.05 * rng.normal(size=problem.size)  # nearby points of A
        Zn, An, Wn, Tn = problem.unpack(near)
        An[:, :3], An[:, 3], Wn[:] = np.tanh(Zn), 1.0, Wn.mean(axis=0)
        Tn[:] = np.clip(Tn, y - 0.1, y + 0.1)
        assert _metric_distance(problem, x, near) >= d_a - 1e-12


# ------------------------------------------------------------------ bad input
def test_bad_arguments_name_the_argument():
    X, y = smooth_regression_task(10, random_state=0)
    params = init_mlp((2, 3, 1), random_state=0)
    with pytest.raises(ValueError, match="mu"):
        min_norm_back_solve(np.ones((2, 3)), np.ones((4, 2)), mu=-1.0)
    with pytest.raises(ValueError, match="delta_z"):
        min_norm_back_solve(np.ones((2, 3)), np.ones((4, 3)))
    with pytest.raises(ValueError, match="targets"):
        fit_layer(np.ones((4, 2)), np.ones((5, 1)))
    with pytest.raises(ValueError, match="ridge"):
        fit_layer(np.ones((4, 2)), np.ones(4), ridge=-0.1)
    with pytest.raises(ValueError, match="activation"):
        activate([0.0], "relu")
    with pytest.raises(ValueError, match="clip"):
        inverse_activation([0.0], clip=1.0)
    with pytest.raises(ValueError, match="layer_sizes"):
        init_mlp((2, 3, 2))
    with pytest.raises(ValueError, match="random_state"):
        init_mlp((2, 3, 1), random_state="seed")
    with pytest.raises(ValueError, match="y must have"):
        train_least_squares(X, y[:5], params)
    with pytest.raises(ValueError, match="step"):
        train_least_squares(X, y, params, step=0.0)
    with pytest.raises(ValueError, match="shrink"):
        train_least_squares(X, y, params, shrink=1.0)
    with pytest.raises(ValueError, match="grow"):
        train_least_squares(X, y, params, grow=0.5)
    with pytest.raises(ValueError, match="W2"):
        mse([params[0], params[1], np.ones((1, 4)), params[3]], X, y)
    with pytest.raises(ValueError, match="tolerance"):
        OneHiddenLayerConstraints(X, y, 3, tolerance=-1.0)
    with pytest.raises(ValueError, match="X must"):
        OneHiddenLayerConstraints(X[:, 0], y, 3)
