"""The replicated-variable network: P_A and P_B each land on every constraint of their
set (paper eq. 26), are idempotent, the fused compiled RRR step equals the composition
of the numpy projections, and the error uses the same metric."""

from __future__ import annotations

import numpy as np
import pytest

from lossless_tutorial import network
from lossless_tutorial import projections as P
from lossless_tutorial.network import (
    Architecture,
    ClampedValues,
    ClassMargins,
    ReLUNodes,
    State,
    expand,
    project_a,
    project_b,
    replicate,
    rrr_error,
    rrr_step,
    run_rrr,
)

OMEGA, DELTA = 1.7, 0.3


def random_state(arch, n_items, rng):
    xs = [
        rng.normal(size=arch.layer_shape(l, n_items)) for l in range(len(arch.layers))
    ]
    ws = [
        rng.normal(size=arch.layer_shape(l, n_items)) for l in range(len(arch.layers))
    ]
    ys = [None] + [rng.normal(size=(n_items, n)) for n in arch.group_sizes[1:]]
    bs = [None] + [rng.normal(size=(n_items, n)) for n in arch.group_sizes[1:]]
    return State(xs, ws, ys, bs)


@pytest.fixture
def problem(rng):
    arch = Architecture((4, 5, 3, 3), omega=OMEGA, upsilon=0.8)
    n_items = 6
    data = rng.normal(size=(n_items, 4))
    labels = rng.integers(0, 3, n_items)
    constraints = [
        ClampedValues(data),
        ReLUNodes(),
        ReLUNodes(),
        ClassMargins(labels, delta=DELTA),
    ]
    return arch, n_items, data, labels, constraints, random_state(arch, n_items, rng)


def assert_in_a(arch, state, data, labels):
    for l, (source, target) in enumerate(arch.layers):
        x, w = state.x[l], state.w[l]
        # node consensus: all out-edge copies of a source value agree
        np.testing.assert_allclose(x, np.broadcast_to(x[:, :1, :], x.shape), atol=1e-12)
        # weight consensus across items, and norm omega of every node's incoming weights
        np.testing.assert_allclose(w, np.broadcast_to(w[:1], w.shape), atol=1e-12)
        np.testing.assert_allclose(np.linalg.norm(w[0], axis=1), OMEGA, rtol=1e-12)
        value = x[:, 0, :]
        if source == 0:
            np.testing.assert_allclose(value, data, atol=1e-12)
        else:
            z = state.y[source] - state.b[source]
            np.testing.assert_allclose(value, np.maximum(z, 0.0), atol=1e-12)
    z = state.y[-1] - state.b[-1]
    correct = np.arange(z.shape[1]) == labels[:, None]
    assert np.all(z[correct] >= DELTA - 1e-12) and np.all(z[~correct] <= 1e-12)


def assert_in_b(arch, state):
    for l, (_, target) in enumerate(arch.layers):
        products = np.einsum("kji,kji->kj", state.x[l], state.w[l])
        np.testing.assert_allclose(products, OMEGA * state.y[target], atol=1e-10)
        b = state.b[target]
        np.testing.assert_allclose(b, np.broadcast_to(b[:1], b.shape), atol=1e-12)


def test_projection_a_lands_on_every_a_constraint(problem):
    arch, n_items, data, labels, constraints, state = problem
    projected = expand(arch, project_a(arch, state, constraints), n_items)
    assert_in_a(arch, projected, data, labels)
    again = expand(arch, project_a(arch, projected, constraints), n_items)
    for a, b in zip(again.arrays(), projected.arrays()):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_projection_b_lands_on_every_b_constraint(problem):
    arch, n_items, data, labels, constraints, state = problem
    projected = project_b(arch, state)
    assert_in_b(arch, projected)
    again = project_b(arch, projected)
    for a, b in zip(again.arrays(), projected.arrays()):
        np.testing.assert_allclose(a, b, atol=1e-10)


def test_metric_weights_follow_the_paper(problem):
    arch = problem[0]
    assert arch.g2 == [5.0, 3.0, 3.0, 0.8]  # outdegree, then upsilon for class nodes
    assert arch.n_edges == 4 * 5 + 5 * 3 + 3 * 3


@pytest.fixture(params=["serial", "parallel"])
def kernels(request, monkeypatch):
    """Run the compiled kernels serially or (threshold 0) in their parallel form."""
    if request.param == "parallel":
        monkeypatch.setattr(network, "_PARALLEL_MIN_SIZE", 0)
    return request.param


