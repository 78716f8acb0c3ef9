"""nn.training and nn.jobs: real TensorFlow training on small subsets of real MNIST."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from nn.jobs import JobState, TrainingJob
from nn.models import build_model
from nn.training import (
    ConfigError,
    MetricsRecorder,
    TrainConfig,
    TrainingDiverged,
    seeded_build,
    train,
)


def small(**overrides) -> TrainConfig:
    return TrainConfig(**{"epochs": 2, "subset": 1000, "batch_size": 50, **overrides})


def test_training_on_a_subset_makes_the_loss_fall(mnist):
    model = seeded_build(lambda: build_model("dense-128"), 0)
    result = train(model, mnist, small(epochs=3))
    losses = [row["loss"] for row in result.history]
    assert losses[0] > losses[1] > losses[2]
    assert result.test_accuracy > 0.75  # 1,000 images are enough for a dense net to learn
    assert {"val_loss", "val_accuracy", "seconds", "samples_per_second"} <= set(result.history[0])
    assert not result.stopped and result.epochs_completed == 3


def test_recorder_reports_every_batch_and_its_own_loss(mnist):
    config = small(epochs=2, validation_split=0.1)  # 900 training images -> 18 batches of 50
    recorder = MetricsRecorder(2, 18, 900, 50)
    result = train(seeded_build(lambda: build_model("sigmoid-10"), 0), mnist, config, recorder=recorder)
    batches = recorder.snapshot().batches
    assert len(batches) == 36 and batches[-1]["step"] == 36 and batches[-1]["epoch"] == 2
    # Per-batch values average back to the epoch means Keras reports.
    first_epoch = [b["loss"] for b in batches if b["epoch"] == 1]
    assert np.mean(first_epoch) == pytest.approx(result.history[0]["loss"], rel=1e-4)


def test_same_seed_same_weights_and_different_seed_differs(mnist):
    def weights(seed):
        model = seeded_build(lambda: build_model("cnn-2"), seed)
        train(model, mnist, small(epochs=1, subset=300, seed=seed, augment=True))
        return model.get_weights()

    a, b, c = weights(7), weights(7), weights(8)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


@pytest.mark.parametrize("overrides, message", [
    ({"epochs": 0}, "epochs must be"),
    ({"epochs": -3}, "epochs must be"),
    ({"batch_size": 0}, "batch size"),
    ({"learning_rate": 0.0}, "learning rate"),
    ({"learning_rate": float("nan")}, "learning rate"),
    ({"optimizer": "adagrad"}, "optimizer must be one of adam, sgd, rmsprop"),
    ({"validation_split": 0.9}, "validation split"),
    ({"subset": 5}, "at least 10"),
])
def test_invalid_configs_are_refused_with_a_reason(overrides, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**overrides).check()


def test_subset_larger_than_the_dataset_is_refused(mnist):
    with pytest.raises(ConfigError, match="larger than the 60000 training images"):
        train(build_model("sigmoid-10"), mnist, TrainConfig(subset=70_000))


def test_unknown_config_keys_raise():
    with pytest.raises(ConfigError, match="unknown training settings: epoch"):
        TrainConfig.from_dict({"epoch": 3})


def test_divergence_raises_a_clear_error(mnist):
    model = seeded_build(lambda: build_model("dense-128"), 0)
    with pytest.raises(TrainingDiverged, match="training diverged. Try a lower learning rate"):
        train(model, mnist, small(optimizer="sgd", learning_rate=50.0, batch_size=10))


def test_job_runs_in_the_background_and_hands_over_the_model(mnist):
    job = TrainingJob("dense-128", "mnist", small()).start()
    final = job.wait(120)
    assert final.state is JobState.FINISHED, final.message
    assert final.progress.epoch == 2 and len(final.progress.history) == 2
    assert final.fraction == 1.0 and final.test_accuracy > 0.7
    assert job.model is not None and job.metadata()["params"] == 101_770


def test_stop_ends_at_the_next_batch_and_keeps_the_weights(mnist):
    seen = threading.Event()
    job = TrainingJob("dense-128", "mnist", small(epochs=50, subset=5000, batch_size=10))
    job.start()
    for _ in range(600):
        if job.snapshot().progress.batches:
            seen.set()
            break
        job.wait(0.1)
    assert seen.is_set()
    job.stop()
    final = job.wait(120)
    assert final.state is JobState.STOPPED
    assert final.progress.epoch < 50
    assert final.test_accuracy is not None and job.model is not None


def test_nan_job_fails_with_a_message(mnist):
    job = TrainingJob("dense-128", "mnist", small(optimizer="sgd", learning_rate=50.0, batch_size=10)).start()
    final = job.wait(120)
    assert final.state is JobState.FAILED
    assert "diverged" in final.message


def test_two_jobs_at_once_do_not_share_state(mnist):
    a = TrainingJob("sigmoid-10", "mnist", small(epochs=1, optimizer="sgd", learning_rate=0.5),).start()
    b = TrainingJob("dense-128", "mnist", small(epochs=3)).start()
    sa, sb = a.wait(120), b.wait(120)
    assert sa.state is sb.state is JobState.FINISHED
    assert len(sa.progress.history) == 1 and len(sb.progress.history) == 3
    assert a.model is not b.model and a.model.count_params() == 7_960
