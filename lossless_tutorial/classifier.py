"""RRRClassifier: a layered ReLU classifier trained by RRR under hard constraints
(paper Sec. 5).

Training never evaluates a loss. Each batch clamps the data at the input nodes and asks
the class nodes for a margin: the item's class must have ``y - b >= delta`` and every
other class ``y - b <= 0``. With the activation relations, fixed weight norms omega and
``x . w = omega y`` at every neuron, these constraints are solved by RRR on replicated
variables (:mod:`~lossless_tutorial.network`). Batches start from the previous batch's
weights and biases by a forward pass, so only the class constraints are violated at the
start of a batch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._history import TrainingHistory, warn_if_diverged
from ._progress import progress_bar
from ._validation import check_nonnegative_int, check_positive, check_random_state
from .network import (
    Architecture,
    ClampedValues,
    ClassMargins,
    ReLUNodes,
    replicate,
    run_rrr,
)
from .work import gwms

__all__ = ["RRRClassifier", "ClassifierHistory", "forward_pass", "initial_weights"]


def initial_weights(arch, rng):
    """Per receiving node: Uniform(-1, 1) entries minus their mean, scaled to norm omega
    (the paper's code, Sec. 5); biases 0.

    A node with a single input has nothing to subtract a mean from (it would leave 0 and
    then divide 0 by 0): its weight is ``+omega`` or ``-omega`` with the sign of its
    uniform draw. Layers with more inputs are untouched by this rule.
    """
    weights = []
    for source, target in arch.layers:
        w = rng.uniform(-1.0, 1.0, (arch.group_sizes[target], arch.group_sizes[source]))
        if w.shape[1] == 1:
            weights.append(np.where(w < 0.0, -arch.omega, arch.omega))
            continue
        w -= w.mean(axis=1, keepdims=True)
        weights.append(w * (arch.omega / np.linalg.norm(w, axis=1, keepdims=True)))
    biases = [None] + [np.zeros(n) for n in arch.group_sizes[1:]]
    return weights, biases


def forward_pass(arch, weights, biases, X):
    """Values and pre-activations of a layered ReLU network with ``y = x . w / omega``
    (paper Sec. 3). Returns ``(values, pre_activations)`` per group; the class group has
    no value (its output is ``y - b``)."""
    values, pre = [X], [None]
    last = len(arch.group_sizes) - 1
    for l, (source, target) in enumerate(arch.layers):
        y = values[source] @ weights[l].T / arch.omega
        pre.append(y)
        values.append(None if target == last else np.maximum(y - biases[target], 0.0))
    return values, pre


@dataclass
class ClassifierHistory(TrainingHistory):
    """Per-epoch record of :meth:`RRRClassifier.fit` (arrays of one entry per epoch).

    ``batch_error``: mean over the epoch's batches of the error rate of each batch with
    the parameters found for it (over the items not exempted); ``train_error`` and
    ``test_error`` (NaN without validation data): error rates at the end of the epoch;
    ``exempted``: per epoch, the training indices of the items exempted, relabeled or
    accepted as false positives at the end of their batch; the RRR error, iterations,
    work and time as in :class:`~lossless_tutorial._history.TrainingHistory`.
    """

    batch_error: list = field(default_factory=list)
    train_error: list = field(default_factory=list)
    test_error: list = field(default_factory=list)
    exempted: list = field(default_factory=list)


class RRRClassifier(ClassifierMixin, BaseEstimator):
    """Layered ReLU classifier trained without a loss, by RRR (paper Sec. 5).

    Parameters
    ----------
    hidden_layer_sizes : tuple of int
        Hidden ReLU layers, e.g. ``(26, 26)`` for 13 -> 26 -> 26 -> 2.
    beta : float
        RRR step beta (1 in all the paper's classifiers).
    omega : float
        Norm Omega of every node's incoming weights; inference uses ``y = x . w /
        Omega``.
    upsilon : float
        Metric weight Upsilon of the class nodes' y and b.
    delta : float
        Class margin Delta: the item's class node must have ``y - b >= delta``.
    batch_size, max_iter, tol :
        Items per batch (a trailing partial batch is dropped; ``"auto"``: 128, or all
        items when there are fewer), and the RRR iterations per batch: until the RRR
        error falls below ``tol`` or ``max_iter`` (the paper's RRR_iter; a batch that
        uses them all is the paper's normal protocol, not a failure, so no warning is
        given). Training also stops when the mean error at the start of an epoch's
        batches is below ``tol`` (the paper's code). The paper does not state its tol.
    epochs : int
        Passes over the shuffled training data.
    exemptions : int
        Eccentric exemptions per batch (paper Sec. 5.3.1): the items farthest from their
        class margins may ignore them.
    relabel : int
        Items per batch that may take their nearest label instead (paper Sec. 5.3.2);
        not combined with exemptions.
    false_positives : int
        For two classes (``classes_[0]`` "fake", ``classes_[1]`` "genuine", e.g. 0 and
        1): items of the first class per batch that may be classified genuine, those
        that gain most (the false-positive allowance, paper Sec. 6.2); not combined with
        exemptions or relabeling.
    random_state : None, int, Generator or RandomState
        Seeds the initial weights and the shuffling.
    warm_start : bool
        If True, ``fit`` continues from the current parameters and appends to the
        history (for resuming long runs). The network must stay the same: a change of
        ``hidden_layer_sizes``, of the number of features or new labels raise
        ``ValueError`` (set ``warm_start=False`` to train afresh).
    progress : bool
        Show a progress bar over batches.

    Attributes
    ----------
    coefs_ : list of arrays (n_in, n_out)
        Weights of each layer (scikit-learn's orientation), each column of norm omega.
    intercepts_ : list of arrays (n_out,)
        Biases; a node computes ``max(0, x @ coefs / omega - intercept)``.
    classes_ : array
        The sorted distinct labels of the training ``y`` (any values: integers, strings,
        booleans); class node ``c`` stands for ``classes_[c]``.
    history_ : :class:`ClassifierHistory`
        ``history_.status`` is ``"finished"``, ``"interrupted"`` or ``"diverged"``
        (non-finite weights, with a ConvergenceWarning).
    n_iter_ : int
        Total RRR iterations.
    """

    def __init__(
        self,
        hidden_layer_sizes=(26,),
        *,
        beta=1.0,
        omega=2.0,
        upsilon=1.0,
        delta=0.1,
        batch_size="auto",
        max_iter=100,
        tol=1e-3,
        epochs=10,
        exemptions=0,
        relabel=0,
        false_positives=0,
        random_state=None,
        warm_start=False,
        progress=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.beta = beta
        self.omega = omega
        self.upsilon = upsilon
        self.delta = delta
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.epochs = epochs
        self.exemptions = exemptions
        self.relabel = relabel
        self.false_positives = false_positives
        self.random_state = random_state
        self.warm_start = warm_start
        self.progress = progress

    # ---- checks ----------------------------------------------------------------------

    def _check_params(self, n_items):
        hidden = self.hidden_layer_sizes
        if isinstance(hidden, (int, np.integer)):
            hidden = (hidden,)
        hidden = tuple(
            check_nonnegative_int("hidden_layer_sizes", n, minimum=1) for n in hidden
        )
        check_positive("beta", self.beta)
        check_positive("omega", self.omega)
        check_positive("upsilon", self.upsilon)
        check_positive("delta", self.delta, allow_zero=True)
        check_nonnegative_int("max_iter", self.max_iter, minimum=1)
        check_positive("tol", self.tol, allow_zero=True)
        check_nonnegative_int("epochs", self.epochs, minimum=1)
        if isinstance(self.batch_size, str) and self.batch_size == "auto":
            batch_size = min(128, n_items)
        else:
            batch_size = check_nonnegative_int("batch_size", self.batch_size, minimum=1)
        if batch_size > n_items:
            raise ValueError(
                f"batch_size={batch_size} is larger than the number of "
                f"training items (n_samples={n_items})"
            )
        exemptions = check_nonnegative_int("exemptions", self.exemptions)
        relabel = check_nonnegative_int("relabel", self.relabel)
        false_positives = check_nonnegative_int("false_positives", self.false_positives)
        if sum(bool(n) for n in (exemptions, relabel, false_positives)) > 1:
            raise ValueError(
                "exemptions, relabel and false_positives cannot be combined"
            )
        if max(exemptions, relabel, false_positives) >= batch_size:
            raise ValueError(
                "exemptions, relabel and false_positives must be smaller "
                "than batch_size"
            )
        return hidden, batch_size

    def _check_X(self, X):
        return validate_data(self, X, reset=False, dtype=np.float64)

    def _label_indices(self, name, y, classes):
        """Indices into ``classes`` of the labels ``y``; a label outside raises."""
        index = np.clip(np.searchsorted(classes, y), 0, len(classes) - 1)
        unknown = classes[index] != y
        if np.any(unknown):
            raise ValueError(
                f"{name} holds labels that are not among the classes "
                f"{classes.tolist()} of the first fit: "
                f"{np.unique(y[unknown]).tolist()[:5]}"
            )
        return index.astype(np.intp)

    # ---- training --------------------------------------------------------------------

    def fit(self, X, y, validation_data=None):
        """Train on ``X`` (n_items, n_features) with class labels ``y`` (any values;
        ``classes_`` are their sorted distinct values).

        ``validation_data=(X_test, y_test)`` adds the test error to the history. A
        KeyboardInterrupt ends training after the current batch's parameters are kept;
        ``history_.status`` is then ``"interrupted"``.
        """
        resume = self.warm_start and hasattr(self, "coefs_")
        X, y = validate_data(self, X, y, reset=not resume, dtype=np.float64)
        check_classification_targets(y)
        hidden, batch_size = self._check_params(X.shape[0])
        if resume:
            classes = self.classes_
            labels = self._label_indices("y", y, classes)
            sizes = (X.shape[1], *hidden, len(classes))
            if sizes != self._arch.group_sizes:
                raise ValueError(
                    f"warm_start: the network {self._arch.group_sizes} of the "
                    f"last fit cannot continue as {sizes} (hidden_layer_sizes "
                    f"changed); set warm_start=False to train afresh"
                )
        else:
            classes, labels = np.unique(y, return_inverse=True)
            labels = labels.astype(np.intp)
            if len(classes) < 2:
                raise ValueError(
                    f"y must hold labels of at least two classes, got one "
                    f"class: {classes.tolist()}"
                )
        n_classes = len(classes)
        if self.false_positives and n_classes != 2:
            raise ValueError(
                "false_positives needs two classes: classes_[0] (fake) and "
                "classes_[1] (genuine)"
            )
        if validation_data is not None:
            X_test, y_test = validation_data
            X_test = validate_data(self, X_test, reset=False, dtype=np.float64)
            y_test = np.asarray(y_test)
            if y_test.shape != (X_test.shape[0],):
                raise ValueError(
                    f"validation_data y must have shape ({X_test.shape[0]},), "
                    f"got {y_test.shape}"
                )
            y_test = self._label_indices("validation_data y", y_test, classes)

        arch = Architecture(
            (X.shape[1], *hidden, n_classes), omega=self.omega, upsilon=self.upsilon
        )
        if resume:
            weights = [c.T.copy() for c in self.coefs_]
            biases = [None] + [b.copy() for b in self.intercepts_]
            rng = self._rng
            history = self.history_
            history.status = "finished"
            total_iter, elapsed = self.n_iter_, (history.wall_time or [0.0])[-1]
        else:
            rng = check_random_state(self.random_state)
            weights, biases = initial_weights(arch, rng)
            history = ClassifierHistory()
            total_iter, elapsed = 0, 0.0
        self.classes_ = classes
        self._arch = arch

        constraint_kwargs = dict(
            delta=self.delta,
            n_exempt=self.exemptions,
            n_relabel=self.relabel,
            n_false_positive=self.false_positives,
        )
        n_batches = X.shape[0] // batch_size
        work_per_iter = gwms(1, batch_size, arch.n_edges)
        bar = progress_bar(
            self.epochs * n_batches, "RRR classifier", self.progress, unit="batch"
        )
        started = time.perf_counter() - elapsed
        try:
            for _ in range(self.epochs):
                order = rng.permutation(X.shape[0])
                stats = np.zeros(4)  # batch errors, iterations, start and end errors
                exempted = []
                for batch in range(n_batches):
                    index = order[batch * batch_size : (batch + 1) * batch_size]
                    data, batch_labels = X[index], labels[index]
                    values, pre = forward_pass(arch, weights, biases, data)
                    state = replicate(arch, values, pre, weights, biases)
                    margins = ClassMargins(batch_labels, **constraint_kwargs)
                    constraints = (
                        [ClampedValues(data)] + [ReLUNodes()] * len(hidden) + [margins]
                    )
                    errors, consensus, biases_b = run_rrr(
                        arch,
                        state,
                        constraints,
                        beta=self.beta,
                        max_iter=self.max_iter,
                        tol=self.tol,
                    )
                    weights = consensus.w
                    biases = [None] + biases_b[1:]
                    changed = margins.last_exempt | (
                        margins.last_labels != batch_labels
                    )
                    exempted.extend(index[changed].tolist())
                    wrong = self._predict(arch, weights, biases, data) != batch_labels
                    stats += (
                        np.mean(wrong[~margins.last_exempt]),  # paper Sec. 5.3.1
                        errors.size,
                        errors[0],
                        errors[-1],
                    )
                    total_iter += errors.size
                    bar.update(1)
                stats /= n_batches
                history.batch_error.append(stats[0])
                history.mean_iterations.append(stats[1])
                history.rrr_error_start.append(stats[2])
                history.rrr_error_end.append(stats[3])
                history.exempted.append(exempted)
                history.train_error.append(
                    float(np.mean(self._predict(arch, weights, biases, X) != labels))
                )
                history.test_error.append(
                    float(
                        np.mean(self._predict(arch, weights, biases, X_test) != y_test)
                    )
                    if validation_data is not None
                    else np.nan
                )
                history.gwms.append(total_iter * work_per_iter)
                history.wall_time.append(time.perf_counter() - started)
                if stats[2] < self.tol:
                    break
        except KeyboardInterrupt:
            history.status = "interrupted"
        finally:
            bar.close()

        self.coefs_ = [w.T.copy() for w in weights]
        self.intercepts_ = [b.copy() for b in biases[1:]]
        warn_if_diverged(history, self.coefs_ + self.intercepts_, "RRRClassifier")
        self.history_ = history
        self.n_iter_ = int(total_iter)
        self._rng = rng
        return self

    # ---- inference -------------------------------------------------------------------

    @staticmethod
    def _predict(arch, weights, biases, X):
        values, pre = forward_pass(arch, weights, biases, X)
        return np.argmax(pre[-1] - biases[-1], axis=1)

    def class_outputs(self, X):
        """The class nodes' outputs ``y - b`` (n_items, n_classes), column ``c`` for
        ``classes_[c]``: the quantities the class margins constrain (paper Sec. 5)."""
        check_is_fitted(self)
        X = self._check_X(X)
        weights = [c.T for c in self.coefs_]
        biases = [None] + list(self.intercepts_)
        _, pre = forward_pass(self._arch, weights, biases, X)
        return pre[-1] - biases[-1]

    def decision_function(self, X):
        """scikit-learn's confidence scores: the class outputs (n_items, n_classes) of
        :meth:`class_outputs`, or for two classes the difference of the two outputs
        (n_items,), positive where ``classes_[1]`` is predicted."""
        outputs = self.class_outputs(X)
        if outputs.shape[1] == 2:
            return outputs[:, 1] - outputs[:, 0]
        return outputs

    def predict(self, X):
        """Predicted class of each item: the class whose node has the largest ``y - b``
        (ties go to the first)."""
        outputs = self.class_outputs(X)
        return self.classes_[np.argmax(outputs, axis=1)]
