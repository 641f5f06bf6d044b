"""A network as replicated variables under hard constraints, and its RRR iteration
(paper Sec. 3 and 5).

The architecture is a list of node groups (layers of nodes) joined by dense layers of
edges, ``(source group, target group)``; a chain is a feed-forward network, and a layer
from the last group back to the first closes the autoencoder's cycle. For a batch of K
items the RRR search vector holds, per layer ``l`` from group ``s`` to group ``t``::

    x[l][k, j, i]   the value of source node i as seen by the edge i -> j   (K, n_t,
    n_s) w[l][k, j, i]   item k's replica of the weight of the edge i -> j        (K,
    n_t, n_s)

and per group ``g`` with incoming edges ``y[g][k, j]`` (pre-activation) and ``b[g][k,
j]`` (bias replica), both (K, n_g). The constraints split into two sets:

- **A**: the out-edge copies of a node's value agree on ``x_A`` and ``(x_A, y, b)``
  satisfies the node's own constraint (data clamp, activation, class margins: a
  :class:`NodeConstraint`, chosen by the model); the replicas of a weight agree across
  items on ``w_A``, whose incoming vector at every node has norm omega.
- **B**: ``x[l][k, j, :] . w[l][k, j, :] = omega * y[t][k, j]`` for every item and node
  (the bilinear projection), and the bias replicas agree across items on ``b_B``.

Distances use the metric of the paper (its eq. 27): weight 1 for x and w, ``g2`` for y
and b, with ``g2`` = outdegree for nodes with outgoing edges and upsilon for the class
nodes. :func:`project_a` and :func:`project_b` are the two projections, written with the
numpy projections of :mod:`~lossless_tutorial.projections`; :func:`rrr_step` fuses
``x + beta (P_B(2 P_A(x) - x) - P_A(x))`` into one compiled pass per layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from numba import njit, prange

from . import projections as proj
from ._bilinear_kernel import bilinear_scales
from ._validation import check_nonnegative_int, check_positive

# The compiled kernels may reorder sums and fuse multiply-adds, which lets the loops
# over a node's inputs run as SIMD reductions (twice as fast); NaN and inf keep their
# meaning.
_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}
# Layers with fewer replicas (items x edges) than this run serially (measured crossover
# on two cores: a 13 -> 26 layer at batch 128 is faster serially).
_PARALLEL_MIN_SIZE = 200_000

__all__ = [
    "Architecture",
    "State",
    "Consensus",
    "NodeConstraint",
    "ClampedValues",
    "ReLUNodes",
    "GappedNodes",
    "ClassMargins",
    "project_a",
    "project_b",
    "expand",
    "rrr_step",
    "run_rrr",
    "replicate",
    "rrr_error",
]


# --------------------------------------------------------------------------------------
# Architecture and state
# --------------------------------------------------------------------------------------


class Architecture:
    """Node groups of the given sizes joined by dense layers ``(source, target)``.

    ``layers=None`` makes the chain 0 -> 1 -> ... -> last. ``upsilon`` is the metric
    weight of nodes without outgoing edges (the class nodes).
    """

    def __init__(self, group_sizes, layers=None, *, omega=1.0, upsilon=1.0):
        self.group_sizes = tuple(
            check_nonnegative_int("group_sizes", n, minimum=1) for n in group_sizes
        )
        if len(self.group_sizes) < 2:
            raise ValueError("group_sizes must list at least two groups")
        if layers is None:
            layers = [(g, g + 1) for g in range(len(self.group_sizes) - 1)]
        n_groups = len(self.group_sizes)
        self.layers = []
        for source, target in layers:
            if (
                not (0 <= source < n_groups and 0 <= target < n_groups)
                or source == target
            ):
                raise ValueError(
                    f"layers: ({source}, {target}) is not a layer between two "
                    f"different groups of 0..{n_groups - 1}"
                )
            self.layers.append((int(source), int(target)))
        self.omega = check_positive("omega", omega)
        self.upsilon = check_positive("upsilon", upsilon)
        self.in_layers = [
            [l for l, (_, t) in enumerate(self.layers) if t == g]
            for g in range(n_groups)
        ]
        if any(len(feeds) > 1 for feeds in self.in_layers):
            raise ValueError("layers: every group may be the target of one layer only")
        self.out_layers = [
            [l for l, (s, _) in enumerate(self.layers) if s == g]
            for g in range(n_groups)
        ]
        self.outdeg = [
            sum(self.group_sizes[self.layers[l][1]] for l in self.out_layers[g])
            for g in range(n_groups)
        ]
        # metric weight g^2 of y and b at each group's nodes
        self.g2 = [float(d) if d > 0 else self.upsilon for d in self.outdeg]

    @property
    def n_edges(self) -> int:
        return sum(self.group_sizes[s] * self.group_sizes[t] for s, t in self.layers)

    def layer_shape(self, layer, n_items):
        source, target = self.layers[layer]
        return (n_items, self.group_sizes[target], self.group_sizes[source])

    def has_nodes_state(self, group) -> bool:
        """Whether the group's nodes have y and b (i.e. incoming edges)."""
        return bool(self.in_layers[group])


