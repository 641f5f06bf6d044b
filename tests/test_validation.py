"""Bad input to the projections raises ValueError naming the argument."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lossless_tutorial import projections as P

x3, y2 = np.ones(3), np.zeros((2, 2))
CASES = [
    (lambda: P.project_consensus(np.ones((0, 2))), "z"),
    (lambda: P.project_consensus(x3, axis=2), "axis"),
    (lambda: P.project_norm(x3, omega=0.0), "omega"),
    (lambda: P.project_norm(x3, omega=-1.0), "omega"),
    (lambda: P.project_nonnegative_norm(x3, omega=np.inf), "omega"),
    (lambda: P.project_nonnegative_norm(x3, axis=1.5), "axis"),
    (lambda: P.project_bilinear(x3, np.ones(4), 1.0), "w"),
    (lambda: P.project_bilinear(x3, x3, 1.0, omega=0), "omega"),
    (lambda: P.project_bilinear(x3, x3, 1.0, g2=-1.0), "g2"),
    (lambda: P.project_bilinear(x3, x3, 1.0, g2=np.nan), "g2"),
    (lambda: P.project_bilinear(np.ones((2, 3)), np.ones((2, 3)), np.ones(3)), "y"),
    (lambda: P.project_bilinear(1.0, 1.0, 1.0), "x"),
    (lambda: P.project_bilinear(x3, x3, 1.0, max_iter=0), "max_iter"),
    (lambda: P.project_bilinear([["a"]], x3, 1.0), "x"),
    (lambda: P.project_relu(x3, np.ones(2), 0.0), "shapes"),
    (lambda: P.project_step_gap(x3, x3, x3, gap=-0.1), "gap"),
    (lambda: P.project_zigmoid(x3, x3, x3, gap=0.0), "gap"),
    (lambda: P.project_clamped(x3 * 0.5, x3, x3, activation="step", gap=0.2), "x"),
    (lambda: P.project_clamped(x3 * 2, x3, x3, activation="zigmoid", gap=0.2), "x"),
    (lambda: P.project_clamped(-x3, x3, x3, activation="relu"), "x"),
    (lambda: P.project_clamped(x3, x3, x3, activation="tanh"), "activation"),
    (lambda: P.project_class_margin(y2, y2, [0, 2], delta=0.1), "labels"),
    (lambda: P.project_class_margin(y2, y2, [0, 0.5], delta=0.1), "labels"),
    (lambda: P.project_class_margin(y2, y2, [0], delta=0.1), "labels"),
    (lambda: P.project_class_margin(y2, y2, [0, 1], delta=-0.1), "delta"),
    (lambda: P.project_class_margin(y2, np.zeros((2, 3)), [0, 1], delta=0.1), "b"),
    (
        lambda: P.project_class_margin(
            np.zeros((2, 1)), np.zeros((2, 1)), [0, 0], delta=0.1
        ),
        "y",
    ),
    (
        lambda: P.project_class_margin_exempt(y2, y2, [0, 1], delta=0.1, n_exempt=-1),
        "n_exempt",
    ),
    (lambda: P.project_relabel(y2, y2, [0, 1], delta=0.1, n_relabel=1.5), "n_relabel"),
    (
        lambda: P.project_false_positive(y2, y2, [0, 1], delta=0.1, n_allowed=-2),
        "n_allowed",
    ),
    (
        lambda: P.project_false_positive(
            np.zeros((2, 3)), np.zeros((2, 3)), [0, 1], delta=0.1, n_allowed=1
        ),
        "y",
    ),
    (lambda: P.project_sparse_nonnegative(x3, n_nonzero=-1), "n_nonzero"),
    # non-finite, complex and empty input
    (lambda: P.project_bilinear(x3 * np.nan, x3, 1.0), "x"),
    (lambda: P.project_bilinear(x3, x3 * np.inf, 1.0), "w"),
    (lambda: P.project_bilinear(x3, x3, np.nan), "y"),
    (
        lambda: P.project_bilinear(
            np.ones((2, 3)), np.ones((2, 3)), 1.0, g2=np.ones(3)
        ),
        "g2",
    ),
    (lambda: P.project_bilinear(np.ones((2, 0)), np.ones((2, 0)), np.ones(2)), "x"),
    (lambda: P.project_relu(x3, x3, [0.0, np.nan, 1.0]), "b"),
    (lambda: P.project_nonnegative(x3 * 1j), "x"),
    (lambda: P.project_norm(np.ones((2, 0))), "w"),
    (lambda: P.project_nonnegative_norm(np.ones((0, 2)), axis=0), "w"),
    (
        lambda: P.project_class_margin([[np.inf, 0.0]], [[0.0, 0.0]], [0], delta=0.1),
        "y",
    ),
]


@pytest.mark.parametrize("call, name", CASES)
def test_value_error_names_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"\b{re.escape(name)}\b"):
        call()
