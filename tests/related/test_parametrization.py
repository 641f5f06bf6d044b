"""Tests of the realization map of shallow ReLU networks, its symmetries, the W^{1,inf}
distance and the gauge fixes (Berner, Elbraechter and Grohs 2019)."""

import itertools

import numpy as np
import pytest

from lossless_tutorial.related.parametrization import (
    ShallowReLU,
    balance,
    canonical_distance,
    canonicalize,
    fix_incoming_norm,
    parameter_distance,
    permute_units,
    random_shallow_relu,
    rescale_units,
    unit_status,
    w1inf_distance,
    w1inf_norm,
)

EPSILONS = [1e-1, 1e-3, 1e-6]


def net(a, b, c, linear=None, offset=0.0):
    return ShallowReLU(
        np.asarray(a, float), np.asarray(b, float), np.asarray(c, float), linear, offset
    )


def pathologies(eps):
    """The four degenerate pairs (start, natural parametrization of the target) of the
    spec, with the target ``R(start) + small`` written out by hand."""
    return {
        "P1 unbalanced": (net([1], [0], [0]), net([-1], [0], [eps])),
        "P2 dead": (net([1], [-2], [1]), net([1], [0], [eps])),
        "P3 same direction": (
            net([1, 1], [0, 0], [1, 1]),
            net([1, -1], [0, 0], [2, eps]),
        ),
        "P4 opposite": (
            net([1, -1], [0, 0], [1, -1]),
            net([1, -1], [-0.5, 0.5], [1 + eps, -1], offset=0.5),
        ),
    }


# --------------------------------------------------------------------------------------
# the realization
# --------------------------------------------------------------------------------------


def test_realization_and_gradient_against_a_loop_and_finite_differences(rng):
    f = random_shallow_relu(7, 3, random_state=1)
    f = f._replace(linear=np.array([0.3, -0.2, 0.1]), offset=0.4)
    x = rng.uniform(-1, 1, size=(50, 3))
    expected = np.full(50, 0.4) + x @ np.array([0.3, -0.2, 0.1])
    for a, b, c in zip(f.weights, f.biases, f.outputs):  # one unit at a time, by hand
        expected += c * np.array([max(0.0, float(a @ p) + b) for p in x])
    np.testing.assert_allclose(f(x), expected, rtol=1e-13, atol=1e-13)

    h = 1e-6
    away = np.all(
        np.abs(f.preactivations(x)) > 10 * h * np.abs(f.weights).sum(1), axis=1
    )
    assert away.sum() > 40
    fd = np.stack([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(3)], axis=1)
    np.testing.assert_allclose(f.gradient(x)[away], fd[away], atol=1e-8)


def test_parameter_jacobian_against_finite_differences(rng):
    f = random_shallow_relu(5, 2, random_state=6)
    f = f._replace(linear=np.array([0.5, -1.0]), offset=0.2)
    x = rng.uniform(-1, 1, size=(30, 2))
    theta = f.parameters()
    n_w = f.weights.size

    def realize(t):
        k = f.n_units
        return ShallowReLU(
            t[:n_w].reshape(k, 2),
            t[n_w : n_w + k],
            t[n_w + k : n_w + 2 * k],
            t[n_w + 2 * k : n_w + 2 * k + 2],
            t[-1],
        )(x)

    h = 1e-6
    fd = np.stack(
        [
            (realize(theta + h * e) - realize(theta - h * e)) / (2 * h)
            for e in np.eye(theta.size)
        ],
        axis=1,
    )
    away = np.all(np.abs(f.preactivations(x)) > 1e-4, axis=1)
    assert away.sum() > 25
    np.testing.assert_allclose(f.parameter_jacobian(x)[away], fd[away], atol=1e-8)


def test_one_input_accepts_flat_points():
    f = net([2.0, -1.0], [0.5, 0.0], [1.0, 3.0])
    x = np.linspace(-1, 1, 9)
    np.testing.assert_array_equal(f(x), f(x[:, None]))
    np.testing.assert_array_equal(
        f(x), np.maximum(2 * x + 0.5, 0) + 3 * np.maximum(-x, 0)
    )


