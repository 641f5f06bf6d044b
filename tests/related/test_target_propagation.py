import itertools
import math
import warnings

import numpy as np
import pytest

from lossless_tutorial.projections import project_bilinear
from lossless_tutorial.related import target_propagation as tp
from lossless_tutorial.related.target_propagation import (
    SignNetwork,
    feasible_hidden_targets,
    hard_sign,
    init_sign_network,
    layer_loss,
    layer_loss_derivative,
    make_circle_quadrants,
    separating_hyperplanes,
    sign_network_gradients,
    target_signal,
    train_rrr_step_network,
    train_sign_network,
    unit_signal,
)

XOR_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_SIGNS = np.array([-1.0, 1.0, 1.0, -1.0])
XOR_CLASSES = np.array([0, 1, 1, 0])


def grid_realizable(points, labels):
    """Brute force: can sign(w . x + b) with small integer w and half-integer b produce
    ``labels`` on ``points`` (..., m, 2) with integer coordinates? (Half-integer b never
    puts a point on the boundary.)"""
    w = np.arange(-3, 4)
    b = np.arange(-4, 4) + 0.5
    grid = np.array(list(itertools.product(w, w, b)))  # (g, 3)
    values = points @ grid[:, :2].T + grid[:, 2]  # (..., m, g)
    realized = np.where(values > 0, 1.0, -1.0)
    return np.any(np.all(realized == labels[..., :, None], axis=-2), axis=-1)


# --------------------------------------------------------------------------------------
# Feasible targets and separability
# --------------------------------------------------------------------------------------


def test_xor_has_16_feasible_target_settings_as_brute_force_says():
    assignments, feasible = feasible_hidden_targets(XOR_INPUTS, XOR_SIGNS, n_hidden=2)
    assert assignments.shape == (256, 2, 4)
    assert feasible.sum() == 16  # the deterministic check of the spec (16 of 256)
    hidden_ok = grid_realizable(XOR_INPUTS, assignments).all(axis=1)
    output_ok = grid_realizable(np.swapaxes(assignments, 1, 2), XOR_SIGNS)
    np.testing.assert_array_equal(feasible, hidden_ok & output_ok)
    # assignments enumerate every matrix exactly once
    assert np.unique(assignments.reshape(256, -1), axis=0).shape[0] == 256


def test_fourteen_of_sixteen_labelings_of_the_square_are_separable():
    labelings = np.array(list(itertools.product([-1.0, 1.0], repeat=4)))
    separable, weights, biases = separating_hyperplanes(XOR_INPUTS, labelings)
    assert separable.sum() == 14
    inseparable = {tuple(row) for row in labelings[~separable]}
    assert inseparable == {(-1.0, 1.0, 1.0, -1.0), (1.0, -1.0, -1.0, 1.0)}  # XOR, XNOR
    margins = (
        labelings[separable] * (XOR_INPUTS @ weights[separable].T + biases[separable]).T
    )
    assert np.all(margins >= 1 - 1e-7)
    assert np.all(np.isnan(weights[~separable]))


def test_feasible_targets_split_xor_into_perceptrons_that_solve_it():
    assignments, feasible = feasible_hidden_targets(XOR_INPUTS, XOR_SIGNS, n_hidden=2)
    for targets in assignments[feasible]:
        ok_h, w_h, b_h = separating_hyperplanes(XOR_INPUTS, targets)
        ok_o, w_o, b_o = separating_hyperplanes(targets.T, XOR_SIGNS)
        assert ok_h.all() and ok_o
        net = SignNetwork([w_h.T, w_o[:, None]], [b_h, np.atleast_1d(b_o)])
        np.testing.assert_array_equal(
            hard_sign(net.hidden_layers(XOR_INPUTS)[0][0]), targets.T
        )
        assert net.score(XOR_INPUTS, XOR_CLASSES) == 1.0


# --------------------------------------------------------------------------------------
# Layer losses and signals
# --------------------------------------------------------------------------------------


