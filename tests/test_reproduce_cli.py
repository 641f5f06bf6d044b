"""`python -m lossless_tutorial reproduce ...` never records wrong results.

Each subcommand, at a tiny scale, is killed (SIGKILL) and then interrupted (SIGINT) at
moments drawn by a seeded generator, and resumed: every file left behind is readable,
says ``complete: true`` only if it is the final one, and the resumed run ends with the
file of a run never stopped (apart from timing, date and machine). Concurrent writers
and a reader of one results file never see half a file; damaged files, other arguments
and a second run on the same file are refused with a message naming them.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from conftest import requires_paper_data, without_timing
from lossless_tutorial import reproduce
from lossless_tutorial._runstore import write_results

# The MNIST runners at a tiny scale: random images and a small cycle (as in
# test_reproduce.py), then the command line itself.
TINY_MNIST = """
import sys
import numpy as np
from lossless_tutorial import datasets, reproduce
from lossless_tutorial.__main__ import main
rng = np.random.default_rng(0)
images = {"train": rng.uniform(size=(60, 12)), "test": rng.uniform(size=(30, 12))}
datasets.load_mnist = lambda split: (images[split], None)
reproduce.MNIST_AUTOENCODER.update(encoder_sizes=(6,), code_size=3, decoder_sizes=(6,),
                                   batch_size=20, code_batch_size=2, max_iter=5)
reproduce.GENERATIVE.update(hidden_layer_sizes=(5,), batch_size=30)
sys.exit(main(["reproduce", *sys.argv[1:]]))
"""

COMMANDS = {
    "ledm": [
        "ledm",
        "--m",
        "6",
        "--runs",
        "3",
        "--max-iter",
        "200000",
        "--chunk",
        "20000",
        "--cd-starts",
        "2",
    ],
    "letters": ["letters", "--runs", "2", "--n-images", "50"],
    "majority": [
        "majority",
        "--depth",
        "2",
        "--seeds",
        "2",
        "--epochs",
        "3",
        "--max-iter",
        "5",
        "--sgd-trials",
        "1",
    ],
    "mnist": [
        "mnist-classifier",
        "--seeds",
        "1",
        "--epochs",
        "2",
        "--max-iter",
        "2",
        "--sgd-trials",
        "0",
    ],
    "binary-encoding": [
        "binary-encoding",
        "--bits",
        "3",
        "--runs",
        "4",
        "--max-iter",
        "2000",
    ],
    "autoencoder": ["autoencoder", "--epochs", "4"],
    "generative": [
        "generative",
        "--epochs",
        "3",
        "--max-iter",
        "5",
        "--autoencoder",
        "ae_params.npz",
    ],
}


class _Run:
    """A reproduce subprocess in ``folder`` whose stderr is read line by line, so that
    the test can wait until it has opened its results file (its readiness signal)."""

    def __init__(self, name, folder):
        if name in ("autoencoder", "generative"):
            command = [sys.executable, "-c", TINY_MNIST]
        else:
            command = [sys.executable, "-m", "lossless_tutorial", "reproduce"]
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command + COMMANDS[name] + ["--output", "out.json", "--quiet"],
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines = queue.Queue()
        self.stderr = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stderr:
            self.stderr.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def wait_ready(self, timeout=120):
        """Seconds from the start until the run opened its results file (or ended)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                continue
            if line is None or line.startswith(("starting ", "resuming ")):
                break
        return time.perf_counter() - self.started

    def finish(self, timeout=300):
        self.process.stdout.read()
        self.process.wait(timeout)
        time.sleep(0.05)  # the reader thread takes the last lines
        return self.process.returncode, "".join(self.stderr)


def _run(name, folder):
    run = _Run(name, folder)
    ready = run.wait_ready()
    code, err = run.finish()
    assert code == 0, err
    return ready, time.perf_counter() - run.started


def _check_left(folder, reference):
    """What a stopped run leaves: no file, or a readable one that is either the final
    file or says it is incomplete, with the run's arguments."""
    path = folder / "out.json"
    if not path.exists():
        return
    results = json.loads(path.read_text())
    if results["complete"]:
        assert without_timing(results) == without_timing(reference)
    else:
        assert results["arguments"] == reference["arguments"]


def _stop_and_resume(name, tmp_path, seed):
    """The reference run, then a run killed, one interrupted, and the resumed run."""
    reference_folder, folder = tmp_path / "reference", tmp_path / "stopped"
    for f in (reference_folder, folder):
        f.mkdir()
    if name == "generative":  # the autoencoder it samples from
        (tmp_path / "autoencoder").mkdir()
        _run("autoencoder", tmp_path / "autoencoder")
        params = (tmp_path / "autoencoder" / "out_params.npz").read_bytes()
        for f in (reference_folder, folder):
            (f / "ae_params.npz").write_bytes(params)
    ready, total = _run(name, reference_folder)
    reference = json.loads((reference_folder / "out.json").read_text())
    assert reference["complete"]
    rng = np.random.default_rng(seed)
    for sig in (signal.SIGKILL, signal.SIGINT):
        run = _Run(name, folder)
        if rng.uniform() < 0.2:  # now and then before anything started
            time.sleep(rng.uniform(0, ready))
        else:
            run.wait_ready()
            time.sleep(rng.uniform(0, 1.1 * (total - ready)))
        run.process.send_signal(sig)
        code, err = run.finish()
        allowed = (
            {0, -signal.SIGKILL} if sig == signal.SIGKILL else {0, 130, -signal.SIGINT}
        )
        assert code in allowed, err
        if code == 130:
            assert "stopped" in err and "Traceback" not in err
        _check_left(folder, reference)
    _run(name, folder)
    resumed = json.loads((folder / "out.json").read_text())
    assert without_timing(resumed) == without_timing(reference)


