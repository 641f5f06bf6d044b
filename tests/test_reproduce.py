"""The full-scale experiment runners write complete results files and resume."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import requires_paper_data
from lossless_tutorial import reproduce


def test_ledm_results_file(tmp_path):
    out = tmp_path / "ledm.json"
    results = reproduce.reproduce_ledm(6, runs=2, max_iter=3000, cd_starts=2, output=out,
                                       progress=False, chunk=1000)
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
