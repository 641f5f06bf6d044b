"""The cyclic autoencoder network (paper Sec. 6.1): P_A and P_B land on their
constraints with clamped data and code items, the compiled gapped consensus equals the
numpy projections, the feed-around start violates only the clamps, and RRRAutoencoder
encodes, decodes, solves binary encoding and rejects bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from lossless_tutorial import network
from lossless_tutorial.autoencoder import (
    RRRAutoencoder,
    all_binary_codes,
    batch_memory_bytes,
    cyclic_architecture,
)
from lossless_tutorial.network import (
    GappedNodes,
    expand,
    project_a,
    project_b,
    rrr_step,
)

OMEGA, GAP = 3.0, 0.4
N_DATA, N_CODE = 4, 3


@pytest.fixture(params=["serial", "parallel"])
def kernels(request, monkeypatch):
    if request.param == "parallel":
        monkeypatch.setattr(network, "_PARALLEL_MIN_SIZE", 0)
    return request.param


@pytest.fixture(params=["step", "zigmoid"])
def cycle(request, rng):
    """A 6 -> 4 -> 3 -> 4 -> 6 cycle with 4 data and 3 code items in a random state."""
    activation = request.param
    arch = cyclic_architecture(6, (4,), 3, (4,), omega=OMEGA)
    n_items = N_DATA + N_CODE
    if activation == "step":
        data = rng.integers(0, 2, (N_DATA, 6)).astype(float)
        codes = rng.integers(0, 2, (N_CODE, 3)).astype(float)
    else:
        data = rng.uniform(size=(N_DATA, 6))
        data[0, :2] = (0.0, 1.0)  # the flat ends of the zigmoid too
        codes = rng.uniform(size=(N_CODE, 3))
    constraints = [GappedNodes(activation, GAP) for _ in arch.group_sizes]
    constraints[0] = GappedNodes(activation, GAP, slice(0, N_DATA), data)
    constraints[2] = GappedNodes(activation, GAP, slice(N_DATA, n_items), codes)
    shapes = [arch.layer_shape(l, n_items) for l in range(len(arch.layers))]
    state = network.State(
        [rng.normal(size=s) for s in shapes],
        [rng.normal(size=s) for s in shapes],
        [rng.normal(size=(n_items, n)) for n in arch.group_sizes],
        [rng.normal(size=(n_items, n)) for n in arch.group_sizes],
    )
    return arch, activation, data, codes, constraints, state


def in_activation_set(activation, x, z):
    """Whether (x, z) lies on the gapped step or the zigmoid (full gap GAP)."""
    tol = 1e-12
    off = (np.abs(x) <= tol) & (z <= -GAP / 2 + tol)
    on = (np.abs(x - 1) <= tol) & (z >= GAP / 2 - tol)
    if activation == "step":
        return off | on
    ramp = (x >= -tol) & (x <= 1 + tol) & (np.abs(z - GAP * (x - 0.5)) <= 1e-10)
    return off | on | ramp


def test_projection_a_lands_on_every_a_constraint(cycle, kernels):
    arch, activation, data, codes, constraints, state = cycle
    n_items = N_DATA + N_CODE
    projected = expand(arch, project_a(arch, state, constraints), n_items)
    for l, (source, _) in enumerate(arch.layers):
        x, w = projected.x[l], projected.w[l]
        np.testing.assert_allclose(x, np.broadcast_to(x[:, :1], x.shape), atol=1e-12)
        np.testing.assert_allclose(w, np.broadcast_to(w[:1], w.shape), atol=1e-12)
        np.testing.assert_allclose(np.linalg.norm(w[0], axis=1), OMEGA, rtol=1e-12)
        value = x[:, 0, :]
        z = projected.y[source] - projected.b[source]
        assert np.all(in_activation_set(activation, value, z))  # every node, every item
    np.testing.assert_array_equal(
        projected.x[0][:N_DATA, 0, :], data
    )  # data clamp (38b)
    np.testing.assert_array_equal(
        projected.x[2][N_DATA:, 0, :], codes
    )  # code clamp (38c)
    again = expand(arch, project_a(arch, projected, constraints), n_items)
    for a, b in zip(again.arrays(), projected.arrays()):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_projection_b_lands_on_every_b_constraint(cycle):
    arch, _, _, _, _, state = cycle
    projected = project_b(arch, state)
    for l, (_, target) in enumerate(arch.layers):
        products = np.einsum("kji,kji->kj", projected.x[l], projected.w[l])
        np.testing.assert_allclose(products, OMEGA * projected.y[target], atol=1e-10)
        b = projected.b[target]  # bias consensus at every node, clamped ones included
        np.testing.assert_allclose(b, np.broadcast_to(b[:1], b.shape), atol=1e-12)


def test_compiled_gapped_consensus_equals_the_numpy_projections(cycle, kernels):
    arch, activation, data, codes, constraints, state = cycle
    fast = project_a(arch, state, constraints)
    for g, constraint in enumerate(constraints):
        (out,) = arch.out_layers[g]
        x_bar = state.x[out].mean(axis=1)
        x, y, b = constraint.project(x_bar, state.y[g], state.b[g])
        np.testing.assert_allclose(fast.x[g], x, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(fast.y[g], y, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(fast.b[g], b, rtol=1e-12, atol=1e-14)


def test_clamped_items_move_only_y_and_b_to_the_nearest_allowed_z(rng):
    """Against a grid search over z for each clamped value."""
    values = np.array([[0.0, 1.0, 0.3, 0.0, 1.0]])
    y, b = rng.normal(size=(1, 5)), rng.normal(size=(1, 5))
    y[0, 3], b[0, 3] = -1.0, 0.0  # already on the x = 0 branch: no move
    node = GappedNodes("zigmoid", GAP, slice(0, 1), values)
    x_new, y_new, b_new = node.project(np.full((1, 5), 0.5), y, b)
    np.testing.assert_array_equal(x_new, values)
    grid = np.linspace(-3, 3, 60001)
    for i, v in enumerate(values[0]):
        allowed = np.isclose(np.clip(grid / GAP + 0.5, 0, 1), v, atol=1e-12)
        z0 = y[0, i] - b[0, i]
        best = grid[allowed][np.argmin(np.abs(grid[allowed] - z0))]
        assert y_new[0, i] - b_new[0, i] == pytest.approx(best, abs=2e-4)
        assert y_new[0, i] + b_new[0, i] == pytest.approx(y[0, i] + b[0, i])


def test_feed_around_start_violates_only_the_clamped_activations(rng):
    model = RRRAutoencoder((5,), 3, (5,), activation="zigmoid", gap=GAP, omega=OMEGA)
    X = rng.uniform(size=(20, 8))
    model.set_params(
        epochs=1, batch_size=4, code_batch_size=2, max_iter=3, random_state=1
    )
    model.fit(X)
    arch = model._arch
    data, codes = X[:4], model.sample_codes(2, random_state=0)
    state, _ = model._batch_problem(arch, model.weights_, model.biases_, data, codes)
    b_state = project_b(arch, state)  # the start lies in B
    for a, b in zip(b_state.arrays(), state.arrays()):
        np.testing.assert_allclose(a, b, atol=1e-10)
    free = [GappedNodes("zigmoid", GAP) for _ in arch.group_sizes]
    a_state = expand(arch, project_a(arch, state, free), 6)
    for group, clamped in ((0, slice(0, 4)), (2, slice(4, 6))):
        layer = arch.out_layers[group][0]
        z = state.y[group] - state.b[group]
        # away from the clamps every copy is already the network's value ...
        others = np.ones(6, bool)
        others[clamped] = False
        np.testing.assert_allclose(
            a_state.x[layer][others], state.x[layer][others], atol=1e-12
        )
        # ... the clamped items' copies hold the clamped values, while their y and b
        # come from the feed-around, so the activation maps them elsewhere
        values = data if group == 0 else codes
        np.testing.assert_array_equal(
            state.x[layer][clamped],
            np.broadcast_to(values[:, None, :], state.x[layer][clamped].shape),
        )
        assert not np.allclose(np.clip(z[clamped] / GAP + 0.5, 0, 1), values, atol=1e-3)
    for layer in range(len(arch.layers)):
        source = arch.layers[layer][0]
        if source not in (0, 2):
            np.testing.assert_allclose(a_state.x[layer], state.x[layer], atol=1e-12)


def test_fused_step_matches_the_projections_on_the_cycle(cycle):
    """One RRR step on the cycle against P_A, reflect, P_B composed in numpy."""
    arch, _, _, _, constraints, state = cycle
    beta, n_items = 0.5, N_DATA + N_CODE
    pa = expand(arch, project_a(arch, state, constraints), n_items)
    reflected = network.State(
        *[
            [2 * p - s for p, s in zip(gp, gs)]
            for gp, gs in zip(
                (pa.x, pa.w, pa.y, pa.b), (state.x, state.w, state.y, state.b)
            )
        ]
    )
    pb = project_b(arch, reflected)
    stepped = state.copy()
    rrr_step(arch, stepped, constraints, beta)
    for s, a, b, new in zip(state.arrays(), pa.arrays(), pb.arrays(), stepped.arrays()):
        np.testing.assert_allclose(new, s + beta * (b - a), rtol=1e-9, atol=1e-10)


def test_binary_encoding_n3_is_solved_from_a_fixed_seed():
    X = np.eye(8)
    model = RRRAutoencoder(
        (),
        3,
        (),
        activation="step",
        gap=0.4,
        beta=0.5,
        omega=100.0,
        batch_size=8,
        code_batch_size="all",
        max_iter=100_000,
        tol=1e-6,
        epochs=1,
        random_state=0,
    ).fit(X)
    codes = model.encode(X)
    assert model.history_.data_error[-1] == 0 and model.history_.code_error[-1] == 0
    np.testing.assert_array_equal(model.reconstruct(X), X)
    assert len({tuple(c) for c in codes}) == 8  # eight distinct 3-bit codes
    all_codes = all_binary_codes(3)
    np.testing.assert_array_equal(model.encode(model.decode(all_codes)), all_codes)
    # RRR stopped on a solution of the gapped constraints: every code node's z of every
    # data item is at least gap/2 (up to the RRR tolerance) away from 0
    z = np.eye(8) @ model.weights_[0].T / 100.0 - model.biases_[1]
    assert np.all(np.abs(z) > 0.2 - 1e-4)


def test_encode_decode_shapes_and_ranges(rng):
    X = rng.uniform(size=(30, 12))
    model = RRRAutoencoder(
        (6,),
        4,
        (6,),
        gap=0.4,
        omega=5.0,
        batch_size=10,
        code_batch_size=3,
        max_iter=5,
        epochs=2,
        random_state=0,
    ).fit(X)
    codes = model.encode(X[:7])
    assert codes.shape == (7, 4) and np.all((codes >= 0) & (codes <= 1))
    images = model.decode(codes)
    assert images.shape == (7, 12) and np.all((images >= 0) & (images <= 1))
    np.testing.assert_array_equal(model.transform(X[:7]), codes)
    np.testing.assert_array_equal(model.inverse_transform(codes), images)
    samples = model.sample_codes(50, random_state=3)
    assert samples.shape == (50, 4)
    for i in range(4):  # every sampled value comes from that node's distribution
        assert np.all(np.isin(samples[:, i], model.code_distribution_[:, i]))
    np.testing.assert_array_equal(samples, model.sample_codes(50, random_state=3))
    history = model.history_.as_arrays()
    assert all(len(v) == 2 for v in history.values())
    assert history["gwms"][-1] == pytest.approx(
        model.n_iter_ * 13 * model._arch.n_edges * 1e-9
    )
    assert model.data_error(X) == pytest.approx(history["data_error"][-1])


def test_warm_start_continues_the_history(rng):
    X = rng.uniform(size=(20, 6))
    model = RRRAutoencoder(
        (4,),
        2,
        (4,),
        batch_size=10,
        code_batch_size=2,
        max_iter=3,
        epochs=1,
        random_state=0,
        warm_start=True,
    )
    model.fit(X)
    weights = [w.copy() for w in model.weights_]
    model.fit(X)
    assert len(model.history_.data_error) == 2 and model.n_iter_ == 12
    assert not np.allclose(weights[0], model.weights_[0])


def test_memory_estimate_counts_the_replicas(rng):
    model = RRRAutoencoder(
        (5,),
        3,
        (5,),
        batch_size=4,
        code_batch_size=2,
        max_iter=1,
        epochs=1,
        random_state=0,
    ).fit(rng.uniform(size=(8, 7)))
    state, _ = model._batch_problem(
        model._arch,
        model.weights_,
        model.biases_,
        rng.uniform(size=(4, 7)),
        model.sample_codes(2),
    )
    replicas = sum(a.nbytes for a in state.x + state.w)
    estimate = batch_memory_bytes(7, (5,), 3, (5,), n_items=6)
    assert replicas == 16 * 6 * model._arch.n_edges
    assert replicas < estimate < 2 * replicas


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(activation="relu"), "activation"),
        (dict(gap=0.0), "gap"),
        (dict(beta=0), "beta"),
        (dict(omega=-1), "omega"),
        (dict(code_size=0), "code_size"),
        (dict(encoder_sizes=(0,)), "encoder_sizes"),
        (dict(batch_size=50), "batch_size"),
        (dict(code_batch_size="many"), "code_batch_size"),
        (dict(code_batch_size="all"), "step activation"),
        (dict(max_iter=0), "max_iter"),
    ],
)
def test_bad_parameters(rng, bad, message):
    X = rng.uniform(size=(20, 6))
    params = dict(encoder_sizes=(4,), code_size=2, decoder_sizes=(4,), batch_size=10)
    with pytest.raises(ValueError, match=message):
        RRRAutoencoder(**{**params, **bad}).fit(X)


def test_bad_data(rng):
    model = RRRAutoencoder(
        (4,), 2, (4,), batch_size=5, code_batch_size=1, max_iter=2, epochs=1
    )
    with pytest.raises(ValueError, match=r"X must lie in \[0, 1\]"):
        model.fit(rng.normal(size=(10, 6)))
    for method in ("encode", "decode", "transform", "data_error", "sample_codes"):
        with pytest.raises(NotFittedError, match="not fitted"):
            getattr(model, method)(np.zeros((1, 6)) if method != "sample_codes" else 1)
    with pytest.raises(ValueError, match="only 0 and 1"):
        RRRAutoencoder((), 2, (), activation="step").fit(np.full((4, 4), 0.5))
    model.fit(rng.uniform(size=(10, 6)))
    with pytest.raises(ValueError, match="expecting 6 features"):
        model.encode(np.zeros((1, 5)))
    with pytest.raises(ValueError, match="codes must have 2 columns"):
        model.decode(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="NaN|finite"):
        model.encode(np.full((1, 6), np.nan))


def test_gapped_nodes_checks():
    with pytest.raises(ValueError, match="activation"):
        GappedNodes("relu", 0.4)
    node = GappedNodes("step", 0.4, slice(0, 2), np.zeros((3, 2)))
    arch = cyclic_architecture(2, (), 2, (), omega=1.0)
    state = network.replicate(
        arch,
        [np.zeros((2, 2))] * 2,
        [np.zeros((2, 2))] * 2,
        [np.eye(2)] * 2,
        [np.zeros(2)] * 2,
    )
    with pytest.raises(ValueError, match="one row per clamped item"):
        project_a(arch, state, [node, GappedNodes("step", 0.4)])


@pytest.mark.parametrize("sizes", [((), 1, ()), ((1,), 2, ()), ((3,), 1, (3,))])
def test_single_input_layers_give_finite_weights(rng, sizes):
    # a code node, hidden node or feature that is the only input of the next layer
    X = rng.uniform(size=(12, 4))
    model = RRRAutoencoder(
        *sizes, batch_size=6, code_batch_size=2, max_iter=20, epochs=2, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X)
    assert model.history_.status == "finished"
    for w in model.weights_:
        assert np.all(np.isfinite(w))
        np.testing.assert_allclose(np.linalg.norm(w, axis=1), model.omega, rtol=1e-10)
    assert np.all(np.isfinite(model.history_.data_error))
    one_feature = RRRAutoencoder(
        (2,), 1, (2,), batch_size=6, max_iter=5, epochs=1, random_state=0
    ).fit(X[:, :1])
    assert all(np.all(np.isfinite(w)) for w in one_feature.weights_)


def test_default_batch_uses_all_items_of_binary_encoding():
    # binary encoding 8 -> 3 -> 8: the default batch takes the 8 items (it was 200)
    X = np.eye(8)
    model = RRRAutoencoder(
        (),
        3,
        (),
        activation="step",
        gap=0.4,
        beta=0.5,
        omega=100.0,
        code_batch_size="all",
        max_iter=3,
        tol=0.0,
        epochs=2,
        random_state=0,
    ).fit(X)
    assert model.n_iter_ == 2 * 3  # one batch per epoch
    assert model.history_.gwms[0] == pytest.approx(3 * (8 + 8) * 2 * 24 * 1e-9)


def test_random_state_may_be_a_random_state(rng):
    X = rng.uniform(size=(12, 4))
    kwargs = dict(batch_size=6, code_batch_size=2, max_iter=5, epochs=1)
    a = RRRAutoencoder(
        (3,), 2, (3,), random_state=np.random.RandomState(1), **kwargs
    ).fit(X)
    b = RRRAutoencoder(
        (3,), 2, (3,), random_state=np.random.RandomState(1), **kwargs
    ).fit(X)
    for u, v in zip(a.weights_, b.weights_):
        np.testing.assert_array_equal(u, v)


def test_warm_start_refuses_other_layer_sizes(rng):
    X = rng.uniform(size=(12, 4))
    model = RRRAutoencoder(
        (3,),
        2,
        (3,),
        batch_size=6,
        max_iter=2,
        epochs=1,
        warm_start=True,
        random_state=0,
    ).fit(X)
    model.set_params(code_size=3)
    with pytest.raises(ValueError, match="layer sizes changed"):
        model.fit(X)


def test_divergence_is_reported(rng):
    X = rng.uniform(size=(12, 4))
    with pytest.warns(ConvergenceWarning, match="diverged"):
        model = RRRAutoencoder(
            (3,),
            2,
            (3,),
            beta=1e300,
            batch_size=6,
            max_iter=5,
            epochs=1,
            random_state=0,
        ).fit(X)
    assert model.history_.status == "diverged"
