import numpy as np
import pytest

from lossless_tutorial.related.gradient import adam, gradient_descent


def quadratic(target):
    def loss_and_grad(params):
        (p,) = params
        return 0.5 * np.sum((p - target) ** 2), [p - target]

    return loss_and_grad


@pytest.mark.parametrize("method", [adam, gradient_descent])
def test_minimises_a_quadratic(method):
    target = np.array([1.0, -2.0, 3.0])
    trace = method(quadratic(target), [np.zeros(3)], learning_rate=0.1, max_steps=2000)
    np.testing.assert_allclose(trace.params[0], target, atol=1e-6)
    assert trace.losses[0] == pytest.approx(7.0)
    assert np.all(np.diff(trace.times) >= 0)


def test_gradient_descent_step_is_exact():
    target = np.array([2.0])
    trace = gradient_descent(
        quadratic(target), [np.zeros(1)], learning_rate=0.25, max_steps=1
    )
    np.testing.assert_allclose(trace.params[0], [0.5])  # 0 - 0.25 * (0 - 2)


def test_adam_first_step_moves_by_learning_rate():
    # With bias correction, Adam's first step has length learning_rate per coordinate.
    trace = adam(
        quadratic(np.array([5.0, -5.0])), [np.zeros(2)], learning_rate=0.01, max_steps=1
    )
    np.testing.assert_allclose(trace.params[0], [0.01, -0.01], rtol=1e-6)


def test_params_are_not_modified_and_trace_queries():
    start = [np.zeros(2)]
    trace = adam(quadratic(np.ones(2)), start, learning_rate=0.1, max_steps=50)
    assert np.all(start[0] == 0)
    assert trace.loss_at(-1.0) == trace.losses[0]
    assert trace.time_to(np.inf) == 0.0
    assert trace.time_to(-1.0) == np.inf


def test_bad_arguments():
    with pytest.raises(ValueError, match="learning_rate"):
        adam(quadratic(np.ones(1)), [np.zeros(1)], learning_rate=0)
    with pytest.raises(ValueError, match="time_budget"):
        gradient_descent(quadratic(np.ones(1)), [np.zeros(1)], time_budget=-1.0)
