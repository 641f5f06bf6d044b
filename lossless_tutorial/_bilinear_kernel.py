"""The bilinear projection, compiled with numba for fused RRR kernels: of one vector
pair, and of a group of pairs with their root solves in lockstep.

:func:`lossless_tutorial.projections.project_bilinear` projects many pairs at once with
numpy; an RRR iteration of a small model (an LEDM matrix has 6 x 6 entries) spends more
time in numpy's per-call overhead than in arithmetic. The kernels of the models call
:func:`bilinear_scales` (one pair, inside their compiled loops over items and nodes) or
:func:`bilinear_solve` (a group of pairs, reduced to the sums ``|x + w|^2``,
``|x - w|^2`` and ``x.w``). The math is exactly that of ``project_bilinear`` (same
multiplier function, same split of the root solve into a central part in ``u`` and two
outer parts in the distance to an end, same degenerate cases); the tests compare the
two.

The root solves of :func:`bilinear_solve` run in lockstep: every round takes one
safeguarded Newton step of every pair still unconverged, in a loop without branches that
the compiler turns into SIMD code, so that the divisions of several pairs overlap. Each
pair's iterates, stopping rule and result are those of the serial Newton iteration of
:func:`bilinear_scales` on that pair alone, bit for bit. That holds only without
fast-math: numba compiles a function that is first called from a fast-math function
with the caller's flags, and caches it so, so no fast-math kernel may call it (a test
checks the package for such calls).
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
    (paper eq. 52) in the central part, else ``g(eps)`` of the distance to the nearer
    end (see projections._newton_bracketed). Returns the next point, the bracket
    narrowed by the sign at ``t``, and whether the returned point is the root
    (``|value|`` at rounding level, or a Newton step below ``_RTOL`` relative)."""
    if central:
        value, slope, size = _h0(t, p0, p1, p2, p3)
    else:
        value, slope, size = _g(t, p0, p1, p2, p3)
    if value > 0.0:
        hi = t
    elif value < 0.0:
        lo = t
    if abs(value) <= 4.0 * _ROUNDING * size:
        return t, lo, hi, True
    step = t - value / slope
    if abs(step - t) <= _RTOL * abs(t):
        return step, lo, hi, True
    if lo < step < hi:
        t = step
    elif not central and lo > 0.0 and hi > 4.0 * lo:
        # the bracket spans orders of magnitude: bisect geometrically
        t = np.sqrt(lo * hi)
    else:
        t = 0.5 * (lo + hi)
    return t, lo, hi, False


@njit(cache=True, error_model="numpy", inline="always")
def _newton(central, p0, p1, p2, p3, start, lo, hi):
    """The safeguarded Newton iteration of one problem, step after step."""
    t = start
    for _ in range(_MAX_ITER):
        t, lo, hi, done = _newton_update(central, t, lo, hi, p0, p1, p2, p3)
        if done:
            break
    return t


@njit(cache=True, error_model="numpy", inline="always")
def bilinear_scales(a, b, p, omega_y, c2, u_guess):
    """The multiplier of one bilinear projection from ``a = |x + w|^2``,
    ``b = |x - w|^2``, ``p = x.w``: returns ``(u, s_scale, d_scale, t_boundary,
    toward_minus)``; the projected sums are ``S' = S s_scale`` and ``D' = D d_scale``,
    and if ``t_boundary > 0`` (x = +-w exactly) the vanished one of them grows by
    ``t_boundary`` along the first coordinate (D when ``toward_minus``, else S).
    ``u_guess`` (e.g. the multiplier of the same constraint in the previous RRR
    iteration) starts the Newton iteration when it lies in the part of (-1, 1) that
    holds the root; 0 is a neutral guess."""
    toward_minus = a / 9.0 - b - omega_y - 0.5 * c2 > 0.0
    toward_plus = a - b / 9.0 - omega_y + 0.5 * c2 < 0.0
    t_boundary = 0.0
    if not (toward_minus or toward_plus):
        start = u_guess if -0.5 <= u_guess <= 0.5 else 0.0
        u = _newton(True, p, 0.5 * (a + b), omega_y, c2, start, -0.5, 0.5)
        return u, 1.0 / (1.0 - u), 1.0 / (1.0 + u), t_boundary, toward_minus
    sign = 1.0 if toward_minus else -1.0
    near = b if toward_minus else a
    far = a if toward_minus else b
    target = sign * omega_y
    g_at_zero = far / 16.0 - target - c2
    if near == 0.0 and g_at_zero >= 0.0:  # x = +-w exactly, root at the end
        eps = 0.0
        t_boundary = np.sqrt(4.0 * g_at_zero)
        near_scale = 0.0
    else:
        root_near = np.sqrt(near)
        denom = far / 4.0 - target
        lower = root_near / (2.0 * np.sqrt(denom)) if denom > 0.0 else 0.0
        lower = min(max(lower, 0.0), 0.5)
        guess = 1.0 + sign * u_guess  # eps of the guess on this side
        start = guess if lower <= guess <= 0.5 else 0.5
        eps = _newton(False, root_near, far, target, c2, start, lower, 0.5)
        near_scale = 1.0 / eps
    u = sign * (eps - 1.0)
    far_scale = 1.0 / (2.0 - eps)
    s_scale = far_scale if toward_minus else near_scale
    d_scale = near_scale if toward_minus else far_scale
    return u, s_scale, d_scale, t_boundary, toward_minus


