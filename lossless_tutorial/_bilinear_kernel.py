"""The bilinear projection of many vector pairs, compiled with numba for fused RRR kernels.

:func:`lossless_tutorial.projections.project_bilinear` projects many pairs at once with
numpy; an RRR iteration of a small model (an LEDM matrix has 6 x 6 entries) spends more
time in numpy's per-call overhead than in arithmetic. The kernels of the models reduce
each pair to the three sums ``a = |x + w|^2``, ``b = |x - w|^2``, ``p = x.w`` and call
:func:`bilinear_solve` on a block of pairs inside their compiled loops. The math is
exactly that of ``project_bilinear`` (same multiplier function, same split of the root
solve into a central part in ``u`` and two outer parts in the distance to an end, same
degenerate cases); the tests compare the two.

The root solves of a block run in lockstep: every round takes one safeguarded Newton step
of every pair still unconverged, in a loop without branches that the compiler turns into
SIMD code, so that the divisions of several pairs overlap. Each pair's iterates, stopping
rule and result are those of a serial Newton iteration on that pair alone (the tests
check this bit for bit); pairs that have converged only wait for the others.
"""

from __future__ import annotations

import os

import numba
import numpy as np
from numba import njit

# The kernels run in parallel over starts or items. numba's default OpenMP layer
# spin-waits between parallel regions, which on a shared or oversubscribed machine (a
# notebook server, CI) made an RRR iteration 30 times slower; the workqueue layer does
# not spin. A user's own NUMBA_THREADING_LAYER setting is respected.
if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"

__all__ = ["bilinear_solve", "bilinear_pair", "solve_workspace"]

_ROUNDING = np.finfo(np.float64).eps
_MAX_ITER = 100
_RTOL = 1e-13


@njit(cache=True, error_model="numpy", inline="always")
def _h0(u, p, q, omega_y, c2):
    u2 = u * u
    den2 = (1.0 - u2) ** 2
    term = (p * (1.0 + u2) + q * u) / den2
    linear = c2 * u
    value = term - omega_y + linear
    slope = (q * (1.0 + 3.0 * u2) + 2.0 * p * u * (3.0 + u2)) / (den2 * (1.0 - u2)) + c2
    size = (abs(p) * (1.0 + u2) + q * abs(u)) / den2 + abs(omega_y) + abs(linear)
    return value, slope, size


@njit(cache=True, error_model="numpy", inline="always")
def _g(eps, root_near, far, target, c2):
    fe = 2.0 - eps
    ratio2 = (root_near / eps) ** 2
    far_term = far / (4.0 * fe * fe)
    linear = c2 * (eps - 1.0)
    value = far_term - 0.25 * ratio2 - target + linear
    slope = far / (2.0 * fe**3) + 0.5 * ratio2 / eps + c2
    size = far_term + 0.25 * ratio2 + abs(target) - linear
    return value, slope, size


@njit(cache=True, error_model="numpy", inline="always")
def _newton_update(central, t, lo, hi, p0, p1, p2, p3):
    """One step of the safeguarded Newton iteration on an increasing function: ``h0(u)``
    (paper eq. 52) in the central part, else ``g(eps)`` of the distance to the nearer end.
    Returns the next point, the bracket narrowed by the sign at ``t``, and whether the
    returned point is the root (``|value|`` at rounding level, or a Newton step below
    ``_RTOL`` relative)."""
    if central:
        value, slope, size = _h0(t, p0, p1, p2, p3)
    else:
        value, slope, size = _g(t, p0, p1, p2, p3)
    if value > 0.0:
        hi = t
    elif value < 0.0:
        lo = t
    step = t - value / slope
    if abs(value) <= 4.0 * _ROUNDING * size:
        return t, lo, hi, True
    if abs(step - t) <= _RTOL * abs(t):
        return step, lo, hi, True
    if lo < step < hi:
        t = step
    elif not central and lo > 0.0 and hi > 4.0 * lo:
        t = np.sqrt(lo * hi)  # the bracket spans orders of magnitude: bisect geometrically
    else:
        t = 0.5 * (lo + hi)
    return t, lo, hi, False


