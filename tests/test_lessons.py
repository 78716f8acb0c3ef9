"""The Learn page's arithmetic against the lecture's printed numbers (../shared/seeds/004), the
backprop lesson against the NumPy network's own code, and the addresses the lessons read."""

from __future__ import annotations

import numpy as np
import pytest

from nn import digit_lessons as dl
from nn import lesson_plan, lessons
from nn.kinds.numpy_net import NumpyMLP

# The lecture's gradient descent, as it prints it: weight 0.5, goal 0.8, input 0.5, 20 steps
# (its update has no alpha: alpha 1).
LECTURE_GRADIENT_DESCENT = """\
Error: 3.025e-01 Prediction: 0.250000 Weight: 0.775000
Error: 1.702e-01 Prediction: 0.387500 Weight: 0.981250
Error: 9.571e-02 Prediction: 0.490625 Weight: 1.135938
Error: 5.384e-02 Prediction: 0.567969 Weight: 1.251953
Error: 3.028e-02 Prediction: 0.625977 Weight: 1.338965
Error: 1.703e-02 Prediction: 0.669482 Weight: 1.404224
Error: 9.582e-03 Prediction: 0.702112 Weight: 1.453168
Error: 5.390e-03 Prediction: 0.726584 Weight: 1.489876
Error: 3.032e-03 Prediction: 0.744938 Weight: 1.517407
Error: 1.705e-03 Prediction: 0.758703 Weight: 1.538055
Error: 9.593e-04 Prediction: 0.769028 Weight: 1.553541
Error: 5.396e-04 Prediction: 0.776771 Weight: 1.565156
Error: 3.035e-04 Prediction: 0.782578 Weight: 1.573867
Error: 1.707e-04 Prediction: 0.786934 Weight: 1.580400
Error: 9.604e-05 Prediction: 0.790200 Weight: 1.585300
Error: 5.402e-05 Prediction: 0.792650 Weight: 1.588975
Error: 3.039e-05 Prediction: 0.794488 Weight: 1.591731
Error: 1.709e-05 Prediction: 0.795866 Weight: 1.593799
Error: 9.615e-06 Prediction: 0.796899 Weight: 1.595349
Error: 5.408e-06 Prediction: 0.797674 Weight: 1.596512"""


def test_gradient_descent_prints_the_lectures_table_row_by_row():
    rows = lessons.gradient_descent(weight=0.5, goal=0.8, inputs=0.5, alpha=1.0, steps=20)
    printed = [f"Error: {r.error:.3e} Prediction: {r.prediction:.6f} Weight: {r.weight:.6f}" for r in rows]
    assert printed == LECTURE_GRADIENT_DESCENT.splitlines()


def test_a_too_large_alpha_diverges_and_the_lesson_knows_it():
    rows = lessons.gradient_descent(0.5, 0.8, 0.5, alpha=9.0, steps=10)
    assert rows[-1].error > rows[0].error and lessons.diverges(0.5, 9.0)
    assert not lessons.diverges(0.5, 4.0) and not lessons.diverges(0.5, 1.0)
    assert lessons.gradient_descent(0.5, 0.8, 0.5, alpha=4.0, steps=1)[0].weight == pytest.approx(1.6)


def test_hot_and_cold_moves_by_its_step_and_stops_where_no_step_helps():
    rows = lessons.hot_and_cold(0.5, 0.8, 0.5, step=0.01, steps=20)
    assert rows[-1].weight == pytest.approx(0.7)  # 20 steps of 0.01 up: still far from 1.6
    settled = lessons.hot_and_cold(1.6, 0.8, 0.5, step=0.01, steps=5)
    assert [r.weight for r in settled] == pytest.approx([1.6] * 5)


def test_the_weighted_sum_is_the_lectures_table_of_local_predictions():
    local, prediction = lessons.weighted_sum(lessons.game(1), (0.1, 0.2, 0.0))
    np.testing.assert_allclose(local, [0.85, 0.13, 0.0])
    assert prediction == pytest.approx(0.98)


