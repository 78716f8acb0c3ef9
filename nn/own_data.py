"""A data set of one's own (nn.storage.own_datasets) as the trainers take MNIST: an nn.data.Dataset
whose test part is held out the way small data needs.

When several people drew, whole people are held out, so that a model is scored on handwriting it
has never seen; otherwise a share of each class, at random. The training part is shuffled (the
trainers hold out their validation share from its end).
"""

from __future__ import annotations

import numpy as np

from nn.data import Dataset, DatasetInfo
from nn.storage.own_datasets import DatasetError, OwnDataset

MIN_PER_CLASS = 5  # drawings a class needs before a set can be trained on
HELD_OUT = 0.2  # the share of the drawings scored, not trained on
OWN_PREFIX = "own:"  # an own set's data set name is own:<its folder's id>
# The recipe for a few dozen drawings a class: a small convolutional network, every image changed a
# little each time (augmentation), many passes over few images, small batches; the held-out
# people or share are the test, so nothing more is kept back for validation.
SMALL_DATA_PRESET = "cnn-fast"
SMALL_DATA_RECIPE = {"epochs": 40, "batch_size": 16, "augment": True, "validation_split": 0.0}


def is_own(dataset: str) -> bool:
    return str(dataset).startswith(OWN_PREFIX)


def own_set(workspace, dataset: str) -> OwnDataset:
    """The own set a run's or a model's `dataset` (own:<id>) names, in `workspace`'s sets."""
    return workspace.datasets().by_id(dataset[len(OWN_PREFIX):])


def dataset_name(workspace, name: str) -> str:
    """What a run records for the data set people call `name`: mnist and fashion-mnist as they
    are, one of their own sets as own:<id> (DatasetError when they have none of that name)."""
    from nn.data import DATASETS

    if name in DATASETS:
        return name
    return OWN_PREFIX + workspace.datasets().get(name).id


def info_of(own: OwnDataset) -> DatasetInfo:
    return DatasetInfo(name=OWN_PREFIX + own.id, title=own.name, class_names=own.classes, sha256={},
                       keras_url="", keras_files=())


def check_trainable(counts: dict[str, int]) -> None:
    """DatasetError naming every class with too few drawings to train on."""
    few = [f"{name} has {n}" for name, n in counts.items() if n < MIN_PER_CLASS]
    if few:
        raise DatasetError(f"each class needs at least {MIN_PER_CLASS} drawings to train on: "
                           f"{'; '.join(few)}")


def held_out(people: list[str], y: np.ndarray, classes: int, seed: int = 0) -> tuple[np.ndarray, str]:
    """A mask of the drawings to score on, and how they were chosen (for people): whole people when
    more than one drew and the others drew every class, else a share of each class."""
    rng = np.random.default_rng(seed)
    who = np.asarray(people, dtype=object)
    names = sorted(set(people))
    if len(names) > 1:
        mask = np.zeros(len(y), dtype=bool)
        chosen = []
        for person in rng.permutation(names):
            if mask.sum() >= HELD_OUT * len(y):
                break
            mask |= who == person
            chosen.append(person)
        if len(chosen) < len(names) and len(set(y[~mask].tolist())) == classes:
            return mask, f"the drawings of {', '.join(sorted(chosen))} (people the model never saw)"
    mask = np.zeros(len(y), dtype=bool)
    for label in range(classes):
        where = rng.permutation(np.flatnonzero(y == label))
        mask[where[:max(1, int(round(HELD_OUT * len(where))))]] = True
    return mask, f"{HELD_OUT:.0%} of each class's drawings, chosen at random"


def as_dataset(own: OwnDataset, seed: int = 0) -> tuple[Dataset, str]:
    """The set as a Dataset (DatasetError when a class has too few drawings), and how its test
    part was held out."""
    check_trainable(own.counts())
    drawings = own.drawings()
    mask, how = held_out(drawings.people, drawings.y, len(own.classes), seed)
    train = np.random.default_rng(seed).permutation(np.flatnonzero(~mask))
    y = drawings.y.astype(np.uint8)
    return Dataset(info=info_of(own), x_train=drawings.x[train], y_train=y[train],
                   x_test=drawings.x[mask], y_test=y[mask]), how
