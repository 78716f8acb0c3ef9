"""The benchmark suite still runs (on a tiny budget); its numbers are not judged here."""

from __future__ import annotations

import pytest

from bench import run


@pytest.mark.slow
@pytest.mark.e2e  # it drives the app in Chromium too
def test_benchmarks_run_on_a_tiny_budget(tmp_path, browser):
    report = tmp_path / "RESULTS.md"
    assert run.main(["--quick", "--output", str(report)], browser=browser) == 0
    text = report.read_text()
    for section in ("Inference latency", "Draw page in Chromium", "A class on one server", "Training queue",
                    "Training throughput", "Presets", "Bundled models"):
        assert f"## {section}" in text
    assert "speed-up of the app over model.predict" in text and "cnn-best" in text