def test_several_outputs_and_inputs_are_the_lectures_predictions():
    np.testing.assert_allclose(0.65 * np.array(lessons.WEIGHTS_ONE_INPUT_THREE_OUTPUTS), [0.195, 0.13, 0.585])
    np.testing.assert_allclose(
        lessons.layer(lessons.game(1), lessons.WEIGHTS_THREE_BY_THREE), [0.555, 0.98, 0.965]
    )


def test_the_hidden_layer_gives_the_lectures_predictions():
    hidden, predictions = lessons.stacked(lessons.game(1), lessons.INPUT_TO_HIDDEN, lessons.HIDDEN_TO_OUTPUT)
    np.testing.assert_allclose(hidden, [0.86, 0.295, 1.23])
    np.testing.assert_allclose(predictions, [0.2135, 0.145, 0.5065])


def test_many_inputs_learn_the_lectures_weight_deltas_and_weights():
    first = lessons.many_inputs((0.1, 0.2, -0.1), lessons.game(1), goal=1, alpha=0.01, steps=3)[0]
    assert float(first.prediction) == pytest.approx(0.86) and float(first.delta) == pytest.approx(-0.14)
    np.testing.assert_allclose(first.weight_deltas, [-1.19, -0.091, -0.168])
    np.testing.assert_allclose(
        first.weights, [0.1119, 0.20091, -0.09832]
    )  # the lecture: 0.1119, 0.2009, -0.098


def test_many_inputs_and_outputs_move_each_weight_by_its_own_input_and_delta():
    goals = (0.1, 1, 0.1)
    first = lessons.many_inputs_and_outputs(lessons.WEIGHTS_THREE_BY_THREE, lessons.game(1), goals, 0.01, 1)[
        0
    ]
    np.testing.assert_allclose(first.prediction, [0.555, 0.98, 0.965])
    np.testing.assert_allclose(first.delta, [0.455, -0.02, 0.865])
    np.testing.assert_allclose(
        first.weight_deltas, np.outer(lessons.game(1), first.delta)
    )  # outer_prod(input, delta)
    expected = np.array(lessons.WEIGHTS_THREE_BY_THREE) - 0.01 * np.outer(first.delta, lessons.game(1))
    np.testing.assert_allclose(first.weights, expected)
    # and it is gradient descent: the summed error falls
    later = lessons.many_inputs_and_outputs(lessons.WEIGHTS_THREE_BY_THREE, lessons.game(1), goals, 0.01, 20)
    assert later[-1].error.sum() < first.error.sum()


def test_softmax_and_cross_entropy():
    p = lessons.softmax([2.0, 1.0, 0.1])
    np.testing.assert_allclose(p, [0.659001, 0.242433, 0.098566], atol=1e-6)
    np.testing.assert_allclose(lessons.softmax([12.0, 11.0, 10.1]), p)  # the same shifted
    assert lessons.cross_entropy(p, 0) == pytest.approx(-np.log(0.659001), rel=1e-5)
    assert np.isfinite(lessons.softmax([1000.0, 0.0])).all()


# --- the lessons on a drawing --------------------------------------------------------------------


def test_the_backprop_lessons_arrays_are_the_numpy_networks_own(mnist):
    net = dl.lecture_network_of(mnist)
    twin = NumpyMLP(net.w1.copy(), net.w2.copy())
    image = mnist.x_test[0].astype(np.float32) / 255
    step = dl.backprop_step(net, image, label=7, alpha=0.005)
    goal = np.eye(10, dtype=np.float32)[[7]]
    out, g1, g2 = twin.backprop(image.reshape(1, 784), goal)
    np.testing.assert_allclose(step.layer_2, out[0], rtol=1e-6)
    np.testing.assert_allclose(step.weight_deltas_1, g1, rtol=1e-6)
    np.testing.assert_allclose(step.weight_deltas_2, g2, rtol=1e-6)
    np.testing.assert_allclose(
        step.weight_deltas_2, np.outer(step.layer_1, step.delta_2), rtol=1e-5, atol=1e-7
    )
    np.testing.assert_allclose(
        step.weight_deltas_1, np.outer(step.layer_0, step.delta_1), rtol=1e-5, atol=1e-7
    )
    twin.step(image.reshape(1, 784), goal, 0.005)  # the network's own update
    np.testing.assert_allclose(net.w1, twin.w1, rtol=1e-6)
    np.testing.assert_allclose(step.after, twin.outputs(image[None])[0], rtol=1e-5)
    assert step.error == pytest.approx(float(np.sum((out[0] - goal[0]) ** 2)), rel=1e-5)


