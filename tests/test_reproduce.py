"""The full-scale experiment runners write complete results files and resume."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import requires_paper_data
from lossless_tutorial import reproduce


def test_ledm_results_file(tmp_path):
    out = tmp_path / "ledm.json"
    results = reproduce.reproduce_ledm(
        6, runs=2, max_iter=3000, cd_starts=2, output=out, progress=False, chunk=1000
    )
    stored = json.loads(out.read_text())
    assert stored["complete"] and stored["runs"] == 2 and len(stored["per_run"]) == 2
    assert stored["paper"]["rrr_rate"] == 1.0
    assert 0 <= results["success_rate"] <= 1
    for run in stored["per_run"]:
        assert run["n_iter"] <= 3000
        assert run["gwms"] == pytest.approx(run["n_iter"] * 6 * 30 * 1e-9)
    with pytest.raises(ValueError, match="m must be"):
        reproduce.reproduce_ledm(7, output=out)


@requires_paper_data
def test_majority_run_resumes_at_its_last_epoch(tmp_path):
    out = tmp_path / "majority.json"
    kwargs = dict(seeds=1, max_iter=3, sgd_trials=0, output=out, progress=False)
    reproduce.reproduce_majority(2, epochs=1, **kwargs)
    first = json.loads(out.read_text())["runs"][0]
    reproduce.reproduce_majority(2, epochs=2, **kwargs)
    run = json.loads(out.read_text())["runs"][0]
    assert run["epochs_done"] == 2
    assert run["train_error"][0] == first["train_error"][0]
    assert np.all(np.diff(run["gwms"]) > 0)


def test_binary_encoding_results_file_resumes(tmp_path):
    out = tmp_path / "binary.json"
    kwargs = dict(bits=(3,), max_iter=3000, output=out, progress=False, traces=1)
    reproduce.reproduce_binary_encoding(runs=1, **kwargs)
    first = json.loads(out.read_text())["bits"]["3"]["runs"][0]
    results = reproduce.reproduce_binary_encoding(runs=2, **kwargs)
    entry = results["bits"]["3"]
    assert len(entry["runs"]) == 2 and entry["runs"][0] == first
    assert entry["gap"] == 0.4 and results["paper"]["3"]["success_rate"] == 0.8
    trace = np.array(first["rrr_error_trace"])
    assert trace[-1, 0] == first["n_iter"] <= 3000
    assert trace[-1, 1] == first["rrr_error_end"]  # the replay is the run, exactly


def test_autoencoder_and_generative_runs_resume(tmp_path, monkeypatch):
    """The MNIST runners at a tiny scale (random images, a small cycle)."""
    from lossless_tutorial import datasets
    from lossless_tutorial.autoencoder import load_autoencoder

    rng = np.random.default_rng(0)
    images = {"train": rng.uniform(size=(60, 12)), "test": rng.uniform(size=(30, 12))}
    monkeypatch.setattr(datasets, "load_mnist", lambda split: (images[split], None))
    monkeypatch.setattr(
        reproduce,
        "MNIST_AUTOENCODER",
        dict(
            reproduce.MNIST_AUTOENCODER,
            encoder_sizes=(6,),
            code_size=3,
            decoder_sizes=(6,),
            batch_size=20,
            code_batch_size=2,
            max_iter=5,
        ),
    )
    monkeypatch.setattr(
        reproduce,
        "GENERATIVE",
        dict(reproduce.GENERATIVE, hidden_layer_sizes=(5,), batch_size=30),
    )
    out = tmp_path / "ae.json"
    reproduce.reproduce_autoencoder(epochs=1, output=out, progress=False)
    results = reproduce.reproduce_autoencoder(epochs=2, output=out, progress=False)
    assert results["epochs_done"] == 2 and len(results["test_data_error"]) == 2
    assert np.all(np.diff(results["gwms"]) > 0)
    model = load_autoencoder(tmp_path / "ae_params.npz")
    assert model.data_error(images["train"]) == pytest.approx(
        results["data_error"][-1], abs=1e-5
    )
    gen_out = tmp_path / "gen.json"
    kwargs = dict(
        max_iter=5,
        autoencoder=tmp_path / "ae_params.npz",
        output=gen_out,
        n_samples=4,
        progress=False,
    )
    reproduce.reproduce_generative(epochs=1, **kwargs)
    results = reproduce.reproduce_generative(epochs=2, **kwargs)
    assert results["epochs_done"] == 2 and len(results["fp_test"]) == 2
    assert np.array(results["sample_codes"]).shape == (4, 3)
