"""Data for the book: generated matrices and the paper's own data files.

Every loader returns plain numpy arrays. The paper's files (its MNIST 10k subsets and
the majority-circuit sets, from the public repository of "Learning without loss") are
found in this order:

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
from typing import NamedTuple

import numpy as np

from ._validation import check_nonnegative_int

__all__ = [
    "DataUnavailableError",
    "PAPER_FILES",
    "paper_file",
    "ledm",
    "load_mnist",
    "load_majority",
    "MONTAGE_LETTERS",
    "LetterMontages",
    "letter_montages",
    "MajorityCircuit",
    "majority_circuit",
]

DATA_ENV = "LOSSLESS_TUTORIAL_DATA"
CACHE_ENV = "LOSSLESS_TUTORIAL_CACHE"
PAPER_COMMIT = "798bfae7dd8549dd9adfbe8b8edb4e5382adb3e2"
PAPER_URL = f"https://github.com/veitelser/LWL/raw/{PAPER_COMMIT}/{{name}}"

#: The paper's data files and their sha256 checksums.
PAPER_FILES = {
    "mnist_train_10k.zip": (
        "d1160f392680e2116b0bc7aeec85f7712baf943d65a3de9856c5c52b2e8488c2"
    ),
    "mnist_test_10k.zip": (
        "b60d583c531e0debccbc01e5fc31bbd2ebcffd8d19bb780c7364f8e492d8aed0"
    ),
    "maj13_2_3_train": (
        "f7921c9ad72f7dfba4550b34137e8f99c022f8ed063243f5a08a9603966b0e79"
    ),
    "maj13_2_3_test": (
        "a35e59ae4c22689d24d4b13190b32d33a3a01b70090cefd7461bd1d1f5ce9f53"
    ),
    "maj13_3_3_train": (
        "0b77634becbb9f3ace5072790bcd828ebd9138b4ade297b964adf0aceab6d79f"
    ),
    "maj13_3_3_test": (
        "f890539e2ce4c504fbbe410d05c3980120452775278d27c627c93d84d24d1ea4"
    ),
    "maj13_4_3_train": (
        "e8abf8e16ce245873bf5c78860d06a30c6cecf60044f12cd8c7c0649c0f8dd43"
    ),
    "maj13_4_3_test": (
        "2b21a491ae9d9cadb2e74b89332db5db2d0c7abc45ffd7663fc416b6b4db03ef"
    ),
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
                    f"{local} does not have the expected sha256 {expected}; "
                    "the file is damaged or not the paper's. "
                    f"Replace it or unset {DATA_ENV}."
                )
            return local
    cached = cache_dir() / name
    looked.append(str(cached))
    if cached.is_file() and _sha256(cached) == expected:
        return cached
    url = PAPER_URL.format(name=name)
    if download:
        import pooch

        try:
            path = pooch.retrieve(
                url,
                known_hash=f"sha256:{expected}",
                fname=name,
                path=cached.parent,
                progressbar=False,
            )
            return Path(path)
        except (
            Exception
        ) as error:  # network, HTTP or checksum: one clear message instead
            reason = f"downloading {url} failed ({type(error).__name__}: {error})"
    else:
        reason = "downloading was not allowed"
    raise DataUnavailableError(
        f"The data file {name!r} is not available: looked in {', '.join(looked)}, and "
        f"{reason}. Either connect to the internet once (the file is cached), or "
        f"download {url} yourself into a folder and set the environment variable "
        f"{DATA_ENV} to that folder."
    ) from None


def _read_items(text: bytes, dtype) -> tuple[np.ndarray, np.ndarray]:
    """Parse the paper's item format: header "n_inputs n_classes", rows "inputs
    label"."""
    header, body = text.split(b"\n", 1)
    n_inputs, _ = (int(v) for v in header.split())
    table = np.loadtxt(io.BytesIO(body), dtype=np.float64, ndmin=2)
    if table.shape[1] != n_inputs + 1:
        raise DataUnavailableError(
            f"expected {n_inputs + 1} columns, found {table.shape[1]}"
        )
    return table[:, :n_inputs].astype(dtype), table[:, n_inputs].astype(np.intp)