@dataclass
class State:
    """The replicated variables of a batch: lists ``x``, ``w`` per layer and ``y``,
    ``b`` per group (``None`` for groups without incoming edges). ``multipliers`` (per
    layer, (K, n_t)) keeps the bilinear multipliers of the last step to start the next
    step's root solves (not part of the search vector)."""

    x: list
    w: list
    y: list
    b: list
    multipliers: list | None = None

    def copy(self) -> "State":
        def dup(arrays):
            return (
                None
                if arrays is None
                else [None if a is None else a.copy() for a in arrays]
            )

        return State(
            dup(self.x), dup(self.w), dup(self.y), dup(self.b), dup(self.multipliers)
        )

    def arrays(self):
        """All arrays with their metric weights' keys, for norms and comparisons."""
        return [
            a
            for group in (self.x, self.w, self.y, self.b)
            for a in group
            if a is not None
        ]


@dataclass
class Consensus:
    """Compact P_A (or P_B) values: node values ``x`` (K, n_g) per group, weights ``w``
    (n_t, n_s) per layer, and ``y``, ``b`` (K, n_g) per group."""

    x: list
    w: list
    y: list
    b: list


# --------------------------------------------------------------------------------------
# Node constraints (the A side of each group)
# --------------------------------------------------------------------------------------


class NodeConstraint:
    """The constraint on ``(x_A, y, b)`` of the nodes of one group, for a batch.

    ``project(x_bar, y, b)`` returns the nearest ``(x, y, b)`` (isotropic metric; see
    paper eq. 27); ``x_bar`` is the mean of the out-edge copies (``None`` for nodes
    without outgoing edges, whose returned x is ignored), ``y``/``b`` are ``None`` for
    nodes without incoming edges.
    """

    def project(self, x_bar, y, b):  # pragma: no cover - interface
        raise NotImplementedError


class ClampedValues(NodeConstraint):
    """Input nodes whose values are the data (paper eq. 26b): x_A = values."""

    def __init__(self, values):
        self.values = values

    def project(self, x_bar, y, b):
        return self.values, y, b


class ReLUNodes(NodeConstraint):
    """Hidden nodes with ReLU activation ``x = max(0, y - b)`` (paper eq. 26)."""

    def project(self, x_bar, y, b):
        return proj.project_relu(x_bar, y, b)


class GappedNodes(NodeConstraint):
    """Autoencoder nodes (paper eqs. 38-39): the step with a gap or the zigmoid, with
    the items of ``clamped`` (a slice of the batch) clamped to ``values``.

    Clamped items keep ``x = values`` and only their y and b move, to the nearest
    ``z = y - b`` that the activation maps to the value
    (:func:`~lossless_tutorial.projections.project_clamped`). The other items satisfy
    the activation on ``(x_bar, y, b)``
    (:func:`~lossless_tutorial.projections.project_step_gap` or
    :func:`~lossless_tutorial.projections.project_zigmoid`). ``gap`` is the full gap
    width Delta.
    """

    def __init__(self, activation, gap, clamped=slice(0, 0), values=None):
        if activation not in ("step", "zigmoid"):
            raise ValueError(
                f"activation must be 'step' or 'zigmoid', got {activation!r}"
            )
        self.activation = activation
        self.gap = gap
        self.clamped = clamped
        self.values = values

    def project(self, x_bar, y, b):
        project = (
            proj.project_step_gap if self.activation == "step" else proj.project_zigmoid
        )
        x, y_new, b_new = project(x_bar, y, b, gap=self.gap)
        if self.values is not None:
            c = self.clamped
            x[c] = self.values
            y_new[c], b_new[c] = proj.project_clamped(
                self.values, y[c], b[c], activation=self.activation, gap=self.gap
            )
        return x, y_new, b_new


