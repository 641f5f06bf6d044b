"""The compiled one-pair bilinear projection agrees with the tested numpy projection
(itself checked against SLSQP and high-precision references in test_projections.py),
including degenerate pairs, tiny and huge multipliers, and any starting guess."""

from __future__ import annotations

import numpy as np
import pytest

from lossless_tutorial._bilinear_kernel import bilinear_pair
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
