"""Full-scale reproductions of the paper's experiments, written to JSON results files.

The book's chapters run reduced versions live; the full-scale runs take minutes to days
and go through the command line (``python -m lossless_tutorial reproduce ...``), which
calls the functions here. Each writes one JSON file that a chapter can read and show
beside the paper's numbers, together with the command that regenerated it. Without an
``output`` the file goes to :func:`results_dir` (the user data folder, or
``$LOSSLESS_TUTORIAL_RESULTS``), never into the book.

A run may be stopped at any moment: it is cut into units (a seed, a run, a list of
trials), each checkpointed after every step (see :mod:`lossless_tutorial._runstore`), so
the file never claims more than was done (``complete: false`` until the end) and the
same call resumes it, with the same final results as a run never stopped. Ctrl-C stops
it at the next checkpoint.
"""

from __future__ import annotations

import hashlib
import io
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from . import datasets
from ._pool import Pool
from ._progress import progress_bar
from ._runstore import (
    ResultsFileError,
    RunStore,
    Stopped,
    results_dir,  # noqa: F401
    write_results,
)
from .nmf import RRRNMF
from .work import gwms

__all__ = [
    "LEDM_TABLE_1",
    "ResultsFileError",
    "Stopped",
    "reproduce_ledm",
    "reproduce_letters",
    "results_dir",
    "write_results",
]

# Paper, Table 1: m -> (r+, beta, omega, RRR rate, RRR seconds, RRR GWMs, CD rate,
# heuristic rate, heuristic seconds). Rates as fractions; None where the paper has "-".
LEDM_TABLE_1 = {
    6: dict(
        rank=5,
        beta=0.3,
        omega=0.6,
        rrr_rate=1.0,
        rrr_seconds=2,
        rrr_gwms=0.02,
        cd_rate="1.6%",
        cd_seconds=100,
        heuristic_rate=1.0,
        heuristic_seconds=19,
    ),
    8: dict(
        rank=6,
        beta=0.3,
        omega=0.7,
        rrr_rate=1.0,
        rrr_seconds=59,
        rrr_gwms=0.61,
        cd_rate="< 1%",
        cd_seconds=None,
        heuristic_rate=0.99,
        heuristic_seconds=64,
    ),
    12: dict(
        rank=7,
        beta=0.3,
        omega=0.8,
        rrr_rate=1.0,
        rrr_seconds=567,
        rrr_gwms=6.27,
        cd_rate="< 1%",
        cd_seconds=None,
        heuristic_rate=0.69,
        heuristic_seconds=37,
    ),
    16: dict(
        rank=8,
        beta=0.3,
        omega=0.9,
        rrr_rate=1.0,
        rrr_seconds=3677,
        rrr_gwms=41.52,
        cd_rate="< 1%",
        cd_seconds=None,
        heuristic_rate=0.48,
        heuristic_seconds=104,
    ),
}

EXACT = 1e-8  # relative Frobenius error below which a factorization counts as exact


# --------------------------------------------------------------------------------------
# Resumable steps shared by the experiments
# --------------------------------------------------------------------------------------


def _store(output, name, command, arguments, build, grow=(), force_new=False):
    """The :class:`RunStore` of ``output`` (default: ``name`` in :func:`results_dir`)
    and the command line that remakes it (``--output`` added when it is not the
    default)."""
    default = results_dir() / name
    output = Path(output) if output else default
    if output != default:
        command += f" --output {output}"
    return RunStore(output, arguments, build, grow, force_new=force_new), command


def _check_step(*histories):
    """A fit cut by a KeyboardInterrupt (a second Ctrl-C) keeps half a step: drop it."""
    if any(history.status == "interrupted" for history in histories):
        raise Stopped()


def _trials(store, unit, n, trial, bar=None, initial=(), pool=None):
    """The list unit ``unit``: ``trial(i)`` for i < ``n``, independent trials,
    checkpointed and published one by one (a block at a time when ``pool`` runs several
    at once) and resumed after the last one checkpointed (or after ``initial``, results
    kept from an earlier file). Returns the list."""
    done, _ = store.load(unit)
    done = list(initial if done is None else done)
    if bar is not None:
        bar.update(min(len(done), n))
    block = 1 if pool is None else pool.slots
    while len(done) < n:
        trials = range(len(done), min(n, len(done) + block))
        done += (
            [trial(i) for i in trials]
            if pool is None
            else pool.map(trial, trials, store)
        )
        store.save(unit, done)
        store.publish()
        if bar is not None:
            bar.update(len(trials))
    return done


def _epochs(
    store, unit, make_model, fit_epoch, epochs_done, epochs, record, bar, files=None
):
    """The epoch unit ``unit``: a model trained to ``epochs`` epochs by ``fit_epoch``,
    resumed from its checkpoint; after each epoch the model and ``record(model, previous
    record)`` are checkpointed, then ``files(model)`` written (see
    :meth:`RunStore.publish`) and the results. Returns the model."""
    part, model = store.load(unit)
    if model is None:
        model = make_model()
    bar.update(min(epochs_done(model), epochs))
    while epochs_done(model) < epochs:
        fit_epoch(model)
        part = record(model, part)
        store.save(unit, part, model)
        store.publish(files=files(model) if files else None)
        bar.update(1)
    return model


def _epochs_done(column):
    """The epochs a model has trained: the length of a column of its history."""
    return lambda model: (
        len(getattr(model.history_, column)) if hasattr(model, "history_") else 0
    )


