"""Full-batch gradient baselines (Adam and plain gradient descent) with a wall-time
trace.

The related methods of the book are compared with gradient training on equal wall time.
Both optimizers here minimise ``loss(params)`` over a list of float arrays, given a
function that returns the loss and the list of its gradients, and record the loss
against elapsed time so that curves of different methods can be drawn on one axis.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .._validation import check_nonnegative_int, check_positive

__all__ = ["Trace", "adam", "gradient_descent"]

LossAndGrad = Callable[[list], tuple]


@dataclass
class Trace:
    """Loss against wall time of one training run.

    Attributes
    ----------
    params : the final parameters (list of arrays).
    times : seconds since the start at each record (the first record is the start).
    losses : the loss at each record.
    steps : the step count at each record.
    """

    params: list
    times: np.ndarray
    losses: np.ndarray
    steps: np.ndarray

    def loss_at(self, seconds: float) -> float:
        """The last recorded loss at or before ``seconds`` of wall time."""
        index = np.searchsorted(self.times, seconds, side="right") - 1
        return float(self.losses[max(index, 0)])

    def time_to(self, loss: float) -> float:
        """Seconds until the loss first fell to ``loss`` or below (``inf`` if never)."""
        below = np.flatnonzero(self.losses <= loss)
        return float(self.times[below[0]]) if below.size else float("inf")


def _run(loss_and_grad, params, update, max_steps, time_budget, record_every):
    params = [np.array(p, dtype=np.float64) for p in params]
    max_steps = check_nonnegative_int("max_steps", max_steps)
    record_every = check_nonnegative_int("record_every", record_every, minimum=1)
    if time_budget is not None:
        time_budget = check_positive("time_budget", time_budget)
    start = time.perf_counter()
    loss, grads = loss_and_grad(params)
    times, losses, steps = [0.0], [float(loss)], [0]
    for step in range(1, max_steps + 1):
        update(step, params, grads)
        loss, grads = loss_and_grad(params)
        elapsed = time.perf_counter() - start
        out_of_time = time_budget is not None and elapsed >= time_budget
        if step % record_every == 0 or out_of_time or step == max_steps:
            times.append(elapsed)
            losses.append(float(loss))
            steps.append(step)
        if out_of_time or not np.isfinite(loss):
            break
    return Trace(params, np.array(times), np.array(losses), np.array(steps))


def adam(
    loss_and_grad: LossAndGrad,
    params: Sequence,
    *,
    learning_rate: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    max_steps: int = 10_000,
    time_budget: float | None = None,
    record_every: int = 1,
) -> Trace:
    """Minimise with full-batch Adam (Kingma and Ba) until ``max_steps`` or
    ``time_budget``.

    ``loss_and_grad(params)`` returns ``(loss, [dloss/dp for p in params])``; ``params``
    is not modified (the result holds the trained copies).
    """
    learning_rate = check_positive("learning_rate", learning_rate)
    first = [np.zeros(np.shape(p)) for p in params]
    second = [np.zeros(np.shape(p)) for p in params]

    def update(step, params, grads):
        correction = np.sqrt(1 - beta2**step) / (1 - beta1**step)
        for p, g, m, v in zip(params, grads, first, second):
            m += (1 - beta1) * (g - m)
            v += (1 - beta2) * (g * g - v)
            p -= learning_rate * correction * m / (np.sqrt(v) + eps)

    return _run(loss_and_grad, params, update, max_steps, time_budget, record_every)


def gradient_descent(
    loss_and_grad: LossAndGrad,
    params: Sequence,
    *,
    learning_rate: float = 1e-2,
    max_steps: int = 10_000,
    time_budget: float | None = None,
    record_every: int = 1,
) -> Trace:
    """Minimise with full-batch gradient descent of fixed step ``learning_rate``."""
    learning_rate = check_positive("learning_rate", learning_rate)

    def update(step, params, grads):
        for p, g in zip(params, grads):
            p -= learning_rate * g

    return _run(loss_and_grad, params, update, max_steps, time_budget, record_every)
