"""Training by least-squares back-solving (after Khadilkar 2023, reconstructed).

A neuron's total input ``z = W a + b`` is linear in the activations ``a`` of the layer
below *and* in the layer's own weights. If we knew the **ideal** total input of every
neuron, training would be a sequence of linear least-squares problems. The ideal inputs
are found by working backwards from the target output:

1. forward pass with the current parameters;
2. backward pass: the output should be ``y``; for each layer, top to bottom, find the
   smallest change of the layer's inputs that produces the wanted change of its output
   (:func:`min_norm_back_solve`, a ridge-regularised minimum-norm solve), take a
   fraction ``step`` of it, keep it inside the activation's range and map it through the
   **inverse activation** (:func:`inverse_activation`): these are the ideal
   pre-activations of the layer below (:func:`ideal_pre_activations`);
3. forward pass: refit each layer, bottom to top, by one least-squares solve from its
   current inputs to its ideal pre-activations (:func:`fit_layer`,
   :func:`fit_to_targets`);
4. accept the new parameters if the training loss went down, otherwise shrink ``step``
   and retry (:func:`train_least_squares`).

The arXiv abstract of the paper fixes the idea (ideal pre-activations by working
backwards, then one linear regression per layer, alternating between parameters and
activations); the exact backward rule, the ridges, the clipping and the accept/shrink
step rule here are **our reconstruction**, not equations read in the paper.

The same two kinds of constraints -- the linear layer equations ``z = W a + b`` and the
activation ``a = sigma(z)`` -- can be handed to RRR instead of being enforced in turn.
:class:`OneHiddenLayerConstraints` writes them as two projections for a network with one
hidden layer, in the replicated-variable style of *Learning without loss* (the output
layer's equation is Elser's bilinear constraint, projected jointly in activations and
weights by :func:`lossless_tutorial.projections.project_bilinear`), and
:func:`project_activation_graph` is the projection onto the graph of an activation.

Conventions. Parameters are a flat list ``[W1, b1, W2, b2, ..., WL, bL]`` with
``Wl`` of shape ``(n_out, n_in)`` and ``bl`` of shape ``(n_out,)``; the last layer has
one unit and no activation (a scalar regression output); the same list is what
:func:`lossless_tutorial.related.gradient.adam` trains with :func:`make_loss_and_grad`.
Data are row-wise: ``X`` of shape ``(n, n_features)``, ``y`` of shape ``(n,)``, and a
layer's pre-activations are ``Z = A W^T + b`` of shape ``(n, n_out)``. The loss is the
training mean squared error ``mean((f(x_i) - y_i)**2)``.
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
from ..projections import project_bilinear
from .gradient import Trace

__all__ = [
    "ACTIVATIONS",
    "LeastSquaresTrace",
    "OneHiddenLayerConstraints",
    "activate",
    "fit_layer",
    "fit_to_targets",
    "forward",
    "ideal_pre_activations",
    "init_mlp",
    "inverse_activation",
    "least_squares_step",
    "make_loss_and_grad",
    "min_norm_back_solve",
    "mse",
    "predict",
    "project_activation_graph",
    "smooth_regression_task",
    "train_least_squares",
]

#: The invertible activations supported: ``tanh`` (range (-1, 1)), ``logistic``
#: (range (0, 1)) and ``leaky_relu`` (``max(z, alpha z)``, range all reals).
ACTIVATIONS = ("tanh", "logistic", "leaky_relu")


# ----------------------------------------------------------------------------- checks


def _check_activation(activation, alpha):
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    alpha = check_positive("alpha", alpha)
    if alpha >= 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    return activation, alpha


def _check_fraction(name, value, *, closed=False):
    """A number in (0, 1) (or (0, 1] with ``closed``)."""
    value = check_positive(name, value)
    if value > 1 or (value == 1 and not closed):
        raise ValueError(
            f"{name} must be in (0, 1{']' if closed else ')'}, got {value!r}"
        )
    return value


def _check_params(params, n_features=None):
    """The flat list [W1, b1, ..., WL, bL] as float arrays, with matching shapes."""
    if isinstance(params, np.ndarray) or len(params) == 0 or len(params) % 2:
        raise ValueError(
            "params must be a list [W1, b1, ..., WL, bL] of weight matrices "
            "and bias vectors"
        )
    out = []
    n_in = n_features
    for index in range(0, len(params), 2):
        layer = index // 2 + 1
        W = as_float_array(f"params[{index}] (W{layer})", params[index], ndim=2)
        b = as_float_array(f"params[{index + 1}] (b{layer})", params[index + 1], ndim=1)
        if b.shape[0] != W.shape[0]:
            raise ValueError(
                f"b{layer} must have {W.shape[0]} entries (one per row of "
                f"W{layer}), got {b.shape[0]}"
            )
        if n_in is not None and W.shape[1] != n_in:
            raise ValueError(
                f"W{layer} must have {n_in} columns (the width of the layer "
                f"below), got {W.shape[1]}"
            )
        n_in = W.shape[0]
        out += [W, b]
    if out[-1].shape[0] != 1:
        raise ValueError(
            f"the last layer must have one unit (scalar regression), got "
            f"{out[-1].shape[0]}"
        )
    return out


# ------------------------------------------------------------------------ activations
def _sigma(z, activation, alpha):
    if activation == "tanh":
        return np.tanh(z)
    if activation == "logistic":
        return 0.5 * (1.0 + np.tanh(0.5 * z))
    return np.maximum(z, alpha * z)


def _sigma_slope(z, activation, alpha):
    """sigma'(z) (at the kink of the leaky ReLU: alpha)."""
    if activation == "leaky_relu":
        return np.where(z > 0, 1.0, alpha)
    return _sigma_and_slopes(z, activation)[1]


