"""RRRNMF: the compiled iteration equals RRR run with the numpy projections of the spec,
exact factorizations of LEDM m = 6 from most seeds, the constraints on the features,
online mode, resuming, and input checking."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from scipy.optimize import nnls
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from lossless_tutorial import nmf as nmf_module
from lossless_tutorial.datasets import ledm
from lossless_tutorial.nmf import RRRNMF, nmf_encode, nonnegative_codes
from lossless_tutorial.projections import project_bilinear, project_nonnegative_norm
from lossless_tutorial.rrr import rrr


def exact_data(rng, n_items=12, n_features=7, rank=3):
    return rng.uniform(size=(n_items, rank)) @ rng.uniform(size=(rank, n_features))


def numpy_rrr(data, features, beta, omega, n_iter):
    """RRR on the replicated variables built from projections.py and rrr.py (paper Sec.
    4)."""
    n_items, n_features = data.shape
    shape = (n_items, n_features, features.shape[1])  # (item k, data node j, code i)

    def project_a(z):
        x, w = z
        xa = np.maximum(x.mean(axis=1), 0.0)  # consensus codes
        wa = project_nonnegative_norm(w.mean(axis=0), omega=omega, axis=0)  # features
        return np.stack(
            [np.broadcast_to(xa[:, None, :], shape), np.broadcast_to(wa[None], shape)]
        )

    def project_b(z):
        x, w, _ = project_bilinear(z[0], z[1], data, axis=-1)
        return np.stack([x, w])

    codes = nmf_encode(data, features.T)
    z0 = np.stack(
        [
            np.broadcast_to(codes[:, None, :], shape),
            np.broadcast_to(features[None], shape),
        ]
    ).astype(float)
    return rrr(z0, project_a, project_b, beta=beta, max_iter=n_iter, tol=0.0)


def test_compiled_iteration_equals_numpy_rrr(rng):
    data = exact_data(rng)
    model = RRRNMF(3, beta=0.7, omega=1.3, max_iter=40, tol=0.0, random_state=3).fit(
        data
    )
    features = model._initial_features(7, 3, 1.3, 1)[0]
    reference = numpy_rrr(data, features, 0.7, 1.3, 40)
    np.testing.assert_allclose(
        model.history_.rrr_error * np.sqrt(12), reference.errors, rtol=1e-9
    )
    # the model keeps P_A of the iterate its last error was measured at, before the step
    wa = numpy_rrr(data, features, 0.7, 1.3, 39).solution[1].mean(axis=0)
    np.testing.assert_allclose(model.components_, wa.T, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("n_items, n_features", [(30, 7), (5, 70)])
def test_compiled_groups_of_pairs_equal_numpy_rrr(rng, n_items, n_features):
    # 30 x 7 pairs span several groups of the lockstep solve, the last one partial;
    # with 70 data nodes a group is one item
    data = exact_data(rng, n_items=n_items, n_features=n_features)
    model = RRRNMF(3, beta=0.5, omega=0.9, max_iter=25, tol=0.0, random_state=1)
    model.fit(data)
    features = model._initial_features(n_features, 3, 0.9, 1)[0]
    reference = numpy_rrr(data, features, 0.5, 0.9, 25)
    np.testing.assert_allclose(
        model.history_.rrr_error * np.sqrt(n_items), reference.errors, rtol=1e-9
    )


def test_single_start_item_parallel_and_multi_start_kernels_retrace_each_other(rng):
    """The serial loop of one start, the loop in parallel over items and the loop in
    parallel over starts run the same iterations, bit for bit, and stop at the same
    iteration (the loop over items sums the errors by blocks of items: last bits)."""
    data = exact_data(rng, n_items=40, n_features=9)
    model = RRRNMF(
        3, beta=0.5, omega=1.0, max_iter=30, tol=0.0, random_state=4, warm_start=True
    ).fit(data)
    x, w, u = model._state
    tol = 0.5 * model.history_.rrr_error[-1]  # reached within the next few hundred
    runs = []
    for kernel in ("serial", "items", "starts"):
        xs, ws, us = x.copy(), w.copy(), u.copy()
        xa, wa = np.empty((1, 40, 3)), np.empty((1, 9, 3))
        errors, recon = np.empty((1, 2000)), np.empty((1, 2000))
        args = (data, 0.5, 1.0, tol)
        if kernel == "starts":
            n_done = np.zeros(1, dtype=np.int64)
            active = np.ones(1, bool)
            nmf_module._iterate_starts(
                xs, ws, us, *args, active, xa, wa, errors, recon, n_done
            )
            n_done = n_done[0]
        else:
            iterate = {
                "serial": nmf_module._iterate,
                "items": nmf_module._iterate_items,
            }
            n_done = iterate[kernel](
                xs[0], ws[0], us[0], *args, xa[0], wa[0], errors[0], recon[0]
            )
        runs.append((n_done, errors[0, :n_done], recon[0, :n_done], xs, ws, us, xa, wa))
    assert runs[0][0] < 2000 and runs[0][1][-1] < tol
    for run in runs[1:]:
        assert run[0] == runs[0][0]
        for a, b in zip(run[3:], runs[0][3:]):
            np.testing.assert_array_equal(a, b)
        for a, b in zip(run[1:3], runs[0][1:3]):
            np.testing.assert_allclose(a, b, rtol=1e-13)


def test_ledm6_is_factorized_exactly_from_most_seeds():
    # Paper, Table 1: 100% of 20 runs (beta 0.3, omega 0.6). Here 8 starts with a cap of
    # 3e5 iterations; runs that need longer are counted as failures.
    Y = ledm(6)
    model = RRRNMF(
        5, beta=0.3, omega=0.6, max_iter=300_000, tol=1e-10, n_starts=8, random_state=0
    ).fit(Y)
    assert model.converged_.sum() >= 5
    for s in np.flatnonzero(model.converged_):
        H = model.start_components_[s]
        assert np.all(H >= 0)
        np.testing.assert_allclose(np.linalg.norm(H, axis=1), 0.6, rtol=1e-12)
        assert model.start_reconstruction_err_[s] < 1e-8
    codes = RRRNMF(
        5, beta=0.3, omega=0.6, max_iter=300_000, tol=1e-10, random_state=0
    ).fit_transform(Y)
    assert np.all(codes >= 0)
    np.testing.assert_allclose(
        codes @ model.components_ if model.best_start_ == 0 else Y, Y, atol=1e-8
    )
    # transform: the best codes of the solved features reconstruct Y exactly too; the
    # paper's encoder codes do not (the encoder needs the ReLU on this matrix)
    assert model.converged_[model.best_start_]
    relative = lambda c: np.linalg.norm(Y - c @ model.components_) / np.linalg.norm(Y)
    assert relative(model.transform(Y)) < 1e-8
    assert relative(model.encode(Y)) > 1e-3


def test_default_max_iter_solves_ledm6():
    # with the paper's beta and omega and nothing else set, seed 0 reaches tol (in about
    # 3e4 iterations); the former default of 1e4 solved no start
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = RRRNMF(5, beta=0.3, omega=0.6, random_state=0).fit(ledm(6))
    assert model.converged_[0] and 1e4 < model.n_iter_ < RRRNMF(5).max_iter


def test_each_start_is_independent_of_the_others(rng):
    data = exact_data(rng)
    kwargs = dict(beta=0.5, omega=1.0, max_iter=300, tol=1e-12, random_state=7)
    with pytest.warns(ConvergenceWarning, match="max_iter=300"):
        single = RRRNMF(3, **kwargs).fit(data)
    with pytest.warns(ConvergenceWarning):
        several = RRRNMF(3, n_starts=3, **kwargs).fit(data)
    np.testing.assert_array_equal(several.start_components_[0], single.components_)
    assert several.start_n_iter_[0] == single.n_iter_
    assert several.history_.rrr_error.shape[1] == 3
    best = np.argmin(several.start_reconstruction_err_)
    np.testing.assert_array_equal(several.components_, several.start_components_[best])


def test_components_are_nonnegative_with_norm_omega(rng):
    data = rng.uniform(size=(30, 9))  # not exactly factorizable at rank 2
    model = RRRNMF(2, omega=2.0, max_iter=200, random_state=1)
    with pytest.warns(ConvergenceWarning):
        codes = model.fit_transform(data)
    assert np.all(model.components_ >= 0)
    np.testing.assert_allclose(
        np.linalg.norm(model.components_, axis=1), 2.0, rtol=1e-12
    )
    # not converged: fit_transform gives the best codes, as transform does
    np.testing.assert_array_equal(codes, model.transform(data))
    # reconstruction_err_ is that of RRR's own codes (P_A of the last iterate), which
    # the same run again returns from the internal fit
    with pytest.warns(ConvergenceWarning):
        rrr_codes = model._fit(data)[0]
    expected = np.linalg.norm(data - rrr_codes @ model.components_)
    assert model.reconstruction_err_ == pytest.approx(expected, rel=1e-12)
    assert np.linalg.norm(data - codes @ model.components_) <= expected
    codes = model.encode(data)
    assert codes.shape == (30, 2) and np.all(codes >= 0)
    # the encoder's codes are the nonnegative part of the least-squares codes
    least_squares = np.linalg.lstsq(model.components_.T, data.T, rcond=None)[0].T
    np.testing.assert_allclose(codes, np.maximum(least_squares, 0), atol=1e-12)


def test_online_mode_learns_across_batches_and_epochs(rng):
    data = exact_data(rng, n_items=205, n_features=10, rank=4)
    model = RRRNMF(4, batch_size=20, max_iter=4, epochs=8, omega=2.0, random_state=0)
    model.fit(data)
    history = model.history_
    assert history.rrr_error.shape == (8 * 10 * 4,)  # 10 full batches; 5 items dropped
    np.testing.assert_array_equal(np.unique(history.batch), np.arange(10))
    assert history.epoch_rms_reconstruction_error.shape == (8,)
    first, last = history.epoch_rms_reconstruction_error[[0, -1]]
    assert last < 0.5 * first
    assert np.all(np.diff(history.gwms) > 0)
    assert history.gwms[-1] == pytest.approx(320 * 20 * 40 * 1e-9)
    # the reported error is that of the encoder's codes on the whole data
    codes = model.encode(data)
    rms = np.sqrt(np.mean((data - codes @ model.components_) ** 2))
    assert history.epoch_rms_reconstruction_error[-1] == pytest.approx(rms, rel=1e-9)
    # fit_transform in online mode gives the best codes, as transform does; no warning:
    # a few iterations per batch is the protocol
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        best = RRRNMF(
            4, batch_size=20, max_iter=4, epochs=8, omega=2.0, random_state=0
        ).fit_transform(data)
    np.testing.assert_array_equal(best, model.transform(data))
    assert np.linalg.norm(data - best @ model.components_) <= np.sqrt(data.size) * rms


def test_warm_start_resumes_the_search(rng):
    data = exact_data(rng)
    kwargs = dict(beta=0.5, tol=0.0, random_state=2)
    once = RRRNMF(3, max_iter=500, **kwargs).fit(data)
    twice = RRRNMF(3, max_iter=250, warm_start=True, **kwargs).fit(data).fit(data)
    np.testing.assert_array_equal(twice.components_, once.components_)


def test_interrupt_keeps_what_was_found(rng, monkeypatch):
    data = exact_data(rng)
    original = nmf_module._rrr_chunk
    calls = []

    def interrupt_second_call(*args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(*args)

    monkeypatch.setattr(nmf_module, "_rrr_chunk", interrupt_second_call)
    model = RRRNMF(3, max_iter=10_000, tol=0.0, random_state=0).fit(data)
    assert model.history_.status == "interrupted"
    assert model.n_iter_ == nmf_module._CHUNK
    assert np.all(model.components_ >= 0)


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(n_components=0), "n_components"),
        (dict(beta=0.0), "beta"),
        (dict(omega=-1.0), "omega"),
        (dict(batch_size=100), "batch_size"),
        (dict(max_iter=0), "max_iter"),
        (dict(n_starts=0), "n_starts"),
        (dict(random_state="seed"), "random_state"),
    ],
)
def test_bad_parameters(bad, message):
    kwargs = dict(n_components=2) | bad
    with pytest.raises(ValueError, match=message):
        RRRNMF(**kwargs).fit(np.ones((5, 3)))


@pytest.mark.parametrize(
    "data, message",
    [
        (-np.ones((4, 3)), "nonnegative"),
        (np.full((4, 3), np.nan), "NaN"),
        (np.ones(5), "Expected 2D array"),
        (np.ones((0, 3)), "0 sample"),
        (np.ones((3, 0)), "0 feature"),
    ],
)
def test_bad_data(data, message):
    with pytest.raises(ValueError, match=message):
        RRRNMF(2).fit(data)


def test_transform_checks():
    for method in ("transform", "encode", "inverse_transform"):
        with pytest.raises(NotFittedError, match="not fitted"):
            getattr(RRRNMF(2), method)(np.ones((2, 3)))
    model = RRRNMF(2, max_iter=5, tol=0.0).fit(np.ones((4, 3)))
    with pytest.raises(ValueError, match="features"):
        model.transform(np.ones((2, 4)))
    with pytest.raises(ValueError, match="columns"):
        model.inverse_transform(np.ones((2, 3)))


def brute_force_nnls(A, y):
    """min |A x - y| over x >= 0 by trying every support: on the right support the
    least-squares solution is nonnegative (an independent reference for small n)."""
    best, best_x = np.inf, np.zeros(A.shape[1])
    for size in range(A.shape[1] + 1):
        for support in itertools.combinations(range(A.shape[1]), size):
            x = np.zeros(A.shape[1])
            if support:
                x[list(support)] = np.linalg.lstsq(A[:, support], y, rcond=None)[0]
            if np.all(x >= -1e-12) and np.linalg.norm(A @ x - y) < best:
                best, best_x = np.linalg.norm(A @ x - y), x
    return best_x


@pytest.mark.parametrize("n_components, n_features", [(3, 7), (3, 2), (4, 4)])
def test_nonnegative_codes_are_the_least_squares_optimum(rng, n_components, n_features):
    X = rng.uniform(size=(40, n_features))
    X[:5] = rng.uniform(size=(5, n_components)) @ rng.uniform(
        size=(n_components, n_features)
    )
    H = rng.uniform(size=(n_components, n_features)) * (
        rng.uniform(size=(n_components, n_features)) < 0.7
    )
    codes = nonnegative_codes(X, H)
    assert codes.shape == (40, n_components) and np.all(codes >= 0)
    for y, x in zip(X, codes):
        reference = brute_force_nnls(H.T, y)
        assert np.linalg.norm(x @ H - y) == pytest.approx(
            np.linalg.norm(reference @ H - y), rel=1e-9, abs=1e-12
        )
        assert np.linalg.norm(x @ H - y) == pytest.approx(
            nnls(H.T, y)[1], rel=1e-9, abs=1e-12
        )


def test_transform_is_nonnegative_least_squares_for_the_fitted_features(rng):
    data = exact_data(rng, n_items=20, n_features=6, rank=3)
    with pytest.warns(ConvergenceWarning):
        model = RRRNMF(3, max_iter=50, random_state=0).fit(data)
    new = rng.uniform(size=(9, 6))
    codes = model.transform(new)
    for y, x in zip(new, codes):
        reference, residual = nnls(model.components_.T, y)
        assert np.linalg.norm(x @ model.components_ - y) == pytest.approx(
            residual, rel=1e-9
        )
    # never worse than the paper's encoder codes
    assert (
        np.linalg.norm(new - codes @ model.components_)
        <= np.linalg.norm(new - model.encode(new) @ model.components_) + 1e-12
    )


@pytest.mark.parametrize("shape", [(1, 4), (5, 1), (1, 1)])
def test_one_row_or_one_column(shape):
    data = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape)
    model = RRRNMF(1, max_iter=20_000, random_state=0).fit(data)
    assert model.converged_[0]
    np.testing.assert_allclose(
        model.inverse_transform(model.transform(data)), data, rtol=1e-8
    )


def test_random_state_may_be_a_random_state(rng):
    data = exact_data(rng)
    kwargs = dict(max_iter=20, tol=0.0, n_starts=2)
    a = RRRNMF(3, random_state=np.random.RandomState(5), **kwargs).fit(data)
    b = RRRNMF(3, random_state=np.random.RandomState(5), **kwargs).fit(data)
    np.testing.assert_array_equal(a.start_components_, b.start_components_)
    assert not np.array_equal(a.start_components_[0], a.start_components_[1])


def test_no_warning_when_converged_or_tol_is_zero(rng):
    data = exact_data(rng)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        RRRNMF(3, max_iter=10, tol=0.0, random_state=0).fit(data)
        model = RRRNMF(3, beta=0.5, tol=1e-8, random_state=0).fit(data)
    assert model.converged_[0] and model.history_.status == "finished"


def test_divergence_is_reported(rng):
    data = exact_data(rng)
    with pytest.warns(ConvergenceWarning, match="diverged"):
        model = RRRNMF(3, beta=1e300, max_iter=10_000, random_state=0).fit(data)
    assert model.history_.status == "diverged"
    assert model.n_iter_ < 10_000  # stopped once the iterates were no longer finite
