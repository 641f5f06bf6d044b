"""A batch's RRR iterations in one compiled call: the update of the paper's eq. 45 on
the replicated variables of its networks (the classifiers of Sec. 5, the autoencoder of
Sec. 6), the error in the metric of eq. 27 and the stopping test.

:func:`lossless_tutorial.network.run_rrr` used to iterate
:func:`~lossless_tutorial.network.rrr_step` from Python: every iteration called a
handful of compiled kernels and a few numpy operations (the class margins, the bias
means, the error sums), whose overhead rivals the arithmetic of a small network.
:func:`run_fused` runs all iterations of a batch, stopping test included, inside one
compiled loop, and fuses the passes over the replicas: the step of a layer also sums,
for the next iteration's P_A, the new out-edge copies of every source node (the node
means) and the new weight replicas (the weight consensus), so that an iteration reads
and writes every replica about once.

The arithmetic is that of ``rrr_step``: the same per-row bilinear projection and step,
the node sums in the same order (copies summed over the out-edges in edge order), the
class margins of :mod:`~lossless_tutorial.projections` with numpy's rounding (no
fast-math there), and the bias means and the error with numpy's summation orders. The
two loops are compiled separately and fast-math lets the compiler pick its summation
order within a row, so they agree to rounding (about 1e-13 after 25 iterations), and an
item's error is summed row by row (its last bits alone differ); the tests compare the
two loops.

The items of a layer are stepped in a fixed number of blocks, each summing the new
weight replicas of its items, the blocks' sums then added in block order (a summation
order of its own, to rounding the same). The blocks are the same serially and on any
number of threads, and the threads never share a sum, so that the iterates are the same
serially and in parallel, on any number of threads.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange
from numba.typed import List

from . import network
from ._bilinear_kernel import bilinear_scales
from .network import (
    _FASTMATH,
    ClampedValues,
    ClassMargins,
    Consensus,
    GappedNodes,
    ReLUNodes,
    _clamped_node,
    _free_node,
)

__all__ = ["supported", "run_fused"]

_INPUT, _RELU, _GAPPED, _CLASS = 0, 1, 2, 3
_PLAIN, _EXEMPT, _RELABEL, _FALSE_POSITIVE = 0, 1, 2, 3


# --------------------------------------------------------------------------------------
# numpy's summation orders, for bit-equal bias means and errors
# --------------------------------------------------------------------------------------


@njit(cache=True, error_model="numpy")
def _pairwise_block(a, start, n):
    """numpy's pairwise sum of at most 128 terms: 8 partial sums, then the rest."""
    if n < 8:
        res = 0.0
        for i in range(start, start + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[start], a[start + 1], a[start + 2], a[start + 3]
    r4, r5, r6, r7 = a[start + 4], a[start + 5], a[start + 6], a[start + 7]
    i = 8
    stop = n - n % 8
    while i < stop:
        r0 += a[start + i]
        r1 += a[start + i + 1]
        r2 += a[start + i + 2]
        r3 += a[start + i + 3]
        r4 += a[start + i + 4]
        r5 += a[start + i + 5]
        r6 += a[start + i + 6]
        r7 += a[start + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[start + i]
        i += 1
    return res


@njit(cache=True, error_model="numpy")
def _pairwise_sum(a, start, n):
    """``np.sum`` of ``a[start:start + n]`` (contiguous float64) with numpy's pairwise
    summation: blocks of at most 128 terms, larger ranges split in halves (a multiple of
    8 first) and the halves' sums added. Written with an explicit stack (numba caches no
    recursive functions)."""
    if n <= 128:
        return _pairwise_block(a, start, n)
    starts = np.empty(192, dtype=np.int64)
    sizes = np.empty(192, dtype=np.int64)
    combine = np.empty(192, dtype=np.bool_)
    results = np.empty(192)
    top = 1
    starts[0], sizes[0], combine[0] = start, n, False
    n_results = 0
    while top > 0:
        top -= 1
        s, m = starts[top], sizes[top]
        if combine[top]:
            n_results -= 1
            results[n_results - 1] = results[n_results - 1] + results[n_results]
        elif m <= 128:
            results[n_results] = _pairwise_block(a, s, m)
            n_results += 1
        else:
            half = m // 2
            half -= half % 8
            combine[top] = True  # after both halves
            starts[top + 1], sizes[top + 1], combine[top + 1] = (
                s + half,
                m - half,
                False,
            )
            starts[top + 2], sizes[top + 2], combine[top + 2] = s, half, False
            top += 3
    return results[0]


@njit(cache=True, error_model="numpy")
def _bias_mean(ba, b, out):
    """``(2 ba - b).mean(axis=0)`` as numpy computes it: the items summed in order per
    node (pairwise for a single node, where numpy sees a 1-d sum)."""
    n_items, n_nodes = b.shape
    if n_nodes == 1:
        column = np.empty(n_items)
        for k in range(n_items):
            column[k] = 2.0 * ba[k, 0] - b[k, 0]
        out[0] = _pairwise_sum(column, 0, n_items) / n_items
        return
    out[:] = 0.0
    for k in range(n_items):
        for j in range(n_nodes):
            out[j] += 2.0 * ba[k, j] - b[k, j]
    for j in range(n_nodes):
        out[j] = out[j] / n_items


@njit(cache=True, error_model="numpy")
def _item_errors(err_rows, err_items):
    """Each item's squared error: its rows' errors summed in row order (serially)."""
    n_items, n_rows = err_rows.shape
    for k in range(n_items):
        total = 0.0
        for j in range(n_rows):
            total += err_rows[k, j]
        err_items[k] = total


# --------------------------------------------------------------------------------------
# The class margins (projections.project_class_margin and its variants, same rounding)
# --------------------------------------------------------------------------------------


@njit(cache=True, error_model="numpy")
def _largest_positive(values, count, mask):
    """projections._largest_positive: the ``count`` largest strictly positive entries,
    ties to the lower index."""
    mask[:] = False
    n_positive = 0
    for k in range(values.size):
        if values[k] > 0.0:
            n_positive += 1
    if count <= 0 or n_positive == 0:
        return
    candidates = np.empty(n_positive, dtype=np.int64)
    n = 0
    for k in range(values.size):
        if values[k] > 0.0:
            candidates[n] = k
            n += 1
    if n_positive <= count:
        for k in candidates:
            mask[k] = True
        return
    order = np.argsort(-values[candidates], kind="mergesort")  # stable, as numpy's
    for r in range(count):
        mask[candidates[order[r]]] = True


@njit(cache=True, error_model="numpy")
def _label_distances(z, delta, distances):
    """projections._all_label_distances for one item (numpy's pairwise row sum)."""
    n_classes = z.size
    off = np.empty(n_classes)
    for c in range(n_classes):
        off[c] = 0.5 * max(z[c], 0.0) ** 2
    total = _pairwise_sum(off, 0, n_classes)
    for c in range(n_classes):
        distances[c] = total - off[c] + 0.5 * max(delta - z[c], 0.0) ** 2


@njit(cache=True, error_model="numpy")
def _class_margins(y, b, labels, delta, mode, count, ya, ba, exempt, new_labels):
    """P_A of the class nodes: margins ``z[label] >= delta``, ``z[other] <= 0`` with
    ``z = y - b`` (paper Sec. 5.3), with eccentric exemptions, relabelling or the
    false-positive allowance; y and b move equally and oppositely."""
    n_items, n_classes = y.shape
    z = y - b
    new_labels[:] = labels
    if mode == _EXEMPT:
        dist = np.empty(n_items)
        moves = np.empty(n_classes)
        for k in range(n_items):
            for c in range(n_classes):
                target = max(z[k, c], delta) if c == labels[k] else min(z[k, c], 0.0)
                moves[c] = (target - z[k, c]) ** 2
            dist[k] = 0.5 * _pairwise_sum(moves, 0, n_classes)
        _largest_positive(dist, count, exempt)
    elif mode == _RELABEL or mode == _FALSE_POSITIVE:
        distances = np.empty((n_items, n_classes))
        for k in range(n_items):
            _label_distances(z[k], delta, distances[k])
        score = np.empty(n_items)
        best = np.empty(n_items, dtype=np.int64)
        for k in range(n_items):
            best[k] = np.argmin(distances[k])
            if mode == _RELABEL:
                score[k] = distances[k, labels[k]] - distances[k, best[k]]
            else:
                score[k] = distances[k, 0] - distances[k, 1] if labels[k] == 0 else 0.0
        chosen = np.empty(n_items, dtype=np.bool_)
        _largest_positive(score, count, chosen)
        for k in range(n_items):
            if chosen[k]:
                new_labels[k] = best[k] if mode == _RELABEL else 1
        exempt[:] = chosen  # kept for the false-positive record
    for k in range(n_items):
        for c in range(n_classes):
            zc = z[k, c]
            if mode == _EXEMPT and exempt[k]:
                target = zc
            elif c == new_labels[k]:
                target = max(zc, delta)
            else:
                target = min(zc, 0.0)
            shift = 0.5 * (target - zc)
            ya[k, c] = y[k, c] + shift
            ba[k, c] = b[k, c] - shift


# --------------------------------------------------------------------------------------
# P_A of hidden nodes and weights from the sums of the previous step
# --------------------------------------------------------------------------------------


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _relu_nodes(xsum, n_out, y, b, xa, ya, ba):
    """network._relu_consensus_item on the node sums."""
    for k in range(y.shape[0]):
        for i in range(y.shape[1]):
            x = xsum[k, i] / n_out
            z = y[k, i] - b[k, i]
            z_off = min(z, 0.0)
            d_off = x * x + 0.5 * (z - z_off) ** 2
            s = (x - z) / 3.0
            x_on = x - s
            if x_on >= 0.0 and 3.0 * s * s < d_off:
                xa[k, i] = x_on
                shift = 0.5 * (x_on - z)
            else:
                xa[k, i] = 0.0
                shift = 0.5 * (z_off - z)
            ya[k, i] = y[k, i] + shift
            ba[k, i] = b[k, i] - shift


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _gapped_nodes(xsum, n_out, y, b, first, values, gap, zigmoid, xa, ya, ba):
    """network._gapped_consensus_item on the node sums (clamped items ``first <= k <
    first + len(values)``)."""
    n_items, n_nodes = y.shape
    for k in range(n_items):
        row = k - first
        if 0 <= row < values.shape[0]:
            for i in range(n_nodes):
                v = values[row, i]
                z = y[k, i] - b[k, i]
                z_new = _clamped_node(v, z, gap)
                xa[k, i] = v
                ya[k, i] = y[k, i] + 0.5 * (z_new - z)
                ba[k, i] = b[k, i] - 0.5 * (z_new - z)
            continue
        for i in range(n_nodes):
            z = y[k, i] - b[k, i]
            x_new, z_new = _free_node(xsum[k, i] / n_out, z, gap, zigmoid)
            xa[k, i] = x_new
            ya[k, i] = y[k, i] + 0.5 * (z_new - z)
            ba[k, i] = b[k, i] - 0.5 * (z_new - z)


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _weights_from_sum(wsum, n_items, omega, wa):
    """The end of network._weight_consensus: mean over items, norm omega per node."""
    n_out, n_in = wsum.shape
    for j in range(n_out):
        norm2 = 0.0
        for i in range(n_in):
            wa[j, i] = wsum[j, i] / n_items
            norm2 += wa[j, i] * wa[j, i]
        scale = omega / np.sqrt(norm2) if norm2 > 0.0 else 0.0
        for i in range(n_in):
            wa[j, i] *= scale


# --------------------------------------------------------------------------------------
# Sums of replicas (the first iteration's, and the parallel steps' other half)
# --------------------------------------------------------------------------------------


@njit(cache=True, error_model="numpy", inline="always")
def _needs_mean(k, need, skip_first, skip_stop):
    return need and not (skip_first <= k < skip_stop)


@njit(cache=True, error_model="numpy", inline="always")
def _node_sum_item(k, x, xsum):
    n_out, n_in = x.shape[1:]
    for i in range(n_in):
        xsum[k, i] = 0.0
    for j in range(n_out):
        for i in range(n_in):
            xsum[k, i] += x[k, j, i]


@njit(cache=True, error_model="numpy")
def _node_sums_serial(x, xsum, need, skip_first, skip_stop):
    for k in range(x.shape[0]):
        if _needs_mean(k, need, skip_first, skip_stop):
            _node_sum_item(k, x, xsum)


@njit(cache=True, parallel=True, error_model="numpy")
def _node_sums_parallel(x, xsum, need, skip_first, skip_stop):
    for k in prange(x.shape[0]):
        if _needs_mean(k, need, skip_first, skip_stop):
            _node_sum_item(k, x, xsum)


@njit(cache=True, error_model="numpy", inline="always")
def _weight_sum_node(j, w, wsum):
    n_items, _, n_in = w.shape
    for i in range(n_in):
        wsum[j, i] = 0.0
    for k in range(n_items):
        for i in range(n_in):
            wsum[j, i] += w[k, j, i]


@njit(cache=True, error_model="numpy")
def _weight_sums_serial(w, wsum):
    for j in range(w.shape[1]):
        _weight_sum_node(j, w, wsum)


@njit(cache=True, parallel=True, error_model="numpy")
def _weight_sums_parallel(w, wsum):
    for j in prange(w.shape[1]):
        _weight_sum_node(j, w, wsum)


# --------------------------------------------------------------------------------------
# The step of one layer
# --------------------------------------------------------------------------------------


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
def _row_step(k, j, x, w, y, b, u, xa, wa, ya, ba, bias_b, omega, g2, beta, rx, rw):
    """network._layer_step_item for the row (item k, node j): reflect through P_A,
    project onto B, step, in place. Returns the row's squared, weighted error."""
    n_in = x.shape[2]
    c2 = omega * omega / g2
    a = 0.0
    bb = 0.0
    p = 0.0
    for i in range(n_in):
        rx[i] = 2.0 * xa[k, i] - x[k, j, i]
        rw[i] = 2.0 * wa[j, i] - w[k, j, i]
        s = rx[i] + rw[i]
        d = rx[i] - rw[i]
        a += s * s
        bb += d * d
        p += rx[i] * rw[i]
    ry = 2.0 * ya[k, j] - y[k, j]
    uk, s_scale, d_scale, t_boundary, toward_minus = bilinear_scales(
        a, bb, p, omega * ry, c2, u[k, j]
    )
    u[k, j] = uk
    dy = ry - uk * omega / g2 - ya[k, j]
    db = bias_b[j] - ba[k, j]
    err = 0.0
    for i in range(n_in):
        s = (rx[i] + rw[i]) * s_scale
        d = (rx[i] - rw[i]) * d_scale
        if i == 0 and t_boundary > 0.0:
            if toward_minus:
                d += t_boundary
            else:
                s += t_boundary
        dx = 0.5 * (s + d) - xa[k, i]
        dw = 0.5 * (s - d) - wa[j, i]
        err += dx * dx + dw * dw
        x[k, j, i] += beta * dx
        w[k, j, i] += beta * dw
    y[k, j] += beta * dy
    b[k, j] += beta * db
    return err + g2 * (dy * dy + db * db)


# The items of a layer are stepped in this many blocks (fewer for smaller batches), each
# summing the new weight replicas of its items; the blocks' sums are then added in block
# order. The blocks do not depend on the thread count, nor on running in parallel.
_ITEM_BLOCKS = 8


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _item_rows(
    k,
    x,
    w,
    y,
    b,
    u,
    xa,
    wa,
    ya,
    ba,
    bias_b,
    omega,
    g2,
    beta,
    err_rows,
    xsum,
    mean,
    rx,
    rw,
):
    """Step every row of item k; then, if ``mean``, sum its new out-edge copies of every
    source node (in edge order, as network._item_node_mean)."""
    n_out, n_in = x.shape[1:]
    for j in range(n_out):
        err_rows[k, j] = _row_step(
            k, j, x, w, y, b, u, xa, wa, ya, ba, bias_b, omega, g2, beta, rx, rw
        )
    if mean:
        for i in range(n_in):
            xsum[k, i] = 0.0
        for j in range(n_out):
            for i in range(n_in):
                xsum[k, i] += x[k, j, i]


@njit(cache=True, error_model="numpy")
def _block_rows(
    block,
    n_blocks,
    x,
    w,
    y,
    b,
    u,
    xa,
    wa,
    ya,
    ba,
    bias_b,
    omega,
    g2,
    beta,
    err_rows,
    xsum,
    need,
    skip_first,
    skip_stop,
    wpart,
):
    """Step the items of one block in order, with their node sums and the block's sum of
    the new weight replicas (in item order). Called by the serial and the parallel
    kernel alike: one compiled code, the same iterates wherever it runs."""
    n_items, n_out, n_in = x.shape
    rx = np.empty(n_in)
    rw = np.empty(n_in)
    part = wpart[block]
    part[:] = 0.0
    for k in range(block * n_items // n_blocks, (block + 1) * n_items // n_blocks):
        _item_rows(
            k,
            x,
            w,
            y,
            b,
            u,
            xa,
            wa,
            ya,
            ba,
            bias_b,
            omega,
            g2,
            beta,
            err_rows,
            xsum,
            _needs_mean(k, need, skip_first, skip_stop),
            rx,
            rw,
        )
        for j in range(n_out):
            for i in range(n_in):
                part[j, i] += w[k, j, i]


@njit(cache=True, error_model="numpy")
def _add_blocks(wpart, wsum):
    wsum[:] = wpart[0]
    for block in range(1, wpart.shape[0]):
        for j in range(wsum.shape[0]):
            for i in range(wsum.shape[1]):
                wsum[j, i] += wpart[block, j, i]


@njit(cache=True, error_model="numpy")
def _layer_serial(
    x,
    w,
    y,
    b,
    u,
    xa,
    wa,
    ya,
    ba,
    bias_b,
    omega,
    g2,
    beta,
    err_rows,
    xsum,
    need,
    skip_first,
    skip_stop,
    wsum,
    wpart,
):
    n_blocks = wpart.shape[0]
    for block in range(n_blocks):
        _block_rows(
            block,
            n_blocks,
            x,
            w,
            y,
            b,
            u,
            xa,
            wa,
            ya,
            ba,
            bias_b,
            omega,
            g2,
            beta,
            err_rows,
            xsum,
            need,
            skip_first,
            skip_stop,
            wpart,
        )
    _add_blocks(wpart, wsum)


@njit(cache=True, parallel=True, error_model="numpy")
def _layer_parallel(
    x,
    w,
    y,
    b,
    u,
    xa,
    wa,
    ya,
    ba,
    bias_b,
    omega,
    g2,
    beta,
    err_rows,
    xsum,
    need,
    skip_first,
    skip_stop,
    wsum,
    wpart,
):
    n_blocks = wpart.shape[0]
    for block in prange(n_blocks):
        _block_rows(
            block,
            n_blocks,
            x,
            w,
            y,
            b,
            u,
            xa,
            wa,
            ya,
            ba,
            bias_b,
            omega,
            g2,
            beta,
            err_rows,
            xsum,
            need,
            skip_first,
            skip_stop,
            wpart,
        )
    _add_blocks(wpart, wsum)


# --------------------------------------------------------------------------------------
# The loop
# --------------------------------------------------------------------------------------


@njit(cache=True, error_model="numpy")
def _run(
    xs,
    ws,
    us,
    ys,
    bs,
    xas,
    yas,
    bas,
    was,
    xsums,
    wsums,
    wparts,
    biases,
    err_rows,
    values,
    sources,
    in_layer,
    kinds,
    outdeg,
    g2,
    gaps,
    zigmoid,
    skip_first,
    skip_stop,
    parallel,
    labels,
    delta,
    class_mode,
    class_count,
    exempt,
    new_labels,
    omega,
    beta,
    max_iter,
    tol,
    errors,
):
    """All RRR iterations of a batch; returns the number done (errors in ``errors``)."""
    n_groups = kinds.size
    n_layers = sources.size
    n_items = xs[0].shape[0]
    err_items = np.empty(n_items)
    for l in range(n_layers):  # the sums of the starting point
        s = sources[l]
        need = kinds[s] == _RELU or kinds[s] == _GAPPED
        if not parallel[l]:
            _node_sums_serial(xs[l], xsums[s], need, skip_first[s], skip_stop[s])
            _weight_sums_serial(ws[l], wsums[l])
        else:
            _node_sums_parallel(xs[l], xsums[s], need, skip_first[s], skip_stop[s])
            _weight_sums_parallel(ws[l], wsums[l])
    done = 0
    for it in range(max_iter):
        for g in range(n_groups):  # P_A of the nodes
            kind = kinds[g]
            if kind == _RELU:
                _relu_nodes(xsums[g], outdeg[g], ys[g], bs[g], xas[g], yas[g], bas[g])
            elif kind == _GAPPED:
                _gapped_nodes(
                    xsums[g],
                    outdeg[g],
                    ys[g],
                    bs[g],
                    skip_first[g],
                    values[g],
                    gaps[g],
                    zigmoid[g],
                    xas[g],
                    yas[g],
                    bas[g],
                )
            elif kind == _CLASS:
                _class_margins(
                    ys[g],
                    bs[g],
                    labels,
                    delta,
                    class_mode,
                    class_count,
                    yas[g],
                    bas[g],
                    exempt,
                    new_labels,
                )
        for l in range(n_layers):  # P_A of the weights
            _weights_from_sum(wsums[l], n_items, omega, was[l])
        total = 0.0
        for g in range(n_groups):
            l = in_layer[g]
            if l < 0:
                continue
            s = sources[l]
            _bias_mean(bas[g], bs[g], biases[g])
            need = kinds[s] == _RELU or kinds[s] == _GAPPED
            rows = err_rows[l]
            args = (
                xs[l],
                ws[l],
                ys[g],
                bs[g],
                us[l],
                xas[s],
                was[l],
                yas[g],
                bas[g],
                biases[g],
                omega,
                g2[g],
                beta,
                rows,
                xsums[s],
                need,
                skip_first[s],
                skip_stop[s],
                wsums[l],
                wparts[l],
            )
            if parallel[l]:
                _layer_parallel(*args)
            else:
                _layer_serial(*args)
            _item_errors(rows, err_items)
            total += _pairwise_sum(err_items, 0, n_items)
        errors[it] = np.sqrt(total / n_items)
        done = it + 1
        if errors[it] < tol:
            break
    return done


# --------------------------------------------------------------------------------------
# From the network's objects to the compiled loop
# --------------------------------------------------------------------------------------


def _contiguous(a):
    return (
        a is not None
        and a.dtype == np.float64
        and a.flags.c_contiguous
        and a.flags.writeable
    )


def supported(arch, state, constraints) -> bool:
    """Whether :func:`run_fused` handles this problem: input groups clamped by
    :class:`~lossless_tutorial.network.ClampedValues`, hidden groups of
    :class:`~lossless_tutorial.network.ReLUNodes` or
    :class:`~lossless_tutorial.network.GappedNodes` with one outgoing layer, at most one
    group of :class:`~lossless_tutorial.network.ClassMargins` without outgoing layers,
    and C-contiguous float64 replicas."""
    n_items = state.x[0].shape[0]
    n_class = 0
    for g, constraint in enumerate(constraints):
        out, has_y = arch.out_layers[g], state.y[g] is not None
        kind = type(constraint)
        if kind is ClampedValues:
            if has_y or not out:
                return False
            values = np.asarray(constraint.values)
            if values.shape != (n_items, arch.group_sizes[g]):
                return False
        elif kind is ReLUNodes or kind is GappedNodes:
            if not has_y or len(out) != 1:
                return False
            if kind is GappedNodes and constraint.values is not None:
                first, stop, stride = constraint.clamped.indices(n_items)
                if stride != 1 or np.shape(constraint.values) != (
                    max(stop - first, 0),
                    arch.group_sizes[g],
                ):
                    return False
        elif kind is ClassMargins:
            n_class += 1
            if not has_y or out or n_class > 1:
                return False
        else:
            return False
    arrays = [*state.x, *state.w, *(a for a in state.y + state.b if a is not None)]
    if state.multipliers is not None:
        arrays += state.multipliers
    return all(_contiguous(a) for a in arrays)


def _typed(arrays):
    typed = List()
    for a in arrays:
        typed.append(a)
    return typed


def _parallel(arch, state):
    """Layers with at least network._PARALLEL_MIN_SIZE replicas run in parallel when
    numba has more than one thread."""
    threads = numba.get_num_threads() > 1
    return np.array([threads and x.size >= network._PARALLEL_MIN_SIZE for x in state.x])


def run_fused(arch, state, constraints, *, beta, max_iter, tol):
    """:func:`lossless_tutorial.network.run_rrr` in one compiled loop (see the module);
    the caller checks :func:`supported` first. Returns ``(errors, consensus_a,
    biases_b)`` of the last iteration and updates ``state`` in place."""
    n_items = state.x[0].shape[0]
    n_groups = len(arch.group_sizes)
    if state.multipliers is None:
        state.multipliers = [np.zeros(x.shape[:2]) for x in state.x]
    empty2 = np.zeros((0, 0))
    kinds, skips, values, gaps, zigmoid = [], [], [], [], []
    labels, delta, class_mode, class_count, margins = (
        np.zeros(n_items, np.int64),
        0.0,
        _PLAIN,
        0,
        None,
    )
    for g, constraint in enumerate(constraints):
        kind = type(constraint)
        gap, zig, skip, vals = 0.0, False, (0, 0), empty2
        if kind is ClampedValues:
            kinds.append(_INPUT)
            vals = np.ascontiguousarray(constraint.values, dtype=float)
            skip = (0, n_items)
        elif kind is ReLUNodes:
            kinds.append(_RELU)
        elif kind is GappedNodes:
            kinds.append(_GAPPED)
            gap, zig = float(constraint.gap), constraint.activation == "zigmoid"
            if constraint.values is not None:
                first, stop, _ = constraint.clamped.indices(n_items)
                skip = (first, max(first, stop))
                vals = np.ascontiguousarray(constraint.values, dtype=float).reshape(
                    skip[1] - skip[0], arch.group_sizes[g]
                )
        else:
            kinds.append(_CLASS)
            margins = constraint
            labels = np.ascontiguousarray(constraint.labels, dtype=np.int64)
            delta = float(constraint.delta)
            if constraint.n_false_positive:
                class_mode, class_count = _FALSE_POSITIVE, constraint.n_false_positive
            elif constraint.n_relabel:
                class_mode, class_count = _RELABEL, constraint.n_relabel
            elif constraint.n_exempt:
                class_mode, class_count = _EXEMPT, constraint.n_exempt
        kinds_g = kinds[-1]
        gaps.append(gap)
        zigmoid.append(zig)
        skips.append(skip)
        values.append(vals if kinds_g in (_INPUT, _GAPPED) else empty2)
    sizes = arch.group_sizes
    xas = [
        values[g] if kinds[g] == _INPUT else np.zeros((n_items, sizes[g]))
        for g in range(n_groups)
    ]
    yas = [np.zeros((n_items, n)) for n in sizes]
    bas = [np.zeros((n_items, n)) for n in sizes]
    xsums = [np.zeros((n_items, n)) for n in sizes]
    biases = [np.zeros(n) for n in sizes]
    was = [np.empty(w.shape[1:]) for w in state.w]
    wsums = [np.empty(w.shape[1:]) for w in state.w]
    wparts = [np.empty((min(_ITEM_BLOCKS, n_items), *w.shape[1:])) for w in state.w]
    err_rows = [np.empty(x.shape[:2]) for x in state.x]
    ys = [empty2 if y is None else y for y in state.y]
    bs = [empty2 if b is None else b for b in state.b]
    in_layer = np.array(
        [feeds[0] if feeds else -1 for feeds in arch.in_layers], np.int64
    )
    exempt = np.zeros(n_items, dtype=bool)
    new_labels = labels.copy()
    errors = np.empty(max_iter)
    done = _run(
        _typed(state.x),
        _typed(state.w),
        _typed(state.multipliers),
        _typed(ys),
        _typed(bs),
        _typed(xas),
        _typed(yas),
        _typed(bas),
        _typed(was),
        _typed(xsums),
        _typed(wsums),
        _typed(wparts),
        _typed(biases),
        _typed(err_rows),
        _typed(values),
        np.array([s for s, _ in arch.layers], np.int64),
        in_layer,
        np.array(kinds, np.int64),
        np.array(arch.outdeg, dtype=float),
        np.array(arch.g2, dtype=float),
        np.array(gaps),
        np.array(zigmoid),
        np.array([s[0] for s in skips], np.int64),
        np.array([s[1] for s in skips], np.int64),
        _parallel(arch, state),
        labels,
        delta,
        class_mode,
        int(class_count),
        exempt,
        new_labels,
        float(arch.omega),
        float(beta),
        int(max_iter),
        float(tol),
        errors,
    )
    if margins is not None:
        if class_mode == _EXEMPT:
            margins.last_exempt = exempt
        elif class_mode == _FALSE_POSITIVE:
            margins.last_labels = np.where(exempt, 1, margins.labels)
        elif class_mode == _RELABEL:
            margins.last_labels = new_labels
    has_y = [y is not None for y in state.y]
    consensus = Consensus(
        [xas[g] if arch.out_layers[g] else None for g in range(n_groups)],
        was,
        [yas[g] if has_y[g] else None for g in range(n_groups)],
        [bas[g] if has_y[g] else None for g in range(n_groups)],
    )
    return (
        errors[:done].copy(),
        consensus,
        [biases[g] if has_y[g] else None for g in range(n_groups)],
    )
