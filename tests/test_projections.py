"""Every projection: the result is in its set, projecting twice changes nothing, and it
is the nearest point, checked against an independent computation (scipy's SLSQP from
many starts on each convex piece of the set, or exhaustive search over the pieces)."""

from __future__ import annotations

import itertools
from decimal import Decimal, localcontext

import numpy as np
import pytest
from scipy.optimize import lsq_linear, minimize

from lossless_tutorial import projections as P

MEMBER = 1e-10  # membership tolerance
# SLSQP ends feasible only to about 1e-8; a point that violates an equality constraint
# by e can be nearer than the true projection by about |multiplier| * e. Comparisons
# with its minima allow that much, relative to the distance.
SLSQP_SLACK = 1e-7


def slsqp_min(objective, starts, constraints=(), bounds=None):
    """Smallest objective over SLSQP runs from several starts that end feasible."""
    best, best_x = np.inf, None
    for start in starts:
        result = minimize(
            objective,
            start,
            method="SLSQP",
            constraints=list(constraints),
            bounds=bounds,
            options={"ftol": 1e-15, "maxiter": 1000},
        )
        feasible = all(
            (
                abs(c["fun"](result.x)) < 1e-8
                if c["type"] == "eq"
                else c["fun"](result.x) > -1e-8
            )
            for c in constraints
        )
        if feasible and result.fun < best:
            best, best_x = result.fun, result.x
    return best, best_x


def sqdist(*pairs):
    return sum(float(np.sum((np.asarray(a) - np.asarray(b)) ** 2)) for a, b in pairs)


# ---------------------------------------------------------------- consensus and norms


def test_consensus_is_least_squares_common_value(rng):
    z = rng.normal(size=(7, 3, 4))
    out = P.project_consensus(z, axis=1)
    for i, k in itertools.product(range(7), range(4)):
        common = np.linalg.lstsq(np.ones((3, 1)), z[i, :, k], rcond=None)[0][0]
        np.testing.assert_allclose(out[i, :, k], common, atol=1e-12)
    np.testing.assert_allclose(P.project_consensus(out, axis=1), out, atol=1e-15)


def test_nonnegative_matches_bounded_least_squares(rng):
    x = rng.normal(size=6)
    expected = lsq_linear(np.eye(6), x, bounds=(0, np.inf)).x
    np.testing.assert_allclose(P.project_nonnegative(x), expected, atol=1e-8)


@pytest.mark.parametrize("case", ["mixed", "nonpositive", "zero"])
def test_nonnegative_norm_is_nearest(rng, case):
    omega = 0.7
    for trial in range(8):
        w = rng.normal(size=4)
        if case == "nonpositive":
            w = -np.abs(w)
        elif case == "zero":
            w = np.zeros(4)
        out = P.project_nonnegative_norm(w, omega=omega)
        assert np.all(out >= 0) and abs(np.linalg.norm(out) - omega) < MEMBER
        np.testing.assert_allclose(
            P.project_nonnegative_norm(out, omega=omega), out, atol=1e-12
        )
        starts = [np.abs(rng.normal(size=4)) for _ in range(12)] + [
            np.eye(4)[i] for i in range(4)
        ]
        best, _ = slsqp_min(
            lambda v: np.sum((v - w) ** 2),
            starts,
            [{"type": "eq", "fun": lambda v: v @ v - omega**2}],
            bounds=[(0, None)] * 4,
        )
        assert sqdist((out, w)) <= best + SLSQP_SLACK * (1 + best)


def test_nonnegative_norm_all_nonpositive_uses_largest_entry():
    out = P.project_nonnegative_norm(
        np.array([[-3.0, -0.5, -2.0], [-1.0, -1.0, -4.0]]), omega=2.0
    )
    np.testing.assert_array_equal(out, [[0.0, 2.0, 0.0], [2.0, 0.0, 0.0]])


def test_nonnegative_norm_along_axis0(rng):
    w = rng.normal(size=(5, 3))
    out = P.project_nonnegative_norm(w, omega=1.5, axis=0)
    np.testing.assert_allclose(np.linalg.norm(out, axis=0), 1.5)
    for j in range(3):
        np.testing.assert_allclose(
            out[:, j], P.project_nonnegative_norm(w[:, j], omega=1.5)
        )


