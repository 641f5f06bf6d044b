"""The hardware-free work unit of the paper: giga-weight-multiplies (GWMs, paper eq.
24).

One RRR iteration on a batch of K items of a network with E edges multiplies every
weight replica once in each projection, so its cost scales as K E, like one SGD step
(forward and backward pass) on that batch. The paper counts::

    GWMs = 1e-9 * iterations * K * E

The paper's serial C code, compiled with -O2 and run beside this package on the kind of
machine the book is tested on (paired runs, same settings), takes about 10.5 seconds per
GWM on the 13-26-26-2 majority network at batch 128, 13.0 s on MNIST 784-20-10 at batch
1000 and 13.8 s on the MNIST autoencoder; one LEDM m = 6 iteration takes 6.3 us.
"""

from __future__ import annotations

from ._validation import check_nonnegative_int

__all__ = ["gwms", "dense_edges"]


def gwms(n_iter: int, batch_size: int, n_edges: int) -> float:
    """Work of ``n_iter`` iterations (or SGD steps) on batches of ``batch_size``
    items."""
    n_iter = check_nonnegative_int("n_iter", n_iter)
    batch_size = check_nonnegative_int("batch_size", batch_size)
    n_edges = check_nonnegative_int("n_edges", n_edges)
    return 1e-9 * n_iter * batch_size * n_edges


def dense_edges(layer_sizes) -> int:
    """Number of edges of a fully connected layered network, e.g. (13, 26, 26, 2) ->
    1066."""
    sizes = [check_nonnegative_int("layer_sizes", n, minimum=1) for n in layer_sizes]
    if len(sizes) < 2:
        raise ValueError("layer_sizes must list at least an input and an output layer")
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
