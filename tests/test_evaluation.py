"""nn.evaluation checked against plain reference computations on hand-made cases."""

from __future__ import annotations

import numpy as np
import pytest

from nn.evaluation import (
    Predictions,
    compare,
    confusion_matrix,
    misclassified,
    most_confused_pairs,
    per_class_metrics,
    row_normalised,
)


def one_hot_probs(labels, confidence):
    p = np.full((len(labels), 10), 0.0, dtype=np.float32)
    for i, (label, c) in enumerate(zip(labels, confidence)):
        p[i] = (1 - c) / 9
        p[i, label] = c
    return p


def test_confusion_matrix_matches_a_counting_loop():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 10, 500), rng.integers(0, 10, 500)
    expected = np.zeros((10, 10), dtype=int)
    for t, p in zip(y_true, y_pred):
        expected[t, p] += 1
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred), expected)
    np.testing.assert_allclose(row_normalised(expected).sum(axis=1), 1.0)


def test_precision_recall_f1_on_a_known_case():
    # class 0: 3 true, predicted 0,0,1 ; class 1: 2 true, predicted 1,0 ; class 2: none
    matrix = confusion_matrix(np.array([0, 0, 0, 1, 1]), np.array([0, 0, 1, 1, 0]), classes=3)
    m = per_class_metrics(matrix)
    assert m[0]["precision"] == pytest.approx(2 / 3) and m[0]["recall"] == pytest.approx(2 / 3)
    assert m[1]["precision"] == pytest.approx(1 / 2) and m[1]["recall"] == pytest.approx(1 / 2)
    assert m[1]["f1"] == pytest.approx(0.5) and m[0]["support"] == 3
    assert m[2] == {"class": 2, "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}


def test_accuracy_loss_and_misclassified_order():
    y_true = np.array([1, 2, 3, 4])
    pred = Predictions(y_true, one_hot_probs([1, 7, 3, 9], [0.9, 0.6, 0.8, 0.95]))
    assert pred.accuracy == 0.5 and pred.errors == 2
    expected_loss = -np.mean(np.log([0.9, 0.4 / 9, 0.8, 0.05 / 9]))
    assert pred.loss == pytest.approx(expected_loss, rel=1e-5)
    assert misclassified(pred).tolist() == [3, 1]  # most confident mistake first
    assert misclassified(pred, order="index").tolist() == [1, 3]
    assert misclassified(pred, true_class=2, predicted_class=7).tolist() == [1]


def test_most_confused_pairs_and_compare():
    matrix = confusion_matrix(np.array([4, 4, 4, 9, 7, 7]), np.array([9, 9, 4, 4, 1, 7]))
    assert most_confused_pairs(matrix, top=3) == [(4, 9, 2), (7, 1, 1), (9, 4, 1)]
    y = np.array([0, 1, 2])
    a = Predictions(y, one_hot_probs([0, 1, 0], [0.9] * 3))
    b = Predictions(y, one_hot_probs([0, 2, 2], [0.9] * 3))
    diff = compare(a, b)
    assert diff["only_a_right"].tolist() == [1] and diff["only_b_right"].tolist() == [2]
    assert diff["confusion_difference"].sum() == 0