def test_positive_scaling_by_powers_of_two_is_exact(rng):
    # dyadic parameters and inputs: every product and sum is exact, so equality is
    # bitwise
    a = rng.integers(-8, 9, size=(6, 2)) / 8
    b = rng.integers(-8, 9, size=6) / 8
    c = rng.integers(-8, 9, size=6) / 4
    f = net(a, b, c)
    x = rng.integers(-16, 17, size=(200, 2)) / 16
    scales = 2.0 ** rng.integers(-6, 7, size=6)
    g = rescale_units(f, scales)
    assert parameter_distance(f, g) > 1.0
    np.testing.assert_array_equal(g(x), f(x))
    np.testing.assert_array_equal(g.gradient(x), f.gradient(x))


def test_permutation_of_units_is_exact(rng):
    a = rng.integers(-4, 5, size=(6, 2)).astype(float)
    f = net(a, rng.integers(-4, 5, size=6), rng.integers(-4, 5, size=6))
    x = rng.integers(-8, 9, size=(200, 2)).astype(float)
    perm = rng.permutation(6)
    g = permute_units(f, perm)
    np.testing.assert_array_equal(g.weights, f.weights[perm])
    np.testing.assert_array_equal(g(x), f(x))
    np.testing.assert_array_equal(g.gradient(x), f.gradient(x))


def test_generic_scaling_and_permutation_change_only_rounding(rng):
    f = random_shallow_relu(10, 1, random_state=3)
    g = permute_units(
        rescale_units(f, np.exp(rng.uniform(-4, 4, size=10))), rng.permutation(10)
    )
    assert parameter_distance(f, g) > 1.0
    assert w1inf_distance(f, g) < 1e-12


def test_fibres_of_the_spec_table():
    # the "same function, far parameters" table of the spec (section c.3), exact values
    base = net([1, -1], [0, 0.5], [1, -1])
    cases = {
        "scaling": (base, rescale_units(base, [100.0, 1.0]), 99.0),
        "permutation": (base, permute_units(base, [1, 0]), 2.0),
        "dead unit": (net([1], [-3], [5]), net([1], [-3], [-7]), 12.0),
        "opposite pair": (
            net([1, -1], [0, 0], [1, -1]),
            net([1, -1], [-0.7, 0.7], [1, -1], offset=0.7),
            0.7,
        ),
    }
    for name, (f, g, distance) in cases.items():
        assert parameter_distance(f, g) == pytest.approx(distance, rel=1e-15), name
        assert w1inf_distance(f, g) < 1e-15, name


# --------------------------------------------------------------------------------------
# the W^{1,inf} distance
# --------------------------------------------------------------------------------------


def test_w1inf_closed_forms_in_one_dimension():
    assert w1inf_norm(net([1], [0], [1], offset=-0.5), parts=True) == (0.5, 1.0)
    assert w1inf_norm(net([1], [-1], [2]), low=0, high=3, parts=True) == (4.0, 2.0)
    # a spike of height 1/n and half-width 1/n^2: sup norm 1/n, slope n
    for n in [2, 10, 100]:
        w = 1.0 / n**2
        spike = net([1, 1, 1], [w, 0, -w], [n, -2 * n, n])
        sup, slope = w1inf_norm(spike, parts=True)
        assert sup == pytest.approx(1 / n, rel=1e-12)
        assert slope == pytest.approx(n, rel=1e-12)


@pytest.mark.parametrize("eps", EPSILONS)
def test_pathologies_close_functions_far_parameters(eps):
    # function distance eps (closed form), parameter distance 2, 2, 2, 1/2 for every eps
    expected = {
        "P1 unbalanced": (eps, eps, 2.0),
        "P2 dead": (eps, eps, 2.0),
        "P3 same direction": (eps, eps, 2.0),
        "P4 opposite": (eps / 2, eps, 0.5),
    }
    for name, (start, target) in pathologies(eps).items():
        sup, slope, distance = expected[name]
        got_sup, got_slope = w1inf_distance(start, target, parts=True)
        assert got_sup == pytest.approx(sup, rel=1e-9, abs=1e-15), name
        assert got_slope == pytest.approx(slope, rel=1e-9), name
        assert parameter_distance(start, target) == pytest.approx(
            distance, rel=1e-12
        ), name


