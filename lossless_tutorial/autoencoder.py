"""RRRAutoencoder: an autoencoder with iDE codes, trained by RRR on a cyclic network
(paper Sec. 6.1 and 6.3).

The network is a cycle: data nodes D -> encoder layers -> code nodes C -> decoder layers
-> back into D. Every node has incoming edges, a pre-activation y, a bias b and the same
activation (a step with a gap for binary data, the "zigmoid" ramp for data in [0, 1]).
A batch holds two kinds of items:

- **data items** clamp the data nodes to a data vector d, so that going around the cycle
  must give d back: ``D(E(d)) = d``;
- **code items** clamp the code nodes to a code c, so that ``E(D(c)) = c``. Codes are
  drawn from the product of the per-node empirical distributions of the batch's
  encodings (the paper's eq. 37), or are all 2^n binary codes for binary encoding.

The codes are then *invertible* (each decoded code encodes back to itself), *data
enveloping* (encodings of data lie in the code set) and *disentangled* (the code set is
a product of per-node sets): iDE codes. Training evaluates no loss: the clamps, the
activation relations, fixed weight norms omega, ``x . w = omega y`` at every node and
bias consensus are solved by RRR on replicated variables
(:mod:`~lossless_tutorial.network`).

Memory: the RRR state of a batch of K items holds two float64 replicas (x and w) per
edge and item, ``16 K |E|`` bytes, plus ``O(K * nodes)``; :func:`batch_memory_bytes`
gives the whole estimate. The paper's MNIST batch (220 items, 317,600 edges) needs about
1.1 GB; smaller batches scale it down linearly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted, validate_data

from . import activations
from ._history import TrainingHistory, warn_if_diverged
from ._progress import progress_bar
from ._validation import check_nonnegative_int, check_positive, check_random_state
from .classifier import initial_weights
from .network import Architecture, GappedNodes, replicate, run_rrr
from .work import gwms

__all__ = [
    "RRRAutoencoder",
    "AutoencoderHistory",
    "all_binary_codes",
    "batch_memory_bytes",
    "cyclic_architecture",
    "save_autoencoder",
    "load_autoencoder",
]

ACTIVATIONS = ("step", "zigmoid")


def cyclic_architecture(n_features, encoder_sizes, code_size, decoder_sizes, *, omega):
    """The autoencoder's cycle: groups ``D, encoder..., C, decoder...`` joined in a
    chain and closed by a layer from the last group back to D. Layer ``l`` leaves group
    ``l``."""
    sizes = (n_features, *encoder_sizes, code_size, *decoder_sizes)
    layers = [(g, (g + 1) % len(sizes)) for g in range(len(sizes))]
    return Architecture(sizes, layers, omega=omega)


def batch_memory_bytes(
    n_features, encoder_sizes=(200,), code_size=10, decoder_sizes=(200,), n_items=220
):
    """Estimated peak bytes of the RRR state of one batch of ``n_items`` items (data and
    code items together): x and w replicas per item and edge (``16 K |E|``), and per
    item and node y, b, the bilinear multipliers and the compact P_A values (``8 * 8 K
    N``)."""
    arch = cyclic_architecture(
        n_features, encoder_sizes, code_size, decoder_sizes, omega=1.0
    )
    return (
        16 * n_items * arch.n_edges
        + 64 * n_items * sum(arch.group_sizes)
        + 16 * arch.n_edges
    )


def all_binary_codes(n_bits):
    """All ``2**n_bits`` binary codes, one per row (row c holds the bits of c, lowest
    first)."""
    n_bits = check_nonnegative_int("n_bits", n_bits, minimum=1)
    return ((np.arange(2**n_bits)[:, None] >> np.arange(n_bits)) & 1).astype(float)


@dataclass
class AutoencoderHistory(TrainingHistory):
    """Per-epoch record of :meth:`RRRAutoencoder.fit` (one entry per epoch).

    ``data_error``: mean over the training items of the RMS difference between an item
    and its reconstruction ``D(E(d))`` (paper eq. 40, averaged per item as its code
    does); ``code_error``: the same for ``E(D(c))`` on as many codes drawn from the
    product of the encodings' marginals as there are training items, or on all 2^n codes
    in binary mode (eq. 41); the RRR error (eq. 42), iterations, work and time as in
    :class:`~lossless_tutorial._history.TrainingHistory`.
    """

    data_error: list = field(default_factory=list)
    code_error: list = field(default_factory=list)


class RRRAutoencoder(TransformerMixin, BaseEstimator):
    """Autoencoder with iDE codes trained without a loss, by RRR (paper Sec. 6.1).

    Parameters
    ----------
    encoder_sizes, code_size, decoder_sizes :
        Hidden layers of the encoder, number of code nodes, hidden layers of the
        decoder: ``(200,), 10, (200,)`` is the paper's 784 -> 200 -> 10 -> 200 -> 784;
        ``(), n, ()`` is binary encoding 2^n -> n -> 2^n.
    activation : {"zigmoid", "step"}
        The activation of every node: the zigmoid ramp (data in [0, 1]) or the step with
        a gap (data in {0, 1}); a trained network uses the zigmoid, or the zero-gap
        step.
    gap : float
        The full gap width Delta (branches at ``z <= -gap/2`` and ``z >= gap/2``; the
        paper's C code takes the half-width). The default 0.8 is the paper's MNIST value
        0.4 read as that half-width; its binary-encoding gaps 0.4 and 0.34 are full
        widths (chapter 6 shows the experiments that settle this).
    beta, omega :
        RRR step beta and the norm Omega of every node's incoming weights; a node
        computes ``f(x . w / Omega - b)``.
    batch_size, code_batch_size :
        Data items and code items per batch (``batch_size="auto"``: 200, the paper's
        MNIST batch, or all items when there are fewer, as in binary encoding).
        ``code_batch_size="all"`` uses all
        ``2**code_size`` binary codes as the code items of every batch (binary encoding;
        step activation only). A trailing partial batch of data is dropped.
    max_iter, tol :
        RRR iterations per batch: until the RRR error is below ``tol`` or ``max_iter``.
    epochs : int
        Passes over the shuffled data. Training stops early when both errors are 0.
        (A batch that uses all ``max_iter`` iterations is the paper's protocol, so no
        ConvergenceWarning is given for it; the history records the errors.)
    random_state : None, int, Generator or RandomState
        Seeds the initial weights, the shuffling and the code samples.
    warm_start : bool
        If True, ``fit`` continues from the current parameters and appends to the
        history. The layer sizes must stay the same (else ``ValueError``; set
        ``warm_start=False`` to train afresh).
    progress : bool
        Show a progress bar over batches.

    Attributes
    ----------
    weights_ : list of arrays (n_target, n_source)
        Weights of the cycle's layers, layer ``l`` leaving group ``l`` (groups ``D``,
        encoder layers, ``C``, decoder layers); every row has norm omega.
    biases_ : list of arrays
        Biases of every group's nodes.
    code_distribution_ : array (n_items, code_size)
        Encodings of the training data at the end of training: per node, the empirical
        distribution that codes are drawn from (:meth:`sample_codes`).
    history_ : :class:`AutoencoderHistory`
        ``history_.status`` is ``"finished"``, ``"interrupted"`` or ``"diverged"``
        (non-finite weights, with a ConvergenceWarning).
    n_iter_ : int
        Total RRR iterations.

    Notes
    -----
    Data must lie in [0, 1], the range of the activation (paper Sec. 6.1); values
    outside raise ``ValueError``.
    """

    def __init__(
        self,
        encoder_sizes=(200,),
        code_size=10,
        decoder_sizes=(200,),
        *,
        activation="zigmoid",
        gap=0.8,
        beta=1.0,
        omega=10.0,
        batch_size="auto",
        code_batch_size=20,
        max_iter=50,
        tol=1e-4,
        epochs=40,
        random_state=None,
        warm_start=False,
        progress=False,
    ):
        self.encoder_sizes = encoder_sizes
        self.code_size = code_size
        self.decoder_sizes = decoder_sizes
        self.activation = activation
        self.gap = gap
        self.beta = beta
        self.omega = omega
        self.batch_size = batch_size
        self.code_batch_size = code_batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.epochs = epochs
        self.random_state = random_state
        self.warm_start = warm_start
        self.progress = progress

    # ---- checks ----------------------------------------------------------------------

    def _check_params(self, n_items):
        sizes = {}
        for name in ("encoder_sizes", "decoder_sizes"):
            value = getattr(self, name)
            if isinstance(value, (int, np.integer)):
                value = (value,)
            sizes[name] = tuple(
                check_nonnegative_int(name, n, minimum=1) for n in value
            )
        code_size = check_nonnegative_int("code_size", self.code_size, minimum=1)
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"activation must be 'step' or 'zigmoid', got {self.activation!r}"
            )
        check_positive("gap", self.gap, allow_zero=self.activation == "step")
        check_positive("beta", self.beta)
        check_positive("omega", self.omega)
        check_nonnegative_int("max_iter", self.max_iter, minimum=1)
        check_positive("tol", self.tol, allow_zero=True)
        check_nonnegative_int("epochs", self.epochs, minimum=1)
        if isinstance(self.batch_size, str) and self.batch_size == "auto":
            batch_size = min(200, n_items)
        else:
            batch_size = check_nonnegative_int("batch_size", self.batch_size, minimum=1)
        if batch_size > n_items:
            raise ValueError(
                f"batch_size={batch_size} is larger than the number of "
                f"training items (n_samples={n_items})"
            )
        if isinstance(self.code_batch_size, str):
            if self.code_batch_size != "all":
                raise ValueError(
                    "code_batch_size must be an int or 'all', got "
                    f"{self.code_batch_size!r}"
                )
            if self.activation != "step" or code_size > 16:
                raise ValueError(
                    "code_batch_size='all' (all binary codes) needs the step "
                    "activation and code_size <= 16"
                )
            code_batch = 2**code_size
        else:
            code_batch = check_nonnegative_int("code_batch_size", self.code_batch_size)
        return (
            sizes["encoder_sizes"],
            code_size,
            sizes["decoder_sizes"],
            batch_size,
            code_batch,
        )

    def _check_data(self, X, name, n_columns, reset=None):
        """``X`` as a 2-d float array in the activation's range. ``reset=True`` (fit)
        records ``n_features_in_``; ``reset=False`` checks it (scikit-learn's message);
        otherwise ``n_columns`` (if not None) is the required width."""
        if reset is not None:
            X = validate_data(self, X, reset=reset, dtype=np.float64)
        else:
            X = check_array(X, dtype=np.float64, input_name=name)
            if n_columns is not None and X.shape[1] != n_columns:
                raise ValueError(
                    f"{name} must have {n_columns} columns, got {X.shape[1]}"
                )
        if np.any(X < 0):
            raise ValueError(
                f"Negative values in data passed to RRRAutoencoder: {name} "
                f"must lie in [0, 1] (the range of the activation)"
            )
        if np.any(X > 1):
            raise ValueError(f"{name} must lie in [0, 1] (the range of the activation)")
        if self.activation == "step" and np.any((X != 0) & (X != 1)):
            raise ValueError(f"{name} must hold only 0 and 1 for the step activation")
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True  # and <= 1: X must lie in [0, 1]
        return tags

    def _check_fitted(self):
        check_is_fitted(self, "weights_")

    # ---- the network around the cycle ------------------------------------------------

    def _act(self, z):
        if self.activation == "step":
            return activations.step(z)
        return activations.zigmoid(z, gap=self.gap)

    def _around(self, arch, weights, biases, start, values, stop=None):
        """Feed values clamped at group ``start`` around the cycle (the paper's
        feed-around start, Sec. 6.1). Returns the node values and pre-activations of
        every group; at ``stop`` (default: back at ``start``) only the pre-activation is
        computed."""
        n_groups = len(arch.group_sizes)
        stop = start if stop is None else stop
        xs, ys = [None] * n_groups, [None] * n_groups
        xs[start] = values
        g = start
        while True:
            target = (g + 1) % n_groups
            ys[target] = xs[g] @ weights[g].T / arch.omega
            if target == stop:
                return xs, ys
            xs[target] = self._act(ys[target] - biases[target])
            g = target

    def _batch_problem(self, arch, weights, biases, data, codes):
        """The RRR problem of a batch of data items then code items: the replicas, every
        copy set from the feed-around values (only the clamped nodes' activations are
        violated), and each group's node constraint with its clamp."""
        data_x, data_y = self._around(arch, weights, biases, 0, data)
        if codes.shape[0] == 0:
            state = replicate(arch, data_x, data_y, weights, biases)
        else:
            code_x, code_y = self._around(
                arch, weights, biases, self._code_group, codes
            )
            state = replicate(
                arch,
                [np.concatenate(pair) for pair in zip(data_x, code_x)],
                [np.concatenate(pair) for pair in zip(data_y, code_y)],
                weights,
                biases,
            )
        n_data, n_items = len(data), len(data) + len(codes)
        constraints = [GappedNodes(self.activation, self.gap) for _ in arch.group_sizes]
        constraints[0] = GappedNodes(self.activation, self.gap, slice(0, n_data), data)
        constraints[self._code_group] = GappedNodes(
            self.activation, self.gap, slice(n_data, n_items), codes
        )
        return state, constraints

    def _encode(self, arch, weights, biases, X):
        xs, ys = self._around(arch, weights, biases, 0, X, stop=self._code_group)
        return self._act(ys[self._code_group] - biases[self._code_group])

    def _decode(self, arch, weights, biases, codes):
        xs, ys = self._around(arch, weights, biases, self._code_group, codes, stop=0)
        return self._act(ys[0] - biases[0])

    @staticmethod
    def _rms_per_item(a, b):
        return float(np.mean(np.sqrt(np.mean((a - b) ** 2, axis=1))))

    # ---- training --------------------------------------------------------------------

    def fit(self, X, y=None):
        """Train on ``X`` (n_items, n_features) with values in [0, 1] (0 or 1 for the
        step activation). A KeyboardInterrupt ends training after the current batch's
        parameters are kept; ``history_.status`` is then ``"interrupted"``."""
        resume = self.warm_start and hasattr(self, "weights_")
        X = self._check_data(X, "X", None, reset=not resume)
        encoder, code_size, decoder, batch_size, code_batch = self._check_params(
            X.shape[0]
        )
        arch = cyclic_architecture(
            X.shape[1], encoder, code_size, decoder, omega=self.omega
        )
        self._code_group = 1 + len(encoder)
        if resume:
            if arch.group_sizes != self._arch.group_sizes:
                raise ValueError(
                    "warm_start: the layer sizes changed since the last fit"
                )
            weights = [w.copy() for w in self.weights_]
            biases = [b.copy() for b in self.biases_]
            rng, history = self._rng, self.history_
            history.status = "finished"
            total_iter, elapsed = self.n_iter_, (history.wall_time or [0.0])[-1]
        else:
            rng = check_random_state(self.random_state)
            weights, _ = initial_weights(arch, rng)
            biases = [np.zeros(n) for n in arch.group_sizes]
            history = AutoencoderHistory()
            total_iter, elapsed = 0, 0.0
        self._arch = arch
        exhaust = isinstance(self.code_batch_size, str)
        fixed_codes = all_binary_codes(code_size) if exhaust else None

        n_batches = X.shape[0] // batch_size
        work_per_iter = gwms(1, batch_size + code_batch, arch.n_edges)
        bar = progress_bar(
            self.epochs * n_batches, "RRR autoencoder", self.progress, unit="batch"
        )
        started = time.perf_counter() - elapsed
        try:
            for _ in range(self.epochs):
                order = rng.permutation(X.shape[0])
                stats = np.zeros(3)  # iterations, start and end errors
                for batch in range(n_batches):
                    data = X[order[batch * batch_size : (batch + 1) * batch_size]]
                    if exhaust:
                        codes = fixed_codes
                    elif code_batch == 0:
                        codes = np.zeros((0, code_size))
                    else:
                        encodings = self._encode(arch, weights, biases, data)
                        codes = self._product_samples(encodings, code_batch, rng)
                    state, constraints = self._batch_problem(
                        arch, weights, biases, data, codes
                    )
                    errors, consensus, biases_b = run_rrr(
                        arch,
                        state,
                        constraints,
                        beta=self.beta,
                        max_iter=self.max_iter,
                        tol=self.tol,
                    )
                    weights, biases = consensus.w, biases_b
                    del state  # free the replicas before the next batch builds its own
                    stats += (errors.size, errors[0], errors[-1])
                    total_iter += errors.size
                    bar.update(1)
                stats /= n_batches
                history.mean_iterations.append(stats[0])
                history.rrr_error_start.append(stats[1])
                history.rrr_error_end.append(stats[2])
                encodings = self._encode(arch, weights, biases, X)
                history.data_error.append(
                    self._rms_per_item(
                        self._decode(arch, weights, biases, encodings), X
                    )
                )
                codes = (
                    fixed_codes
                    if exhaust
                    else self._product_samples(encodings, X.shape[0], rng)
                )
                history.code_error.append(
                    self._rms_per_item(
                        self._encode(
                            arch,
                            weights,
                            biases,
                            self._decode(arch, weights, biases, codes),
                        ),
                        codes,
                    )
                )
                history.gwms.append(total_iter * work_per_iter)
                history.wall_time.append(time.perf_counter() - started)
                if history.data_error[-1] == 0 and history.code_error[-1] == 0:
                    break
        except KeyboardInterrupt:
            history.status = "interrupted"
        finally:
            bar.close()

        self.weights_ = [w.copy() for w in weights]
        self.biases_ = [b.copy() for b in biases]
        warn_if_diverged(history, self.weights_ + self.biases_, "RRRAutoencoder")
        self.code_distribution_ = self._encode(arch, weights, biases, X)
        self.history_ = history
        self.n_iter_ = int(total_iter)
        self._rng = rng
        return self

    @staticmethod
    def _product_samples(encodings, n, rng):
        """``n`` codes whose node i takes the node-i value of a random encoding, drawn
        independently per node (the product of the marginals, eq. 37)."""
        rows = rng.integers(encodings.shape[0], size=(n, encodings.shape[1]))
        return encodings[rows, np.arange(encodings.shape[1])]

    # ---- inference -------------------------------------------------------------------

    def encode(self, X):
        """Codes ``E(X)`` (n_items, code_size), values in [0, 1] ({0, 1} for the
        step)."""
        self._check_fitted()
        X = self._check_data(X, "X", None, reset=False)
        return self._encode(self._arch, self.weights_, self.biases_, X)

    def decode(self, codes):
        """Data vectors ``D(codes)`` (n_items, n_features) of codes (n_items,
        code_size)."""
        self._check_fitted()
        codes = self._check_data(
            codes, "codes", self._arch.group_sizes[self._code_group]
        )
        return self._decode(self._arch, self.weights_, self.biases_, codes)

    def transform(self, X):
        """The codes of ``X`` (as :meth:`encode`)."""
        return self.encode(X)

    def inverse_transform(self, codes):
        """The data vectors of ``codes`` (as :meth:`decode`)."""
        return self.decode(codes)

    def reconstruct(self, X):
        """``D(E(X))``: each item once around the cycle."""
        return self.decode(self.encode(X))

    def sample_codes(self, n, random_state=None):
        """``n`` codes from the product of the per-node code distributions (iDE
        samples)."""
        self._check_fitted()
        n = check_nonnegative_int("n", n)
        return self._product_samples(
            self.code_distribution_, n, check_random_state(random_state)
        )

    def data_error(self, X):
        """Mean per-item RMS of ``D(E(X)) - X`` (eq. 40 as the paper's code averages
        it)."""
        self._check_fitted()
        X = self._check_data(X, "X", None, reset=False)
        return self._rms_per_item(self.reconstruct(X), X)

    def code_error(self, codes):
        """Mean per-item RMS of ``E(D(codes)) - codes`` (eq. 41)."""
        self._check_fitted()
        codes = self._check_data(
            codes, "codes", self._arch.group_sizes[self._code_group]
        )
        return self._rms_per_item(self.encode(self.decode(codes)), codes)


def save_autoencoder(model, path):
    """Write a fitted autoencoder's settings, parameters and code distribution to an
    ``.npz`` file (float32: half the size; encodings change by about 1e-7)."""
    model._check_fitted()
    sizes, c = model._arch.group_sizes, model._code_group
    settings = dict(
        encoder_sizes=tuple(sizes[1:c]),
        code_size=sizes[c],
        decoder_sizes=tuple(sizes[c + 1 :]),
        activation=model.activation,
        gap=float(model.gap),
        omega=float(model.omega),
    )
    arrays = {
        f"weights_{l}": w.astype(np.float32) for l, w in enumerate(model.weights_)
    }
    arrays.update(
        {f"biases_{g}": b.astype(np.float32) for g, b in enumerate(model.biases_)}
    )
    np.savez_compressed(
        path,
        settings=np.array(repr(settings)),
        code_distribution=model.code_distribution_.astype(np.float32),
        n_iter=model.n_iter_,
        **arrays,
    )


def load_autoencoder(path):
    """The autoencoder written by :func:`save_autoencoder`, ready to encode and
    decode."""
    import ast

    with np.load(path) as stored:
        settings = ast.literal_eval(str(stored["settings"]))
        model = RRRAutoencoder(**settings)
        arch = cyclic_architecture(
            stored["weights_0"].shape[1],
            settings["encoder_sizes"],
            settings["code_size"],
            settings["decoder_sizes"],
            omega=settings["omega"],
        )
        n_groups = len(arch.group_sizes)
        model.weights_ = [stored[f"weights_{l}"].astype(float) for l in range(n_groups)]
        model.biases_ = [stored[f"biases_{g}"].astype(float) for g in range(n_groups)]
        model.code_distribution_ = stored["code_distribution"].astype(float)
        model.n_iter_ = int(stored["n_iter"])
    model.n_features_in_ = arch.group_sizes[0]
    model._arch = arch
    model._code_group = 1 + len(settings["encoder_sizes"])
    return model