def _settings(settings):
    return {k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()}


# --------------------------------------------------------------------------------------
# NMF (paper Sec. 4): Table 1 (LEDM) and Fig. 7 (letter montages)
# --------------------------------------------------------------------------------------


def _sklearn_nmf_error(Y, rank, seed, *, solver="cd", max_iter=20_000):
    """Relative Frobenius error reached by scikit-learn's NMF (no regularization) on
    ``Y`` from the random start ``seed``."""
    from sklearn.decomposition import NMF

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = NMF(
            rank,
            init="random",
            solver=solver,
            beta_loss="frobenius",
            tol=1e-14,
            max_iter=max_iter,
            random_state=seed,
        )
        codes = model.fit_transform(Y)
    return float(np.linalg.norm(Y - codes @ model.components_) / np.linalg.norm(Y))


def sklearn_exact_rate(Y, rank, n_starts, *, solver="cd", max_iter=20_000, seed=0):
    """Fraction of random starts from which scikit-learn's NMF (no regularization)
    reaches a relative Frobenius error below ``EXACT`` on ``Y``, and the errors
    reached."""
    errors = np.array(
        [
            _sklearn_nmf_error(Y, rank, seed + s, solver=solver, max_iter=max_iter)
            for s in range(n_starts)
        ]
    )
    return float(np.mean(errors < EXACT)), errors


def _nmf_starts(Y, rank, omega, seed, starts):
    """The initial RRR state ``(x, w, u, features)`` of the given starts of
    ``RRRNMF(rank, omega=omega, random_state=seed)`` on ``Y`` (start s draws the same
    numbers whatever the number of starts), stacked along a first axis."""
    from .nmf import _initial_replicas

    model = RRRNMF(rank, omega=omega, random_state=seed)
    features = model._initial_features(Y.shape[1], rank, omega, max(starts) + 1)[starts]
    x, w = _initial_replicas(Y, features, (len(starts), *Y.shape, rank))
    return x, w, np.zeros((len(starts), *Y.shape)), features


def _nmf_continue(Y, states, *, rank, beta, omega, tol, max_iter):
    """Up to ``max_iter`` more RRR iterations of NMF runs (one start each), all at once,
    from their states ``(x, w, u, features)``; a run stops at ``tol``. The iterations of
    a run do not depend on how they are cut into calls. Returns the fitted multi-start
    model and the new states."""
    model = RRRNMF(
        rank,
        beta=beta,
        omega=omega,
        max_iter=max_iter,
        tol=tol,
        n_starts=len(states),
        warm_start=True,
    )
    stacked = [np.stack(part) for part in zip(*states)]
    model._state, model._features = (
        tuple(stacked[:3]),
        stacked[3],
    )  # RRRNMF's warm start
    with warnings.catch_warnings():  # a chunk that ends before tol is not a failure
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(Y)
    _check_step(model.history_)
    x, w, u = model._state
    return model, list(zip(x, w, u, model._features))