def test_w1inf_one_dimension_against_a_dense_grid():
    f = random_shallow_relu(12, 1, random_state=5)
    f = f._replace(linear=np.array([0.7]), offset=-0.3)
    sup, slope = w1inf_norm(f, parts=True)
    x = np.linspace(-1, 1, 200_001)
    values = f(x)
    lipschitz = np.sum(np.abs(f.outputs) * np.abs(f.weights[:, 0])) + 0.7
    assert np.max(np.abs(values)) <= sup + 1e-12
    assert sup - np.max(np.abs(values)) <= lipschitz * (x[1] - x[0]) / 2
    # slopes of grid segments that contain no kink are exact gradients
    kinks = -f.biases / f.weights[:, 0]
    clean = ~np.any(
        (kinks[None, :] > x[:-1, None]) & (kinks[None, :] < x[1:, None]), axis=1
    )
    segment_slopes = np.diff(values)[clean] / np.diff(x)[clean]
    assert np.max(np.abs(segment_slopes)) == pytest.approx(slope, rel=1e-6)


def _exact_sup_two_dimensions(h, lo, hi):
    """sup |h| over a square by brute force over every vertex of the kink arrangement:
    pairwise intersections of kink lines, kink lines with the edges, and the corners."""
    a, b = h.weights, h.biases
    candidates = [np.array([[x, y] for x in (lo, hi) for y in (lo, hi)], float)]
    for i, j in itertools.combinations(range(h.n_units), 2):
        matrix = np.array([a[i], a[j]])
        if abs(np.linalg.det(matrix)) > 1e-12:
            candidates.append(np.linalg.solve(matrix, -np.array([b[i], b[j]]))[None, :])
    for i in range(h.n_units):
        for axis in (0, 1):
            for edge in (lo, hi):
                if abs(a[i, 1 - axis]) > 1e-12:
                    point = np.empty(2)
                    point[axis] = edge
                    point[1 - axis] = -(b[i] + a[i, axis] * edge) / a[i, 1 - axis]
                    candidates.append(point[None, :])
    points = np.vstack(candidates)
    inside = np.all((points >= lo - 1e-12) & (points <= hi + 1e-12), axis=1)
    return np.max(np.abs(h(points[inside])))


def test_w1inf_two_dimensions_is_a_tight_lower_bound(rng):
    f = random_shallow_relu(5, 2, random_state=11)
    g = random_shallow_relu(3, 2, random_state=12)
    h = ShallowReLU(
        np.vstack([f.weights, g.weights]),
        np.r_[f.biases, g.biases],
        np.r_[f.outputs, -g.outputs],
    )
    exact_sup = _exact_sup_two_dimensions(h, -1.0, 1.0)
    lipschitz = np.sum(np.abs(h.outputs) * np.linalg.norm(h.weights, axis=1))
    for n_lines in [11, 101, 401]:
        sup, slope = w1inf_distance(f, g, n_lines=n_lines, parts=True)
        spacing = 2.0 / (n_lines - 1)
        assert sup <= exact_sup + 1e-12
        assert exact_sup - sup <= lipschitz * spacing / 2
    # the gradient takes finitely many values (one per cell): a dense random sample of
    # the square finds the same largest component as the lines do
    sample = rng.uniform(-1, 1, size=(400_000, 2))
    assert slope == pytest.approx(np.max(np.abs(h.gradient(sample))), rel=1e-12)


# --------------------------------------------------------------------------------------
# gauge fixes
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("include_bias", [False, True])
def test_balance(include_bias):
    f = random_shallow_relu(9, 2, random_state=2)
    f = f._replace(outputs=f.outputs * np.exp(np.linspace(-3, 3, 9)))
    g = balance(f, include_bias=include_bias)
    size = np.linalg.norm(
        np.column_stack([g.weights, g.biases]) if include_bias else g.weights, axis=1
    )
    np.testing.assert_allclose(np.abs(g.outputs), size, rtol=1e-13)
    assert w1inf_distance(f, g, n_lines=51) < 1e-12
    again = balance(g, include_bias=include_bias)
    np.testing.assert_allclose(
        again.parameters(), g.parameters(), rtol=1e-14, atol=1e-15
    )
    # the balanced point minimises |a|^2 (+ b^2) + c^2 over the scaling orbit (brute
    # force)
    s = np.exp(np.linspace(-6, 6, 20_001))[:, None]
    size0 = np.linalg.norm(
        np.column_stack([f.weights, f.biases]) if include_bias else f.weights, axis=1
    )
    orbit = (s * size0) ** 2 + (f.outputs / s) ** 2
    np.testing.assert_allclose(size**2 + g.outputs**2, orbit.min(axis=0), rtol=1e-6)


