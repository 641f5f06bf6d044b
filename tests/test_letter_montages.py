"""Letter montages (our reconstruction of the paper's data of Sec. 4.4.2): shapes,
range, seeding, that each image is exactly its labelled glyphs, the glyphs' designed
symmetries and slant, and that 16 "letter at a position" features nearly explain the
data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import shift as nd_shift
from scipy.optimize import nnls

from lossless_tutorial import datasets
from lossless_tutorial.datasets import MONTAGE_LETTERS, letter_montages

CELL = 20


def place(bitmap, position):
    """A 40 x 40 image holding ``bitmap`` in cell ``position`` (0 TL, 1 TR, 2 BL, 3
    BR)."""
    image = np.zeros((2 * CELL, 2 * CELL))
    row, col = divmod(position, 2)
    image[row * CELL : (row + 1) * CELL, col * CELL : (col + 1) * CELL] = bitmap
    return image.ravel()


def test_shapes_types_and_range():
    data = letter_montages(300, random_state=1)
    assert data.images.shape == (300, 1600) and data.images.dtype == np.float64
    assert data.letters.shape == data.fonts.shape == (300, 4)
    assert data.glyphs.shape == (4, 2, CELL, CELL)
    assert data.images.min() == 0.0 and data.images.max() == 1.0
    assert MONTAGE_LETTERS == "wxyz"
    np.testing.assert_array_equal(data.letters == -1, data.fonts == -1)  # empty cells
    # the five contents of a cell (empty, w, x, y, z) are equally likely, and so are the
    # two fonts of a letter: each of the 9 outcomes within 5 sigma of its expected count
    counts = np.bincount(
        np.where(data.letters < 0, 0, 1 + 2 * data.letters + data.fonts).ravel(),
        minlength=9,
    )
    expected = 1200 * np.array([0.2] + [0.1] * 8)
    assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected))
    images, letters, fonts, glyphs = data  # a plain tuple as well
    assert images is data.images


def test_empty_probability():
    full = letter_montages(200, random_state=2, empty_probability=0.0)
    assert np.all(full.letters >= 0) and np.all(full.fonts >= 0)
    blank = letter_montages(20, random_state=2, empty_probability=1.0)
    assert np.all(blank.letters == -1) and np.all(blank.images == 0.0)
    half = letter_montages(500, random_state=2, empty_probability=0.5)
    assert abs(np.mean(half.letters == -1) - 0.5) < 5 * np.sqrt(0.25 / 2000)


def test_seeding():
    a = letter_montages(50, random_state=7)
    b = letter_montages(50, random_state=7)
    c = letter_montages(50, random_state=8)
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.letters, b.letters)
    assert not np.array_equal(a.letters, c.letters)
    g1 = letter_montages(50, random_state=np.random.default_rng(7))
    np.testing.assert_array_equal(g1.images, a.images)  # same stream as the int seed
    # the glyphs never depend on the seed
    np.testing.assert_array_equal(a.glyphs, c.glyphs)


def test_each_image_is_its_labelled_glyphs():
    data = letter_montages(40, random_state=3)
    assert np.any(data.letters == -1)
    for image, letters, fonts in zip(data.images, data.letters, data.fonts):
        expected = sum(
            place(data.glyphs[letters[p], fonts[p]], p)
            for p in range(4)
            if letters[p] >= 0
        )
        np.testing.assert_array_equal(image, expected + np.zeros(1600))
    # glyphs keep a blank border, so letters never touch across cells (sum == max)
    border = np.ones((CELL, CELL), bool)
    border[1:-1, 1:-1] = False
    assert np.all(data.glyphs[:, :, border] == 0.0)


def test_32_placed_glyphs_span_the_data_exactly():
    """Nonnegative least squares on all 32 (letter, font) glyphs at the 4 positions
    reconstructs every image with zero error, with codes that are the labels."""
    data = letter_montages(12, random_state=4)
    basis = np.array(
        [
            place(data.glyphs[letter, font], p)
            for p in range(4)
            for letter in range(4)
            for font in range(2)
        ]
    )
    for image, letters, fonts in zip(data.images, data.letters, data.fonts):
        codes, residual = nnls(basis.T, image)
        assert residual < 1e-10
        expected = np.zeros((4, 4, 2))
        filled = letters >= 0
        expected[np.arange(4)[filled], letters[filled], fonts[filled]] = 1.0
        np.testing.assert_allclose(codes, expected.ravel(), atol=1e-9)


def test_glyph_design_symmetries():
    glyphs = letter_montages(1, random_state=0).glyphs
    plain = {letter: glyphs[i, 0] for i, letter in enumerate(MONTAGE_LETTERS)}
    np.testing.assert_allclose(plain["w"], plain["w"][:, ::-1], atol=1e-12)  # mirror
    np.testing.assert_allclose(plain["x"], plain["x"][:, ::-1], atol=1e-12)
    np.testing.assert_allclose(plain["x"], plain["x"][::-1], atol=1e-12)
    np.testing.assert_allclose(
        plain["z"], plain["z"][::-1, ::-1], atol=1e-12
    )  # 180 deg
    assert not np.allclose(plain["y"], plain["y"][:, ::-1], atol=0.5)
    # all 8 glyphs are clearly different images
    flat = glyphs.reshape(8, -1)
    distances = np.linalg.norm(flat[:, None] - flat[None], axis=-1)
    assert np.all(distances[~np.eye(8, dtype=bool)] > 2.0)


def test_slanted_font_is_the_plain_one_leaning_right():
    """Shearing the plain glyph row by row as documented (a pixel h rows above the
    centre moves 0.2 h to the right) makes it much closer to the slanted glyph than the
    plain glyph is, or than the same shear the other way."""
    glyphs = letter_montages(1, random_state=0).glyphs
    rows = np.arange(CELL) + 0.5

    def shear(bitmap, amount):
        return np.array(
            [
                nd_shift(row, amount * (CELL / 2 - r), order=1)
                for row, r in zip(bitmap, rows)
            ]
        )

    for plain, slanted in glyphs:
        right = np.linalg.norm(shear(plain, 0.2) - slanted)
        assert right < 0.5 * np.linalg.norm(plain - slanted)
        assert right < 0.5 * np.linalg.norm(shear(plain, -0.2) - slanted)


def test_sixteen_font_averaged_features_nearly_explain_the_data():
    """The rank-16 features "letter l at position p, mean of the two fonts" reconstruct
    an image with nonnegative codes up to half the font difference at each letter: the
    best (NNLS) codes do at least as well as the label codes, whose error is known in
    closed form; and all 16 are needed: without the features of one letter, images that
    contain it are explained far worse."""
    data = letter_montages(30, random_state=5)
    mean_glyphs = data.glyphs.mean(axis=1)
    features = np.array(
        [place(mean_glyphs[letter], p) for p in range(4) for letter in range(4)]
    )
    half_difference = 0.5 * (data.glyphs[:, 0] - data.glyphs[:, 1])
    label_error2 = np.sum(half_difference.reshape(4, -1) ** 2, axis=1)  # per letter
    without_w = features.reshape(4, 4, -1)[:, 1:].reshape(12, -1)
    for image, letters in zip(data.images, data.letters):
        _, residual = nnls(features.T, image)
        filled = letters >= 0
        closed_form = np.sqrt(label_error2[letters[filled]].sum())
        codes = np.zeros((4, 4))
        codes[np.arange(4)[filled], letters[filled]] = 1.0
        np.testing.assert_allclose(
            np.linalg.norm(image - codes.ravel() @ features),
            closed_form,
            rtol=1e-12,
            atol=1e-12,
        )
        assert residual <= closed_form + 1e-12
        if np.any(letters == 0):
            assert nnls(without_w.T, image)[1] > 1.5 * residual
    # the font difference is a modest part of each glyph: a fit error of at most about
    # a third of the image norm (relative Frobenius error)
    relative = np.sqrt(label_error2) / np.linalg.norm(
        mean_glyphs.reshape(4, -1), axis=1
    )
    assert np.all(relative < 0.35)


@pytest.mark.parametrize("n_images", [0, -3, 2.5, "10", True, None])
def test_rejects_bad_n_images(n_images):
    with pytest.raises(ValueError, match="n_images"):
        letter_montages(n_images)


@pytest.mark.parametrize("seed", ["1", 1.5, [1, 2], True])
def test_rejects_bad_random_state(seed):
    with pytest.raises(ValueError, match="random_state"):
        letter_montages(5, random_state=seed)


@pytest.mark.parametrize("p", [-0.1, 1.5, "0.2", None, True])
def test_rejects_bad_empty_probability(p):
    with pytest.raises(ValueError, match="empty_probability"):
        letter_montages(5, empty_probability=p)


def test_exported():
    assert "letter_montages" in datasets.__all__