def test_norm_is_nearest(rng):
    for trial in range(10):
        w = rng.normal(size=3)
        out = P.project_norm(w, omega=2.0)
        assert abs(np.linalg.norm(out) - 2.0) < MEMBER
        best, _ = slsqp_min(
            lambda v: np.sum((v - w) ** 2),
            [rng.normal(size=3) for _ in range(8)],
            [{"type": "eq", "fun": lambda v: v @ v - 4.0}],
        )
        assert abs(sqdist((out, w)) - best) < SLSQP_SLACK * (1 + best)
    np.testing.assert_array_equal(
        P.project_norm(np.zeros((2, 3)), omega=2.0), [[2.0, 0, 0], [2.0, 0, 0]]
    )


# ---------------------------------------------------------------- bilinear


def bilinear_brute(x, w, y, omega, g2, rng, n_starts=8):
    n = x.size
    if np.isinf(g2):

        def objective(v):
            return np.sum((v[:n] - x) ** 2) + np.sum((v[n:] - w) ** 2)

        constraint = {"type": "eq", "fun": lambda v: v[:n] @ v[n:] - omega * y}
        base = np.concatenate([x, w])
    else:

        def objective(v):
            return (
                np.sum((v[:n] - x) ** 2)
                + np.sum((v[n : 2 * n] - w) ** 2)
                + g2 * (v[-1] - y) ** 2
            )

        constraint = {
            "type": "eq",
            "fun": lambda v: v[:n] @ v[n : 2 * n] - omega * v[-1],
        }
        base = np.concatenate([x, w, [y]])
    starts = [base] + [
        base + rng.normal(scale=s, size=base.size)
        for s in np.geomspace(0.1, 3, n_starts - 1)
    ]
    return slsqp_min(objective, starts, [constraint])


def bilinear_distance(x, w, y, out, g2):
    xn, wn, yn = out
    return sqdist((xn, x), (wn, w)) + (0.0 if np.isinf(g2) else g2 * (yn - y) ** 2)


@pytest.mark.parametrize("g2", [np.inf, 0.5, 4.0])
def test_bilinear_is_nearest(rng, g2):
    for trial in range(10):
        n = int(rng.integers(1, 6))
        omega = float(rng.uniform(0.3, 3.0))
        x, w = rng.normal(size=n), rng.normal(size=n)
        y = float(rng.normal(scale=2.0))
        out = P.project_bilinear(x, w, y, omega=omega, g2=g2)
        xn, wn, yn = out
        assert abs(xn @ wn - omega * yn) < MEMBER
        if np.isinf(g2):
            assert yn == y
        mine = bilinear_distance(x, w, y, out, g2)
        best, best_v = bilinear_brute(x, w, y, omega, g2, rng)
        assert mine <= best + SLSQP_SLACK * (1 + best), (mine, best)
        # The nearest point is unique here (x != +-w): SLSQP's argmin is ours too.
        np.testing.assert_allclose(best_v[:n], xn, atol=1e-5)
        np.testing.assert_allclose(best_v[n : 2 * n], wn, atol=1e-5)
        if not np.isinf(g2):
            assert abs(best_v[-1] - yn) < 1e-5


@pytest.mark.parametrize("kind", ["x=w", "x=-w", "zero", "nearly x=w"])
@pytest.mark.parametrize("y", [-2.0, -0.05, 0.0, 0.05, 2.0])
@pytest.mark.parametrize("g2", [np.inf, 1.0])
def test_bilinear_degenerate_inputs(rng, kind, y, g2):
    x = np.array([1.0, -0.5, 2.0])
    w = {
        "x=w": x.copy(),
        "x=-w": -x,
        "zero": np.zeros(3),
        "nearly x=w": x + 1e-9 * np.array([1.0, 2.0, -1.0]),
    }[kind]
    if kind == "zero":
        x = np.zeros(3)
    out = P.project_bilinear(x, w, y, g2=g2)
    assert np.all(np.isfinite(np.concatenate([out[0], out[1], [out[2]]])))
    assert abs(out[0] @ out[1] - out[2]) < MEMBER
    best, _ = bilinear_brute(x, w, y, 1.0, g2, rng, n_starts=12)
    assert bilinear_distance(x, w, y, out, g2) <= best + SLSQP_SLACK * (1 + best)