def test_balance_special_units():
    f = net([[1.0], [0.0], [2.0]], [0.5, 0.3, 1.0], [0.0, 4.0, 8.0])
    g = balance(f)
    np.testing.assert_array_equal(g.weights[0], [0.0])  # zero output: the zero unit
    assert g.biases[0] == 0 and g.outputs[0] == 0
    assert (g.weights[1, 0], g.biases[1], g.outputs[1]) == (0.0, 0.3, 4.0)  # a constant
    np.testing.assert_allclose([g.weights[2, 0], g.biases[2], g.outputs[2]], [4, 2, 4])


def test_fix_incoming_norm_collapses_every_scaling_orbit(rng):
    f = random_shallow_relu(8, 3, random_state=4)
    fixed = fix_incoming_norm(f, omega=2.5)
    np.testing.assert_allclose(np.linalg.norm(fixed.weights, axis=1), 2.5, rtol=1e-14)
    assert w1inf_distance(f, fixed, n_lines=21) < 1e-12
    for _ in range(20):
        moved = rescale_units(f, np.exp(rng.uniform(-5, 5, size=8)))
        assert parameter_distance(moved, f) > 1
        np.testing.assert_allclose(
            fix_incoming_norm(moved, omega=2.5).parameters(),
            fixed.parameters(),
            rtol=1e-12,
            atol=1e-13,
        )
    np.testing.assert_allclose(
        fix_incoming_norm(fixed, omega=2.5).parameters(), fixed.parameters(), rtol=1e-15
    )


@pytest.mark.parametrize("eps", EPSILONS)
def test_norm_gauge_keeps_the_unbalanced_pathology(eps):
    # both parametrizations have |a| = omega; the functions are eps apart, the
    # parameters 2 omega apart, for every eps (the gauge fixes scaling, not this
    # degeneracy)
    omega = 3.0
    start, target = net([omega], [0], [0]), net([-omega], [0], [eps / omega])
    assert w1inf_distance(start, target) == pytest.approx(eps, rel=1e-12)
    assert parameter_distance(start, target) == 2 * omega
    assert w1inf_distance(start, net([1], [0], [0])) == 0
    # balancing cures it: the balanced start is the zero unit, sqrt(eps) from the target
    balanced_target = balance(target)
    assert parameter_distance(balance(start), balanced_target) == pytest.approx(
        np.sqrt(eps), rel=1e-12
    )


@pytest.mark.parametrize("eps", [1e-2, 1e-4])
def test_balanced_flip_costs_twice_the_square_root(eps):
    root = np.sqrt(eps)
    start, target = net([root], [0], [root]), net([-root], [0], [root])
    distance = w1inf_distance(start, target)
    assert distance == pytest.approx(eps, rel=1e-12)
    assert parameter_distance(start, target) / distance**0.5 == pytest.approx(
        2.0, rel=1e-12
    )


# --------------------------------------------------------------------------------------
# canonical form
# --------------------------------------------------------------------------------------


def test_unit_status():
    f = net([1, 1, -1, 0, 0, 2], [0, -3, -1, 1, -1, 2], [1, 1, 1, 1, 1, 1])
    np.testing.assert_array_equal(
        unit_status(f), ["kink", "dead", "dead", "affine", "dead", "affine"]
    )
    np.testing.assert_array_equal(unit_status(f, low=-5, high=5)[:3], ["kink"] * 3)


def test_canonical_form_of_a_hand_made_network():
    # relu(x) - relu(-x) = x, 2 relu(x - 1/2) and relu(2x - 1) share a kink, relu(x - 3)
    # is dead and 0.5 relu(x + 2) always active on [-1, 1]:
    # f = 1.5 x + 1 + 4 relu(x - 1/2)
    f = net([1, -1, 1, 2, 1, 1], [0, 0, -0.5, -1, -3, 2], [1, -1, 2, 1, 5, 0.5])
    balanced = canonicalize(f)
    np.testing.assert_allclose(balanced.weights, [[2.0]], rtol=1e-15)
    np.testing.assert_allclose(
        [balanced.biases[0], balanced.outputs[0]], [-1, 2], rtol=1e-15
    )
    np.testing.assert_allclose(
        [balanced.linear[0], balanced.offset], [1.5, 1.0], rtol=1e-15
    )
    normed = canonicalize(f, gauge="norm", omega=3.0)
    np.testing.assert_allclose(
        [normed.weights[0, 0], normed.biases[0], normed.outputs[0]],
        [3.0, -1.5, 4 / 3],
        rtol=1e-15,
    )
    x = np.linspace(-1, 1, 101)
    np.testing.assert_allclose(
        f(x), 1.5 * x + 1 + 4 * np.maximum(x - 0.5, 0), atol=1e-14
    )


