"""The book's results files: reading them, which file of an experiment a chapter shows
(the full-protocol file only once it says complete), how much of the paper's protocol
it covers, and the chapters' results tables, on synthetic files in a temporary folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lossless_tutorial.book import results as R

ROOT = Path(__file__).resolve().parents[1]


def _write(folder, name, results):
    (folder / name).write_text(json.dumps(results))


def _majority(seeds, epochs, trials, *, depth=3, complete=True, test=0.1, final=0.0):
    run = dict(
        epochs_done=epochs,
        train_error=[0.2] * (epochs - 1) + [final],
        test_error=[test] * epochs,
        gwms=[0.44 * (e + 1) for e in range(epochs)],
        wall_time=[1.0 * (e + 1) for e in range(epochs)],
    )
    return dict(
        experiment="majority",
        depth=depth,
        epochs=epochs,
        complete=complete,
        command=f"python -m lossless_tutorial reproduce majority --depth {depth} "
        f"--seeds {seeds} --epochs {epochs} --sgd-trials {trials}",
        runs=[run] * seeds,
        sgd=dict(
            trials=trials,
            seconds=[5.0] * trials,
            train_error=[0.0] * (trials - 1) + [0.05] if trials else [],
            test_error=[0.07] * trials,
        ),
    )


def _ledm(runs, converged, *, complete=True, max_iter=1000):
    return dict(
        experiment="ledm",
        runs=runs,
        max_iter=max_iter,
        complete=complete,
        command=f"python -m lossless_tutorial reproduce ledm --runs {runs}",
        cd_rate=0.02,
        cd_starts=100,
        machine="test machine",
        date="2026-01-01",
        per_run=[
            dict(converged=c, n_iter=10 if c else max_iter, gwms=0.5, seconds=2.0)
            for c in converged
        ],
    )


# ---- reading -------------------------------------------------------------------------


def test_read_results(tmp_path):
    assert R.read_results(tmp_path / "missing.json") is None
    (tmp_path / "half.json").write_text('{"runs": [')
    assert R.read_results(tmp_path / "half.json") is None
    (tmp_path / "list.json").write_text("[1, 2]")
    assert R.read_results(tmp_path / "list.json") is None
    (tmp_path / "ok.json").write_text(json.dumps({"depth": 3, "runs": []}))
    assert R.read_results(tmp_path / "ok.json") == {"depth": 3, "runs": []}


@pytest.mark.parametrize(
    "flag, complete",
    [(True, True), (False, False), (None, False), ("true", False), (1, False)],
)
def test_only_complete_true_is_complete(flag, complete):
    results = {"runs": []} if flag is None else {"complete": flag}
    assert R.is_complete(results) is complete
    assert R.is_complete(None) is False


RUNS = {
    "runs": [
        {
            "seed": 0,
            "test_error": [0.5, 0.4, 0.3, 0.2],
            "gwms": [1, 2, 3, 4],
            "train_error": [0.4, 0.3, 0.2, 0.1],
        },
        {
            "seed": 1,
            "test_error": [0.6, float("nan"), 0.1],
            "gwms": [1, 2, 3],
            "train_error": [0.5, 0.2, 0.0],
        },
        {"seed": 2, "train_error": [0.9]},  # no test error, gwms: skipped where needed
        "not a run",
    ]
}


def test_last_epochs_pools_the_final_epochs_of_each_run():
    np.testing.assert_array_equal(R.last_epochs(RUNS, "test_error", 2), [0.3, 0.2, 0.1])
    np.testing.assert_array_equal(
        np.sort(R.last_epochs(RUNS["runs"], "test_error", 10)),
        [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
    )
    assert R.last_epochs(None).size == 0
    assert R.last_epochs({"no runs": 1}).size == 0
    with pytest.raises(ValueError, match="n_last"):
        R.last_epochs(RUNS, n_last=0)


def test_mean_curve_truncates_to_the_shortest_run():
    x, mean, curves = R.mean_curve(RUNS)
    np.testing.assert_array_equal(x, [1, 2, 3])
    np.testing.assert_allclose(mean, [0.45, 0.25, 0.1])
    assert curves.shape == (2, 3)
    assert R.mean_curve({"runs": []}) is None
    assert R.mean_curve(None) is None


# ---- coverage of the paper's protocol ------------------------------------------------


def test_coverage_of_complete_partial_and_missing_files():
    item = R.expected("majority_d3.json")
    assert item.protocol == {"runs": 10, "epochs": 1000, "SGD trials": 100}
    full = R.coverage(item, _majority(10, 1000, 100))
    assert (full.scale, full.complete) == ("full", True)
    assert full.done == "10 runs; 1000 epochs; 100 SGD trials"
    reduced = R.coverage(item, _majority(10, 100, 20))
    assert reduced.scale == "reduced"
    assert reduced.done == "10 runs; 100 of 1000 epochs; 20 of 100 SGD trials"
    # every amount of the paper, but not marked complete: partial
    partial = R.coverage(item, _majority(10, 1000, 100, complete=False))
    assert (partial.scale, partial.complete) == ("partial", False)
    assert partial.done == (
        "10 of 10 runs done; 1000 of 1000 epochs done; 100 of 100 SGD trials done"
    )
    missing = R.coverage(item, None)
    assert (missing.scale, missing.complete, missing.done) == ("not run", None, "–")


def test_coverage_and_expected_reject_bad_arguments():
    with pytest.raises(ValueError, match="item"):
        R.coverage("majority_d3.json", {})
    with pytest.raises(ValueError, match="results"):
        R.coverage(R.expected("majority_d3.json"), [1, 2])
    with pytest.raises(ValueError, match="file='nope.json'"):
        R.expected("nope.json")
    assert R.expected("binary_encoding_n45.json", 5).select == "5"


# ---- which file a chapter shows ------------------------------------------------------


def test_a_complete_full_protocol_file_is_shown(tmp_path):
    _write(tmp_path, "majority_d3.json", _majority(10, 100, 20))
    _write(tmp_path, "majority_d3_e1000.json", _majority(10, 1000, 100))
    shown = R.choose(tmp_path, "majority_d3_e1000.json", "majority_d3.json")
    assert (shown.file, shown.scale) == ("majority_d3_e1000.json", "full")
    assert shown.full_status is None
    assert shown.results["epochs"] == 1000
    assert shown.label == "10 runs; 1000 epochs"
    text = shown.describe()
    assert " ".join(text.split()).startswith(
        "shown: majority_d3_e1000.json, the paper's full protocol: "
        "10 runs; 1000 epochs; 100 SGD trials"
    )
    assert "--epochs 1000" in text and "longer run" not in text


def test_a_partial_full_protocol_file_is_not_shown(tmp_path):
    _write(tmp_path, "majority_d3.json", _majority(10, 100, 20))
    # the campaign's file, with every epoch written but not yet marked complete
    _write(tmp_path, "majority_d3_e1000.json", _majority(3, 1000, 0, complete=False))
    shown = R.choose(tmp_path, "majority_d3_e1000.json", "majority_d3.json")
    assert (shown.file, shown.scale) == ("majority_d3.json", "reduced")
    assert shown.results["epochs"] == 100
    assert shown.done == "10 runs; 100 of 1000 epochs; 20 of 100 SGD trials"
    assert shown.full_status == (
        "under way: 3 of 3 runs done (paper: 10); "
        "1000 of 1000 epochs done; 0 of 0 SGD trials done "
        "(paper: 100)"
    )
    assert shown.label == "10 runs; 100 of 1000 epochs, reduced"
    text = shown.describe()
    assert text.splitlines()[0] == (
        "shown: majority_d3.json, reduced: 10 runs; 100 of "
        "1000 epochs; 20 of 100 SGD trials"
    )
    assert "longer run" not in text  # its progress only when asked for
    text = shown.describe(progress=True)
    assert "the longer run, majority_d3_e1000.json: under way" in text
    assert all(len(line) <= 88 for line in text.splitlines())


def test_without_a_full_file_the_reduced_one_is_shown_and_said_so(tmp_path):
    _write(tmp_path, "majority_d3.json", _majority(10, 100, 20))
    shown = R.choose(tmp_path, "majority_d3_e1000.json", "majority_d3.json")
    assert shown.file == "majority_d3.json"
    assert shown.full_status == "not run yet"
    assert "the longer run, majority_d3_e1000.json: not run yet" in shown.describe(
        progress=True
    )


def test_an_unfinished_reduced_file_is_not_shown_either(tmp_path):
    _write(tmp_path, "majority_d3.json", _majority(10, 100, 20, complete=False))
    shown = R.choose(tmp_path, "majority_d3_e1000.json", "majority_d3.json")
    assert (shown.file, shown.results, shown.scale) == (None, None, "none")
    assert shown.label == "not recorded"
    text = shown.describe()
    assert text.startswith("majority_d3_e1000.json: not finished yet; no finished run")
    assert shown.describe(progress=True).startswith(
        "majority_d3_e1000.json: not run yet; no finished run"
    )
    assert "--output book/results/majority_d3_e1000.json" in text


def test_a_complete_file_short_of_the_paper_is_reduced_whatever_its_name(tmp_path):
    # the campaign's MNIST run has 3 of the paper's 10 runs: shown, but as reduced
    results = dict(
        experiment="mnist_classifier",
        epochs=200,
        complete=True,
        command="python -m lossless_tutorial reproduce mnist-classifier "
        "--seeds 3 --epochs 200 --sgd-trials 100",
        runs=[dict(epochs_done=200, test_error=[0.07] * 200)] * 3,
        sgd=dict(trials=100, test_error=[0.073] * 100, max_iter=200),
    )
    _write(tmp_path, "mnist_classifier_e200.json", results)
    shown = R.choose(tmp_path, "mnist_classifier_e200.json", "mnist_classifier.json")
    assert (shown.file, shown.scale) == ("mnist_classifier_e200.json", "reduced")
    assert shown.done == "3 of 10 runs; 200 epochs; 100 SGD trials"
    summary = R.mnist_summary(shown)
    assert "RRR test error (last 10 epochs x 3 runs): mean 0.0700" in summary
    assert "SGD test error (100 trials of at most 200 epochs): mean 0.0730" in summary


def _autoencoder(epochs_done, *, complete, parameters):
    return dict(
        experiment="mnist_autoencoder",
        epochs=40,
        complete=complete,
        command="python -m lossless_tutorial reproduce autoencoder --epochs 40",
        parameters=parameters,
        epochs_done=epochs_done,
        data_error=[0.2] * epochs_done,
    )


def test_partial_shows_an_unfinished_reduced_file_as_partial(tmp_path):
    _write(
        tmp_path,
        "mnist_autoencoder.json",
        _autoencoder(7, complete=False, parameters="reduced_params.npz"),
    )
    pair = ("autoencoder_40epochs.json", "mnist_autoencoder.json")
    # by default an unfinished file is never shown
    assert R.choose(tmp_path, *pair).file is None
    shown = R.choose(tmp_path, *pair, partial=True)
    assert (shown.file, shown.scale, shown.done) == (
        "mnist_autoencoder.json",
        "partial",
        "7 of 40 epochs done",
    )
    assert shown.results["parameters"] == "reduced_params.npz"
    assert shown.full_status == "not run yet"
    assert shown.describe().splitlines()[0] == (
        "shown: mnist_autoencoder.json, unfinished: 7 of 40 epochs done"
    )
    # the full-protocol file is shown only once it says complete, whatever partial
    _write(
        tmp_path,
        "autoencoder_40epochs.json",
        _autoencoder(39, complete=False, parameters="full_params.npz"),
    )
    shown = R.choose(tmp_path, *pair, partial=True)
    assert (shown.file, shown.scale) == ("mnist_autoencoder.json", "partial")
    assert shown.full_status == "under way: 39 of 40 epochs done"
    _write(
        tmp_path,
        "autoencoder_40epochs.json",
        _autoencoder(40, complete=True, parameters="full_params.npz"),
    )
    shown = R.choose(tmp_path, *pair, partial=True)
    assert (shown.file, shown.scale, shown.done) == (
        "autoencoder_40epochs.json",
        "full",
        "40 epochs",
    )
    assert shown.results["parameters"] == "full_params.npz"
    # one file, finished or not; a missing reduced file shows nothing
    shown = R.choose(tmp_path, pair[1], pair[1], partial=True)
    assert (shown.file, shown.scale, shown.full_status) == (pair[1], "partial", None)
    (tmp_path / pair[1]).unlink()
    assert R.choose(tmp_path, pair[0], pair[1], partial=True).file == pair[0]
    (tmp_path / pair[0]).unlink()
    assert R.choose(tmp_path, *pair, partial=True).file is None


def test_choose_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="results_dir"):
        R.choose(tmp_path / "no such folder", "majority_d3_e1000.json")
    with pytest.raises(ValueError, match="full="):
        R.choose(tmp_path, "majority_d9.json")
    with pytest.raises(ValueError, match="reduced="):
        R.choose(tmp_path, "majority_d3_e1000.json", "majority_d9.json")
    with pytest.raises(ValueError, match="reduced='ledm_m12.json'"):
        R.choose(tmp_path, "majority_d3_e1000.json", "ledm_m12.json")
    with pytest.raises(ValueError, match="n_last"):
        R.mnist_summary(R.choose(tmp_path, "mnist_classifier_e200.json"), n_last=0)


def test_wrap_command_keeps_lines_within_the_width():
    command = (
        "python -m lossless_tutorial reproduce majority --depth 3 --seeds 10 "
        "--epochs 1000 --delta 0.05 --sgd-trials 0 "
        "--output book/results/majority_d3_delta0.05.json"
    )
    text = R.wrap_command(command, "    ", width=60)
    assert all(len(line) <= 60 for line in text.splitlines())
    assert " ".join(part.strip(" \\") for part in text.splitlines()) == command


# ---- the chapters' tables ------------------------------------------------------------


def test_ledm_table_switches_to_the_full_file_once_complete(tmp_path):
    _write(tmp_path, "ledm_m6.json", _ledm(20, [True] * 20))
    _write(tmp_path, "ledm_m12.json", _ledm(10, [True] * 7 + [False] * 3))
    _write(tmp_path, "ledm_m12_full.json", _ledm(20, [True] * 4, complete=False))
    text = R.ledm_table(tmp_path, sizes=(6, 12, 16))
    rows = text.splitlines()
    assert rows[1].split()[:2] == ["6", "20/20"] and rows[1].endswith("2% of 100")
    assert rows[2].split()[:2] == ["12", "7/10"]
    assert "16  not recorded yet" in rows[3]
    assert "m = 12: shown: ledm_m12.json, reduced: 10 of 20 runs" in text
    assert "7 of 10 starts reached the tolerance" in text
    # the longer runs' progress stays off the chapter: the table changes only when a
    # longer run is complete
    assert "under way" not in text and "ledm_m16.json: not finished yet" in text
    assert all(len(line) <= 88 for line in rows)
    _write(tmp_path, "ledm_m12_full.json", _ledm(20, [True] * 20))
    text = R.ledm_table(tmp_path, sizes=(12,))
    assert text.splitlines()[1].split()[:2] == ["12", "20/20"]
    assert "m = 12: shown: ledm_m12_full.json, the paper's full protocol" in text
    with pytest.raises(ValueError, match="sizes"):
        R.ledm_table(tmp_path, sizes=(7,))


def test_letters_runs_reads_both_methods(tmp_path):
    _write(
        tmp_path,
        "letters.json",
        dict(
            experiment="letters",
            runs=4,
            complete=True,
            command="letters --runs 4",
            settings=dict(epochs=30),
            rrr_rms_errors=[0.09, 0.1, 0.095, 0.09],
            cd_rms_errors=[0.088, 0.09, 0.1, 0.088],
        ),
    )
    letters = R.letters_runs(tmp_path)
    assert letters.shown.file == "letters.json" and letters.epochs == 30
    assert letters.shown.done == "4 of 100 runs"
    np.testing.assert_allclose(letters.rrr, [0.09, 0.1, 0.095, 0.09])
    text = letters.describe()
    # best of either method 0.088: within 2% means below 0.08976
    assert (
        "RRR: 4 runs, best 0.0900, median 0.0925, within 2% of the best run of "
        "either method: 0%" in text
    )
    assert (
        "CD: 4 runs, best 0.0880, median 0.0890, within 2% of the best run of "
        "either method: 50%" in text
    )
    empty = R.letters_runs(tmp_path / "..")  # no letters files there
    assert empty.shown.file is None and empty.rrr.size == 0


def test_majority_runs_and_table(tmp_path):
    _write(tmp_path, "majority_d2.json", _majority(10, 100, 20, depth=2))
    _write(tmp_path, "majority_d3.json", _majority(10, 100, 20, final=0.02, test=0.09))
    runs = R.majority_runs(tmp_path)
    assert runs["cap"][100] is runs["depth"][3] is runs["delta"][0.1]
    assert runs["depth"][4].file is None and runs["cap"][50].file is None
    table = R.majority_table(runs).splitlines()
    assert table[2].split() == [
        "2",
        "majority_d2.json",
        "reduced",
        "10",
        "10",
        "0.1000",
    ]
    assert table[3].split() == ["3", "majority_d3.json", "reduced", "10", "0", "0.0900"]
    assert table[4].split() == ["4", "not", "recorded", "yet"]
    # SGD: 1 of 20 trials above 1% training error
    assert table[-1].split() == ["3", "20", "5%", "0.0700"]
    status = R.majority_status(runs)
    assert "depth 4, cap 100, Delta 0.2:" in status
    assert "majority_d3_cap50.json: not finished yet" in status
    assert all(len(line) <= 88 for line in status.splitlines() + table)
    with pytest.raises(ValueError, match="results_dir"):
        R.majority_runs(tmp_path / "missing")


def test_the_books_results_folder_shows_only_complete_files():
    folder = ROOT / "book" / "results"
    for full, reduced in [
        ("majority_d3_e1000.json", "majority_d3.json"),
        ("mnist_classifier_e200.json", "mnist_classifier.json"),
        ("letters_100.json", "letters.json"),
        ("ledm_m12_full.json", "ledm_m12.json"),
    ]:
        shown = R.choose(folder, full, reduced)
        if shown.file is not None:
            assert R.is_complete(R.read_results(folder / shown.file))
        if shown.file == reduced:
            assert not R.is_complete(R.read_results(folder / full))
    # the autoencoder's stopped run is shown, as partial, until the 40-epoch run is
    # complete
    shown = R.choose(
        folder, "autoencoder_40epochs.json", "mnist_autoencoder.json", partial=True
    )
    if shown.file == "autoencoder_40epochs.json":
        assert R.is_complete(shown.results) and shown.scale == "full"