def bilinear_reference(x, w, y, omega=1.0, g2=np.inf, digits=400, steps=900):
    """The bilinear projection in 400-digit decimal arithmetic: bisection for the root u
    of h0 in (-1, 1) (900 halvings: u to about 1e-270), then the Lagrange form (eq.
    19)."""
    with localcontext() as context:
        context.prec = digits
        xd, wd = [Decimal(float(v)) for v in x], [Decimal(float(v)) for v in w]
        p = sum(a * b for a, b in zip(xd, wd))
        q = sum(a * a for a in xd) + sum(b * b for b in wd)
        oy = Decimal(omega) * Decimal(float(y))
        c2 = Decimal(0) if np.isinf(g2) else Decimal(omega) ** 2 / Decimal(g2)

        def h0(u):
            return (p * (1 + u * u) + q * u) / (1 - u * u) ** 2 - oy + c2 * u

        lo, hi = Decimal(-1), Decimal(1)
        for _ in range(steps):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if h0(mid) < 0 else (lo, mid)
        u = (lo + hi) / 2
        den = 1 - u * u
        xn = [float((a + u * b) / den) for a, b in zip(xd, wd)]
        wn = [float((b + u * a) / den) for a, b in zip(xd, wd)]
        yn = float(
            Decimal(float(y))
            - (0 if np.isinf(g2) else u * Decimal(omega) / Decimal(g2))
        )
    return np.array(xn), np.array(wn), yn


def bilinear_precision_cases(rng):
    """Roots near -1 and +1 (x nearly +-w), near 0 with tiny vectors and a free y, and
    ordinary ones, with the magnitudes that make single-variable solvers lose digits."""
    cases = []
    for scale in [1e-6, 1e-12, 1e-30, 1e-150]:
        # x - w (or x + w) of size `scale`, exactly representable: tiny entries apart.
        big, small = rng.normal(size=3), scale * rng.normal(size=2)
        x = np.concatenate([big, small])
        cases.append((x, np.concatenate([big, -small]), -1.0, np.inf))
        cases.append((x, np.concatenate([-big, small]), 1.0, np.inf))
    for tiny in [1e-20, 1e-60, 1e-100]:
        cases.append((tiny * rng.normal(size=3), tiny * rng.normal(size=3), 1e-18, 1.0))
        cases.append(
            (tiny * rng.normal(size=3), tiny * rng.normal(size=3), -3e-7, 50.0)
        )
    for _ in range(4):
        cases.append((rng.normal(size=5), rng.normal(size=5), float(rng.normal()), 2.0))
    return cases


def test_bilinear_matches_a_high_precision_reference(rng):
    for x, w, y, g2 in bilinear_precision_cases(rng):
        xn, wn, yn = P.project_bilinear(x, w, y, g2=g2)
        xr, wr, yr = bilinear_reference(x, w, y, g2=g2)
        np.testing.assert_allclose(xn, xr, rtol=1e-11, atol=1e-12 * np.max(np.abs(xr)))
        np.testing.assert_allclose(wn, wr, rtol=1e-11, atol=1e-12 * np.max(np.abs(wr)))
        # y' = y - u omega / g2 cancels when y' is tiny: relative to |y|, not |y'|.
        assert abs(yn - yr) <= 1e-12 * (abs(yr) + abs(y))


def test_bilinear_warns_when_the_root_solve_is_cut_short(rng):
    x, w, y = rng.normal(size=(20, 4)), rng.normal(size=(20, 4)), rng.normal(size=20)
    with pytest.warns(RuntimeWarning, match="max_iter=1"):
        P.project_bilinear(x, w, y, max_iter=1)