def test_fused_step_equals_the_composed_projections(problem, kernels):
    arch, n_items, data, labels, constraints, state = problem
    beta = 0.7
    pa = expand(arch, project_a(arch, state, constraints), n_items)
    reflected = State(
        *[
            [None if p is None else 2 * p - s for p, s in zip(gp, gs)]
            for gp, gs in zip(
                (pa.x, pa.w, pa.y, pa.b), (state.x, state.w, state.y, state.b)
            )
        ]
    )
    pb = project_b(arch, reflected)
    diff = State(
        *[
            [None if b is None else b - a for a, b in zip(ga, gb)]
            for ga, gb in zip((pa.x, pa.w, pa.y, pa.b), (pb.x, pb.w, pb.y, pb.b))
        ]
    )
    expected = State(
        *[
            [None if d is None else s + beta * d for s, d in zip(gs, gd)]
            for gs, gd in zip(
                (state.x, state.w, state.y, state.b), (diff.x, diff.w, diff.y, diff.b)
            )
        ]
    )
    stepped = state.copy()
    error, consensus, biases = rrr_step(arch, stepped, constraints, beta)
    for a, b in zip(stepped.arrays(), expected.arrays()):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)
    assert error == pytest.approx(rrr_error(arch, diff, n_items), rel=1e-10)
    for g in range(1, 4):
        np.testing.assert_allclose(biases[g], pb.b[g][0], atol=1e-12)


def test_serial_and_parallel_kernels_give_identical_iterates(problem, monkeypatch):
    arch, n_items, data, labels, constraints, state = problem
    runs = []
    for threshold in (np.inf, 0):
        monkeypatch.setattr(network, "_PARALLEL_MIN_SIZE", threshold)
        iterate = state.copy()
        errors, _, _ = run_rrr(
            arch, iterate, constraints, beta=0.5, max_iter=20, tol=0.0
        )
        runs.append((errors, iterate))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    for a, b in zip(runs[0][1].arrays(), runs[1][1].arrays()):
        np.testing.assert_array_equal(a, b)


def test_replicas_of_a_forward_pass_satisfy_all_but_the_class_margins(rng):
    arch = Architecture((3, 4, 2), omega=OMEGA)
    data = rng.normal(size=(5, 3))
    weights = [rng.normal(size=(4, 3)), rng.normal(size=(2, 4))]
    weights = [w * OMEGA / np.linalg.norm(w, axis=1, keepdims=True) for w in weights]
    biases = [None, rng.normal(size=4), rng.normal(size=2)]
    y1 = data @ weights[0].T / OMEGA
    x1 = np.maximum(y1 - biases[1], 0)
    y2 = x1 @ weights[1].T / OMEGA
    state = replicate(arch, [data, x1, None], [None, y1, y2], weights, biases)
    assert_in_b(arch, state)
    constraints = [
        ClampedValues(data),
        ReLUNodes(),
        ClassMargins(np.zeros(5, int), delta=0),
    ]
    a = expand(arch, project_a(arch, state, constraints), 5)
    for l in range(2):
        np.testing.assert_allclose(a.x[l], state.x[l], atol=1e-12)
        np.testing.assert_allclose(a.w[l], state.w[l], atol=1e-12)


def test_architecture_checks():
    with pytest.raises(ValueError, match="group_sizes"):
        Architecture((3,))
    with pytest.raises(ValueError, match="layers"):
        Architecture((3, 2), layers=[(0, 0)])
    with pytest.raises(ValueError, match="one layer only"):
        Architecture((3, 2, 2), layers=[(0, 2), (1, 2)])
    with pytest.raises(ValueError, match="omega"):
        Architecture((3, 2), omega=0)
    cycle = Architecture((4, 2, 4), layers=[(0, 1), (1, 2), (2, 0)])
    assert cycle.outdeg == [2, 4, 4] and cycle.g2 == [2.0, 4.0, 4.0]


def test_compiled_consensus_equals_the_numpy_projections(problem, kernels):
    arch, n_items, data, labels, constraints, state = problem
    fast = project_a(arch, state, constraints)
    for g, l in ((1, 1), (2, 2)):
        x_bar = state.x[l].mean(axis=1)
        x, y, b = P.project_relu(x_bar, state.y[g], state.b[g])
        np.testing.assert_allclose(fast.x[g], x, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(fast.y[g], y, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(fast.b[g], b, rtol=1e-12, atol=1e-14)
    for l, w in enumerate(state.w):
        expected = P.project_norm(w.mean(axis=0), omega=OMEGA, axis=-1)
        np.testing.assert_allclose(fast.w[l], expected, rtol=1e-12)
