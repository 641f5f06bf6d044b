"""RRRClassifier fits separable problems exactly, keeps its weights on the constraint
set, resumes, and checks its input; majority circuits are balanced and evaluate as
their gates say."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from lossless_tutorial.classifier import RRRClassifier, forward_pass, initial_weights
from lossless_tutorial.network import Architecture
from lossless_tutorial.datasets import majority_circuit


def blobs(rng, n_per_class=64, n_classes=3, n_features=4):
    centers = rng.normal(scale=3.0, size=(n_classes, n_features))
    X = np.concatenate(
        [c + rng.normal(scale=0.3, size=(n_per_class, n_features)) for c in centers]
    )
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
    resumed = (
        RRRClassifier((6,), epochs=2, warm_start=True, **kwargs).fit(X, y).fit(X, y)
    )
    for a, b in zip(
        straight.coefs_ + straight.intercepts_, resumed.coefs_ + resumed.intercepts_
    ):
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
    # the batch error (paper Sec. 5.3.1), while the training error on all items sees
    # them
    X, y = blobs(rng)
    y[[0, 64, 128, 1, 65]] = (y[[0, 64, 128, 1, 65]] + 1) % 3
    model = RRRClassifier(
        (8,), batch_size=64, epochs=20, exemptions=5, delta=0.1, random_state=0
    ).fit(X, y)
    history = model.history_.as_arrays()
    assert history["batch_error"][-1] == 0.0
    assert history["train_error"][-1] == pytest.approx(5 / len(y))


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(hidden_layer_sizes=(0,)), "hidden_layer_sizes"),
        (dict(beta=0), "beta"),
        (dict(omega=-1), "omega"),
        (dict(upsilon=0), "upsilon"),
        (dict(delta=-0.1), "delta"),
        (dict(batch_size=1000), "batch_size"),
        (dict(max_iter=0), "max_iter"),
        (dict(exemptions=2, relabel=1), "combined"),
    ],
)
def test_bad_parameters(rng, bad, message):
    X, y = blobs(rng, n_per_class=10)
    with pytest.raises(ValueError, match=message):
        RRRClassifier(**(dict(batch_size=10) | bad)).fit(X, y)


@pytest.mark.parametrize(
    "labels, message",
    [
        (np.linspace(0, 1, 30), "Unknown label type"),
        (np.zeros(30, int), "two classes"),
        (np.array(["a"] * 30), "two classes"),
        (np.zeros(29, int), "inconsistent numbers of samples"),
        (np.r_[np.zeros(29), np.inf], "infinity"),
    ],
)
def test_bad_labels(rng, labels, message):
    X = rng.normal(size=(30, 3))
    with pytest.raises(ValueError, match=message):
        RRRClassifier(batch_size=10).fit(X, labels)


def test_bad_data(rng):
    X, y = blobs(rng, n_per_class=10)
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        RRRClassifier(batch_size=10).fit(X, y)
    with pytest.raises(NotFittedError, match="not fitted"):
        RRRClassifier().predict(X)
    with pytest.raises(NotFittedError):
        RRRClassifier().decision_function(X)
    model = RRRClassifier(batch_size=10, epochs=1).fit(np.nan_to_num(X), y)
    with pytest.raises(ValueError, match="features"):
        model.predict(np.ones((2, 5)))


def evaluate_gate_by_gate(circuit, bits):
    values = list(bits)
    for reads, nots in zip(circuit.sources, circuit.negated):
        values = [
            int(sum(values[i] ^ int(n) for i, n in zip(r, m)) > len(r) // 2)
            for r, m in zip(reads, nots)
        ]
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


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n_inputs=12), "odd"),
        (dict(fan_in=2), "fan_in"),
        (dict(depth=0), "depth"),
        (dict(n_inputs=25), "20"),
    ],
)
def test_majority_circuit_checks(kwargs, message):
    with pytest.raises(ValueError, match=message):
        majority_circuit(**kwargs)


def test_labels_are_any_values_and_map_to_the_same_network(rng):
    # classes_ are the distinct labels; relabeling 0, 1, 2 as any sorted values
    # (strings, large integers) trains the very same network and predicts the relabeled
    # classes
    X, y = blobs(rng, n_per_class=20)
    kwargs = dict(hidden_layer_sizes=(6,), batch_size=20, epochs=3, random_state=0)
    reference = RRRClassifier(**kwargs).fit(X, y)
    for values in (np.array(["ant", "bee", "cat"]), np.array([-5, 10**9, 10**12])):
        model = RRRClassifier(**kwargs).fit(X, values[y])
        np.testing.assert_array_equal(model.classes_, values)
        for a, b in zip(model.coefs_, reference.coefs_):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(model.predict(X), values[reference.predict(X)])
    # labels {1, 2} make two class nodes, not three with an empty class 0
    model = RRRClassifier(**kwargs).fit(X[y > 0], y[y > 0])
    np.testing.assert_array_equal(model.classes_, [1, 2])
    assert model.coefs_[-1].shape == (6, 2)


def test_binary_decision_function_is_one_column(rng):
    X, y = blobs(rng, n_per_class=20, n_classes=2)
    labels = np.array([False, True])[y]
    model = RRRClassifier((5,), batch_size=20, epochs=5, random_state=1).fit(X, labels)
    np.testing.assert_array_equal(model.classes_, [False, True])
    scores = model.decision_function(X)
    outputs = model.class_outputs(X)
    assert scores.shape == (len(y),) and outputs.shape == (len(y), 2)
    # the class outputs are the forward pass of the trained network (independently)
    arch = Architecture((4, 5, 2), omega=model.omega)
    _, pre = forward_pass(
        arch, [c.T for c in model.coefs_], [None] + list(model.intercepts_), X
    )
    np.testing.assert_allclose(outputs, pre[-1] - model.intercepts_[-1])
    np.testing.assert_allclose(scores, outputs[:, 1] - outputs[:, 0])
    np.testing.assert_array_equal(model.predict(X), scores > 0)
    assert model.score(X, labels) == 1.0


@pytest.mark.parametrize("n_in", [1, 2, 5])
def test_initial_weights_have_norm_omega_for_any_fan_in(n_in):
    arch = Architecture((n_in, 1, 3), omega=2.0)
    weights, _ = initial_weights(arch, np.random.default_rng(0))
    for w in weights:
        assert np.all(np.isfinite(w))
        np.testing.assert_allclose(np.linalg.norm(w, axis=1), 2.0, rtol=1e-12)
    # the fan-in 1 layer keeps the sign of its uniform draw; others keep the paper's
    # rule
    draws = np.random.default_rng(0)
    first = draws.uniform(-1.0, 1.0, (1, n_in))
    second = draws.uniform(-1.0, 1.0, (3, 1))
    np.testing.assert_array_equal(weights[1], np.where(second < 0, -2.0, 2.0))
    if n_in > 1:
        centred = first - first.mean()
        np.testing.assert_array_equal(
            weights[0], centred * (2.0 / np.linalg.norm(centred))
        )


@pytest.mark.parametrize(
    "shape", [dict(n_features=1), dict(hidden=(1,)), dict(hidden=(3, 1))]
)
def test_single_input_layers_train(rng, shape):
    X, y = blobs(
        rng, n_per_class=20, n_classes=2, n_features=shape.get("n_features", 3)
    )
    model = RRRClassifier(
        shape.get("hidden", (4,)), batch_size=20, epochs=3, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, y)
    assert model.history_.status == "finished"
    assert all(np.all(np.isfinite(c)) for c in model.coefs_ + model.intercepts_)
    assert model.score(X, y) >= 0.5


def test_warm_start_refuses_another_architecture(rng):
    X, y = blobs(rng, n_per_class=20)
    model = RRRClassifier(
        (4,), batch_size=20, epochs=1, warm_start=True, random_state=0
    )
    model.fit(X, y)
    model.set_params(hidden_layer_sizes=(5,))
    with pytest.raises(ValueError, match="hidden_layer_sizes changed"):
        model.fit(X, y)
    model.set_params(hidden_layer_sizes=(4,))
    with pytest.raises(ValueError, match="not among the classes"):
        model.fit(X, y + 1)
    fresh = clone(model).set_params(hidden_layer_sizes=(5,)).fit(X, y)
    assert fresh.coefs_[0].shape == (4, 5)


def test_random_state_may_be_a_random_state(rng):
    X, y = blobs(rng, n_per_class=20)
    kwargs = dict(hidden_layer_sizes=(4,), batch_size=20, epochs=2)
    a = RRRClassifier(random_state=np.random.RandomState(7), **kwargs).fit(X, y)
    b = RRRClassifier(random_state=np.random.RandomState(7), **kwargs).fit(X, y)
    for u, v in zip(a.coefs_, b.coefs_):
        np.testing.assert_array_equal(u, v)


def test_default_batch_size_uses_all_of_a_small_data_set(rng):
    X, y = blobs(rng, n_per_class=10)
    model = RRRClassifier((4,), epochs=1, random_state=0).fit(X, y)
    assert (
        model.n_iter_
        == len(model.history_.exempted) * model.history_.mean_iterations[0]
    )


def test_divergence_is_reported(rng):
    X, y = blobs(rng, n_per_class=20)
    with pytest.warns(ConvergenceWarning, match="diverged"):
        model = RRRClassifier(
            (4,), batch_size=20, epochs=1, beta=1e300, random_state=0
        ).fit(X, y)
    assert model.history_.status == "diverged"
