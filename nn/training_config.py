"""Training settings: one typed, checked config for every trainer, checked against nn.limits
(where the forms and the command line read the same bounds, through each kind's `Setting`s).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np

from nn.errors import DigitLabError
from nn.limits import (
    FINE_TUNE_LEARNING_RATES,
    FINE_TUNE_MAX_EPOCHS,
    MAX_BATCH_SIZE,
    MAX_EPOCHS,
    MAX_LEARNING_RATE,
    MAX_VALIDATION_SPLIT,
    MIN_SUBSET,
)

OPTIMIZERS = ("adam", "sgd", "rmsprop")  # names keras.optimizers.get() resolves
LR_SCHEDULES = ("constant", "cosine")

# The data sets' sizes.
TRAIN_IMAGES = 60_000  # both data sets have 60,000 training images ...
TEST_IMAGES = 10_000  # ... and 10,000 test images

class ConfigError(DigitLabError, ValueError):
    """A training config that cannot be used; the message lists every problem."""


@dataclass
class TrainConfig:
    epochs: int = 5  # passes over the training set
    batch_size: int = 32  # images per gradient step
    optimizer: str = "adam"  # adam, sgd or rmsprop
    learning_rate: float = 1e-3  # peak learning rate
    validation_split: float = 0.1  # share of the training images held out for validation
    augment: bool = False  # random changes of the images while training (nn.kinds.keras.augment)
    seed: int = 0  # fixes initial weights, shuffling, dropout and augmentation
    subset: int | None = None  # train on only the first N training images
    lr_schedule: str = "constant"  # constant, or cosine: warm-up then cosine decay
    warmup: float = 0.1  # cosine only: this share of all the steps warms the learning rate up
    beta_1: float = 0.9  # Adam only: how much of the past gradients each step keeps ...
    beta_2: float = 0.999  # ... and of their squares
    label_smoothing: float = 0.0  # 0 for plain cross-entropy
    # The settings only one kind has, by name: declared, read and checked by that kind
    # (nn.kinds.kind.Setting; the NumPy network's per_sample, the forest's trees).
    kind_settings: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        data = _moved_kind_settings(data)
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown training settings: {', '.join(sorted(unknown))}")
        return cls(**data)

    def with_settings(self, values: dict) -> TrainConfig:
        """This config with settings changed by name: its own fields, and the rest as the kind's."""
        own = {f.name for f in fields(self)} - {"kind_settings"}
        return replace(self, **{k: v for k, v in values.items() if k in own},
                       kind_settings={**self.kind_settings,
                                      **{k: v for k, v in values.items() if k not in own}})

    @classmethod
    def for_preset(cls, preset, **overrides) -> TrainConfig:
        """The preset's default hyperparameters, with overrides by setting name, a kind's own ones
        too (None means keep the default)."""
        base = dict(
            epochs=preset.epochs, batch_size=preset.batch_size, optimizer=preset.optimizer,
            learning_rate=preset.learning_rate, augment=preset.augment,
            lr_schedule=preset.lr_schedule, warmup=preset.warmup, beta_1=preset.beta_1,
            beta_2=preset.beta_2, subset=preset.subset, validation_split=preset.validation_split,
        )
        return cls.from_dict(base).with_settings({k: v for k, v in overrides.items() if v is not None})

    @classmethod
    def for_fine_tuning(cls, epochs: int = 3, learning_rate: float = 1e-4) -> TrainConfig:
        """Fine-tuning a saved model on one's drawings (the Train page's and `nn train --fine-tune`):
        small batches, a small learning rate; ConfigError outside the form's ranges."""
        low, high = FINE_TUNE_LEARNING_RATES
        if not 1 <= epochs <= FINE_TUNE_MAX_EPOCHS or not low <= learning_rate <= high:
            raise ConfigError(f"fine-tuning takes 1 to {FINE_TUNE_MAX_EPOCHS} epochs and a learning rate "
                              f"from {low:g} to {high:g}")
        return cls(epochs=int(epochs), batch_size=32, learning_rate=float(learning_rate))

    def to_dict(self) -> dict:
        return asdict(self)

    def training_images(self, train_size: int = TRAIN_IMAGES) -> int:
        """How many images one epoch trains on: the subset minus the validation share."""
        n = min(self.subset or train_size, train_size)
        return n - int(round(n * self.validation_split))

    def problems(self, train_size: int | None = None) -> list[str]:
        """Every problem with this config, as sentences for people; empty when it is usable."""
        p = []

        def is_int(value) -> bool:
            return isinstance(value, (int, np.integer)) and not isinstance(value, bool)

        def is_number(value) -> bool:
            return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

        if not is_int(self.epochs) or not 1 <= self.epochs <= MAX_EPOCHS:
            p.append(f"epochs must be a whole number from 1 to {MAX_EPOCHS}, got {self.epochs!r}")
        if not is_int(self.batch_size) or not 1 <= self.batch_size <= MAX_BATCH_SIZE:
            p.append(f"batch size must be a whole number from 1 to {MAX_BATCH_SIZE}, got {self.batch_size!r}")
        if self.optimizer not in OPTIMIZERS:
            p.append(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        lr = self.learning_rate
        if not is_number(lr) or not 0 < lr <= MAX_LEARNING_RATE:
            p.append(f"learning rate must be above 0 and at most {MAX_LEARNING_RATE:g}, got {lr!r}")
        if not is_number(self.validation_split) or not 0 <= self.validation_split <= MAX_VALIDATION_SPLIT:
            p.append(f"validation split must be between 0 and {MAX_VALIDATION_SPLIT}, "
                     f"got {self.validation_split!r}")
        if not is_int(self.seed) or self.seed < 0:
            p.append(f"seed must be a whole number >= 0, got {self.seed!r}")
        if self.lr_schedule not in LR_SCHEDULES:
            p.append(f"learning-rate schedule must be one of {', '.join(LR_SCHEDULES)}")
        if not is_number(self.warmup) or not 0 <= self.warmup < 1:
            p.append(f"warm-up must be a share of the steps in [0, 1), got {self.warmup!r}")
        if not all(is_number(b) and 0 <= b < 1 for b in (self.beta_1, self.beta_2)):
            p.append(f"Adam's betas must be in [0, 1), got {self.beta_1!r} and {self.beta_2!r}")
        if not isinstance(self.kind_settings, dict):
            p.append(f"a kind's own settings must be given by name, got {self.kind_settings!r}")
        if not isinstance(self.augment, bool):
            p.append(f"augment must be true or false, got {self.augment!r}")
        if not is_number(self.label_smoothing) or not 0 <= self.label_smoothing < 1:
            p.append(f"label smoothing must be in [0, 1), got {self.label_smoothing!r}")
        if self.subset is not None:
            if not is_int(self.subset) or self.subset < MIN_SUBSET:
                p.append(f"subset must be a whole number of at least {MIN_SUBSET} images, "
                         f"got {self.subset!r}")
            elif train_size is not None and self.subset > train_size:
                p.append(f"subset of {self.subset} is larger than the {train_size} training images")
        return p

    def check(self, train_size: int | None = None) -> None:
        problems = self.problems(train_size)
        if problems:
            raise ConfigError("; ".join(problems))


# Run and model files written before 2026-12 keep the kinds' settings among the shared ones, at
# these defaults when the kind did not have them.
FORMER_KIND_FIELDS = {"per_sample": False, "trees": 100}


def _moved_kind_settings(data: dict) -> dict:
    """`data` with a former top-level kind setting moved into kind_settings (dropped at its old
    default, which meant "not this kind's")."""
    if not FORMER_KIND_FIELDS.keys() & data.keys():
        return data
    data = dict(data)
    moved = {name: data.pop(name) for name in FORMER_KIND_FIELDS if name in data}
    kept = {name: v for name, v in moved.items() if v != FORMER_KIND_FIELDS[name]}
    data["kind_settings"] = {**kept, **data.get("kind_settings", {})}
    return data
