"""Results files that no interruption leaves wrong, and the checkpoints they resume
from.

The experiments of :mod:`lossless_tutorial.reproduce` run for minutes to days. Each is
cut into *units* (a seed, a run, a list of trials), trained step by step (an epoch, a
chunk of iterations, a trial). After every step the unit's checkpoint -- its state and
its part of the results -- is written, then the results file, rebuilt from the units'
parts. Every file is written to a temporary file of its own in the same folder and
renamed over the old one (atomic), so that a reader or a kill at any moment finds either
the old or the new file; and as the checkpoint goes first, the results file never holds
more than the checkpoints. It says ``complete: true`` only when every unit has finished.

The units are independent: each has its own checkpoint, and only the process that holds
the results file's lock merges their parts into it. Units may therefore run in other
processes or on other machines (:mod:`lossless_tutorial._pool`): a worker writes the
checkpoints of its unit through a :class:`UnitStore`, holding a lock of that unit, and
the process that holds the results file reads them back (:meth:`RunStore.merge`).

SIGINT (Ctrl-C) and SIGTERM ask the run to stop at its next checkpoint
(:class:`Stopped`); a second one stops it at once, losing only the step under way.
Workers learn of the stop from a file ``.stop`` in the checkpoint folder, which every
worker sees. A resume with arguments other than the file's is refused, naming the
differences, unless the run starts afresh.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import pickle
import platform
import signal
import sys
import tempfile
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

from . import __version__

__all__ = [
    "ResultsFileError",
    "Stopped",
    "RunStore",
    "UnitStore",
    "results_dir",
    "write_results",
    "read_results_file",
    "atomic_write",
]

RESULTS_ENV = "LOSSLESS_TUTORIAL_RESULTS"
CHECKPOINT_FORMAT = (
    2  # the layout of a checkpoint: {"format", "arguments", "record", "state"}
)
log = logging.getLogger("lossless_tutorial.reproduce")

_umask = os.umask(0o022)
os.umask(_umask)


class ResultsFileError(ValueError):
    """A results file or checkpoint that cannot be resumed: damaged, locked by another
    run, or written with other arguments."""


class Stopped(KeyboardInterrupt):
    """The run stopped at a checkpoint after SIGINT or SIGTERM; resume with the same
    command. ``signum`` is the signal."""

    def __init__(self, signum=signal.SIGINT):
        super().__init__(signum)
        self.signum = int(signum)


def results_dir() -> Path:
    """Where results go when no output file is named: the folder in
    ``$LOSSLESS_TUTORIAL_RESULTS``, else the user data folder of ``lossless-tutorial``
    (never the book's folder)."""
    folder = os.environ.get(RESULTS_ENV)
    if folder:
        return Path(folder).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("lossless-tutorial")) / "results"


def atomic_write(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file of a unique name in the same
    folder and one rename: readers and concurrent writers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o666 & ~_umask)  # mkstemp makes it private
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _machine():
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, lossless_tutorial {__version__}"
    )


def write_results(path, results):
    """Write ``results`` as JSON with the machine, the CPUs the run could use and the
    date (atomically, see :func:`atomic_write`)."""
    from ._threads import usable_cpus

    results = dict(
        results,
        machine=_machine(),
        cpus=usable_cpus(),
        date=datetime.datetime.now().isoformat(timespec="seconds"),
    )
    return atomic_write(path, (json.dumps(results, indent=1) + "\n").encode())


def _damaged(path, error, what):
    return ResultsFileError(
        f"{what} {path} cannot be read ({type(error).__name__}: "
        f"{error}); delete it or pass --force-new to start afresh"
    )


def read_results_file(path):
    """The results dictionary in ``path``, None if there is no file; a
    :class:`ResultsFileError` naming the file if it is damaged."""
    path = Path(path)
    try:
        results = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise _damaged(path, error, "results file") from None
    if not isinstance(results, dict):
        raise _damaged(path, TypeError("not a JSON object"), "results file")
    return results


def _jsonable(value):
    return json.loads(json.dumps(value))


def _flag(name):
    return "--" + name.replace("_", "-")


