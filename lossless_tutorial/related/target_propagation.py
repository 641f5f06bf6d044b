"""Hard-threshold networks trained with targets: feasible target propagation, and RRR.

Friesen and Domingos (ICLR 2018) treat a network of sign units as a *mixed
convex-combinatorial* problem. Give every hidden unit a discrete target in {-1, +1} for
every training item; then the network falls apart into independent perceptrons (unit j
of layer d must map the targets of layer d-1 to its own targets), each a convex problem,
and training becomes the search for targets that make every perceptron separable
("feasible" targets).

This module holds the pieces of that idea, small enough to check by hand:

- the combinatorial side: exact linear separability of many small problems
  (:func:`separating_hyperplanes`) and the exhaustive count of feasible hidden targets
  (:func:`feasible_hidden_targets`), e.g. for XOR with two hidden units;
- the mini-batch rule FTPROP-MB, exactly as in the authors' code (``afriesen/ftprop``):
  a hidden unit with downstream signal ``g = d(downstream loss)/d(output)`` gets the
  target ``t = -sign(g)`` and the weight ``|g|``, and passes ``|g| * dL(z, t)/dz`` to
  its pre-activation ``z`` for a layer loss ``L`` (:func:`layer_loss`,
  :func:`target_signal`). With the linear loss ``L = -t z`` this is exactly the
  straight-through estimator (STE); with the soft hinge ``L = tanh(-t z) + 1`` it is the
  paper's FTP-SH; the saturated STE (SSTE) is the usual baseline (:func:`unit_signal`).
  For a sign unit the soft-hinge signal equals ``g (1 - tanh(z)^2)`` (since ``t^2 =
  1``): an STE whose backward pass uses the slope of tanh, where the SSTE uses that of
  the hard tanh;
- mini-batch training of sign networks with these rules (:func:`train_sign_network`,
  using the package's Adam), on data such as :func:`make_circle_quadrants`;
- for comparison, Elser's way with the same kind of unit: a one-hidden-layer network of
  **steps with a gap** trained by RRR from projections only
  (:func:`train_rrr_step_network`), where node values are chosen by projection rather
  than by the sign of a downstream gradient.

Sign units output -1 or +1 with ``sign(0) = -1`` (the official code's ``sign11``); the
step units of the RRR network output 0 or 1. With biases the two are affine images of
each other.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from .._validation import (
    as_float_array,
    as_labels,
    check_nonnegative_int,
    check_positive,
    check_random_state,
)
from ..projections import (
    project_bilinear,
    project_class_margin,
    project_norm,
    project_step_gap,
)
from ..rrr import rrr
from .gradient import adam

__all__ = [
    "hard_sign",
    "LAYER_LOSSES",
    "RULES",
    "layer_loss",
    "layer_loss_derivative",
    "target_signal",
    "unit_signal",
    "separating_hyperplanes",
    "feasible_hidden_targets",
    "SignNetwork",
    "init_sign_network",
    "sign_network_gradients",
    "SignTrainingResult",
    "train_sign_network",
    "make_circle_quadrants",
    "StepNetwork",
    "RRRStepResult",
    "train_rrr_step_network",
]

LAYER_LOSSES = ("linear", "hinge", "soft_hinge")
RULES = ("ste", "sste", "linear", "hinge", "soft_hinge")


def _choice(name, value, allowed):
    if value not in allowed:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}"
        )
    return value


def hard_sign(z):
    """The hard threshold of a sign unit: +1 where ``z > 0``, -1 elsewhere (``sign(0) =
    -1``)."""
    return np.where(as_float_array("z", z, finite=False) > 0, 1.0, -1.0)


# --------------------------------------------------------------------------------------
# Layer losses and the FTPROP-MB signal
# --------------------------------------------------------------------------------------


def _pair(z, t):
    z = as_float_array("z", z)
    t = as_float_array("t", t)
    if np.any((t != -1) & (t != 0) & (t != 1)):
        raise ValueError("t must hold targets -1 or +1 (0 means: no target)")
    return z, t


def layer_loss(z, t, *, loss):
    """Loss of a unit with pre-activation ``z`` against its target ``t``, elementwise.

    ``loss`` is ``"linear"`` (``-t z``, unsaturated), ``"hinge"`` (``max(0, 1 - t z)``)
    or ``"soft_hinge"`` (``tanh(-t z) + 1``, bounded in [0, 2]), the layer losses of
    Friesen and Domingos' code. ``t`` is -1 or +1 (0 gives a unit without a target).
    """
    _choice("loss", loss, LAYER_LOSSES)
    z, t = _pair(z, t)
    if loss == "linear":
        return -t * z
    if loss == "hinge":
        return np.maximum(0.0, 1.0 - t * z)
    return np.tanh(-t * z) + 1.0


def _loss_derivative(z, t, loss):
    if loss == "linear":
        return -t * np.ones_like(z)
    if loss == "hinge":
        return np.where(t * z < 1.0, -t, 0.0)
    return -t * (1.0 - np.tanh(t * z) ** 2)


def layer_loss_derivative(z, t, *, loss):
    """Derivative ``dL(z, t)/dz`` of :func:`layer_loss`, elementwise.

    ``-t`` (linear), ``-t * 1{t z < 1}`` (hinge) and ``-t (1 - tanh^2(t z))`` (soft
    hinge).
    """
    _choice("loss", loss, LAYER_LOSSES)
    z, t = _pair(z, t)
    return _loss_derivative(z, t, loss)


def _signal(z, g, rule):
    """:func:`unit_signal` without input checks (the training loop's hot path)."""
    if rule == "ste":
        return g.copy()
    if rule == "sste":
        return np.where(np.abs(z) <= 1.0, g, 0.0)
    return np.abs(g) * _loss_derivative(z, -np.sign(g), rule)


def _signal_arrays(z, g):
    z = as_float_array("z", z)
    g = as_float_array("g", g)
    if z.shape != g.shape:
        raise ValueError(
            f"z and g must have the same shape, got {z.shape} and {g.shape}"
        )
    return z, g


def target_signal(z, g, *, loss):
    """The FTPROP-MB signal to a hard-threshold unit's pre-activation.

    A sign unit with pre-activation ``z`` receives from the layer above the downstream
    signal ``g = d(downstream loss)/d(unit output)``. Instead of the derivative of the
    step (zero almost everywhere), the rule picks the **target** ``t = -sign(g)`` (the
    output value that would lower the downstream loss), weights the unit by ``|g|`` and
    passes ``|g| * dL(z, t)/dz`` of its layer loss ``L`` (see :func:`layer_loss`). Where
    ``g = 0`` the unit has no target and gets 0. Elementwise over arrays of equal shape.
    """
    _choice("loss", loss, LAYER_LOSSES)
    return _signal(*_signal_arrays(z, g), loss)


def unit_signal(z, g, *, rule):
    """Signal passed to a hard-threshold unit's pre-activation ``z`` under a training
    rule.

    - ``"ste"``: the straight-through estimator, ``g`` unchanged;
    - ``"sste"``: the saturated STE of the authors' code, ``g * 1{|z| <= 1}`` (the
      derivative of the hard tanh);
    - ``"linear"``, ``"hinge"``, ``"soft_hinge"``: FTPROP-MB (:func:`target_signal`)
      with that layer loss; ``"soft_hinge"`` is the paper's FTP-SH.
    """
    _choice("rule", rule, RULES)
    return _signal(*_signal_arrays(z, g), rule)


# --------------------------------------------------------------------------------------
# The combinatorial side: separability and feasible targets
# --------------------------------------------------------------------------------------


def separating_hyperplanes(inputs, targets, *, perceptron_epochs=100):
    """Decide exactly which labelled point sets a single sign unit can realize.

    For each problem (leading axes of ``inputs`` of shape (..., m, d) and ``targets`` of
    shape (..., m) in {-1, +1}, broadcast together) finds ``w, b`` with
    ``t_i (w . x_i + b) >= 1`` for every point, which exists exactly when the two
    classes are strictly linearly separable. Three stages, each exact for what it
    decides:

    1. a batch perceptron run on all distinct problems at once (vectorized) for
       ``perceptron_epochs`` epochs: a problem it separates is separable (its weights
       are rescaled to margin 1);
    2. a problem with the same point under both labels is inseparable;
    3. every remaining problem is settled by a linear program (scipy's HiGHS), one per
       distinct problem.

    Returns ``(separable, weights, biases)`` with shapes (...), (..., d) and (...);
    weights and biases are NaN for inseparable problems.
    """
    inputs = as_float_array("inputs", inputs)
    targets = as_float_array("targets", targets)
    if inputs.ndim < 2:
        raise ValueError(f"inputs must have shape (..., m, d), got {inputs.shape}")
    if targets.ndim < 1 or targets.shape[-1] != inputs.shape[-2]:
        raise ValueError(
            f"targets must have shape (..., m) with m = {inputs.shape[-2]}, "
            f"got {targets.shape}"
        )
    if np.any(np.abs(targets) != 1):
        raise ValueError("targets must be -1 or +1")
    perceptron_epochs = check_nonnegative_int("perceptron_epochs", perceptron_epochs)
    m, d = inputs.shape[-2:]
    batch = np.broadcast_shapes(inputs.shape[:-2], targets.shape[:-1])
    flat_x = np.broadcast_to(inputs, batch + (m, d)).reshape(-1, m * d)
    flat_t = np.broadcast_to(targets, batch + (m,)).reshape(-1, m)
    unique, inverse = np.unique(
        np.concatenate([flat_x, flat_t], axis=1), axis=0, return_inverse=True
    )
    points = np.concatenate(
        [unique[:, : m * d].reshape(-1, m, d), np.ones((len(unique), m, 1))], axis=2
    )
    t = unique[:, m * d :]
    # 1. batch perceptron, all problems at once
    w = np.zeros((len(unique), d + 1))
    for _ in range(perceptron_epochs):
        wrong = t * np.einsum("pmi,pi->pm", points, w) <= 0
        if not wrong.any():
            break
        w += np.einsum("pm,pmi->pi", wrong * t, points)
    margin = np.min(t * np.einsum("pmi,pi->pm", points, w), axis=1)
    found = np.where(
        (margin > 0)[:, None], w / np.where(margin > 0, margin, 1.0)[:, None], np.nan
    )
    # 2. the same point with both labels
    same_point = np.all(points[:, :, None, :] == points[:, None, :, :], axis=3)
    conflict = np.any(same_point & (t[:, :, None] != t[:, None, :]), axis=(1, 2))
    # 3. linear programs for the rest
    for row in np.flatnonzero((margin <= 0) & ~conflict):
        result = linprog(
            np.zeros(d + 1),
            A_ub=-t[row][:, None] * points[row],
            b_ub=-np.ones(m),
            bounds=[(None, None)] * (d + 1),
            method="highs",
        )
        if result.status == 0:
            found[row] = result.x
    solution = found[np.ravel(inverse)].reshape(batch + (d + 1,))
    return ~np.isnan(solution[..., 0]), solution[..., :d], solution[..., d]


def feasible_hidden_targets(inputs, labels, *, n_hidden):
    """Enumerate every hidden-target assignment of a network with one hidden sign layer.

    For ``m`` training items ``inputs`` (m, d) with labels ``labels`` in {-1, +1}, and
    ``n_hidden`` sign units, an assignment is a matrix ``T`` in {-1, +1}^(n_hidden x m).
    It is **feasible** when each hidden unit j can map the inputs to its row ``T[j]``
    and the output unit can map the hidden codes (the columns of ``T``) to the labels,
    all by strict linear separation (:func:`separating_hyperplanes`). All
    ``2^(n_hidden m)`` assignments are checked (at most 2^16).

    Returns ``(assignments, feasible)``: an array (2^(n_hidden m), n_hidden, m) whose
    row ``a`` holds the bits of ``a`` (bit ``j m + i`` set means ``T[j, i] = +1``), and
    a boolean mask over it.
    """
    inputs = as_float_array("inputs", inputs, ndim=2)
    labels = as_float_array("labels", labels, ndim=1)
    m = inputs.shape[0]
    if labels.shape[0] != m or np.any(np.abs(labels) != 1):
        raise ValueError(
            f"labels must hold {m} values -1 or +1 (one per row of inputs)"
        )
    n_hidden = check_nonnegative_int("n_hidden", n_hidden, minimum=1)
    n_bits = n_hidden * m
    if n_bits > 16:
        raise ValueError(
            f"n_hidden * n_items must be <= 16 for an exhaustive search, got {n_bits}"
        )
    codes = np.arange(2**n_bits)[:, None] >> np.arange(n_bits) & 1
    assignments = (2.0 * codes - 1.0).reshape(-1, n_hidden, m)
    hidden_ok, _, _ = separating_hyperplanes(inputs, assignments)
    output_ok, _, _ = separating_hyperplanes(np.swapaxes(assignments, 1, 2), labels)
    return assignments, hidden_ok.all(axis=1) & output_ok


# --------------------------------------------------------------------------------------
# Sign networks and mini-batch training
# --------------------------------------------------------------------------------------


@dataclass
class SignNetwork:
    """A feed-forward network of sign units with a real-valued output layer.

    ``weights[l]`` has shape (n_in, n_out) and ``biases[l]`` shape (n_out,). Hidden
    layers apply :func:`hard_sign` to ``a W + b``; the last layer is linear. With one
    output the class is ``z > 0`` (labels 0/1); with several it is ``argmax z``.
    """

    weights: list
    biases: list

    def hidden_layers(self, X):
        """Pre-activations and outputs of every hidden layer: lists ``zs``,
        ``activations`` (``activations[0]`` is ``X``)."""
        activations, zs = [as_float_array("X", X, ndim=2)], []
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            zs.append(activations[-1] @ w + b)
            activations.append(np.where(zs[-1] > 0, 1.0, -1.0))
        return zs, activations

    def decision_function(self, X):
        """The output layer's values ``z`` (shape (n, n_outputs))."""
        _, activations = self.hidden_layers(X)
        return activations[-1] @ self.weights[-1] + self.biases[-1]

    def predict(self, X):
        """Class labels 0..n_classes-1."""
        z = self.decision_function(X)
        return (z[:, 0] > 0).astype(int) if z.shape[1] == 1 else np.argmax(z, axis=1)

    def score(self, X, labels):
        """Accuracy on ``(X, labels)``."""
        return float(np.mean(self.predict(X) == np.asarray(labels)))


def _layer_sizes(n_inputs, hidden, n_classes):
    if isinstance(hidden, numbers.Integral):
        hidden = (hidden,)
    sizes = [check_nonnegative_int("hidden", h, minimum=1) for h in hidden]
    return [n_inputs] + sizes + [1 if n_classes == 2 else n_classes]


def init_sign_network(layer_sizes, *, random_state=None):
    """Random sign network: weights and biases uniform in ``(-1/sqrt(fan_in),
    1/sqrt(fan_in))``.

    This is PyTorch's default for linear layers. Random biases matter for sign units:
    with zero biases and inputs symmetric under ``x -> -x`` (such as XOR on +-1 inputs)
    every sign unit is odd, and the STE updates cancel exactly (see the chapter's
    exercises). ``layer_sizes`` lists the widths from input to output, e.g. (2, 64, 64,
    1).
    """
    sizes = [check_nonnegative_int("layer_sizes", s, minimum=1) for s in layer_sizes]
    if len(sizes) < 2:
        raise ValueError("layer_sizes needs at least an input and an output size")
    rng = check_random_state(random_state)
    weights, biases = [], []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        bound = 1.0 / np.sqrt(fan_in)
        weights.append(rng.uniform(-bound, bound, size=(fan_in, fan_out)))
        biases.append(rng.uniform(-bound, bound, size=fan_out))
    return SignNetwork(weights, biases)


def _output_loss(z, labels):
    """Mean output loss and its gradient in z: hinge on one output (labels 0/1 read as
    -1/+1), softmax cross-entropy on several (the paper's experiments)."""
    n = z.shape[0]
    if z.shape[1] == 1:
        s = 2.0 * labels[:, None] - 1.0
        margin = 1.0 - s * z
        return float(np.maximum(margin, 0.0).sum() / n), np.where(
            margin > 0, -s, 0.0
        ) / n
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -float(log_p[np.arange(n), labels].sum() / n)
    grad = np.exp(log_p)
    grad[np.arange(n), labels] -= 1.0
    return loss, grad / n


def sign_network_gradients(network, X, labels, *, rule):
    """Output loss and the update directions of one mini-batch for a sign network.

    Forward with hard thresholds; at the output, the hinge (one output) or softmax
    cross-entropy (several) loss. The backward sweep is ordinary backpropagation
    *between* layers, but at each sign unit the zero derivative of the step is replaced
    by :func:`unit_signal` under ``rule`` (STE, SSTE or an FTPROP-MB layer loss). No
    derivative is ever taken through a step function.

    Returns ``(loss, grads)`` with ``grads`` ordered as ``[W_1, b_1, W_2, b_2, ...]``.
    """
    _choice("rule", rule, RULES)
    zs, activations = network.hidden_layers(X)
    n_outputs = network.weights[-1].shape[1]
    labels = as_labels(
        "labels", labels, 2 if n_outputs == 1 else n_outputs, (activations[0].shape[0],)
    )
    loss, delta = _output_loss(
        activations[-1] @ network.weights[-1] + network.biases[-1], labels
    )
    grads = []
    for layer in range(len(network.weights) - 1, -1, -1):
        grads[:0] = [activations[layer].T @ delta, delta.sum(axis=0)]
        if layer > 0:
            g = (
                delta @ network.weights[layer].T
            )  # d loss / d (outputs of the layer below)
            delta = _signal(zs[layer - 1], g, rule)
    return loss, grads


@dataclass
class SignTrainingResult:
    """Outcome of :func:`train_sign_network`.

    Attributes
    ----------
    network : the trained :class:`SignNetwork`.
    epochs : the epochs after which accuracies were recorded (0 = before training).
    train_accuracy, test_accuracy : the accuracies at those epochs; ``test_accuracy`` is
        empty without test data.
    losses : the output loss of every mini-batch, in training order.
    """

    network: SignNetwork
    epochs: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    losses: np.ndarray


def train_sign_network(
    X,
    labels,
    *,
    hidden=(64, 64),
    rule="soft_hinge",
    learning_rate=3e-3,
    batch_size=50,
    epochs=60,
    X_test=None,
    labels_test=None,
    eval_every=1,
    random_state=None,
):
    """Train a sign network by mini-batch Adam with a hard-threshold training rule.

    Labels are integer classes; with two classes the network has one output and a hinge
    loss, with more a softmax output and cross-entropy. Each epoch visits the training
    set in a fresh random order in ``floor(n / batch_size)`` batches (the remainder is
    skipped). Adam (:func:`lossless_tutorial.related.gradient.adam`) is fed one
    mini-batch per step: the function it calls serves the next batch each time.

    Accuracies are recorded before training, every ``eval_every`` epochs and after the
    last epoch. The same ``random_state`` gives the same initial weights and batch order
    for every ``rule``, so rules can be compared seed by seed.
    """
    X = as_float_array("X", X, ndim=2)
    labels = np.asarray(labels)
    n_classes = int(labels.max()) + 1 if labels.size else 0
    labels = as_labels("labels", labels, max(n_classes, 2), (X.shape[0],))
    if np.unique(labels).size < 2:
        raise ValueError("labels must contain at least two classes")
    _choice("rule", rule, RULES)
    batch_size = check_nonnegative_int("batch_size", batch_size, minimum=1)
    epochs = check_nonnegative_int("epochs", epochs)
    eval_every = check_nonnegative_int("eval_every", eval_every, minimum=1)
    learning_rate = check_positive("learning_rate", learning_rate)
    n_batches = X.shape[0] // batch_size
    if n_batches == 0:
        raise ValueError(f"batch_size must be <= the number of items {X.shape[0]}")
    has_test = X_test is not None
    if has_test:
        X_test = as_float_array("X_test", X_test, ndim=2)
        labels_test = as_labels(
            "labels_test", labels_test, max(n_classes, 2), (X_test.shape[0],)
        )
    rng = check_random_state(random_state)
    network = init_sign_network(
        _layer_sizes(X.shape[1], hidden, max(n_classes, 2)), random_state=rng
    )
    n_layers = len(network.weights)
    order = np.arange(X.shape[0])
    train_acc, test_acc, losses = [], [], []
    calls = [0]

    def loss_and_grad(params):
        step = calls[0]
        calls[0] += 1
        current = SignNetwork(params[0::2], params[1::2])
        if step % n_batches == 0:  # an epoch boundary: record, then reshuffle
            epoch = step // n_batches
            if epoch % eval_every == 0 or epoch == epochs:
                train_acc.append(current.score(X, labels))
                if has_test:
                    test_acc.append(current.score(X_test, labels_test))
            order[:] = rng.permutation(X.shape[0])
        rows = order[
            (step % n_batches) * batch_size : (step % n_batches + 1) * batch_size
        ]
        loss, grads = sign_network_gradients(current, X[rows], labels[rows], rule=rule)
        losses.append(loss)
        return loss, grads

    params = [
        p
        for layer in range(n_layers)
        for p in (network.weights[layer], network.biases[layer])
    ]
    trace = adam(
        loss_and_grad,
        params,
        learning_rate=learning_rate,
        max_steps=epochs * n_batches,
        record_every=max(epochs * n_batches, 1),
    )
    trained = SignNetwork(trace.params[0::2], trace.params[1::2])
    recorded = np.array(
        [e for e in range(epochs + 1) if e % eval_every == 0 or e == epochs]
    )
    return SignTrainingResult(
        trained,
        recorded,
        np.array(train_acc),
        np.array(test_acc),
        np.array(losses[:-1]),
    )


def make_circle_quadrants(n_samples, *, random_state=None):
    """The 2-D task of the chapter: points uniform in [-1, 1]^2, label 1 when "inside
    the disk of radius sqrt(1/2)" and "x1 x2 > 0" agree (XNOR), else 0.

    A small problem that a single sign unit cannot solve (its boundary is a circle cut
    by the axes). Returns ``(X, labels)``.
    """
    n_samples = check_nonnegative_int("n_samples", n_samples, minimum=1)
    X = check_random_state(random_state).uniform(-1.0, 1.0, size=(n_samples, 2))
    inside = np.sum(X * X, axis=1) < 0.5
    return X, (inside == (X[:, 0] * X[:, 1] > 0)).astype(int)


# --------------------------------------------------------------------------------------
# The same kind of problem by RRR: one hidden layer of steps with a gap
# --------------------------------------------------------------------------------------


@dataclass
class StepNetwork:
    """One hidden layer of step units and class nodes, with Elser's conventions.

    Inference: ``y = x . w / omega`` at every node, hidden value ``1`` if
    ``y - b > 0`` else ``0`` (the zero-gap step), predicted class ``argmax(y - b)`` over
    the class nodes. Shapes: ``hidden_weights`` (d, h), ``hidden_biases`` (h,),
    ``class_weights`` (h, c), ``class_biases`` (c,).
    """

    hidden_weights: np.ndarray
    hidden_biases: np.ndarray
    class_weights: np.ndarray
    class_biases: np.ndarray
    omega: float

    def hidden(self, X):
        """Hidden values in {0, 1} (shape (n, h))."""
        y = as_float_array("X", X, ndim=2) @ self.hidden_weights / self.omega
        return (y - self.hidden_biases > 0).astype(float)

    def decision_function(self, X):
        """Class-node values ``z = y - b`` (shape (n, c))."""
        return self.hidden(X) @ self.class_weights / self.omega - self.class_biases

    def predict(self, X):
        """Class labels: the class node with the largest ``y - b``."""
        return np.argmax(self.decision_function(X), axis=1)

    def score(self, X, labels):
        """Accuracy on ``(X, labels)``."""
        return float(np.mean(self.predict(X) == np.asarray(labels)))


@dataclass
class RRRStepResult:
    """Outcome of :func:`train_rrr_step_network` for ``n_runs`` independent runs.

    Attributes
    ----------
    networks : one trained :class:`StepNetwork` per run (weights from the A-side
        consensus, biases from the B-side consensus of the last iteration).
    errors : (n_iterations, n_runs), the RRR error of every iteration of every run, all
        batches in order (a run that has converged keeps an error below ``tol``).
    batch_iterations : iterations spent on each batch (the slowest run sets it).
    converged : (n_batches, n_runs), whether each run's error was below ``tol`` at the
    end
        of each batch (then every constraint holds to that tolerance).
    train_accuracy : (epochs, n_runs), accuracy on the whole training set after each
        epoch.
    inexact_projections : how many calls of the bilinear projection warned that some
        root solves stopped short of their relative tolerance (1e-13); such a
        projection is still accurate to far better than the RRR tolerance, so the
        warnings are counted here instead of printed.
    """

    networks: list
    errors: np.ndarray
    batch_iterations: np.ndarray
    converged: np.ndarray
    train_accuracy: np.ndarray
    inexact_projections: int = 0

    @property
    def network(self):
        """The network of the first run."""
        return self.networks[0]


class _StepNetProblem:
    """The RRR search vector of one batch and the two projections (paper Sec. 5, with
    the ReLU replaced by the step with a gap), for R independent runs side by side.

    Per run r and item k: edge replicas X1, W1 (R, K, d, h) into the hidden layer and
    X2, W2 (R, K, h, c) into the class layer; pre-activations and bias replicas Y1, B1
    (R, K, h) and Y2, B2 (R, K, c). All live in one flat buffer; the metric weighs x and
    w by 1, hidden y and b by g^2 = outdeg = c and class y and b by upsilon. Runs never
    interact: every projection treats the run axis as a batch axis.
    """

    def __init__(
        self, data, labels, n_runs, n_hidden, n_classes, *, omega, gap, delta, upsilon
    ):
        k, d = data.shape
        r, h, c = n_runs, n_hidden, n_classes
        self.data, self.labels = data, np.broadcast_to(labels, (r, k))
        self.omega, self.gap, self.delta, self.upsilon = omega, gap, delta, upsilon
        self.shapes = {
            "X1": (r, k, d, h),
            "W1": (r, k, d, h),
            "Y1": (r, k, h),
            "B1": (r, k, h),
            "X2": (r, k, h, c),
            "W2": (r, k, h, c),
            "Y2": (r, k, c),
            "B2": (r, k, c),
        }
        self.slices, start = {}, 0
        for name, shape in self.shapes.items():
            size = int(np.prod(shape))
            self.slices[name] = slice(start, start + size)
            start += size
        self.size = start
        weights = np.ones(start)
        for name, value in (("Y1", c), ("B1", c), ("Y2", upsilon), ("B2", upsilon)):
            weights[self.slices[name]] = value
        self.weights = self.views(weights)
        self.run_errors = []

    def views(self, flat):
        return {
            name: flat[s].reshape(self.shapes[name]) for name, s in self.slices.items()
        }

    def start(self, w1, b1, w2, b2):
        """Search vector of a forward pass with each run's consensus parameters (paper
        Sec. 5); parameters carry the run axis first: w1 (R, d, h), b1 (R, h), ..."""
        flat = np.empty(self.size)
        v = self.views(flat)
        y1 = self.data @ w1 / self.omega
        x1 = (y1 - b1[:, None, :] > 0).astype(float)
        v["X1"][:] = self.data[None, :, :, None]
        v["W1"][:] = w1[:, None]
        v["Y1"][:], v["B1"][:] = y1, b1[:, None]
        v["X2"][:] = x1[..., None]
        v["W2"][:] = w2[:, None]
        v["Y2"][:], v["B2"][:] = x1 @ w2 / self.omega, b2[:, None]
        return flat

    def project_a(self, flat):
        """Data clamps, node consensus + gapped step, class margins, weight consensus +
        norm omega on each node's incoming weights."""
        v, out = self.views(flat), np.empty(self.size)
        o = self.views(out)
        o["X1"][:] = self.data[None, :, :, None]
        x_hidden, o["Y1"][:], o["B1"][:] = project_step_gap(
            v["X2"].mean(axis=3), v["Y1"], v["B1"], gap=self.gap
        )
        o["X2"][:] = x_hidden[..., None]
        o["Y2"][:], o["B2"][:] = project_class_margin(
            v["Y2"], v["B2"], self.labels, delta=self.delta
        )
        for name in ("W1", "W2"):
            o[name][:] = project_norm(v[name].mean(axis=1), omega=self.omega, axis=1)[
                :, None
            ]
        return out

    def project_b(self, flat):
        """Bilinear constraint x . w = omega y at every (run, item, node); bias
        consensus.

        When the two layers have input vectors of similar length, their bilinear
        projections are done in one call: the shorter vectors are padded with zeros,
        which neither change ``x . w`` nor move (the projection only rescales ``x + w``
        and ``x - w``). This halves the fixed cost per call of the root solver.
        """
        v, out = self.views(flat), np.empty(self.size)
        o = self.views(out)
        (r, k, d, h), c = self.shapes["X1"], self.shapes["X2"][3]
        g2 = {"1": float(c), "2": self.upsilon}
        length = max(d, h)
        if length * (h + c) <= 1.5 * (d * h + h * c):
            x = np.zeros((r, k, length, h + c))
            w = np.zeros((r, k, length, h + c))
            x[:, :, :d, :h], x[:, :, :h, h:] = v["X1"], v["X2"]
            w[:, :, :d, :h], w[:, :, :h, h:] = v["W1"], v["W2"]
            y = np.concatenate([v["Y1"], v["Y2"]], axis=2)
            weights = np.concatenate([np.full(h, g2["1"]), np.full(c, g2["2"])])
            x, w, y = project_bilinear(x, w, y, omega=self.omega, g2=weights, axis=2)
            o["X1"][:], o["X2"][:] = x[:, :, :d, :h], x[:, :, :h, h:]
            o["W1"][:], o["W2"][:] = w[:, :, :d, :h], w[:, :, :h, h:]
            o["Y1"][:], o["Y2"][:] = y[:, :, :h], y[:, :, h:]
        else:
            for layer in ("1", "2"):
                o["X" + layer][:], o["W" + layer][:], o["Y" + layer][:] = (
                    project_bilinear(
                        v["X" + layer],
                        v["W" + layer],
                        v["Y" + layer],
                        omega=self.omega,
                        g2=g2[layer],
                        axis=2,
                    )
                )
        for name in ("B1", "B2"):
            o[name][:] = v[name].mean(axis=1, keepdims=True)
        return out

    def error(self, diff):
        """Per run, the RRR error in the metric per item, sqrt(sum g^2 diff^2 / K)
        (paper Sec. 5); the iteration's error is the largest over runs, so that RRR
        stops when every run is below tol."""
        d, w = self.views(diff), self.weights
        total = sum(
            np.sum((w[n] * d[n] * d[n]).reshape(d[n].shape[0], -1), axis=1)
            for n in self.shapes
        )
        errors = np.sqrt(total / self.shapes["Y1"][1])
        self.run_errors.append(errors)
        return float(errors.max())

    def parameters(self, x):
        """Consensus weights from P_A(x), biases from P_B's consensus on 2 P_A(x) -
        x."""
        p_a = self.project_a(x)
        a, reflected = self.views(p_a), self.views(2.0 * p_a - x)
        return (
            a["W1"][:, 0].copy(),
            reflected["B1"].mean(axis=1),
            a["W2"][:, 0].copy(),
            reflected["B2"].mean(axis=1),
        )


def train_rrr_step_network(
    X,
    labels,
    *,
    n_hidden,
    gap=0.5,
    delta=0.5,
    omega=2.0,
    upsilon=1.0,
    beta=1.0,
    batch_size=None,
    epochs=1,
    max_iter=1000,
    tol=1e-6,
    n_runs=1,
    random_state=None,
):
    """Train one-hidden-layer networks of gapped steps with RRR (Elser's classifier).

    The classifier of "Learning without loss" (paper Sec. 5) with the ReLU of the hidden
    nodes replaced by the **step with a gap** (paper Sec. 6.1, Fig. 2): a hidden node's
    value ``x`` must be 0 with ``y - b <= -gap/2`` or 1 with ``y - b >= gap/2``; ``gap``
    is the full width Delta of the paper's text. Class nodes must satisfy the class
    margins (correct node ``y - b >= delta``, others ``<= 0``), the weights into each
    node have norm ``omega`` and every neuron obeys ``x . w = omega y``. P_A and P_B are
    assembled from
    :mod:`lossless_tutorial.projections` and RRR (:func:`lossless_tutorial.rrr.rrr`)
    searches their intersection. Nothing is differentiated: hidden node values are
    chosen by projection.

    ``n_runs`` independent runs (different random starts, same data and batch order) are
    carried side by side in one search vector, which is much faster than one run after
    another for small problems. Weights start as random directions of norm ``omega``
    (Gaussian vectors rescaled; the released C code draws uniform entries and subtracts
    their mean, which with two inputs would leave only two possible directions), biases
    at 0. Each epoch shuffles the items into ``floor(n / batch_size)`` batches (one
    batch of all items when ``batch_size`` is None); each batch starts from a forward
    pass with the current parameters (paper Sec. 5) and runs RRR until every run's error
    (paper Sec. 5: per item, in the metric) is below ``tol`` or for ``max_iter``
    iterations.

    Labels are integer classes (at least two class nodes). Returns an
    :class:`RRRStepResult`.
    """
    X = as_float_array("X", X, ndim=2)
    labels = np.asarray(labels)
    n_classes = max(int(labels.max()) + 1 if labels.size else 0, 2)
    labels = as_labels("labels", labels, n_classes, (X.shape[0],))
    n_hidden = check_nonnegative_int("n_hidden", n_hidden, minimum=1)
    gap = check_positive("gap", gap, allow_zero=True)
    delta = check_positive("delta", delta)
    omega = check_positive("omega", omega)
    upsilon = check_positive("upsilon", upsilon)
    beta = check_positive("beta", beta)
    epochs = check_nonnegative_int("epochs", epochs, minimum=1)
    max_iter = check_nonnegative_int("max_iter", max_iter, minimum=1)
    tol = check_positive("tol", tol, allow_zero=True)
    n_runs = check_nonnegative_int("n_runs", n_runs, minimum=1)
    n = X.shape[0]
    batch_size = (
        n
        if batch_size is None
        else check_nonnegative_int("batch_size", batch_size, minimum=1)
    )
    if batch_size > n:
        raise ValueError(
            f"batch_size must be <= the number of items {n}, got {batch_size}"
        )
    rng = check_random_state(random_state)

    def initial(n_in, n_out):
        return project_norm(rng.normal(size=(n_runs, n_in, n_out)), omega=omega, axis=1)

    w1, w2 = initial(X.shape[1], n_hidden), initial(n_hidden, n_classes)
    b1, b2 = np.zeros((n_runs, n_hidden)), np.zeros((n_runs, n_classes))
    errors, iterations, converged, accuracy = [], [], [], []
    inexact = 0
    for _ in range(epochs):
        order = rng.permutation(n) if batch_size < n else np.arange(n)
        for start in range(0, n - batch_size + 1, batch_size):
            rows = order[start : start + batch_size]
            problem = _StepNetProblem(
                X[rows],
                labels[rows],
                n_runs,
                n_hidden,
                n_classes,
                omega=omega,
                gap=gap,
                delta=delta,
                upsilon=upsilon,
            )
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", RuntimeWarning)
                result = rrr(
                    problem.start(w1, b1, w2, b2),
                    problem.project_a,
                    problem.project_b,
                    beta=beta,
                    max_iter=max_iter,
                    tol=tol,
                    metric=problem.error,
                )
            for warning in caught:
                if "project_bilinear" in str(warning.message):
                    inexact += 1
                else:
                    warnings.warn_explicit(
                        warning.message,
                        warning.category,
                        warning.filename,
                        warning.lineno,
                    )
            w1, b1, w2, b2 = problem.parameters(result.x)
            run_errors = np.array(problem.run_errors[: result.n_iter])
            errors.append(run_errors)
            iterations.append(result.n_iter)
            converged.append(run_errors[-1] < tol)
        networks = _step_networks(w1, b1, w2, b2, omega)
        accuracy.append([net.score(X, labels) for net in networks])
    return RRRStepResult(
        _step_networks(w1, b1, w2, b2, omega),
        np.concatenate(errors),
        np.array(iterations),
        np.array(converged),
        np.array(accuracy),
        inexact,
    )


def _step_networks(w1, b1, w2, b2, omega):
    return [StepNetwork(*params, omega) for params in zip(w1, b1, w2, b2)]
