"""nn.kinds.keras.training: real TensorFlow training on small subsets of real MNIST."""

from __future__ import annotations

import numpy as np
import pytest

from nn.kinds.keras.training import MetricsRecorder, make_optimizer, settle_batch_norm, train
from nn.kinds.registry import build
from nn.presets import PRESETS
from nn.progress import TrainingDiverged
from nn.training_config import ConfigError, TrainConfig


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
    ({"warmup": 1.0}, "warm-up must be a share"),
    ({"beta_1": 1.0}, "Adam's betas"),
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


@pytest.mark.parametrize("epochs", [1, 3, 15])
def test_the_cosine_schedule_spreads_over_the_epochs_chosen(epochs):
    # cnn-best once warmed up over a fixed epoch: trained for one epoch it never left warm-up
    config = TrainConfig(epochs=epochs, learning_rate=0.01, lr_schedule="cosine", warmup=0.2)
    steps = 100
    lr = make_optimizer(config, steps)._learning_rate  # the schedule itself
    rates = [float(lr(step)) for step in range(epochs * steps + 1)]
    peak = int(np.argmax(rates))
    assert peak == pytest.approx(0.2 * epochs * steps, abs=1)
    assert rates[peak] == pytest.approx(0.01)
    assert rates[0] == pytest.approx(0.001) and rates[-1] == pytest.approx(0.0001, rel=0.05)


def test_adam_gets_the_configured_betas():
    optimizer = make_optimizer(TrainConfig(beta_1=0.7, beta_2=0.9), 10)
    assert (optimizer.beta_1, optimizer.beta_2) == (0.7, 0.9)


def test_cnn_fast_learns_from_a_few_thousand_images_in_one_epoch(mnist):
    from nn.data import training_split

    config = TrainConfig.for_preset(PRESETS["cnn-fast"], subset=5000, seed=1)
    model = build("cnn-fast", 1)
    result = train(model, mnist, config)
    assert config.epochs == 1 and result.test_accuracy > 0.93
    # the last epoch's held-out scores are those of the model kept (batch norm settled)
    _, _, x_val, y_val = training_split(mnist, config)
    kept = model.predict(x_val / np.float32(255), verbose=0).argmax(axis=1)
    assert result.history[-1]["val_accuracy"] == pytest.approx(np.mean(kept == y_val), abs=1e-9)


def test_settled_batch_norm_holds_the_mean_over_the_batches():
    import keras
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                              keras.layers.BatchNormalization(momentum=0.99)])
    x = np.random.default_rng(0).integers(0, 256, (2048, 28, 28), dtype=np.uint8)
    settle_batch_norm(model, x)
    norm = model.layers[-1]
    assert np.allclose(norm.moving_mean.numpy(), x.reshape(-1, 784).mean(0) / 255.0, atol=1e-4)
    assert norm.momentum == 0.99


def test_a_fitted_temperature_is_folded_into_the_softmax_layer(mnist):
    from nn.data import training_split
    from nn.kinds.keras.calibration import fit_temperature

    config = small(epochs=2, subset=5000, validation_split=0.2)
    model = build("dense-128", 0)
    result = train(model, mnist, config)
    calibration = result.calibration
    assert calibration is not None and calibration["temperature"] > 0
    assert 0 <= calibration["test_ece_after"] <= 1 and 0 <= calibration["test_ece_before"] <= 1
    _, _, x_val, y_val = training_split(mnist, config)
    after = model.predict(x_val / np.float32(255), verbose=0)
    assert fit_temperature(after, y_val) == pytest.approx(1.0, rel=0.03)  # nothing left to fit
