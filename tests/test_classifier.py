"""RRRClassifier fits separable problems exactly, keeps its weights on the constraint
set, resumes, and checks its input; majority circuits are balanced and evaluate as
their gates say."""

from __future__ import annotations

import numpy as np
import pytest

from lossless_tutorial.classifier import RRRClassifier
from lossless_tutorial.datasets import majority_circuit


def blobs(rng, n_per_class=64, n_classes=3, n_features=4):
    centers = rng.normal(scale=3.0, size=(n_classes, n_features))
    X = np.concatenate([c + rng.normal(scale=0.3, size=(n_per_class, n_features))
                        for c in centers])
    y = np.repeat(np.arange(n_classes), n_per_class)
    return X, y


def test_fits_a_separable_problem_to_zero_training_error(rng):
    X, y = blobs(rng)
    model = RRRClassifier((8,), batch_size=32, epochs=20, delta=0.1, random_state=0)
    model.fit(X, y)
    assert model.score(X, y) == 1.0
    history = model.history_.as_arrays()
    assert history["train_error"][-1] == 0.0
    assert np.all(np.diff(history["gwms"]) > 0)
    # every node's incoming weights keep norm omega; margins hold with the trained net
    for coef in model.coefs_:
        np.testing.assert_allclose(np.linalg.norm(coef, axis=0), 2.0, rtol=1e-10)
    scores = model.decision_function(X)
    assert np.all(scores[np.arange(len(y)), y] > 0)


def test_learns_a_small_majority_circuit(rng):
    circuit = majority_circuit(n_inputs=7, depth=2, random_state=1)
    model = RRRClassifier((14,), batch_size=32, epochs=40, delta=0.1, random_state=0)
    model.fit(circuit.X, circuit.y)
    assert model.score(circuit.X, circuit.y) >= 0.97


def test_warm_start_appends_epochs(rng):
    X, y = blobs(rng)
    kwargs = dict(batch_size=32, max_iter=20, tol=0.0, random_state=3)
    straight = RRRClassifier((6,), epochs=4, **kwargs).fit(X, y)
    resumed = RRRClassifier((6,), epochs=2, warm_start=True, **kwargs).fit(X, y).fit(X, y)
    for a, b in zip(straight.coefs_ + straight.intercepts_,
                    resumed.coefs_ + resumed.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert len(resumed.history_.train_error) == 4


def test_exemptions_are_recorded(rng):
    X, y = blobs(rng)
    y[:5] = (y[:5] + 1) % 3  # five mislabeled items
    model = RRRClassifier((8,), batch_size=64, epochs=3, exemptions=2, random_state=0)
    model.fit(X, y)
    exempted = model.history_.exempted
    assert len(exempted) == 3
    assert all(len(items) <= 2 * 3 for items in exempted)  # 2 per batch, 3 batches


def test_batch_error_leaves_out_the_exempted_items(rng):
    # five mislabeled items that a good fit gets "wrong": exempted, they do not count in
    # the batch error (spec 4.10), while the training error on all items sees them
    X, y = blobs(rng)
    y[[0, 64, 128, 1, 65]] = (y[[0, 64, 128, 1, 65]] + 1) % 3
    model = RRRClassifier((8,), batch_size=64, epochs=20, exemptions=5, delta=0.1,
                          random_state=0).fit(X, y)
    history = model.history_.as_arrays()
    assert history["batch_error"][-1] == 0.0
    assert history["train_error"][-1] == pytest.approx(5 / len(y))


@pytest.mark.parametrize("bad, message", [
    (dict(hidden_layer_sizes=(0,)), "hidden_layer_sizes"),
    (dict(beta=0), "beta"),
    (dict(omega=-1), "omega"),
    (dict(upsilon=0), "upsilon"),
    (dict(delta=-0.1), "delta"),
    (dict(batch_size=1000), "batch_size"),
    (dict(max_iter=0), "max_iter"),
    (dict(exemptions=2, relabel=1), "combined"),
])
def test_bad_parameters(rng, bad, message):
    X, y = blobs(rng, n_per_class=10)
    with pytest.raises(ValueError, match=message):
        RRRClassifier(**(dict(batch_size=10) | bad)).fit(X, y)


@pytest.mark.parametrize("labels, message", [
    (np.full(30, -1), "0.."),
    (np.linspace(0, 1, 30), "integer"),
    (np.zeros(30, int), "two classes"),
    (np.array(["a"] * 30), "integer"),
    (np.zeros(29, int), "shape"),
])
def test_bad_labels(rng, labels, message):
    X = rng.normal(size=(30, 3))
    with pytest.raises(ValueError, match=message):
        RRRClassifier(batch_size=10).fit(X, labels)


def test_bad_data(rng):
    X, y = blobs(rng, n_per_class=10)
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        RRRClassifier(batch_size=10).fit(X, y)
    with pytest.raises(ValueError, match="not fitted"):
        RRRClassifier().predict(X)
    model = RRRClassifier(batch_size=10, epochs=1).fit(np.nan_to_num(X), y)
    with pytest.raises(ValueError, match="features"):
        model.predict(np.ones((2, 5)))


def evaluate_gate_by_gate(circuit, bits):
    values = list(bits)
    for reads, nots in zip(circuit.sources, circuit.negated):
        values = [int(sum(values[i] ^ int(n) for i, n in zip(r, m)) > len(r) // 2)
                  for r, m in zip(reads, nots)]
    return values[0]


def test_majority_circuit_truth_table():
    circuit = majority_circuit(n_inputs=9, depth=3, random_state=5)
    assert circuit.X.shape == (512, 9) and set(np.unique(circuit.X)) == {0.0, 1.0}
    assert circuit.y.sum() == 256  # self-dual gates: exactly balanced
    # the output of the complement is the complement of the output
    complement = (2**9 - 1) - np.arange(512)
    np.testing.assert_array_equal(circuit.y[complement], 1 - circuit.y)
    for row in (0, 1, 77, 300, 511):
        bits = circuit.X[row].astype(int)
        assert circuit.y[row] == evaluate_gate_by_gate(circuit, bits)
    again = majority_circuit(n_inputs=9, depth=3, random_state=5)
    np.testing.assert_array_equal(again.y, circuit.y)


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_inputs=12), "odd"), (dict(fan_in=2), "fan_in"), (dict(depth=0), "depth"),
    (dict(n_inputs=25), "20"),
])
def test_majority_circuit_checks(kwargs, message):
    with pytest.raises(ValueError, match=message):
        majority_circuit(**kwargs)
