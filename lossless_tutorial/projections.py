"""Every elementary projection of "Learning without loss" (Elser), vectorized.

A projection maps a point to the nearest point of a constraint set. Training a network
with RRR needs only these maps, applied to many small independent problems at once:
one per (item, neuron), per edge, or per item. Every function here therefore works on
arrays whose leading axes are independent problems ("batch axes"), and the docstring of
each states the minimisation problem it solves and its metric.

Distances are Euclidean in the arguments unless a docstring says otherwise. For the
activation projections the three variables (x, y, b) of one node carry equal weight,
which is what the paper's metric (g^2 = outdeg on y and b) gives once the node's
out-edge copies of x have been averaged (Lemma 4.1 of the paper).

Non-convex sets can have several nearest points on a set of measure zero (ties); each
function documents which one it returns.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._validation import (
    as_float_array,
    as_labels,
    broadcast_shapes,
    check_axis,
    check_broadcasts_to,
    check_nonnegative_int,
    check_positive,
    check_vector_axis,
)

__all__ = [
    "project_consensus",
    "project_nonnegative",
    "project_nonnegative_norm",
    "project_norm",
    "project_bilinear",
    "bilinear_h0",
    "project_relu",
    "project_step_gap",
    "project_zigmoid",
    "project_clamped",
    "project_class_margin",
    "class_margin_distance",
    "project_class_margin_exempt",
    "project_relabel",
    "project_false_positive",
    "project_sparse_nonnegative",
]


# --------------------------------------------------------------------------------------
# 4.1 - 4.4: consensus, sign and norm constraints
# --------------------------------------------------------------------------------------


def project_consensus(z, *, axis=0):
    """Project replicas onto consensus: all entries along ``axis`` equal.

    Solves ``min sum_i |z_i' - z_i|^2`` subject to ``z_i' = z_i''`` for all replicas
    ``i`` along ``axis``; the answer is the mean, broadcast back to every replica.
    Other axes are batch axes.
    """
    z = as_float_array("z", z)
    axis = check_axis("axis", axis, z.ndim)
    if z.shape[axis] == 0:
        raise ValueError("z must have at least one replica along axis")
    return np.broadcast_to(z.mean(axis=axis, keepdims=True), z.shape).copy()


def project_nonnegative(x):
    """Project onto the nonnegative orthant, ``min |x' - x|^2`` s.t. ``x' >= 0``
    (4.2)."""
    return np.maximum(as_float_array("x", x), 0.0)


def _scaled_unit(w, axis):
    """Unit vectors along ``axis`` (0 where the vector is 0) and the norms, computed on
    ``w / max|w|`` so that tiny or huge entries neither underflow nor overflow."""
    scale = np.max(np.abs(w), axis=axis, keepdims=True)
    scaled = np.divide(w, scale, out=np.zeros_like(w), where=scale > 0)
    norm = np.sqrt(np.sum(scaled * scaled, axis=axis, keepdims=True))
    unit = np.divide(scaled, norm, out=np.zeros_like(w), where=norm > 0)
    return unit, norm * scale


def project_norm(w, *, omega=1.0, axis=-1):
    """Project onto the sphere of radius ``omega`` (weights into a neuron).

    Solves ``min |w' - w|^2`` subject to ``|w'| = omega`` for each vector along
    ``axis``: ``w' = omega * w / |w|``. Every point of the sphere is nearest to ``w =
    0``; this function then returns ``omega`` times the first unit vector.
    """
    w = as_float_array("w", w)
    omega = check_positive("omega", omega)
    axis = check_vector_axis("w", w, axis)
    out, norm = _scaled_unit(w, axis)
    out *= omega
    zero = np.broadcast_to(norm == 0, w.shape).copy()
    first = np.zeros(w.shape, dtype=bool)
    np.moveaxis(first, axis, -1)[..., 0] = True
    out[zero & first] = omega
    return out


def project_nonnegative_norm(w, *, omega=1.0, axis=-1):
    """Project onto nonnegative vectors of norm ``omega`` (NMF features).

    Solves ``min |w' - w|^2`` subject to ``w' >= 0`` and ``|w'| = omega`` for each
    vector along ``axis``. If some entry is positive the answer is the positive part
    rescaled to norm ``omega``. If every entry is <= 0 the nearest point puts ``omega``
    on the largest (least negative) entry and 0 elsewhere (Bauschke, Bui and Wang 2018);
    among equal largest entries the first is taken.
    """
    w = as_float_array("w", w)
    omega = check_positive("omega", omega)
    axis = check_vector_axis("w", w, axis)
    out, norm = _scaled_unit(np.maximum(w, 0.0), axis)
    out *= omega
    if w.size and np.any(norm == 0):
        moved = np.moveaxis(w, axis, -1)
        winner = np.argmax(moved, axis=-1)[..., None]
        vertex = np.zeros(moved.shape)
        np.put_along_axis(vertex, winner, omega, axis=-1)
        out = np.where(norm == 0, np.moveaxis(vertex, -1, axis), out)
    return out


# --------------------------------------------------------------------------------------
# 4.5: the bilinear projection  x . w = omega * y
# --------------------------------------------------------------------------------------


def bilinear_h0(u, p, q, y, *, omega=1.0, g2=np.inf):
    """The multiplier function h0(u) of the bilinear projection (paper eq. 52).

    ``h0(u) = [p (1 + u^2) + q u] / (1 - u^2)^2 - omega y + (omega^2 / g2) u`` with
    ``p = x.w`` and ``q = x.x + w.w``. It is increasing on (-1, 1) when ``q > 2|p|`` and
    its root there is the Lagrange multiplier of the projection. Provided for plots and
    checks; :func:`project_bilinear` uses an equivalent, better conditioned form.
    """
    u = np.asarray(u, dtype=float)
    return (p * (1 + u * u) + q * u) / (1 - u * u) ** 2 - omega * y + omega**2 / g2 * u


def project_bilinear(
    x,
    w,
    y,
    *,
    omega=1.0,
    g2=np.inf,
    axis=-1,
    rtol=1e-13,
    max_iter=100,
    return_multiplier=False,
):
    """Project onto the neuron-input constraint ``x'.w' = omega * y'`` (paper Sec. 4.2,
    App. B).

    Solves, for every vector pair along ``axis`` (all other axes are batch axes)::

        min |x' - x|^2 + |w' - w|^2 + g2 (y' - y)^2   subject to   x'.w' = omega y'.

    ``g2 = inf`` (the default) keeps ``y`` fixed, as for data values in NMF; a finite
    ``g2`` (the node's metric weight: its outdegree for hidden nodes, upsilon for class
    nodes) lets ``y`` move too. ``g2`` may be an array that broadcasts against ``y``.

    Method. With ``S = x + w`` and ``D = x - w`` the constraint reads
    ``|S'|^2 - |D'|^2 = 4 omega y'`` and the Lagrange conditions give
    ``S' = S / (1 - u)``, ``D' = D / (1 + u)``, ``y' = y - u omega / g2`` (the paper's
    eq. 19), where the multiplier ``u`` is the unique root in (-1, 1) of the increasing
    function ``h0(u) = |S|^2 / (4 (1-u)^2) - |D|^2 / (4 (1+u)^2) - omega y
    + (omega^2/g2) u`` (eq. 52 rewritten; Lemma B.1 proves uniqueness). The root is
    found by a safeguarded Newton iteration, vectorized over every problem at once: in
    ``u`` itself when it lies in [-1/2, 1/2], so that multipliers near 0 keep full
    relative precision, and otherwise in its distance ``eps`` from the nearer end of
    (-1, 1), so that roots extremely close to -1 or +1 keep theirs. Bisection steps
    (geometric when the bracket spans orders of magnitude) keep every iterate inside a
    bracket. A ``RuntimeWarning`` reports problems that did not reach ``rtol`` (relative
    change of the iterate) within ``max_iter`` iterations; typically 5 to 10 iterations
    suffice.

    Degenerate inputs. The paper assumes ``x != +-w`` (``q > 2|p|``). If ``x = w``
    exactly (``D = 0``) and ``h0`` stays >= 0 up to ``u = -1``, the nearest points have
    ``u = -1``: ``S' = S/2`` and ``D'`` of the length fixed by the constraint in any
    direction; this function takes the direction of the first coordinate along ``axis``.
    ``x = -w`` is the mirror case at ``u = +1``. When ``x = w = 0`` the answer is
    ``x' = w' = 0`` and ``y' = 0`` if that is nearest, otherwise ``x' = +-w'`` along the
    first coordinate. All these points are exact nearest points (ties in direction).
    Accuracy holds while the squared norms are normal floating-point numbers (entries
    between about 1e-150 and 1e150 in magnitude).

    Parameters
    ----------
    x, w : arrays of equal shape
        The two vectors of each problem lie along ``axis``.
    y : array
        One value per problem; broadcasts to the shape of ``x`` without ``axis``.
    omega : float
        The constant of the constraint (the paper's fixed weight norm).
    g2 : float or array, > 0
        Metric weight of ``y`` (``np.inf``: ``y`` is fixed); broadcasts like ``y``.
    axis : int
        The vector axis of ``x`` and ``w``.
    rtol, max_iter :
        Stopping rule of the root solve (relative step size) and its iteration cap.
    return_multiplier : bool
        Also return the multiplier ``u``.

    Returns
    -------
    x_new, w_new, y_new : arrays with the shapes of ``x``, ``w`` and the broadcast
    ``y``. u : array, only if ``return_multiplier``; the Lagrange multiplier per
    problem.
    """
    x = as_float_array("x", x)
    w = as_float_array("w", w)
    if x.shape != w.shape:
        raise ValueError(
            f"x and w must have the same shape, got {x.shape} and {w.shape}"
        )
    if x.ndim == 0:
        raise ValueError("x must have at least one axis (the vector axis)")
    axis = check_vector_axis("x", x, axis)
    omega = check_positive("omega", omega)
    rtol = check_positive("rtol", rtol)
    max_iter = check_nonnegative_int("max_iter", max_iter, minimum=1)
    y = as_float_array("y", y)
    g2 = as_float_array("g2", g2, finite=False)
    if np.any(np.isnan(g2)) or np.any(g2 <= 0):
        raise ValueError("g2 must be > 0 (np.inf keeps y fixed)")
    shape = x.shape[:axis] + x.shape[axis + 1 :]
    check_broadcasts_to("y", y.shape, shape, "the batch shape of x")
    check_broadcasts_to("g2", g2.shape, shape, "the batch shape of x")

    xm = np.moveaxis(x, axis, -1)
    wm = np.moveaxis(w, axis, -1)
    s = np.add(xm, wm, order="C")  # C order: reshape(-1, n) below is a view
    d = np.subtract(xm, wm, order="C")
    a = np.einsum("...i,...i->...", s, s)
    b = np.einsum("...i,...i->...", d, d)
    p = np.einsum("...i,...i->...", xm, wm)
    omega_y = omega * np.broadcast_to(y, shape)
    c2 = omega * omega / np.broadcast_to(g2, shape)

    u, s_scale, d_scale, t, toward_minus, n_failed = _bilinear_multiplier(
        a.ravel(), b.ravel(), p.ravel(), omega_y.ravel(), c2.ravel(), rtol, max_iter
    )
    if n_failed:
        warnings.warn(
            f"project_bilinear: {n_failed} of {u.size} root solves did not reach "
            f"rtol={rtol:g} in max_iter={max_iter} iterations",
            RuntimeWarning,
            stacklevel=2,
        )
    u = u.reshape(shape)
    s *= s_scale.reshape(shape)[..., None]
    d *= d_scale.reshape(shape)[..., None]
    boundary = t > 0
    if np.any(boundary):
        # x = +-w exactly and the root sits at u = -+1: the vanished vector grows along
        # the first coordinate to the length the constraint requires.
        rows = np.flatnonzero(boundary)
        minus = toward_minus[rows]
        d.reshape(-1, d.shape[-1])[rows[minus], 0] += t[rows[minus]]
        s.reshape(-1, s.shape[-1])[rows[~minus], 0] += t[rows[~minus]]
    x_new = s + d
    x_new *= 0.5
    s -= d
    s *= 0.5
    y_new = np.broadcast_to(y, shape) - u * (omega / np.broadcast_to(g2, shape))
    result = (np.moveaxis(x_new, -1, axis), np.moveaxis(s, -1, axis), y_new)
    return result + (u,) if return_multiplier else result


_ROUNDING = np.finfo(float).eps


def _newton_bracketed(fun, params, start, lo, hi, *, rtol, max_iter, geometric):
    """Safeguarded Newton iteration on many increasing functions at once.

    ``fun(t, *params) -> (value, slope, size)`` is increasing on each bracket
    ``[lo, hi]``, which holds its root; ``size`` is the sum of the magnitudes of the
    terms of ``value``, so that values within rounding error of zero are recognised as
    roots. A Newton step that leaves the current bracket is replaced by bisection
    (geometric when ``geometric`` and the bracket spans more than a factor 4, so that
    roots near 0 are reached in few steps). A problem stops when its step is below
    ``rtol`` relative to its iterate or its value is zero to rounding. Returns the roots
    and the number of problems that used every iteration (their last iterate is
    returned).
    """
    root = start.copy()
    active = np.arange(start.size)
    t, lo, hi = start.copy(), lo.copy(), hi.copy()
    with np.errstate(all="ignore"):  # a wild Newton step is replaced by bisection below
        for _ in range(max_iter):
            if active.size == 0:
                break
            value, slope, size = fun(t, *params)
            hi = np.where(value > 0, t, hi)
            lo = np.where(value < 0, t, lo)
            at_root = np.abs(value) <= 4.0 * _ROUNDING * size
            step = np.where(at_root, t, t - value / slope)
            done = at_root | (np.abs(step - t) <= rtol * np.abs(t))
            inside = (step > lo) & (step < hi)
            middle = 0.5 * (lo + hi)
            if geometric:
                middle = np.where((lo > 0) & (hi > 4.0 * lo), np.sqrt(lo * hi), middle)
            t = np.where(done | inside, step, middle)
            if np.any(done):
                root[active[done]] = t[done]
                keep = ~done
                active, t, lo, hi = active[keep], t[keep], lo[keep], hi[keep]
                params = tuple(p[keep] for p in params)
    root[active] = t
    return root, active.size


def _h0_and_slope(u, p, q, omega_y, c2):
    """h0(u) in the paper's form (eq. 52), its derivative and the size of its terms, for
    |u| <= 1/2; ``p = x.w`` is computed directly, so roots near 0 keep their relative
    precision."""
    u2 = u * u
    den2 = (1.0 - u2) ** 2
    term, linear = (p * (1.0 + u2) + q * u) / den2, c2 * u
    value = term - omega_y + linear
    slope = (q * (1.0 + 3.0 * u2) + 2.0 * p * u * (3.0 + u2)) / (den2 * (1.0 - u2)) + c2
    size = (
        (np.abs(p) * (1.0 + u2) + q * np.abs(u)) / den2
        + np.abs(omega_y)
        + np.abs(linear)
    )
    return value, slope, size


def _g_and_slope(eps, root_near, far, target, c2):
    """G(eps) near an end of (-1, 1), written with sqrt(N)/eps so that tiny eps keep
    full precision (see :func:`_bilinear_multiplier`)."""
    fe = 2.0 - eps
    ratio2 = (root_near / eps) ** 2
    far_term, linear = far / (4.0 * fe * fe), c2 * (eps - 1.0)
    value = far_term - 0.25 * ratio2 - target + linear
    slope = far / (2.0 * fe**3) + 0.5 * ratio2 / eps + c2
    size = far_term + 0.25 * ratio2 + np.abs(target) - linear
    return value, slope, size


def _bilinear_multiplier(a, b, p, omega_y, c2, rtol, max_iter):
    """Root u in (-1, 1) of h0 for flat arrays of problems (see
    :func:`project_bilinear`).

    ``a = |S|^2``, ``b = |D|^2``, ``p = x.w``, ``c2 = omega^2 / g2``. The increasing
    function h0 is evaluated at u = -1/2 and u = 1/2. A root between them is found in u
    itself (full relative precision for roots near 0). A root outside is found in its
    distance ``eps`` (0 < eps <= 1/2) from the end it lies toward: u = eps - 1 ("toward
    minus") or u = 1 - eps. With N the squared norm that the near end scales up
    (``|D|^2`` toward minus, ``|S|^2`` toward plus) and F the other, the increasing
    function of eps is::

        G(eps) = F / (4 (2 - eps)^2) - N / (4 eps^2) - sign * omega y + c2 (eps - 1),

    with G(1/2) > 0; since G(eps) <= F/4 - sign*omega*y - N/(4 eps^2), the root is at
    least sqrt(N / (F - 4 sign omega y)), which brackets roots as small as 1e-150.

    Returns u, the scale factors of S and D, the boundary length t (0 unless x = +-w
    exactly puts the root at an end), the side (toward minus) and the number of problems
    that did not converge in ``max_iter`` iterations.
    """
    toward_minus = a / 9.0 - b - omega_y - 0.5 * c2 > 0.0  # h0(-1/2) > 0
    toward_plus = a - b / 9.0 - omega_y + 0.5 * c2 < 0.0  # h0(+1/2) < 0
    central = ~(toward_minus | toward_plus)
    u = np.zeros_like(a)
    n_failed = 0

    rows = np.flatnonzero(central)
    if rows.size:
        half = np.full(rows.size, 0.5)
        u[rows], n_failed = _newton_bracketed(
            _h0_and_slope,
            (p[rows], 0.5 * (a[rows] + b[rows]), omega_y[rows], c2[rows]),
            np.zeros(rows.size),
            -half,
            half,
            rtol=rtol,
            max_iter=max_iter,
            geometric=False,
        )

    sign = np.where(toward_minus, 1.0, -1.0)
    near = np.where(toward_minus, b, a)
    far = np.where(toward_minus, a, b)
    target = sign * omega_y
    eps = np.full_like(a, 0.5)
    t = np.zeros_like(a)
    g_at_zero = far / 16.0 - target - c2  # the limit of G at eps -> 0 when near == 0
    boundary = ~central & (near == 0.0) & (g_at_zero >= 0.0)
    eps[boundary] = 0.0
    t[boundary] = np.sqrt(4.0 * g_at_zero[boundary])
    u[boundary] = -sign[boundary]

    rows = np.flatnonzero(~central & ~boundary)
    if rows.size:
        root_near = np.sqrt(near[rows])
        with np.errstate(divide="ignore", invalid="ignore"):
            lower = root_near / (2.0 * np.sqrt(far[rows] / 4.0 - target[rows]))
        lower = np.clip(np.nan_to_num(lower), 0.0, 0.5)
        eps[rows], failed = _newton_bracketed(
            _g_and_slope,
            (root_near, far[rows], target[rows], c2[rows]),
            np.full(rows.size, 0.5),
            lower,
            np.full(rows.size, 0.5),
            rtol=rtol,
            max_iter=max_iter,
            geometric=True,
        )
        n_failed += failed
        u[rows] = sign[rows] * (eps[rows] - 1.0)

    # The scale factors 1/(1-u) of S and 1/(1+u) of D, from eps near an end (0 for the
    # vanished vector at a boundary root).
    with np.errstate(divide="ignore"):
        near_scale = np.where(boundary, 0.0, 1.0 / eps)
        far_scale = 1.0 / (2.0 - eps)
        s_scale = np.where(
            central, 1.0 / (1.0 - u), np.where(toward_minus, far_scale, near_scale)
        )
        d_scale = np.where(
            central, 1.0 / (1.0 + u), np.where(toward_minus, near_scale, far_scale)
        )
    return u, s_scale, d_scale, t, toward_minus, n_failed


# --------------------------------------------------------------------------------------
# 4.6 - 4.8: activation constraints of one node, isotropic in (x, y, b)
# --------------------------------------------------------------------------------------


def _node_arrays(x, y, b):
    x = as_float_array("x", x)
    y = as_float_array("y", y)
    b = as_float_array("b", b)
    shape = broadcast_shapes(("x", "y", "b"), x.shape, y.shape, b.shape)
    return (
        np.broadcast_to(x, shape),
        np.broadcast_to(y, shape),
        np.broadcast_to(b, shape),
    )


def _move_z(y, b, z, z_new):
    """y', b' with y' - b' = z_new, moving y and b equally and oppositely from z = y -
    b."""
    shift = 0.5 * (z_new - z)
    return y + shift, b - shift


def project_relu(x, y, b):
    """Project onto the ReLU graph ``x = max(0, y - b)``.

    Solves ``min (x'-x)^2 + (y'-y)^2 + (b'-b)^2`` subject to ``x' = max(0, y' - b')``
    elementwise. The set is the union of the "off" half-plane (x' = 0, z' <= 0) and
    the "on" half-plane (x' = z' >= 0) with ``z = y - b``; the nearer of the two
    projections wins (the off branch on ties). ``y + b`` never changes. ``x`` is the
    node's consensus value (the mean of its out-edge copies).

    Returns ``(x_new, y_new, b_new)``.
    """
    x, y, b = _node_arrays(x, y, b)
    z = y - b
    z_off = np.minimum(z, 0.0)
    d_off = x * x + 0.5 * (z - z_off) ** 2
    s = (x - z) / 3.0
    x_on = x - s
    use_on = (x_on >= 0) & (3.0 * s * s < d_off)
    x_new = np.where(use_on, x_on, 0.0)
    y_new, b_new = _move_z(y, b, z, np.where(use_on, x_on, z_off))
    return x_new, y_new, b_new


def _flat_branches(x, z, half):
    """Nearest points and squared distances on the two flat branches of a gapped
    step."""
    z0 = np.minimum(z, -half)
    z1 = np.maximum(z, half)
    d0 = x * x + 0.5 * (z - z0) ** 2
    d1 = (1.0 - x) ** 2 + 0.5 * (z - z1) ** 2
    return z0, d0, z1, d1


def project_step_gap(x, y, b, *, gap):
    """Project onto the step activation with a gap (paper Sec. 6, App. C).

    The set: ``x' = 0`` with ``z' <= -gap/2``, or ``x' = 1`` with ``z' >= +gap/2``,
    where ``z' = y' - b'``. **``gap`` is the full gap width Delta of the paper's text**
    (its Appendix C); the released C code's ``margin`` is the half-width ``gap/2``. The
    metric is ``(x'-x)^2 + (y'-y)^2 + (b'-b)^2``; ties go to the ``x' = 0`` branch.

    Returns ``(x_new, y_new, b_new)``.
    """
    gap = check_positive("gap", gap, allow_zero=True)
    x, y, b = _node_arrays(x, y, b)
    z = y - b
    z0, d0, z1, d1 = _flat_branches(x, z, 0.5 * gap)
    one = d1 < d0
    y_new, b_new = _move_z(y, b, z, np.where(one, z1, z0))
    return np.where(one, 1.0, 0.0), y_new, b_new


def project_zigmoid(x, y, b, *, gap):
    """Project onto the zigmoid graph (paper Sec. 6, Fig. 17).

    The zigmoid is 0 for ``z <= -gap/2``, rises linearly to 1 across the gap and is 1
    for ``z >= gap/2`` (``z = y - b``); **``gap`` is the paper's full width Delta** (the
    C code's ``margin`` is ``gap/2``). Solves ``min (x'-x)^2 + (y'-y)^2 + (b'-b)^2``
    with ``x' = zigmoid(y' - b')`` by taking the nearest of the projections onto the two
    flat pieces and the ramp. Ties go to the flat pieces, then to ``x' = 0``.

    Returns ``(x_new, y_new, b_new)``.
    """
    gap = check_positive("gap", gap)
    x, y, b = _node_arrays(x, y, b)
    z = y - b
    half = 0.5 * gap
    z0, d0, z1, d1 = _flat_branches(x, z, half)
    # The ramp gap * x = z + gap/2, reached by moving x by -gap * r and z by 2 r
    # (written without 1/gap so that tiny gaps do not overflow).
    r = (gap * x - z - half) / (gap * gap + 2.0)
    x_ramp = x - gap * r
    d_ramp = (gap * gap + 2.0) * r * r
    one = d1 < d0
    use_ramp = (x_ramp >= 0) & (x_ramp <= 1) & (d_ramp < np.minimum(d0, d1))
    x_new = np.where(use_ramp, x_ramp, np.where(one, 1.0, 0.0))
    z_new = np.where(use_ramp, z + 2.0 * r, np.where(one, z1, z0))
    y_new, b_new = _move_z(y, b, z, z_new)
    return x_new, y_new, b_new


def project_clamped(x, y, b, *, activation, gap=0.0):
    """Activation projection at a node whose value ``x`` is clamped (data or code
    values).

    ``x`` is fixed data (or a code value); only ``y`` and ``b`` move, equally and
    oppositely, to the nearest ``(y', b')`` with ``activation(y' - b') = x``:
    ``min (y'-y)^2 + (b'-b)^2``. The allowed ``z = y - b`` form an interval:

    - ``"step"`` (x in {0, 1}): ``z <= -gap/2`` for 0, ``z >= gap/2`` for 1;
    - ``"zigmoid"`` (x in [0, 1]): as the step at 0 and 1, ``z = gap (x - 1/2)``
      between;
    - ``"relu"`` (x >= 0): ``z <= 0`` for 0, ``z = x`` for x > 0.

    ``gap`` is the full gap width (the paper's Delta). Returns ``(y_new, b_new)``.
    """
    x, y, b = _node_arrays(x, y, b)
    if activation == "relu":
        if np.any(x < 0):
            raise ValueError("x must be >= 0 for a clamped ReLU node")
        lower = np.where(x > 0, x, -np.inf)
        upper = x
    elif activation in ("step", "zigmoid"):
        gap = check_positive("gap", gap, allow_zero=activation == "step")
        if activation == "step" and np.any((x != 0) & (x != 1)):
            raise ValueError("x must be 0 or 1 for a clamped step node")
        if np.any((x < 0) | (x > 1)):
            raise ValueError("x must lie in [0, 1] for a clamped zigmoid node")
        inside = gap * (x - 0.5)
        lower = np.where(x >= 1, 0.5 * gap, np.where(x > 0, inside, -np.inf))
        upper = np.where(x <= 0, -0.5 * gap, np.where(x < 1, inside, np.inf))
    else:
        raise ValueError(
            f"activation must be 'relu', 'step' or 'zigmoid', got {activation!r}"
        )
    z = y - b
    return _move_z(y, b, z, np.clip(z, lower, upper))


# --------------------------------------------------------------------------------------
# 4.9 - 4.12: class nodes
# --------------------------------------------------------------------------------------


def _class_arrays(y, b, labels):
    y = as_float_array("y", y)
    b = as_float_array("b", b)
    if y.shape != b.shape:
        raise ValueError(
            f"y and b must have the same shape, got {y.shape} and {b.shape}"
        )
    if y.ndim < 1 or y.shape[-1] < 2:
        raise ValueError(
            f"y must have shape (..., n_classes) with n_classes >= 2, got {y.shape}"
        )
    labels = as_labels("labels", labels, y.shape[-1], y.shape[:-1])
    return y, b, labels


def _margin_targets(z, labels, delta):
    """z' nearest to z with z'[label] >= delta and z'[other] <= 0, per item."""
    correct = np.arange(z.shape[-1]) == labels[..., None]
    return np.where(correct, np.maximum(z, delta), np.minimum(z, 0.0))


def _all_label_distances(z, delta):
    """Squared distance (metric 1 on y and b) of every item to the margin set of each
    class.

    Moving z by dz with y and b moving oppositely costs dz^2 / 2. Returns (...,
    n_classes).
    """
    off = 0.5 * np.maximum(z, 0.0) ** 2
    on = 0.5 * np.maximum(delta - z, 0.0) ** 2
    return off.sum(axis=-1, keepdims=True) - off + on


def project_class_margin(y, b, labels, *, delta):
    """Project class nodes onto the margin constraints.

    For each item (leading axes) with label ``c`` and class nodes along the last axis,
    solves ``min |y' - y|^2 + |b' - b|^2`` subject to ``y'_c - b'_c >= delta`` and
    ``y'_j - b'_j <= 0`` for ``j != c``. Violated nodes move to the boundary with ``y``
    and ``b`` shifting equally and oppositely. (The paper's weight upsilon multiplies
    both y and b, so it does not change this projection.)

    Returns ``(y_new, b_new)``.
    """
    delta = check_positive("delta", delta, allow_zero=True)
    y, b, labels = _class_arrays(y, b, labels)
    z = y - b
    return _move_z(y, b, z, _margin_targets(z, labels, delta))


def class_margin_distance(y, b, labels, *, delta):
    """Squared distance of each item's class nodes to the margin set.

    Equal weights on ``y`` and ``b``: a node that must move its ``z`` by ``dz`` costs
    ``dz^2 / 2``. Returns an array with the shape of ``labels``.
    """
    delta = check_positive("delta", delta, allow_zero=True)
    y, b, labels = _class_arrays(y, b, labels)
    z = y - b
    return 0.5 * np.sum((_margin_targets(z, labels, delta) - z) ** 2, axis=-1)


def _largest_positive(values, count):
    """Mask of the ``count`` largest strictly positive entries of a 1-d array."""
    mask = np.zeros(values.shape, dtype=bool)
    candidates = np.flatnonzero(values > 0)
    if count > 0 and candidates.size:
        if candidates.size > count:
            order = np.argsort(-values[candidates], kind="stable")[:count]
            candidates = candidates[order]
        mask[candidates] = True
    return mask


def _check_items(y):
    if y.ndim != 2:
        raise ValueError(f"y must have shape (n_items, n_classes), got {y.shape}")


def project_class_margin_exempt(y, b, labels, *, delta, n_exempt):
    """Class-margin projection with eccentric exemptions (paper Sec. 5.3.1).

    The constraint set lets any ``n_exempt`` items of the batch (axis 0) ignore their
    class margins. Its projection leaves the ``n_exempt`` items that are farthest from
    their margin set unchanged and applies :func:`project_class_margin` to the rest.
    Only items with a positive distance are exempted (safer than the released C
    code's threshold, which could exempt every item), ties broken by item order.

    Returns ``(y_new, b_new, exempt)`` with ``exempt`` a boolean mask over items.
    """
    delta = check_positive("delta", delta, allow_zero=True)
    n_exempt = check_nonnegative_int("n_exempt", n_exempt)
    y, b, labels = _class_arrays(y, b, labels)
    _check_items(y)
    z = y - b
    z_new = _margin_targets(z, labels, delta)
    exempt = _largest_positive(0.5 * np.sum((z_new - z) ** 2, axis=-1), n_exempt)
    z_new[exempt] = z[exempt]
    y_new, b_new = _move_z(y, b, z, z_new)
    return y_new, b_new, exempt


def project_relabel(y, b, labels, *, delta, n_relabel):
    """Class-margin projection that may relabel up to ``n_relabel`` items (paper Sec.
    5.3.2).

    The set: every item satisfies the margins of *some* label, and all but
    ``n_relabel`` items satisfy those of their given label. For each item the excess
    ``d2(given label) - d2(best label)`` is computed; the ``n_relabel`` items with the
    largest positive excess are projected with their best label, the rest with the given
    one. Ties between labels go to the smallest label index.

    Returns ``(y_new, b_new, new_labels)``.
    """
    delta = check_positive("delta", delta, allow_zero=True)
    n_relabel = check_nonnegative_int("n_relabel", n_relabel)
    y, b, labels = _class_arrays(y, b, labels)
    _check_items(y)
    z = y - b
    distances = _all_label_distances(z, delta)
    best = np.argmin(distances, axis=-1)
    excess = np.take_along_axis(distances, labels[:, None], axis=-1)[
        :, 0
    ] - distances.min(-1)
    relabel = _largest_positive(excess, n_relabel)
    new_labels = np.where(relabel, best, labels)
    y_new, b_new = _move_z(y, b, z, _margin_targets(z, new_labels, delta))
    return y_new, b_new, new_labels


def project_false_positive(y, b, labels, *, delta, n_allowed):
    """Two-class projection with a false-positive allowance (paper Sec. 6.2).

    Class node 0 means "fake" and node 1 "genuine". Genuine items (label 1) must meet
    the genuine margins; up to ``n_allowed`` fake items (label 0) may be projected as
    genuine instead of fake: those that gain the most, i.e. with the most negative
    ``d2(as genuine) - d2(as fake)``. This is the projection onto the union of the sets
    "at most ``n_allowed`` fakes accepted".

    Returns ``(y_new, b_new, accepted)`` with ``accepted`` marking fakes projected as
    genuine.
    """
    delta = check_positive("delta", delta, allow_zero=True)
    n_allowed = check_nonnegative_int("n_allowed", n_allowed)
    y, b, labels = _class_arrays(y, b, labels)
    _check_items(y)
    if y.shape[-1] != 2:
        raise ValueError(
            f"y must have 2 class nodes (fake, genuine), got {y.shape[-1]}"
        )
    z = y - b
    distances = _all_label_distances(z, delta)
    gain = np.where(labels == 0, distances[:, 0] - distances[:, 1], 0.0)
    accepted = _largest_positive(gain, n_allowed)
    new_labels = np.where(accepted, 1, labels)
    y_new, b_new = _move_z(y, b, z, _margin_targets(z, new_labels, delta))
    return y_new, b_new, accepted


# --------------------------------------------------------------------------------------
# 4.13: sparsity
# --------------------------------------------------------------------------------------


def project_sparse_nonnegative(x, *, n_nonzero, axis=-1):
    """Project onto nonnegative vectors with at most ``n_nonzero`` nonzeros.

    Solves ``min |x' - x|^2`` subject to ``x' >= 0`` and ``#{i: x'_i != 0} <=
    n_nonzero`` for each vector along ``axis``: negatives become 0, the ``n_nonzero``
    largest positive entries are kept and the rest set to 0 (ties: the earlier entries).
    """
    x = as_float_array("x", x)
    n_nonzero = check_nonnegative_int("n_nonzero", n_nonzero)
    axis = check_axis("axis", axis, x.ndim)
    positive = np.maximum(x, 0.0)
    n = x.shape[axis]
    if n_nonzero >= n:
        return positive
    moved = np.moveaxis(positive, axis, -1)
    order = np.argsort(-moved, axis=-1, kind="stable")[..., n_nonzero:]
    out = moved.copy()
    np.put_along_axis(out, order, 0.0, axis=-1)
    return np.moveaxis(out, -1, axis)
