"""The compiled bilinear projection agrees with the tested numpy projection (itself
checked against SLSQP and high-precision references in test_projections.py), including
degenerate pairs, tiny and huge multipliers, and any starting guess; its lockstep root
solves of a group of pairs give each pair, bit for bit, the result of the one-pair
solve."""

from __future__ import annotations

import numpy as np
import pytest

from numba import njit

from lossless_tutorial._bilinear_kernel import (
    bilinear_pair,
    bilinear_scales,
    bilinear_solve,
    solve_workspace,
)
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
    yield x, x.copy(), -3.0  # x = w, root at u = -1
    yield x, -x, 5.0  # x = -w, root at u = +1
    yield np.zeros(3), np.zeros(3), 2.0
    yield np.zeros(3), np.zeros(3), 0.0
    yield x, x + 1e-9, 1e6  # root extremely close to +1
    yield x, -x + 1e-9, -1e6  # and to -1


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
def _one_pair(a, b, p, omega_y, c2, u_guess):
    """bilinear_scales compiled on its own, as the kernels without fast-math use it."""
    return bilinear_scales(a, b, p, omega_y, c2, u_guess)


@pytest.mark.parametrize("c2", [0.0, 1.7**2 / 3.0])
def test_lockstep_solve_is_the_one_pair_solve_of_each_pair(rng, c2):
    """bilinear_solve on a group mixing central, outer and degenerate pairs (and guesses
    on the wrong side) gives every pair, bit for bit, the multiplier and scales of
    bilinear_scales on that pair alone, and the projection of project_bilinear."""
    n, n_in, omega = 67, 4, 1.7
    x, w = rng.normal(size=(n, n_in)), rng.normal(size=(n, n_in))
    x[5], w[5] = x[4], x[4]  # x = w: root at the end u = -1
    x[6] = -w[6]  # x = -w: root at +1
    w[7:10] = x[7:10] + 1e-7 * rng.normal(size=(3, n_in))  # roots very near -1
    x[10:14] *= 30.0  # outer problems on both sides
    y = rng.normal(size=n) * 3.0
    y[5], y[6] = -5.0, 5.0
    y[10:12], y[12:14] = 400.0, -400.0
    guess = rng.uniform(-0.99, 0.99, size=n)
    a, b, p = ((x + w) ** 2).sum(1), ((x - w) ** 2).sum(1), (x * w).sum(1)
    u = guess.copy()
    s_scale, d_scale, s_grow, d_grow = (np.empty(n) for _ in range(4))
    bilinear_solve(
        a, b, p, omega * y, c2, u, s_scale, d_scale, s_grow, d_grow, solve_workspace(n)
    )
    kinds = set()
    for r in range(n):
        one = _one_pair(a[r], b[r], p[r], omega * y[r], c2, guess[r])
        u_r, s_r, d_r, t_boundary, toward_minus = one
        assert (u[r], s_scale[r], d_scale[r]) == (u_r, s_r, d_r)
        grow = (d_grow[r], s_grow[r]) if toward_minus else (s_grow[r], d_grow[r])
        assert grow == (t_boundary, 0.0)
        kinds.add(
            "end" if t_boundary > 0 else "central" if abs(u_r) <= 0.5 else "outer"
        )
    assert kinds == {"central", "outer", "end"}
    x_new = 0.5 * ((x + w) * s_scale[:, None] + (x - w) * d_scale[:, None])
    w_new = 0.5 * ((x + w) * s_scale[:, None] - (x - w) * d_scale[:, None])
    x_new[:, 0] += 0.5 * (s_grow + d_grow)
    w_new[:, 0] += 0.5 * (s_grow - d_grow)
    g2 = np.inf if c2 == 0.0 else omega**2 / c2
    expected = project_bilinear(x, w, y, omega=omega, g2=g2, return_multiplier=True)
    y_new = y if c2 == 0.0 else y - u * omega / g2
    for got, want in zip((x_new, w_new, y_new, u), expected):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
