"""Nonnegative matrix factorization as a one-layer network, solved by RRR (paper Sec.
4).

Data items ``y_k`` (the rows of ``X``, shape (n_items, n_features), all >= 0) must equal
``sum_i x[k, i] H[i]`` with nonnegative codes ``x[k, i]`` and nonnegative features
``H[i]`` (the rows of ``components_``), each of fixed norm omega. As a network:
``n_components`` code nodes feed ``n_features`` data nodes, and the data are clamped at
the data nodes. Every item owns a replica ``x[k, j, i]`` of each code (one per out-edge
``i -> j``) and a replica ``w[k, j, i]`` of each weight, so that the constraints split
into two sets with cheap projections (paper Sec. 4, constraints 14):

- A (consensus with side constraints): the code replicas of an item agree on a value >=
  0; the weight replicas of an edge agree across items, and each feature is >= 0 with
  norm omega;
- B (the data): ``sum_i x[k, j, i] w[k, j, i] = X[k, j]`` for every item and data node,
  a bilinear projection with the data value fixed.

RRR runs on these replicas. The iterations of a start run in one compiled loop
(:mod:`numba`), with the sums behind P_A taken in the same pass as the step and the
bilinear projections of a group of pairs solved together (their Newton solves in
lockstep, each bit for bit that of the pair alone); many random starts of a small
problem run at once, in parallel.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from numba import njit, prange
from scipy.optimize import nnls
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted, validate_data

from ._bilinear_kernel import bilinear_solve, solve_workspace
from ._progress import progress_bar
from ._validation import check_nonnegative_int, check_positive, seed_from_random_state
from .work import gwms

__all__ = ["RRRNMF", "NMFHistory", "nmf_encode", "nonnegative_codes"]

_CHUNK = 2000  # iterations per compiled call when the whole data set is one batch
_ITEM_PARALLEL_SIZE = 20_000  # a single start this large runs in parallel over items


# --------------------------------------------------------------------------------------
# The compiled RRR iteration
# --------------------------------------------------------------------------------------


@njit(cache=True, error_model="numpy")
def _replica_sums(x, w, xsum, wsum):
    """The sums behind P_A: every item's code replicas over the data nodes, every
    feature entry's replicas over the items (in index order)."""
    n_items, n_features, n_comp = x.shape
    xsum[:] = 0.0
    wsum[:] = 0.0
    for k in range(n_items):
        for j in range(n_features):
            for i in range(n_comp):
                xsum[k, i] += x[k, j, i]
                wsum[j, i] += w[k, j, i]


@njit(cache=True, error_model="numpy")
def _project_a(xsum, wsum, omega, xa, wa):
    """P_A of one start from its replica sums (:func:`_replica_sums`): consensus codes
    clipped at 0, consensus features clipped and scaled to norm omega (all entries <= 0:
    omega on the largest one, paper Sec. 4)."""
    n_items, n_comp = xsum.shape
    n_features = wsum.shape[0]
    for k in range(n_items):
        for i in range(n_comp):
            xa[k, i] = max(xsum[k, i] / n_features, 0.0)
    for j in range(n_features):
        for i in range(n_comp):
            wa[j, i] = wsum[j, i] / n_items
    for i in range(n_comp):
        norm2 = 0.0
        largest = 0
        for j in range(n_features):
            if wa[j, i] > wa[largest, i]:
                largest = j
            if wa[j, i] > 0.0:
                norm2 += wa[j, i] * wa[j, i]
        if norm2 > 0.0:
            scale = omega / np.sqrt(norm2)
            for j in range(n_features):
                wa[j, i] = wa[j, i] * scale if wa[j, i] > 0.0 else 0.0
        else:
            for j in range(n_features):
                wa[j, i] = 0.0
            wa[largest, i] = omega


# Pairs per call of bilinear_solve: enough for its lockstep root solves to fill the SIMD
# lanes, few enough to stay in the L1 cache.
_PAIRS = 64
_A, _B, _P, _DATA, _U, _S_SCALE, _D_SCALE, _S_GROW, _D_GROW, _N_SCRATCH = range(10)


