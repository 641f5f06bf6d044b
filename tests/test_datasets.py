"""Data: LEDM matrices, the paper's files (from the local data folder, never the
network), and clear errors when a file is missing, damaged or asked for wrongly."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from conftest import requires_paper_data

from lossless_tutorial import datasets
from lossless_tutorial.__main__ import main


def test_ledm_definition_and_rank():
    for m in (3, 6, 12):
        y = datasets.ledm(m)
        i, k = np.meshgrid(np.arange(1, m + 1), np.arange(1, m + 1), indexing="ij")
        np.testing.assert_allclose(y, ((i - k) / (m - 1)) ** 2)
        assert np.linalg.matrix_rank(y) == 3
    assert datasets.ledm(6)[0, 5] == 1.0


@pytest.mark.parametrize("m", [1, 0, 2.5, "6"])
def test_ledm_rejects_bad_size(m):
    with pytest.raises(ValueError, match=r"\bm\b"):
        datasets.ledm(m)


@requires_paper_data
def test_mnist_subsets_match_the_paper():
    train_counts = [962, 1122, 978, 1001, 951, 964, 972, 1027, 977, 1046]
    test_counts = [996, 1141, 1040, 1013, 962, 863, 989, 1064, 963, 969]
    for split, counts in (("train", train_counts), ("test", test_counts)):
        x, y = datasets.load_mnist(split)
        assert x.shape == (10000, 784) and x.dtype == np.float64
        assert x.min() == 0.0 and x.max() == 1.0
        np.testing.assert_array_equal(np.bincount(y, minlength=10), counts)
    x32, _ = datasets.load_mnist("test", dtype=np.float32)
    assert x32.dtype == np.float32


@requires_paper_data
@pytest.mark.parametrize("depth", [2, 3, 4])
def test_majority_sets_cover_all_inputs(depth):
    x_train, y_train = datasets.load_majority(depth, "train")
    x_test, y_test = datasets.load_majority(depth, "test")
    assert x_train.shape == x_test.shape == (4096, 13)
    x = np.concatenate([x_train, x_test]).astype(int)
    assert set(np.unique(x)) == {0, 1}
    codes = x @ (1 << np.arange(13))
    assert np.unique(codes).size == 8192  # train and test are all 2^13 inputs
    for y in (y_train, y_test):
        assert set(np.unique(y)) == {0, 1} and 2030 < np.sum(y) < 2070


def test_missing_file_gives_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path / "empty"))
    monkeypatch.setenv(datasets.CACHE_ENV, str(tmp_path / "cache"))
    import pooch

    def offline(*args, **kwargs):
        raise ConnectionError("no network")

    monkeypatch.setattr(pooch, "retrieve", offline)
    with pytest.raises(datasets.DataUnavailableError) as error:
        datasets.load_majority(3)
    message = str(error.value)
    assert "maj13_3_3_train" in message and datasets.DATA_ENV in message
    assert "github.com/veitelser/LWL" in message and "no network" in message
    assert error.value.__cause__ is None and error.value.__suppress_context__


def test_no_download_when_not_allowed(tmp_path, monkeypatch):
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path))
    monkeypatch.setenv(datasets.CACHE_ENV, str(tmp_path / "cache"))
    with pytest.raises(datasets.DataUnavailableError, match="not allowed"):
        datasets.paper_file("maj13_2_3_test", download=False)


def test_damaged_local_file_is_refused(tmp_path, monkeypatch):
    (tmp_path / "maj13_2_3_train").write_text("13 2\n0 1 0 1 0 1 0 1 0 1 0 1 0 1\n")
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path))
    with pytest.raises(datasets.DataUnavailableError, match="sha256"):
        datasets.load_majority(2, "train")


@requires_paper_data
def test_cached_file_is_used_without_download(tmp_path, monkeypatch):
    """A verified file in the cache folder is read; pooch is never called (conftest)."""
    source = os.environ[datasets.DATA_ENV]
    cache = tmp_path / "cache"
    cache.mkdir()
    shutil.copy(f"{source}/maj13_2_3_test", cache / "maj13_2_3_test")
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path / "nothing-here"))
    monkeypatch.setenv(datasets.CACHE_ENV, str(cache))
    assert datasets.paper_file("maj13_2_3_test") == cache / "maj13_2_3_test"


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: datasets.load_mnist("validation"), "split"),
        (lambda: datasets.load_majority(5), "depth"),
        (lambda: datasets.load_majority(3, "all"), "split"),
        (lambda: datasets.paper_file("wxyz_2k"), "name"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=rf"\b{message}\b"):
        call()


@requires_paper_data
def test_fetch_command_prints_paths(capsys):
    assert main(["fetch", "maj13_2_3_train"]) == 0
    assert "maj13_2_3_train" in capsys.readouterr().out


def test_fetch_command_reports_unknown_name(capsys):
    assert main(["fetch", "no-such-file"]) == 1
    assert "name must be one of" in capsys.readouterr().err