def reproduce_ledm(
    m,
    *,
    runs=20,
    max_iter=20_000_000,
    tol=1e-10,
    seed=0,
    cd_starts=100,
    output=None,
    progress=True,
    chunk=50_000,
    force_new=False,
    jobs=1,
    scheduler=None,
):
    """Table 1 of the paper for one LEDM size: ``runs`` RRR starts and scikit-learn CD
    from ``cd_starts`` random starts.

    Per run: whether it reached an exact factorization, its iterations, GWMs and an
    estimate of its single-core seconds (its iterations times the measured single-core
    cost of one iteration, because the runs share the cores). The runs go together,
    ``chunk`` iterations at a time, each with its own checkpoint (its full RRR state);
    with ``jobs`` > 1 or a ``scheduler`` they are split into as many groups as the pool
    runs at once (see :func:`reproduce_majority`).
    """
    if m not in LEDM_TABLE_1:
        raise ValueError(
            f"m must be one of {sorted(LEDM_TABLE_1)} (the sizes of Table 1), got {m!r}"
        )
    paper = LEDM_TABLE_1[m]
    Y = datasets.ledm(m)
    rank, beta, omega = paper["rank"], paper["beta"], paper["omega"]
    norm = np.linalg.norm(Y)
    work_per_iter = gwms(1, m, m * rank)

    # Single-core cost of one iteration, measured on one start.
    probe = RRRNMF(
        rank, beta=beta, omega=omega, max_iter=2000, tol=0.0, random_state=seed
    )
    probe.fit(Y)  # compiles the kernel
    started = time.perf_counter()
    probe.fit(Y)
    seconds_per_iter = (time.perf_counter() - started) / 2000

    def build(parts):
        records = [parts[f"run{s}"] for s in range(runs) if f"run{s}" in parts]
        results = dict(
            header,
            per_run=_ledm_runs(records, seconds_per_iter, work_per_iter),
            wall_seconds=time.perf_counter() - started,
        )
        if len(records) == runs and all(_ledm_finished(r, max_iter) for r in records):
            exact = np.array(
                [r["converged"] and r["relative_error"] < EXACT for r in records]
            )
            n_iter = np.array([r["n_iter"] for r in records])
            results.update(_summary(exact, n_iter, seconds_per_iter, work_per_iter))
        if parts.get("cd"):
            results.update(
                cd_starts=len(parts["cd"]),
                cd_rate=float(np.mean(np.array(parts["cd"]) < EXACT)),
                cd_median_error=float(np.median(parts["cd"])),
            )
        return results

    store, command = _store(
        output,
        f"ledm_m{m}.json",
        f"python -m lossless_tutorial reproduce ledm --m {m} --runs {runs} --max-iter "
        f"{max_iter} --seed {seed} --cd-starts {cd_starts}",
        dict(
            m=m, runs=runs, max_iter=max_iter, tol=tol, seed=seed, cd_starts=cd_starts
        ),
        build,
        grow=("runs", "cd_starts"),
        force_new=force_new,
    )
    header = dict(
        experiment="ledm",
        m=m,
        n_components=rank,
        beta=beta,
        omega=omega,
        tol=tol,
        max_iter=max_iter,
        runs=runs,
        seed=seed,
        command=command,
        paper=paper,
        seconds_per_iteration=seconds_per_iter,
    )

    def advance(unit_store, group, bar=None):
        """Run the LEDM runs ``group`` together to the end, ``chunk`` iterations at a
        time, each checkpointed after every chunk."""
        records, states = {}, {}
        for s in group:
            records[s], states[s] = unit_store.load(f"run{s}")
        fresh = [s for s in group if records[s] is None]
        if fresh:
            for s, state in zip(fresh, zip(*_nmf_starts(Y, rank, omega, seed, fresh))):
                records[s] = dict(converged=False, n_iter=0, relative_error=None)
                states[s] = state
        pending = [s for s in group if not _ledm_finished(records[s], max_iter)]
        while pending:
            length = min(chunk, max_iter - max(records[s]["n_iter"] for s in pending))
            model, new = _nmf_continue(
                Y,
                [states[s] for s in pending],
                rank=rank,
                beta=beta,
                omega=omega,
                tol=tol,
                max_iter=length,
            )
            for i, s in enumerate(pending):
                converged = bool(model.converged_[i])
                error = model.start_reconstruction_err_[i] / norm
                records[s] = dict(
                    converged=converged,
                    n_iter=records[s]["n_iter"] + int(model.start_n_iter_[i]),
                    relative_error=float(error) if converged else None,
                )
                finished = _ledm_finished(records[s], max_iter)
                states[s] = None if finished else new[i]
                unit_store.save(f"run{s}", records[s], states[s])
                if bar is not None:
                    bar.update(int(finished))
            pending = [s for s in pending if states[s] is not None]
            unit_store.publish()

    def show(parts):
        bar.n = sum(_ledm_finished(parts.get(f"run{s}"), max_iter) for s in range(runs))
        bar.refresh()

    with store, Pool(jobs, scheduler) as pool:
        for s in range(runs):
            store.load(f"run{s}")
        pending = [
            s
            for s in range(runs)
            if not _ledm_finished(store.parts.get(f"run{s}"), max_iter)
        ]
        bar = progress_bar(runs, f"LEDM m={m}: runs finished", progress)
        bar.update(runs - len(pending))
        try:
            if pool.serial:  # all runs at once: one compiled call advances them all
                advance(store, pending, bar)
            else:
                groups = [pending[g :: pool.slots] for g in range(pool.slots)]
                pool.run_units(
                    store,
                    [
                        (
                            [f"run{s}" for s in group],
                            lambda unit_store, group=group: advance(unit_store, group),
                        )
                        for group in groups
                        if group
                    ],
                    show,
                )
            if cd_starts:
                _trials(
                    store,
                    "cd",
                    cd_starts,
                    lambda i: _sklearn_nmf_error(Y, rank, seed + i),
                    pool=pool,
                )
        finally:
            bar.close()
        results = build(store.parts)
        store.publish(complete=True)
    return dict(results, complete=True)


def _ledm_finished(record, max_iter):
    return record is not None and (record["converged"] or record["n_iter"] >= max_iter)


def _ledm_runs(records, seconds_per_iter, work_per_iter):
    return [
        dict(
            converged=r["converged"],
            n_iter=r["n_iter"],
            gwms=float(r["n_iter"] * work_per_iter),
            seconds=float(r["n_iter"] * seconds_per_iter),
            relative_error=r["relative_error"],
        )
        for r in records
    ]


def _summary(exact, n_iter, seconds_per_iter, work_per_iter):
    solved = n_iter[exact]
    stats = dict(success_rate=float(exact.mean()), n_success=int(exact.sum()))
    if solved.size:
        stats.update(
            mean_gwms=float(solved.mean() * work_per_iter),
            median_gwms=float(np.median(solved) * work_per_iter),
            mean_seconds=float(solved.mean() * seconds_per_iter),
            median_seconds=float(np.median(solved) * seconds_per_iter),
        )
    return stats


LETTER_PROTOCOL = dict(
    n_components=16, batch_size=50, max_iter=4, epochs=30, beta=1.0, omega=2.0
)


