"""Speed and memory of the MNIST autoencoder's RRR batch, and of the generative model's
code classifier.

- The paper's batch: 784 -> 200 -> 10 -> 200 -> 784 (zigmoid, |E| = 317,600) with 200
  data and 20 code items; seconds per GWM of RRR iterations (fixed count), and the peak
  memory of building and iterating the batch against ``batch_memory_bytes``. Also a half
  batch (100 + 10 items), to show that memory scales with the batch.
- The generative model's classifier 10 -> 50 -> 50 -> 50 -> 2 at batch 500 with the
  false-positive allowance: seconds per GWM.

Each workload runs in a fresh process (``multiprocessing`` spawn), so that its peak
resident memory (``ru_maxrss``) is its own. Figures are medians of several runs.

Run: ``python -m benchmarks.bench_autoencoder [--runs N]``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import resource
import statistics
import time

import numpy as np


def autoencoder_batch(n_data, n_code, n_iter, runs):
    """Seconds per GWM and peak memory of RRR on one MNIST autoencoder batch."""
    from lossless_tutorial import datasets
    from lossless_tutorial.autoencoder import RRRAutoencoder, batch_memory_bytes
    from lossless_tutorial.network import run_rrr
    from lossless_tutorial.work import gwms

    X, _ = datasets.load_mnist("train")
    model = RRRAutoencoder(
        (200,),
        10,
        (200,),
        gap=0.8,
        omega=10.0,
        batch_size=n_data,
        code_batch_size=n_code,
        max_iter=1,
        epochs=1,
        random_state=0,
    )
    small = RRRAutoencoder(
        (3,), 2, (3,), gap=0.8, batch_size=4, code_batch_size=1, max_iter=1, epochs=1
    ).fit(X[:4])  # compiles the kernels
    small.encode(X[:4])
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    model.fit(X[:n_data])  # the parameters of one trained batch
    arch = model._arch
    times = []
    for run in range(runs):
        data = X[n_data * run : n_data * (run + 1)]
        codes = model.sample_codes(n_code, random_state=run)
        state, constraints = model._batch_problem(
            arch, model.weights_, model.biases_, data, codes
        )
        started = time.perf_counter()
        run_rrr(arch, state, constraints, beta=1.0, max_iter=n_iter, tol=0.0)
        times.append(time.perf_counter() - started)
        del state
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    seconds = statistics.median(times)
    work = gwms(n_iter, n_data + n_code, arch.n_edges)
    return dict(
        seconds=seconds,
        gwms=work,
        seconds_per_gwm=seconds / work,
        peak_bytes=peak,
        before_bytes=rss_before,
        estimate_bytes=batch_memory_bytes(784, n_items=n_data + n_code),
    )


def generative_batch(n_iter, runs):
    """Seconds per GWM of the code classifier's RRR on one batch of 500 codes."""
    from lossless_tutorial.classifier import RRRClassifier

    rng = np.random.default_rng(0)
    codes = rng.uniform(size=(500 * (runs + 1), 10))
    labels = (rng.uniform(size=len(codes)) < 1 / 3).astype(int)
    times = []
    for run in range(runs + 1):
        model = RRRClassifier(
            (50, 50, 50),
            omega=5.0,
            delta=0.1,
            batch_size=500,
            max_iter=n_iter,
            tol=0.0,
            epochs=1,
            false_positives=83,
            random_state=run,
        )
        chunk = slice(500 * run, 500 * (run + 1))
        started = time.perf_counter()
        model.fit(codes[chunk], labels[chunk])
        times.append(time.perf_counter() - started)
    seconds = statistics.median(times[1:])  # the first run compiles
    work = n_iter * 500 * 5600 * 1e-9
    return dict(seconds=seconds, gwms=work, seconds_per_gwm=seconds / work)


def _in_fresh_process(function, *args):
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, args)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; medians of {args.runs} runs\n"
    )
    print(
        "| workload | seconds | GWMs | seconds per GWM | peak resident memory "
        "| estimate (batch_memory_bytes) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for n_data, n_code in ((200, 20), (100, 10)):
        row = _in_fresh_process(autoencoder_batch, n_data, n_code, 10, args.runs)
        peak = row["peak_bytes"]
        print(
            f"| autoencoder batch {n_data}+{n_code}, 10 iterations "
            f"| {row['seconds']:.3g} | {row['gwms']:.3g} "
            f"| {row['seconds_per_gwm']:.3g} "
            f"| {peak / 1e9:.2f} GB ({(peak - row['before_bytes']) / 1e9:.2f}"
            " GB above the process before any batch) "
            f"| {row['estimate_bytes'] / 1e9:.2f} GB |"
        )
    row = _in_fresh_process(generative_batch, 100, args.runs)
    print(
        f"| code classifier 10-50-50-50-2, batch 500, 100 iterations | "
        f"{row['seconds']:.3g} | {row['gwms']:.3g} | {row['seconds_per_gwm']:.3g} "
        "| - | - |"
    )


if __name__ == "__main__":
    main()
