"""Results do not depend on the number of threads, and numba's thread count is capped at
the CPUs this process may use (affinity mask and cgroup quota)."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from lossless_tutorial import network, nmf
from lossless_tutorial._threads import cap_numba_threads, usable_cpus
from lossless_tutorial.datasets import ledm
from lossless_tutorial.network import (
    Architecture,
    ClampedValues,
    ClassMargins,
    ReLUNodes,
    State,
    run_rrr,
)
from lossless_tutorial.nmf import RRRNMF

THREADS = [1, 2]


@pytest.fixture
def threads(monkeypatch):
    """Run a function under a given numba thread count, restoring the count
    afterwards."""
    before = numba.get_num_threads()

    def run(n, function):
        if n > numba.config.NUMBA_NUM_THREADS:
            pytest.skip(
                f"numba was started with {numba.config.NUMBA_NUM_THREADS} threads"
            )
        numba.set_num_threads(n)
        try:
            return function()
        finally:
            numba.set_num_threads(before)

    return run


def test_network_iterates_do_not_depend_on_the_thread_count(rng, threads, monkeypatch):
    monkeypatch.setattr(network, "_PARALLEL_MIN_SIZE", 0)  # always the parallel kernels
    arch = Architecture((4, 5, 3), omega=1.5, upsilon=0.8)
    n_items = 9
    data = rng.normal(size=(n_items, 4))
    labels = rng.integers(0, 3, n_items)
    constraints = [ClampedValues(data), ReLUNodes(), ClassMargins(labels, delta=0.2)]
    start = State(
        [rng.normal(size=arch.layer_shape(l, n_items)) for l in range(2)],
        [rng.normal(size=arch.layer_shape(l, n_items)) for l in range(2)],
        [None] + [rng.normal(size=(n_items, n)) for n in arch.group_sizes[1:]],
        [None] + [rng.normal(size=(n_items, n)) for n in arch.group_sizes[1:]],
    )

    def run():
        iterate = start.copy()
        errors, _, _ = run_rrr(
            arch, iterate, constraints, beta=0.5, max_iter=30, tol=0.0
        )
        return errors, iterate.arrays()

    (errors_1, arrays_1), (errors_2, arrays_2) = (threads(n, run) for n in THREADS)
    np.testing.assert_array_equal(errors_1, errors_2)
    for a, b in zip(arrays_1, arrays_2):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "settings",
    [
        dict(n_starts=3),  # parallel over starts
        dict(n_starts=1),
    ],  # parallel over blocks of items
    ids=["starts", "items"],
)
def test_nmf_runs_do_not_depend_on_the_thread_count(threads, settings, monkeypatch):
    monkeypatch.setattr(nmf, "_ITEM_PARALLEL_SIZE", 0)  # one start: parallel over items
    Y = ledm(6)

    def run():
        model = RRRNMF(
            5, beta=0.3, omega=0.6, max_iter=2_000, tol=0.0, random_state=4, **settings
        ).fit(Y)
        return model.history_.rrr_error, model.components_

    (errors_1, w_1), (errors_2, w_2) = (threads(n, run) for n in THREADS)
    np.testing.assert_array_equal(errors_1, errors_2)
    np.testing.assert_array_equal(w_1, w_2)


def test_usable_cpus_follows_a_cgroup_quota(tmp_path, monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2, 3, 4, 5, 6, 7})
    (tmp_path / "cpu.max").write_text("150000 100000\n")  # 1.5 CPUs
    assert usable_cpus(tmp_path) == 2
    (tmp_path / "cpu.max").write_text("max 100000\n")  # no quota: the affinity mask
    assert usable_cpus(tmp_path) == 8
    (tmp_path / "cpu.max").unlink()
    v1 = tmp_path / "cpu"
    v1.mkdir()
    (v1 / "cpu.cfs_quota_us").write_text("300000\n")
    (v1 / "cpu.cfs_period_us").write_text("100000\n")
    assert usable_cpus(tmp_path) == 3
    (v1 / "cpu.cfs_quota_us").write_text("-1\n")  # v1's "no quota"
    assert usable_cpus(tmp_path) == 8


def test_usable_cpus_follows_the_affinity_mask(tmp_path, monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {3})
    assert usable_cpus(tmp_path) == 1


def test_numba_threads_are_capped_but_an_explicit_setting_is_kept(monkeypatch):
    before = numba.get_num_threads()
    monkeypatch.delenv("NUMBA_NUM_THREADS", raising=False)
    monkeypatch.setattr("lossless_tutorial._threads.usable_cpus", lambda: 1)
    try:
        assert cap_numba_threads() == 1
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        monkeypatch.setenv("NUMBA_NUM_THREADS", str(numba.config.NUMBA_NUM_THREADS))
        assert cap_numba_threads() == numba.config.NUMBA_NUM_THREADS
    finally:
        numba.set_num_threads(before)


def test_autoencoder_runs_do_not_depend_on_the_thread_count(threads, monkeypatch):
    from lossless_tutorial.autoencoder import RRRAutoencoder

    monkeypatch.setattr(network, "_PARALLEL_MIN_SIZE", 0)  # always the parallel kernels
    X = np.random.default_rng(3).uniform(size=(12, 9))

    def run():
        model = RRRAutoencoder(
            (4,),
            2,
            (4,),
            activation="zigmoid",
            gap=0.4,
            beta=1.0,
            omega=3.0,
            batch_size=6,
            code_batch_size=2,
            max_iter=15,
            epochs=2,
            random_state=0,
        ).fit(X)
        return model.history_.rrr_error_end, model.reconstruct(X)

    (errors_1, out_1), (errors_2, out_2) = (threads(n, run) for n in THREADS)
    np.testing.assert_array_equal(errors_1, errors_2)
    np.testing.assert_array_equal(out_1, out_2)
