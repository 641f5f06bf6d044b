"""Speed of the paper's workloads beside the paper's serial C code (issue #14).

Seconds per GWM (microseconds per iteration for LEDM), medians of several runs, the
compiled kernels warmed up first:

- LEDM m = 6, one start (r+ = 5, beta 0.3, omega 0.6), 20000 iterations.
- Majority circuits 13-26-26-2 (depth 3) and 13-26-2 (depth 2) at batch 128: one epoch
  of ``RRRClassifier.fit`` on the paper's training set with the paper's settings (delta
  0.1, beta 1, omega 2, at most 100 iterations per batch, tol 1e-3), forward passes and
  error evaluations included; GWMs from the iterations done. Numba runs on one thread.
- MNIST 784-20-10 at batch 1000 (delta 0.7, 5 eccentric exemptions): 20 RRR iterations
  on one batch of the paper's training set, from the initial weights; two threads.
- The MNIST autoencoder 784-200-10-200-784 at batch 200 + 20 (zigmoid, full gap 0.8,
  omega 10): 10 RRR iterations on one batch with the parameters of one trained batch;
  two threads.

``--compare`` also times the per-iteration Python loop over ``network.rrr_step`` (the
path before the fused loop) in the same process, run for run.

Run: ``python -m benchmarks.bench_speed [--runs N] [--compare]`` (needs the paper's
data).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from contextlib import contextmanager

import numba
import numpy as np

from lossless_tutorial import _fused, datasets
from lossless_tutorial.work import gwms

# The paper's serial C code compiled with -O2 on this kind of machine, run beside this
# package (paired runs, same settings): seconds per GWM (microseconds per iteration for
# LEDM).
C_CODE = {
    "ledm": 6.3,
    "majority3": 10.5,
    "majority2": 10.4,
    "mnist": 13.0,
    "autoencoder": 13.8,
}


@contextmanager
def threads(n):
    before = numba.get_num_threads()
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    try:
        yield numba.get_num_threads()
    finally:
        numba.set_num_threads(before)


@contextmanager
def per_iteration_loop(enabled):
    """With ``enabled``, run_rrr takes its per-iteration Python loop."""
    supported = _fused.supported
    if enabled:
        _fused.supported = lambda *args: False
    try:
        yield
    finally:
        _fused.supported = supported


def ledm(runs):
    from lossless_tutorial.nmf import RRRNMF

    Y, n_iter = datasets.ledm(6), 20000
    model = RRRNMF(
        5, beta=0.3, omega=0.6, max_iter=n_iter, tol=0.0, n_starts=1, random_state=0
    )
    model.fit(Y)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        model.fit(Y)
        times.append(time.perf_counter() - started)
    return statistics.median(times) / n_iter * 1e6


def majority(depth, runs, legacy=False):
    from lossless_tutorial.classifier import RRRClassifier
    from lossless_tutorial.reproduce import MAJORITY_SETTINGS

    X, y = datasets.load_majority(depth, "train")
    hidden = MAJORITY_SETTINGS[depth]["hidden_layer_sizes"]
    n_edges = sum(a * b for a, b in zip((13, *hidden), (*hidden, 2)))
    per_gwm = []
    with threads(1), per_iteration_loop(legacy):
        for run in range(runs + 1):
            model = RRRClassifier(
                hidden,
                delta=MAJORITY_SETTINGS[depth]["delta"],
                beta=1.0,
                omega=2.0,
                upsilon=1.0,
                batch_size=128,
                max_iter=100,
                tol=1e-3,
                epochs=1,
                random_state=run,
            )
            started = time.perf_counter()
            model.fit(X, y)
            seconds = time.perf_counter() - started
            if run:  # the first run compiles
                per_gwm.append(seconds / gwms(model.n_iter_, 128, n_edges))
    return statistics.median(per_gwm)


def mnist(runs, legacy=False):
    from lossless_tutorial.classifier import forward_pass, initial_weights
    from lossless_tutorial.network import (
        Architecture,
        ClampedValues,
        ClassMargins,
        ReLUNodes,
        replicate,
        run_rrr,
    )

    X, y = datasets.load_mnist("train")
    arch = Architecture((784, 20, 10), omega=2.0, upsilon=1.0)
    n_iter, times = 20, []
    with threads(2), per_iteration_loop(legacy):
        for run in range(runs + 1):
            rng = np.random.default_rng(run)
            weights, biases = initial_weights(arch, rng)
            index = rng.choice(len(X), 1000, replace=False)
            data, labels = X[index], y[index]
            values, pre = forward_pass(arch, weights, biases, data)
            state = replicate(arch, values, pre, weights, biases)
            constraints = [
                ClampedValues(data),
                ReLUNodes(),
                ClassMargins(labels, delta=0.7, n_exempt=5),
            ]
            started = time.perf_counter()
            run_rrr(arch, state, constraints, beta=1.0, max_iter=n_iter, tol=0.0)
            if run:
                times.append(time.perf_counter() - started)
            del state
    return statistics.median(times) / gwms(n_iter, 1000, arch.n_edges)


def autoencoder(runs, legacy=False):
    from lossless_tutorial.autoencoder import RRRAutoencoder
    from lossless_tutorial.network import run_rrr

    X, _ = datasets.load_mnist("train")
    model = RRRAutoencoder(
        (200,),
        10,
        (200,),
        gap=0.8,
        omega=10.0,
        batch_size=200,
        code_batch_size=20,
        max_iter=1,
        epochs=1,
        random_state=0,
    )
    n_iter, times = 10, []
    with threads(2), per_iteration_loop(legacy):
        model.fit(X[:200])  # the parameters of one trained batch
        arch = model._arch
        for run in range(runs + 1):
            data = X[200 * run : 200 * (run + 1)]
            codes = model.sample_codes(20, random_state=run)
            state, constraints = model._batch_problem(
                arch, model.weights_, model.biases_, data, codes
            )
            started = time.perf_counter()
            run_rrr(arch, state, constraints, beta=1.0, max_iter=n_iter, tol=0.0)
            if run:
                times.append(time.perf_counter() - started)
            del state
    return statistics.median(times) / gwms(n_iter, 220, arch.n_edges)


WORKLOADS = [
    ("ledm", "LEDM m = 6, one start (us per iteration)", ledm, 1),
    (
        "majority3",
        "majority 13-26-26-2, batch 128, one epoch of fit (1 thread)",
        lambda runs, legacy=False: majority(3, runs, legacy),
        1,
    ),
    (
        "majority2",
        "majority 13-26-2, batch 128, one epoch of fit (1 thread)",
        lambda runs, legacy=False: majority(2, runs, legacy),
        1,
    ),
    (
        "mnist",
        "MNIST 784-20-10, batch 1000, 5 exemptions, 20 iterations (2 threads)",
        mnist,
        2,
    ),
    (
        "autoencoder",
        "autoencoder 784-200-10-200-784, batch 200 + 20, 10 iterations (2 threads)",
        autoencoder,
        2,
    ),
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--compare", action="store_true", help="also time the per-iteration Python loop"
    )
    parser.add_argument(
        "--only",
        nargs="*",
        default=None,
        help="workload keys: " + ", ".join(w[0] for w in WORKLOADS),
    )
    args = parser.parse_args(argv)
    load = os.getloadavg()
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}, numba "
        f"{numba.__version__}; medians of {args.runs} runs; load average before "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n"
    )
    header = "| workload | C code | this package | C / this |"
    if args.compare:
        header += " per-iteration loop | C / loop |"
    print(header)
    print("|---|---:|---:|---:|" + ("---:|---:|" if args.compare else ""))
    for key, label, function, _ in WORKLOADS:
        if args.only and key not in args.only:
            continue
        ours = function(args.runs)
        row = f"| {label} | {C_CODE[key]:.3g} | {ours:.3g} | {C_CODE[key] / ours:.2f} |"
        if args.compare and key != "ledm":
            legacy = function(args.runs, legacy=True)
            row += f" {legacy:.3g} | {C_CODE[key] / legacy:.2f} |"
        elif args.compare:
            row += " - | - |"
        print(row, flush=True)
    load = os.getloadavg()
    print(f"\nload average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
