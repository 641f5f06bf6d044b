"""The generative model (paper Sec. 6.2): the false-positive allowance in the
classifier, fp and tn, sampling accepted codes, and its errors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from lossless_tutorial.autoencoder import RRRAutoencoder
from lossless_tutorial.classifier import RRRClassifier
from lossless_tutorial.generative import GenerativeModel, false_positive_allowance


@pytest.fixture(scope="module")
def autoencoder():
    """A small zigmoid autoencoder of noisy two-prototype images."""
    rng = np.random.default_rng(7)
    prototypes = rng.uniform(size=(2, 16))
    X = np.clip(
        prototypes[rng.integers(0, 2, 120)] + 0.05 * rng.normal(size=(120, 16)), 0, 1
    )
    model = RRRAutoencoder(
        (8,),
        3,
        (8,),
        gap=0.4,
        omega=4.0,
        batch_size=20,
        code_batch_size=4,
        max_iter=20,
        epochs=3,
        random_state=0,
    )
    return model.fit(X), X


def test_allowance_follows_the_papers_arithmetic():
    # 25% of a batch of 500 whose items are 2/3 fakes: 83 (paper Sec. 6.3.2)
    assert false_positive_allowance(0.25, 500, 20_000, 30_000) == 83
    assert false_positive_allowance(0.0, 500, 20_000, 30_000) == 0
    with pytest.raises(ValueError, match="fpa"):
        false_positive_allowance(1.0, 500, 2, 3)


def test_classifier_accepts_at_most_the_allowed_fakes(rng):
    """Fakes drawn from the genuine cluster cannot be separated; the allowance lets the
    classifier take up to n of them per batch as genuine, and only fakes."""
    genuine = rng.normal(size=(200, 2))
    fakes = np.vstack([rng.normal(size=(100, 2)), rng.normal(size=(300, 2)) + 6.0])
    X = np.vstack([genuine, fakes])
    y = np.r_[np.ones(200, int), np.zeros(400, int)]
    model = RRRClassifier(
        (8,),
        omega=2.0,
        delta=0.1,
        batch_size=100,
        max_iter=50,
        epochs=3,
        false_positives=15,
        random_state=0,
    ).fit(X, y)
    for accepted in model.history_.exempted:
        assert len(accepted) <= 15 * 6
        assert np.all(y[accepted] == 0)
    with pytest.raises(ValueError, match="two classes"):
        RRRClassifier(false_positives=2).fit(X, np.arange(600) % 3)
    with pytest.raises(ValueError, match="cannot be combined"):
        RRRClassifier(false_positives=2, exemptions=1).fit(X, y)


def test_rates_count_accepted_fakes_and_rejected_genuine():
    labels = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0])
    accepted = np.array([1, 1, 1, 0, 1, 1, 0, 0, 0], bool)
    fp, tn = GenerativeModel.rates(accepted, labels)
    assert fp == pytest.approx(2 / 5) and tn == pytest.approx(1 / 4)


def test_fit_records_the_rates_and_sample_keeps_accepted_codes(autoencoder):
    ae, X = autoencoder
    model = GenerativeModel(
        ae,
        hidden_layer_sizes=(6,),
        fpa=0.25,
        batch_size=60,
        max_iter=30,
        epochs=2,
        random_state=0,
    ).fit(X, X[:40])
    history = model.history_.as_arrays()
    assert all(len(v) == 2 for v in history.values())
    for name in ("fp_train", "tn_train", "fp_test", "tn_test", "fp_batch"):
        assert np.all((history[name] >= 0) & (history[name] <= 1))
    assert model.classifier_.false_positives == 10  # floor(0.25 * 60 * 240 / 360)
    items, codes, rate = model.sample(12, random_state=1)
    assert items.shape == (12, 16) and codes.shape == (12, 3) and 0 < rate <= 1
    assert np.all(model.accepts(codes))
    for i in range(3):  # every code value comes from that node's distribution
        assert np.all(np.isin(codes[:, i], ae.code_distribution_[:, i]))
    np.testing.assert_array_equal(items, ae.decode(codes))
    again = model.sample(12, random_state=1)
    np.testing.assert_array_equal(again[1], codes)
    assert model.sample(0)[0].shape == (0, 16)


def test_sampling_gives_up_with_a_clear_error(autoencoder, monkeypatch):
    ae, X = autoencoder
    model = GenerativeModel(
        ae, hidden_layer_sizes=(4,), batch_size=60, max_iter=2, epochs=1, random_state=0
    ).fit(X)
    monkeypatch.setattr(model, "accepts", lambda codes: np.zeros(len(codes), bool))
    with pytest.raises(ValueError, match="max_draws"):
        model.sample(5, max_draws=3000)


def test_bad_input(autoencoder):
    ae, X = autoencoder
    with pytest.raises(ValueError, match="fitted RRRAutoencoder"):
        GenerativeModel(RRRAutoencoder()).fit(X)
    with pytest.raises(ValueError, match="fakes_per_genuine"):
        GenerativeModel(ae, fakes_per_genuine=0).fit(X)
    with pytest.raises(ValueError, match="not fitted"):
        GenerativeModel(ae).accepts(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="16 columns"):
        GenerativeModel(ae, batch_size=60, max_iter=1, epochs=1).fit(X[:, :5])


def test_clone_shares_the_fitted_autoencoder_and_fits_the_same(autoencoder):
    ae, X = autoencoder
    model = GenerativeModel(
        ae, hidden_layer_sizes=(4,), batch_size=60, max_iter=5, epochs=1, random_state=3
    )
    copy = clone(model)
    assert (
        copy.autoencoder is ae
        and copy.get_params(deep=False).keys() == model.get_params(deep=False).keys()
    )
    assert not hasattr(copy, "classifier_")
    copy.fit(X)
    model.fit(X)
    for a, b in zip(model.classifier_.coefs_, copy.classifier_.coefs_):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(NotFittedError):
        GenerativeModel(ae).sample(1)
