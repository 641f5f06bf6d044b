"""A generative model from an iDE autoencoder and a classifier of codes (paper Sec. 6.2
and 6.3.2).

The autoencoder's code set is a product of per-node distributions, so random codes are
easy to draw, but only some of them decode to data-like items. A two-class classifier
learns which: the encodings of the training data are "genuine" (class 1) and product
samples are "fake" (class 0). No fake is known to be bad, so the classifier is trained
with a **false-positive allowance**: every genuine code must be classified genuine, and
up to a fraction ``fpa`` of the fakes may be classified genuine too, those that cost
least (paper Sec. 6.2; its code `RRRclass_fp.c`). Generating is then: draw a product
code, keep it if the classifier accepts it, decode it.

The paper monitors two rates: ``fp``, the fraction of fakes accepted (it should settle
near ``fpa``), and ``tn``, the fraction of genuine codes rejected (it should go to 0;
the paper calls it the "true-negative rate").
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from ._validation import check_nonnegative_int, check_positive, check_random_state
from .autoencoder import RRRAutoencoder
from .classifier import RRRClassifier

__all__ = ["GenerativeModel", "GenerativeHistory", "false_positive_allowance"]


def false_positive_allowance(fpa, batch_size, n_fake, n_total):
    """Fakes per batch that may be accepted: ``floor(fpa * batch * n_fake / n_total)``
    (the paper's code)."""
    check_positive("fpa", fpa, allow_zero=True)
    if fpa >= 1:
        raise ValueError(f"fpa must be a fraction below 1, got {fpa}")
    return int(np.floor(fpa * batch_size * n_fake / n_total))


@dataclass
class GenerativeHistory:
    """Per-epoch record of :meth:`GenerativeModel.fit`: ``fp_train`` / ``tn_train`` on
    the training codes, ``fp_test`` / ``tn_test`` on the test codes (NaN without test
    data), ``fp_batch``: the fraction of fakes accepted by the allowance projection at
    the end of each batch, averaged over the epoch; ``gwms`` and ``wall_time``
    cumulative."""

    fp_train: list = field(default_factory=list)
    tn_train: list = field(default_factory=list)
    fp_test: list = field(default_factory=list)
    tn_test: list = field(default_factory=list)
    fp_batch: list = field(default_factory=list)
    gwms: list = field(default_factory=list)
    wall_time: list = field(default_factory=list)

    def as_arrays(self) -> dict:
        """The columns as numpy arrays."""
        return {f.name: np.asarray(getattr(self, f.name)) for f in fields(self)}


class GenerativeModel(BaseEstimator):
    """Draw data-like items from a trained
    :class:`~lossless_tutorial.autoencoder.RRRAutoencoder`.

    Parameters
    ----------
    autoencoder : RRRAutoencoder
        A fitted autoencoder; its ``code_distribution_`` defines the product of
        marginals that fakes and samples come from. It is an input, not trained here:
        :func:`sklearn.base.clone` of a GenerativeModel shares it (cloning would return
        an unfitted autoencoder) and clones the other parameters.
    hidden_layer_sizes : tuple of int
        The code classifier's hidden ReLU layers (paper: 10 -> 50 -> 50 -> 50 -> 2).
    fpa : float
        False-positive allowance: the fraction of fakes that may be classified genuine.
    fakes_per_genuine : int
        Fake codes drawn per training item (paper: 2).
    beta, omega, upsilon, delta, batch_size, max_iter, tol :
        The classifier's RRR settings (paper: 1, 5, 1, 0.1, 500, 1000).
    epochs : int
        Passes over the labelled codes.
    random_state : None, int, Generator or RandomState
        Seeds the fakes, the classifier and its shuffling.
    warm_start : bool
        If True, ``fit`` continues training the same classifier on the same codes.
    progress : bool
        Show the classifier's progress bar.

    Attributes
    ----------
    classifier_ : RRRClassifier
    history_ : :class:`GenerativeHistory`
    """

    def __init__(
        self,
        autoencoder,
        *,
        hidden_layer_sizes=(50, 50, 50),
        fpa=0.25,
        fakes_per_genuine=2,
        beta=1.0,
        omega=5.0,
        upsilon=1.0,
        delta=0.1,
        batch_size=500,
        max_iter=1000,
        tol=1e-3,
        epochs=20,
        random_state=None,
        warm_start=False,
        progress=False,
    ):
        self.autoencoder = autoencoder
        self.hidden_layer_sizes = hidden_layer_sizes
        self.fpa = fpa
        self.fakes_per_genuine = fakes_per_genuine
        self.beta = beta
        self.omega = omega
        self.upsilon = upsilon
        self.delta = delta
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.epochs = epochs
        self.random_state = random_state
        self.warm_start = warm_start
        self.progress = progress

    def __sklearn_clone__(self):
        params = self.get_params(deep=False)
        autoencoder = params.pop("autoencoder")
        return type(self)(
            autoencoder,
            **{name: clone(value, safe=False) for name, value in params.items()},
        )

    def _check_autoencoder(self):
        if not isinstance(self.autoencoder, RRRAutoencoder) or not hasattr(
            self.autoencoder, "weights_"
        ):
            raise ValueError("autoencoder must be a fitted RRRAutoencoder")

    def labelled_codes(self, X, n_fake, rng):
        """Genuine codes ``E(X)`` (label 1) followed by ``n_fake`` product samples
        (label 0): the classifier's data."""
        genuine = self.autoencoder.encode(X)
        fake = self.autoencoder.sample_codes(n_fake, random_state=rng)
        labels = np.r_[np.ones(len(genuine), int), np.zeros(n_fake, int)]
        return np.vstack([genuine, fake]), labels

    @staticmethod
    def rates(accepted, labels):
        """``(fp, tn)``: the fraction of fakes accepted and of genuine codes
        rejected."""
        accepted = np.asarray(accepted, bool)
        return float(np.mean(accepted[labels == 0])), float(
            np.mean(~accepted[labels == 1])
        )

    def fit(self, X, X_test=None):
        """Train the code classifier on the encodings of ``X`` and ``fakes_per_genuine``
        times as many fakes; ``X_test`` (optional) gives the test rates."""
        self._check_autoencoder()
        n_per = check_nonnegative_int(
            "fakes_per_genuine", self.fakes_per_genuine, minimum=1
        )
        epochs = check_nonnegative_int("epochs", self.epochs, minimum=1)
        resume = self.warm_start and hasattr(self, "classifier_")
        if resume:
            rng, history = self._rng, self.history_
            codes, labels, test = self._codes, self._labels, self._test
        else:
            rng = check_random_state(self.random_state)
            X = self.autoencoder._check_data(X, "X", self.autoencoder.n_features_in_)
            codes, labels = self.labelled_codes(X, n_per * X.shape[0], rng)
            test = None
            if X_test is not None:
                X_test = self.autoencoder._check_data(
                    X_test, "X_test", self.autoencoder.n_features_in_
                )
                test = self.labelled_codes(X_test, n_per * X_test.shape[0], rng)
            n_allowed = false_positive_allowance(
                self.fpa, self.batch_size, int(np.sum(labels == 0)), labels.size
            )
            self.classifier_ = RRRClassifier(
                self.hidden_layer_sizes,
                beta=self.beta,
                omega=self.omega,
                upsilon=self.upsilon,
                delta=self.delta,
                batch_size=self.batch_size,
                max_iter=self.max_iter,
                tol=self.tol,
                epochs=1,
                false_positives=n_allowed,
                random_state=rng,
                warm_start=True,
                progress=self.progress,
            )
            history = GenerativeHistory()
        self._rng, self._codes, self._labels, self._test = rng, codes, labels, test
        self.history_ = history
        classifier = self.classifier_
        started = time.perf_counter() - (history.wall_time or [0.0])[-1]
        for _ in range(epochs):
            classifier.fit(codes, labels)
            accepted_in_batches = len(classifier.history_.exempted[-1])
            history.fp_batch.append(accepted_in_batches / float(np.sum(labels == 0)))
            fp, tn = self.rates(classifier.predict(codes) == 1, labels)
            history.fp_train.append(fp)
            history.tn_train.append(tn)
            if test is not None:
                fp, tn = self.rates(classifier.predict(test[0]) == 1, test[1])
            else:
                fp, tn = np.nan, np.nan
            history.fp_test.append(fp)
            history.tn_test.append(tn)
            history.gwms.append(classifier.history_.gwms[-1])
            history.wall_time.append(time.perf_counter() - started)
            if classifier.history_.status == "interrupted":
                break
        return self

    def accepts(self, codes):
        """Whether the classifier takes each code for genuine."""
        check_is_fitted(self, "classifier_")
        return self.classifier_.predict(codes) == 1

    def sample(self, n, random_state=None, *, max_draws=1_000_000):
        """``n`` generated items: product codes that the classifier accepts, decoded.

        Returns ``(items, codes, acceptance_rate)``; raises ``ValueError`` if fewer than
        ``n`` of ``max_draws`` codes are accepted.
        """
        n = check_nonnegative_int("n", n)
        if n == 0:
            code_size = self.autoencoder.code_size
            return (
                np.zeros((0, self.autoencoder.n_features_in_)),
                np.zeros((0, code_size)),
                float("nan"),
            )
        rng = check_random_state(random_state)
        kept, drawn = [], 0
        while sum(len(k) for k in kept) < n:
            if drawn >= max_draws:
                raise ValueError(
                    f"only {sum(len(k) for k in kept)} of {drawn} codes were "
                    f"accepted; raise max_draws to get n={n} samples"
                )
            chunk = self.autoencoder.sample_codes(max(4 * n, 1000), random_state=rng)
            drawn += len(chunk)
            kept.append(chunk[self.accepts(chunk)])
        codes = np.vstack(kept)
        rate = len(codes) / drawn if drawn else float("nan")
        codes = codes[:n]
        return self.autoencoder.decode(codes), codes, rate