def _sigma_and_slopes(t, activation):
    """sigma(t), sigma'(t) and sigma''(t) of a smooth activation, with one tanh."""
    if activation == "tanh":
        s = np.tanh(t)
        d1 = 1.0 - s * s
        return s, d1, -2.0 * s * d1
    s = 0.5 * (1.0 + np.tanh(0.5 * t))
    d1 = s * (1.0 - s)
    return s, d1, d1 * (1.0 - 2.0 * s)


def activate(z, activation: str = "tanh", *, alpha: float = 0.1):
    """The activation ``sigma(z)``: ``tanh``, ``logistic`` ``1/(1 + e^-z)`` or
    ``leaky_relu`` ``max(z, alpha z)`` with ``0 < alpha < 1``."""
    activation, alpha = _check_activation(activation, alpha)
    return _sigma(as_float_array("z", z), activation, alpha)


def _range_bounds(activation, clip):
    """The interval that the activations are clipped to: the central fraction ``clip``
    of the open range of a bounded activation, or None (no bound)."""
    if activation == "tanh":
        return -clip, clip
    if activation == "logistic":
        return 0.5 * (1.0 - clip), 0.5 * (1.0 + clip)
    return None


def inverse_activation(a, activation: str = "tanh", *, alpha: float = 0.1, clip=None):
    """The inverse activation ``sigma^-1(a)``, the pre-activation that produces ``a``.

    ``tanh``: ``artanh(a)`` on (-1, 1); ``logistic``: ``log(a / (1 - a))`` on (0, 1);
    ``leaky_relu``: ``a`` for ``a > 0`` and ``a / alpha`` otherwise (every real ``a``).
    Values outside the open range of a bounded activation have no preimage: either pass
    ``clip`` in (0, 1), which first clips ``a`` to the central fraction ``clip`` of the
    range (``[-clip, clip]`` for tanh, ``[(1 - clip)/2, (1 + clip)/2]`` for the
    logistic), or a ``ValueError`` is raised. ``clip`` does nothing for ``leaky_relu``.
    """
    activation, alpha = _check_activation(activation, alpha)
    a = as_float_array("a", a)
    if clip is not None:
        clip = _check_fraction("clip", clip)
        bounds = _range_bounds(activation, clip)
        if bounds is not None:
            a = np.clip(a, *bounds)
    elif activation != "leaky_relu":
        lo, hi = (-1.0, 1.0) if activation == "tanh" else (0.0, 1.0)
        if np.any(a <= lo) or np.any(a >= hi):
            raise ValueError(
                f"a must lie in the open range ({lo:g}, {hi:g}) of "
                f"{activation} (or pass clip)"
            )
    if activation == "tanh":
        return np.arctanh(a)
    if activation == "logistic":
        return np.log(a) - np.log1p(-a)
    return np.where(a > 0, a, a / alpha)


# ------------------------------------------------------------- the two linear solves
def min_norm_back_solve(weights, delta_z, *, mu: float = 0.0):
    """The smallest change of a layer's inputs that produces a wanted change of its
    output.

    For every row ``dz`` of ``delta_z`` (one item) solves::

        min_da  |W da - dz|^2 + mu |da|^2,

    whose solution is ``da = W^T (W W^T + mu I)^-1 dz`` (row form
    ``dA = dZ (W W^T + mu I)^-1 W``). With ``mu = 0`` this is the minimum-norm
    least-squares solution ``pinv(W) dz``: the exact minimum-norm solution of ``W da =
    dz`` when ``W`` has full row rank (more inputs than outputs). ``mu > 0`` damps
    directions in which ``W`` is weak. Every item uses the same ``W``, so one ``n_out x
    n_out`` solve serves them all.

    Parameters
    ----------
    weights : array (n_out, n_in)
        The layer's weight matrix ``W``.
    delta_z : array (n, n_out) or (n_out,)
        Wanted changes of the layer's pre-activations, one row per item.
    mu : float >= 0
        The ridge of the backward solve.

    Returns
    -------
    array (n, n_in) (or (n_in,) for a single item): the input changes ``da``.
    """
    W = as_float_array("weights", weights, ndim=2)
    dz = as_float_array("delta_z", delta_z)
    if dz.ndim not in (1, 2) or dz.shape[-1] != W.shape[0]:
        raise ValueError(
            f"delta_z must have shape (n, {W.shape[0]}) or ({W.shape[0]},) "
            f"to match weights {W.shape}, got {dz.shape}"
        )
    mu = check_positive("mu", mu, allow_zero=True)
    rows = np.atleast_2d(dz)
    if mu > 0:
        gram = W @ W.T
        gram[np.diag_indices_from(gram)] += mu
        da = np.linalg.solve(gram, rows.T).T @ W
    else:
        da = np.linalg.lstsq(W, rows.T, rcond=None)[0].T
    return da if dz.ndim == 2 else da[0]


