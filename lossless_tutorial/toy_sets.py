"""Small constraint sets in the plane and in space, for learning how RRR behaves.

Each function is the projection onto one set, vectorized over the leading axes of ``x``
(points are along the last axis).
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_positive

__all__ = ["project_line", "project_circle", "project_points"]


def _points(x, dim_name, reference):
    x = as_float_array("x", x)
    if x.ndim < 1 or x.shape[-1] != reference.shape[-1]:
        raise ValueError(
            f"x must have points of dimension {reference.shape[-1]} along its "
            f"last axis (like {dim_name}), got shape {x.shape}"
        )
    return x


def project_line(x, point, direction):
    """Nearest point of the line ``point + t * direction`` (any dimension)."""
    point = as_float_array("point", point, ndim=1)
    direction = as_float_array("direction", direction, ndim=1)
    if direction.shape != point.shape or not np.any(direction):
        raise ValueError(
            "direction must be a nonzero vector of the same length as point"
        )
    x = _points(x, "point", point)
    unit = direction / np.linalg.norm(direction)
    return point + ((x - point) @ unit)[..., None] * unit


def project_circle(x, center, radius):
    """Nearest point of the circle (sphere) of ``radius`` around ``center``.

    The center itself is equidistant from the whole circle; it is sent to
    ``center + radius * e_1``.
    """
    center = as_float_array("center", center, ndim=1)
    radius = check_positive("radius", radius)
    x = _points(x, "center", center)
    offset = x - center
    norm = np.linalg.norm(offset, axis=-1, keepdims=True)
    first = np.zeros(center.shape)
    first[0] = 1.0
    unit = np.where(norm > 0, offset / np.where(norm > 0, norm, 1.0), first)
    return center + radius * unit


def project_points(x, points):
    """Nearest of a finite set of ``points`` (shape (n_points, dim)); first one on
    ties."""
    points = as_float_array("points", points, ndim=2)
    if points.shape[0] == 0:
        raise ValueError("points must hold at least one point")
    x = _points(x, "points", points[0])
    distance = np.sum((x[..., None, :] - points) ** 2, axis=-1)
    return points[np.argmin(distance, axis=-1)]
