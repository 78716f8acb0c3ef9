"""Evaluation: a model's predictions on a split, and the views people read from them.

`predict_split` is the one expensive step; the confusion matrix, per-class metrics, the
misclassified list and model comparisons are cheap NumPy views of its result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPSILON = 1e-7  # as Keras clips probabilities in its cross-entropy


@dataclass(frozen=True)
class Predictions:
    y_true: np.ndarray  # (n,) int
    probabilities: np.ndarray  # (n, classes) float32

    @property
    def y_pred(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)

    @property
    def confidence(self) -> np.ndarray:
        return self.probabilities.max(axis=1)

    @property
    def n(self) -> int:
        return len(self.y_true)

    @property
    def accuracy(self) -> float:
        return float((self.y_pred == self.y_true).mean()) if self.n else float("nan")

    @property
    def loss(self) -> float:
        """Mean cross-entropy of the true classes."""
        p = self.probabilities[np.arange(self.n), self.y_true]
        return float(-np.log(np.clip(p, EPSILON, 1.0)).mean()) if self.n else float("nan")

    @property
    def errors(self) -> int:
        return int((self.y_pred != self.y_true).sum())


def predict_split(predictor, images_uint8: np.ndarray, labels: np.ndarray) -> Predictions:
    """Run `predictor` (nn.kinds.kind.Predicting) over a whole split of uint8 images."""
    probabilities = predictor.probabilities(np.asarray(images_uint8, dtype=np.float32) / 255.0)
    return Predictions(np.asarray(labels, dtype=np.int64), probabilities)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, classes: int = 10) -> np.ndarray:
    """counts[t, p]: how many images of true class t were predicted as p."""
    return np.bincount(np.asarray(y_true) * classes + np.asarray(y_pred),
                       minlength=classes * classes).reshape(classes, classes)


def row_normalised(matrix: np.ndarray) -> np.ndarray:
    """Each row divided by its total: the diagonal is then each class's recall."""
    totals = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, totals, out=np.zeros(matrix.shape, dtype=float), where=totals > 0)


def per_class_metrics(matrix: np.ndarray) -> list[dict]:
    """Precision, recall, F1 and support per class (0 where undefined)."""
    tp = np.diag(matrix).astype(float)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return [
        {"class": c, "precision": float(precision[c]), "recall": float(recall[c]),
         "f1": float(f1[c]), "support": int(actual[c])}
        for c in range(len(matrix))
    ]


def misclassified(pred: Predictions, true_class: int | None = None, predicted_class: int | None = None,
                  order: str = "confidence") -> np.ndarray:
    """Indices of wrong predictions, optionally for one (true, predicted) cell.

    order="confidence": the most confident mistakes first; order="index": in data order.
    """
    y_pred = pred.y_pred
    wrong = y_pred != pred.y_true
    if true_class is not None:
        wrong &= pred.y_true == true_class
    if predicted_class is not None:
        wrong &= y_pred == predicted_class
    indices = np.flatnonzero(wrong)
    if order == "confidence":
        indices = indices[np.argsort(-pred.confidence[indices], kind="stable")]
    return indices


def most_confused_pairs(matrix: np.ndarray, top: int = 10) -> list[tuple[int, int, int]]:
    """(true, predicted, count) of the largest off-diagonal cells, largest first."""
    off = matrix.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(-off, axis=None, kind="stable")[:top]
    pairs = [(int(i // len(matrix)), int(i % len(matrix)), int(off.flat[i])) for i in order]
    return [p for p in pairs if p[2] > 0]


def compare(a: Predictions, b: Predictions) -> dict:
    """Where two models on the same split differ."""
    if not np.array_equal(a.y_true, b.y_true):
        raise ValueError("the two predictions are not on the same split")
    right_a, right_b = a.y_pred == a.y_true, b.y_pred == b.y_true
    return {
        "accuracy": (a.accuracy, b.accuracy),
        "only_a_right": np.flatnonzero(right_a & ~right_b),
        "only_b_right": np.flatnonzero(right_b & ~right_a),
        "confusion_difference": (confusion_matrix(b.y_true, b.y_pred, a.probabilities.shape[1])
                                 - confusion_matrix(a.y_true, a.y_pred, a.probabilities.shape[1])),
    }
