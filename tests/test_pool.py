"""Units of a run at once (``--jobs``, ``--scheduler``): the same results as one after
another, a stop or a worker's error ends the run at checkpoints, a killed Dask worker
loses no finished unit, and workers of a killed run stop when it is resumed.

The mechanism is tested with toy units (a counter per unit, checkpointed every step);
the experiments themselves with small LEDM runs, which need no data files.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest

from conftest import without_timing
from lossless_tutorial import reproduce
from lossless_tutorial._pool import Pool
from lossless_tutorial._runstore import RunStore, Stopped, UnitStore, atomic_write

distributed = pytest.importorskip("distributed")


def _counter(unit, steps, pause=0.0, fail_at=None):
    """A toy unit: counts to ``steps``, checkpointing every step; its record is the
    count, the counts it started from (one entry per start, so a resume shows) and the
    process that runs it."""

    def run(store):
        record, _ = store.load(unit)
        record = record or {"count": 0, "starts": []}
        record["starts"].append(record["count"])
        record["pid"] = os.getpid()
        while record["count"] < steps:
            time.sleep(pause)
            if record["count"] == fail_at:
                raise ValueError(f"{unit} failed")
            record["count"] += 1
            store.save(unit, record)
            store.publish()

    return [unit], run


def _store(path):
    return RunStore(path, {"steps": 1}, build=lambda parts: {"parts": parts})


def _run(path, tasks, **pool):
    with _store(path) as store, Pool(**pool) as pool_:
        pool_.run_units(store, tasks)
        store.publish(complete=True)
    return json.loads(path.read_text())


def test_jobs_give_the_results_of_a_serial_run(tmp_path):
    tasks = [_counter(f"u{i}", 3 + i) for i in range(5)]
    serial = _run(tmp_path / "serial.json", tasks, jobs=1)
    parallel = _run(tmp_path / "parallel.json", tasks, jobs=2)
    assert serial["complete"] and parallel["complete"]
    for parts in (serial["parts"], parallel["parts"]):
        for record in parts.values():
            del record["pid"]
    assert parallel["parts"] == serial["parts"]
    assert [serial["parts"][f"u{i}"]["count"] for i in range(5)] == [3, 4, 5, 6, 7]


def test_pool_arguments_are_checked():
    for jobs in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="jobs"):
            Pool(jobs=jobs)
    with pytest.raises(ValueError, match="not both"):
        Pool(jobs=2, scheduler="tcp://127.0.0.1:1")
    with (
        pytest.raises(ValueError, match="scheduler"),
        Pool(scheduler="tcp://127.0.0.1:1"),
    ):
        pass


def test_a_worker_error_stops_the_others_at_a_checkpoint(tmp_path):
    path = tmp_path / "out.json"
    tasks = [_counter("bad", 10, 0.05, fail_at=2), _counter("good", 10_000, 0.05)]
    with pytest.raises(ValueError, match="bad failed"):
        _run(path, tasks, jobs=2)
    left = json.loads(path.read_text())
    assert not left["complete"]
    assert left["parts"]["bad"]["count"] == 2
    assert 0 < left["parts"]["good"]["count"] < 10_000  # stopped, not run to the end
    # the same run resumes each unit from its checkpoint once the fault is gone
    done = _run(path, [_counter("bad", 10), _counter("good", 50)], jobs=2)
    assert (done["parts"]["bad"]["count"], done["parts"]["bad"]["starts"]) == (
        10,
        [0, 2],
    )
    assert done["parts"]["good"]["count"] == 50
    assert done["parts"]["good"]["starts"][1] == left["parts"]["good"]["count"]


def test_a_stop_ends_every_worker_at_a_checkpoint_and_resumes(tmp_path):
    path = tmp_path / "out.json"
    tasks = [_counter(f"u{i}", 400, 0.02) for i in range(2)]
    store = _store(path)
    timer = threading.Timer(3.0, lambda: store.stop_file.touch())
    with store, Pool(jobs=2) as pool:
        timer.start()
        with pytest.raises(Stopped):
            pool.run_units(store, tasks)
    left = json.loads(path.read_text())
    assert not left["complete"]
    counts = [left["parts"][f"u{i}"]["count"] for i in range(2)]
    assert all(0 < c < 400 for c in counts)
    done = _run(path, tasks, jobs=2)  # a new run clears the stop file
    assert [done["parts"][f"u{i}"]["starts"] for i in range(2)] == [
        [0, c] for c in counts
    ]


def test_workers_of_a_replaced_or_dead_owner_stop(tmp_path):
    store = _store(tmp_path / "out.json")
    with store:
        worker = store.unit_store()
        assert not worker.stop_requested()
        atomic_write(store.folder / ".owner", b"another run")  # a resumed run took over
        assert worker.stop_requested()
    worker = UnitStore(store.folder, store.arguments, owner="another run")
    assert worker.stop_requested()  # the owner's lock is free: it is gone


def test_a_killed_dask_worker_loses_no_finished_unit(tmp_path):
    path = tmp_path / "out.json"
    tasks = [_counter(f"u{i}", 12, 0.25) for i in range(6)]
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with cluster, distributed.Client(cluster) as client:
        outcome = {}
        runner = threading.Thread(
            target=lambda: outcome.update(
                results=_run(path, tasks, scheduler=cluster.scheduler_address)
            )
        )
        runner.start()
        folder = path.with_suffix(".checkpoints")
        store = UnitStore(folder, {"steps": 1})

        def counts():
            return [store.load(f"u{i}")[0] or {"count": 0} for i in range(6)]

        deadline = time.monotonic() + 120
        while sum(r["count"] == 12 for r in counts()) < 2 or not any(
            2 < r["count"] < 10 for r in counts()
        ):
            assert time.monotonic() < deadline and runner.is_alive()
            time.sleep(0.1)
        records = counts()
        finished = {
            f"u{i}": (folder / f"u{i}.pkl").stat().st_mtime_ns
            for i, r in enumerate(records)
            if r["count"] == 12
        }
        victim = next(f"u{i}" for i, r in enumerate(records) if 2 < r["count"] < 10)
        assert records[int(victim[1:])]["pid"] in client.run(os.getpid).values()
        os.kill(records[int(victim[1:])]["pid"], signal.SIGKILL)  # its worker, mid-unit
        runner.join(180)
    assert not runner.is_alive()
    results = outcome["results"]
    assert results["complete"]
    assert all(results["parts"][f"u{i}"]["count"] == 12 for i in range(6))
    # the finished units were not run again; the killed worker's unit resumed mid-way
    assert all(
        (folder / f"{u}.pkl").stat().st_mtime_ns == t for u, t in finished.items()
    )
    assert all(len(results["parts"][u]["starts"]) == 1 for u in finished)
    starts = results["parts"][victim]["starts"]
    assert len(starts) == 2 and starts[1] > 2, starts


LEDM = dict(runs=3, max_iter=200_000, chunk=20_000, cd_starts=2, progress=False)


def test_ledm_with_jobs_and_on_a_cluster_gives_the_serial_results(tmp_path):
    serial = reproduce.reproduce_ledm(6, output=tmp_path / "serial.json", **LEDM)
    jobs = reproduce.reproduce_ledm(6, output=tmp_path / "jobs.json", jobs=2, **LEDM)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        dask = reproduce.reproduce_ledm(
            6,
            output=tmp_path / "dask.json",
            scheduler=cluster.scheduler_address,
            **LEDM,
        )
    assert serial["n_success"] >= 1
    for other in (jobs, dask):
        assert without_timing(other["per_run"]) == without_timing(serial["per_run"])
        assert other["cd_rate"] == serial["cd_rate"]


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--jobs", "0"], "jobs must be a positive"),
        (["--jobs", "2", "--scheduler", "tcp://a:1"], "not both"),
    ],
)
def test_command_line_refuses_bad_pool_arguments(flags, message, tmp_path, capsys):
    from lossless_tutorial.__main__ import main

    code = main(
        [
            "reproduce",
            "ledm",
            "--m",
            "6",
            "--runs",
            "1",
            "--max-iter",
            "10",
            "--cd-starts",
            "0",
            "--output",
            str(tmp_path / "out.json"),
            "--quiet",
            *flags,
        ]
    )
    assert code == 2
    assert message in capsys.readouterr().err