def fit_layer(inputs, targets, *, ridge: float = 0.0):
    """One least-squares solve for a whole layer: weights and bias from inputs to
    targets.

    Solves ``min_{W, b} sum_i |W a_i + b - z_i|^2 + ridge |W|_F^2`` (the bias is not
    penalised) for all the layer's units at once. The optimal bias is
    ``b = mean(z) - W mean(a)``, so the inputs and targets are centred and ``W`` is the
    ridge regression of the centred targets on the centred inputs, computed by ``lstsq``
    on the ridge-augmented system (with ``ridge = 0``: the minimum-norm least-squares
    solution).

    Parameters
    ----------
    inputs : array (n, n_in)
        The layer's inputs ``a_i``, one row per item.
    targets : array (n, n_out) or (n,)
        The wanted pre-activations ``z_i``.
    ridge : float >= 0
        The weight penalty ``lambda``.

    Returns
    -------
    W : array (n_out, n_in) and b : array (n_out,) (``n_out = 1`` for 1-d targets).
    """
    A = as_float_array("inputs", inputs, ndim=2)
    Z = as_float_array("targets", targets)
    if Z.ndim == 1:
        Z = Z[:, None]
    if Z.ndim != 2 or Z.shape[0] != A.shape[0]:
        raise ValueError(
            f"targets must have shape ({A.shape[0]}, n_out) or "
            f"({A.shape[0]},) to match inputs {A.shape}, got {Z.shape}"
        )
    if A.shape[0] == 0:
        raise ValueError("inputs must have at least one row")
    ridge = check_positive("ridge", ridge, allow_zero=True)
    a_mean, z_mean = A.mean(axis=0), Z.mean(axis=0)
    Ac, Zc = A - a_mean, Z - z_mean
    if ridge > 0:
        n_in = A.shape[1]
        Ac = np.vstack([Ac, np.sqrt(ridge) * np.eye(n_in)])
        Zc = np.vstack([Zc, np.zeros((n_in, Z.shape[1]))])
    W = np.linalg.lstsq(Ac, Zc, rcond=None)[0].T
    return W, z_mean - W @ a_mean


# ------------------------------------------------------------------------ the network
def init_mlp(layer_sizes, *, random_state=None) -> list:
    """Random parameters ``[W1, b1, ..., WL, bL]`` for the widths
    ``layer_sizes = (n_features, n_hidden_1, ..., 1)``: weights ``N(0, 1/n_in)``
    entrywise, biases 0."""
    sizes = [check_nonnegative_int("layer_sizes", s, minimum=1) for s in layer_sizes]
    if len(sizes) < 2:
        raise ValueError(
            f"layer_sizes must name at least the input and the output width, "
            f"got {list(layer_sizes)}"
        )
    if sizes[-1] != 1:
        raise ValueError(
            f"layer_sizes must end with 1 (scalar regression), got {sizes[-1]}"
        )
    rng = check_random_state(random_state)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        params += [
            rng.normal(scale=1.0 / np.sqrt(n_in), size=(n_out, n_in)),
            np.zeros(n_out),
        ]
    return params


def _forward(params, X, activation, alpha):
    """Pre-activations Z1..ZL and activations A0 = X, A1..A(L-1) (no checks)."""
    zs, acts = [], [X]
    n_layers = len(params) // 2
    for layer in range(n_layers):
        W, b = params[2 * layer], params[2 * layer + 1]
        z = acts[-1] @ W.T + b
        zs.append(z)
        if layer < n_layers - 1:
            acts.append(_sigma(z, activation, alpha))
    return zs, acts


def forward(params, X, *, activation: str = "tanh", alpha: float = 0.1):
    """Forward pass. Returns ``(zs, acts)``: ``zs[l]`` the pre-activations of layer
    ``l + 1`` (shape ``(n, n_out)``), ``acts[0] = X`` and ``acts[l]`` the activations of
    hidden layer ``l``; the output is ``zs[-1][:, 0]`` (no output activation)."""
    activation, alpha = _check_activation(activation, alpha)
    X = as_float_array("X", X, ndim=2)
    return _forward(_check_params(params, X.shape[1]), X, activation, alpha)


def predict(params, X, *, activation: str = "tanh", alpha: float = 0.1):
    """Network output ``f(x_i)`` for every row of ``X`` (shape ``(n,)``)."""
    return forward(params, X, activation=activation, alpha=alpha)[0][-1][:, 0]


def mse(params, X, y, *, activation: str = "tanh", alpha: float = 0.1) -> float:
    """Training loss: the mean squared error ``mean((f(x_i) - y_i)**2)``."""
    X, y = check_regression_data(X, y)
    return float(
        np.mean((predict(params, X, activation=activation, alpha=alpha) - y) ** 2)
    )