@njit(cache=True, error_model="numpy", inline="always")
def _rounds(central, p0, p1, p2, p3, t, lo, hi, active):
    """Newton steps of all problems in lockstep until every one has converged (or
    ``_MAX_ITER`` rounds); a problem that has converged, or is not ``active``, keeps its
    point. Branch-free per problem, so that the loop vectorizes."""
    for _ in range(_MAX_ITER):
        n_active = 0
        for r in range(t.size):
            new_t, new_lo, new_hi, done = _newton_update(central, t[r], lo[r], hi[r], p0[r],
                                                         p1[r], p2[r], p3)
            on = active[r] > 0.0
            t[r] = new_t if on else t[r]
            lo[r] = new_lo if on else lo[r]
            hi[r] = new_hi if on else hi[r]
            still = on and not done
            active[r] = 1.0 if still else 0.0
            n_active += 1 if still else 0
        if n_active == 0:
            return


# Separate compiled functions (not inlined): the vectorizer then sees each loop alone,
# with the function to solve fixed.
@njit(cache=True, error_model="numpy")
def _central_rounds(p, q, omega_y, c2, u, lo, hi, active):
    _rounds(True, p, q, omega_y, c2, u, lo, hi, active)


@njit(cache=True, error_model="numpy")
def _outer_rounds(root_near, far, target, c2, eps, lo, hi, active):
    _rounds(False, root_near, far, target, c2, eps, lo, hi, active)


# Rows of the workspace of bilinear_solve: the central problems in the pairs' order (the
# outer ones wait there, inactive), the outer problems gathered at the front of their own
# rows.
(_T, _LO, _HI, _Q, _ACTIVE, _KIND, _ROOT_NEAR, _FAR, _TARGET, _EPS, _EPS_LO, _EPS_HI,
 _EPS_ACTIVE, _PAIR, _SIDE, _N_FIELDS) = range(16)


@njit(cache=True)
def solve_workspace(n):
    """Scratch space of :func:`bilinear_solve` for up to ``n`` pairs."""
    return np.empty((_N_FIELDS, n))


@njit(cache=True, error_model="numpy")
def bilinear_solve(a, b, p, omega_y, c2, u, s_scale, d_scale, s_grow, d_grow, work):
    """The multipliers of the bilinear projections of ``n = a.size`` pairs ``(x, w)``
    onto ``x'.w' = omega y'`` (paper Sec. 4.2, App. B), from ``a = |x + w|^2``,
    ``b = |x - w|^2``, ``p = x.w``, ``omega_y = omega * y`` and ``c2 = omega^2 / g2``
    (one value for all pairs; 0 keeps y fixed).

    ``u`` holds on entry a guess of each multiplier (e.g. that of the same constraint in
    the previous RRR iteration; it starts the Newton iteration when it lies in the part
    of (-1, 1) that holds the root, 0 is a neutral guess) and on return the multiplier,
    the root of the increasing ``h0`` (eq. 52); then ``y' = y - u omega / g2``. With
    ``S = x + w`` and ``D = x - w`` the projected sums are
    ``S' = S s_scale + s_grow e_0`` and ``D' = D d_scale + d_grow e_0`` (eq. 19): the
    growths along the first coordinate are 0 except when ``x = +-w`` exactly and the
    root is at an end of (-1, 1), where the vanished sum must grow to meet the
    constraint. ``work``: :func:`solve_workspace` of at least ``n`` pairs.
    """
    n = a.size
    t, lo, hi, q, active, kind = (work[_T, :n], work[_LO, :n], work[_HI, :n], work[_Q, :n],
                                  work[_ACTIVE, :n], work[_KIND, :n])
    # The central problems (root in [-1/2, 1/2]), solved in u where they are; the outer
    # ones have kind +1 (root near -1) or -1 (near +1).
    n_outer = 0
    for r in range(n):
        toward_minus = a[r] / 9.0 - b[r] - omega_y[r] - 0.5 * c2 > 0.0
        toward_plus = a[r] - b[r] / 9.0 - omega_y[r] + 0.5 * c2 < 0.0
        outer = toward_minus or toward_plus
        kind[r] = 1.0 if toward_minus else (-1.0 if toward_plus else 0.0)
        guess = u[r]
        # (an outer problem keeps its guess here for _solve_outer)
        t[r] = guess if outer or -0.5 <= guess <= 0.5 else 0.0
        lo[r] = -0.5
        hi[r] = 0.5
        q[r] = 0.5 * (a[r] + b[r])
        active[r] = 0.0 if outer else 1.0
        n_outer += 1 if outer else 0
    _central_rounds(p, q, omega_y, c2, t, lo, hi, active)
    for r in range(n):
        u[r] = t[r]
        s_scale[r] = 1.0 / (1.0 - t[r])
        d_scale[r] = 1.0 / (1.0 + t[r])
        s_grow[r] = 0.0
        d_grow[r] = 0.0
    if n_outer > 0:
        _solve_outer(a, b, omega_y, c2, u, s_scale, d_scale, s_grow, d_grow, work, n_outer)


