"""The independent units of a run at once: in worker processes on this machine
(``--jobs``, joblib's process executor) or on an existing Dask cluster
(``--scheduler``).

A unit task runs its units (a seed, a group of LEDM runs) to the end in a worker,
writing their checkpoints after every step through a
:class:`~lossless_tutorial._runstore.UnitStore` while it holds their locks. The process
that holds the results file reads the checkpoints back every few seconds and publishes
the results file, so the file never says more than the checkpoints and shows the units'
progress. Lists of independent trials (SGD runs, CD starts) go through :meth:`Pool.map`
a block at a time, checkpointed after each block.

A stop (Ctrl-C, SIGTERM) writes the run's stop file: every worker stops at its next
checkpoint, and the run ends as a serial one does. A task whose worker dies is run again
by the cluster (Dask), or by the next resume, from its unit's last checkpoint. Each task
gets its share of its machine's CPUs for numba and BLAS, so that tasks times threads
never exceed the cores. The results do not depend on ``jobs``: a unit's computation is
the same wherever it runs.
"""

from __future__ import annotations

import concurrent.futures as cf
from contextlib import ExitStack

from ._runstore import Stopped, _stop, _stop_at_checkpoints
from ._threads import usable_cpus

__all__ = ["Pool"]


def _threads_here(threads):
    """This task's share of its machine's CPUs: ``threads``, or on a Dask worker the
    machine's CPUs over the worker's task slots."""
    if threads is None:
        from distributed import get_worker

        threads = max(1, usable_cpus() // max(1, get_worker().state.nthreads))
    return threads


def _in_worker(function, threads, *args):
    """Call ``function(*args)`` with numba and BLAS limited to this task's threads and
    SIGINT/SIGTERM turned into a stop at the next checkpoint."""
    import numba
    from threadpoolctl import threadpool_limits

    threads = _threads_here(threads)
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    with threadpool_limits(threads), _stop_at_checkpoints():
        return function(*args)


def _locked(units, task, store):
    """Run ``task(store)`` holding the locks of ``units``."""
    with ExitStack() as locks:
        for unit in units:
            locks.enter_context(store.unit_lock(unit))
        return task(store)


class Pool:
    """Where a run's tasks go: this process (``jobs=1``), ``jobs`` worker processes
    (default: the CPUs this process may use), or the Dask cluster at ``scheduler`` (an
    address such as ``tcp://host:8786``; its workers must see the checkpoint folder and
    the data). Use it as a context manager."""

    def __init__(self, jobs=None, scheduler=None, poll=5.0):
        if jobs is not None and (
            isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1
        ):
            raise ValueError(f"jobs must be a positive integer, got {jobs!r}")
        if jobs not in (None, 1) and scheduler is not None:
            raise ValueError(
                "jobs: give --jobs or --scheduler, not both (a cluster runs "
                "as many tasks as it has worker threads)"
            )
        self.jobs = usable_cpus() if jobs is None else jobs
        self.scheduler = scheduler
        self.poll = poll
        self.slots = 1
        self._executor = self._client = None

    def __enter__(self):
        if self.scheduler is not None:
            try:
                from distributed import Client
            except ImportError:
                raise ValueError(
                    "scheduler: running on a Dask cluster needs "
                    "dask.distributed (pip install "
                    "'lossless-tutorial[cluster]')"
                ) from None
            try:
                self._client = Client(self.scheduler, timeout="30s")
            except OSError as error:
                raise ValueError(
                    f"scheduler: no Dask scheduler answers at "
                    f"{self.scheduler!r} ({error})"
                ) from None
            self.slots = max(1, sum(self._client.nthreads().values()))
            self._executor, self._threads = self._client.get_executor(pure=False), None
        elif self.jobs > 1:
            from joblib.externals.loky import get_reusable_executor

            self.slots = self.jobs
            self._threads = max(1, usable_cpus() // self.jobs)
            # idle workers leave after a minute (also those of a killed run)
            self._executor = get_reusable_executor(
                max_workers=self.jobs, reuse=False, timeout=60
            )
        return self

    def __exit__(self, *exc):
        if self._executor is not None:
            self._executor.shutdown(wait=exc[0] is None)
        if self._client is not None:
            self._client.close()
        return False

    @property
    def serial(self):
        return self._executor is None

    def _submit(self, function, *args):
        return self._executor.submit(_in_worker, function, self._threads, *args)

    def map(self, function, items, store):
        """``[function(item) for item in items]``, at once in the workers. A stop asked
        for meanwhile (see ``store``) lets the calls finish; the caller's next safe
        point stops."""
        if self.serial:
            return [function(item) for item in items]
        futures = [self._submit(function, item) for item in items]
        try:
            return [future.result() for future in futures]
        except BaseException:
            self._stop_workers(store, futures)
            raise

    def run_units(self, store, tasks, progress=None):
        """Run ``tasks``, pairs ``(units, task)`` where ``task(store)`` trains the named
        units to the end through ``store`` (checkpointing and calling
        ``store.publish()`` after every step). Serially they get ``store`` itself; in
        workers a
        :class:`UnitStore` of it, while this process merges their checkpoints into the
        results file and calls ``progress(store.parts)``. A worker's error stops the
        others at their next checkpoint and is raised here once they have stopped."""
        if self.serial:
            for _, task in tasks:
                task(store)
            return
        units = [unit for names, _ in tasks for unit in names]
        futures = [
            self._submit(_locked, names, task, store.unit_store())
            for names, task in tasks
        ]
        seen, error, pending = None, None, set(futures)
        try:
            while pending:
                done, pending = cf.wait(
                    pending, timeout=self.poll, return_when=cf.FIRST_COMPLETED
                )
                for future in done:
                    failure = None if future.cancelled() else future.exception()
                    if (
                        failure is not None
                        and not isinstance(failure, Stopped)
                        and error is None
                    ):
                        error = failure
                if error is not None or _stop.is_set():
                    self._stop_workers(store, pending, wait=False)
                seen = self._merge(store, units, seen, progress)
        except (
            BaseException
        ):  # a second Ctrl-C here: the workers' steps under way are lost
            self._stop_workers(store, futures, wait=False)
            raise
        store.merge(unit for unit in units if (store.folder / f"{unit}.pkl").exists())
        if progress is not None:
            progress(store.parts)
        store.publish()  # raises Stopped if this process was asked to stop
        if error is not None:
            raise error
        if any(
            not f.cancelled() and isinstance(f.exception(), Stopped) for f in futures
        ):
            # the workers were stopped (a Ctrl-C that reached only them)
            raise Stopped()

    def _merge(self, store, units, seen, progress):
        """Publish the results file if a unit's checkpoint changed since ``seen``."""
        stamps = {}
        for unit in units:
            path = store.folder / f"{unit}.pkl"
            stamps[unit] = path.stat().st_mtime_ns if path.exists() else None
        if stamps != seen:
            store.merge(unit for unit in units if stamps[unit] is not None)
            if progress is not None:
                progress(store.parts)
            if not _stop.is_set():  # this process's own stop is raised by the caller
                store.publish()
        return stamps

    def _stop_workers(self, store, futures, wait=True):
        """Ask the workers to stop at their next checkpoint; drop tasks not started."""
        store.stop_file.parent.mkdir(parents=True, exist_ok=True)
        store.stop_file.touch()
        for future in futures:
            future.cancel()
        if wait:
            cf.wait(futures)
