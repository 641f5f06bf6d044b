"""Throughput of the vectorized bilinear projection (paper Sec. 4.2, App. B).

For batches of M (item, neuron) problems with vectors of n inputs, time
``project_bilinear`` on random data (several runs, median) and report problems per
second and input pairs (x_i, w_i) per second. Also times the bilinear part of P_B for
LEDM m = 6 (one call on 6 items x 6 data nodes with 5 inputs each), alone and for 20 and
1000 starts at once.

Reference figures for the paper's serial C code, on LEDM m = 6 (6 items, 30 edges, so
1.8e-7 GWMs per RRR iteration): Table 1 reports 0.02 GWMs and 2 s per instance, i.e.
about 100 s per GWM and 18 microseconds per whole RRR iteration; the project's issue
quotes about 9 microseconds per iteration and 1 second per start. The bilinear part
timed here is one piece of an iteration, so its time is a lower bound for a whole
iteration.

Run: ``python -m benchmarks.bench_bilinear [--quick]``.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from lossless_tutorial.projections import project_bilinear

CHUNK_ELEMENTS = (
    2 * 10**7
)  # larger batches are projected in chunks of this many entries


def median_seconds(call, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def throughput(sizes, lengths, runs, rng):
    """Median seconds to project M problems of length n, chunked beyond CHUNK_ELEMENTS.

    A batch of 10^6 problems of length 1000 would need 8 GB per array, so big batches
    are timed chunk by chunk on fresh random data (generation not timed) and the chunk
    times summed; the figure is the time the whole batch takes through the same code."""
    rows = []
    for n in lengths:
        for m in sizes:
            chunk = max(1, min(m, CHUNK_ELEMENTS // n))
            x, w = rng.normal(size=(chunk, n)), rng.normal(size=(chunk, n))
            y = rng.normal(size=chunk) * np.sqrt(n)
            per_chunk = median_seconds(
                lambda: project_bilinear(x, w, y, g2=float(n)), runs
            )
            rows.append((m, n, per_chunk * m / chunk, m > chunk))
    return rows


def ledm_workload(starts, runs, rng):
    """One P_B of RRR on LEDM m = 6 with 5 codes: 36 problems of length 5 per start."""
    x = rng.uniform(size=(starts, 6, 5, 6))
    w = rng.uniform(size=(starts, 6, 5, 6))
    y = rng.uniform(size=(starts, 6, 6))
    return median_seconds(lambda: project_bilinear(x, w, y, axis=2), runs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes and runs")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    runs = 3 if args.quick else args.runs
    sizes = [10**3, 10**4, 10**5] if args.quick else [10**3, 10**4, 10**5, 10**6]
    lengths = [10, 100] if args.quick else [10, 100, 1000]
    print(
        f"# bilinear projection throughput (numpy {np.__version__}, "
        f"{platform.processor() or platform.machine()}, median of {runs} runs)\n"
    )
    print("| problems M | inputs n | seconds | problems/s | input pairs/s |")
    print("|---:|---:|---:|---:|---:|")
    for m, n, seconds, chunked in throughput(sizes, lengths, runs, rng):
        note = " (in chunks)" if chunked else ""
        print(
            f"| {m:,} | {n} | {seconds:.4g}{note} | {m / seconds:.3g} "
            f"| {m * n / seconds:.3g} |"
        )
    print("\n| LEDM m = 6 P_B workload | seconds per call | microseconds per start |")
    print("|---|---:|---:|")
    for starts in (1, 20, 1000):
        seconds = ledm_workload(starts, max(runs, 20), rng)
        print(
            f"| {starts} start(s) at once | {seconds:.3g} "
            f"| {1e6 * seconds / starts:.3g} |"
        )


if __name__ == "__main__":
    main()
