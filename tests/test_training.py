"""nn.training: real TensorFlow training on small subsets of real MNIST."""

from __future__ import annotations

import numpy as np
import pytest

from nn.config import ConfigError, TrainConfig
from nn.kinds import build
from nn.progress import TrainingDiverged
from nn.training import MetricsRecorder, train


def small(**overrides) -> TrainConfig:
    return TrainConfig(**{"epochs": 2, "subset": 1000, "batch_size": 50, **overrides})


def test_training_on_a_subset_makes_the_loss_fall(mnist):
    model = build("dense-128", 0)
    result = train(model, mnist, small(epochs=3))
    losses = [row["loss"] for row in result.history]
    assert losses[0] > losses[1] > losses[2]
    assert result.test_accuracy > 0.75  # 1,000 images are enough for a dense net to learn
    assert {"val_loss", "val_accuracy", "seconds", "samples_per_second"} <= set(result.history[0])
    assert not result.stopped and result.epochs_completed == 3


def test_recorder_reports_every_batch_and_its_own_loss(mnist):
    config = small(epochs=2, validation_split=0.1)  # 900 training images -> 18 batches of 50
    recorder = MetricsRecorder(2, 18, 900, 50)
    result = train(build("sigmoid-10", 0), mnist, config, recorder=recorder)
    batches = recorder.snapshot().batches
    assert len(batches) == 36 and batches[-1]["step"] == 36 and batches[-1]["epoch"] == 2
    # Per-batch values average back to the epoch means Keras reports.
    first_epoch = [b["loss"] for b in batches if b["epoch"] == 1]
    assert np.mean(first_epoch) == pytest.approx(result.history[0]["loss"], rel=1e-4)


def test_same_seed_same_weights_and_different_seed_differs(mnist):
    def weights(seed):
        model = build("cnn-2", seed)
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
        train(build("sigmoid-10"), mnist, TrainConfig(subset=70_000))


def test_unknown_config_keys_raise():
    with pytest.raises(ConfigError, match="unknown training settings: epoch"):
        TrainConfig.from_dict({"epoch": 3})


def test_divergence_raises_a_clear_error(mnist):
    model = build("dense-128", 0)
    with pytest.raises(TrainingDiverged, match="training diverged. Try a lower learning rate"):
        train(model, mnist, small(optimizer="sgd", learning_rate=50.0, batch_size=10))