@contextmanager
def _exclusive_lock(path, output, holder="another run is writing", wait=False):
    """Hold an exclusive lock on ``path`` (released by the system even after a kill);
    ``wait`` for it, or fail at once naming the ``holder``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+b")
    try:
        if os.name == "nt":
            import msvcrt

            msvcrt.locking(
                handle.fileno(), msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1
            )
        else:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except OSError:
        handle.close()
        raise ResultsFileError(
            f"{holder} {output} (it holds {path}); wait for it to "
            f"finish or choose another --output"
        ) from None
    try:
        yield
    finally:
        handle.close()


_stop = threading.Event()


@contextmanager
def _stop_at_checkpoints():
    """Turn SIGINT and SIGTERM into a request to stop at the next checkpoint (the main
    thread only; elsewhere signals keep their handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def request_stop(signum, frame):
        if _stop.is_set():  # the second signal: stop now, losing the step under way
            raise Stopped(signum)
        _stop.set()
        request_stop.signum = signum
        print(
            f"\n{signal.Signals(signum).name}: stopping at the next checkpoint "
            "(send it again to stop at once, losing the step under way)",
            file=sys.stderr,
            flush=True,
        )

    _stop.clear()
    request_stop.signum = signal.SIGINT
    previous = {
        s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield request_stop
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        _stop.clear()


class UnitStore:
    """The checkpoints of a run's units (``<folder>/<unit>.pkl``) without its results
    file: what a worker needs to run units of the run. ``arguments`` must equal those
    the checkpoints were made with (see :class:`RunStore`). :meth:`publish` is the
    worker's safe point: it raises :class:`Stopped` once the run was asked to stop."""

    def __init__(self, folder, arguments, grow=(), owner=None):
        self.folder = Path(folder)
        self.arguments = _jsonable(arguments)
        self.grow = tuple(grow)
        self.owner = owner
        self.parts = {}

    @property
    def stop_file(self):
        return self.folder / ".stop"

    def stop_requested(self):
        """Whether the run was asked to stop, or (in a worker) its owner is gone:
        killed, or replaced by a resumed run."""
        return (
            _stop.is_set()
            or self.stop_file.exists()
            or (self.owner is not None and not self._owner_alive())
        )

    def _owner_alive(self):
        try:
            if (self.folder / ".owner").read_text() != self.owner:
                return False
        except OSError:
            return False
        try:  # the owner holds the run's lock as long as it lives
            with _exclusive_lock(self.folder / ".lock", "", ""):
                return False
        except ResultsFileError:
            return True

    def unit_lock(self, unit):
        """Hold the lock of ``unit`` while a worker runs it (waiting for a worker of an
        earlier, stopped run to reach its checkpoint): a unit never has two writers."""
        return _exclusive_lock(self.folder / f"{unit}.lock", "", wait=True)

    def _check(self, stored, where):
        """Refuse ``stored`` arguments that differ from the run's, naming them."""
        differences = []
        for name, value in self.arguments.items():
            if name not in stored:
                differences.append(f"{_flag(name)} not recorded (now {value!r})")
            elif name in self.grow:
                if value < stored[name]:
                    differences.append(
                        f"{_flag(name)} {stored[name]!r} (now {value!r}: may "
                        "grow, not shrink)"
                    )
            elif stored[name] != value:
                differences.append(f"{_flag(name)} {stored[name]!r} (now {value!r})")
        if differences:
            raise ResultsFileError(
                f"{where} with other arguments: {'; '.join(differences)}. "
                "Resume with the file's arguments, choose another --output, or pass "
                "--force-new to start afresh (its results and checkpoints are deleted)"
            )

    def load(self, unit):
        """``(record, state)`` of the unit's checkpoint, ``(None, None)`` if it has
        none."""
        path = self.folder / f"{unit}.pkl"
        try:
            checkpoint = pickle.loads(path.read_bytes())
        except FileNotFoundError:
            return None, None
        except Exception as error:  # a truncated or foreign pickle fails in many ways
            raise _damaged(path, error, "checkpoint") from None
        if (
            not isinstance(checkpoint, dict)
            or checkpoint.get("format") != CHECKPOINT_FORMAT
        ):
            raise _damaged(
                path, TypeError("not a checkpoint of this version"), "checkpoint"
            )
        self._check(checkpoint["arguments"], f"checkpoint {path} was made")
        if checkpoint["record"] is not None:
            self.parts[unit] = checkpoint["record"]
        return checkpoint["record"], checkpoint["state"]

    def save(self, unit, record, state=None):
        """Replace the unit's checkpoint (atomically): its part of the results and its
        state to resume from."""
        checkpoint = dict(
            format=CHECKPOINT_FORMAT,
            arguments=self.arguments,
            record=record,
            state=state,
        )
        atomic_write(self.folder / f"{unit}.pkl", pickle.dumps(checkpoint))
        self.parts[unit] = record

    def publish(self, complete=False, files=None):
        """A worker's safe point after a step: write ``files`` (path -> bytes), then
        raise
        :class:`Stopped` if the run was asked to stop (the results file is the business
        of the process that holds it)."""
        for path, data in (files or {}).items():
            atomic_write(path, data)
        if self.stop_requested():
            raise Stopped()


class RunStore(UnitStore):
    """The results file of one run, its checkpoints (``<stem>.checkpoints/<unit>.pkl``)
    and its lock, for the duration of a ``with`` block.

    ``arguments`` are the settings that define the results; those named in ``grow``
    (runs, seeds, epochs) may be larger than the file's (the run is extended) but not
    smaller; the others must equal the file's. ``force_new`` deletes the results and
    checkpoints first. ``build(parts)`` makes the results from ``parts``, the records of
    the units loaded or saved so far (by unit name). Each step ends with :meth:`save` of
    its units and :meth:`publish`; the run with :meth:`publish` ``(complete=True)``.
    """

    def __init__(self, output, arguments, build, grow=(), *, force_new=False):
        self.output = Path(output)
        super().__init__(self.output.with_suffix(".checkpoints"), arguments, grow)
        self.build = build
        self.force_new = force_new

    def unit_store(self):
        """The :class:`UnitStore` of this run's checkpoints, for workers (they stop when
        this run's owner token is replaced or its lock is free)."""
        return UnitStore(self.folder, self.arguments, self.grow, owner=self._owner)

    def __enter__(self):
        self._stack = [
            _exclusive_lock(self.folder / ".lock", self.output),
            _stop_at_checkpoints(),
        ]
        try:
            self._handler = [context.__enter__() for context in self._stack][1]
            self.stop_file.unlink(missing_ok=True)  # left by an earlier, stopped run
            self._owner = uuid.uuid4().hex  # workers of an earlier run see it and stop
            atomic_write(self.folder / ".owner", self._owner.encode())
            if self.force_new:
                self.start_afresh()
            self.previous = read_results_file(self.output)
            if self.previous is not None:
                self._check(
                    self.previous.get("arguments") or self._legacy_arguments(),
                    f"{self.output} was made",
                )
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        state = "resuming" if self.previous is not None else "starting"
        log.info(
            "%s %s (Ctrl-C stops at the next checkpoint; the same command resumes)",
            state,
            self.output,
        )
        return self

    def __exit__(self, *exc):
        for context in reversed(self._stack):
            context.__exit__(*exc)
        return False

    def merge(self, units):
        """Read the parts of ``units`` from their checkpoints (written by workers)."""
        for unit in units:
            self.load(unit)

    def start_afresh(self):
        """Delete the results file and the checkpoints (``--force-new``)."""
        self.output.unlink(missing_ok=True)
        for path in self.folder.glob("*.pkl"):
            path.unlink()

    def _legacy_arguments(self):
        # files written before "arguments" was recorded keep them as top-level keys
        return {
            name: self.previous[name]
            for name in self.arguments
            if not isinstance(self.previous.get(name), (dict, list))
            and name in self.previous
        }

    def publish(self, complete=False, files=None):
        """Write ``files`` (path -> bytes, e.g. trained parameters), then the results
        file built from the parts, with the arguments and whether it is ``complete``.
        Not complete, it is a safe point: :class:`Stopped` is raised if a stop was asked
        for."""
        for path, data in (files or {}).items():
            atomic_write(path, data)
        write_results(
            self.output,
            dict(self.build(self.parts), arguments=self.arguments, complete=complete),
        )
        if not complete and _stop.is_set():
            log.info(
                "stopped at a checkpoint; %s is consistent (complete: false); the same "
                "command resumes",
                self.output,
            )
            raise Stopped(self._handler.signum if self._handler else signal.SIGINT)