def test_linear_layer_loss_with_abs_g_weight_is_exactly_the_ste(rng):
    z = rng.normal(size=(7, 13)) * 10.0 ** rng.integers(-5, 5, size=(7, 13))
    g = rng.normal(size=(7, 13)) * 10.0 ** rng.integers(-30, 30, size=(7, 13))
    g[0, :5] = 0.0
    g[1, :3] = -0.0
    signal = target_signal(z, g, loss="linear")
    assert np.array_equal(signal, g)
    assert np.array_equal(
        unit_signal(z, g, rule="linear"), unit_signal(z, g, rule="ste")
    )


def test_linear_rule_reproduces_ste_through_a_whole_network(rng):
    X = rng.normal(size=(40, 5))
    for labels, n_out in ((rng.integers(0, 2, 40), 1), (rng.integers(0, 4, 40), 4)):
        net = init_sign_network((5, 9, 7, n_out), random_state=3)
        loss_ste, grads_ste = sign_network_gradients(net, X, labels, rule="ste")
        loss_lin, grads_lin = sign_network_gradients(net, X, labels, rule="linear")
        assert loss_ste == loss_lin
        for a, b in zip(grads_ste, grads_lin):
            assert np.array_equal(a, b)


def tanh_by_exponentials(x):
    e = np.exp(-2.0 * np.abs(x))
    return np.sign(x) * (1.0 - e) / (1.0 + e)


def test_soft_hinge_values(rng):
    z = rng.uniform(-4, 4, size=200)
    t = rng.choice([-1.0, 1.0], size=200)
    np.testing.assert_allclose(
        layer_loss(z, t, loss="soft_hinge"),
        1.0 - tanh_by_exponentials(t * z),
        rtol=1e-13,
        atol=1e-15,
    )
    assert layer_loss(0.0, 1.0, loss="soft_hinge") == 1.0
    assert layer_loss(1.0, 1.0, loss="soft_hinge") == pytest.approx(
        1 - 0.7615941559557649
    )
    assert layer_loss(40.0, 1.0, loss="soft_hinge") == pytest.approx(0.0, abs=1e-15)
    assert layer_loss(-40.0, 1.0, loss="soft_hinge") == pytest.approx(2.0)
    assert layer_loss(40.0, -1.0, loss="soft_hinge") == pytest.approx(2.0)
    # the hinge and the linear loss, from their definitions
    assert layer_loss(0.25, -1.0, loss="hinge") == 1.25
    assert layer_loss(3.0, 1.0, loss="hinge") == 0.0
    assert layer_loss(-2.0, -1.0, loss="linear") == -2.0


@pytest.mark.parametrize("loss", tp.LAYER_LOSSES)
def test_layer_loss_derivatives_match_finite_differences(loss, rng):
    z = rng.uniform(-3, 3, size=300)
    t = rng.choice([-1.0, 1.0], size=300)
    if loss == "hinge":
        away = np.abs(t * z - 1.0) > 1e-3  # away from the kink
        z, t = z[away], t[away]
    h = 1e-6
    numeric = (layer_loss(z + h, t, loss=loss) - layer_loss(z - h, t, loss=loss)) / (
        2 * h
    )
    np.testing.assert_allclose(
        layer_loss_derivative(z, t, loss=loss), numeric, atol=1e-8
    )


def test_soft_hinge_signal_is_g_times_tanh_slope_and_sste_is_a_window(rng):
    z = rng.normal(scale=2.0, size=500)
    g = rng.normal(size=500)
    slope = 1.0 - tanh_by_exponentials(z) ** 2
    np.testing.assert_allclose(
        target_signal(z, g, loss="soft_hinge"), g * slope, rtol=1e-12, atol=1e-15
    )
    expected = [0.5, -2.0, 0.0, 0.0, 3.0]
    np.testing.assert_array_equal(
        unit_signal(
            [0.2, -1.0, 1.0001, -5.0, 1.0], [0.5, -2.0, 7.0, 1.0, 3.0], rule="sste"
        ),
        expected,
    )
    # hinge targets: only units on the wrong side of the margin get a signal
    np.testing.assert_array_equal(
        target_signal([2.0, 0.5, -0.5], [-1.0, -1.0, 2.0], loss="hinge"),
        [0.0, -1.0, 2.0],
    )


