"""The compiled multi-iteration RRR loop (lossless_tutorial._fused) against the Python
loop over network.rrr_step: the same iterates, trained weights, biases, class choices
and stopping iteration (to rounding: the two loops are compiled separately, and
fast-math lets the compiler choose its own summation orders; their iterates agree to
about 1e-13 over 25 iterations); serial and parallel kernels and 1 or 2 threads give
exactly the same run; numpy's summation orders are reproduced; unsupported problems fall
back."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from lossless_tutorial import _fused, network
from lossless_tutorial.autoencoder import cyclic_architecture
from lossless_tutorial.network import (
    Architecture,
    ClampedValues,
    ClassMargins,
    GappedNodes,
    NodeConstraint,
    ReLUNodes,
    State,
    rrr_step,
    run_rrr,
)

N_ITER = 25


def per_iteration(arch, state, constraints, *, beta, max_iter, tol):
    """The reference: network.rrr_step from Python, as run_rrr did before the fused
    loop."""
    errors = []
    for _ in range(max_iter):
        error, consensus, biases = rrr_step(arch, state, constraints, beta)
        errors.append(error)
        if error < tol:
            break
    return np.array(errors), consensus, biases


def random_state(arch, n_items, rng, *, inputs_have_y=False):
    shapes = [arch.layer_shape(l, n_items) for l in range(len(arch.layers))]
    has_y = [
        inputs_have_y or arch.has_nodes_state(g) for g in range(len(arch.group_sizes))
    ]
    return State(
        [rng.normal(size=s) for s in shapes],
        [rng.normal(size=s) for s in shapes],
        [
            rng.normal(size=(n_items, n)) if h else None
            for n, h in zip(arch.group_sizes, has_y)
        ],
        [
            rng.normal(size=(n_items, n)) if h else None
            for n, h in zip(arch.group_sizes, has_y)
        ],
    )


def classifier_problem(rng, margins):
    n_classes = 2 if "n_false_positive" in margins else 3
    arch = Architecture((5, 7, 6, n_classes), omega=1.7, upsilon=0.8)
    n_items = 12
    data = rng.uniform(size=(n_items, 5))
    labels = rng.integers(0, n_classes, n_items)

    def constraints():
        return [
            ClampedValues(data),
            ReLUNodes(),
            ReLUNodes(),
            ClassMargins(labels, delta=0.3, **margins),
        ]

    return arch, constraints, random_state(arch, n_items, rng)


def autoencoder_problem(rng, activation):
    arch = cyclic_architecture(6, (4,), 3, (4,), omega=3.0)
    n_data, n_code = 5, 3
    if activation == "step":
        data = rng.integers(0, 2, (n_data, 6)).astype(float)
        codes = rng.integers(0, 2, (n_code, 3)).astype(float)
    else:
        data, codes = rng.uniform(size=(n_data, 6)), rng.uniform(size=(n_code, 3))

    def constraints():
        groups = [GappedNodes(activation, 0.4) for _ in arch.group_sizes]
        groups[0] = GappedNodes(activation, 0.4, slice(0, n_data), data)
        groups[2] = GappedNodes(activation, 0.4, slice(n_data, n_data + n_code), codes)
        return groups

    return arch, constraints, random_state(arch, n_data + n_code, rng)


PROBLEMS = {
    "classifier": lambda rng: classifier_problem(rng, {}),
    "exemptions": lambda rng: classifier_problem(rng, dict(n_exempt=3)),
    "relabel": lambda rng: classifier_problem(rng, dict(n_relabel=2)),
    "false-positives": lambda rng: classifier_problem(rng, dict(n_false_positive=3)),
    "autoencoder-step": lambda rng: autoencoder_problem(rng, "step"),
    "autoencoder-zigmoid": lambda rng: autoencoder_problem(rng, "zigmoid"),
}


@pytest.fixture(params=["serial", "parallel"])
def kernels(request, monkeypatch):
    if request.param == "parallel":
        monkeypatch.setattr(network, "_PARALLEL_MIN_SIZE", 0)
    return request.param


def assert_same_run(reference, fused, states, constraint_pair, *, exact=False):
    """Same stopping iteration, errors, iterates, multipliers, P_A, biases and class
    choices: to rounding (``rtol`` 1e-11), or bit for bit with ``exact``."""

    def same(a, b, rtol=1e-11, atol=1e-12):
        if exact:
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)

    (errors_ref, cons_ref, biases_ref), (errors, cons, biases) = reference, fused
    assert errors.shape == errors_ref.shape  # same stopping iteration
    same(errors, errors_ref, atol=0.0)
    for a, b in zip(
        states[0].arrays() + states[0].multipliers,
        states[1].arrays() + states[1].multipliers,
    ):
        same(a, b)
    for field in ("x", "w", "y", "b"):
        for a, b in zip(getattr(cons_ref, field), getattr(cons, field)):
            assert (a is None) == (b is None)
            if a is not None:
                same(a, b)
    for a, b in zip(biases_ref, biases):
        assert (a is None) == (b is None)
        if a is not None:
            same(a, b)
    ref_margins, margins = constraint_pair[0][-1], constraint_pair[1][-1]
    if isinstance(ref_margins, ClassMargins):
        np.testing.assert_array_equal(margins.last_exempt, ref_margins.last_exempt)
        np.testing.assert_array_equal(margins.last_labels, ref_margins.last_labels)


@pytest.mark.parametrize("name", PROBLEMS)
def test_fused_loop_retraces_the_per_iteration_loop(name, kernels, rng):
    arch, constraints, start = PROBLEMS[name](rng)
    pair = constraints(), constraints()
    assert _fused.supported(arch, start, pair[1])
    states = start.copy(), start.copy()
    reference = per_iteration(
        arch, states[0], pair[0], beta=0.6, max_iter=N_ITER, tol=0.0
    )
    fused = _fused.run_fused(
        arch, states[1], pair[1], beta=0.6, max_iter=N_ITER, tol=0.0
    )
    assert_same_run(reference, fused, states, pair)


@pytest.mark.parametrize("name", PROBLEMS)
def test_serial_parallel_and_thread_counts_give_the_same_run(name, rng, monkeypatch):
    arch, constraints, start = PROBLEMS[name](rng)
    runs = []
    for threshold, n_threads in ((np.inf, 1), (0, 1), (0, 2), (np.inf, 2)):
        if n_threads > numba.config.NUMBA_NUM_THREADS:
            continue
        monkeypatch.setattr(network, "_PARALLEL_MIN_SIZE", threshold)
        before = numba.get_num_threads()
        numba.set_num_threads(n_threads)
        try:
            pair, state = constraints(), start.copy()
            runs.append(
                (
                    _fused.run_fused(
                        arch, state, pair, beta=0.6, max_iter=N_ITER, tol=0.0
                    ),
                    state,
                    pair,
                )
            )
        finally:
            numba.set_num_threads(before)
    for result, state, pair in runs[1:]:
        assert_same_run(
            runs[0][0], result, (runs[0][1], state), (runs[0][2], pair), exact=True
        )


@pytest.mark.parametrize("name", ["classifier", "autoencoder-zigmoid"])
def test_fused_loop_stops_at_the_same_iteration(name, rng):
    arch, constraints, start = PROBLEMS[name](rng)
    errors, _, _ = per_iteration(
        arch, start.copy(), constraints(), beta=0.6, max_iter=N_ITER, tol=0.0
    )
    tol = 0.5 * (errors[9] + errors[10])  # stops at iteration 10 or 11 (not monotone)
    pair = constraints(), constraints()
    states = start.copy(), start.copy()
    reference = per_iteration(
        arch, states[0], pair[0], beta=0.6, max_iter=N_ITER, tol=tol
    )
    fused = run_rrr(arch, states[1], pair[1], beta=0.6, max_iter=N_ITER, tol=tol)
    assert len(reference[0]) < N_ITER
    assert_same_run(reference, fused, states, pair)


def test_run_rrr_continues_with_the_multipliers_of_the_last_step(rng):
    """A second run_rrr on the same state (multipliers kept) retraces the reference."""
    arch, constraints, start = PROBLEMS["exemptions"](rng)
    pair = constraints(), constraints()
    states = start.copy(), start.copy()
    for _ in range(2):
        reference = per_iteration(
            arch, states[0], pair[0], beta=1.0, max_iter=7, tol=0.0
        )
        fused = run_rrr(arch, states[1], pair[1], beta=1.0, max_iter=7, tol=0.0)
        assert_same_run(reference, fused, states, pair)


@pytest.mark.parametrize("n_items", [3, 21])
def test_batches_smaller_and_larger_than_the_item_blocks(n_items, kernels, rng):
    arch = Architecture((4, 6, 3), omega=1.5, upsilon=0.8)
    data = rng.uniform(size=(n_items, 4))
    labels = rng.integers(0, 3, n_items)

    def constraints():
        return [
            ClampedValues(data),
            ReLUNodes(),
            ClassMargins(labels, delta=0.2, n_exempt=1),
        ]

    start = random_state(arch, n_items, rng)
    pair = constraints(), constraints()
    states = start.copy(), start.copy()
    reference = per_iteration(
        arch, states[0], pair[0], beta=0.9, max_iter=N_ITER, tol=0.0
    )
    fused = _fused.run_fused(
        arch, states[1], pair[1], beta=0.9, max_iter=N_ITER, tol=0.0
    )
    assert_same_run(reference, fused, states, pair)


def test_unsupported_problems_take_the_per_iteration_loop(rng):
    arch, constraints, start = PROBLEMS["classifier"](rng)

    class Custom(NodeConstraint):
        def project(self, x_bar, y, b):
            return ReLUNodes().project(x_bar, y, b)

    custom = constraints()
    custom[1] = Custom()
    assert not _fused.supported(arch, start, custom)
    strided = start.copy()
    strided.x[0] = np.asfortranarray(strided.x[0])
    assert not _fused.supported(arch, strided, constraints())
    # the fallback still runs
    errors, _, _ = run_rrr(arch, start.copy(), custom, beta=0.5, max_iter=3, tol=0.0)
    reference, _, _ = per_iteration(
        arch, start.copy(), constraints(), beta=0.5, max_iter=3, tol=0.0
    )
    np.testing.assert_allclose(errors, reference, rtol=1e-12)


@pytest.mark.parametrize("n", [1, 5, 8, 13, 128, 129, 300, 1000, 4099])
def test_pairwise_sum_is_numpys(n, rng):
    values = rng.normal(size=n + 3) * 10.0 ** rng.uniform(-6, 6, n + 3)
    assert _fused._pairwise_sum(values, 2, n) == np.sum(values[2 : 2 + n])


@pytest.mark.parametrize("n_nodes", [1, 2, 7])
def test_bias_mean_is_numpys(n_nodes, rng):
    ba, b = rng.normal(size=(2, 300, n_nodes)) * 10.0 ** rng.uniform(-6, 6, (2, 300, 1))
    out = np.empty(n_nodes)
    _fused._bias_mean(ba, b, out)
    np.testing.assert_array_equal(out, (2.0 * ba - b).mean(axis=0))