@njit(cache=True, error_model="numpy", inline="always")
def bilinear_pair(x, w, omega_y, c2, x_out, w_out, u_guess):
    """Project one pair onto ``x'.w' = omega y'`` (``omega_y = omega * y``,
    ``c2 = omega^2 / g2``, 0 for a fixed y). Writes ``x_out``, ``w_out`` (which may be
    ``x`` and ``w`` themselves) and returns the multiplier u; then ``y' = y - u
    omega/g2``. ``u_guess``: see :func:`bilinear_scales`.
    """
    n = x.shape[0]
    a = 0.0
    b = 0.0
    p = 0.0
    for i in range(n):
        s = x[i] + w[i]
        d = x[i] - w[i]
        a += s * s
        b += d * d
        p += x[i] * w[i]
    u, s_scale, d_scale, t_boundary, toward_minus = bilinear_scales(
        a, b, p, omega_y, c2, u_guess
    )
    for i in range(n):
        s = (x[i] + w[i]) * s_scale
        d = (x[i] - w[i]) * d_scale
        if i == 0 and t_boundary > 0.0:
            if toward_minus:
                d += t_boundary
            else:
                s += t_boundary
        x_out[i] = 0.5 * (s + d)
        w_out[i] = 0.5 * (s - d)
    return u


# --------------------------------------------------------------------------------------
# A group of pairs, the root solves in lockstep
# --------------------------------------------------------------------------------------


@njit(cache=True, error_model="numpy", inline="always")
def _rounds(central, p0, p1, p2, p3, t, lo, hi, active):
    """Newton steps of all problems in lockstep until every one has converged (or
    ``_MAX_ITER`` steps); a problem that has converged, or is not ``active``, keeps its
    point. Branch-free per problem, so that the loop vectorizes. Once few problems are
    left, they finish one after the other (the same steps) instead of holding up all."""
    n_active = t.size
    for step in range(_MAX_ITER):
        if n_active <= t.size // 8:
            for r in range(t.size):
                if active[r] > 0.0:
                    for _ in range(step, _MAX_ITER):
                        t[r], lo[r], hi[r], done = _newton_update(
                            central, t[r], lo[r], hi[r], p0[r], p1[r], p2[r], p3
                        )
                        if done:
                            break
                    active[r] = 0.0
            return
        n_active = 0
        for r in range(t.size):
            new_t, new_lo, new_hi, done = _newton_update(
                central, t[r], lo[r], hi[r], p0[r], p1[r], p2[r], p3
            )
            on = active[r] > 0.0
            t[r] = new_t if on else t[r]
            lo[r] = new_lo if on else lo[r]
            hi[r] = new_hi if on else hi[r]
            still = on and not done
            active[r] = 1.0 if still else 0.0
            n_active += 1 if still else 0


# Separate compiled functions (not inlined): the vectorizer then sees each loop alone,
# with the function to solve fixed.
@njit(cache=True, error_model="numpy")
def _central_rounds(p, q, omega_y, c2, u, lo, hi, active):
    _rounds(True, p, q, omega_y, c2, u, lo, hi, active)


@njit(cache=True, error_model="numpy")
def _outer_rounds(root_near, far, target, c2, eps, lo, hi, active):
    _rounds(False, root_near, far, target, c2, eps, lo, hi, active)


# Rows of the workspace of bilinear_solve: the central problems in the pairs' order (the
# outer ones wait there, inactive), the outer problems gathered at the front of their
# own rows.
(
    _T,
    _LO,
    _HI,
    _Q,
    _ACTIVE,
    _KIND,
    _ROOT_NEAR,
    _FAR,
    _TARGET,
    _EPS,
    _EPS_LO,
    _EPS_HI,
    _EPS_ACTIVE,
    _PAIR,
    _SIDE,
    _N_FIELDS,
) = range(16)


@njit(cache=True)
def solve_workspace(n):
    """Scratch space of :func:`bilinear_solve` for up to ``n`` pairs (zeros: every
    entry the solve reads is a number)."""
    return np.zeros((_N_FIELDS, n))


