"""Analytic training of a two-layer (leaky) ReLU network (after Barbu 2023,
reconstructed).

The network, with the bias absorbed by appending a constant 1 to each input
(``x~ = [x, 1]``), is

    f(x) = sum_j w_j sigma(v_j . x~) + w_0,      sigma(z) = max(z, leak * z),  0 <= leak
    < 1.

Its parameters are held as a list ``[V, w]``: ``V`` of shape ``(n_hidden, n_features +
1)`` (row ``j`` is ``v_j``, its last entry the hidden bias) and ``w`` of shape
``(n_hidden + 1,)`` (the last entry is the output bias ``w_0``). The same list is what
the Adam baseline of
:mod:`lossless_tutorial.related.gradient` trains.

The **activation pattern** ``D[i, j] = 1 if v_j . x~_i > 0 else leak`` turns the network
into a bilinear function: ``sigma(v_j . x~_i) = D[i, j] v_j . x~_i``. With ``D`` frozen,

- the output layer is a linear least-squares problem in ``w`` (design matrix
  :func:`output_design`, solved by :func:`solve_output_layer`), and
- the hidden layer is a linear least-squares problem in all of ``V`` at once (design
  matrix :func:`hidden_design`, solved by :func:`solve_hidden_layer`).

In data space (one coordinate per training item) the hidden solve is the orthogonal
projection of ``y`` onto the affine set ``{Z theta + w_0 : theta}``, ``Z`` the hidden
design matrix: a projection, as in RRR, but onto the piece of one frozen pattern.

:func:`fit_analytic` alternates the two exact solves. The hidden solve is the optimum of
the *true* loss only while the pattern it produces equals the frozen one; when the
pattern changes the true loss can rise, so a backtracking safeguard moves only part of
the way. The paper's abstract fixes the idea (a closed-form critical point for one layer
with the other layer and the pattern frozen); the safeguard, the rescaling of units
(:func:`balance`), the stopping rule and the ridge are our reconstruction, not the
paper's published rules.

The loss everywhere is the training mean squared error ``mean((f(x_i) - y_i)**2)``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .._validation import (
    as_float_array,
    check_nonnegative_int,
    check_positive,
    check_random_state,
    check_regression_data,
)
from .gradient import Trace

__all__ = [
    "AnalyticTrace",
    "activation_pattern",
    "augment",
    "balance",
    "fit_analytic",
    "hidden_design",
    "init_params",
    "leaky_relu",
    "make_loss_and_grad",
    "mse",
    "output_design",
    "predict",
    "solve_hidden_layer",
    "solve_output_layer",
    "teacher_student",
]


# ----------------------------------------------------------------------------- checks


def _check_leak(leak):
    leak = check_positive("leak", leak, allow_zero=True)
    if leak >= 1:
        raise ValueError(f"leak must be in [0, 1), got {leak!r}")
    return leak


def _check_X(X):
    X = as_float_array("X", X, ndim=2)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(
            f"X must have at least one row and one column, got shape {X.shape}"
        )
    return X


def _pre_activations(X, V):
    """``X~ V^T`` after checking that V has a column per feature plus one (the bias)."""
    Xt = augment(X)
    V = as_float_array("V", V, ndim=2)
    if V.shape[1] != Xt.shape[1]:
        raise ValueError(
            f"V must have n_features + 1 = {Xt.shape[1]} columns, got {V.shape[1]}"
        )
    return Xt @ V.T


def _check_params(params, n_features=None):
    try:
        V, w = params
    except (TypeError, ValueError):
        raise ValueError("params must be a pair [V, w]") from None
    V = as_float_array("V", V, ndim=2)
    w = as_float_array("w", w, ndim=1)
    if w.shape[0] != V.shape[0] + 1:
        raise ValueError(
            f"w must have n_hidden + 1 = {V.shape[0] + 1} entries (the last is "
            f"the output bias), got {w.shape[0]}"
        )
    if n_features is not None and V.shape[1] != n_features + 1:
        raise ValueError(
            f"V must have n_features + 1 = {n_features + 1} columns (the last "
            f"is the hidden bias), got {V.shape[1]}"
        )
    return V, w


# ------------------------------------------------------------------------ the network
def leaky_relu(z, leak: float = 0.1):
    """``sigma(z) = max(z, leak * z)`` for ``0 <= leak < 1`` (``leak = 0``: plain
    ReLU)."""
    leak = _check_leak(leak)
    z = np.asarray(z, dtype=np.float64)
    return np.maximum(z, leak * z)


def augment(X):
    """Append a column of ones: ``x~ = [x, 1]``, so that biases become weights."""
    X = _check_X(X)
    return np.hstack([X, np.ones((X.shape[0], 1))])


def init_params(n_features: int, n_hidden: int, *, random_state=None) -> list:
    """Random parameters ``[V, w]``: ``V ~ N(0, 1/(n_features+1))`` entrywise (bias
    column included), ``w[:n_hidden] ~ N(0, 1/n_hidden)`` and output bias ``w_0 =
    0``."""
    n_features = check_nonnegative_int("n_features", n_features, minimum=1)
    n_hidden = check_nonnegative_int("n_hidden", n_hidden, minimum=1)
    rng = check_random_state(random_state)
    V = rng.normal(scale=1.0 / np.sqrt(n_features + 1), size=(n_hidden, n_features + 1))
    w = np.append(rng.normal(scale=1.0 / np.sqrt(n_hidden), size=n_hidden), 0.0)
    return [V, w]


def activation_pattern(X, V, *, leak: float = 0.1):
    """The pattern ``D`` of shape ``(n, n_hidden)``: ``D[i, j] = 1`` where unit ``j`` is
    on for item ``i`` (``v_j . x~_i > 0``) and ``leak`` where it is off, so that
    ``sigma(v_j . x~_i) = D[i, j] * (v_j . x~_i)``."""
    leak = _check_leak(leak)
    return np.where(_pre_activations(X, V) > 0, 1.0, leak)


def predict(params, X, *, leak: float = 0.1):
    """Network output ``f(x_i)`` for every row ``x_i`` of ``X``."""
    leak = _check_leak(leak)
    Xt = augment(X)
    V, w = _check_params(params, Xt.shape[1] - 1)
    return leaky_relu(Xt @ V.T, leak) @ w[:-1] + w[-1]


def mse(params, X, y, *, leak: float = 0.1) -> float:
    """Training loss: the mean squared error ``mean((f(x_i) - y_i)**2)``."""
    X, y = check_regression_data(X, y)
    return float(np.mean((predict(params, X, leak=leak) - y) ** 2))


def make_loss_and_grad(X, y, *, leak: float = 0.1):
    """The loss and its gradient for the gradient baselines.

    Returns ``loss_and_grad(params) -> (mse, [dmse/dV, dmse/dw])`` in the form that
    :func:`lossless_tutorial.related.gradient.adam` expects (backpropagation through one
    hidden layer; at a kink ``z = 0`` the slope ``leak`` is used).
    """
    X, y = check_regression_data(X, y)
    leak = _check_leak(leak)
    Xt = augment(X)
    n = Xt.shape[0]

    def loss_and_grad(params):
        V, w = params
        Z = Xt @ V.T
        D = np.where(Z > 0, 1.0, leak)
        H = D * Z
        residual = H @ w[:-1] + w[-1] - y
        dout = (2.0 / n) * residual
        grad_w = np.append(H.T @ dout, dout.sum())
        grad_V = ((dout[:, None] * w[:-1]) * D).T @ Xt
        return float(np.mean(residual**2)), [grad_V, grad_w]

    return loss_and_grad


# --------------------------------------------------------------- the two layer solves
def output_design(X, V, *, leak: float = 0.1):
    """Design matrix of the output layer, ``[sigma(X~ V^T), 1]`` of shape
    ``(n, n_hidden + 1)``: the network output is ``output_design(X, V) @ w``."""
    leak = _check_leak(leak)
    H = leaky_relu(_pre_activations(X, V), leak)
    return np.hstack([H, np.ones((H.shape[0], 1))])


def hidden_design(X, w, pattern):
    """Design matrix of the hidden layer with the pattern frozen.

    Row ``i`` is ``[w_1 D[i,1] x~_i, ..., w_h D[i,h] x~_i]`` (shape
    ``(n, n_hidden * (n_features + 1))``), so that with ``theta = V.ravel()`` (the rows
    ``v_j`` one after another) the network output is ``hidden_design(X, w, D) @ theta +
    w_0`` for every ``V`` whose pattern is ``D``.
    """
    Xt = augment(X)
    w = as_float_array("w", w, ndim=1)
    D = as_float_array("pattern", pattern, ndim=2)
    if D.shape != (Xt.shape[0], w.shape[0] - 1):
        raise ValueError(
            f"pattern must have shape (n, n_hidden) = "
            f"{(Xt.shape[0], w.shape[0] - 1)}, got {D.shape}"
        )
    return ((D * w[:-1])[:, :, None] * Xt[:, None, :]).reshape(Xt.shape[0], -1)


_SOLVERS = ("lstsq", "normal")


def _check_solver(solver):
    if solver not in _SOLVERS:
        raise ValueError(f"solver must be one of {_SOLVERS}, got {solver!r}")
    return solver


def _least_squares(A, b, ridge, solver):
    """``argmin_theta (1/n) |A theta - b|^2 + ridge |theta|^2``.

    ``"lstsq"``: SVD-based solve of the stacked system ``[A; sqrt(n ridge) I] theta =
    [b; 0]`` (minimum-norm solution when ``ridge = 0`` and ``A`` is rank deficient);
    accurate to machine precision. ``"normal"``: the normal equations ``(A^T A + n ridge
    I) theta = A^T b`` by an LU solve, several times faster but with the condition
    number squared (falls back to ``"lstsq"`` if the matrix is singular).
    """
    n, p = A.shape
    if solver == "normal":
        gram = A.T @ A
        gram[np.diag_indices(p)] += n * ridge
        try:
            return np.linalg.solve(gram, A.T @ b)
        except np.linalg.LinAlgError:
            pass
    if ridge > 0:
        A = np.vstack([A, np.sqrt(n * ridge) * np.eye(p)])
        b = np.concatenate([b, np.zeros(p)])
    return np.linalg.lstsq(A, b, rcond=None)[0]


def solve_output_layer(
    X, y, V, *, leak: float = 0.1, ridge: float = 0.0, solver: str = "lstsq"
):
    """Exact output layer for fixed hidden weights ``V``.

    Solves ``min_w (1/n) |H~ w - y|^2 + ridge |w|^2`` with ``H~ = output_design(X, V)``,
    i.e. the normal equations ``(H~^T H~ + n ridge I) w = H~^T y`` (``solver``: see
    :func:`fit_analytic`). No pattern is involved: for fixed ``V`` the network is linear
    in ``w``, so this is the global optimum over ``w``. Returns ``w`` of shape
    ``(n_hidden + 1,)``.
    """
    X, y = check_regression_data(X, y)
    ridge = check_positive("ridge", ridge, allow_zero=True)
    return _least_squares(
        output_design(X, V, leak=leak), y, ridge, _check_solver(solver)
    )


def solve_hidden_layer(X, y, w, pattern, *, ridge: float = 0.0, solver: str = "lstsq"):
    """Exact hidden layer for fixed output weights ``w`` and a frozen pattern ``D``.

    Solves ``min_V (1/n) |Z theta - (y - w_0)|^2 + ridge |theta|^2`` with
    ``Z = hidden_design(X, w, D)`` and ``theta = V.ravel()``: all ``n_hidden`` rows of
    ``V`` in one system of size ``n_hidden * (n_features + 1)``. Returns ``V`` of shape
    ``(n_hidden, n_features + 1)``. The result is the optimum of the true loss only if
    the pattern of the returned ``V`` is still ``D``; :func:`fit_analytic` guards the
    rest.
    """
    X, y = check_regression_data(X, y)
    ridge = check_positive("ridge", ridge, allow_zero=True)
    w = as_float_array("w", w, ndim=1)
    Z = hidden_design(X, w, pattern)
    theta = _least_squares(Z, y - w[-1], ridge, _check_solver(solver))
    return theta.reshape(len(w) - 1, X.shape[1] + 1)


def balance(params):
    """Rescale each hidden unit so that ``|w_j| = |v_j|`` without changing the function.

    sigma is positively homogeneous, so ``(v_j, w_j) -> (s v_j, w_j / s)`` with ``s >
    0`` leaves the network output and the activation pattern unchanged; the choice ``s_j
    = sqrt(|w_j| / |v_j|)`` fixes this gauge freedom (units with ``v_j = 0`` or ``w_j =
    0`` are left as they are). Returns new ``[V, w]``.
    """
    V, w = _check_params(params)
    norms = np.linalg.norm(V, axis=1)
    ok = (norms > 0) & (w[:-1] != 0)
    scale = np.ones_like(norms)
    scale[ok] = np.sqrt(np.abs(w[:-1][ok]) / norms[ok])
    return [V * scale[:, None], np.append(w[:-1] / scale, w[-1])]


# ------------------------------------------------------------------- the alternation
@dataclass
class AnalyticTrace(Trace):
    """History of :func:`fit_analytic`; a
    :class:`~lossless_tutorial.related.gradient.Trace` (so ``loss_at`` and ``time_to``
    work as for Adam) with one record per outer iteration.

    Besides ``params``, ``times``, ``losses`` and ``steps`` (``steps`` counts outer
    iterations; record 0 is the start, after the first output solve):

    Attributes
    ----------
    step_sizes : the fraction ``t`` of the hidden-layer move that was taken (1 = the
    full
        exact solve; ``nan`` at the start).
    pattern_flips : how many entries of the activation pattern changed in the iteration.
    n_solves : hidden-layer solves and output-layer solves performed in all (a
        machine-independent measure of work).
    status : ``"converged"`` (relative decrease at most ``tol``, or zero loss),
        ``"stalled"`` (the safeguard found no decreasing step down to ``min_step``; the
        parameters are those of the last accepted iterate), ``"max_iter"``,
        ``"time_budget"`` or ``"diverged"`` (a non-finite loss, possible only without
        the safeguard).
    """

    step_sizes: np.ndarray
    pattern_flips: np.ndarray
    n_solves: tuple
    status: str

    @property
    def n_iter(self) -> int:
        """Accepted outer iterations."""
        return int(self.steps[-1])


def fit_analytic(
    X,
    y,
    n_hidden: int,
    *,
    leak: float = 0.1,
    max_iter: int = 100,
    ridge: float = 1e-12,
    solver: str = "normal",
    safeguard: bool = True,
    balanced: bool = True,
    tol: float = 1e-12,
    min_step: float = 1e-4,
    init=None,
    time_budget: float | None = None,
    random_state=None,
) -> AnalyticTrace:
    """Train a two-layer leaky-ReLU network by alternating exact layer solves.

    Minimises the training MSE of ``f(x) = sum_j w_j sigma(v_j . x~) + w_0``. Start from
    ``V`` (``init[0]`` if given, else :func:`init_params` with ``random_state``) and the
    exact output layer for it. Each outer iteration then

    1. freezes the pattern ``D`` of the current ``V`` and solves the hidden layer
       exactly (:func:`solve_hidden_layer`), giving ``V*``;
    2. tries ``V_t = V + t (V* - V)`` for ``t = 1, 1/2, 1/4, ...``: for each it
       re-solves the output layer exactly (:func:`solve_output_layer`) and evaluates the
       true loss, accepting the first ``t`` whose loss is strictly below the current
       one. With ``safeguard=False`` the full step ``t = 1`` is always taken, and the
       loss can rise when the pattern changes;
    3. if ``balanced``, rescales the units with :func:`balance` (same function, better
       conditioned solves).

    With the safeguard the recorded loss is strictly decreasing. There is no learning
    rate: ``t = 1`` is taken whenever the pattern change does not hurt. The safeguard,
    balancing and the stopping rule are our reconstruction of Barbu (2023), whose exact
    rules we have not seen. Stops when the relative decrease ``(L_old - L_new) / L_old``
    is at most ``tol``, when no step down to ``min_step`` decreases the loss, after
    ``max_iter`` iterations or once ``time_budget`` seconds have passed.

    Parameters
    ----------
    X, y : training inputs ``(n, n_features)`` and targets ``(n,)``.
    n_hidden : number of hidden units ``h``.
    leak : slope ``alpha`` of sigma for negative input (0: plain ReLU).
    ridge : ``lambda`` of the term ``lambda |theta|^2`` added to the mean squared error
    in
        both layer solves. The default ``1e-12`` only keeps the normal equations
        invertible; 0 gives plain least squares (minimum-norm if rank deficient).
    solver : ``"normal"`` (the default: normal equations, several times faster than
        ``"lstsq"`` but with the condition number squared, so losses bottom out near
        1e-12 to 1e-20 instead of 1e-30 on exactly solvable data) or ``"lstsq"``
        (SVD-based, accurate to machine precision; use it with ``ridge=0``).
    init : optional starting parameters ``[V, w]`` (``w`` is ignored: it is solved for).
    random_state : int, numpy Generator or None; used only when ``init`` is None.

    Returns
    -------
    AnalyticTrace holding the final parameters ``[V, w]`` and the history.
    """
    X, y = check_regression_data(X, y)
    n_hidden = check_nonnegative_int("n_hidden", n_hidden, minimum=1)
    leak = _check_leak(leak)
    max_iter = check_nonnegative_int("max_iter", max_iter)
    ridge = check_positive("ridge", ridge, allow_zero=True)
    solver = _check_solver(solver)
    tol = check_positive("tol", tol, allow_zero=True)
    min_step = check_positive("min_step", min_step)
    if min_step > 1:
        raise ValueError(f"min_step must be <= 1, got {min_step!r}")
    if time_budget is not None:
        time_budget = check_positive("time_budget", time_budget)
    if init is None:
        V = init_params(X.shape[1], n_hidden, random_state=random_state)[0]
    else:
        V, _ = _check_params(init, X.shape[1])
        if V.shape[0] != n_hidden:
            raise ValueError(
                f"init must have n_hidden = {n_hidden} hidden units, got {V.shape[0]}"
            )
        V = V.copy()

    start = time.perf_counter()
    Xt = augment(X)
    ones = np.ones((Xt.shape[0], 1))
    n_hidden_solves = n_output_solves = 0

    def output_solve(V):
        nonlocal n_output_solves
        n_output_solves += 1
        H = leaky_relu(Xt @ V.T, leak)
        w = _least_squares(np.hstack([H, ones]), y, ridge, solver)
        return w, float(np.mean((H @ w[:-1] + w[-1] - y) ** 2))

    w, loss = output_solve(V)
    times, losses, steps = [time.perf_counter() - start], [loss], [0]
    step_sizes, flips = [np.nan], [0]
    status = "max_iter"
    for iteration in range(1, max_iter + 1):
        pattern = np.where(Xt @ V.T > 0, 1.0, leak)
        Z = ((pattern * w[:-1])[:, :, None] * Xt[:, None, :]).reshape(Xt.shape[0], -1)
        target = _least_squares(Z, y - w[-1], ridge, solver).reshape(V.shape)
        n_hidden_solves += 1
        t = 1.0
        while True:
            V_t = V + t * (target - V)
            w_t, loss_t = output_solve(V_t)
            if not safeguard or loss_t < loss:
                break
            t /= 2
            if t < min_step:
                t = None
                break
        if t is None:
            status = "stalled"
            break
        flipped = int(np.count_nonzero(np.where(Xt @ V_t.T > 0, 1.0, leak) != pattern))
        decrease, loss_old = loss - loss_t, loss
        V, w, loss = V_t, w_t, loss_t
        if balanced:
            V, w = balance([V, w])
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        losses.append(loss)
        steps.append(iteration)
        step_sizes.append(t)
        flips.append(flipped)
        if not np.isfinite(loss):
            status = "diverged"
            break
        if loss == 0 or abs(decrease) <= tol * loss_old:
            status = "converged"
            break
        if time_budget is not None and elapsed >= time_budget:
            status = "time_budget"
            break
    return AnalyticTrace(
        [V, w],
        np.array(times),
        np.array(losses),
        np.array(steps),
        np.array(step_sizes),
        np.array(flips),
        (n_hidden_solves, n_output_solves),
        status,
    )


# ---------------------------------------------------------------------------- data
def teacher_student(
    n_samples: int,
    n_features: int,
    n_teacher: int,
    *,
    noise: float = 0.0,
    random_state=None,
):
    """Regression data from a random two-layer ReLU *teacher* network.

    Inputs ``x_i ~ N(0, I)``; the teacher has ``n_teacher`` plain ReLU units with
    weights, biases and output weights drawn from ``N(0, 1)``; its outputs are
    standardised to mean 0 and variance 1, then Gaussian noise of standard deviation
    ``noise`` is added. Returns ``(X, y)`` of shapes ``(n_samples, n_features)`` and
    ``(n_samples,)``. A student with leak > 0 and at least ``n_teacher + 2`` units can
    fit the noise-free data exactly (two opposite leaky units make any linear term).
    """
    n_samples = check_nonnegative_int("n_samples", n_samples, minimum=2)
    n_features = check_nonnegative_int("n_features", n_features, minimum=1)
    n_teacher = check_nonnegative_int("n_teacher", n_teacher, minimum=1)
    noise = check_positive("noise", noise, allow_zero=True)
    rng = check_random_state(random_state)
    X = rng.normal(size=(n_samples, n_features))
    U = rng.normal(size=(n_teacher, n_features + 1))
    a = rng.normal(size=n_teacher)
    y = np.maximum(augment(X) @ U.T, 0.0) @ a
    std = y.std()
    if std == 0:
        raise ValueError(
            "the teacher drawn with this random_state is constant on X; "
            "choose another random_state or more samples"
        )
    y = (y - y.mean()) / std + noise * rng.normal(size=n_samples)
    return X, y
