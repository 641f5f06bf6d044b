"""Parameters are not functions: the realization map of shallow ReLU networks.

A shallow ReLU network on a box :math:`\\Omega = [\\text{low}, \\text{high}]^d` computes

.. math::

    f(x) = \\sum_i c_i\\, \\rho(a_i \\cdot x + b_i) + v \\cdot x + e, \\qquad
    \\rho(z) = \\max(z, 0),

with incoming weights ``a_i`` (``weights``), biases ``b_i``, outgoing weights ``c_i``
(``outputs``) and an optional affine part ``v``, ``e`` (``linear``, ``offset``; zero in
a plain network). The *realization map* sends the parameters to the function. Berner,
Elbraechter and Grohs (NeurIPS 2019) study how degenerate it is: many parameter vectors
realize one function (positive scaling and permutation of units, dead units, opposite
pairs), and close functions can have only far-apart parametrizations unless these
degeneracies are removed. This module provides

- the realization and its gradient (:class:`ShallowReLU`), the symmetries that leave it
  unchanged (:func:`rescale_units`, :func:`permute_units`), and the max-abs
  :func:`parameter_distance`;
- the Sobolev distance :math:`\\lVert f - g\\rVert_{W^{1,\\infty}(\\Omega)} =
  \\max(\\lVert f-g\\rVert_\\infty, \\lVert \\nabla(f-g)\\rVert_\\infty)`
  (:func:`w1inf_norm`, :func:`w1inf_distance`): exact (to rounding) for one input, from
  exact maxima along a grid of axis-parallel lines for several inputs;
- two gauge fixes of the positive scaling: :func:`balance` (``|c_i| = |a_i|``) and
  :func:`fix_incoming_norm` (``|a_i| = omega``, the fixed incoming-weight norm of
  Elser's RRR networks); and :func:`canonicalize`, which also removes dead and
  always-active units, merges units with the same kink and orientation, and sorts the
  units, together with the distance between canonical forms
  (:func:`canonical_distance`).

Norms: ``|a_i|`` is the Euclidean norm of a unit's incoming weights; parameter distances
are max-abs over all parameters; the gradient part of the Sobolev norm is
:math:`\\operatorname{ess\\,sup}_x \\max_j |\\partial_j h(x)|` (for one input every
choice agrees).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, maximum_bipartite_matching

from .._validation import (
    as_float_array,
    check_nonnegative_int,
    check_positive,
    check_random_state,
)

__all__ = [
    "ShallowReLU",
    "random_shallow_relu",
    "rescale_units",
    "permute_units",
    "parameter_distance",
    "unit_status",
    "w1inf_norm",
    "w1inf_distance",
    "balance",
    "fix_incoming_norm",
    "canonicalize",
    "canonical_distance",
]

_GAUGES = ("balanced", "norm")
# Pieces of a line shorter than this fraction of the box width are skipped when the
# gradient is sampled: two kinks that coincide mathematically are computed with rounding
# errors, and the sliver between them would report a gradient that does not exist.
_MIN_PIECE = 1e-9


# --------------------------------------------------------------------------------------
# The network and its realization
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ShallowReLU:
    """Parameters of a shallow ReLU network ``f(x) = sum_i c_i relu(a_i.x + b_i) + v.x +
    e``.

    Parameters
    ----------
    weights : array of shape (n_units, n_inputs)
        The incoming weights ``a_i`` (rows). A 1-d array is read as one input (shape
        (n_units, 1)).
    biases : array of shape (n_units,)
        The biases ``b_i``.
    outputs : array of shape (n_units,)
        The outgoing weights ``c_i``.
    linear : array of shape (n_inputs,) or None (zeros)
        The linear part ``v`` of an affine skip term. A plain shallow network has
        ``v = 0``; :func:`canonicalize` uses ``v`` to hold always-active units and
        opposite pairs.
    offset : float
        The output bias ``e``.

    Notes
    -----
    The arrays are copied and made read-only. Calling the network evaluates the
    realization; :meth:`gradient` gives its gradient (with ``relu'(0) = 0``).
    """

    weights: np.ndarray
    biases: np.ndarray
    outputs: np.ndarray
    linear: np.ndarray | None = None
    offset: float = 0.0

    def __post_init__(self):
        weights = as_float_array("weights", self.weights)
        if weights.ndim == 1:
            weights = weights[:, None]
        if weights.ndim != 2 or weights.shape[1] == 0:
            raise ValueError(
                f"weights must have shape (n_units, n_inputs) with n_inputs >= 1,"
                f" got shape {weights.shape}"
            )
        n_units, n_inputs = weights.shape
        biases = as_float_array("biases", self.biases, ndim=1)
        outputs = as_float_array("outputs", self.outputs, ndim=1)
        for name, array in (("biases", biases), ("outputs", outputs)):
            if array.shape != (n_units,):
                raise ValueError(
                    f"{name} must have shape ({n_units},) to match weights, "
                    f"got {array.shape}"
                )
        if self.linear is None:
            linear = np.zeros(n_inputs)
        else:
            linear = as_float_array("linear", self.linear, ndim=1)
            if linear.shape != (n_inputs,):
                raise ValueError(
                    f"linear must have shape ({n_inputs},), got {linear.shape}"
                )
        if (
            isinstance(self.offset, bool)
            or not isinstance(self.offset, numbers.Real)
            or not np.isfinite(self.offset)
        ):
            raise ValueError(
                f"offset must be a finite real number, got {self.offset!r}"
            )
        for name, array in (
            ("weights", weights),
            ("biases", biases),
            ("outputs", outputs),
            ("linear", linear),
        ):
            array = np.array(array, dtype=np.float64)
            array.setflags(write=False)
            object.__setattr__(self, name, array)
        object.__setattr__(self, "offset", float(self.offset))

    @property
    def n_units(self) -> int:
        """Number of hidden units."""
        return self.weights.shape[0]

    @property
    def n_inputs(self) -> int:
        """Input dimension d."""
        return self.weights.shape[1]

    def _inputs(self, x):
        x = as_float_array("x", x)
        if x.ndim == 1 and self.n_inputs == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            raise ValueError(
                f"x must have shape (n_points, {self.n_inputs})"
                + (" or (n_points,)" if self.n_inputs == 1 else "")
                + f", got {x.shape}"
            )
        return x

    def preactivations(self, x):
        """``a_i . x + b_i`` for every point (rows) and unit (columns)."""
        x = self._inputs(x)
        return x @ self.weights.T + self.biases

    def __call__(self, x):
        """The realization ``f(x)`` at points ``x`` of shape (n_points, n_inputs)."""
        x = self._inputs(x)
        hidden = np.maximum(x @ self.weights.T + self.biases, 0.0)
        return hidden @ self.outputs + x @ self.linear + self.offset

    def gradient(self, x):
        """The gradient of the realization, shape (n_points, n_inputs); ``relu'(0) =
        0``."""
        x = self._inputs(x)
        active = (x @ self.weights.T + self.biases > 0).astype(np.float64)
        return (active * self.outputs) @ self.weights + self.linear

    def parameter_jacobian(self, x):
        """Derivative of the realization at points ``x`` with respect to the parameters.

        Problem solved: the linearization of the realization map; its rank is the local
        dimension of the set of realized functions (the "functional dimension"). Shape
        (n_points, n_parameters), columns in the order of :meth:`parameters`; uses
        ``relu'(0) = 0``.
        """
        x = self._inputs(x)
        z = x @ self.weights.T + self.biases
        gate = (z > 0) * self.outputs  # c_i relu'(z_i)
        d_weights = (gate[:, :, None] * x[:, None, :]).reshape(x.shape[0], -1)
        return np.hstack(
            [d_weights, gate, np.maximum(z, 0.0), x, np.ones((x.shape[0], 1))]
        )

    def parameters(self):
        """All parameters as one flat vector: weights (row by row), biases, outputs,
        linear, offset."""
        return np.concatenate(
            [
                self.weights.ravel(),
                self.biases,
                self.outputs,
                self.linear,
                [self.offset],
            ]
        )

    def _replace(self, **changes):
        fields = dict(
            weights=self.weights,
            biases=self.biases,
            outputs=self.outputs,
            linear=self.linear,
            offset=self.offset,
        )
        fields.update(changes)
        return ShallowReLU(**fields)


def _check_net(name, net):
    if not isinstance(net, ShallowReLU):
        raise ValueError(f"{name} must be a ShallowReLU, got {type(net).__name__}")
    return net


def _box(low, high, n_inputs):
    """The box as two arrays of shape (n_inputs,), checked."""
    lo = as_float_array("low", low)
    hi = as_float_array("high", high)
    try:
        lo = np.broadcast_to(lo, (n_inputs,)).copy()
    except ValueError:
        raise ValueError(
            f"low must be a number or have shape ({n_inputs},), got {lo.shape}"
        ) from None
    try:
        hi = np.broadcast_to(hi, (n_inputs,)).copy()
    except ValueError:
        raise ValueError(
            f"high must be a number or have shape ({n_inputs},), got {hi.shape}"
        ) from None
    if np.any(hi <= lo):
        raise ValueError(
            f"high must exceed low in every coordinate, got low={lo}, high={hi}"
        )
    return lo, hi


def random_shallow_relu(n_units, n_inputs=1, *, low=-1.0, high=1.0, random_state=None):
    """A random network whose every kink cuts the box ``[low, high]^d``.

    Problem solved: test and example networks without degenerate units. Each unit gets a
    direction uniform on the sphere, a kink hyperplane through a uniform point of the
    box, a scale ``|a_i|`` log-uniform in [1/2, 2] and an outgoing weight from N(0, 1).
    No linear part, offset 0.
    """
    n_units = check_nonnegative_int("n_units", n_units)
    n_inputs = check_nonnegative_int("n_inputs", n_inputs, minimum=1)
    lo, hi = _box(low, high, n_inputs)
    rng = check_random_state(random_state)
    directions = rng.normal(size=(n_units, n_inputs))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    through = rng.uniform(lo, hi, size=(n_units, n_inputs))
    scales = np.exp(rng.uniform(np.log(0.5), np.log(2.0), size=n_units))
    weights = directions * scales[:, None]
    biases = -np.sum(weights * through, axis=1)
    outputs = rng.normal(size=n_units)
    return ShallowReLU(weights, biases, outputs)


# --------------------------------------------------------------------------------------
# Symmetries of the realization map and the parameter distance
# --------------------------------------------------------------------------------------


def rescale_units(net, scales):
    """Positive scaling ``(a_i, b_i, c_i) -> (s_i a_i, s_i b_i, c_i / s_i)``.

    Problem solved: move along the scaling fibre of the realization map. Because
    ``relu(s z) = s relu(z)`` for ``s > 0`` the realization is unchanged (exactly, when
    the scales are powers of two; otherwise to rounding). ``scales`` is a positive
    number or an array of shape (n_units,).
    """
    net = _check_net("net", net)
    scales = as_float_array("scales", scales)
    try:
        scales = np.broadcast_to(scales, (net.n_units,))
    except ValueError:
        raise ValueError(
            f"scales must be a number or have shape ({net.n_units},), "
            f"got {scales.shape}"
        ) from None
    if np.any(scales <= 0):
        raise ValueError("scales must be > 0 (a negative scale changes the function)")
    return net._replace(
        weights=net.weights * scales[:, None],
        biases=net.biases * scales,
        outputs=net.outputs / scales,
    )


def permute_units(net, permutation):
    """Reorder the hidden units: unit ``k`` of the result is unit ``permutation[k]``.

    Problem solved: move along the permutation fibre; the realization is a sum over
    units and does not change (exactly when every partial sum is exactly representable).
    """
    net = _check_net("net", net)
    permutation = np.asarray(permutation)
    if (
        permutation.shape != (net.n_units,)
        or not np.issubdtype(permutation.dtype, np.integer)
        or not np.array_equal(np.sort(permutation), np.arange(net.n_units))
    ):
        raise ValueError(f"permutation must be a permutation of 0..{net.n_units - 1}")
    return net._replace(
        weights=net.weights[permutation],
        biases=net.biases[permutation],
        outputs=net.outputs[permutation],
    )


def parameter_distance(f, g):
    """``max |theta_f - theta_g|`` over all parameters (the paper's parameter norm).

    Problem solved: how far apart two parametrizations of the same architecture are.
    Both networks must have the same numbers of units and inputs (units are compared in
    their stored order: a permutation counts as a move).
    """
    f, g = _check_net("f", f), _check_net("g", g)
    if f.weights.shape != g.weights.shape:
        raise ValueError(
            f"g must have the architecture of f: weights {f.weights.shape}, "
            f"got {g.weights.shape}"
        )
    return float(np.max(np.abs(f.parameters() - g.parameters())))


def _preactivation_range(weights, biases, lo, hi):
    """Smallest and largest value of ``a_i . x + b_i`` over the box, per unit
    (exact)."""
    top = biases + np.sum(np.maximum(weights * lo, weights * hi), axis=1)
    bottom = biases + np.sum(np.minimum(weights * lo, weights * hi), axis=1)
    return bottom, top


def unit_status(net, *, low=-1.0, high=1.0, atol=0.0):
    """Classify every unit as ``"dead"``, ``"affine"`` or ``"kink"`` on the box.

    Problem solved: find the units whose kink misses the domain. A unit is dead if
    ``a_i . x + b_i <= atol * |a_i|`` on the whole box (it contributes nothing, and then
    any ``c_i`` realizes the same function), affine if ``a_i . x + b_i >= -atol *
    |a_i|`` on the box (always active, so ``c_i relu(a_i . x + b_i)`` is affine), and a
    kink unit if its hyperplane cuts the interior. A unit with ``a_i = 0`` is dead if
    ``b_i <= 0`` and affine (a constant) otherwise. Returns an array of strings of shape
    (n_units,).
    """
    net = _check_net("net", net)
    atol = check_positive("atol", atol, allow_zero=True)
    lo, hi = _box(low, high, net.n_inputs)
    bottom, top = _preactivation_range(net.weights, net.biases, lo, hi)
    slack = atol * np.linalg.norm(net.weights, axis=1)
    status = np.full(net.n_units, "kink", dtype=object)
    status[bottom >= -slack] = "affine"
    status[top <= slack] = "dead"
    return status.astype(str)


# --------------------------------------------------------------------------------------
# The Sobolev distance W^{1,inf}
# --------------------------------------------------------------------------------------


def _difference(f, g):
    """A network realizing ``f - g`` (units of both, outputs of g negated)."""
    if f.n_inputs != g.n_inputs:
        raise ValueError(f"g must have n_inputs={f.n_inputs} like f, got {g.n_inputs}")
    return ShallowReLU(
        np.vstack([f.weights, g.weights]),
        np.concatenate([f.biases, g.biases]),
        np.concatenate([f.outputs, -g.outputs]),
        f.linear - g.linear,
        f.offset - g.offset,
    )


def w1inf_norm(net, *, low=-1.0, high=1.0, n_lines=201, parts=False):
    """The Sobolev norm ``max(sup |h|, ess sup max_j |d_j h|)`` of a realization on a
    box.

    Problem solved: measure a piecewise-linear function ``h`` in the norm in which the
    realization map of shallow ReLU networks can be inverse stable. The function is
    restricted to lines parallel to the coordinate axes; on each line it is piecewise
    linear with known breakpoints (where the line crosses a kink hyperplane), so ``|h|``
    is maximal at a breakpoint or an end of the line, and the gradient is constant on
    each piece (evaluated analytically at the piece's midpoint).

    - **One input (d = 1):** the box is a single line, so both parts are **exact** up to
      floating-point rounding; ``n_lines`` is ignored. (One exception: pieces shorter
      than ``1e-9`` of the box width are not used for the gradient, because two kinks
      that coincide mathematically land a rounding error apart, and the sliver between
      them would report a gradient that does not exist.)
    - **d > 1:** ``n_lines`` equally spaced values per other coordinate give
      ``n_lines ** (d - 1)`` lines along each axis. The result is exact on those lines
      and a **lower bound** for the box: a maximum of ``|h|`` at a vertex of the kink
      arrangement, or a cell missed by every line, is not seen. The value part is off by
      at most ``L * spacing * sqrt(d - 1) / 2`` (``L`` a Lipschitz constant of ``h``,
      e.g. ``sum_i |c_i| |a_i| + |v|``).

    Returns the norm (a float), or ``(sup |h|, sup |grad h|)`` if ``parts`` is true (the
    first is then the uniform norm).
    """
    net = _check_net("net", net)
    n_lines = check_nonnegative_int("n_lines", n_lines, minimum=2)
    d = net.n_inputs
    lo, hi = _box(low, high, d)
    sup_value = sup_gradient = 0.0
    for axis in range(d):  # a loop over coordinate axes; lines and units are vectorized
        others = [k for k in range(d) if k != axis]
        grids = np.meshgrid(
            *[np.linspace(lo[k], hi[k], n_lines) for k in others], indexing="ij"
        )
        base = np.zeros((grids[0].size if others else 1, d))
        for k, grid in zip(others, grids):
            base[:, k] = grid.ravel()
        start = (
            base @ net.weights.T + net.biases
        )  # pre-activations at t = 0 (axis coord)
        slope = net.weights[:, axis]
        with np.errstate(divide="ignore", invalid="ignore"):
            crossing = -start / slope
        crossing = np.where(
            np.isfinite(crossing), np.clip(crossing, lo[axis], hi[axis]), lo[axis]
        )
        ends = np.broadcast_to([lo[axis], hi[axis]], (base.shape[0], 2))
        breaks = np.sort(np.concatenate([ends, crossing], axis=1), axis=1)
        points = np.repeat(base[:, None, :], breaks.shape[1], axis=1)
        points[:, :, axis] = breaks
        sup_value = max(sup_value, float(np.max(np.abs(net(points.reshape(-1, d))))))
        keep = breaks[:, 1:] - breaks[:, :-1] > _MIN_PIECE * (hi[axis] - lo[axis])
        middles = np.repeat(base[:, None, :], breaks.shape[1] - 1, axis=1)
        middles[:, :, axis] = 0.5 * (breaks[:, 1:] + breaks[:, :-1])
        sup_gradient = max(
            sup_gradient, float(np.max(np.abs(net.gradient(middles[keep]))))
        )
    if parts:
        return sup_value, sup_gradient
    return max(sup_value, sup_gradient)


def w1inf_distance(f, g, *, low=-1.0, high=1.0, n_lines=201, parts=False):
    """``|R(f) - R(g)|`` in ``W^{1,inf}`` of the box: :func:`w1inf_norm` of the
    difference.

    Exact (to rounding) for one input, a lower bound from lines for several inputs; see
    :func:`w1inf_norm`. The two networks may have different numbers of units.
    """
    f, g = _check_net("f", f), _check_net("g", g)
    return w1inf_norm(
        _difference(f, g), low=low, high=high, n_lines=n_lines, parts=parts
    )


# --------------------------------------------------------------------------------------
# Gauge fixes and the canonical form
# --------------------------------------------------------------------------------------


def balance(net, *, include_bias=False):
    """Rescale every unit so that ``|c_i| = |a_i|`` (or ``= |(a_i, b_i)|``).

    Problem solved: fix the positive-scaling gauge the way the non-degenerate parameter
    set of Berner et al. does (balanced units; whether the bias enters the norm there is
    from memory, hence ``include_bias``). Within each scaling orbit
    ``(s a, s b, c / s)`` the balanced point is the unique one with equal incoming and
    outgoing size; it also minimises ``|a|^2 + c^2`` (``+ b^2`` with ``include_bias``)
    over the orbit. Units with ``c_i = 0`` become ``(0, 0, 0)`` (the limit ``s -> 0``,
    same realization); units with zero incoming vector (constants) are left unchanged.
    The realization is unchanged up to rounding, and the map is idempotent.
    """
    net = _check_net("net", net)
    size = np.linalg.norm(
        np.column_stack([net.weights, net.biases]) if include_bias else net.weights,
        axis=1,
    )
    scales = np.ones(net.n_units)
    movable = size > 0
    scales[movable] = np.sqrt(np.abs(net.outputs[movable]) / size[movable])
    zero = movable & (scales == 0)
    scales[zero] = 1.0
    out = net.outputs / scales
    weights = net.weights * scales[:, None]
    biases = net.biases * scales
    weights[zero] = 0.0
    biases[zero] = 0.0
    out[zero] = 0.0
    return net._replace(weights=weights, biases=biases, outputs=out)


def fix_incoming_norm(net, *, omega=1.0):
    """Rescale every unit so that its incoming weights have norm ``omega``: ``|a_i| =
    omega``.

    Problem solved: the gauge fix of Elser's RRR networks, whose constraint (26g) keeps
    the incoming weights of every hidden node at norm Omega. Each scaling orbit
    ``(s a, s b, c / s)`` with ``a != 0`` meets this sphere exactly once
    (``s = omega / |a|``), so the scaling freedom is gone; units with ``a_i = 0`` are
    left unchanged. (Elser's forward pass is ``relu(w . x / Omega - b)`` with ``|w| =
    Omega``, i.e. ``a = w / Omega`` of norm 1 and bias ``-b``: the same gauge with
    ``omega = 1``.) The realization is unchanged up to rounding, and the map is
    idempotent.
    """
    net = _check_net("net", net)
    omega = check_positive("omega", omega)
    size = np.linalg.norm(net.weights, axis=1)
    scales = np.where(size > 0, omega / np.where(size > 0, size, 1.0), 1.0)
    return rescale_units(net, scales)


def _check_gauge(gauge, omega):
    if gauge not in _GAUGES:
        raise ValueError(f"gauge must be one of {_GAUGES}, got {gauge!r}")
    return check_positive("omega", omega)


def _canonical_parts(net, lo, hi, atol):
    """Normalized units ``(u_i, beta_i, gamma_i)`` of the canonical form and its affine
    part.

    ``c relu(a.x + b) = gamma relu(u.x + beta)`` with ``u = a/|a|``, ``beta = b/|a|``,
    ``gamma = c |a|``.
    """
    status = unit_status(net, low=lo, high=hi, atol=atol)
    linear = net.linear.copy()
    offset = net.offset
    affine = status == "affine"  # always active on the box: c (a.x + b) is affine there
    linear += net.outputs[affine] @ net.weights[affine]
    offset += float(net.outputs[affine] @ net.biases[affine])
    kink = status == "kink"
    size = np.linalg.norm(net.weights[kink], axis=1)
    u = net.weights[kink] / size[:, None]
    beta = net.biases[kink] / size
    gamma = net.outputs[kink] * size
    # orientation: the first entry of u with |u_j| > atol is positive;
    # gamma relu(z) = gamma relu(-z) + gamma z moves a flipped unit's z into the affine
    # part
    leading = np.abs(u) > max(atol, 1e-12)
    first = np.argmax(leading, axis=1)
    flip = u[np.arange(u.shape[0]), first] < 0
    linear += gamma[flip] @ u[flip]
    offset += float(gamma[flip] @ beta[flip])
    u[flip] *= -1.0
    beta[flip] *= -1.0
    # merge units with the same (u, beta): their kinks and orientations coincide
    key = np.column_stack([u, beta])
    if key.shape[0]:
        close = np.max(np.abs(key[:, None, :] - key[None, :, :]), axis=2) <= atol
        n_groups, labels = connected_components(csr_matrix(close), directed=False)
        counts = np.bincount(labels, minlength=n_groups)
        merged = np.zeros((n_groups, key.shape[1]))
        np.add.at(merged, labels, key)
        key = merged / counts[:, None]
        gamma = np.bincount(labels, weights=gamma, minlength=n_groups)
    keep = np.abs(gamma) > atol
    key, gamma = key[keep], gamma[keep]
    u, beta = key[:, :-1], key[:, -1]
    if u.shape[0]:
        u /= np.linalg.norm(u, axis=1, keepdims=True)
    # a fixed order (kills permutations): lexicographic in (u_1, ..., u_d, beta), on
    # rounded keys so that rounding noise cannot reorder equal leading entries
    rounded = np.round(np.column_stack([u, beta]), 9)
    order = np.lexsort(rounded.T[::-1]) if rounded.shape[0] else np.arange(0)
    return u[order], beta[order], gamma[order], linear, offset


def _from_normalized(u, beta, gamma, linear, offset, gauge, omega):
    if gauge == "balanced":
        scale = np.sqrt(np.abs(gamma))
    else:
        scale = np.full(gamma.shape, omega)
    return ShallowReLU(u * scale[:, None], beta * scale, gamma / scale, linear, offset)


def canonicalize(net, *, low=-1.0, high=1.0, gauge="balanced", omega=1.0, atol=1e-10):
    """A canonical parametrization of the function a network realizes on a box.

    Problem solved: one representative per realized function, so that parametrizations
    that differ only by the degeneracies of the realization map become equal. The steps
    (our reconstruction of a canonical form, not a construction from the paper):

    1. units whose kink misses the interior of the box are removed: dead units are
       dropped, always-active units add ``c_i (a_i . x + b_i)`` to the affine part;
    2. every unit is written as ``gamma relu(u . x + beta)`` with ``|u| = 1``;
    3. orientation: a unit whose first entry of ``u`` (above ``atol`` in size) is
       negative is flipped with ``relu(-z) = relu(z) - z``, moving ``-gamma z`` into the
       affine part (this turns opposite pairs into one unit plus an affine term);
    4. units with the same ``(u, beta)`` (within ``atol``, max-abs) are merged by adding
       their ``gamma``; units with ``|gamma| <= atol`` are dropped;
    5. the gauge: ``"balanced"`` gives ``|c_i| = |a_i| = sqrt|gamma_i|``, ``"norm"``
       gives ``|a_i| = omega`` (Elser's fixed incoming norm) and ``c_i = gamma_i /
       omega``;
    6. units are sorted lexicographically by ``(u, beta)``.

    The result realizes the same function on the box (to rounding, plus at most ``atol``
    effects from units whose kink lies within ``atol`` of the boundary or whose total
    ``gamma`` is below ``atol``), carries the affine part in ``linear`` and ``offset``,
    and is unique for the function: distinct kink hyperplanes and their gradient jumps
    determine the units, and the rest is affine. Idempotent.
    """
    net = _check_net("net", net)
    omega = _check_gauge(gauge, omega)
    atol = check_positive("atol", atol, allow_zero=True)
    lo, hi = _box(low, high, net.n_inputs)
    return _from_normalized(*_canonical_parts(net, lo, hi, atol), gauge, omega)


def _bottleneck_cost(cost):
    """Smallest ``t`` such that the square matrix ``cost`` has a perfect matching using
    only entries ``<= t`` (the bottleneck assignment value)."""
    values = np.unique(cost)
    low, high = 0, values.size - 1
    while low < high:
        middle = (low + high) // 2
        graph = csr_matrix((cost <= values[middle]).astype(np.int8))
        match = maximum_bipartite_matching(graph, perm_type="column")
        if np.all(match >= 0):
            high = middle
        else:
            low = middle + 1
    return float(values[low])


def canonical_distance(
    f, g, *, low=-1.0, high=1.0, gauge="balanced", omega=1.0, atol=1e-10
):
    """Max-abs distance between the canonical forms of two networks, units matched.

    Problem solved: a parameter distance that ignores every degeneracy that
    :func:`canonicalize` removes. Both networks are canonicalized; units are then paired
    so that the largest max-abs difference of ``(a_i, b_i, c_i)`` over the pairs is as
    small as possible (a bottleneck assignment, solved exactly). A unit may also stay
    unpaired, at the cost of its distance to the nearest unit that realizes zero in the
    same gauge: ``max(|a_i|_max, |c_i|)`` when balanced (a zero output forces ``a =
    0``), ``|c_i|`` in the norm gauge (a zero output leaves ``a`` and ``b`` free). The
    result is the maximum of that bottleneck value and the max-abs difference of the
    affine parts. It is 0 exactly when the two networks realize the same function on the
    box (up to ``atol``). The networks may have different numbers of units.
    """
    f, g = _check_net("f", f), _check_net("g", g)
    if f.n_inputs != g.n_inputs:
        raise ValueError(f"g must have n_inputs={f.n_inputs} like f, got {g.n_inputs}")
    cf = canonicalize(f, low=low, high=high, gauge=gauge, omega=omega, atol=atol)
    cg = canonicalize(g, low=low, high=high, gauge=gauge, omega=omega, atol=atol)
    affine = max(
        float(np.max(np.abs(cf.linear - cg.linear))), abs(cf.offset - cg.offset)
    )
    units_f = np.column_stack([cf.weights, cf.biases, cf.outputs])
    units_g = np.column_stack([cg.weights, cg.biases, cg.outputs])
    n, m = units_f.shape[0], units_g.shape[0]
    if n + m == 0:
        return affine
    d = f.n_inputs

    def to_zero(units):
        if gauge == "balanced":
            return np.max(np.abs(np.column_stack([units[:, :d], units[:, -1]])), axis=1)
        return np.abs(units[:, -1])

    cost = np.zeros((n + m, m + n))
    cost[:n, :m] = np.max(np.abs(units_f[:, None, :] - units_g[None, :, :]), axis=2)
    cost[:n, m:] = to_zero(units_f)[:, None]
    cost[n:, :m] = to_zero(units_g)[None, :]
    return max(affine, _bottleneck_cost(cost))