def _check_split(split: str) -> str:
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return split


def load_mnist(
    split: str = "train", *, dtype=np.float64
) -> tuple[np.ndarray, np.ndarray]:
    """The paper's 10,000-item MNIST subsets (Y. LeCun, C. Cortes, C. Burges; CC BY-SA
    3.0).

    Returns ``(X, y)``: ``X`` of shape (10000, 784) with pixels in [0, 1] (divided by
    255 as in the paper's files), ``y`` the digit labels 0-9.
    """
    name = f"mnist_{_check_split(split)}_10k"
    with zipfile.ZipFile(paper_file(name + ".zip")) as archive:
        return _read_items(archive.read(name), dtype)


def load_majority(depth: int, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """The paper's majority-circuit data: 13 Boolean inputs, depth 2, 3 or 4 (paper Sec.
    5.5.1).

    Returns ``(X, y)``: ``X`` of shape (4096, 13) with values 0.0 or 1.0 and labels
    ``y`` in {0, 1}. Train and test together are all 2^13 inputs.
    """
    depth = check_nonnegative_int("depth", depth)
    if depth not in (2, 3, 4):
        raise ValueError(f"depth must be 2, 3 or 4 (the paper's files), got {depth}")
    path = paper_file(f"maj13_{depth}_3_{_check_split(split)}")
    return _read_items(path.read_bytes(), np.float64)


def ledm(m: int) -> np.ndarray:
    """The linear Euclidean distance matrix ``Y[i, k] = ((i - k) / (m - 1))^2`` (paper
    Sec. 4.4.1).

    An m x m nonnegative matrix of ordinary rank 3 (m >= 3) whose nonnegative rank grows
    like log m (5 for m = 6); the paper's hard exact-NMF instances. Its columns are the
    data items.
    """
    m = check_nonnegative_int("m", m, minimum=2)
    index = np.arange(m)
    return ((index[:, None] - index[None, :]) / (m - 1)) ** 2


# --------------------------------------------------------------------------------------
# Letter montages (paper Sec. 4.4.2): a generator of our own, since the paper's file
# ``wxyz_2k`` is not available
# --------------------------------------------------------------------------------------


#: The letters of :func:`letter_montages`, in the order of its letter labels.
MONTAGE_LETTERS = "wxyz"

# Strokes of the plain glyphs: polylines in a unit box, x to the right, y downwards.
_STROKES = {
    "w": [[(0.0, 0.0), (0.25, 1.0), (0.5, 0.35), (0.75, 1.0), (1.0, 0.0)]],
    "x": [[(0.0, 0.0), (1.0, 1.0)], [(1.0, 0.0), (0.0, 1.0)]],
    "y": [[(0.0, 0.0), (0.5, 0.6)], [(1.0, 0.0), (0.2, 1.0)]],
    "z": [[(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)]],
}
_CELL = 20  # side of one of the four cells of a 40 x 40 montage
_BOX = (5.0, 4.0, 10.0, 12.0)  # letter box in a cell: left, top, width, height (pixels)
_SHEAR = (
    0.2  # slanted font: x shifts by _SHEAR * (height above the box centre), ~11 deg
)
_HALF_WIDTH = 0.9  # half the stroke width, pixels


def _glyph(polylines, slant):
    """A 20 x 20 bitmap of the polylines (unit-box coordinates), sheared if ``slant`` is
    1: a pixel's value is ``clip(_HALF_WIDTH + 0.5 - d, 0, 1)``, with ``d`` its centre's
    distance to the nearest stroke (anti-aliased strokes of width 2 * _HALF_WIDTH)."""
    left, top, width, height = _BOX
    centres = np.stack(
        np.meshgrid(np.arange(_CELL) + 0.5, np.arange(_CELL) + 0.5, indexing="xy"),
        axis=-1,
    )  # (row, col, [x, y])
    distance = np.full((_CELL, _CELL), np.inf)
    for line in polylines:
        points = np.array(line, dtype=float)
        xs = (
            left + width * points[:, 0] + slant * _SHEAR * height * (0.5 - points[:, 1])
        )
        ys = top + height * points[:, 1]
        ends = np.column_stack([xs, ys])
        for a, b in zip(ends[:-1], ends[1:]):
            t = np.clip(((centres - a) @ (b - a)) / ((b - a) @ (b - a)), 0.0, 1.0)
            gap = centres - (a + t[..., None] * (b - a))
            distance = np.minimum(distance, np.hypot(gap[..., 0], gap[..., 1]))
    return np.clip(_HALF_WIDTH + 0.5 - distance, 0.0, 1.0)


class LetterMontages(NamedTuple):
    """Return value of :func:`letter_montages`."""

    images: np.ndarray
    """(n_images, 1600) pixel values in [0, 1]; reshape to (n_images, 40, 40)."""
    letters: np.ndarray
    """(n_images, 4) letter at each position: 0..3 for "w" to "z", -1 if empty."""
    fonts: np.ndarray
    """(n_images, 4) font at each position, 0 plain, 1 slanted, -1 if empty."""
    glyphs: np.ndarray
    """(4, 2, 20, 20) each letter's bitmap in each font: ``glyphs[letter, font]``."""


def letter_montages(
    n_images: int = 2000, random_state=None, *, empty_probability: float = 0.2
) -> LetterMontages:
    """Synthetic 40 x 40 letter montages, the data of the paper's online NMF (Sec.
    4.4.2).

    The paper's images (file ``wxyz_2k``) are not available and its text does not say
    how many letters an image holds, how large they are or how the fonts differ, so this
    is our reconstruction of its description. Every image is divided into four 20 x 20
    cells (positions 0 top left, 1 top right, 2 bottom left, 3 bottom right). Each cell,
    independently, is empty with probability ``empty_probability`` and otherwise holds
    one letter chosen uniformly from w, x, y, z, in one of two fonts chosen uniformly:
    plain, or slanted (the same strokes sheared to lean right: a point at height h above
    the letter's centre line moves 0.2 h to the right, about 11 degrees). With the
    default 0.2 the five contents of a cell (empty, w, x, y, z) are equally likely.
    Glyphs are lowercase-sized strokes (10 x 12 pixel box): a pixel is 1 within 0.4
    pixels of a stroke's centre line and fades linearly to 0 at 1.4 pixels. They stay
    inside their cell, so letters never overlap and an image is the sum (equally the
    maximum) of its placed glyphs. Pixel values lie in [0, 1].

    Why NMF should find 16 features: an image is ``sum_p glyph[letter_p, font_p]``
    placed at ``p`` (over its non-empty cells), so the 16 nonnegative images "letter l
    at position p, averaged over the two fonts" reconstruct every image up to half the
    difference of the two fonts at each letter. Empty cells matter: if every cell is
    filled (``empty_probability=0``) the codes of each position sum to 1, the
    font-averaged images have ordinary rank 13 only, and many other nonnegative
    factorizations (features mixing several positions) fit as well as the letters do.

    Parameters
    ----------
    n_images : int, >= 1
        Number of images (the paper used 2000).
    random_state : None, int or numpy Generator
        Seed of the letter, font and empty-cell choices.
    empty_probability : float in [0, 1]
        Probability that a cell is left empty.

    Returns
    -------
    LetterMontages
        Named tuple ``(images, letters, fonts, glyphs)``: ``images`` (n_images, 1600)
        float64, rows are 40 x 40 images in row-major order; ``letters`` (n_images, 4)
        in 0..3 (index into :data:`MONTAGE_LETTERS`), -1 for an empty cell; ``fonts``
        (n_images, 4) 0 plain, 1 slanted, -1 for an empty cell; ``glyphs`` (4, 2, 20,
        20), ``glyphs[letter, font]``.
    """
    n_images = check_nonnegative_int("n_images", n_images, minimum=1)
    if isinstance(random_state, bool) or not (
        random_state is None
        or isinstance(random_state, (int, np.integer, np.random.Generator))
    ):
        raise ValueError(
            f"random_state must be None, an int or a numpy Generator, "
            f"got {random_state!r}"
        )
    if (
        isinstance(empty_probability, bool)
        or not isinstance(empty_probability, (int, float))
        or not 0.0 <= empty_probability <= 1.0
    ):
        raise ValueError(
            f"empty_probability must be a number in [0, 1], got {empty_probability!r}"
        )
    rng = np.random.default_rng(random_state)
    glyphs = np.stack(
        [
            np.stack([_glyph(_STROKES[letter], slant) for slant in (0.0, 1.0)])
            for letter in MONTAGE_LETTERS
        ]
    )
    letters = rng.integers(0, len(MONTAGE_LETTERS), size=(n_images, 4))
    fonts = rng.integers(0, 2, size=(n_images, 4))
    empty = rng.uniform(size=(n_images, 4)) < empty_probability
    letters[empty] = -1
    fonts[empty] = -1
    cells = glyphs[letters, fonts] * ~empty[:, :, None, None]  # (n, 4, 20, 20)
    images = cells.reshape(n_images, 2, 2, _CELL, _CELL).transpose(0, 1, 3, 2, 4)
    return LetterMontages(
        images.reshape(n_images, 4 * _CELL * _CELL), letters, fonts, glyphs
    )


class MajorityCircuit(NamedTuple):
    """A random circuit of Not and majority gates and its truth table.

    ``X`` (2^n_inputs, n_inputs) holds every Boolean input as 0.0/1.0 and ``y`` the
    circuit's output (0 or 1). ``sources[l]`` (n_gates_l, fan_in) lists the nodes of the
    layer below that each gate of gate layer ``l`` reads, ``negated[l]`` which of those
    edges carry a Not; the last layer is the single top gate.
    """

    X: np.ndarray
    y: np.ndarray
    sources: list
    negated: list


def majority_circuit(
    n_inputs: int = 13, depth: int = 3, fan_in: int = 3, random_state=None
) -> MajorityCircuit:
    """A random Boolean circuit like the paper's majority data (paper Sec. 5.5.1).

    ``depth`` gate layers: ``depth - 1`` hidden layers of ``n_inputs`` majority gates,
    each reading ``fan_in`` distinct random nodes of the layer below, then one top gate:
    the majority of the whole last hidden layer (of the inputs when ``depth == 1``).
    Every edge carries a Not with probability 1/2. Majority gates of odd fan-in with
    Nots are self-dual (negating all inputs negates the output), so the two classes
    have exactly 2^(n_inputs - 1) inputs each. Returns all 2^n_inputs inputs with their
    labels; split them at random for training and testing as the paper does.
    """
    n_inputs = check_nonnegative_int("n_inputs", n_inputs, minimum=1)
    depth = check_nonnegative_int("depth", depth, minimum=1)
    fan_in = check_nonnegative_int("fan_in", fan_in, minimum=1)
    if n_inputs > 20:
        raise ValueError(
            f"n_inputs must be <= 20 (the truth table has 2^n_inputs rows), "
            f"got {n_inputs}"
        )
    if fan_in % 2 == 0 or fan_in > n_inputs:
        raise ValueError(f"fan_in must be odd and at most n_inputs, got {fan_in}")
    if n_inputs % 2 == 0:
        raise ValueError(
            f"n_inputs must be odd (the top gate is a majority of a whole "
            f"layer), got {n_inputs}"
        )
    rng = np.random.default_rng(random_state)
    X = ((np.arange(2**n_inputs)[:, None] >> np.arange(n_inputs)[::-1]) & 1).astype(
        float
    )
    sources, negated = [], []
    values = X.astype(bool)
    for layer in range(depth):
        top = layer == depth - 1
        n_gates, width = (1, n_inputs) if top else (n_inputs, fan_in)
        reads = np.stack(
            [rng.choice(n_inputs, width, replace=False) for _ in range(n_gates)]
        )
        nots = rng.random(reads.shape) < 0.5
        inputs = values[:, reads] ^ nots  # (items, gates, width)
        values = 2 * inputs.sum(axis=2) > width
        sources.append(reads)
        negated.append(nots)
    return MajorityCircuit(X, values[:, 0].astype(np.intp), sources, negated)