def reproduce_letters(
    *,
    runs=100,
    seed=0,
    n_images=2000,
    group=10,
    output=None,
    progress=True,
    force_new=False,
    jobs=1,
    scheduler=None,
):
    """Figure 7 of the paper: final RMS reconstruction errors of online RRR NMF of the
    letter montages (40 batches of 50, 4 iterations per batch, 30 epochs, beta 1,
    omega 2) and of scikit-learn CD, over ``runs`` random starts each. The RRR runs go
    ``group`` at a time (one multi-start fit, seeded ``seed`` + its first run); ``jobs``
    groups or CD runs at once (see :func:`reproduce_majority`)."""
    from sklearn.decomposition import NMF

    X = datasets.letter_montages(n_images=n_images, random_state=seed).images
    n_groups = -(-runs // group)

    def rrr_group(g):
        size = min(group, runs - g * group)
        started = time.perf_counter()
        model = RRRNMF(**LETTER_PROTOCOL, n_starts=size, random_state=seed + g * group)
        model.fit(X)
        _check_step(model.history_)
        final = np.atleast_1d(model.history_.epoch_rms_reconstruction_error[-1])
        return dict(
            errors=[float(e) for e in final], seconds=time.perf_counter() - started
        )

    def cd_run(s):
        started = time.perf_counter()
        cd = NMF(16, init="random", solver="cd", max_iter=1000, random_state=seed + s)
        codes = cd.fit_transform(X)
        error = float(np.sqrt(np.mean((X - codes @ cd.components_) ** 2)))
        return dict(error=error, seconds=time.perf_counter() - started)

    def build(parts):
        rrr, cd = parts.get("rrr", []), parts.get("cd", [])
        return dict(
            header,
            rrr_rms_errors=[e for g in rrr for e in g["errors"]],
            cd_rms_errors=[r["error"] for r in cd],
            rrr_seconds=sum(g["seconds"] for g in rrr),
            cd_seconds=sum(r["seconds"] for r in cd),
        )

    store, command = _store(
        output,
        "letters.json",
        "python -m lossless_tutorial reproduce letters "
        f"--runs {runs} --n-images {n_images} --seed {seed}",
        dict(
            runs=runs,
            seed=seed,
            n_images=n_images,
            group=group,
            settings=LETTER_PROTOCOL,
        ),
        build,
        force_new=force_new,
    )
    header = dict(
        experiment="letters",
        runs=runs,
        seed=seed,
        n_images=n_images,
        settings=LETTER_PROTOCOL,
        command=command,
    )
    bar = progress_bar(
        n_groups + runs, "letter montages: RRR groups and CD runs", progress
    )
    with store, Pool(jobs, scheduler) as pool:
        try:
            _trials(store, "rrr", n_groups, rrr_group, bar, pool=pool)
            _trials(store, "cd", runs, cd_run, bar, pool=pool)
        finally:
            bar.close()
        results = build(store.parts)
        store.publish(complete=True)
    return dict(results, complete=True)


# --------------------------------------------------------------------------------------
# Classifiers (paper Sec. 5.5): majority circuits and MNIST, resumable per epoch
# --------------------------------------------------------------------------------------

MAJORITY_SETTINGS = {
    2: dict(hidden_layer_sizes=(26,), delta=0.1, learning_rate_init=0.5),
    3: dict(hidden_layer_sizes=(26, 26), delta=0.1, learning_rate_init=0.5),
    4: dict(hidden_layer_sizes=(26, 26, 26), delta=0.2, learning_rate_init=1.0),
}


def _train_seeds(store, make_model, data, seeds, epochs, progress, extra, pool):
    """One classifier per seed, each an epoch unit ``seed{s}`` (one ``fit`` per epoch),
    and its run record: the per-epoch history, ``epochs_done`` and ``extra(model)``. The
    seeds run at once in ``pool``'s workers (one after another if it has one)."""
    X, y, X_test, y_test = data

    def fit_epoch(model):
        model.set_params(epochs=1, warm_start=True)
        model.fit(X, y, validation_data=(X_test, y_test))
        _check_step(model.history_)

    def task(seed, bar):
        def record(model, previous):
            history = model.history_.as_arrays()
            run = {"seed": seed, "epochs_done": len(history["train_error"])}
            run.update(
                {key: [float(v) for v in values] for key, values in history.items()}
            )
            run.update(extra(model) if extra else {})
            return run

        def train(unit_store):
            _epochs(
                unit_store,
                f"seed{seed}",
                lambda: make_model(seed),
                fit_epoch,
                _epochs_done("train_error"),
                epochs,
                record,
                bar or progress_bar(epochs, "", False),
            )

        return [f"seed{seed}"], train

    def show(parts):
        bar.n = sum(
            min(parts[f"seed{s}"]["epochs_done"], epochs)
            for s in seeds
            if f"seed{s}" in parts
        )
        bar.refresh()

    bar = progress_bar(len(seeds) * epochs, "epochs", progress)
    try:
        # a worker has no bar of its own: this process shows the units' progress
        pool.run_units(
            store, [task(seed, bar if pool.serial else None) for seed in seeds], show
        )
    finally:
        bar.close()


def _classifier_results(header, parts, sgd_settings):
    """The results of a classifier run from its units: the seeds' runs in order, and
    the SGD trials done (``trials`` counts them)."""
    seeds = sorted(int(unit[4:]) for unit in parts if unit.startswith("seed"))
    results = dict(header, runs=[parts[f"seed{s}"] for s in seeds])
    if parts.get("sgd"):
        trials = parts["sgd"]
        results["sgd"] = dict(
            sgd_settings,
            trials=len(trials),
            **{key: [t[key] for t in trials] for key in trials[0]},
        )
    return results


def _sgd_trial(hidden, batch_size, learning_rate_init, data, max_iter, seed):
    """One scikit-learn MLPClassifier trained with plain SGD (the paper's baseline, Sec.
    5.5): its train and test errors, epochs, GWMs and seconds."""
    from sklearn.neural_network import MLPClassifier

    X, y, X_test, y_test = data
    model = MLPClassifier(
        hidden,
        activation="relu",
        solver="sgd",
        alpha=0.0,
        batch_size=batch_size,
        learning_rate="adaptive",
        learning_rate_init=learning_rate_init,
        momentum=0.0,
        tol=1e-5,
        max_iter=max_iter,
        random_state=seed,
    )
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    seconds = time.perf_counter() - started
    steps = model.n_iter_ * -(-X.shape[0] // batch_size)
    # scikit-learn has one logistic output for two classes: count its own weights
    n_edges = sum(c.size for c in model.coefs_)
    return dict(
        train_error=float(1 - model.score(X, y)),
        test_error=float(1 - model.score(X_test, y_test)),
        epochs=int(model.n_iter_),
        gwms=gwms(steps, batch_size, n_edges),
        seconds=seconds,
    )


def _reproduce_classifier(
    name,
    make_model,
    data,
    header,
    command,
    arguments,
    output,
    *,
    seeds,
    epochs,
    sgd,
    sgd_trials,
    seed,
    progress,
    force_new,
    jobs,
    scheduler,
    extra=None,
):
    """The classifier experiments: ``seeds`` RRR classifiers of ``epochs`` epochs, then
    ``sgd_trials`` SGD trials ``sgd = (hidden, batch_size, learning_rate_init,
    max_iter)``, in the pool of ``jobs`` and ``scheduler``."""
    hidden, batch_size, rate, sgd_max_iter = sgd
    sgd_settings = dict(learning_rate_init=rate, max_iter=sgd_max_iter)

    def build(parts):
        return _classifier_results(header, parts, sgd_settings)

    store, header["command"] = _store(
        output,
        name,
        command,
        arguments,
        build,
        grow=("seeds", "epochs", "sgd_trials"),
        force_new=force_new,
    )
    with store, Pool(jobs, scheduler) as pool:
        _train_seeds(
            store, make_model, data, range(seeds), epochs, progress, extra, pool
        )
        _trials(
            store,
            "sgd",
            sgd_trials,
            lambda t: _sgd_trial(
                hidden, batch_size, rate, data, sgd_max_iter, seed + t
            ),
            pool=pool,
        )
        results = build(store.parts)
        store.publish(complete=True)
    return dict(results, complete=True)


def reproduce_majority(
    depth,
    *,
    seeds=10,
    epochs=100,
    max_iter=100,
    delta=None,
    sgd_trials=20,
    sgd_max_iter=1000,
    output=None,
    progress=True,
    seed=0,
    force_new=False,
    jobs=1,
    scheduler=None,
):
    """Figs. 9-12: RRR on the paper's majority data of the given depth (10 seeds in the
    paper), with per-epoch train/test errors, and scikit-learn SGD trials. ``jobs``
    seeds (or SGD trials) run at once in worker processes (None: one per usable CPU),
    or on the Dask cluster whose scheduler is at ``scheduler``."""
    from .classifier import RRRClassifier

    if depth not in MAJORITY_SETTINGS:
        raise ValueError(f"depth must be 2, 3 or 4, got {depth!r}")
    settings = MAJORITY_SETTINGS[depth]
    delta = settings["delta"] if delta is None else delta
    data = (
        *datasets.load_majority(depth, "train"),
        *datasets.load_majority(depth, "test"),
    )
    hidden = settings["hidden_layer_sizes"]
    header = dict(
        experiment="majority",
        depth=depth,
        hidden_layer_sizes=list(hidden),
        delta=delta,
        beta=1.0,
        omega=2.0,
        upsilon=1.0,
        batch_size=128,
        max_iter=max_iter,
        epochs=epochs,
        seed=seed,
    )

    def make_model(s):
        return RRRClassifier(
            hidden,
            delta=delta,
            beta=1.0,
            omega=2.0,
            upsilon=1.0,
            batch_size=128,
            max_iter=max_iter,
            tol=1e-3,
            random_state=seed + s,
        )

    return _reproduce_classifier(
        f"majority_d{depth}.json",
        make_model,
        data,
        header,
        "python -m lossless_tutorial reproduce majority "
        f"--depth {depth} --seeds {seeds} --epochs {epochs} --max-iter {max_iter} "
        f"--delta {delta} --sgd-trials {sgd_trials} --seed {seed}",
        dict(
            depth=depth,
            seeds=seeds,
            epochs=epochs,
            max_iter=max_iter,
            delta=delta,
            seed=seed,
            sgd_trials=sgd_trials,
            sgd_max_iter=sgd_max_iter,
        ),
        output,
        seeds=seeds,
        epochs=epochs,
        sgd=(hidden, 128, settings["learning_rate_init"], sgd_max_iter),
        sgd_trials=sgd_trials,
        seed=seed,
        progress=progress,
        force_new=force_new,
        jobs=jobs,
        scheduler=scheduler,
    )


def reproduce_mnist_classifier(
    *,
    seeds=10,
    epochs=200,
    max_iter=100,
    exemptions=5,
    delta=0.7,
    sgd_trials=20,
    sgd_max_iter=200,
    output=None,
    progress=True,
    seed=0,
    force_new=False,
    jobs=1,
    scheduler=None,
):
    """Figs. 13-15: 784 -> 20 -> 10 on the paper's MNIST 10k sets, batch 1000, 5
    eccentric exemptions per batch, delta 0.7, omega 2; and scikit-learn SGD at batch
    1000. ``jobs`` and ``scheduler`` as for :func:`reproduce_majority`."""
    from .classifier import RRRClassifier

    data = (*datasets.load_mnist("train"), *datasets.load_mnist("test"))
    header = dict(
        experiment="mnist_classifier",
        hidden_layer_sizes=[20],
        delta=delta,
        exemptions=exemptions,
        beta=1.0,
        omega=2.0,
        upsilon=1.0,
        batch_size=1000,
        max_iter=max_iter,
        epochs=epochs,
        seed=seed,
    )

    def make_model(s):
        return RRRClassifier(
            (20,),
            delta=delta,
            beta=1.0,
            omega=2.0,
            upsilon=1.0,
            batch_size=1000,
            max_iter=max_iter,
            tol=1e-3,
            exemptions=exemptions,
            random_state=seed + s,
        )

    def exempted(model):
        return {"exempted_last_epoch": [int(i) for i in model.history_.exempted[-1]]}

    return _reproduce_classifier(
        "mnist_classifier.json",
        make_model,
        data,
        header,
        "python -m lossless_tutorial reproduce mnist-classifier "
        f"--seeds {seeds} --epochs {epochs} --max-iter {max_iter} "
        f"--exemptions {exemptions} --delta {delta} --sgd-trials {sgd_trials} "
        f"--seed {seed}",
        dict(
            seeds=seeds,
            epochs=epochs,
            max_iter=max_iter,
            exemptions=exemptions,
            delta=delta,
            seed=seed,
            sgd_trials=sgd_trials,
            sgd_max_iter=sgd_max_iter,
        ),
        output,
        seeds=seeds,
        epochs=epochs,
        sgd=((20,), 1000, 0.5, sgd_max_iter),
        sgd_trials=sgd_trials,
        seed=seed,
        progress=progress,
        force_new=force_new,
        jobs=jobs,
        scheduler=scheduler,
        extra=exempted,
    )


# --------------------------------------------------------------------------------------
# Autoencoders (paper Sec. 6.3): binary encoding, the MNIST iDE autoencoder, and the
# generative model built on it
# --------------------------------------------------------------------------------------

# Paper Sec. 6.3.1: code bits -> (gap Delta, success rate)
BINARY_ENCODING_PAPER = {3: (0.4, 0.80), 4: (0.4, 0.30), 5: (0.34, 0.25)}


def reproduce_binary_encoding(
    *,
    bits=(3, 4, 5),
    runs=20,
    max_iter=200_000,
    gap_scale=1.0,
    seed=0,
    output=None,
    progress=True,
    traces=3,
    force_new=False,
    jobs=1,
    scheduler=None,
):
    """Sec. 6.3.1: the 2^n one-hot vectors through n step nodes and back, beta 0.5,
    omega 100, the paper's gaps times ``gap_scale`` (2 is the C code's half-width
    reading of the paper's Delta), all 2^n codes as code items, one batch of at most
    ``max_iter`` RRR iterations per run; ``runs`` runs for each n in ``bits``. Success:
    exact encoding and decoding with the zero-gap step. Runs in the results file or the
    checkpoints are kept (resume). ``jobs`` runs at once (see
    :func:`reproduce_majority`).
    """
    from .autoencoder import RRRAutoencoder

    bits = sorted(set(bits))
    if any(n not in BINARY_ENCODING_PAPER for n in bits):
        raise ValueError(
            f"bits must be among {sorted(BINARY_ENCODING_PAPER)}, got {bits}"
        )

    def run(n, r):
        X = np.eye(2**n)
        model = RRRAutoencoder(
            (),
            n,
            (),
            activation="step",
            gap=BINARY_ENCODING_PAPER[n][0] * gap_scale,
            beta=0.5,
            omega=100.0,
            batch_size=2**n,
            code_batch_size="all",
            max_iter=max_iter,
            tol=1e-6,
            epochs=1,
            random_state=seed + r,
        )
        started = time.perf_counter()
        model.fit(X)
        seconds = time.perf_counter() - started
        history = model.history_
        _check_step(history)
        record = dict(
            seed=seed + r,
            n_iter=model.n_iter_,
            seconds=seconds,
            data_error=history.data_error[-1],
            code_error=history.code_error[-1],
            rrr_error_end=history.rrr_error_end[-1],
            success=bool(history.data_error[-1] == 0 and history.code_error[-1] == 0),
        )
        if r < traces:
            record["rrr_error_trace"] = _rrr_error_trace(model, X)
        if record["success"]:
            record.update(
                weights=[w.tolist() for w in model.weights_],
                biases=[b.tolist() for b in model.biases_],
            )
        return record

    def build(parts):
        results = dict(header, bits={})
        for n in bits:
            if parts.get(f"n{n}"):
                results["bits"][str(n)] = _binary_entry(n, gap_scale, parts[f"n{n}"])
        return results

    store, command = _store(
        output,
        f"binary_encoding_gap{gap_scale:g}.json",
        f"python -m lossless_tutorial reproduce binary-encoding --bits "
        f"{' '.join(map(str, bits))} --runs {runs} --max-iter {max_iter} --gap-scale "
        f"{gap_scale:g} --seed {seed}",
        dict(
            bits=bits,
            runs=runs,
            max_iter=max_iter,
            gap_scale=gap_scale,
            seed=seed,
            traces=traces,
        ),
        build,
        grow=("runs",),
        force_new=force_new,
    )
    header = dict(
        experiment="binary_encoding",
        beta=0.5,
        omega=100.0,
        runs=runs,
        max_iter=max_iter,
        tol=1e-6,
        gap_scale=gap_scale,
        seed=seed,
        command=command,
        paper={
            str(n): dict(gap=g, success_rate=r)
            for n, (g, r) in BINARY_ENCODING_PAPER.items()
        },
    )
    bar = progress_bar(len(bits) * runs, "binary encoding runs", progress)
    with store, Pool(jobs, scheduler) as pool:
        kept = (store.previous or {}).get("bits", {})
        try:
            for n in bits:
                _trials(
                    store,
                    f"n{n}",
                    runs,
                    lambda r, n=n: run(n, r),
                    bar,
                    initial=_binary_runs(kept.get(str(n))),
                    pool=pool,
                )
        finally:
            bar.close()
        results = build(store.parts)
        store.publish(complete=True)
    return dict(results, complete=True)


def _binary_entry(n, gap_scale, runs):
    """The results entry of code size ``n``: its gap, runs and success rate, and the
    parameters of its first successful run."""
    entry = dict(
        gap=BINARY_ENCODING_PAPER[n][0] * gap_scale,
        runs=[
            {k: v for k, v in r.items() if k not in ("weights", "biases")} for r in runs
        ],
        success_rate=float(np.mean([r["success"] for r in runs])),
    )
    first = next((r for r in runs if r["success"]), None)
    if first is not None:
        entry.update(weights=first["weights"], biases=first["biases"])
    return entry


def _binary_runs(entry):
    """The runs of a results entry as unit records (the entry keeps the parameters of
    its first successful run only)."""
    if not entry:
        return []
    runs = [dict(r) for r in entry["runs"]]
    first = next((r for r in runs if r["success"]), None)
    if first is not None and "weights" in entry:
        first.update(weights=entry["weights"], biases=entry["biases"])
    return runs


def _rrr_error_trace(model, X, points=200):
    """The RRR error of the run again, iteration by iteration (deterministic replay),
    sampled at ``points`` log-spaced iterations (Fig. 19)."""
    from .autoencoder import all_binary_codes
    from .classifier import initial_weights
    from .network import run_rrr

    arch = model._arch
    rng = np.random.default_rng(model.random_state)
    weights, _ = initial_weights(arch, rng)
    biases = [np.zeros(n) for n in arch.group_sizes]
    X = X[rng.permutation(X.shape[0])]  # the epoch's shuffle, as in fit
    state, constraints = model._batch_problem(
        arch, weights, biases, X, all_binary_codes(model.code_size)
    )
    errors, _, _ = run_rrr(
        arch, state, constraints, beta=model.beta, max_iter=model.n_iter_, tol=model.tol
    )
    index = np.unique(np.geomspace(1, errors.size, points).astype(int)) - 1
    return [[int(i) + 1, float(errors[i])] for i in index]


# The paper's Delta = 0.4 read as the C code's half-width (full gap 0.8): with it the
# code error is much smaller than the data error, as the paper reports, and both fall
# much faster than with a full gap of 0.4 (chapter 6 shows the comparison).
MNIST_AUTOENCODER = dict(
    encoder_sizes=(200,),
    code_size=10,
    decoder_sizes=(200,),
    activation="zigmoid",
    gap=0.8,
    beta=1.0,
    omega=10.0,
    batch_size=200,
    code_batch_size=20,
    max_iter=50,
    tol=1e-4,
)


def svd_floor(X, n_components):
    """Mean per-item RMS error of the best rank-``n_components`` linear model of ``X``
    (mean-centred SVD), measured as the autoencoder's data error."""
    mean = X.mean(axis=0)
    u, s, vt = np.linalg.svd(X - mean, full_matrices=False)
    approx = mean + (u[:, :n_components] * s[:n_components]) @ vt[:n_components]
    return float(np.mean(np.sqrt(np.mean((X - approx) ** 2, axis=1))))


def reproduce_autoencoder(
    *,
    epochs=40,
    gap=None,
    seed=0,
    output=None,
    parameters=None,
    progress=True,
    force_new=False,
):
    """Sec. 6.3.2, Figs. 20-21: the 784 -> 200 -> 10 -> 200 -> 784 zigmoid autoencoder
    on the paper's MNIST training set (batches of 200 data + 20 code items, 50
    iterations, omega 10, beta 1, full gap 0.8 unless ``gap`` is given). Resumable per
    epoch; writes the per-epoch errors and the trained parameters of the epochs in the
    results (``parameters``, an ``.npz`` file, by default beside the results file)."""
    from .autoencoder import RRRAutoencoder, save_autoencoder

    X, _ = datasets.load_mnist("train")
    X_test, _ = datasets.load_mnist("test")
    settings = dict(MNIST_AUTOENCODER, **({} if gap is None else {"gap": gap}))

    def fit_epoch(model):
        model.set_params(epochs=1, warm_start=True)
        model.fit(X)
        _check_step(model.history_)

    def record(model, previous):
        history = model.history_.as_arrays()
        part = {key: [float(v) for v in values] for key, values in history.items()}
        part["epochs_done"] = len(history["data_error"])
        tests = (previous or {}).get("test_data_error", [])[: part["epochs_done"] - 1]
        part["test_data_error"] = tests + [model.data_error(X_test)]
        return part

    def parameters_file(model):
        buffer = io.BytesIO()
        save_autoencoder(model, buffer)
        return {parameters: buffer.getvalue()}

    def build(parts):
        return dict(header, **parts.get("model", {}))

    store, command = _store(
        output,
        "mnist_autoencoder.json",
        f"python -m lossless_tutorial reproduce autoencoder --epochs {epochs} --gap "
        f"{settings['gap']:g} --seed {seed}",
        dict(
            epochs=epochs, gap=settings["gap"], seed=seed, settings=_settings(settings)
        ),
        build,
        grow=("epochs",),
        force_new=force_new,
    )
    output = store.output
    parameters = Path(parameters or output.with_name(output.stem + "_params.npz"))
    header = dict(
        experiment="mnist_autoencoder",
        epochs=epochs,
        seed=seed,
        settings=_settings(settings),
        command=command,
        parameters=parameters.name,
        svd_floor_train=svd_floor(X, 10),
        svd_floor_test=svd_floor(X_test, 10),
        paper=dict(
            data_error=0.153, code_error=0.040, svd_floor=0.185, epochs=40, gwms=6987
        ),
    )
    bar = progress_bar(epochs, "autoencoder epochs", progress)
    with store:
        try:
            model = _epochs(
                store,
                "model",
                lambda: RRRAutoencoder(**settings, random_state=seed, epochs=1),
                fit_epoch,
                _epochs_done("data_error"),
                epochs,
                record,
                bar,
                files=parameters_file,
            )
        finally:
            bar.close()
        results = build(store.parts)
        store.publish(complete=True, files=parameters_file(model))
    return dict(results, complete=True)


GENERATIVE = dict(
    hidden_layer_sizes=(50, 50, 50),
    fpa=0.25,
    fakes_per_genuine=2,
    beta=1.0,
    omega=5.0,
    upsilon=1.0,
    delta=0.1,
    batch_size=500,
)


def reproduce_generative(
    *,
    epochs=20,
    max_iter=1000,
    seed=0,
    autoencoder=None,
    output=None,
    n_samples=50,
    progress=True,
    force_new=False,
):
    """Sec. 6.3.2, Figs. 22-24: the code classifier 10 -> 50 -> 50 -> 50 -> 2 with a 25%
    false-positive allowance, trained on the encodings of the 10k MNIST training digits
    and twice as many product-code fakes (batches of 500, ``max_iter`` RRR iterations);
    fp and tn per epoch on training and test codes, and ``n_samples`` generated digits.
    ``autoencoder`` is the ``.npz`` file of :func:`reproduce_autoencoder` (by default
    the one it writes without ``output``). Resumable per epoch."""
    from .autoencoder import load_autoencoder
    from .generative import GenerativeModel

    autoencoder = Path(autoencoder or results_dir() / "mnist_autoencoder_params.npz")
    try:
        autoencoder_sha256 = hashlib.sha256(autoencoder.read_bytes()).hexdigest()
    except FileNotFoundError:
        raise ValueError(
            f"autoencoder: no parameters file {autoencoder}; run `python -m "
            "lossless_tutorial reproduce autoencoder` first or name one with "
            "--autoencoder (the book's: book/results/"
            "mnist_autoencoder_params.npz)"
        ) from None
    X, _ = datasets.load_mnist("train")
    X_test, _ = datasets.load_mnist("test")

    def make_model():
        return GenerativeModel(
            load_autoencoder(autoencoder),
            **GENERATIVE,
            max_iter=max_iter,
            epochs=1,
            random_state=seed,
            warm_start=True,
        )

    def fit_epoch(model):
        # the first fit draws the fakes and builds the classifier; later fits resume it
        model.fit(X, X_test)
        _check_step(model.classifier_.history_)

    def record(model, previous):
        history = model.history_.as_arrays()
        part = {key: [float(v) for v in values] for key, values in history.items()}
        part["epochs_done"] = len(history["fp_train"])
        part["fakes_accepted_per_batch"] = model.classifier_.false_positives
        _, codes, rate = model.sample(n_samples, random_state=seed)
        part.update(sample_codes=codes.tolist(), sample_acceptance_rate=rate)
        return part

    def build(parts):
        return dict(header, **parts.get("model", {}))

    store, command = _store(
        output,
        "generative.json",
        "python -m lossless_tutorial reproduce generative "
        f"--epochs {epochs} --max-iter {max_iter} --seed {seed} "
        f"--autoencoder {autoencoder}",
        dict(
            epochs=epochs,
            max_iter=max_iter,
            seed=seed,
            n_samples=n_samples,
            autoencoder_sha256=autoencoder_sha256,
            settings=_settings(GENERATIVE),
        ),
        build,
        grow=("epochs",),
        force_new=force_new,
    )
    header = dict(
        experiment="generative",
        epochs=epochs,
        max_iter=max_iter,
        seed=seed,
        settings=_settings(GENERATIVE),
        autoencoder=autoencoder.name,
        autoencoder_sha256=autoencoder_sha256,
        command=command,
        paper=dict(fp_test=0.316, fp_train=0.285, epochs=20, max_iter=1000, gwms=3400),
    )
    bar = progress_bar(epochs, "generative classifier epochs", progress)
    with store:
        try:
            _epochs(
                store,
                "model",
                make_model,
                fit_epoch,
                _epochs_done("fp_train"),
                epochs,
                record,
                bar,
            )
        finally:
            bar.close()
        results = build(store.parts)
        store.publish(complete=True)
    return dict(results, complete=True)