def _degenerate_copies(f, rng):
    """Parametrizations of the same function as f, far from it: scaled, permuted, with a
    dead unit, an opposite pair (plus offset) and a unit split into two."""
    d = f.n_inputs
    g = rescale_units(f, np.exp(rng.uniform(-3, 3, size=f.n_units)))
    direction = rng.normal(size=d)
    far = (
        np.sum(np.abs(direction)) + 1.0
    )  # the kink of direction.x - far misses the box
    shift, k = 0.3, 0
    weights = np.vstack(
        [g.weights, direction, direction, -direction, 0.5 * g.weights[k]]
    )
    biases = np.r_[g.biases, -far, -shift, shift, 0.5 * g.biases[k]]
    outputs = np.r_[g.outputs, 7.0, 1.5, -1.5, 0.6 * g.outputs[k]]
    outputs[k] *= 0.7  # 0.7 c + 0.5 * 0.6 c: unit k split into two copies
    g = ShallowReLU(
        weights, biases, outputs, f.linear - 1.5 * direction, f.offset + 1.5 * shift
    )  # the pair adds 1.5 (direction.x - shift)
    return permute_units(g, rng.permutation(g.n_units))


@pytest.mark.parametrize("d", [1, 2])
def test_canonicalize_removes_every_degeneracy(d, rng):
    f = random_shallow_relu(6, d, random_state=7 + d)
    g = _degenerate_copies(f, rng)
    assert g.n_units == f.n_units + 4
    assert w1inf_distance(f, g, n_lines=31) < 1e-12
    for gauge in ["balanced", "norm"]:
        cf = canonicalize(f, gauge=gauge, omega=2.0)
        cg = canonicalize(g, gauge=gauge, omega=2.0)
        assert cf.n_units == f.n_units
        np.testing.assert_allclose(
            cg.parameters(), cf.parameters(), rtol=1e-9, atol=1e-12
        )
        assert w1inf_distance(cf, f, n_lines=31) < 1e-12
        again = canonicalize(cf, gauge=gauge, omega=2.0)
        np.testing.assert_allclose(
            again.parameters(), cf.parameters(), rtol=1e-12, atol=1e-14
        )
        assert np.all(unit_status(cf) == "kink")
        size = np.linalg.norm(cf.weights, axis=1)
        if gauge == "balanced":
            np.testing.assert_allclose(np.abs(cf.outputs), size, rtol=1e-13)
        else:
            np.testing.assert_allclose(size, 2.0, rtol=1e-14)
        first = cf.weights[
            np.arange(cf.n_units), np.argmax(np.abs(cf.weights) > 1e-12, 1)
        ]
        assert np.all(first > 0)  # canonical orientation
        assert canonical_distance(f, g, gauge=gauge, omega=2.0) < 1e-9


@pytest.mark.parametrize("eps", EPSILONS)
def test_canonical_distance_of_the_pathologies(eps):
    # canonical forms (derived by hand): P1 eps relu(-x) = eps relu(x) - eps x, a new
    # unit sqrt(eps) (1, 0, 1); P2 likewise; P3 (2 + eps) relu(x) - eps x against
    # 2 relu(x): the linear part moves by eps; P4 x against x + eps relu(x - 1/2)
    root = np.sqrt(eps)
    balanced = {
        "P1 unbalanced": root,
        "P2 dead": root,
        "P3 same direction": eps,
        "P4 opposite": root,
    }
    for name, (start, target) in pathologies(eps).items():
        assert canonical_distance(start, target) == pytest.approx(
            balanced[name], rel=1e-9
        ), name
        assert canonical_distance(target, start) == canonical_distance(start, target)
        # norm gauge, omega = 1: the new unit (1, beta, eps) is eps from a zero-output
        # unit
        assert canonical_distance(start, target, gauge="norm") == pytest.approx(
            eps, rel=1e-6
        ), name


