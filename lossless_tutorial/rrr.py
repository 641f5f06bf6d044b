"""The RRR (relaxed-reflect-reflect) iteration, and alternating projections to compare.

RRR looks for a point in the intersection of two sets A and B given only the two
projections P_A and P_B (paper eq. 45):

    x  <-  x + beta * [ P_B(2 P_A(x) - x) - P_A(x) ].

P_A is applied first; the error of an iterate is the length of the bracket (the "flow
speed"), zero exactly at a fixed point, and the solution is read off as P_A of the
final iterate, never the iterate itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ._validation import (
    as_float_array,
    check_broadcasts_to,
    check_nonnegative_int,
    check_positive,
)

__all__ = ["RRRResult", "rrr", "alternating_projections", "make_error"]


@dataclass
class RRRResult:
    """Outcome of :func:`rrr` or :func:`alternating_projections`.

    Attributes
    ----------
    solution : P_A of the final iterate (the point of A that the search settled on).
    x : the final iterate; pass it as ``x0`` to resume the search.
    errors : one error per iteration, ``|P_B(...) - P_A(x)|`` in the problem's metric.
    converged : whether the error fell below ``tol``.
    n_iter : iterations performed.
    status : ``"converged"``, ``"max_iter"``, ``"stopped"`` (by the callback),
        ``"interrupted"`` (KeyboardInterrupt; what was done so far is kept) or
        ``"diverged"`` (the error became NaN or infinite; ``x`` is the last finite
        iterate).
    wall_time : seconds spent.
    """

    solution: np.ndarray
    x: np.ndarray
    errors: np.ndarray
    converged: bool
    n_iter: int
    status: str
    wall_time: float = field(default=0.0)

    def __repr__(self) -> str:
        last = f"{self.errors[-1]:.3g}" if self.errors.size else "n/a"
        return (
            f"RRRResult(status={self.status!r}, n_iter={self.n_iter}, "
            f"final error={last}, wall_time={self.wall_time:.3g} s)"
        )


def make_error(metric=None, shape=None) -> Callable[[np.ndarray], float]:
    """Turn a metric into the error function of a difference vector.

    ``metric`` is ``None`` (Euclidean norm), an array of nonnegative weights that
    broadcasts against the search vector of shape ``shape`` (error
    ``sqrt(sum(weights * diff**2))``; the weights are the paper's g^2, e.g. outdegrees),
    or a callable that takes the difference and returns the error.
    """
    if metric is None:
        return lambda diff: float(np.sqrt(np.vdot(diff, diff).real))
    if callable(metric):
        return metric
    weights = as_float_array("metric", metric)
    if np.any(weights < 0):
        raise ValueError("metric weights must be >= 0")
    if shape is not None:
        check_broadcasts_to("metric", weights.shape, shape, "the shape of x0")
    return lambda diff: float(np.sqrt(np.sum(weights * diff * diff)))


def _projector(name, project, shape):
    """Wrap a projection so that a result of the wrong shape raises a ValueError."""

    def checked(x):
        out = np.asarray(project(x))
        if out.shape != shape:
            raise ValueError(
                f"{name} must return an array of the iterate's shape {shape}, "
                f"got {out.shape}"
            )
        return out

    return checked


def _search(
    x0, project_a, project_b, update, *, max_iter, tol, metric, callback, progress, desc
):
    """Shared driver of RRR and AP: ``x, diff = update(x, P_A(x), P_B)`` until tol,
    max_iter or a stop; the error of an iteration is the length of ``diff``."""
    x = as_float_array("x0", x0).copy()
    max_iter = check_nonnegative_int("max_iter", max_iter)
    tol = check_positive("tol", tol, allow_zero=True)
    error = make_error(metric, x.shape)
    project_a = _projector("project_a", project_a, x.shape)
    project_b = _projector("project_b", project_b, x.shape)
    errors = []
    status = "max_iter"
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=max_iter, desc=desc, leave=False)
    start = time.perf_counter()
    try:
        for iteration in range(max_iter):
            new_x, diff = update(x, project_a(x), project_b)
            err = error(diff)
            if not np.isfinite(err):
                status = "diverged"
                break
            x = new_x
            errors.append(err)
            if bar is not None:
                bar.update()
                bar.set_postfix(error=f"{err:.3g}", refresh=False)
            stop = callback is not None and callback(iteration, x, err)
            if err < tol:
                status = "converged"
                break
            if stop:
                status = "stopped"
                break
    except KeyboardInterrupt:
        status = "interrupted"
    finally:
        if bar is not None:
            bar.close()
    errors = np.asarray(errors)
    return RRRResult(
        solution=project_a(x),
        x=x,
        errors=errors,
        converged=status == "converged",
        n_iter=errors.size,
        status=status,
        wall_time=time.perf_counter() - start,
    )


def rrr(
    x0,
    project_a,
    project_b,
    *,
    beta=1.0,
    max_iter=1000,
    tol=1e-10,
    metric=None,
    callback=None,
    progress=False,
):
    """Find a point of A ∩ B with the RRR iteration (paper eq. 45).

    Parameters
    ----------
    x0 : array
        Starting point (any shape; projections receive and return that shape).
    project_a, project_b : callable
        ``P_A(x)`` and ``P_B(x)``, nearest points of A and B in the problem's metric.
    beta : float
        The step parameter beta > 0 (1 is the Douglas-Rachford iteration).
    max_iter : int
        Iteration cap.
    tol : float
        Stop when the error of an iteration falls below ``tol``.
    metric : None, array or callable
        How the error ``P_B(2 P_A(x) - x) - P_A(x)`` is measured; see
        :func:`make_error`. Use the same metric as the projections.
    callback : callable, optional
        ``callback(iteration, x, error)`` after every iteration, the last one included,
        with the new iterate; return True to stop.
    progress : bool
        Show a progress bar.

    Returns
    -------
    RRRResult
        ``solution`` is P_A of the final iterate; ``x`` the final iterate (resume from
        it); ``errors`` one per iteration.
    """
    beta = check_positive("beta", beta)

    def update(x, p_a, project_b):
        diff = project_b(2.0 * p_a - x) - p_a
        return x + beta * diff, diff

    return _search(
        x0,
        project_a,
        project_b,
        update,
        max_iter=max_iter,
        tol=tol,
        metric=metric,
        callback=callback,
        progress=progress,
        desc="RRR",
    )


def alternating_projections(
    x0,
    project_a,
    project_b,
    *,
    max_iter=1000,
    tol=1e-10,
    metric=None,
    callback=None,
    progress=False,
):
    """Alternating projections ``x <- P_B(P_A(x))``, the simplest rival of RRR.

    The error of an iteration is ``|P_B(P_A(x)) - P_A(x)|``. Alternating projections
    converge for convex sets that meet, but stall at any pair of locally nearest points
    of non-convex sets, even when the sets do not meet there. Same arguments and result
    as :func:`rrr`.
    """

    def update(x, p_a, project_b):
        p_b = project_b(p_a)
        return p_b, p_b - p_a

    return _search(
        x0,
        project_a,
        project_b,
        update,
        max_iter=max_iter,
        tol=tol,
        metric=metric,
        callback=callback,
        progress=progress,
        desc="AP",
    )
