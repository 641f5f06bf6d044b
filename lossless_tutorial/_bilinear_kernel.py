"""The bilinear projection for one vector pair, compiled with numba for fused RRR
kernels.

:func:`lossless_tutorial.projections.project_bilinear` projects many pairs at once with
numpy; an RRR iteration of a small model (an LEDM matrix has 6 x 6 entries) spends more
time in numpy's per-call overhead than in arithmetic. The kernels of the models call
:func:`bilinear_pair` instead, inside one compiled loop over items and nodes. The math
is exactly that of ``project_bilinear`` (same multiplier function, same split of the
root solve into a central part in ``u`` and two outer parts in the distance to an end,
same degenerate cases); the tests compare the two.
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
def _newton(central, p0, p1, p2, p3, start, lo, hi):
    """Safeguarded Newton on one increasing function (see
    projections._newton_bracketed)."""
    t = start
    for _ in range(_MAX_ITER):
        if central:
            value, slope, size = _h0(t, p0, p1, p2, p3)
        else:
            value, slope, size = _g(t, p0, p1, p2, p3)
        if value > 0.0:
            hi = t
        elif value < 0.0:
            lo = t
        if abs(value) <= 4.0 * _ROUNDING * size:
            return t
        step = t - value / slope
        if abs(step - t) <= _RTOL * abs(t):
            return step
        if lo < step < hi:
            t = step
        elif not central and lo > 0.0 and hi > 4.0 * lo:
            t = np.sqrt(lo * hi)
        else:
            t = 0.5 * (lo + hi)
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