def test_bilinear_matches_lagrange_form_and_h0_root(rng):
    x, w, y = rng.normal(size=5), rng.normal(size=5), 0.7
    xn, wn, yn, u = P.project_bilinear(
        x, w, y, omega=1.3, g2=2.0, return_multiplier=True
    )
    np.testing.assert_allclose(xn, (x + u * w) / (1 - u**2), atol=1e-12)
    np.testing.assert_allclose(wn, (w + u * x) / (1 - u**2), atol=1e-12)
    np.testing.assert_allclose(yn, y - u * 1.3 / 2.0, atol=1e-12)
    h0 = P.bilinear_h0(u, x @ w, x @ x + w @ w, y, omega=1.3, g2=2.0)
    assert abs(h0) < 1e-10


def test_bilinear_batched_axis_and_broadcast_g2(rng):
    x = rng.normal(size=(6, 4, 3))
    w = rng.normal(size=(6, 4, 3))
    y = rng.normal(size=(6, 3))
    g2 = np.array([1.0, 2.0, np.inf])
    xn, wn, yn = P.project_bilinear(x, w, y, omega=2.0, g2=g2, axis=1)
    assert xn.shape == x.shape and wn.shape == w.shape and yn.shape == y.shape
    for k, j in itertools.product(range(6), range(3)):
        single = P.project_bilinear(
            x[k, :, j], w[k, :, j], y[k, j], omega=2.0, g2=g2[j]
        )
        np.testing.assert_allclose(xn[k, :, j], single[0], atol=1e-12)
        np.testing.assert_allclose(wn[k, :, j], single[1], atol=1e-12)
        np.testing.assert_allclose(yn[k, j], single[2], atol=1e-12)
    np.testing.assert_array_equal(yn[:, 2], y[:, 2])


def test_bilinear_is_idempotent(rng):
    x, w, y = rng.normal(size=(50, 7)), rng.normal(size=(50, 7)), rng.normal(size=50)
    once = P.project_bilinear(x, w, y, omega=2.0, g2=3.0)
    twice = P.project_bilinear(*once, omega=2.0, g2=3.0)
    for a, b in zip(once, twice):
        np.testing.assert_allclose(a, b, atol=1e-12)


# ---------------------------------------------------------------- activations


def nearest_on_pieces(point, pieces, rng):
    """Minimum squared distance from (x, y, b) to a union of convex pieces.

    Each piece is a list of SLSQP constraints on v = (x', y', b')."""
    best = np.inf
    starts = [point] + [point + rng.normal(scale=s, size=3) for s in (0.3, 1.0, 3.0)]
    for constraints in pieces:
        value, _ = slsqp_min(lambda v: np.sum((v - point) ** 2), starts, constraints)
        best = min(best, value)
    return best


def eq(f):
    return {"type": "eq", "fun": f}


def ineq(f):
    return {"type": "ineq", "fun": f}


def relu_pieces():
    return [
        [eq(lambda v: v[0]), ineq(lambda v: -(v[1] - v[2]))],
        [eq(lambda v: v[0] - (v[1] - v[2])), ineq(lambda v: v[1] - v[2])],
    ]


def step_pieces(gap):
    h = gap / 2
    return [
        [eq(lambda v: v[0]), ineq(lambda v: -h - (v[1] - v[2]))],
        [eq(lambda v: v[0] - 1), ineq(lambda v: (v[1] - v[2]) - h)],
    ]


def zigmoid_pieces(gap):
    h = gap / 2
    ramp = [
        eq(lambda v: v[0] - ((v[1] - v[2]) / gap + 0.5)),
        ineq(lambda v: (v[1] - v[2]) + h),
        ineq(lambda v: h - (v[1] - v[2])),
    ]
    return step_pieces(gap) + [ramp]


