"""Speed of the models' RRR iterations: RRRNMF and the classifier network.

- LEDM m = 6 (r+ = 5, beta 0.3, omega 0.6): RRR iterations per second and GWMs per
  second, for one start and for 20 starts at once (per start), with a fixed iteration
  count (tol = 0), and the time for 20 starts to solve the instance exactly.
- Letter montages (40x40 images, 16 components, batches of 50): one epoch of online NMF.
- Classifier networks: seconds per GWM of RRR iterations on one batch, for
  13 -> 26 -> 26 -> 2 at batch 128 (the paper's serial C code, compiled -O2 on this kind
  of machine: 10.5 s per GWM) and 784 -> 20 -> 10 at batch 1000 (C: 13.0 s per GWM).

The paper's C code, measured the same way, runs one LEDM m = 6 iteration in 6.3
microseconds. Every figure is the median of several runs; the compiled kernels are
warmed up first. ``benchmarks.bench_speed`` times the paper's workloads beside the C
code.

Run: ``python -m benchmarks.bench_models [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from benchmarks.bench_bilinear import median_seconds
from lossless_tutorial import datasets
from lossless_tutorial.classifier import forward_pass, initial_weights
from lossless_tutorial.network import (
    Architecture,
    ClampedValues,
    ClassMargins,
    ReLUNodes,
    replicate,
    run_rrr,
)
from lossless_tutorial.nmf import RRRNMF
from lossless_tutorial.work import gwms


def ledm_rows(runs, n_iter):
    Y = datasets.ledm(6)
    work = gwms(1, 6, 30)
    rows = []
    for starts in (1, 20):
        model = RRRNMF(
            5,
            beta=0.3,
            omega=0.6,
            max_iter=n_iter,
            tol=0.0,
            n_starts=starts,
            random_state=0,
        )
        model.fit(Y)  # warm-up (compiles on the first call)
        seconds = median_seconds(lambda: model.fit(Y), runs)
        per_iter = seconds / (n_iter * starts)
        rows.append(
            (
                f"LEDM m=6, {starts} start(s), {n_iter} iterations",
                seconds,
                1 / per_iter,
                work / per_iter,
                per_iter * 1e6,
            )
        )
    return rows


def ledm_solve_time(runs):
    Y = datasets.ledm(6)
    times, solved = [], []
    for run in range(runs):
        model = RRRNMF(
            5,
            beta=0.3,
            omega=0.6,
            max_iter=2_000_000,
            tol=1e-10,
            n_starts=20,
            random_state=run,
        )
        start = time.perf_counter()
        model.fit(Y)
        times.append(time.perf_counter() - start)
        solved.append(int(model.converged_.sum()))
    return float(np.median(times)), solved


def letters_row(runs):
    X = datasets.letter_montages(n_images=2000, random_state=0).images
    model = RRRNMF(
        16, beta=1.0, omega=2.0, batch_size=50, max_iter=4, epochs=1, random_state=0
    )
    model.fit(X[:100])
    seconds = median_seconds(lambda: model.fit(X), runs)
    n_iter = 40 * 4
    work = gwms(n_iter, 50, 16 * X.shape[1])
    return (
        "letter montages, 1 epoch (40 batches x 4 iterations)",
        seconds,
        n_iter / seconds,
        work / seconds,
        seconds / n_iter * 1e6,
    )


def network_row(sizes, batch_size, n_iter, runs, rng):
    arch = Architecture(sizes, omega=2.0)
    weights, biases = initial_weights(arch, rng)
    data = rng.uniform(size=(batch_size, sizes[0]))
    labels = rng.integers(0, sizes[-1], batch_size)
    constraints = (
        [ClampedValues(data)]
        + [ReLUNodes()] * (len(sizes) - 2)
        + [ClassMargins(labels, delta=0.1)]
    )

    def run():
        values, pre = forward_pass(arch, weights, biases, data)
        state = replicate(arch, values, pre, weights, biases)
        run_rrr(arch, state, constraints, beta=1.0, max_iter=n_iter, tol=0.0)

    run()
    seconds = median_seconds(run, runs)
    work = gwms(n_iter, batch_size, arch.n_edges)
    label = " -> ".join(map(str, sizes)) + f", batch {batch_size}, {n_iter} iterations"
    return label, seconds, n_iter / seconds, work / seconds, seconds / work


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer runs and iterations"
    )
    args = parser.parse_args(argv)
    runs = 3 if args.quick else 7
    rng = np.random.default_rng(0)
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}; median of {runs} "
        "runs\n"
    )
    print(
        "| workload | seconds | iterations/s (per start) | GWMs/s | us per iteration |"
    )
    print("|---|---:|---:|---:|---:|")
    for label, seconds, it_s, gwm_s, us in ledm_rows(
        runs, 5000 if args.quick else 20000
    ):
        print(f"| {label} | {seconds:.3g} | {it_s:.3g} | {gwm_s:.3g} | {us:.3g} |")
    label, seconds, it_s, gwm_s, us = letters_row(runs)
    print(f"| {label} | {seconds:.3g} | {it_s:.3g} | {gwm_s:.3g} | {us:.3g} |")
    solve, solved = ledm_solve_time(3 if args.quick else 5)
    print(
        "\nLEDM m=6, 20 starts to convergence (cap 2e6 iterations): "
        f"median {solve:.3g} s for all 20, i.e. {solve / 20:.3g} s per start; "
        f"solved per run: {solved}\n"
    )
    print("| network | seconds | iterations/s | GWMs/s | seconds per GWM |")
    print("|---|---:|---:|---:|---:|")
    for sizes, batch, n_iter in (
        ((13, 26, 26, 2), 128, 200 if args.quick else 500),
        ((784, 20, 10), 1000, 5 if args.quick else 20),
    ):
        label, seconds, it_s, gwm_s, s_gwm = network_row(
            sizes, batch, n_iter, runs, rng
        )
        print(f"| {label} | {seconds:.3g} | {it_s:.3g} | {gwm_s:.3g} | {s_gwm:.3g} |")


if __name__ == "__main__":
    main()
