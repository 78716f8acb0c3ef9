"""Digit Lab benchmarks: accuracy, training throughput, inference latency, data loading.

    .venv/bin/python -m bench.run            # full run (~20 min on 2 cores), rewrites bench/RESULTS.md
    .venv/bin/python -m bench.run --quick    # tiny budget, for the test suite: checks it still runs

It includes the benchmarks that drive the real app in Chromium (bench.draw_latency,
bench.classroom) and the training queue (bench.queue); each also runs on its own.

Absolute times on a shared machine are noisy, so every timing is the median of repeated runs and
the comparisons are ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bench.tables import flat, pairs, table

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def median_seconds(fn, repeat: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def canvas_from(image28: np.ndarray) -> np.ndarray:
    """A 280x280 RGBA 'canvas drawing' made from an MNIST digit, off-centre, as the canvas sends it."""
    from PIL import Image

    big = np.asarray(Image.fromarray(image28).resize((170, 170), Image.Resampling.BILINEAR))
    canvas = np.zeros((280, 280, 4), dtype=np.uint8)
    canvas[..., 3] = 255
    canvas[20:190, 90:260, :3] = big[..., None]
    return canvas


# --- the measurements ------------------------------------------------------------------------------

def bench_data(repeat: int) -> dict:
    from nn import data

    data.fetch("mnist")
    seconds = median_seconds(lambda: data.load("mnist"), repeat)
    return {"load cached MNIST (60k+10k images, checksums verified)": f"{seconds * 1000:.0f} ms"}


def bench_latency(model_name: str, repeat: int) -> dict:
    """One canvas drawing to its probabilities: the app's way (NumPy for one image, from the
    file), TensorFlow called directly, and Keras' model.predict."""
    from nn import data, inference
    from nn.kinds.keras.predictor import Predictor
    from nn.preprocess import to_mnist
    from nn.storage.saved_models import ModelStore

    info = ModelStore().get(model_name)
    app = inference.predictor_for_file(info.path)
    direct = Predictor(ModelStore().load(model_name))
    canvas = canvas_from(data.load("mnist").x_test[0])
    app_s = median_seconds(lambda: app.predict_one(to_mnist(canvas)), repeat, warmup=3)
    direct_s = median_seconds(lambda: direct.predict_one(to_mnist(canvas)), repeat, warmup=3)
    predict_s = median_seconds(lambda: direct.model.predict(to_mnist(canvas)[np.newaxis], verbose=0),
                               max(5, repeat // 5), warmup=2)
    preprocess_s = median_seconds(lambda: to_mnist(canvas), repeat)
    return {
        "model": model_name,
        "canvas -> probabilities, the app (preprocess + NumPy forward pass)": f"{app_s * 1000:.2f} ms",
        "canvas -> probabilities, TensorFlow called directly": f"{direct_s * 1000:.2f} ms",
        "of which preprocessing": f"{preprocess_s * 1000:.2f} ms",
        "canvas -> probabilities with model.predict": f"{predict_s * 1000:.2f} ms",
        "speed-up of the app over model.predict": f"{predict_s / app_s:.1f}x",
    }


def bench_evaluation(model_name: str, repeat: int, n: int) -> dict:
    from nn import data
    from nn.evaluation import predict_split
    from nn.kinds.keras.predictor import Predictor
    from nn.storage.saved_models import ModelStore

    d = data.load("mnist")
    predictor = Predictor(ModelStore().load(model_name))
    x, y = d.x_test[:n], d.y_test[:n]
    seconds = median_seconds(lambda: predict_split(predictor, x, y), repeat)
    return {f"evaluate {model_name} on {n} test images": f"{seconds:.2f} s",
            "batch throughput": f"{n / seconds:,.0f} images/s"}


def bench_training_overhead(repeat: int, subset: int) -> dict:
    """Our train() (live metrics every batch) vs a plain model.fit on the same model and data."""
    import keras

    from nn import data
    from nn.kinds.keras.training import compile_model, make_dataset, train, training_split
    from nn.kinds.registry import build
    from nn.training_config import TrainConfig

    d = data.load("mnist")
    config = TrainConfig(epochs=1, batch_size=32, subset=subset, validation_split=0.0)
    x, y, _, _ = training_split(d, config)

    def ours():
        train(build("dense-128", 0), d, config)

    def plain():
        model = build("dense-128", 0)
        compile_model(model, config, steps_per_epoch=len(x) // 32)
        model.fit(make_dataset(x, y, 32, seed=0), epochs=1, verbose=0, shuffle=False)
        model.evaluate(make_dataset(d.x_test, d.y_test, 1024), verbose=0)

    ours_s = median_seconds(ours, repeat)
    plain_s = median_seconds(plain, repeat)
    keras.utils.clear_session()
    return {
        f"dense-128, 1 epoch of {len(x):,} images, ours": f"{ours_s:.2f} s ({len(x) / ours_s:,.0f} img/s)",
        "same with plain model.fit": f"{plain_s:.2f} s ({len(x) / plain_s:,.0f} img/s)",
        "cost of our live metrics": f"{(ours_s / plain_s - 1) * 100:+.1f}%",
    }


def bench_presets(epochs: int, subset: int | None) -> list[dict]:
    """Each preset with its defaults for a short fixed budget, and the Train page's estimate of
    the time it takes (nn.kinds.registry: from a measured table, without building the model)."""
    from nn import data
    from nn.kinds import registry as kinds
    from nn.presets import PRESETS
    from nn.training_config import TrainConfig

    d = data.load("mnist")
    rows = []
    for name, preset in PRESETS.items():
        kind = kinds.named(preset.kind)
        if preset.kind == "numpy":  # cheap: its own full tutorial budget, 350 x 1,000 images
            config = TrainConfig.for_preset(preset, seed=1, epochs=epochs if subset else None)
        elif preset.kind == "forest":  # grown once; its "epoch" is all of it
            config = TrainConfig.for_preset(preset, subset=subset, seed=1)
        else:
            config = TrainConfig.for_preset(preset, epochs=epochs, subset=subset, seed=1)
        recorder = kind.new_recorder(config, config.training_images(len(d.x_train)), None)
        started = time.perf_counter()
        result = kind.train(kind.build(name, 1), d, config, recorder)
        seconds = time.perf_counter() - started
        estimate = kind.estimate_seconds(name, config, len(d.x_train))
        accuracy = f"{result.test_accuracy:.2%}"
        if preset.kind == "numpy":
            accuracy += f" (peak {max(row['test_accuracy'] for row in result.history):.2%})"
        rows.append({"preset": name, "epochs": config.epochs, "images": f"{config.subset or 60_000:,}",
                     "test accuracy": accuracy, "training seconds": f"{result.seconds:.1f}",
                     "with building and scoring": f"{seconds:.1f}",
                     "estimated on the Train page": f"{estimate:.1f} ({estimate / seconds:.2f}x)"})
    return rows


def bundled_models() -> list[dict]:
    from nn.storage.saved_models import ModelStore

    rows = []
    for info in ModelStore().list():
        if info.bundled:
            m = info.metadata
            rows.append({"model": info.name, "data": info.dataset, "preset": m.get("preset"),
                         "epochs": m.get("epochs_completed"),
                         "test accuracy": f"{m.get('test_accuracy', 0):.2%}",
                         "training time": f"{(m.get('seconds') or 0) / 60:.1f} min"})
    return rows


# --- report ---------------------------------------------------------------------------------------


def machine() -> str:
    import keras
    import tensorflow as tf

    return (f"{platform.node()} · {platform.machine()} · {os.cpu_count()} cores · Python "
            f"{platform.python_version()} · TensorFlow {tf.__version__} · Keras {keras.__version__}")


CLASS_SCENARIOS = ("classroom", "queue_jumping")  # tests/e2e/test_load.py runs them, with their checks


def in_the_browser(quick: bool, browser=None, skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """The Draw page's answers, and a class on one server: the real app in Chromium (its own,
    unless a Playwright browser is given)."""
    if browser is None:
        from playwright.sync_api import sync_playwright

        from harness.browser import launch

        with sync_playwright() as playwright:
            return in_the_browser(quick, launch(playwright), skip)
    from bench import draw_latency, live

    drawing = draw_latency.measure(browser, 2 if quick else 10)
    live_figures = live.measure(browser, *((4, 2, 4) if quick else (40, 30, 30)))
    sections = [("Draw page in Chromium: from lifting the pen to the answer on screen (bench.draw_latency)",
                 pairs(flat(drawing))),
                ("The live canvas in Chromium: answers while the pen moves (bench.live)",
                 pairs(flat(live_figures)))]
    if "classroom" not in skip:
        sections.append(a_class(quick, browser))
    if "queue_jumping" not in skip:
        sections.append(jumping_the_queue(quick, browser))
    return sections


def a_class(quick: bool, browser) -> tuple[str, str]:
    from bench import classroom
    from harness.server import start_app, stop_app
    from nn.runs.run_queue import default_max_trainings

    with tempfile.TemporaryDirectory() as tmp:
        app = start_app(Path(tmp), env={"DIGITLAB_WORKSPACES": "per-user"})
        try:
            quiet = classroom.first_batch_shown(app, browser, 1 if quick else 3)
            figures, _ = classroom.run_classroom(app, browser, 2 if quick else 30,
                                                    default_max_trainings())
            figures.quiet_first_batch_seconds = quiet
        finally:
            stop_app(app)
    return ("A class on one server: sessions press Train at once, one more draws (bench.classroom)",
            pairs(figures.summary()))


def jumping_the_queue(quick: bool, browser) -> tuple[str, str]:
    from bench import queue_jumping
    from harness.server import start_app, stop_app
    from nn.runs.run_queue import default_max_trainings

    with tempfile.TemporaryDirectory() as tmp:
        app = start_app(Path(tmp), env={"DIGITLAB_WORKSPACES": "per-user"})
        try:
            jumping = queue_jumping.measure(app, browser, default_max_trainings(), 2 if quick else 10)
        finally:
            stop_app(app)
    return ("One person with fresh workspaces presses Train after another's run was queued "
            "(bench.queue_jumping)", pairs(jumping))


def report(sections: list[tuple[str, str]], quick: bool) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    head = (f"# Benchmark results\n\n{stamp} · {machine()}\n\n"
            f"Produced by `python -m bench.run`{' --quick' if quick else ''}. Timings are medians "
            f"of repeated runs; ratios compare runs made in the same process.\n")
    return head + "".join(f"\n## {title}\n\n{body}" for title, body in sections)


def main(argv=None, browser=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny budget; does not touch RESULTS.md")
    parser.add_argument("--output", type=Path, help="where to write the report")
    parser.add_argument("--skip", nargs="+", default=[], choices=CLASS_SCENARIOS,
                        help="leave out these class scenarios (the tests run them on their own)")
    args = parser.parse_args(argv)
    quick = args.quick
    repeat = 3 if quick else 15

    from bench import attacks, calibration, class_view, cluster, drawn_digits, inside, queue, robustness
    from nn.storage.saved_models import DEFAULT_MODEL

    sections = [
        ("Bundled models", table(bundled_models())),
        ("Drawn digits: 160 digits drawn with the mouse on the Draw page's canvas in Chromium",
         table(drawn_digits.score_bundled())),
        ("Digits MNIST never showed: other writers' digits scanned at 8x8, and the drawn digits "
         "(bench.robustness)", table(robustness.measure())),
        ("Inference latency: one canvas drawing", pairs(bench_latency(DEFAULT_MODEL, 20 if quick else 200))),
        ("Calibration: expected calibration error without and with the fitted temperature "
         "(bench.calibration)",
         table(calibration.measure())),
        ("Inside the network (bench.inside)", pairs(inside.measure(repeat=5 if quick else 50))),
        *in_the_browser(quick, browser, tuple(args.skip)),
    ]
    rows, first = queue.measure(2 if quick else 12, (1,) if quick else (1, 2, 3))
    sections += [
        ("Training queue: one-epoch dense-128 runs by trainings at once (bench.queue)",
         table(rows) + "\n" + pairs(first)),
        ("Training on a Ray cluster: the same one-epoch runs through a two-node cluster on this "
         "machine (bench.cluster)", cluster.table_of(cluster.compare(2 if quick else 12))),
        ("Files made to take a class's server down (bench.attacks)", table(attacks.measure())),
        ("What one student can do to the others on a class's server: the review's twelve holes "
         "(bench.attacks)", table(attacks.measure_round_two())),
        ("The teacher's Class page: every person's runs read as rows, refreshed every 2 s "
         "(bench.class_view)", pairs(class_view.measure(*((3, 2, 3) if quick else (30, 10, 20))))),
        ("Evaluation", pairs(bench_evaluation(DEFAULT_MODEL, repeat, 1000 if quick else 10_000))),
        ("Training throughput", pairs(bench_training_overhead(2 if quick else 5, 2000 if quick else 60_000))),
        ("Presets, short fixed budget (MNIST, seed 1, preset defaults), and the time estimates",
         table(bench_presets(1, 1000 if quick else None))),
        ("Data", pairs(bench_data(repeat))),
    ]
    text = report(sections, quick)
    output = args.output or (None if quick else RESULTS)
    if output:
        output.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
