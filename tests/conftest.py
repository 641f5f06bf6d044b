"""Shared test settings: tests never download, and they find the paper's data in the
folder named by LOSSLESS_TUTORIAL_DATA (CI sets it); without it, data tests are
skipped."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from hypothesis import settings

matplotlib.use("Agg")
settings.register_profile("lossless", max_examples=60, deadline=None)
settings.load_profile("lossless")

from lossless_tutorial import datasets  # noqa: E402


@pytest.fixture(autouse=True)
def _no_downloads(monkeypatch):
    """Any attempt to reach the network from a test fails loudly."""
    import pooch

    def refuse(*args, **kwargs):
        raise AssertionError("tests must not download data")

    monkeypatch.setattr(pooch, "retrieve", refuse)


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)


def _local_data_folder():
    folder = os.environ.get(datasets.DATA_ENV)
    if folder and all((Path(folder) / name).is_file() for name in datasets.PAPER_FILES):
        return Path(folder)
    return None


requires_paper_data = pytest.mark.skipif(
    _local_data_folder() is None,
    reason=f"the paper's data files are not in ${datasets.DATA_ENV}",
)


# what differs between two runs of the same computation: timings, machine, date
TIMING = {
    "seconds",
    "wall_time",
    "wall_seconds",
    "seconds_per_iteration",
    "rrr_seconds",
    "cd_seconds",
    "mean_seconds",
    "median_seconds",
    "machine",
    "date",
}


def without_timing(value):
    """``value`` (a results file's contents) without its timing, date and machine
    fields."""
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value