def test_output_layer_update_is_the_true_gradient(rng):
    # The output layer has no threshold, so its update must be the exact gradient.
    X = rng.normal(size=(30, 4))
    for labels, n_out in ((rng.integers(0, 2, 30), 1), (rng.integers(0, 3, 30), 3)):
        net = init_sign_network((4, 6, n_out), random_state=5)
        net.biases[-1] += rng.normal(scale=0.1, size=n_out)
        _, grads = sign_network_gradients(net, X, labels, rule="soft_hinge")
        h = 1e-6
        for which, array in ((-2, net.weights[-1]), (-1, net.biases[-1])):
            for index in np.ndindex(array.shape):
                plus = SignNetwork(
                    [w.copy() for w in net.weights], [b.copy() for b in net.biases]
                )
                minus = SignNetwork(
                    [w.copy() for w in net.weights], [b.copy() for b in net.biases]
                )
                (plus.weights if which == -2 else plus.biases)[-1][index] += h
                (minus.weights if which == -2 else minus.biases)[-1][index] -= h
                numeric = (
                    sign_network_gradients(plus, X, labels, rule="ste")[0]
                    - sign_network_gradients(minus, X, labels, rule="ste")[0]
                ) / (2 * h)
                assert grads[which][index] == pytest.approx(numeric, abs=1e-6)