class ClassMargins(NodeConstraint):
    """Class nodes (paper eqs. 26d-e): the item's class has ``y - b >= delta``, every
    other class ``y - b <= 0``. With ``n_exempt > 0`` the farthest items may ignore
    their margins (eccentric exemptions, 4.10, positive-distance rule); with ``n_relabel
    > 0`` items may take their nearest label (4.11); with ``n_false_positive > 0`` (two
    classes, 0 fake and 1 genuine) that many fakes may be taken as genuine (4.12).
    ``last_exempt`` / ``last_labels`` keep the choice of the latest projection."""

    def __init__(self, labels, *, delta, n_exempt=0, n_relabel=0, n_false_positive=0):
        self.labels = labels
        self.delta = delta
        self.n_exempt = n_exempt
        self.n_relabel = n_relabel
        self.n_false_positive = n_false_positive
        self.last_exempt = np.zeros(len(labels), dtype=bool)
        self.last_labels = labels

    def project(self, x_bar, y, b):
        if self.n_false_positive:
            y, b, accepted = proj.project_false_positive(
                y, b, self.labels, delta=self.delta, n_allowed=self.n_false_positive
            )
            self.last_labels = np.where(accepted, 1, self.labels)
        elif self.n_relabel:
            y, b, self.last_labels = proj.project_relabel(
                y, b, self.labels, delta=self.delta, n_relabel=self.n_relabel
            )
        elif self.n_exempt:
            y, b, self.last_exempt = proj.project_class_margin_exempt(
                y, b, self.labels, delta=self.delta, n_exempt=self.n_exempt
            )
        else:
            y, b = proj.project_class_margin(y, b, self.labels, delta=self.delta)
        return None, y, b


# --------------------------------------------------------------------------------------
# The two projections
# --------------------------------------------------------------------------------------


def _node_mean(arch, state, group):
    """Mean of the out-edge copies of the group's node values (None without
    out-edges)."""
    if not arch.out_layers[group]:
        return None
    total = sum(state.x[l].sum(axis=1) for l in arch.out_layers[group])
    return total / arch.outdeg[group]


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _item_node_mean(k, x_out):
    """Mean of the out-edge copies of every node of one group, for item k."""
    n_out, n_nodes = x_out.shape[1:]
    total = np.zeros(n_nodes)
    for j in range(n_out):
        for i in range(n_nodes):
            total[i] += x_out[k, j, i]
    return total / n_out


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _relu_consensus_item(k, x_out, y, b, xa, ya, ba):
    """P_A of a ReLU group with one outgoing layer, for item k: the mean of each node's
    out-edge copies, then the ReLU projection of the paper's eq. 26 (as
    projections.project_relu)."""
    x_bar = _item_node_mean(k, x_out)
    for i in range(x_bar.size):
        x = x_bar[i]
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
def _relu_consensus_serial(x_out, y, b, xa, ya, ba):
    for k in range(x_out.shape[0]):
        _relu_consensus_item(k, x_out, y, b, xa, ya, ba)