@njit(cache=True, error_model="numpy")
def _solve_outer(a, b, omega_y, c2, u, s_scale, d_scale, s_grow, d_grow, work, n_outer):
    """The outer problems of :func:`bilinear_solve` (root within 1/2 of -1 or +1), solved
    in their distance ``eps`` to that end, gathered in the workspace."""
    root_near, far, target, eps, lo, hi, active, pair, side = (
        work[_ROOT_NEAR, :n_outer], work[_FAR, :n_outer], work[_TARGET, :n_outer],
        work[_EPS, :n_outer], work[_EPS_LO, :n_outer], work[_EPS_HI, :n_outer],
        work[_EPS_ACTIVE, :n_outer], work[_PAIR, :n_outer], work[_SIDE, :n_outer])
    kind = work[_KIND]
    m = 0
    for r in range(a.size):
        if kind[r] == 0.0:
            continue
        pair[m] = r
        sign = kind[r]
        toward_minus = sign > 0.0
        side[m] = sign
        near = b[r] if toward_minus else a[r]
        far[m] = a[r] if toward_minus else b[r]
        target[m] = sign * omega_y[r]
        g_at_zero = far[m] / 16.0 - target[m] - c2
        if near == 0.0 and g_at_zero >= 0.0:  # x = +-w exactly, root at the end
            eps[m] = 0.0
            active[m] = 0.0
            growth = np.sqrt(4.0 * g_at_zero)
            if toward_minus:
                d_grow[r] = growth
            else:
                s_grow[r] = growth
            m += 1
            continue
        root_near[m] = np.sqrt(near)
        denom = far[m] / 4.0 - target[m]
        lower = root_near[m] / (2.0 * np.sqrt(denom)) if denom > 0.0 else 0.0
        lower = min(max(lower, 0.0), 0.5)
        guess = 1.0 + sign * u[r]  # eps of the guess on this side
        eps[m] = guess if lower <= guess <= 0.5 else 0.5
        lo[m], hi[m] = lower, 0.5
        active[m] = 1.0
        m += 1
    _outer_rounds(root_near, far, target, c2, eps, lo, hi, active)
    for m in range(n_outer):
        r = int(pair[m])
        sign = side[m]
        u[r] = sign * (eps[m] - 1.0)
        near_scale = 1.0 / eps[m] if eps[m] > 0.0 else 0.0
        far_scale = 1.0 / (2.0 - eps[m])
        s_scale[r] = far_scale if sign > 0.0 else near_scale
        d_scale[r] = near_scale if sign > 0.0 else far_scale


@njit(cache=True, error_model="numpy")
def bilinear_pair(x, w, omega_y, c2, x_out, w_out, u_guess):
    """Project one pair onto ``x'.w' = omega y'`` (``omega_y = omega * y``,
    ``c2 = omega^2 / g2``, 0 for a fixed y) with :func:`bilinear_solve`. Writes ``x_out``,
    ``w_out`` (which may be ``x`` and ``w`` themselves) and returns the multiplier u;
    then ``y' = y - u omega/g2``. ``u_guess``: see :func:`bilinear_solve`.
    """
    a = np.zeros(1)
    b = np.zeros(1)
    p = np.zeros(1)
    for i in range(x.shape[0]):
        s = x[i] + w[i]
        d = x[i] - w[i]
        a[0] += s * s
        b[0] += d * d
        p[0] += x[i] * w[i]
    u = np.full(1, u_guess)
    scales = np.empty((4, 1))
    bilinear_solve(a, b, p, np.full(1, omega_y), c2, u, scales[0], scales[1], scales[2],
                   scales[3], np.empty((_N_FIELDS, 1)))
    for i in range(x.shape[0]):
        s = (x[i] + w[i]) * scales[0, 0]
        d = (x[i] - w[i]) * scales[1, 0]
        if i == 0:
            s += scales[2, 0]
            d += scales[3, 0]
        x_out[i] = 0.5 * (s + d)
        w_out[i] = 0.5 * (s - d)
    return u[0]