def test_hidden_updates_match_hand_written_one_layer_formulas(rng):
    X = rng.normal(size=(25, 3))
    labels = rng.integers(0, 2, 25)
    net = init_sign_network((3, 8, 1), random_state=2)
    z = X @ net.weights[0] + net.biases[0]
    hidden = np.where(z > 0, 1.0, -1.0)
    out = hidden @ net.weights[1] + net.biases[1]
    s = 2.0 * labels[:, None] - 1.0
    d_out = np.where(s * out < 1, -s, 0.0) / 25  # mean hinge loss
    g = d_out @ net.weights[1].T
    windows = {
        "ste": np.ones_like(z),
        "sste": (np.abs(z) <= 1).astype(float),
        "soft_hinge": 1.0 - np.tanh(z) ** 2,
    }
    for rule, window in windows.items():
        _, grads = sign_network_gradients(net, X, labels, rule=rule)
        np.testing.assert_allclose(grads[0], X.T @ (g * window), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(
            grads[1], (g * window).sum(0), rtol=1e-12, atol=1e-15
        )
        np.testing.assert_allclose(grads[2], hidden.T @ d_out, rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------


def test_training_reduces_error_on_a_separable_toy(rng):
    X = rng.uniform(-1, 1, size=(400, 2))
    labels = (X[:, 0] + 0.5 * X[:, 1] > 0.1).astype(int)
    for rule in ("soft_hinge", "sste"):
        result = train_sign_network(
            X,
            labels,
            hidden=(16,),
            rule=rule,
            learning_rate=1e-2,
            batch_size=40,
            epochs=15,
            random_state=0,
        )
        assert result.epochs[0] == 0 and result.epochs[-1] == 15
        assert result.train_accuracy[-1] >= 0.95
        assert result.train_accuracy[-1] > result.train_accuracy[0] + 0.2
        assert result.network.score(X, labels) == result.train_accuracy[-1]
        assert result.losses.shape == (150,)
        assert np.mean(result.losses[-10:]) < np.mean(result.losses[:10])


def test_training_is_reproducible_and_shares_the_start_across_rules():
    X, labels = make_circle_quadrants(200, random_state=1)
    a = train_sign_network(
        X,
        labels,
        hidden=(8, 8),
        rule="soft_hinge",
        epochs=2,
        batch_size=50,
        random_state=4,
    )
    b = train_sign_network(
        X,
        labels,
        hidden=(8, 8),
        rule="soft_hinge",
        epochs=2,
        batch_size=50,
        random_state=4,
    )
    c = train_sign_network(
        X, labels, hidden=(8, 8), rule="sste", epochs=2, batch_size=50, random_state=4
    )
    for w_a, w_b in zip(a.network.weights, b.network.weights):
        assert np.array_equal(w_a, w_b)
    assert a.train_accuracy[0] == c.train_accuracy[0]  # same initial network
    assert a.losses[0] == c.losses[0]  # same first batch


def test_circle_quadrants_labels():
    X, labels = make_circle_quadrants(1000, random_state=0)
    assert X.shape == (1000, 2) and np.all(np.abs(X) <= 1)
    inside = np.hypot(X[:, 0], X[:, 1]) < math.sqrt(0.5)
    same_sign = np.sign(X[:, 0]) == np.sign(X[:, 1])
    np.testing.assert_array_equal(labels, (inside == same_sign).astype(int))


# --------------------------------------------------------------------------------------
# RRR with steps with a gap
# --------------------------------------------------------------------------------------


def small_problem(
    rng, n_runs=3, n_hidden=3, gap=0.4, delta=0.3, omega=2.0, upsilon=1.5
):
    problem = tp._StepNetProblem(
        XOR_INPUTS,
        XOR_CLASSES,
        n_runs,
        n_hidden,
        2,
        omega=omega,
        gap=gap,
        delta=delta,
        upsilon=upsilon,
    )
    return problem, rng.normal(size=problem.size)


def test_rrr_projection_a_lands_on_the_constraints_and_is_idempotent(rng):
    problem, x = small_problem(rng)
    a = problem.project_a(x)
    v = problem.views(a)
    np.testing.assert_array_equal(
        v["X1"], np.broadcast_to(XOR_INPUTS[None, :, :, None], v["X1"].shape)
    )
    hidden = v["X2"]
    assert np.all(hidden == hidden[..., :1])  # node consensus
    x_hidden = hidden[..., 0]
    z = v["Y1"] - v["B1"]
    assert np.all(np.isin(x_hidden, [0.0, 1.0]))
    assert np.all(np.where(x_hidden == 1, z >= 0.2 - 1e-12, z <= -0.2 + 1e-12))
    zc = v["Y2"] - v["B2"]
    correct = np.arange(2) == XOR_CLASSES[None, :, None]
    assert np.all(np.where(correct, zc >= 0.3 - 1e-12, zc <= 1e-12))
    for name in ("W1", "W2"):
        assert np.allclose(v[name], v[name][:, :1])
        np.testing.assert_allclose(np.linalg.norm(v[name], axis=2), 2.0)
    np.testing.assert_allclose(problem.project_a(a), a, atol=1e-12)


@pytest.mark.parametrize("n_hidden", [3, 8])  # one padded call, or one call per layer
def test_rrr_projection_b_matches_separate_bilinear_projections(n_hidden, rng):
    problem, x = small_problem(rng, n_hidden=n_hidden)
    b = problem.project_b(x)
    v, o = problem.views(x), problem.views(b)
    for layer, g2 in (("1", 2.0), ("2", 1.5)):
        expected = project_bilinear(
            v["X" + layer], v["W" + layer], v["Y" + layer], omega=2.0, g2=g2, axis=2
        )
        for name, value in zip(("X", "W", "Y"), expected):
            np.testing.assert_allclose(o[name + layer], value, rtol=1e-10, atol=1e-12)
        products = np.einsum("rkij,rkij->rkj", o["X" + layer], o["W" + layer])
        assert np.abs(products - 2.0 * o["Y" + layer]).max() < 1e-9
        bias = o["B" + layer]
        np.testing.assert_allclose(
            bias, np.broadcast_to(v["B" + layer].mean(1, keepdims=True), bias.shape)
        )


def test_rrr_converged_runs_classify_their_training_set():
    for labels in (np.array([0, 1, 1, 1]), XOR_CLASSES):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result = train_rrr_step_network(
                XOR_INPUTS,
                labels,
                n_hidden=3,
                gap=0.3,
                delta=0.3,
                omega=2.0,
                beta=0.5,
                max_iter=400,
                tol=1e-8,
                n_runs=8,
                random_state=0,
            )
        assert result.converged.shape == (1, 8) and result.errors.shape[1] == 8
        assert (
            result.converged.sum() >= 2
        )  # OR and XOR are learnable with 3 hidden steps
        for net, ok in zip(result.networks, result.converged[0]):
            if ok:
                assert net.score(XOR_INPUTS, labels) == 1.0
                z = net.decision_function(XOR_INPUTS)
                margin = z[np.arange(4), labels] - z[np.arange(4), 1 - labels]
                assert np.all(
                    margin >= 0.3 - 1e-6
                )  # the class margins hold at inference
        np.testing.assert_array_equal(
            result.train_accuracy[0],
            [net.score(XOR_INPUTS, labels) for net in result.networks],
        )


# --------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------


def test_bad_arguments_raise_value_errors_naming_them():
    with pytest.raises(ValueError, match="loss"):
        layer_loss(1.0, 1.0, loss="square")
    with pytest.raises(ValueError, match="rule"):
        unit_signal(1.0, 1.0, rule="backprop")
    with pytest.raises(ValueError, match="t must"):
        layer_loss(1.0, 0.5, loss="hinge")
    with pytest.raises(ValueError, match="same shape"):
        target_signal(np.ones(3), np.ones(2), loss="linear")
    with pytest.raises(ValueError, match="targets"):
        separating_hyperplanes(XOR_INPUTS, [1, 0, 1, 1])
    with pytest.raises(ValueError, match="n_hidden"):
        feasible_hidden_targets(XOR_INPUTS, XOR_SIGNS, n_hidden=5)
    with pytest.raises(ValueError, match="labels"):
        feasible_hidden_targets(XOR_INPUTS, XOR_CLASSES, n_hidden=2)
    X, labels = make_circle_quadrants(20, random_state=0)
    with pytest.raises(ValueError, match="batch_size"):
        train_sign_network(X, labels, batch_size=50)
    with pytest.raises(ValueError, match="hidden"):
        train_sign_network(X, labels, hidden=(4, 0), batch_size=10)
    with pytest.raises(ValueError, match="random_state"):
        train_sign_network(X, labels, batch_size=10, random_state="seed")
    with pytest.raises(ValueError, match="labels"):
        train_sign_network(X, labels - 1, batch_size=10)
    with pytest.raises(ValueError, match="X contains NaN"):
        train_sign_network(np.full((20, 2), np.nan), labels, batch_size=10)
    with pytest.raises(ValueError, match="gap"):
        train_rrr_step_network(X, labels, n_hidden=2, gap=-0.1)
    with pytest.raises(ValueError, match="n_runs"):
        train_rrr_step_network(X, labels, n_hidden=2, n_runs=0)
    with pytest.raises(ValueError, match="batch_size"):
        train_rrr_step_network(X, labels, n_hidden=2, batch_size=21)


def test_perceptron_stage_and_linear_programs_agree(rng):
    points = rng.normal(size=(120, 6, 2))
    points[:40, 1] = points[:40, 0]  # some repeated points
    targets = rng.choice([-1.0, 1.0], size=(120, 6))
    fast, w, b = separating_hyperplanes(points, targets)
    exact, _, _ = separating_hyperplanes(points, targets, perceptron_epochs=0)
    np.testing.assert_array_equal(fast, exact)
    assert 0 < fast.sum() < 120
    margins = targets[fast] * (
        np.einsum("pmi,pi->pm", points[fast], w[fast]) + b[fast][:, None]
    )
    assert np.all(margins >= 1 - 1e-7)
