"""Honest confidence: how far "90% sure" is from being right 90% of the time, and the fix.

The expected calibration error (ECE) sorts predictions into bins by their confidence and
averages, weighted by the bins' sizes, the gap between each bin's confidence and its accuracy.
Networks trained with cross-entropy tend to be overconfident (a wrong answer at "100% sure").

Temperature scaling (Guo et al. 2017) divides the logits by one number T, fitted on images the
model did not train on: T > 1 softens every answer without changing any. A softmax's output
keeps its logits up to a constant, so T can be fitted from probabilities alone; and since
softmax((Wx + b) / T) = softmax((W/T)x + b/T), the model keeps its layers: its last Dense
layer's weights are divided by T (nn.kinds.keras.kind), and the saved file is as standard as before.
"""

from __future__ import annotations

import numpy as np

EPSILON = 1e-12
BINS = 15
TEMPERATURES = np.exp(np.linspace(np.log(0.25), np.log(8.0), 241))  # the search grid, 1.5% apart


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = BINS) -> float:
    """ECE with equal-width confidence bins: 0 is perfectly calibrated."""
    p = np.asarray(probabilities, dtype=np.float64)
    confidence = p.max(axis=1)
    correct = p.argmax(axis=1) == np.asarray(labels)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, bins - 1)
    gap = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            gap += members.mean() * abs(confidence[members].mean() - correct[members].mean())
    return float(gap)


def tempered(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """The probabilities a temperature gives: proportional to p ** (1 / T)."""
    log_p = np.log(np.clip(np.asarray(probabilities, dtype=np.float64), EPSILON, 1.0)) / temperature
    log_p -= log_p.max(axis=1, keepdims=True)
    p = np.exp(log_p)
    return (p / p.sum(axis=1, keepdims=True)).astype(np.float32)


def negative_log_likelihood(probabilities: np.ndarray, labels: np.ndarray) -> float:
    p = np.asarray(probabilities, dtype=np.float64)[np.arange(len(labels)), np.asarray(labels)]
    return float(-np.log(np.clip(p, EPSILON, 1.0)).mean())


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The temperature of the grid that minimises the negative log-likelihood on held-out images.

    The likelihood is convex in 1/T, so along the grid it falls and then rises: a ternary search
    finds its lowest point in some 30 evaluations instead of 241 (0.2 s of a 10 s run).
    """
    def loss(i: int) -> float:
        return negative_log_likelihood(tempered(probabilities, TEMPERATURES[i]), labels)

    low, high = 0, len(TEMPERATURES) - 1
    while high - low > 2:
        a, b = low + (high - low) // 3, high - (high - low) // 3
        if loss(a) <= loss(b):
            high = b
        else:
            low = a
    return float(TEMPERATURES[min(range(low, high + 1), key=loss)])