def make_loss_and_grad(X, y, *, activation: str = "tanh", alpha: float = 0.1):
    """The loss and its gradient for the gradient baselines.

    Returns ``loss_and_grad(params) -> (mse, [dmse/dW1, dmse/db1, ...])``
    (backpropagation) in the form :func:`lossless_tutorial.related.gradient.adam`
    expects.
    """
    X, y = check_regression_data(X, y)
    activation, alpha = _check_activation(activation, alpha)
    n = X.shape[0]

    def loss_and_grad(params):
        zs, acts = _forward(params, X, activation, alpha)
        residual = zs[-1][:, 0] - y
        delta = (2.0 / n) * residual[:, None]  # dloss/dz of the output layer
        grads = [None] * len(params)
        for layer in range(len(params) // 2 - 1, -1, -1):
            grads[2 * layer] = delta.T @ acts[layer]
            grads[2 * layer + 1] = delta.sum(axis=0)
            if layer:
                delta = (delta @ params[2 * layer]) * _sigma_slope(
                    zs[layer - 1], activation, alpha
                )
        return float(np.mean(residual**2)), grads

    return loss_and_grad


def smooth_regression_task(n_samples: int = 400, *, random_state=None):
    """The small regression task of the chapter: ``x ~ U[-1, 1]^2`` and
    ``y = sin(3 x1) cos(2 x2) + 0.5 x1 x2`` (noise-free). Returns ``X (n, 2), y
    (n,)``."""
    n_samples = check_nonnegative_int("n_samples", n_samples, minimum=1)
    X = check_random_state(random_state).uniform(-1.0, 1.0, size=(n_samples, 2))
    return X, np.sin(3 * X[:, 0]) * np.cos(2 * X[:, 1]) + 0.5 * X[:, 0] * X[:, 1]


# ------------------------------------------------------------ the least-squares method
def _ideal(params, y, zs, acts, step, mu, clip, activation, alpha):
    """Backward pass on a forward cache: the ideal pre-activations of every layer."""
    n_layers = len(params) // 2
    targets = [None] * n_layers
    targets[-1] = y[:, None]
    bounds = _range_bounds(activation, clip)
    for layer in range(n_layers - 1, 0, -1):
        da = min_norm_back_solve(params[2 * layer], targets[layer] - zs[layer], mu=mu)
        a_star = acts[layer] + step * da
        if bounds is not None:
            a_star = np.clip(a_star, *bounds)
        targets[layer - 1] = inverse_activation(a_star, activation, alpha=alpha)
    return targets


def _check_ls_args(step, mu, clip, activation, alpha):
    activation, alpha = _check_activation(activation, alpha)
    return (
        _check_fraction("step", step, closed=True),
        check_positive("mu", mu, allow_zero=True),
        _check_fraction("clip", clip),
        activation,
        alpha,
    )


def ideal_pre_activations(
    params,
    X,
    y,
    *,
    step: float = 1.0,
    mu: float = 1e-3,
    clip: float = 0.95,
    activation: str = "tanh",
    alpha: float = 0.1,
):
    """Backward pass: the ideal pre-activations of every layer, worked back from ``y``.

    The output layer's ideal pre-activation is the target itself, ``z_L* = y``. Then for
    ``l = L, ..., 2``: the wanted change ``z_l* - z_l`` of layer ``l`` is turned into
    the smallest change ``da`` of its inputs (:func:`min_norm_back_solve` with ridge
    ``mu``), the ideal activations of layer ``l - 1`` are ``a* = a + step * da`` clipped
    to the central fraction ``clip`` of the activation's range, and their preimages
    ``z_(l-1)* = sigma^-1(a*)`` are that layer's ideal pre-activations.

    Parameters
    ----------
    params : list [W1, b1, ..., WL, bL]
    X, y : arrays (n, n_features) and (n,)
    step : float in (0, 1]
        The fraction ``eta`` of the minimum-norm input change that is taken.
    mu : float >= 0
        Ridge of the backward solves.
    clip : float in (0, 1)
        Keeps the ideal activations of a bounded activation away from its asymptotes.
    activation, alpha :
        See :func:`activate`.

    Returns
    -------
    list of arrays: ``targets[l]`` of shape ``(n, n_out of layer l + 1)``.
    """
    X, y = check_regression_data(X, y)
    step, mu, clip, activation, alpha = _check_ls_args(
        step, mu, clip, activation, alpha
    )
    params = _check_params(params, X.shape[1])
    zs, acts = _forward(params, X, activation, alpha)
    return _ideal(params, y, zs, acts, step, mu, clip, activation, alpha)


def _fit(params, X, targets, ridge, activation, alpha):
    new, inputs = [], X
    n_layers = len(params) // 2
    for layer in range(n_layers):
        W, b = fit_layer(inputs, targets[layer], ridge=ridge)
        new += [W, b]
        if layer < n_layers - 1:
            inputs = _sigma(inputs @ W.T + b, activation, alpha)
    return new


def fit_to_targets(
    params,
    X,
    targets,
    *,
    ridge: float = 1e-6,
    activation: str = "tanh",
    alpha: float = 0.1,
):
    """Forward pass: refit every layer, bottom to top, to its ideal pre-activations.

    Layer ``l`` gets ``[W_l, b_l] = fit_layer(a_(l-1), z_l*, ridge)`` where ``a_(l-1)``
    are the activations of the layer below computed with the layers *already refitted*,
    then its own activations are recomputed. One least-squares solve per layer, shared
    by all its units. ``params`` only supplies the architecture (the result does not
    depend on its values). Returns the new parameter list.
    """
    activation, alpha = _check_activation(activation, alpha)
    X = as_float_array("X", X, ndim=2)
    params = _check_params(params, X.shape[1])
    ridge = check_positive("ridge", ridge, allow_zero=True)
    if len(targets) != len(params) // 2:
        raise ValueError(
            f"targets must hold one array per layer ({len(params) // 2}), "
            f"got {len(targets)}"
        )
    targets = [as_float_array(f"targets[{i}]", t) for i, t in enumerate(targets)]
    for i, (t, W) in enumerate(zip(targets, params[::2])):
        if t.shape != (X.shape[0], W.shape[0]):
            raise ValueError(
                f"targets[{i}] must have shape {(X.shape[0], W.shape[0])}, "
                f"got {t.shape}"
            )
    return _fit(params, X, targets, ridge, activation, alpha)


def least_squares_step(
    params,
    X,
    y,
    *,
    step: float = 1.0,
    mu: float = 1e-3,
    ridge: float = 1e-6,
    clip: float = 0.95,
    activation: str = "tanh",
    alpha: float = 0.1,
):
    """One iteration without the safeguard: :func:`ideal_pre_activations` then
    :func:`fit_to_targets`. Returns the candidate parameters (it may raise the loss)."""
    targets = ideal_pre_activations(
        params, X, y, step=step, mu=mu, clip=clip, activation=activation, alpha=alpha
    )
    return fit_to_targets(
        params, X, targets, ridge=ridge, activation=activation, alpha=alpha
    )


@dataclass
class LeastSquaresTrace(Trace):
    """Loss against wall time of :func:`train_least_squares`, one record per iteration.

    Besides :class:`~lossless_tutorial.related.gradient.Trace`'s ``params``, ``times``,
    ``losses`` (the loss of the parameters held after each iteration; record 0 is the
    start) and ``steps`` (the iteration number), it holds ``step_sizes`` (the ``eta``
    tried at each iteration, ``nan`` at the start), ``accepted`` (whether the candidate
    was kept) and ``status``: ``"max_iter"``, ``"time_budget"``, ``"min_step"`` (the
    step shrank below ``min_step``), ``"converged"`` (the loss fell to ``tol``) or
    ``"diverged"`` (a non-finite loss with the safeguard off).
    """

    step_sizes: np.ndarray
    accepted: np.ndarray
    status: str


def train_least_squares(
    X,
    y,
    params,
    *,
    step: float = 0.5,
    mu: float = 1e-3,
    ridge: float = 1e-6,
    clip: float = 0.95,
    shrink: float = 0.7,
    grow: float = 1.1,
    min_step: float = 1e-4,
    safeguard: bool = True,
    max_iter: int = 200,
    time_budget: float | None = None,
    tol: float = 0.0,
    activation: str = "tanh",
    alpha: float = 0.1,
) -> LeastSquaresTrace:
    """Train by least-squares back-solving with an accept/shrink step rule.

    Each iteration computes a candidate by :func:`least_squares_step` with the current
    step ``eta``. With ``safeguard`` (the default) the candidate is **accepted** only if
    the training MSE decreased; then ``eta <- min(1, grow * eta)``. Otherwise the
    parameters are kept and ``eta <- shrink * eta``. Without ``safeguard`` every
    candidate is accepted and ``eta`` stays fixed. Stops after ``max_iter`` iterations,
    when ``time_budget`` seconds are used, when ``eta < min_step`` or when the loss is
    ``<= tol``.

    Parameters
    ----------
    X, y : arrays (n, n_features) and (n,)
    params : list [W1, b1, ..., WL, bL]
        Starting parameters (not modified), e.g. from :func:`init_mlp`.
    step : float in (0, 1]
        Initial ``eta``, the fraction of the minimum-norm activation change taken.
    mu, ridge, clip :
        Backward ridge, forward ridge (``lambda``) and activation clip; see
        :func:`ideal_pre_activations` and :func:`fit_layer`.
    shrink, grow : floats, ``0 < shrink < 1 <= grow``
        Step-size factors after a rejected and an accepted iteration.
    min_step : float > 0
    safeguard : bool
    max_iter : int
    time_budget : float or None
        Seconds of wall time.
    tol : float >= 0
    activation, alpha :
        See :func:`activate`.

    Returns
    -------
    LeastSquaresTrace
    """
    X, y = check_regression_data(X, y)
    step, mu, clip, activation, alpha = _check_ls_args(
        step, mu, clip, activation, alpha
    )
    params = [p.copy() for p in _check_params(params, X.shape[1])]
    ridge = check_positive("ridge", ridge, allow_zero=True)
    shrink = _check_fraction("shrink", shrink)
    grow = check_positive("grow", grow)
    if grow < 1:
        raise ValueError(f"grow must be >= 1, got {grow!r}")
    min_step = check_positive("min_step", min_step)
    max_iter = check_nonnegative_int("max_iter", max_iter)
    tol = check_positive("tol", tol, allow_zero=True)
    if time_budget is not None:
        time_budget = check_positive("time_budget", time_budget)

    start = time.perf_counter()
    zs, acts = _forward(params, X, activation, alpha)
    loss = float(np.mean((zs[-1][:, 0] - y) ** 2))
    times, losses, steps, sizes, accepted = [0.0], [loss], [0], [np.nan], [True]
    status = "max_iter"
    for iteration in range(1, max_iter + 1):
        if loss <= tol:
            status = "converged"
            break
        if step < min_step:
            status = "min_step"
            break
        targets = _ideal(params, y, zs, acts, step, mu, clip, activation, alpha)
        candidate = _fit(params, X, targets, ridge, activation, alpha)
        c_zs, c_acts = _forward(candidate, X, activation, alpha)
        c_loss = float(np.mean((c_zs[-1][:, 0] - y) ** 2))
        ok = not safeguard or c_loss < loss
        sizes.append(step)
        accepted.append(ok)
        if ok:
            params, zs, acts, loss = candidate, c_zs, c_acts, c_loss
            if safeguard:
                step = min(1.0, grow * step)
        else:
            step *= shrink
        times.append(time.perf_counter() - start)
        losses.append(loss)
        steps.append(iteration)
        if not np.isfinite(loss):
            status = "diverged"
            break
        if time_budget is not None and times[-1] >= time_budget:
            status = "time_budget"
            break
    else:
        if loss <= tol:
            status = "converged"
    return LeastSquaresTrace(
        params,
        np.array(times),
        np.array(losses),
        np.array(steps),
        np.array(sizes),
        np.array(accepted),
        status,
    )


# --------------------------------------------------------------- the RRR formulation
def _graph_distance2(t, z, a, activation, alpha):
    return (t - z) ** 2 + (_sigma(t, activation, alpha) - a) ** 2


#: Below this vertical distance ``r = |sigma(z) - a|`` from the graph the squared
#: distance ``(t - z)^2 + (sigma(t) - a)^2`` is strictly convex in ``t`` on
#: ``[z - r, z + r]``: its second derivative is
#: ``2 (1 + sigma'^2 + (sigma - a) sigma'')`` and ``|sigma(t) - a| <= (L + 1) r`` with
#: ``L = max sigma'``, so
#: ``r < 1 / ((L + 1) max|sigma''|)`` suffices (tanh: ``L = 1``,
#: ``max|sigma''| = 4 / (3 sqrt 3)``; logistic: ``L = 1/4``,
#: ``max|sigma''| = sqrt(3) / 18``). Kept with a safety factor 0.9.
_CONVEX_RADIUS = {
    "tanh": 0.9 * 3 * np.sqrt(3) / 8,
    "logistic": 0.9 * 18 / (1.25 * np.sqrt(3)),
}


def project_activation_graph(
    z,
    a,
    *,
    activation: str = "tanh",
    alpha: float = 0.1,
    n_grid: int = 17,
    max_iter: int = 60,
):
    """Project points ``(z, a)`` of the plane onto the graph ``{(t, sigma(t))}``.

    Solves, for every pair of entries of ``z`` and ``a`` (all axes are batch axes),

        min_t  (t - z)^2 + (sigma(t) - a)^2,       z' = t,  a' = sigma(t).

    ``leaky_relu``: the graph is two rays from the origin; the nearest point of each ray
    is in closed form and the nearer one wins. ``tanh`` and ``logistic``: the nearest
    point lies within ``r = |sigma(z) - a|`` of ``z`` (the point ``(z, sigma(z))`` is on
    the graph). Near the graph (``r`` below a bound that makes the distance strictly
    convex on ``[z - r, z + r]``) a safeguarded Newton iteration on the stationarity
    condition ``(t - z) + (sigma(t) - a) sigma'(t) = 0``, started at ``z`` and kept
    inside that interval, finds the unique minimum. Farther away the distance can have
    two local minima, so ``t`` is first searched on a grid of ``n_grid`` points of ``[z
    - r, z + r]`` and the two best discrete local minima are refined the same way inside
    their neighbouring grid cells; the nearer result wins.

    Returns ``(z_new, a_new)`` with the broadcast shape of ``z`` and ``a``.
    """
    activation, alpha = _check_activation(activation, alpha)
    z = as_float_array("z", z)
    a = as_float_array("a", a)
    z, a = np.broadcast_arrays(z, a)
    n_grid = check_nonnegative_int("n_grid", n_grid, minimum=3)
    max_iter = check_nonnegative_int("max_iter", max_iter, minimum=1)
    if activation == "leaky_relu":
        t_on = np.maximum((z + a) / 2.0, 0.0)
        t_off = np.minimum((z + alpha * a) / (1.0 + alpha * alpha), 0.0)
        d_on = _graph_distance2(t_on, z, a, activation, alpha)
        d_off = _graph_distance2(t_off, z, a, activation, alpha)
        t = np.where(d_on <= d_off, t_on, t_off)
        return t, _sigma(t, activation, alpha)

    zf, af = z.ravel(), a.ravel()
    radius = np.abs(_sigma(zf, activation, alpha) - af)
    far = np.flatnonzero(radius >= _CONVEX_RADIUS[activation])
    # Candidates: every problem starts at t = z inside [z - r, z + r]; the far ones are
    # replaced by their best grid point and may add a second candidate.
    t, lo, hi = zf.copy(), zf - radius, zf + radius
    rows = np.arange(zf.size)
    second = np.empty(0, dtype=np.intp)
    if far.size:
        zr, ar = zf[far, None], af[far, None]
        grid = zr + radius[far, None] * np.linspace(-1.0, 1.0, n_grid)
        dist = _graph_distance2(grid, zr, ar, activation, alpha)
        # the two best discrete local minima of the grid: far from the graph the
        # distance can have two minima of nearly equal depth, and both are refined
        padded = np.pad(dist, ((0, 0), (1, 1)), constant_values=np.inf)
        masked = np.where(
            (dist <= padded[:, :-2]) & (dist <= padded[:, 2:]), dist, np.inf
        )
        index = np.arange(far.size)
        first = np.argmin(masked, axis=1)
        masked[index, first] = np.inf
        other = np.argmin(masked, axis=1)
        two = np.flatnonzero(np.isfinite(masked[index, other]))
        second = far[two]
        t[far] = grid[index, first]
        t = np.concatenate([t, grid[two, other[two]]])
        lo = np.concatenate([lo, grid[two, np.maximum(other[two] - 1, 0)]])
        hi = np.concatenate([hi, grid[two, np.minimum(other[two] + 1, n_grid - 1)]])
        lo[far] = grid[index, np.maximum(first - 1, 0)]
        hi[far] = grid[index, np.minimum(first + 1, n_grid - 1)]
        rows = np.concatenate([rows, second])
    zc, ac = zf[rows], af[rows]

    def slope(
        t, z, a
    ):  # half the derivative of the squared distance, and its derivative
        s, d1, d2 = _sigma_and_slopes(t, activation)
        return (t - z) + (s - a) * d1, 1.0 + d1 * d1 + (s - a) * d2

    # Safeguarded Newton inside brackets where the slope goes from <= 0 to >= 0;
    # otherwise (a grid minimum at an end of the search interval, or a point on the
    # graph) the starting point is kept. Only the unfinished candidates are iterated on.
    active = np.flatnonzero(
        (slope(lo, zc, ac)[0] <= 0) & (slope(hi, zc, ac)[0] >= 0) & (hi > lo)
    )
    ta, lo, hi, za, aa = t[active], lo[active], hi[active], zc[active], ac[active]
    for _ in range(max_iter):
        if active.size == 0:
            break
        g, h = slope(ta, za, aa)
        lo = np.where(g < 0, ta, lo)
        hi = np.where(g > 0, ta, hi)
        newton = ta - g / np.where(h > 0, h, 1.0)
        inside = (h > 0) & (newton >= lo) & (newton <= hi)
        t_new = np.where(inside, newton, 0.5 * (lo + hi))
        t[active] = t_new
        small = 8 * np.finfo(float).eps * (1.0 + np.abs(t_new))
        going = (np.abs(t_new - ta) > small) & (hi - lo > small) & (g != 0)
        active, ta, lo, hi, za, aa = (
            active[going],
            t_new[going],
            lo[going],
            hi[going],
            za[going],
            aa[going],
        )
    best = t[: zf.size]
    if second.size:  # the nearer of the two refined candidates
        t2 = t[zf.size :]
        closer = _graph_distance2(
            t2, zf[second], af[second], activation, alpha
        ) < _graph_distance2(best[second], zf[second], af[second], activation, alpha)
        best[second[closer]] = t2[closer]
    best = best.reshape(z.shape)
    return best, _sigma(best, activation, alpha)


class OneHiddenLayerConstraints:
    """The constraints of a one-hidden-layer regression network as two sets for RRR.

    Khadilkar's method enforces two kinds of constraints in turn: the linear layer
    equations ``z = W a + b`` (solved for ``a`` with ``W`` fixed in the backward pass,
    for ``W`` with ``a`` fixed in the forward pass) and the activation ``a = sigma(z)``
    (through its inverse). Here the same constraints are split, as in *Learning without
    loss*, into two sets whose projections are exact and cheap, for the network ``f(x) =
    w . [sigma(V x~), 1]`` with ``x~ = [x, 1]`` (``V`` of shape ``(n_hidden, n_features
    + 1)``; ``w`` of length ``n_hidden + 1``, its last entry the output bias).

    Search vector (one flat array, :meth:`unpack` gives named views), for the ``n``
    items:

    - ``Z`` ``(n, n_hidden)``: hidden pre-activations;
    - ``A`` ``(n, n_hidden + 1)``: hidden activations plus a constant-1 bias unit;
    - ``W`` ``(n, n_hidden + 1)``: one private copy of the output weights per item;
    - ``T`` ``(n,)``: the network outputs.

    Set A ("the nonlinearity and the sharing", :meth:`project_a`): ``A[:, :h] =
    sigma(Z)`` entrywise (:func:`project_activation_graph`), ``A[:, h] = 1``, all copies
    of ``W`` equal (their average), and ``|T - y| <= tolerance`` (clip).

    Set B ("the layer equations", :meth:`project_b`): ``Z = X~ V^T`` for some ``V``
    (orthogonal projection of every column of ``Z`` onto the range of ``X~``; the
    least-squares fit of the first layer) and ``A[k] . W[k] = T[k]`` for every item
    (:func:`~lossless_tutorial.projections.project_bilinear` with ``omega = 1`` and
    metric weight ``g2`` on ``T``: activations, weights and output move jointly).

    The metric is Euclidean with weight 1 on ``Z``, ``A`` and ``W`` and ``g2`` on ``T``
    (:attr:`metric`, for the RRR error). A point of both sets is a network whose output
    is within ``tolerance`` of every target; :meth:`network` reads ``V`` and ``w`` off a
    point.
    """

    def __init__(
        self,
        X,
        y,
        n_hidden: int,
        *,
        tolerance: float = 0.0,
        g2: float = 1.0,
        activation: str = "tanh",
        alpha: float = 0.1,
    ):
        self.X, self.y = check_regression_data(X, y)
        self.n_hidden = check_nonnegative_int("n_hidden", n_hidden, minimum=1)
        self.tolerance = check_positive("tolerance", tolerance, allow_zero=True)
        self.g2 = check_positive("g2", g2)
        self.activation, self.alpha = _check_activation(activation, alpha)
        n, h = self.X.shape[0], self.n_hidden
        self.X_aug = np.hstack([self.X, np.ones((n, 1))])
        # orthonormal basis of the range of X~ (rank-revealing, via the SVD)
        u, s, _ = np.linalg.svd(self.X_aug, full_matrices=False)
        self._basis = u[:, s > s[0] * max(self.X_aug.shape) * np.finfo(float).eps]
        self._sizes = [n * h, n * (h + 1), n * (h + 1), n]
        self._offsets = np.cumsum([0] + self._sizes)
        self.size = int(self._offsets[-1])
        self.metric = np.ones(self.size)
        self.metric[self._offsets[3] :] = self.g2

    def unpack(self, x):
        """Views ``Z, A, W, T`` of a search vector ``x`` (writing to them writes to
        ``x``)."""
        if x.shape != (self.size,):
            raise ValueError(
                f"x must be a flat vector of length {self.size}, got {x.shape}"
            )
        n, h = self.X.shape[0], self.n_hidden
        o = self._offsets
        return (
            x[o[0] : o[1]].reshape(n, h),
            x[o[1] : o[2]].reshape(n, h + 1),
            x[o[2] : o[3]].reshape(n, h + 1),
            x[o[3] : o[4]],
        )

    def point(self, params):
        """The search vector of the network ``params = [V1, b1, W2, b2]`` (the layout
        of :func:`init_mlp` with widths ``(n_features, n_hidden, 1)``): its
        pre-activations, activations, output weights copied to every item, and outputs.
        It lies in set B, and also in set A when every output is within ``tolerance`` of
        its target."""
        V1, b1, W2, b2 = _check_params(params, self.X.shape[1])
        if V1.shape[0] != self.n_hidden or len(params) != 4:
            raise ValueError(
                f"params must be [V1, b1, W2, b2] of a network with one hidden "
                f"layer of {self.n_hidden} units"
            )
        x = np.empty(self.size)
        Z, A, W, T = self.unpack(x)
        Z[:] = self.X @ V1.T + b1
        A[:, :-1] = _sigma(Z, self.activation, self.alpha)
        A[:, -1] = 1.0
        W[:] = np.append(W2[0], b2)
        T[:] = A @ W[0]
        return x

    def project_a(self, x):
        """Nearest point of set A: activation graph, bias unit 1, weight consensus,
        band."""
        x = np.asarray(x, dtype=np.float64)
        out = np.empty_like(x)
        Z, A, W, T = self.unpack(x)
        Z1, A1, W1, T1 = self.unpack(out)
        Z1[:], A1[:, :-1] = project_activation_graph(
            Z, A[:, :-1], activation=self.activation, alpha=self.alpha
        )
        A1[:, -1] = 1.0
        W1[:] = W.mean(axis=0)
        T1[:] = np.clip(T, self.y - self.tolerance, self.y + self.tolerance)
        return out

    def project_b(self, x):
        """Nearest point of set B: first-layer range, and the bilinear output
        equations."""
        x = np.asarray(x, dtype=np.float64)
        out = np.empty_like(x)
        Z, A, W, T = self.unpack(x)
        Z1, A1, W1, T1 = self.unpack(out)
        Z1[:] = self._basis @ (self._basis.T @ Z)
        A1[:], W1[:], T1[:] = project_bilinear(A, W, T, omega=1.0, g2=self.g2, axis=-1)
        return out

    def network(self, x):
        """The network ``[V1, b1, W2, b2]`` read off a search vector: the first layer is
        the least-squares fit of ``Z`` on ``X~`` (exact when ``Z`` lies in set B), the
        output weights are the average of the copies (exact when they lie in set A).
        Pass the RRR solution (``P_A`` of the final iterate)."""
        Z, _, W, _ = self.unpack(np.asarray(x, dtype=np.float64))
        V = np.linalg.lstsq(self.X_aug, Z, rcond=None)[0].T
        w = W.mean(axis=0)
        return [V[:, :-1].copy(), V[:, -1].copy(), w[None, :-1].copy(), w[-1:].copy()]
