"""Activation functions used at inference, matching the constraint sets of the
projections.

Training treats an activation as a set (the graph of ``x = f(z)``, possibly with a gap);
a trained network is evaluated with these ordinary functions of ``z = y - b``.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_positive

__all__ = ["relu", "step", "zigmoid"]


def relu(z):
    """``max(0, z)``."""
    return np.maximum(as_float_array("z", z, finite=False), 0.0)


def step(z):
    """The zero-gap step: 1 where ``z > 0``, else 0 (inference for gapped-step
    training)."""
    return (as_float_array("z", z, finite=False) > 0).astype(np.float64)


def zigmoid(z, *, gap):
    """0 below ``-gap/2``, a linear ramp to 1 across the gap, 1 above ``gap/2``.

    ``gap`` is the full width (the paper's Delta), as in
    :func:`lossless_tutorial.projections.project_zigmoid`.
    """
    gap = check_positive("gap", gap)
    return np.clip(as_float_array("z", z, finite=False) / gap + 0.5, 0.0, 1.0)
