"""Data for the book: generated matrices and the paper's own data files.

Every loader returns plain numpy arrays. The paper's files (its MNIST 10k subsets and the
majority-circuit sets, from the public repository of "Learning without loss") are found
in this order:

1. the folder named by the environment variable ``LOSSLESS_TUTORIAL_DATA``, if it holds
   the file (used offline and in CI; the checksum is verified);
2. the download cache (``LOSSLESS_TUTORIAL_CACHE``, else the user cache folder that
   :func:`pooch.os_cache` chooses), filled on first use from the file's public URL and
   checked against its sha256.

If neither works a :class:`DataUnavailableError` says where it looked and what to do.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import numpy as np

from ._validation import check_nonnegative_int

__all__ = [
    "DataUnavailableError",
    "PAPER_FILES",
    "paper_file",
    "ledm",
    "load_mnist",
    "load_majority",
]

DATA_ENV = "LOSSLESS_TUTORIAL_DATA"
CACHE_ENV = "LOSSLESS_TUTORIAL_CACHE"
PAPER_COMMIT = "798bfae7dd8549dd9adfbe8b8edb4e5382adb3e2"
PAPER_URL = f"https://github.com/veitelser/LWL/raw/{PAPER_COMMIT}/{{name}}"

#: The paper's data files and their sha256 checksums.
PAPER_FILES = {
    "mnist_train_10k.zip": "d1160f392680e2116b0bc7aeec85f7712baf943d65a3de9856c5c52b2e8488c2",
    "mnist_test_10k.zip": "b60d583c531e0debccbc01e5fc31bbd2ebcffd8d19bb780c7364f8e492d8aed0",
    "maj13_2_3_train": "f7921c9ad72f7dfba4550b34137e8f99c022f8ed063243f5a08a9603966b0e79",
    "maj13_2_3_test": "a35e59ae4c22689d24d4b13190b32d33a3a01b70090cefd7461bd1d1f5ce9f53",
    "maj13_3_3_train": "0b77634becbb9f3ace5072790bcd828ebd9138b4ade297b964adf0aceab6d79f",
    "maj13_3_3_test": "f890539e2ce4c504fbbe410d05c3980120452775278d27c627c93d84d24d1ea4",
    "maj13_4_3_train": "e8abf8e16ce245873bf5c78860d06a30c6cecf60044f12cd8c7c0649c0f8dd43",
    "maj13_4_3_test": "2b21a491ae9d9cadb2e74b89332db5db2d0c7abc45ffd7663fc416b6b4db03ef",
}


class DataUnavailableError(OSError):
    """A data file is neither in the local data folder nor downloadable."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_dir() -> Path:
    """The folder that downloaded data files are kept in."""
    folder = os.environ.get(CACHE_ENV)
    if folder:
        return Path(folder).expanduser()
    import pooch

    return Path(pooch.os_cache("lossless-tutorial"))


def paper_file(name: str, *, download: bool = True) -> Path:
    """Path of one of the paper's data files, fetching it once if needed.

    Parameters
    ----------
    name : str
        A key of :data:`PAPER_FILES`, e.g. ``"maj13_3_3_train"``.
    download : bool
        Whether to try the public URL when no local copy exists.
    """
    if name not in PAPER_FILES:
        raise ValueError(f"name must be one of {sorted(PAPER_FILES)}, got {name!r}")
    expected = PAPER_FILES[name]
    folder = os.environ.get(DATA_ENV)
    looked = []
    if folder:
        local = Path(folder).expanduser() / name
        looked.append(str(local))
        if local.is_file():
            if _sha256(local) != expected:
                raise DataUnavailableError(
                    f"{local} does not have the expected sha256 {expected}; the file is "
                    "damaged or not the paper's. Replace it or unset " + DATA_ENV + ".")
            return local
    cached = cache_dir() / name
    looked.append(str(cached))
    if cached.is_file() and _sha256(cached) == expected:
        return cached
    url = PAPER_URL.format(name=name)
    if download:
        import pooch

        try:
            path = pooch.retrieve(url, known_hash=f"sha256:{expected}", fname=name,
                                  path=cached.parent, progressbar=False)
            return Path(path)
        except Exception as error:  # network, HTTP or checksum: one clear message instead
            reason = f"downloading {url} failed ({type(error).__name__}: {error})"
    else:
        reason = "downloading was not allowed"
    raise DataUnavailableError(
        f"The data file {name!r} is not available: looked in {', '.join(looked)}, and "
        f"{reason}. Either connect to the internet once (the file is cached), or download "
        f"{url} yourself into a folder and set the environment variable {DATA_ENV} to "
        "that folder.") from None


def _read_items(text: bytes, dtype) -> tuple[np.ndarray, np.ndarray]:
    """Parse the paper's item format: header "n_inputs n_classes", rows "inputs label"."""
    header, body = text.split(b"\n", 1)
    n_inputs, _ = (int(v) for v in header.split())
    table = np.loadtxt(io.BytesIO(body), dtype=np.float64, ndmin=2)
    if table.shape[1] != n_inputs + 1:
        raise DataUnavailableError(f"expected {n_inputs + 1} columns, found {table.shape[1]}")
    return table[:, :n_inputs].astype(dtype), table[:, n_inputs].astype(np.intp)


def _check_split(split: str) -> str:
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return split


def load_mnist(split: str = "train", *, dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    """The paper's 10,000-item MNIST subsets (Y. LeCun, C. Cortes, C. Burges; CC BY-SA 3.0).

    Returns ``(X, y)``: ``X`` of shape (10000, 784) with pixels in [0, 1] (divided by 255
    as in the paper's files), ``y`` the digit labels 0-9.
    """
    name = f"mnist_{_check_split(split)}_10k"
    with zipfile.ZipFile(paper_file(name + ".zip")) as archive:
        return _read_items(archive.read(name), dtype)


def load_majority(depth: int, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """The paper's majority-circuit data: 13 Boolean inputs, depth 2, 3 or 4 (paper Sec. 5.5.1).

    Returns ``(X, y)``: ``X`` of shape (4096, 13) with values 0.0 or 1.0 and labels
    ``y`` in {0, 1}. Train and test together are all 2^13 inputs.
    """
    depth = check_nonnegative_int("depth", depth)
    if depth not in (2, 3, 4):
        raise ValueError(f"depth must be 2, 3 or 4 (the paper's files), got {depth}")
    path = paper_file(f"maj13_{depth}_3_{_check_split(split)}")
    return _read_items(path.read_bytes(), np.float64)


def ledm(m: int) -> np.ndarray:
    """The linear Euclidean distance matrix ``Y[i, k] = ((i - k) / (m - 1))^2`` (paper Sec. 4.4.1).

    An m x m nonnegative matrix of ordinary rank 3 (m >= 3) whose nonnegative rank grows
    like log m (5 for m = 6); the paper's hard exact-NMF instances. Its columns are the
    data items.
    """
    m = check_nonnegative_int("m", m, minimum=2)
    index = np.arange(m)
    return ((index[:, None] - index[None, :]) / (m - 1)) ** 2
