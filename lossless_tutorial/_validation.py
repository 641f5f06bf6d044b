"""Input checks shared by the public API: each raises ``ValueError`` naming the
argument."""

from __future__ import annotations

import numbers

import numpy as np


def check_positive(name: str, value, *, allow_zero: bool = False):
    """Return ``value`` as a float after checking it is a positive real number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return value


def check_nonnegative_int(name: str, value, *, minimum: int = 0) -> int:
    """Return ``value`` as an int after checking it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(value)


def as_float_array(name: str, value, *, finite: bool = True, ndim: int | None = None):
    """Convert ``value`` to a float64 array, checking that it is real, finite (unless
    ``finite=False``) and, if ``ndim`` is given, of that rank."""
    if np.iscomplexobj(value):
        raise ValueError(f"{name} must be real, got complex values")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of real numbers") from None
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-d array, got shape {array.shape}")
    if finite and not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def check_axis(name: str, axis, ndim: int) -> int:
    """Return ``axis`` normalised to a non-negative index into an array of rank
    ``ndim``."""
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}={axis} is out of range for an array of rank {ndim}")
    return int(axis) % ndim


def check_vector_axis(name: str, array, axis) -> int:
    """Normalise ``axis`` of ``array`` and check that the vectors along it are not
    empty."""
    axis = check_axis("axis", axis, array.ndim)
    if array.shape[axis] == 0:
        raise ValueError(
            f"{name} must have at least one entry along axis {axis}, "
            f"got shape {array.shape}"
        )
    return axis


def broadcast_shapes(names: tuple[str, ...], *shapes) -> tuple[int, ...]:
    """Broadcast shapes, raising a ``ValueError`` that names the arguments on
    failure."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        listing = ", ".join(f"{n} {tuple(s)}" for n, s in zip(names, shapes))
        raise ValueError(f"shapes do not broadcast together: {listing}") from None


def check_broadcasts_to(name: str, shape, target, target_name: str):
    """Check that an array of ``shape`` broadcasts to ``target`` without growing it."""
    try:
        ok = np.broadcast_shapes(tuple(shape), tuple(target)) == tuple(target)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(
            f"{name} must broadcast to {target_name} {tuple(target)}, "
            f"got shape {tuple(shape)}"
        )


def as_labels(name: str, labels, n_classes: int, shape: tuple[int, ...]):
    """Check integer class labels in ``0..n_classes-1`` with the given shape."""
    array = np.asarray(labels)
    if array.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        if not np.issubdtype(array.dtype, np.floating) or np.any(
            array != np.round(array)
        ):
            raise ValueError(f"{name} must hold integer class labels")
    array = array.astype(np.intp)
    if array.size and (array.min() < 0 or array.max() >= n_classes):
        raise ValueError(f"{name} must lie in 0..{n_classes - 1}")
    return array


def seed_from_random_state(random_state):
    """The seed behind ``random_state`` for a new numpy Generator: None, an int, or a
    Generator (returned as they are); a legacy ``numpy.random.RandomState`` (as
    scikit-learn passes) gives an int drawn from it, so the same RandomState state gives
    the same numbers."""
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**63 - 1, dtype=np.int64))
    if (
        isinstance(random_state, np.random.Generator)
        or random_state is None
        or (
            isinstance(random_state, numbers.Integral)
            and not isinstance(random_state, bool)
        )
    ):
        return random_state
    raise ValueError(
        f"random_state must be None, an int, a numpy Generator or a "
        f"RandomState, got {random_state!r}"
    )


def check_random_state(random_state) -> np.random.Generator:
    """A numpy Generator from ``random_state``: None (fresh entropy), an int seed, a
    Generator (returned as is, so a caller can share one stream) or a legacy RandomState
    (seeds a new Generator with a number drawn from it)."""
    seed = seed_from_random_state(random_state)
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def check_regression_data(X, y):
    """``X`` as a non-empty 2-d float array and ``y`` as a 1-d one with a value per
    row."""
    X = as_float_array("X", X, ndim=2)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(
            f"X must have at least one row and one column, got shape {X.shape}"
        )
    y = as_float_array("y", y, ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"y must have one entry per row of X ({X.shape[0]}), got {y.shape[0]}"
        )
    return X, y