def test_the_lessons_small_networks_read_digits_and_train_within_a_second(mnist):
    import time

    dl._trained.clear()
    start = time.perf_counter()
    net = dl.one_layer_of(mnist)
    assert time.perf_counter() - start < 5  # a second here on a quiet machine; the bound is loose
    assert net.accuracy > 0.85
    sums = dl.neuron_sums(net, mnist.x_test[0].astype(np.float32) / 255)
    np.testing.assert_allclose(
        sums.sums, (mnist.x_test[0].reshape(784) / 255) @ net.weights, rtol=1e-4, atol=1e-5
    )
    assert int(np.argmax(sums.probabilities)) == mnist.y_test[0]
    mlp = dl.lecture_network_of(mnist)
    x = mnist.x_test[:500].reshape(500, -1).astype(np.float32) / 255
    assert (mlp.outputs(x).argmax(axis=1) == mnist.y_test[:500]).mean() > 0.7


def test_a_convolution_is_the_sum_under_the_kernel_and_pooling_keeps_the_largest():
    rng = np.random.default_rng(0)
    image = rng.random((28, 28)).astype(np.float32)
    kernel = dl.HAND_KERNELS["vertical-edge"]
    feature_map = dl.convolve(image, kernel)
    assert feature_map.shape == (26, 26)
    patch, value = dl.one_output(image, kernel, 12, 5)
    assert (
        value
        == pytest.approx(feature_map[12, 5], rel=1e-5)
        == pytest.approx(float((image[12:15, 5:8] * kernel).sum()))
    )
    pooled = dl.max_pool(feature_map)
    assert pooled.shape == (13, 13) and pooled[3, 4] == feature_map[6:8, 8:10].max()


# --- addresses ------------------------------------------------------------------------------------


def test_every_lesson_opens_on_its_defaults_and_its_address_reproduces_it():
    for lesson in lesson_plan.LESSONS:
        opened = lesson_plan.opened({"lesson": lesson.id})
        assert opened.values == lesson.defaults() and not opened.problems
        again = lesson_plan.opened(lesson_plan.address(lesson, opened.values))
        assert again.values == opened.values and not again.problems, lesson.id


def test_the_issues_example_address_opens_the_lectures_gradient_descent():
    query = {
        "lesson": "gradient-descent",
        "weight": "0.5",
        "goal": "0.8",
        "input": "0.5",
        "alpha": "1",
        "steps": "20",
    }
    opened = lesson_plan.opened(query)
    assert opened.lesson.id == "gradient-descent" and not opened.problems
    assert opened.values["alpha"] == 1.0 and opened.values["steps"] == 20
    changed = lesson_plan.opened({**query, "alpha": "0.1"})
    assert lesson_plan.address(changed.lesson, changed.values)["alpha"] == "0.1"


@pytest.mark.parametrize(
    "query, said",
    [
        ({"lesson": "nope"}, "there is no lesson 'nope'"),
        ({"lesson": "gradient-descent", "alpha": "fast"}, "alpha must be a number, not 'fast'"),
        ({"lesson": "gradient-descent", "steps": "2.5"}, "steps must be a whole number"),
        ({"lesson": "gradient-descent", "steps": "100000"}, "steps must be between 1 and 200"),
        ({"lesson": "gradient-descent", "weight": "nan"}, "weight must be between -10 and 10"),
        ({"lesson": "several-inputs", "weights": "0.1,0.2"}, "weights must be 3 numbers"),
        ({"lesson": "convolution", "kernel": "<b>"}, "kernel must be one of vertical-edge"),
    ],
)
def test_a_bad_value_in_an_address_is_named_and_the_default_used(query, said):
    opened = lesson_plan.opened(query)
    assert any(said in problem for problem in opened.problems), opened.problems
    assert opened.values == opened.lesson.defaults()