@njit(cache=True)
def _scratch(n_features):
    """Scratch space of :func:`_b_step`: its pair sums and :func:`bilinear_solve`'s."""
    n_pairs = max(1, _PAIRS // n_features) * n_features
    return np.zeros((_N_SCRATCH, n_pairs)), solve_workspace(n_pairs)


@njit(cache=True, error_model="numpy")
def _b_step(x, w, data, beta, xa, wa, u, first, last, scratch, work, sums, xsum, wsum):
    """Reflect items ``first..last-1`` through P_A, project onto B (the data), step.
    Returns their squared RRR error and squared reconstruction error of P_A. With
    ``sums`` (all items), also adds the replicas of the new iterate into ``xsum`` and
    ``wsum`` (zeroed by the caller), in the order of :func:`_replica_sums`.

    The items go by groups of about ``_PAIRS`` pairs (item k, data node j): a first pass
    sums each pair's reflected replicas into ``|x + w|^2``, ``|x - w|^2`` and ``x.w``,
    :func:`bilinear_solve` finds all their multipliers at once, and a second pass
    reflects again (cheaper than storing the reflection) and steps to the projection."""
    n_features, n_comp = x.shape[1], x.shape[2]
    per_group = max(1, _PAIRS // n_features)
    err2 = 0.0
    recon2 = 0.0
    for k0 in range(first, last, per_group):
        k1 = min(k0 + per_group, last)
        n = (k1 - k0) * n_features
        r = 0
        for k in range(k0, k1):
            for j in range(n_features):
                fit = 0.0
                a = 0.0
                b = 0.0
                p = 0.0
                for i in range(n_comp):
                    rx = 2.0 * xa[k, i] - x[k, j, i]
                    rw = 2.0 * wa[j, i] - w[k, j, i]
                    s = rx + rw
                    d = rx - rw
                    a += s * s
                    b += d * d
                    p += rx * rw
                    fit += xa[k, i] * wa[j, i]
                recon2 += (data[k, j] - fit) ** 2
                scratch[_A, r] = a
                scratch[_B, r] = b
                scratch[_P, r] = p
                scratch[_DATA, r] = data[k, j]
                scratch[_U, r] = u[k, j]
                r += 1
        bilinear_solve(
            scratch[_A, :n],
            scratch[_B, :n],
            scratch[_P, :n],
            scratch[_DATA, :n],
            0.0,
            scratch[_U, :n],
            scratch[_S_SCALE, :n],
            scratch[_D_SCALE, :n],
            scratch[_S_GROW, :n],
            scratch[_D_GROW, :n],
            work,
        )
        r = 0
        for k in range(k0, k1):
            for j in range(n_features):
                u[k, j] = scratch[_U, r]
                s_scale = scratch[_S_SCALE, r]
                d_scale = scratch[_D_SCALE, r]
                for i in range(n_comp):
                    rx = 2.0 * xa[k, i] - x[k, j, i]
                    rw = 2.0 * wa[j, i] - w[k, j, i]
                    s = (rx + rw) * s_scale
                    d = (rx - rw) * d_scale
                    if i == 0:
                        s += scratch[_S_GROW, r]
                        d += scratch[_D_GROW, r]
                    dx = 0.5 * (s + d) - xa[k, i]
                    dw = 0.5 * (s - d) - wa[j, i]
                    err2 += dx * dx + dw * dw
                    x[k, j, i] += beta * dx
                    w[k, j, i] += beta * dw
                    if sums:
                        xsum[k, i] += x[k, j, i]
                        wsum[j, i] += w[k, j, i]
                r += 1
    return err2, recon2


@njit(cache=True, error_model="numpy")
def _iterate(x, w, u, data, beta, omega, tol, xa, wa, errors, recon):
    """Up to ``errors.size`` RRR iterations of one start, in place; stops after the
    first iteration whose RRR error (paper eq. 22, normalised per item) is below
    ``tol``. Records the errors and the RMS reconstruction errors of P_A (eq. 23) and
    returns the number of iterations done. ``xa``/``wa`` receive P_A of the last iterate
    examined (the solution when converged): the step just taken moved the iterate, and
    P_A of the new iterate is the same point to within tol, but keep the one whose
    error was measured."""
    n_items, n_features = data.shape
    scratch, work = _scratch(n_features)
    xsum, wsum = np.empty(xa.shape), np.empty(wa.shape)
    _replica_sums(x, w, xsum, wsum)
    for t in range(errors.size):
        _project_a(xsum, wsum, omega, xa, wa)
        xsum[:] = 0.0
        wsum[:] = 0.0
        err2, recon2 = _b_step(
            x, w, data, beta, xa, wa, u, 0, n_items, scratch, work, True, xsum, wsum
        )
        errors[t] = np.sqrt(err2 / n_items)
        recon[t] = np.sqrt(recon2 / (n_items * n_features))
        if errors[t] < tol:
            return t + 1
    return errors.size


@njit(cache=True, parallel=True, error_model="numpy")
def _iterate_items(x, w, u, data, beta, omega, tol, xa, wa, errors, recon):
    """:func:`_iterate` for a single start with a large batch: in parallel over blocks
    of items."""
    n_items, n_features = data.shape
    n_blocks = min(n_items, 64)
    block_err = np.zeros(n_blocks)
    block_recon = np.zeros(n_blocks)
    xsum, wsum = np.empty(xa.shape), np.empty(wa.shape)
    for t in range(errors.shape[0]):
        _replica_sums(x, w, xsum, wsum)
        _project_a(xsum, wsum, omega, xa, wa)
        for block in prange(n_blocks):
            scratch, work = _scratch(n_features)
            first = block * n_items // n_blocks
            last = (block + 1) * n_items // n_blocks
            block_err[block], block_recon[block] = _b_step(
                x,
                w,
                data,
                beta,
                xa,
                wa,
                u,
                first,
                last,
                scratch,
                work,
                False,
                xsum,
                wsum,
            )
        # Serial sums: with parallel=True numba would turn ``.sum()`` into a parallel
        # reduction whose rounding follows the thread count.
        err2 = recon2 = 0.0
        for block in range(n_blocks):
            err2 += block_err[block]
            recon2 += block_recon[block]
        errors[t] = np.sqrt(err2 / n_items)
        recon[t] = np.sqrt(recon2 / (n_items * n_features))
        if errors[t] < tol:
            return t + 1
    return errors.shape[0]


@njit(cache=True, parallel=True, error_model="numpy")
def _iterate_starts(
    x, w, u, data, beta, omega, tol, active, xa, wa, errors, recon, n_done
):
    """:func:`_iterate` for every active start (in parallel over starts)."""
    for s in prange(errors.shape[0]):
        n_done[s] = 0
        if active[s]:
            n_done[s] = _iterate(
                x[s],
                w[s],
                u[s],
                data,
                beta,
                omega,
                tol,
                xa[s],
                wa[s],
                errors[s],
                recon[s],
            )


def _rrr_chunk(x, w, u, data, beta, omega, tol, active, xa, wa, errors, recon, n_done):
    """Up to ``errors.shape[1]`` RRR iterations of every active start, each start in one
    compiled call (:func:`_iterate`); ``n_done`` receives the iterations done. One start
    runs serially, or in parallel over its items when it is large."""
    if x.shape[0] > 1:
        _iterate_starts(
            x, w, u, data, beta, omega, tol, active, xa, wa, errors, recon, n_done
        )
    elif active[0]:
        iterate = _iterate_items if x.size >= _ITEM_PARALLEL_SIZE else _iterate
        n_done[0] = iterate(
            x[0], w[0], u[0], data, beta, omega, tol, xa[0], wa[0], errors[0], recon[0]
        )


# --------------------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------------------


def nmf_encode(X, components):
    """Codes ``ReLU(X E^T)`` with the pseudo-inverse encoder ``E = (H H^T)^-1 H`` of the
    features ``H = components`` (paper eq. 12-13); ``components`` may be a stack."""
    encoder = np.linalg.pinv(np.swapaxes(components, -1, -2))
    return np.maximum(X @ np.swapaxes(encoder, -1, -2), 0.0)


def nonnegative_codes(X, components):
    """The best nonnegative codes: for every row ``y`` of ``X`` (n_items, n_features),
    ``argmin_{x >= 0} |y - x @ components|`` (nonnegative least squares, Lawson-Hanson
    as :func:`scipy.optimize.nnls`).

    The features enter once through a thin QR factorization, ``components.T = Q R``, so
    that each item solves the small problem ``min |R x - Q^T y|`` (same minimisers);
    when the features are linearly independent, items whose unconstrained least-squares
    codes are already nonnegative take them directly (they solve the constrained
    problem), and only the others go through ``nnls``.
    """
    X = np.asarray(X, dtype=float)
    components = np.asarray(components, dtype=float)
    q, r = np.linalg.qr(components.T)  # (m, k), (k, n) with k = min(m, n)
    targets = X @ q  # (K, k): Q^T y for every item
    codes = np.zeros((X.shape[0], components.shape[0]))
    todo = np.ones(X.shape[0], dtype=bool)
    diagonal = np.abs(np.diag(r)) if r.shape[0] == r.shape[1] else np.zeros(0)
    if diagonal.size and diagonal.min() > 1e-10 * diagonal.max():
        unconstrained = np.linalg.solve(r, targets.T).T
        done = np.all(unconstrained >= 0.0, axis=1)
        codes[done] = unconstrained[done]
        todo = ~done
    for k in np.flatnonzero(todo):
        codes[k] = nnls(r, targets[k])[0]
    return codes


@dataclass
class NMFHistory:
    """What happened during :meth:`RRRNMF.fit`.

    Per iteration (one row per RRR iteration over all batches; one column per start, or
    1-d arrays when ``n_starts == 1``; NaN where a start had already stopped):

    - ``rrr_error``: the RRR error (paper eq. 22, normalised per item of the batch);
    - ``rms_reconstruction_error``: RMS error of the batch reconstructed from P_A (eq.
      23);
    - ``gwms``: work so far of each start in GWMs (paper eq. 24);
    - ``epoch``, ``batch``: where the iteration happened (1-d);
    - ``wall_time``: seconds since the start of ``fit`` when the compiled call that ran
      the iteration returned (1-d).

    Per epoch (one row per epoch): ``epoch_rms_reconstruction_error`` on the whole data,
    codes from the pseudo-inverse encoder (as the paper reports online NMF; for a single
    batch the RRR codes are used), ``epoch_rrr_error_start`` and ``epoch_rrr_error_end``
    (mean over the epoch's batches of the error at the first and last iteration),
    ``epoch_gwms`` and ``epoch_wall_time``.
    """

    rrr_error: np.ndarray
    rms_reconstruction_error: np.ndarray
    gwms: np.ndarray
    epoch: np.ndarray
    batch: np.ndarray
    wall_time: np.ndarray
    epoch_rms_reconstruction_error: np.ndarray
    epoch_rrr_error_start: np.ndarray
    epoch_rrr_error_end: np.ndarray
    epoch_gwms: np.ndarray
    epoch_wall_time: np.ndarray
    status: str = field(default="finished")


class _Recorder:
    """Collects the per-iteration and per-epoch records of a fit."""

    def __init__(self, n_starts, work_per_iteration):
        self.n_starts = n_starts
        self.work = work_per_iteration
        self.iterations = {
            "rrr_error": [],
            "recon": [],
            "done": [],
            "epoch": [],
            "batch": [],
            "wall_time": [],
        }
        self.epochs = {"recon": [], "start": [], "end": [], "gwms": [], "wall_time": []}
        self.batch_start, self.batch_end = [], []

    def add_chunk(self, errors, recon, n_done, epoch, batch, wall_time):
        length = int(n_done.max()) if n_done.size else 0
        if length == 0:
            return
        mask = np.arange(length)[None, :] < n_done[:, None]
        self.iterations["rrr_error"].append(
            np.where(mask, errors[:, :length], np.nan).T
        )
        self.iterations["recon"].append(np.where(mask, recon[:, :length], np.nan).T)
        self.iterations["done"].append(mask.T)
        self.iterations["epoch"].append(np.full(length, epoch))
        self.iterations["batch"].append(np.full(length, batch))
        self.iterations["wall_time"].append(np.full(length, wall_time))

    def add_batch(self, first_errors, last_errors):
        self.batch_start.append(first_errors)
        self.batch_end.append(last_errors)

    def add_epoch(self, recon, wall_time):
        self.epochs["recon"].append(recon)
        with warnings.catch_warnings():  # all-NaN columns of diverged starts stay NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            self.epochs["start"].append(np.nanmean(self.batch_start, axis=0))
            self.epochs["end"].append(np.nanmean(self.batch_end, axis=0))
        self.batch_start, self.batch_end = [], []
        done = (
            np.concatenate(self.iterations["done"])
            if self.iterations["done"]
            else np.zeros((0, self.n_starts), bool)
        )
        self.epochs["gwms"].append(done.sum(axis=0) * self.work)
        self.epochs["wall_time"].append(wall_time)

    def history(self, status):
        squeeze = (lambda a: a[:, 0]) if self.n_starts == 1 else (lambda a: a)
        it = self.iterations
        if it["done"]:
            done = np.concatenate(it["done"])
            errors = np.concatenate(it["rrr_error"])
            recon = np.concatenate(it["recon"])
            work = np.where(done, np.cumsum(done, axis=0) * self.work, np.nan)
            meta = [np.concatenate(it[key]) for key in ("epoch", "batch", "wall_time")]
        else:
            errors = recon = work = np.zeros((0, self.n_starts))
            meta = [np.zeros(0, int), np.zeros(0, int), np.zeros(0)]
        ep = {key: np.array(value) for key, value in self.epochs.items()}
        n_epochs = len(self.epochs["wall_time"])
        ep = {
            key: value if key == "wall_time" else value.reshape(n_epochs, self.n_starts)
            for key, value in ep.items()
        }
        return NMFHistory(
            rrr_error=squeeze(errors),
            rms_reconstruction_error=squeeze(recon),
            gwms=squeeze(work),
            epoch=meta[0],
            batch=meta[1],
            wall_time=meta[2],
            epoch_rms_reconstruction_error=squeeze(ep["recon"]),
            epoch_rrr_error_start=squeeze(ep["start"]),
            epoch_rrr_error_end=squeeze(ep["end"]),
            epoch_gwms=squeeze(ep["gwms"]),
            epoch_wall_time=ep["wall_time"],
            status=status,
        )


def _start_rngs(random_state, n_starts):
    """One generator per start; with an int seed, start s gets the same numbers whatever
    ``n_starts`` is, so a success rate over 20 starts extends the one over 10. A
    RandomState gives an int seed drawn from it."""
    random_state = seed_from_random_state(random_state)
    if isinstance(random_state, np.random.Generator):
        return [random_state] * n_starts
    children = np.random.SeedSequence(random_state).spawn(n_starts)
    return [np.random.default_rng(child) for child in children]


class RRRNMF(TransformerMixin, BaseEstimator):
    """Nonnegative matrix factorization ``X ~ codes @ components_`` by RRR (paper Sec.
    4).

    Parameters
    ----------
    n_components : int
        Number of features (code nodes), n. For an exact factorization, at least the
        nonnegative rank of ``X``.
    beta : float, > 0
        The RRR step beta (0.3 for the hard LEDM instances, 1 for online NMF).
    omega : float, > 0
        Norm Omega of every feature; sets the relative compliance of features and codes.
    batch_size : int or None
        Items per batch. ``None``: the whole data set is one batch (exact
        factorization). Otherwise batches are read in order and a trailing partial batch
        is dropped, as in the paper's code; each batch starts from the previous batch's
        features.
    max_iter : int
        RRR iterations per batch at most (the paper's RRR_iter). The default, 300,000,
        lets most random starts of the paper's small exact problems (the LEDM m = 6
        matrix needs some 3e4 to 3e5 iterations) reach ``tol``; online NMF uses a few
        iterations per batch (the paper: 4).
    tol : float, >= 0
        A batch stops when its RRR error falls below ``tol``. With a single batch
        (``batch_size=None``) and ``tol > 0``, a fit whose chosen start stops at
        ``max_iter`` without reaching ``tol`` emits a ``ConvergenceWarning``; ``tol=0``
        runs exactly ``max_iter`` iterations without a warning.
    epochs : int
        Passes over the data (online mode).
    n_starts : int
        Independent random starts run at once (vectorized; in parallel on several
        cores). The start with the lowest final reconstruction error gives
        ``components_``; per-start results are kept in ``start_*`` attributes.
    random_state : None, int, numpy Generator or RandomState
        Seed of the random initial features (Uniform[0, 1] entries scaled to norm
        omega).
    warm_start : bool
        If True and the model was fitted on data of the same shape, ``fit`` continues
        the RRR search where the previous call stopped (e.g. after ``max_iter`` or an
        interruption) instead of starting afresh.
    progress : bool
        Show a progress bar (tqdm).

    Attributes
    ----------
    components_ : array (n_components, n_features)
        The features, each >= 0 with norm omega.
    reconstruction_err_ : float
        Frobenius norm ``|X - codes @ components_|`` (scikit-learn's meaning) for the
        training data, with the RRR codes when ``batch_size`` is None and the encoder's
        codes (:meth:`encode`) otherwise.
    n_iter_ : int
        RRR iterations of the chosen start, over all batches.
    converged_ : bool array (n_starts,)
        Whether each start's last batch reached ``tol``.
    best_start_ : int
        Index of the start that gives ``components_``.
    start_components_, start_reconstruction_err_, start_n_iter_ :
        The same for every start, stacked along a first axis.
    history_ : :class:`NMFHistory`
        Per-iteration and per-epoch errors, work (GWMs) and wall time.

    Notes
    -----
    A KeyboardInterrupt stops ``fit`` cleanly: the model keeps what was found so far
    (``history_.status == "interrupted"``) and ``warm_start=True`` resumes it. A start
    whose iterates stop being finite (a step beta far too large) is stopped; if the
    chosen start diverged, ``history_.status`` is ``"diverged"`` and a
    ``ConvergenceWarning`` says so.

    :meth:`transform` returns the best nonnegative codes of new data for the fitted
    features (nonnegative least squares, as scikit-learn's users expect); the paper's
    encoder codes ``ReLU(E X)`` (eq. 12-13) are :meth:`encode`.
    """

    def __init__(
        self,
        n_components,
        *,
        beta=1.0,
        omega=1.0,
        batch_size=None,
        max_iter=300_000,
        tol=1e-10,
        epochs=1,
        n_starts=1,
        random_state=None,
        warm_start=False,
        progress=False,
    ):
        self.n_components = n_components
        self.beta = beta
        self.omega = omega
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.epochs = epochs
        self.n_starts = n_starts
        self.random_state = random_state
        self.warm_start = warm_start
        self.progress = progress

    # ---- checks ----------------------------------------------------------------------

    def _check_params(self, n_items):
        n_components = check_nonnegative_int(
            "n_components", self.n_components, minimum=1
        )
        beta = check_positive("beta", self.beta)
        omega = check_positive("omega", self.omega)
        max_iter = check_nonnegative_int("max_iter", self.max_iter, minimum=1)
        tol = check_positive("tol", self.tol, allow_zero=True)
        epochs = check_nonnegative_int("epochs", self.epochs, minimum=1)
        n_starts = check_nonnegative_int("n_starts", self.n_starts, minimum=1)
        if self.batch_size is None:
            batch_size = n_items
        else:
            batch_size = check_nonnegative_int("batch_size", self.batch_size, minimum=1)
            if batch_size > n_items:
                raise ValueError(
                    f"batch_size={batch_size} is larger than the number of "
                    f"items (n_samples={n_items})"
                )
        return n_components, beta, omega, max_iter, tol, epochs, n_starts, batch_size

    def _check_data(self, X, reset):
        X = validate_data(self, X, reset=reset, dtype=np.float64)
        if np.any(X < 0):
            raise ValueError(
                "Negative values in data passed to RRRNMF: X must be nonnegative (NMF)"
            )
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags

    # ---- fitting ---------------------------------------------------------------------

    def _initial_features(self, n_features, n_components, omega, n_starts):
        rngs = _start_rngs(self.random_state, n_starts)
        features = np.stack(
            [rng.uniform(0.0, 1.0, (n_features, n_components)) for rng in rngs]
        )
        return features * (omega / np.linalg.norm(features, axis=1, keepdims=True))

    def fit(self, X, y=None):
        """Factorize ``X`` (n_items, n_features), all entries >= 0. Returns self."""
        self._fit(X)
        return self

    def fit_transform(self, X, y=None):
        """Fit and return the codes of ``X``: RRR's own codes when the whole data set
        was one batch and the chosen start reached ``tol`` (they solve the factorization
        to within it), else the best nonnegative codes for the fitted features
        (:meth:`transform`): RRR's codes of an unfinished search are not the best
        ones."""
        codes, X, one_batch = self._fit(X)
        if one_batch and self.converged_[self.best_start_]:
            return codes
        return nonnegative_codes(X, self.components_)

    def _fit(self, X):
        X = self._check_data(X, reset=True)
        # one compiled specialization for every input: C order, writeable (a read-only
        # or Fortran-ordered X is copied; the values are the same)
        X = np.require(X, dtype=np.float64, requirements=["C", "W"])
        n_items, n_features = X.shape
        (n_components, beta, omega, max_iter, tol, epochs, n_starts, batch_size) = (
            self._check_params(n_items)
        )
        n_batches = n_items // batch_size
        one_batch = n_batches == 1 and batch_size == n_items

        shape = (n_starts, batch_size, n_features, n_components)
        resume = (
            self.warm_start
            and getattr(self, "_state", None) is not None
            and self._state[0].shape == shape
        )
        if resume:
            x, w, u = self._state
            features = self._features
        else:
            features = self._initial_features(n_features, n_components, omega, n_starts)
            x = w = u = None
        xa = np.empty((n_starts, batch_size, n_components))
        wa = features.copy()
        recorder = _Recorder(n_starts, gwms(1, batch_size, n_features * n_components))
        n_iter = np.zeros(n_starts, dtype=np.int64)
        converged = np.zeros(n_starts, dtype=bool)
        diverged = np.zeros(n_starts, dtype=bool)
        start = time.perf_counter()
        status = "finished"
        bar = progress_bar(epochs * n_batches * max_iter, "RRR NMF", self.progress)
        try:
            for epoch in range(epochs):
                for batch in range(n_batches):
                    data = X[batch * batch_size : (batch + 1) * batch_size]
                    if x is None:
                        x, w = _initial_replicas(data, wa, shape)
                        u = np.zeros(shape[:3])  # bilinear multipliers, Newton's start
                    converged[:] = False
                    first = last = None
                    done_here = 0
                    while done_here < max_iter and not (converged | diverged).all():
                        chunk = min(
                            max_iter - done_here, _CHUNK if one_batch else max_iter
                        )
                        errors = np.empty((n_starts, chunk))
                        recon = np.empty((n_starts, chunk))
                        n_done = np.zeros(n_starts, dtype=np.int64)
                        _rrr_chunk(
                            x,
                            w,
                            u,
                            data,
                            beta,
                            omega,
                            tol,
                            ~(converged | diverged),
                            xa,
                            wa,
                            errors,
                            recon,
                            n_done,
                        )
                        ran = np.flatnonzero(n_done)
                        converged[ran] = errors[ran, n_done[ran] - 1] < tol
                        recorder.add_chunk(
                            errors,
                            recon,
                            n_done,
                            epoch,
                            batch,
                            time.perf_counter() - start,
                        )
                        if first is None:
                            first = errors[:, 0].copy()
                        last = _last_values(errors, n_done, last)
                        diverged |= ~np.isfinite(last)  # stop a start that blew up
                        n_iter += n_done
                        done_here += chunk
                        bar.update(chunk)
                    recorder.add_batch(first, last)
                    if not one_batch:
                        x = None  # the next batch starts from the consensus features wa
                codes = xa if one_batch else nmf_encode(X, np.swapaxes(wa, 1, 2))
                recorder.add_epoch(_rms(X, codes, wa), time.perf_counter() - start)
        except KeyboardInterrupt:
            status = "interrupted"
        finally:
            bar.close()

        self._state = (x, w, u) if one_batch and x is not None else None
        self._features = wa.copy()
        components = np.swapaxes(wa, 1, 2).copy()
        codes = xa if one_batch else nmf_encode(X, components)
        errors = np.linalg.norm(X - codes @ components, axis=(1, 2))
        errors[diverged | ~np.isfinite(errors)] = np.inf
        best = int(np.argmin(errors))
        if diverged[best]:  # every start diverged
            status = "diverged"
            warnings.warn(
                "RRRNMF diverged: its iterates are no longer finite (NaN or "
                "inf); try a smaller beta",
                ConvergenceWarning,
                stacklevel=3,
            )
        elif status == "finished" and one_batch and tol > 0 and not converged[best]:
            warnings.warn(
                f"RRRNMF stopped after max_iter={max_iter} iterations without "
                f"reaching tol={tol:g}: the factorization is not exact (raise "
                f"max_iter, try more starts or more components)",
                ConvergenceWarning,
                stacklevel=3,
            )
        self.n_components_ = n_components
        self.start_components_ = components
        self.start_reconstruction_err_ = errors
        self.start_n_iter_ = n_iter
        self.converged_ = converged.copy()
        self.best_start_ = best
        self.components_ = components[best]
        self.reconstruction_err_ = float(errors[best])
        self.n_iter_ = int(n_iter[best])
        self.history_ = recorder.history(status)
        return codes[best], X, one_batch

    def transform(self, X):
        """The best nonnegative codes of ``X`` for the fitted features:
        ``argmin_{codes >= 0} |X - codes @ components_|``, row by row
        (:func:`nonnegative_codes`). The paper's encoder codes are :meth:`encode`."""
        check_is_fitted(self)
        X = self._check_data(X, reset=False)
        return nonnegative_codes(X, self.components_)

    def encode(self, X):
        """The paper's codes of new data: ``ReLU(E X)`` with the pseudo-inverse encoder
        ``E`` of the features (eq. 12-13), a single matrix product; exact only where the
        data lie in the cone of the features and the encoder does not need the ReLU."""
        check_is_fitted(self)
        X = self._check_data(X, reset=False)
        return nmf_encode(X, self.components_)

    def inverse_transform(self, codes):
        """Data reconstructed from codes: ``codes @ components_``."""
        check_is_fitted(self)
        codes = check_array(codes, dtype=np.float64, input_name="codes")
        if codes.shape[1] != self.n_components_:
            raise ValueError(
                f"codes must have {self.n_components_} columns, got {codes.shape[1]}"
            )
        return codes @ self.components_


def _initial_replicas(data, features, shape):
    """Replicas that satisfy A exactly (paper Sec. 4): every weight replica equals its
    feature entry and every code replica the encoder's code of its item."""
    codes = nmf_encode(data[None], np.swapaxes(features, 1, 2))  # (S, K, n)
    # copies (np.ascontiguousarray would return the read-only broadcast view itself when
    # it happens to be contiguous, as with a single item or feature)
    x = np.array(np.broadcast_to(codes[:, :, None, :], shape), order="C")
    w = np.array(np.broadcast_to(features[:, None, :, :], shape), order="C")
    return x, w


def _last_values(errors, n_done, previous):
    last = errors[np.arange(errors.shape[0]), np.maximum(n_done - 1, 0)]
    if previous is None:
        return np.where(n_done > 0, last, np.nan)
    return np.where(n_done > 0, last, previous)


def _rms(X, codes, features):
    """RMS reconstruction error of each start (paper eq. 23); features (S, m, n)."""
    residual = X[None] - codes @ np.swapaxes(features, 1, 2)
    return np.sqrt(np.mean(residual * residual, axis=(1, 2)))
