"""nn.kinds.keras.calibration: ECE against a plain counting loop; temperatures recovered from known data."""

from __future__ import annotations

import numpy as np
import pytest

from nn.kinds.keras.calibration import expected_calibration_error, fit_temperature, tempered


def calibrated_predictions(n: int = 20_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Ten-class predictions that are right exactly as often as they say (in expectation)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2.5, (n, 10))
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(10, p=row) for row in p])  # drawn from the predicted distribution
    return p.astype(np.float32), labels


def test_ece_is_the_weighted_gap_between_confidence_and_accuracy():
    p, labels = calibrated_predictions(3000, seed=1)
    confidence, right = p.max(axis=1), p.argmax(axis=1) == labels
    expected = 0.0
    for low in np.arange(15) / 15:  # the definition, one bin at a time
        inside = (confidence > low) & (confidence <= low + 1 / 15)
        if inside.any():
            expected += inside.mean() * abs(confidence[inside].mean() - right[inside].mean())
    assert expected_calibration_error(p, labels) == pytest.approx(expected, abs=1e-6)


def test_a_calibrated_model_keeps_temperature_one_and_an_overconfident_one_is_softened():
    p, labels = calibrated_predictions()
    assert expected_calibration_error(p, labels) < 0.015
    assert fit_temperature(p, labels) == pytest.approx(1.0, abs=0.06)
    overconfident = tempered(p, 0.5)  # twice as sharp as it should be
    assert expected_calibration_error(overconfident, labels) > 0.05
    t = fit_temperature(overconfident, labels)
    assert t == pytest.approx(2.0, rel=0.06)
    fixed = tempered(overconfident, t)
    assert expected_calibration_error(fixed, labels) < 0.015
    np.testing.assert_array_equal(fixed.argmax(axis=1), overconfident.argmax(axis=1))  # same answers


def test_the_search_finds_the_lowest_point_of_the_whole_grid():
    from nn.kinds.keras.calibration import TEMPERATURES, negative_log_likelihood
    rng = np.random.default_rng(2)
    for _ in range(40):  # models from very unsure to very sure, right from 30% to all of the time
        logits = rng.normal(size=(500, 10)) * rng.uniform(0.2, 20)
        labels = np.where(rng.random(500) < rng.uniform(0.3, 1), logits.argmax(1), rng.integers(0, 10, 500))
        p = np.exp(logits - logits.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        losses = [negative_log_likelihood(tempered(p, t), labels) for t in TEMPERATURES]
        assert fit_temperature(p, labels) == TEMPERATURES[int(np.argmin(losses))]