ACTIVATIONS = {
    "relu": (
        lambda x, y, b: P.project_relu(x, y, b),
        relu_pieces(),
        lambda x, z: np.isclose(x, np.maximum(z, 0), atol=MEMBER, rtol=0),
    ),
    "step": (
        lambda x, y, b: P.project_step_gap(x, y, b, gap=0.4),
        step_pieces(0.4),
        lambda x, z: (
            ((x == 0) & (z <= -0.2 + MEMBER)) | ((x == 1) & (z >= 0.2 - MEMBER))
        ),
    ),
    "zigmoid": (
        lambda x, y, b: P.project_zigmoid(x, y, b, gap=0.4),
        zigmoid_pieces(0.4),
        lambda x, z: np.isclose(x, np.clip(z / 0.4 + 0.5, 0, 1), atol=MEMBER, rtol=0),
    ),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_projection_is_nearest(rng, name):
    project, pieces, member = ACTIVATIONS[name]
    points = rng.normal(scale=0.8, size=(40, 3)) + np.array([0.4, 0, 0])
    xn, yn, bn = project(points[:, 0], points[:, 1], points[:, 2])
    assert np.all(member(xn, yn - bn))
    np.testing.assert_allclose(yn + bn, points[:, 1] + points[:, 2], atol=1e-12)
    mine = np.sum((np.stack([xn, yn, bn], 1) - points) ** 2, axis=1)
    for point, d in zip(points, mine):
        best = nearest_on_pieces(point, pieces, rng)
        assert d <= best + SLSQP_SLACK * (1 + best)
    again = project(xn, yn, bn)
    for a, b in zip(again, (xn, yn, bn)):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_relu_projection_on_a_dense_grid(rng):
    """Second, independent check: search the ReLU graph on a fine grid in (y', b')."""
    grid = np.linspace(-3, 3, 601)
    yy, bb = np.meshgrid(grid, grid, indexing="ij")
    graph_x = np.maximum(yy - bb, 0)
    for x, y, b in rng.uniform(-1.5, 1.5, size=(5, 3)):
        d = (graph_x - x) ** 2 + (yy - y) ** 2 + (bb - b) ** 2
        xn, yn, bn = P.project_relu(x, y, b)
        mine = (xn - x) ** 2 + (yn - y) ** 2 + (bn - b) ** 2
        assert mine <= d.min() + 1e-12
        assert mine >= d.min() - 2 * 0.01 * 3  # the grid is 0.01 apart


def test_step_gap_zero_is_plain_step():
    xn, yn, bn = P.project_step_gap(
        np.array([0.9, 0.1]), np.array([0.3, -0.2]), 0.0, gap=0.0
    )
    np.testing.assert_array_equal(xn, [1.0, 0.0])
    np.testing.assert_array_equal(yn, [0.3, -0.2])


@pytest.mark.parametrize("activation", ["relu", "step", "zigmoid"])
def test_clamped_projection_is_nearest(rng, activation):
    gap = 0.5
    values = {
        "relu": [0.0, 0.3, 1.2],
        "step": [0.0, 1.0],
        "zigmoid": [0.0, 0.25, 0.8, 1.0],
    }
    forward = {
        "relu": lambda z: np.maximum(z, 0),
        "step": lambda z: (z > 0) * 1.0,
        "zigmoid": lambda z: np.clip(z / gap + 0.5, 0, 1),
    }[activation]
    for x in values[activation]:
        for y, b in rng.normal(size=(6, 2)):
            yn, bn = P.project_clamped(x, y, b, activation=activation, gap=gap)
            z = yn - bn
            if activation == "step":
                assert (z <= -gap / 2 + MEMBER) if x == 0 else (z >= gap / 2 - MEMBER)
            else:
                assert abs(forward(z) - x) < 1e-9
            # independent: the allowed z form an interval; search it on a fine grid
            zs = np.linspace(-4, 4, 160001)
            if activation == "step":
                allowed = zs <= -gap / 2 if x == 0 else zs >= gap / 2
            else:
                allowed = np.abs(forward(zs) - x) < 1e-12
                if activation == "zigmoid" and 0 < x < 1:
                    zs, allowed = np.array([gap * (x - 0.5)]), np.array([True])
                if activation == "relu" and x > 0:
                    zs, allowed = np.array([x]), np.array([True])
            zs = zs[allowed]
            mid = (y + b) / 2
            brute = np.min((mid + zs / 2 - y) ** 2 + (mid - zs / 2 - b) ** 2)
            mine = (yn - y) ** 2 + (bn - b) ** 2
            assert brute - 1e-4 <= mine <= brute + 1e-12


# ---------------------------------------------------------------- class nodes


def margin_brute(y, b, label, delta, rng):
    c = y.size
    point = np.concatenate([y, b])
    cons = []
    for j in range(c):
        if j == label:
            cons.append(ineq(lambda v, j=j: v[j] - v[c + j] - delta))
        else:
            cons.append(ineq(lambda v, j=j: -(v[j] - v[c + j])))
    starts = [point] + [point + rng.normal(size=2 * c) for _ in range(3)]
    return slsqp_min(lambda v: np.sum((v - point) ** 2), starts, cons)[0]


def test_class_margin_is_nearest(rng):
    y, b = rng.normal(size=(12, 4)), rng.normal(scale=0.3, size=(12, 4))
    labels = rng.integers(0, 4, size=12)
    yn, bn = P.project_class_margin(y, b, labels, delta=0.5)
    z = yn - bn
    assert np.all(z[np.arange(12), labels] >= 0.5 - MEMBER)
    others = np.ones((12, 4), bool)
    others[np.arange(12), labels] = False
    assert np.all(z[others] <= MEMBER)
    d = P.class_margin_distance(y, b, labels, delta=0.5)
    for k in range(12):
        best = margin_brute(y[k], b[k], labels[k], 0.5, rng)
        mine = sqdist((yn[k], y[k]), (bn[k], b[k]))
        assert abs(mine - best) < SLSQP_SLACK * (1 + best)
        assert abs(d[k] - mine) < 1e-12
    again = P.project_class_margin(yn, bn, labels, delta=0.5)
    np.testing.assert_allclose(again[0], yn, atol=1e-14)


def items_distance(y, b, labels, delta):
    yn, bn = P.project_class_margin(y, b, labels, delta=delta)
    return np.sum((yn - y) ** 2 + (bn - b) ** 2, axis=1)


def test_exemption_is_projection_onto_union(rng):
    y, b = rng.normal(size=(7, 3)), rng.normal(scale=0.2, size=(7, 3))
    labels = rng.integers(0, 3, size=7)
    per_item = items_distance(y, b, labels, 0.3)
    for n_exempt in range(4):
        yn, bn, exempt = P.project_class_margin_exempt(
            y, b, labels, delta=0.3, n_exempt=n_exempt
        )
        assert exempt.sum() <= n_exempt
        mine = sqdist((yn, y), (bn, b))
        brute = min(
            per_item.sum() - per_item[list(s)].sum()
            for s in itertools.combinations(range(7), n_exempt)
        )
        assert abs(mine - brute) < 1e-12
        kept = ~exempt
        check = P.project_class_margin(yn[kept], bn[kept], labels[kept], delta=0.3)
        np.testing.assert_allclose(check[0], yn[kept], atol=1e-14)
        np.testing.assert_array_equal(yn[exempt], y[exempt])


def test_exemption_never_exempts_satisfied_items():
    y = np.array([[1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    labels = np.array([0, 0, 0])  # only the last item violates its margins
    _, _, exempt = P.project_class_margin_exempt(
        y, np.zeros_like(y), labels, delta=0.5, n_exempt=2
    )
    np.testing.assert_array_equal(exempt, [False, False, True])


def test_relabel_is_projection_onto_union(rng):
    n_items, n_classes = 5, 3
    y, b = (
        rng.normal(size=(n_items, n_classes)),
        rng.normal(scale=0.2, size=(n_items, n_classes)),
    )
    labels = rng.integers(0, n_classes, size=n_items)
    for n_relabel in range(3):
        yn, bn, new = P.project_relabel(y, b, labels, delta=0.4, n_relabel=n_relabel)
        assert np.sum(new != labels) <= n_relabel
        mine = sqdist((yn, y), (bn, b))
        brute = np.inf
        for assignment in itertools.product(range(n_classes), repeat=n_items):
            assignment = np.array(assignment)
            if np.sum(assignment != labels) <= n_relabel:
                brute = min(brute, items_distance(y, b, assignment, 0.4).sum())
        assert abs(mine - brute) < 1e-12


def test_relabel_ties_go_to_the_smallest_label():
    # z = (0.3, 0.3, -1): classes 0 and 1 are equally near (each needs the other node
    # moved down by 0.3 and its own up by 0.1), class 2 is farther; the given label 2 is
    # relabeled.
    y, b = np.array([[0.3, 0.3, -1.0]]), np.zeros((1, 3))
    _, _, new = P.project_relabel(y, b, [2], delta=0.4, n_relabel=1)
    assert new[0] == 0
    # two items with equal excess and room for one: the first item is relabeled
    y2, b2 = np.repeat(y, 2, axis=0), np.zeros((2, 3))
    _, _, new = P.project_relabel(y2, b2, [2, 2], delta=0.4, n_relabel=1)
    np.testing.assert_array_equal(new, [0, 2])


def test_false_positive_is_projection_onto_union(rng):
    n_items = 8
    y, b = rng.normal(size=(n_items, 2)), rng.normal(scale=0.2, size=(n_items, 2))
    labels = np.array([0, 1, 0, 0, 1, 0, 0, 1])
    fakes = np.flatnonzero(labels == 0)
    for n_allowed in range(4):
        yn, bn, accepted = P.project_false_positive(
            y, b, labels, delta=0.2, n_allowed=n_allowed
        )
        assert accepted.sum() <= n_allowed and not np.any(accepted & (labels == 1))
        mine = sqdist((yn, y), (bn, b))
        brute = np.inf
        for size in range(n_allowed + 1):
            for subset in itertools.combinations(fakes, size):
                relabeled = labels.copy()
                relabeled[list(subset)] = 1
                brute = min(brute, items_distance(y, b, relabeled, 0.2).sum())
        assert abs(mine - brute) < 1e-12


# ---------------------------------------------------------------- sparsity


def test_sparse_nonnegative_is_nearest(rng):
    for trial in range(20):
        x = rng.normal(size=6)
        for s in range(0, 7):
            out = P.project_sparse_nonnegative(x, n_nonzero=s)
            assert np.all(out >= 0) and np.count_nonzero(out) <= s
            brute = min(
                np.sum(
                    (np.where(np.isin(np.arange(6), support), np.maximum(x, 0), 0) - x)
                    ** 2
                )
                for size in range(s + 1)
                for support in itertools.combinations(range(6), size)
            )
            assert abs(np.sum((out - x) ** 2) - brute) < 1e-12
            np.testing.assert_array_equal(
                P.project_sparse_nonnegative(out, n_nonzero=s), out
            )


def test_sparse_along_axis0(rng):
    x = rng.normal(size=(5, 3))
    out = P.project_sparse_nonnegative(x, n_nonzero=2, axis=0)
    for j in range(3):
        np.testing.assert_array_equal(
            out[:, j], P.project_sparse_nonnegative(x[:, j], n_nonzero=2)
        )


@pytest.mark.parametrize("gap", [1e-200, 1e-20, 1e100])
def test_zigmoid_with_extreme_gaps_stays_finite_and_in_the_set(rng, gap):
    """1/gap^2 overflows for gap < 1e-154; the projection must not. (z = y - b is only
    resolved to about 1e-16, so a narrower ramp is checked on the flat pieces only.)"""
    x, y, b = rng.uniform(-1, 2, size=50), rng.normal(size=50), rng.normal(size=50)
    xn, yn, bn = P.project_zigmoid(x, y, b, gap=gap)
    assert (
        np.all(np.isfinite(xn)) and np.all(np.isfinite(yn)) and np.all(np.isfinite(bn))
    )
    z = yn - bn
    assert np.all((xn >= 0) & (xn <= 1))
    resolved = max(gap / 2, 1e-14)
    assert np.all(xn[z < -resolved] == 0) and np.all(xn[z > resolved] == 1)
    if gap > 1:
        np.testing.assert_allclose(xn, z / gap + 0.5, atol=1e-12)