@njit(cache=True, parallel=True, error_model="numpy", fastmath=_FASTMATH)
def _relu_consensus_parallel(x_out, y, b, xa, ya, ba):
    for k in prange(x_out.shape[0]):
        _relu_consensus_item(k, x_out, y, b, xa, ya, ba)


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _clamped_node(v, z, gap):
    """The nearest ``z`` that the gapped step or zigmoid maps to the clamped value ``v``
    (as projections.project_clamped)."""
    if v >= 1.0:
        return max(z, 0.5 * gap)
    if v <= 0.0:
        return min(z, -0.5 * gap)
    return gap * (v - 0.5)


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _free_node(x, z, gap, zigmoid):
    """``(x', z')``: the nearest point of the gapped step's (or zigmoid's) graph to
    ``(x, z)``, in the metric where y and b move equally and oppositely (as
    projections.project_step_gap and project_zigmoid, same ties)."""
    half = 0.5 * gap
    z0 = min(z, -half)
    z1 = max(z, half)
    d0 = x * x + 0.5 * (z - z0) ** 2
    d1 = (1.0 - x) ** 2 + 0.5 * (z - z1) ** 2
    if d1 < d0:
        x_new, z_new, d_flat = 1.0, z1, d1
    else:
        x_new, z_new, d_flat = 0.0, z0, d0
    if zigmoid:
        r = (gap * x - z - half) / (gap * gap + 2.0)
        x_ramp = x - gap * r
        if 0.0 <= x_ramp <= 1.0 and (gap * gap + 2.0) * r * r < d_flat:
            x_new, z_new = x_ramp, z + 2.0 * r
    return x_new, z_new


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _gapped_consensus_item(k, x_out, y, b, first, values, gap, zigmoid, xa, ya, ba):
    """P_A of a gapped-step or zigmoid group with one outgoing layer, for item k:
    clamped items (``first <= k < first + len(values)``) as projections.project_clamped,
    the others the mean of the out-edge copies, then projections.project_step_gap or
    project_zigmoid (same arithmetic and ties)."""
    n_nodes = x_out.shape[2]
    row = k - first
    if 0 <= row < values.shape[0]:
        for i in range(n_nodes):
            v = values[row, i]
            z = y[k, i] - b[k, i]
            z_new = _clamped_node(v, z, gap)
            xa[k, i] = v
            ya[k, i] = y[k, i] + 0.5 * (z_new - z)
            ba[k, i] = b[k, i] - 0.5 * (z_new - z)
        return
    x_bar = _item_node_mean(k, x_out)
    for i in range(n_nodes):
        z = y[k, i] - b[k, i]
        x_new, z_new = _free_node(x_bar[i], z, gap, zigmoid)
        xa[k, i] = x_new
        ya[k, i] = y[k, i] + 0.5 * (z_new - z)
        ba[k, i] = b[k, i] - 0.5 * (z_new - z)


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _gapped_consensus_serial(x_out, y, b, first, values, gap, zigmoid, xa, ya, ba):
    for k in range(x_out.shape[0]):
        _gapped_consensus_item(k, x_out, y, b, first, values, gap, zigmoid, xa, ya, ba)


@njit(cache=True, parallel=True, error_model="numpy", fastmath=_FASTMATH)
def _gapped_consensus_parallel(x_out, y, b, first, values, gap, zigmoid, xa, ya, ba):
    for k in prange(x_out.shape[0]):
        _gapped_consensus_item(k, x_out, y, b, first, values, gap, zigmoid, xa, ya, ba)


def _compiled_gapped(constraint, x_out, y, b, x, y_new, b_new):
    """Run the compiled P_A of a :class:`GappedNodes` group (after checking its
    clamp)."""
    values = constraint.values
    if values is None:
        values, first = np.zeros((0, y.shape[1])), 0
    else:
        first, stop, stride = constraint.clamped.indices(y.shape[0])
        values = np.ascontiguousarray(values, dtype=float)
        if stride != 1 or values.shape != (stop - first, y.shape[1]):
            raise ValueError("GappedNodes: values must have one row per clamped item")
    kernel = _kernel(_gapped_consensus_serial, _gapped_consensus_parallel, x_out)
    kernel(
        x_out,
        y,
        b,
        first,
        values,
        float(constraint.gap),
        constraint.activation == "zigmoid",
        x,
        y_new,
        b_new,
    )


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _weight_consensus(w, omega, wa):
    """Compiled weight part of P_A: the mean over items, scaled to norm omega at every
    receiving node (paper eq. 26, as projections.project_norm of the mean)."""
    n_items, n_out, n_in = w.shape
    wa[:] = 0.0
    for k in range(n_items):
        for j in range(n_out):
            for i in range(n_in):
                wa[j, i] += w[k, j, i]
    for j in range(n_out):
        norm2 = 0.0
        for i in range(n_in):
            wa[j, i] /= n_items
            norm2 += wa[j, i] * wa[j, i]
        scale = omega / np.sqrt(norm2) if norm2 > 0.0 else 0.0
        for i in range(n_in):
            wa[j, i] *= scale


