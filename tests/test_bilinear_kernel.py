"""The compiled bilinear projection agrees with the tested numpy projection (itself
checked against SLSQP and high-precision references in test_projections.py), including
degenerate pairs, tiny and huge multipliers, and any starting guess; its lockstep root
solves are those of a serial Newton iteration on each pair."""

from __future__ import annotations

import numpy as np
import pytest

from numba import njit

from lossless_tutorial._bilinear_kernel import (
    _MAX_ITER, _newton_update, bilinear_pair, bilinear_solve, solve_workspace)
from lossless_tutorial.projections import project_bilinear


def compiled(x, w, y, omega, g2, u_guess=0.0):
    x_out, w_out = np.empty_like(x), np.empty_like(w)
    c2 = 0.0 if np.isinf(g2) else omega**2 / g2
    u = bilinear_pair(x, w, omega * y, c2, x_out, w_out, u_guess)
    return x_out, w_out, y - u * omega / g2, u


def cases(rng):
    for n in (1, 3, 8):
        for scale in (1e-3, 1.0, 1e3):
            x, w = rng.normal(size=n) * scale, rng.normal(size=n) * scale
            yield x, w, rng.normal() * scale**2
    x = rng.normal(size=4)
    yield x, x.copy(), -3.0          # x = w, root at u = -1
    yield x, -x, 5.0                 # x = -w, root at u = +1
    yield np.zeros(3), np.zeros(3), 2.0
    yield np.zeros(3), np.zeros(3), 0.0
    yield x, x + 1e-9, 1e6           # root extremely close to +1
    yield x, -x + 1e-9, -1e6         # and to -1


@pytest.mark.parametrize("g2", [np.inf, 0.7, 5.0])
@pytest.mark.parametrize("omega", [1.0, 2.5])
def test_matches_numpy_projection(rng, g2, omega):
    for x, w, y in cases(rng):
        expected = project_bilinear(x, w, y, omega=omega, g2=g2, return_multiplier=True)
        got = compiled(x, w, y, omega, g2)
        scale = 1.0 + np.abs(x).max() + np.abs(w).max()
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12 * scale)


def test_result_does_not_depend_on_the_guess(rng):
    for x, w, y in cases(rng):
        reference = compiled(x, w, y, 1.0, np.inf)
        # (for x = w = 0 and y = 0 every u is a multiplier, so compare the point only)
        for guess in (-0.99, -0.4, 0.0, 0.3, 0.999999):
            for a, b in zip(compiled(x, w, y, 1.0, np.inf, guess)[:3], reference[:3]):
                np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def test_in_place_and_on_the_constraint(rng):
    x, w = rng.normal(size=5), rng.normal(size=5)
    x0, w0 = x.copy(), w.copy()
    bilinear_pair(x, w, 0.8, 0.0, x, w, 0.0)
    assert x @ w == pytest.approx(0.8, abs=1e-13)
    np.testing.assert_allclose((x, w), project_bilinear(x0, w0, 0.8)[:2], rtol=1e-12)


@njit(cache=True, error_model="numpy")
def _serial_newton(central, t, lo, hi, p0, p1, p2, p3):
    """The safeguarded Newton iteration of one problem alone, step after step."""
    for _ in range(_MAX_ITER):
        t, lo, hi, done = _newton_update(central, t, lo, hi, p0, p1, p2, p3)
        if done:
            break
    return t


def test_lockstep_solve_is_the_serial_newton_iteration_of_each_pair(rng):
    """bilinear_solve on a block mixing central, outer and degenerate pairs (and pairs
    whose guess lies on the wrong side) gives each pair, bit for bit, the multiplier of
    a Newton iteration run on that pair alone, and the projection of project_bilinear."""
    n_in, omega, g2 = 4, 1.7, 3.0
    x, w = rng.normal(size=(40, n_in)), rng.normal(size=(40, n_in))
    x[5], w[5] = x[4], x[4]                        # x = w: root at the end
    x[6] = -w[6]                                   # x = -w
    w[7:10] = x[7:10] + 1e-7 * rng.normal(size=(3, n_in))  # roots very near -1
    y = rng.normal(size=40) * 3.0
    y[5], y[6] = -5.0, 5.0
    guess = rng.uniform(-0.99, 0.99, size=40)
    c2 = omega**2 / g2
    a, b, p = ((x + w) ** 2).sum(1), ((x - w) ** 2).sum(1), (x * w).sum(1)
    u = guess.copy()
    s_scale, d_scale, s_grow, d_grow = (np.empty(40) for _ in range(4))
    bilinear_solve(a, b, p, omega * y, c2, u, s_scale, d_scale, s_grow, d_grow,
                   solve_workspace(40))
    kinds = set()
    for r in range(40):
        toward_minus = a[r] / 9.0 - b[r] - omega * y[r] - 0.5 * c2 > 0.0
        toward_plus = a[r] - b[r] / 9.0 - omega * y[r] + 0.5 * c2 < 0.0
        if not (toward_minus or toward_plus):
            kinds.add("central")
            start = guess[r] if -0.5 <= guess[r] <= 0.5 else 0.0
            root = _serial_newton(True, start, -0.5, 0.5, p[r], 0.5 * (a[r] + b[r]),
                                  omega * y[r], c2)
            assert u[r] == root
            continue
        kinds.add("outer")
        sign = 1.0 if toward_minus else -1.0
        near, far = (b[r], a[r]) if toward_minus else (a[r], b[r])
        if near == 0.0:
            kinds.add("end")
            assert u[r] == -sign and max(s_grow[r], d_grow[r]) > 0.0
            continue
        denom = far / 4.0 - sign * omega * y[r]
        lower = np.sqrt(near) / (2.0 * np.sqrt(denom)) if denom > 0.0 else 0.0
        lower = min(max(lower, 0.0), 0.5)
        start = 1.0 + sign * guess[r]
        start = start if lower <= start <= 0.5 else 0.5
        eps = _serial_newton(False, start, lower, 0.5, np.sqrt(near), far,
                             sign * omega * y[r], c2)
        assert u[r] == sign * (eps - 1.0)
    assert kinds == {"central", "outer", "end"}
    x_new = 0.5 * ((x + w) * s_scale[:, None] + (x - w) * d_scale[:, None])
    w_new = 0.5 * ((x + w) * s_scale[:, None] - (x - w) * d_scale[:, None])
    x_new[:, 0] += 0.5 * (s_grow + d_grow)
    w_new[:, 0] += 0.5 * (s_grow - d_grow)
    expected = project_bilinear(x, w, y, omega=omega, g2=g2, return_multiplier=True)
    for got, want in zip((x_new, w_new, y - u * omega / g2, u), expected):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
