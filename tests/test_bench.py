"""The benchmark suite still runs (on a tiny budget); its numbers are not judged here."""

from __future__ import annotations

import pytest

from bench import run


@pytest.mark.slow
@pytest.mark.e2e  # it drives the app in Chromium too
def test_benchmarks_run_on_a_tiny_budget(tmp_path, browser):
    report = tmp_path / "RESULTS.md"
    # The class scenarios run in tests/e2e/test_load.py, with their checks: not twice.
    args = ["--quick", "--output", str(report), "--skip", *run.CLASS_SCENARIOS]
    assert run.main(args, browser=browser) == 0
    text = report.read_text()
    assert "## A class on one server" not in text
    for section in ("Inference latency", "Draw page in Chromium", "The live canvas",
                    "Training queue",
                    "Training throughput", "Presets", "Bundled models", "Digits MNIST never showed"):
        assert f"## {section}" in text
    assert "speed-up of the app over model.predict" in text and "cnn-best" in text


def test_the_scanned_digits_are_normalised_like_mnist_and_the_bundled_cnn_reads_them():
    from bench import robustness

    x, y = robustness.scanned_digits()
    assert x.shape == (1797, 28, 28) and x.max() == pytest.approx(1.0) and sorted(set(y)) == list(range(10))
    row = robustness.measure()[0]  # the bundled models, mnist-cnn-best first
    assert row["model"] == "mnist-cnn-best" and float(row["scanned 8x8 (1,797)"].rstrip("%")) > 90


def test_time_to_an_accuracy_is_the_quickest_training_that_reached_it():
    from bench.recipes import time_to

    points = [(5.2, 0.9918), (11.0, 0.9931), (24.3, 0.9952), (47.0, 0.9949)]
    assert time_to(points, 0.99) == "5 s" and time_to(points, 0.995) == "24 s"
    assert time_to(points, 0.997) == "not reached"