@pytest.mark.parametrize(
    "name", ["ledm", "letters", "binary-encoding", "autoencoder", "generative"]
)
def test_stopped_runs_resume_to_the_same_file(name, tmp_path):
    _stop_and_resume(name, tmp_path, seed=len(name))


@requires_paper_data
@pytest.mark.parametrize("name", ["majority", "mnist"])
def test_stopped_runs_on_the_paper_data_resume_to_the_same_file(name, tmp_path):
    _stop_and_resume(name, tmp_path, seed=len(name))


# ---- the results file under concurrent writers ---------------------------------------

WRITER = """
import sys
from lossless_tutorial._runstore import write_results
for i in range(200):
    payload = {"writer": sys.argv[2], "i": i, "payload": list(range(500))}
    write_results(sys.argv[1], payload)
"""


def test_concurrent_writers_never_leave_half_a_file(tmp_path):
    path = tmp_path / "results.json"
    errors, seen = [], set()
    done = threading.Event()

    def reader():
        while not done.is_set():
            try:
                text = path.read_text()
            except FileNotFoundError:
                continue
            try:
                seen.add(json.loads(text)["writer"])
            except ValueError as error:  # pragma: no cover - the failure under test
                errors.append(error)

    def writer(name):
        try:
            for i in range(200):
                write_results(
                    path, {"writer": name, "i": i, "payload": list(range(500))}
                )
        except Exception as error:  # pragma: no cover - the failure under test
            errors.append(error)

    threads = [threading.Thread(target=reader)]
    threads += [threading.Thread(target=writer, args=(f"thread{k}",)) for k in range(3)]
    processes = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), f"process{k}"])
        for k in range(2)
    ]
    for thread in threads:
        thread.start()
    for process in processes:
        assert process.wait(120) == 0
    for thread in threads[1:]:
        thread.join()
    done.set()
    threads[0].join()
    assert not errors
    assert json.loads(path.read_text())["i"] == 199
    assert seen and not list(tmp_path.glob(".*.tmp"))


# ---- refusals ------------------------------------------------------------------------


def _binary(out, **kwargs):
    kwargs = dict(
        dict(bits=(3,), runs=1, max_iter=50, traces=0, output=out, progress=False),
        **kwargs,
    )
    return reproduce.reproduce_binary_encoding(**kwargs)


def test_other_arguments_are_refused_unless_force_new(tmp_path):
    out = tmp_path / "binary.json"
    _binary(out)
    with pytest.raises(reproduce.ResultsFileError, match=r"--max-iter 50 \(now 60\)"):
        _binary(out, max_iter=60)
    _binary(out, runs=2)  # runs may grow
    with pytest.raises(reproduce.ResultsFileError, match="--runs 2 .*not shrink"):
        _binary(out, runs=1)
    results = _binary(out, max_iter=60, force_new=True)
    assert results["max_iter"] == 60 and len(results["bits"]["3"]["runs"]) == 1
    stored = json.loads(out.read_text())
    assert stored["arguments"]["max_iter"] == 60 and stored["complete"]


@pytest.mark.parametrize("content", [b"", b'{"experiment": "binary_enc', b"[1, 2]"])
def test_damaged_results_file_is_named(tmp_path, content):
    out = tmp_path / "binary.json"
    out.write_bytes(content)
    with pytest.raises(reproduce.ResultsFileError, match=f"{out}.*--force-new"):
        _binary(out)
    assert _binary(out, force_new=True)["complete"]


def test_damaged_checkpoint_is_named(tmp_path):
    out = tmp_path / "binary.json"
    _binary(out)
    checkpoint = tmp_path / "binary.checkpoints" / "n3.pkl"
    checkpoint.write_bytes(checkpoint.read_bytes()[:20])
    with pytest.raises(reproduce.ResultsFileError, match=f"checkpoint {checkpoint}"):
        _binary(out)


def test_command_line_messages(tmp_path):
    """Refusals exit with 2 and a message, not a traceback; the default output is the
    user's results folder, not the working directory."""
    env = dict(os.environ, LOSSLESS_TUTORIAL_RESULTS=str(tmp_path / "user"))
    command = [
        sys.executable,
        "-m",
        "lossless_tutorial",
        "reproduce",
        "binary-encoding",
        "--bits",
        "3",
        "--runs",
        "1",
        "--max-iter",
        "50",
        "--quiet",
    ]
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "user" / "binary_encoding_gap1.json").exists()
    assert not (tmp_path / "book").exists()
    again = subprocess.run(
        command[:-2] + ["60", "--quiet"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert again.returncode == 2 and "--max-iter 50 (now 60)" in again.stderr
    assert "Traceback" not in again.stderr


def test_a_second_run_on_the_same_file_is_refused(tmp_path):
    from lossless_tutorial._runstore import RunStore

    out = tmp_path / "results.json"
    with RunStore(out, {"runs": 1}, lambda parts: {}):
        with pytest.raises(reproduce.ResultsFileError, match="another run is writing"):
            with RunStore(out, {"runs": 1}, lambda parts: {}):
                pass  # pragma: no cover