def _brute_force_matching_distance(cf, cg, to_zero):
    units_f = np.column_stack([cf.weights, cf.biases, cf.outputs])
    units_g = np.column_stack([cg.weights, cg.biases, cg.outputs])
    n, m = len(units_f), len(units_g)
    best = np.inf
    for k in range(min(n, m) + 1):  # k pairs, the rest unpaired
        for rows in itertools.combinations(range(n), k):
            for cols in itertools.permutations(range(m), k):
                worst = 0.0
                for i, j in zip(rows, cols):
                    worst = max(worst, np.max(np.abs(units_f[i] - units_g[j])))
                worst = max(
                    [worst]
                    + [to_zero(units_f[i]) for i in set(range(n)) - set(rows)]
                    + [to_zero(units_g[j]) for j in set(range(m)) - set(cols)]
                )
                best = min(best, worst)
    affine = max(np.max(np.abs(cf.linear - cg.linear)), abs(cf.offset - cg.offset))
    return max(best, affine)


def test_canonical_distance_is_the_best_matching():
    for seed in range(4):
        f = random_shallow_relu(3, 2, random_state=100 + seed)
        g = random_shallow_relu(4, 2, random_state=200 + seed)
        cf, cg = canonicalize(f), canonicalize(g)
        expected = _brute_force_matching_distance(
            cf, cg, lambda u: max(np.max(np.abs(u[:2])), abs(u[-1]))
        )
        assert canonical_distance(f, g) == pytest.approx(expected, rel=1e-14)
        cf, cg = canonicalize(f, gauge="norm"), canonicalize(g, gauge="norm")
        expected = _brute_force_matching_distance(cf, cg, lambda u: abs(u[-1]))
        assert canonical_distance(f, g, gauge="norm") == pytest.approx(
            expected, rel=1e-14
        )


def test_spike_is_close_in_sup_norm_but_not_in_canonical_coordinates():
    zero = net(np.zeros((0, 1)), [], [])
    for n in [4, 16, 64]:
        w = 1.0 / n**2
        spike = net([1, 1, 1], [w, 0, -w], [n, -2 * n, n])
        sup, slope = w1inf_distance(spike, zero, parts=True)
        assert sup == pytest.approx(1 / n, rel=1e-9)
        assert max(sup, slope) == pytest.approx(n, rel=1e-9)
        assert canonical_distance(spike, zero) == pytest.approx(
            np.sqrt(2 * n), rel=1e-12
        )


# --------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------


def test_bad_input_names_the_argument():
    f = net([1.0, 2.0], [0.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="biases"):
        net([1.0, 2.0], [0.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="outputs"):
        net([1.0, 2.0], [0.0, 1.0], [1.0, np.nan])
    with pytest.raises(ValueError, match="linear"):
        net([1.0], [0.0], [1.0], linear=[1.0, 2.0])
    with pytest.raises(ValueError, match="offset"):
        net([1.0], [0.0], [1.0], offset=np.inf)
    with pytest.raises(ValueError, match="x"):
        f(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="scales"):
        rescale_units(f, [1.0, -1.0])
    with pytest.raises(ValueError, match="permutation"):
        permute_units(f, [0, 0])
    with pytest.raises(ValueError, match="g"):
        parameter_distance(f, net([1.0], [0.0], [1.0]))
    with pytest.raises(ValueError, match="high"):
        w1inf_norm(f, low=1.0, high=-1.0)
    with pytest.raises(ValueError, match="n_lines"):
        w1inf_norm(f, n_lines=1)
    with pytest.raises(ValueError, match="gauge"):
        canonicalize(f, gauge="weights")
    with pytest.raises(ValueError, match="omega"):
        fix_incoming_norm(f, omega=0.0)
    with pytest.raises(ValueError, match="random_state"):
        random_shallow_relu(3, random_state="seed")
    with pytest.raises(ValueError, match="f must be a ShallowReLU"):
        w1inf_distance(np.zeros(3), f)


def test_random_networks_are_reproducible_and_non_degenerate():
    f = random_shallow_relu(20, 3, low=-2, high=[1, 2, 3], random_state=9)
    g = random_shallow_relu(
        20, 3, low=-2, high=[1, 2, 3], random_state=np.random.default_rng(9)
    )
    np.testing.assert_array_equal(f.parameters(), g.parameters())
    assert np.all(unit_status(f, low=-2, high=[1, 2, 3]) == "kink")