def project_a(arch, state, constraints) -> Consensus:
    """P_A in compact form: node values through each group's constraint, weights
    averaged over items and scaled to norm omega at every receiving node (paper Sec. 5).
    ReLU and gapped groups with one outgoing layer take a compiled path (same
    arithmetic)."""
    xs, ys, bs = [], [], []
    for g, constraint in enumerate(constraints):
        out = arch.out_layers[g]
        compiled = len(out) == 1 and state.y[g] is not None
        if compiled and isinstance(constraint, ReLUNodes):
            x, y, b = (np.empty_like(state.y[g]) for _ in range(3))
            kernel = _kernel(
                _relu_consensus_serial, _relu_consensus_parallel, state.x[out[0]]
            )
            kernel(state.x[out[0]], state.y[g], state.b[g], x, y, b)
        elif compiled and isinstance(constraint, GappedNodes):
            x, y, b = (np.empty_like(state.y[g]) for _ in range(3))
            _compiled_gapped(
                constraint, state.x[out[0]], state.y[g], state.b[g], x, y, b
            )
        else:
            x_bar = (
                None
                if isinstance(constraint, ClampedValues)
                else _node_mean(arch, state, g)
            )
            x, y, b = constraint.project(x_bar, state.y[g], state.b[g])
            x = None if not out else np.ascontiguousarray(x, dtype=float)
        xs.append(x)
        ys.append(y)
        bs.append(b)
    ws = []
    for w in state.w:
        wa = np.empty(w.shape[1:])
        _weight_consensus(w, arch.omega, wa)
        ws.append(wa)
    return Consensus(xs, ws, ys, bs)


def expand(arch, consensus, n_items) -> State:
    """The full replica state of a consensus: every copy takes its consensus value."""
    xs, ws = [], []
    for l, (source, _) in enumerate(arch.layers):
        shape = arch.layer_shape(l, n_items)
        xs.append(np.broadcast_to(consensus.x[source][:, None, :], shape).copy())
        ws.append(np.broadcast_to(consensus.w[l][None], shape).copy())
    return State(
        xs,
        ws,
        [None if y is None else y.copy() for y in consensus.y],
        [None if b is None else b.copy() for b in consensus.b],
    )


def project_b(arch, state) -> State:
    """P_B: the bilinear projection of every (item, node) in-edge pair with its y
    (metric g2 of the node), and the bias replicas averaged over items."""
    xs, ws = list(state.x), list(state.w)
    ys, bs = list(state.y), list(state.b)
    for g in range(len(arch.group_sizes)):
        if not arch.in_layers[g]:
            continue
        (l,) = arch.in_layers[g]
        xs[l], ws[l], ys[g] = proj.project_bilinear(
            state.x[l], state.w[l], state.y[g], omega=arch.omega, g2=arch.g2[g], axis=-1
        )
        bs[g] = np.broadcast_to(state.b[g].mean(axis=0), state.b[g].shape).copy()
    return State(xs, ws, ys, bs)


def rrr_error(arch, difference: State, n_items) -> float:
    """``sqrt(sum of g2-weighted squared differences / K)`` (paper Sec. 5)."""
    total = sum(float(np.sum(a * a)) for a in difference.x + difference.w)
    for g in range(len(arch.group_sizes)):
        if difference.y[g] is not None:
            total += arch.g2[g] * float(
                np.sum(difference.y[g] ** 2) + np.sum(difference.b[g] ** 2)
            )
    return np.sqrt(total / n_items)


# --------------------------------------------------------------------------------------
# The fused RRR step
# --------------------------------------------------------------------------------------


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _layer_step_item(k, x, w, y, b, u, xa, wa, ya, ba, bias_b, omega, g2, beta):
    """Reflect through P_A, project onto B, step, for item k of one layer (in place);
    the bilinear projection is that of ``bilinear_pair``, with its passes over the
    inputs fused with the reflection and the step. Returns the item's squared, weighted
    error."""
    n_out, n_in = x.shape[1:]
    c2 = omega * omega / g2
    rx = np.empty(n_in)
    rw = np.empty(n_in)
    err = 0.0
    for j in range(n_out):
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
        err += g2 * (dy * dy + db * db)
    return err


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _layer_step_serial(x, w, y, b, u, xa, wa, ya, ba, bias_b, omega, g2, beta):
    errors = np.empty(x.shape[0])
    for k in range(x.shape[0]):
        errors[k] = _layer_step_item(
            k, x, w, y, b, u, xa, wa, ya, ba, bias_b, omega, g2, beta
        )
    return errors


