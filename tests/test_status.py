"""The reproduction status table: complete, reduced, partial and missing results files,
and the book's own results folder."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lossless_tutorial.book.results import EXPECTED, Expected
from lossless_tutorial.book.status import reproduction_status, status_table

ROOT = Path(__file__).resolve().parents[1]

LEDM = Expected(
    "Table 1, m = 6",
    "03_nmf_one_layer_network",
    "Table 1 at full scale",
    "ledm_m6.json",
    "ledm",
    {"runs": 20},
    command="make ledm",
)
AUTOENCODER = Expected(
    "Figs. 20–21",
    "06_autoencoder_ide_codes",
    "The full run",
    "auto.json",
    "mnist_autoencoder",
    {"epochs": 40},
    command="make auto",
)
MAJORITY = Expected(
    "Figs. 11–12, depth 2",
    "04_classifier_one_hidden_layer",
    "All items",
    "majority_d2.json",
    "majority",
    {"runs": 10, "epochs": 1000, "SGD trials": 100},
    command="make majority",
)
BINARY = Expected(
    "Sec. 6.3.1, n = 5",
    "06_autoencoder_ide_codes",
    "Success rates",
    "binary.json",
    "binary_encoding",
    {"runs": None},
    select="5",
)


def _write(folder, name, results):
    (folder / name).write_text(json.dumps(results))


def _ledm(runs, *, complete=True, converged=None):
    converged = [True] * runs if converged is None else converged
    return dict(
        experiment="ledm",
        runs=runs,
        max_iter=1000,
        complete=complete,
        command=f"python -m lossless_tutorial reproduce ledm --m 6 --runs {runs}",
        wall_seconds=120.0,
        date="2026-11-23T11:38:31",
        per_run=[
            dict(converged=c, n_iter=10 if c else 500, seconds=3.0) for c in converged
        ],
    )


def _autoencoder(done, *, complete):
    return dict(
        experiment="mnist_autoencoder",
        epochs=40,
        epochs_done=done,
        complete=complete,
        command="python -m lossless_tutorial reproduce autoencoder",
        data_error=[0.2] * done,
        wall_time=[300.0 * (e + 1) for e in range(done)],
    )


def _majority(seeds, epochs, trials, *, complete=True):
    run = dict(
        epochs_done=epochs,
        train_error=[0.0] * epochs,
        wall_time=[10.0 * (e + 1) for e in range(epochs)],
    )
    return dict(
        experiment="majority",
        epochs=epochs,
        complete=complete,
        command=f"python -m lossless_tutorial reproduce majority --depth 2 --seeds "
        f"{seeds} --epochs {epochs} --sgd-trials {trials}",
        runs=[run] * seeds,
        sgd=dict(trials=trials, seconds=[5.0] * trials, test_error=[0.1] * trials),
    )


def test_complete_file_with_the_papers_amounts_is_full(tmp_path):
    _write(tmp_path, "ledm_m6.json", _ledm(20))
    [row] = reproduction_status(tmp_path, [LEDM])
    assert row["scale"] == "full" and row["complete"] is True
    assert row["done"] == "20 runs"
    assert row["command"].endswith("--runs 20") and row["command_recorded"]
    assert row["seconds"] == 120.0 and row["run_time"] == "2 min"
    assert row["core_hours"] == pytest.approx(20 * 3.0 / 3600)


def test_complete_file_with_fewer_runs_is_reduced(tmp_path):
    _write(tmp_path, "ledm_m6.json", _ledm(10))
    [row] = reproduction_status(tmp_path, [LEDM])
    assert row["scale"] == "reduced" and row["done"] == "10 of 20 runs"


def test_runs_that_did_not_finish_do_not_count(tmp_path):
    # a run that neither converged nor reached its cap is not done
    results = _ledm(20, converged=[True] * 19 + [False])
    results["per_run"][-1]["n_iter"] = 100
    _write(tmp_path, "ledm_m6.json", results)
    [row] = reproduction_status(tmp_path, [LEDM])
    assert row["scale"] == "reduced" and row["done"] == "19 of 20 runs"


@pytest.mark.parametrize("complete", [False, None, "true", 1])
def test_a_file_not_marked_complete_is_partial_even_with_every_run(tmp_path, complete):
    results = _ledm(20)
    if complete is None:
        del results["complete"]
    else:
        results["complete"] = complete
    _write(tmp_path, "ledm_m6.json", results)
    [row] = reproduction_status(tmp_path, [LEDM])
    assert row["scale"] == "partial" and row["complete"] is False
    assert row["done"] == "20 of 20 runs done"


def test_an_unfinished_full_protocol_run_says_how_far_it_got(tmp_path):
    _write(tmp_path, "auto.json", _autoencoder(1, complete=False))
    [row] = reproduction_status(tmp_path, [AUTOENCODER])
    assert row["scale"] == "partial" and row["done"] == "1 of 40 epochs done"
    assert row["seconds"] == 300.0
    _write(tmp_path, "auto.json", _autoencoder(40, complete=True))
    [row] = reproduction_status(tmp_path, [AUTOENCODER])
    assert row["scale"] == "full" and row["done"] == "40 epochs"
    assert row["seconds"] == 40 * 300.0 and row["run_time"] == "3.3 h"
    assert row["core_hours"] is None  # the file does not say how many CPUs it used
    _write(tmp_path, "auto.json", dict(_autoencoder(40, complete=True), cpus=2))
    [row] = reproduction_status(tmp_path, [AUTOENCODER])
    assert row["core_hours"] == pytest.approx(2 * 40 * 300.0 / 3600)


def test_a_partial_run_planned_smaller_than_the_paper_says_so(tmp_path):
    results = _autoencoder(3, complete=False)
    results["epochs"] = 7
    _write(tmp_path, "auto.json", results)
    [row] = reproduction_status(tmp_path, [AUTOENCODER])
    assert row["done"] == "3 of 7 epochs done (paper: 40)"


def test_classifier_amounts_and_time(tmp_path):
    _write(tmp_path, "majority_d2.json", _majority(10, 100, 20))
    [row] = reproduction_status(tmp_path, [MAJORITY])
    assert row["scale"] == "reduced"
    assert row["done"] == "10 runs; 100 of 1000 epochs; 20 of 100 SGD trials"
    assert row["seconds"] == pytest.approx(10 * 1000.0 + 20 * 5.0)
    assert row["core_hours"] is None


def test_binary_encoding_reads_its_code_size(tmp_path):
    results = dict(
        experiment="binary_encoding",
        runs=20,
        complete=True,
        command="x",
        bits={"5": dict(runs=[dict(seconds=2.0, success=False)] * 20)},
    )
    _write(tmp_path, "binary.json", results)
    [row] = reproduction_status(tmp_path, [BINARY])
    # the paper gives no number of runs: complete means full
    assert (
        row["scale"] == "full" and row["done"] == "20 runs" and row["seconds"] == 40.0
    )
    del results["bits"]["5"]
    results["complete"] = False
    _write(tmp_path, "binary.json", results)
    [row] = reproduction_status(tmp_path, [BINARY])
    assert row["scale"] == "partial" and row["done"] == "0 of 20 runs done"


@pytest.mark.parametrize("content", [None, "{not json", "[1, 2]"])
def test_missing_or_unreadable_file_is_not_run(tmp_path, content):
    if content is not None:
        (tmp_path / "ledm_m6.json").write_text(content)
    [row] = reproduction_status(tmp_path, [LEDM])
    assert row["scale"] == "not run" and row["complete"] is None
    assert row["command"] == "make ledm" and not row["command_recorded"]
    assert row["seconds"] is None and row["run_time"] == "–"


def test_table_renders_every_row(tmp_path):
    _write(tmp_path, "ledm_m6.json", _ledm(20))
    _write(tmp_path, "auto.json", _autoencoder(1, complete=False))
    rows = reproduction_status(tmp_path, [LEDM, AUTOENCODER, MAJORITY])
    table = status_table(rows)
    html = table._repr_html_()
    assert html.count("<tr>") == 1 + 3
    assert 'href="03_nmf_one_layer_network.html#table-1-at-full-scale"' in html
    assert "(to run) make majority" in html and "not run" in html
    text = table.to_markdown()
    assert len(text.splitlines()) == 2 + 3
    assert "| partial | 1 of 40 epochs done |" in text


def test_expected_results_are_distinct():
    assert len({(e.file, e.select) for e in EXPECTED}) == len(EXPECTED)


def test_the_books_results_folder():
    rows = reproduction_status(ROOT / "book" / "results")
    assert len(rows) == len(EXPECTED)
    for row in rows:
        path = ROOT / "book" / "results" / row["file"]
        if row["scale"] == "not run":
            assert not path.exists() or row["complete"] is None
            continue
        complete = json.loads(path.read_text()).get("complete") is True
        assert row["complete"] is complete
        assert (row["scale"] in ("full", "reduced")) == complete, row
        assert row["command_recorded"] and row["command"].startswith("python -m")
    # the autoencoder's full-protocol run and the older stored run are separate rows
    files = [row["file"] for row in rows if row["paper"] == "Figs. 20–21"]
    assert files == ["mnist_autoencoder.json", "autoencoder_40epochs.json"]


def test_every_file_of_the_campaign_has_a_row():
    campaign = ROOT / "book" / "results" / "campaign.sh"
    if not campaign.exists():
        pytest.skip("no campaign script")
    files = re.findall(r"^\s*run \$R/(\S+?\.json)", campaign.read_text(), re.MULTILINE)
    files = {
        f.replace("$delta", str(d))
        for f in files
        for d in ((0.05, 0.15, 0.2) if "$delta" in f else (None,))
    }
    assert files and files <= {e.file for e in EXPECTED}
