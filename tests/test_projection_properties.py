"""Property tests (hypothesis): shapes, broadcasting, membership and idempotence of the
projections on arbitrary inputs, including extreme magnitudes and degenerate vectors."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from lossless_tutorial import projections as P

# Magnitudes from 1e-100 to 1e3 and exact zeros: squares stay normal floating-point
# numbers (the documented range of the bilinear projection's accuracy).
finite = st.one_of(st.just(0.0), st.floats(1e-100, 1e3), st.floats(-1e3, -1e-100))


@st.composite
def bilinear_problems(draw):
    batch = draw(array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=4))
    n = draw(st.integers(1, 6))
    axis = draw(st.integers(0, len(batch)))
    shape = batch[:axis] + (n,) + batch[axis:]
    x = draw(arrays(np.float64, shape, elements=finite))
    w_kind = draw(st.sampled_from(["free", "equal", "opposite", "zero"]))
    w = {
        "free": draw(arrays(np.float64, shape, elements=finite)),
        "equal": x.copy(),
        "opposite": -x,
        "zero": np.zeros(shape),
    }[w_kind]
    y = draw(arrays(np.float64, batch, elements=finite))
    g2 = draw(st.one_of(st.just(np.inf), st.floats(0.05, 100.0)))
    omega = draw(st.floats(0.1, 10.0))
    return x, w, y, g2, omega, axis


@given(bilinear_problems())
def test_bilinear_shapes_membership_idempotence(problem):
    x, w, y, g2, omega, axis = problem
    xn, wn, yn = P.project_bilinear(x, w, y, omega=omega, g2=g2, axis=axis)
    assert xn.shape == x.shape and wn.shape == w.shape and yn.shape == y.shape
    assert (
        np.all(np.isfinite(xn)) and np.all(np.isfinite(wn)) and np.all(np.isfinite(yn))
    )
    # Tolerances relative to the problem's own scale (no "1 +"), so tiny inputs count.
    dot = np.sum(xn * wn, axis=axis)
    scale = np.sum(xn * xn + wn * wn, axis=axis) + omega * (np.abs(yn) + np.abs(y))
    assert np.all(np.abs(dot - omega * yn) <= 1e-12 * scale)
    x2, w2, y2 = P.project_bilinear(xn, wn, yn, omega=omega, g2=g2, axis=axis)
    size = np.max(np.abs(np.concatenate([xn.ravel(), wn.ravel()])), initial=0)
    assert np.max(np.abs(x2 - xn), initial=0) <= 1e-9 * size
    assert np.max(np.abs(w2 - wn), initial=0) <= 1e-9 * size


@st.composite
def node_problems(draw):
    shape = draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    return tuple(draw(arrays(np.float64, shape, elements=finite)) for _ in range(3))


@given(node_problems(), st.floats(0.01, 5.0))
def test_activation_sets_membership(values, gap):
    x, y, b = values
    xr, yr, br = P.project_relu(x, y, b)
    assert np.allclose(xr, np.maximum(yr - br, 0), atol=1e-9, rtol=1e-12)
    xs, ys, bs = P.project_step_gap(x, y, b, gap=gap)
    zs = ys - bs
    assert np.all(
        ((xs == 0) & (zs <= -gap / 2 + 1e-9)) | ((xs == 1) & (zs >= gap / 2 - 1e-9))
    )
    xz, yz, bz = P.project_zigmoid(x, y, b, gap=gap)
    assert np.allclose(xz, np.clip((yz - bz) / gap + 0.5, 0, 1), atol=1e-9)
    for yy, bb in ((yr, br), (ys, bs), (yz, bz)):
        assert np.allclose(yy + bb, y + b, atol=1e-9, rtol=1e-12)


@given(node_problems())
def test_activation_broadcasting(values):
    x, y, b = values
    xn, yn, bn = P.project_relu(x, y[..., :1], 0.0)
    assert (
        xn.shape
        == yn.shape
        == bn.shape
        == np.broadcast_shapes(x.shape, y[..., :1].shape)
    )


@given(
    arrays(
        np.float64,
        array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5),
        elements=finite,
    ),
    st.floats(0.1, 10.0),
)
def test_norm_projections_membership(w, omega):
    for project, nonnegative in (
        (P.project_norm, False),
        (P.project_nonnegative_norm, True),
    ):
        out = project(w, omega=omega, axis=-1)
        assert out.shape == w.shape
        np.testing.assert_allclose(np.linalg.norm(out, axis=-1), omega, rtol=1e-12)
        if nonnegative:
            assert np.all(out >= 0)
        np.testing.assert_allclose(project(out, omega=omega), out, atol=1e-12 * omega)


@given(
    arrays(
        np.float64,
        array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6),
        elements=finite,
    ),
    st.integers(0, 7),
)
def test_sparse_membership(x, n_nonzero):
    out = P.project_sparse_nonnegative(x, n_nonzero=n_nonzero)
    assert out.shape == x.shape and np.all(out >= 0)
    assert np.all(np.count_nonzero(out, axis=-1) <= n_nonzero)
    np.testing.assert_array_equal(
        P.project_sparse_nonnegative(out, n_nonzero=n_nonzero), out
    )


@given(st.integers(1, 6), st.integers(2, 5), st.floats(0.0, 2.0), st.data())
def test_class_margin_membership(n_items, n_classes, delta, data):
    y = data.draw(arrays(np.float64, (n_items, n_classes), elements=finite))
    b = data.draw(arrays(np.float64, (n_items, n_classes), elements=finite))
    labels = np.array(
        data.draw(
            st.lists(st.integers(0, n_classes - 1), min_size=n_items, max_size=n_items)
        )
    )
    yn, bn = P.project_class_margin(y, b, labels, delta=delta)
    z = yn - bn
    correct = np.arange(n_classes) == labels[:, None]
    assert np.all(z[correct] >= delta - 1e-9) and np.all(z[~correct] <= 1e-9)
