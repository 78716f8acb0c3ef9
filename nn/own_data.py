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
SPLIT_SEED = 0
OWN_PREFIX = "own:"  # an own set's data set name is own:<its folder's id>
CLASS_PREFIX = "class:"  # a class set's: class:<its folder's id>
# The recipe for a few dozen drawings a class: a small convolutional network, every image changed a
# little each time (augmentation), many passes over few images, small batches; the held-out
# people or share are the test, so nothing more is kept back for validation.
SMALL_DATA_PRESET = "cnn-fast"
SMALL_DATA_RECIPE = {"epochs": 40, "batch_size": 16, "augment": True, "validation_split": 0.0}


TRANSFER_LEARNING_RATE = 1e-3  # a trained network's layers move gently


def transfer_config(seed: int = 0, keep_features: bool = False):
    """How a model's layers are taught one's own classes: the recipe for small data, gently."""
    from nn.training_config import TrainConfig

    return TrainConfig(**{**SMALL_DATA_RECIPE, "learning_rate": TRANSFER_LEARNING_RATE}, seed=seed,
                       kind_settings={"keep_features": True} if keep_features else {})


def is_own(dataset: str) -> bool:
    """Whether `dataset` is drawn by people here: one person's set, or the class's."""
    return str(dataset).startswith((OWN_PREFIX, CLASS_PREFIX))


def own_set(workspace, dataset: str) -> OwnDataset:
    """The set a run's or a model's `dataset` names: own:<id> in `workspace`'s sets, class:<id>
    in the class's."""
    from nn.storage.workspaces import class_datasets

    if str(dataset).startswith(CLASS_PREFIX):
        return class_datasets().by_id(dataset[len(CLASS_PREFIX):])
    return workspace.datasets().by_id(dataset[len(OWN_PREFIX):])


def name_of(own: OwnDataset) -> str:
    """What runs and models record for the set."""
    return (CLASS_PREFIX if own.of_class else OWN_PREFIX) + own.id


def file_name_part(workspace, dataset: str) -> str:
    """The data set as part of a model's default name: mnist as it is, a drawn set by its name
    made safe for file names ("Mano ženklai" -> "mano-enklai"; "own" when nothing is left)."""
    from nn import words

    if not is_own(dataset):
        return dataset
    try:
        return words.slug(own_set(workspace, dataset).name, "own")
    except DatasetError:
        return "own"


def dataset_name(workspace, name: str) -> str:
    """What a run records for the data set people call `name`: mnist and fashion-mnist as they
    are, one of their own sets as own:<id>, else the class's set of that name as class:<id>
    (DatasetError when there is none)."""
    from nn.data import DATASETS
    from nn.storage.workspaces import class_datasets

    if name in DATASETS:
        return name
    try:
        return name_of(workspace.datasets().get(name))
    except DatasetError:
        try:
            return name_of(class_datasets().get(name))
        except DatasetError:
            pass
        raise


def info_of(own: OwnDataset) -> DatasetInfo:
    return DatasetInfo(name=name_of(own), title=own.name, class_names=own.classes, sha256={},
                       keras_url="", keras_files=())


def training_images(drawings: int) -> int:
    """About how many of a set's drawings a run trains on (the rest are held out), for estimates."""
    return max(1, drawings - int(round(HELD_OUT * drawings)))


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
    """The set as a Dataset (DatasetError when a class has too few drawings), its training part
    shuffled by `seed`, and how its test part was held out."""
    check_trainable(own.counts())
    drawings = own.drawings()
    # One split for every run, whatever its seed: each model of the set is scored on the same
    # drawings (the leaderboard, Evaluate), and never on one it trained on.
    mask, how = held_out(drawings.people, drawings.y, len(own.classes), SPLIT_SEED)
    train = np.random.default_rng(seed).permutation(np.flatnonzero(~mask))
    y = drawings.y.astype(np.uint8)
    return Dataset(info=info_of(own), x_train=drawings.x[train], y_train=y[train],
                   x_test=drawings.x[mask], y_test=y[mask]), how