@njit(cache=True, parallel=True, error_model="numpy", fastmath=_FASTMATH)
def _layer_step_parallel(x, w, y, b, u, xa, wa, ya, ba, bias_b, omega, g2, beta):
    errors = np.empty(x.shape[0])
    for k in prange(x.shape[0]):
        errors[k] = _layer_step_item(
            k, x, w, y, b, u, xa, wa, ya, ba, bias_b, omega, g2, beta
        )
    return errors


def _kernel(serial, parallel, array):
    """The parallel kernel for arrays big enough to repay starting threads (about 50 us
    a call), else the serial one."""
    if array.size >= _PARALLEL_MIN_SIZE and numba.get_num_threads() > 1:
        return parallel
    return serial


def rrr_step(arch, state, constraints, beta):
    """One RRR iteration ``x <- x + beta (P_B(2 P_A(x) - x) - P_A(x))`` in place.

    Returns ``(error, consensus_a, biases_b)``: the RRR error (paper Sec. 5), P_A of the
    iterate before the step (its weights are the trained weights) and the B-side bias
    consensus ``b_B`` per group (the trained biases).
    """
    n_items = state.x[0].shape[0]
    if state.multipliers is None:
        state.multipliers = [np.zeros(x.shape[:2]) for x in state.x]
    a = project_a(arch, state, constraints)
    total = 0.0
    biases = [None] * len(arch.group_sizes)
    for g in range(len(arch.group_sizes)):
        if state.y[g] is None:
            continue
        biases[g] = (2.0 * a.b[g] - state.b[g]).mean(axis=0)
        for l in arch.in_layers[g]:
            source = arch.layers[l][0]
            step = _kernel(_layer_step_serial, _layer_step_parallel, state.x[l])
            errors = step(
                state.x[l],
                state.w[l],
                state.y[g],
                state.b[g],
                state.multipliers[l],
                a.x[source],
                a.w[l],
                a.y[g],
                a.b[g],
                biases[g],
                arch.omega,
                arch.g2[g],
                beta,
            )
            total += float(errors.sum())  # per-item errors: the same sum either way
    return np.sqrt(total / n_items), a, biases


def run_rrr(arch, state, constraints, *, beta, max_iter, tol):
    """Iterate :func:`rrr_step` until the error falls below ``tol`` or ``max_iter``.

    Returns ``(errors, consensus_a, biases_b)`` of the last iteration. The node
    constraints of the classifier and the autoencoder run all iterations in one compiled
    call with the same iterates (:mod:`lossless_tutorial._fused`); others iterate here.
    """
    from ._fused import run_fused, supported  # it imports this module

    if max_iter >= 1 and supported(arch, state, constraints):
        return run_fused(
            arch, state, constraints, beta=beta, max_iter=max_iter, tol=tol
        )
    errors = []
    for _ in range(max_iter):
        error, a, biases = rrr_step(arch, state, constraints, beta)
        errors.append(error)
        if error < tol:
            break
    return np.array(errors), a, biases


# --------------------------------------------------------------------------------------
# Replicas from a forward pass
# --------------------------------------------------------------------------------------


def replicate(arch, values, pre_activations, weights, biases) -> State:
    """The replica state of a batch in which every copy equals its network value:
    ``values[g]`` (K, n_g) node values (None for groups without out-edges),
    ``pre_activations[g]`` the y of each group, ``weights[l]`` (n_t, n_s), ``biases[g]``
    (n_g,). Used to start each batch (paper Sec. 5)."""
    n_items = next(v.shape[0] for v in values if v is not None)
    consensus = Consensus(
        values,
        weights,
        [None if y is None else np.array(y, dtype=float) for y in pre_activations],
        [None if b is None else np.broadcast_to(b, (n_items, b.size)) for b in biases],
    )
    return expand(arch, consensus, n_items)