@njit(cache=True, error_model="numpy")
def bilinear_solve(a, b, p, omega_y, c2, u, s_scale, d_scale, s_grow, d_grow, work):
    """The multipliers of the bilinear projections of ``n = a.size`` pairs ``(x, w)``
    onto ``x'.w' = omega y'`` (paper Sec. 4.2, App. B), from ``a = |x + w|^2``,
    ``b = |x - w|^2``, ``p = x.w``, ``omega_y = omega * y`` and ``c2 = omega^2 / g2``
    (one value for all pairs; 0 keeps y fixed).

    ``u`` holds on entry a guess of each multiplier (as in :func:`bilinear_scales`) and
    on return the multiplier; then ``y' = y - u omega / g2``. With ``S = x + w`` and
    ``D = x - w`` the projected sums are ``S' = S s_scale + s_grow e_0`` and
    ``D' = D d_scale + d_grow e_0`` (eq. 19): the growths along the first coordinate are
    0 except when ``x = +-w`` exactly and the root is at an end of (-1, 1).
    ``work``: :func:`solve_workspace` of at least ``n`` pairs. Every pair's result is,
    bit for bit, that of :func:`bilinear_scales`.
    """
    n = a.size
    t, lo, hi, q, active, kind = (
        work[_T, :n],
        work[_LO, :n],
        work[_HI, :n],
        work[_Q, :n],
        work[_ACTIVE, :n],
        work[_KIND, :n],
    )
    # The central problems (root in [-1/2, 1/2]), solved in u where they are; the outer
    # ones have kind +1 (root near -1) or -1 (near +1).
    n_outer = 0
    for r in range(n):
        toward_minus = a[r] / 9.0 - b[r] - omega_y[r] - 0.5 * c2 > 0.0
        toward_plus = a[r] - b[r] / 9.0 - omega_y[r] + 0.5 * c2 < 0.0
        outer = toward_minus or toward_plus
        kind[r] = 1.0 if toward_minus else (-1.0 if toward_plus else 0.0)
        guess = u[r]
        t[r] = guess if -0.5 <= guess <= 0.5 else 0.0
        lo[r] = -0.5
        hi[r] = 0.5
        q[r] = 0.5 * (a[r] + b[r])
        active[r] = 0.0 if outer else 1.0
        n_outer += 1 if outer else 0
    _central_rounds(p, q, omega_y, c2, t, lo, hi, active)
    for r in range(n):
        if kind[r] == 0.0:
            u[r] = t[r]
            s_scale[r] = 1.0 / (1.0 - t[r])
            d_scale[r] = 1.0 / (1.0 + t[r])
        s_grow[r] = 0.0
        d_grow[r] = 0.0
    if n_outer > 0:
        _solve_outer(a, b, omega_y, c2, u, s_scale, d_scale, s_grow, d_grow, work)


@njit(cache=True, error_model="numpy")
def _solve_outer(a, b, omega_y, c2, u, s_scale, d_scale, s_grow, d_grow, work):
    """The outer problems of :func:`bilinear_solve` (root within 1/2 of -1 or +1),
    solved in their distance ``eps`` to that end, gathered in the workspace."""
    kind = work[_KIND]
    m = 0
    for r in range(a.size):
        if kind[r] == 0.0:
            continue
        sign = kind[r]
        toward_minus = sign > 0.0
        near = b[r] if toward_minus else a[r]
        far = a[r] if toward_minus else b[r]
        target = sign * omega_y[r]
        work[_PAIR, m] = r
        work[_SIDE, m] = sign
        work[_FAR, m] = far
        work[_TARGET, m] = target
        g_at_zero = far / 16.0 - target - c2
        if near == 0.0 and g_at_zero >= 0.0:  # x = +-w exactly, root at the end
            work[_EPS, m] = 0.0
            work[_EPS_ACTIVE, m] = 0.0
            growth = np.sqrt(4.0 * g_at_zero)
            if toward_minus:
                d_grow[r] = growth
            else:
                s_grow[r] = growth
        else:
            root_near = np.sqrt(near)
            denom = far / 4.0 - target
            lower = root_near / (2.0 * np.sqrt(denom)) if denom > 0.0 else 0.0
            lower = min(max(lower, 0.0), 0.5)
            guess = 1.0 + sign * u[r]  # eps of the guess on this side
            work[_ROOT_NEAR, m] = root_near
            work[_EPS, m] = guess if lower <= guess <= 0.5 else 0.5
            work[_EPS_LO, m] = lower
            work[_EPS_HI, m] = 0.5
            work[_EPS_ACTIVE, m] = 1.0
        m += 1
    _outer_rounds(
        work[_ROOT_NEAR, :m],
        work[_FAR, :m],
        work[_TARGET, :m],
        c2,
        work[_EPS, :m],
        work[_EPS_LO, :m],
        work[_EPS_HI, :m],
        work[_EPS_ACTIVE, :m],
    )
    for i in range(m):
        r = int(work[_PAIR, i])
        sign = work[_SIDE, i]
        eps = work[_EPS, i]
        u[r] = sign * (eps - 1.0)
        near_scale = 1.0 / eps if eps > 0.0 else 0.0
        far_scale = 1.0 / (2.0 - eps)
        s_scale[r] = far_scale if sign > 0.0 else near_scale
        d_scale[r] = near_scale if sign > 0.0 else far_scale
