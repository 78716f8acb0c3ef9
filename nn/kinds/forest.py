"""The random forest: the question our "Neural network in practice" tutorial ends with ("try
RandomForestClassifier instead of the neural network: has the accuracy increased?").

scikit-learn grows the trees a few at a time (warm start), so the page shows a progress bar over
the trees, the forest's accuracy on the held-out images as it grows, and Stop keeps the trees
grown so far. Saved with skops (`.skops`), whose loader builds only the types it is allowed to:
here scikit-learn's own forest and tree classes, never a pickle and never code from the file.
"""

from __future__ import annotations

import json
import math
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

from nn import words
from nn.errors import ModelLoadError
from nn.kinds.kind import Kind, Predicting, Setting, ten_classes_only, unit_scaled
from nn.limits import FOREST_FILE_BYTES, FOREST_UNPACKED_BYTES, MAX_TREES
from nn.progress import LiveMetrics, TrainResult
from nn.storage.files import ArchiveError, zip_entries
from nn.training_config import TrainConfig

SUFFIX = ".skops"
MAX_TREE_NODES = 200_000  # a full-depth tree on 60,000 images has about 40,000
MAX_TREE_DEPTH = 100  # the preset's full-depth trees are about 40 levels deep
ENTRIES_PER_TREE = 5  # arrays a tree keeps in a .skops archive
SCHEMA_BYTES_PER_TREE = 40_000  # its part of the archive's schema.json (15-30 KB seen)
TREES = Setting("trees", words.term("Trees"), int, 1, MAX_TREES, 10,
                help=words.term("how many trees it grows"), default=100)
TREES_PER_STEP = 4  # trees grown between two progress reports (both cores busy)
TRAIN_SAMPLE = 5_000  # training images scored after each step, for the training-accuracy curve
EPSILON = 1e-7  # as Keras clips probabilities in its cross-entropy
TRUSTED_TYPES = ["sklearn.tree._tree.Tree"]  # besides the types skops trusts by default
# Training cost on the 2-core reference machine: seconds per tree and training image.
TREE_IMAGE_SECONDS = 2.5e-6
FINAL_SECONDS = 1.5  # the test set at the end


def _flat(images: np.ndarray) -> np.ndarray:
    """(n, 28, 28) pixels (uint8, or float in [0, 1]) -> (n, 784) float32 in [0, 1]."""
    x = np.asarray(images)
    x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
    return x.reshape(len(x) if x.ndim == 3 else 1, 28 * 28)


class _Votes:
    """The forest's averaged probabilities on some images, updated tree by tree."""

    def __init__(self, x: np.ndarray, y: np.ndarray):
        self.x, self.y = x, y
        self.sum = np.zeros((len(x), 10), dtype=np.float64)
        self.trees = 0

    def add(self, trees) -> tuple[float, float]:
        """Add these trees' votes; (log loss, accuracy) of the forest so far."""
        for tree in trees:
            self.sum += tree.predict_proba(self.x)
            self.trees += 1
        p = self.sum / max(self.trees, 1)
        loss = float(-np.log(np.clip(p[np.arange(len(self.y)), self.y], EPSILON, 1)).mean())
        return loss, float((p.argmax(axis=1) == self.y).mean())


def train(model, data, config: TrainConfig, recorder: LiveMetrics, initial_epoch: int = 0,
          on_epoch_end=None) -> TrainResult:
    """Grow the config's trees (TREES), TREES_PER_STEP at a time, reporting after each step."""
    from nn.data import training_split

    x_uint8, y, x_val, y_val = training_split(data, config)
    x = _flat(x_uint8)
    sample = np.random.default_rng(config.seed).permutation(len(x))[:TRAIN_SAMPLE]
    seen = _Votes(x[sample], y[sample].astype(np.int64))
    held_out = _Votes(_flat(x_val), y_val.astype(np.int64)) if len(x_val) else None
    recorder.on_train_begin()
    recorder.on_epoch_begin(0)
    start = time.monotonic()
    steps = recorder.progress.batches_per_epoch
    for step in range(steps):
        grown = len(getattr(model, "estimators_", []))
        model.n_estimators = min(TREES.value_in(config), (step + 1) * TREES_PER_STEP)
        model.fit(x, y)  # warm start: grows only the new trees
        new = model.estimators_[grown:]
        loss, accuracy = (held_out or seen).add(new)
        if held_out is not None:
            seen.add(new)
        recorder.record_batch(step, loss, accuracy, seen=(step + 1) * len(x) // steps)
        if recorder.halt:
            break
    logs = dict(zip(("loss", "accuracy"), seen.add([])))
    if held_out is not None:
        logs["val_loss"], logs["val_accuracy"] = held_out.add([])
    recorder.on_epoch_end(0, logs)
    seconds = time.monotonic() - start
    if on_epoch_end is not None and recorder.progress.epoch == 1:
        on_epoch_end(1, model)
    test = _Votes(_flat(data.x_test), data.y_test.astype(np.int64))
    test_loss, test_accuracy = test.add(model.estimators_)
    history = recorder.snapshot().history
    return TrainResult(history=history, test_loss=test_loss, test_accuracy=test_accuracy,
                       seconds=seconds, stopped=recorder.end_early.is_set(),
                       epochs_completed=len(history))


class ForestPredictor(Predicting):
    inside_refusal = words.term("a random forest is not a network: it has no layers, filters or hidden "
                                "features to look inside")

    def __init__(self, model):
        self.model = model

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        x = _flat(images)
        self.model.n_jobs = 1 if len(x) < 256 else -1  # starting workers costs more than one image
        return self.model.predict_proba(x).astype(np.float32)

    def saliency(self, image28: np.ndarray, class_index: int | None = None) -> np.ndarray:
        """Where the trees looked: how often each pixel was asked on this image's paths."""
        x = _flat(image28)
        counts = np.zeros(28 * 28)
        for tree in self.model.estimators_:
            nodes = tree.decision_path(x).indices
            features = tree.tree_.feature[nodes]
            np.add.at(counts, features[features >= 0], 1)
        return unit_scaled(counts)


def _check_forest(model, name: str) -> None:
    from sklearn.ensemble import RandomForestClassifier

    if not isinstance(model, RandomForestClassifier):
        raise ModelLoadError(f"{name} holds a {type(model).__name__}, not a random forest")
    classes = [int(c) for c in getattr(model, "classes_", [])]
    if getattr(model, "n_features_in_", None) != 28 * 28 or classes != list(range(10)):
        raise ModelLoadError(f"{name} is not a forest over 28x28 images with 10 classes")
    for i, estimator in enumerate(getattr(model, "estimators_", [])):
        problem = tree_problem(estimator.tree_)
        if problem:
            raise ModelLoadError(f"{name} is not a sound random forest: tree {i + 1} {problem}")


def tree_problem(tree) -> str | None:
    """What is wrong with a decision tree's structure, which scikit-learn's prediction trusts (a
    child outside the tree reads memory at random and can crash the process; a node that is its own
    child loops for ever); None when it is sound."""
    n = int(tree.node_count)
    left, right, feature = (np.asarray(a) for a in (tree.children_left, tree.children_right, tree.feature))
    if not 0 < n <= MAX_TREE_NODES or not len(left) == len(right) == len(feature) == n:
        return f"has {n:,} nodes (at most {MAX_TREE_NODES:,}, all with two children or none)"
    leaf = left == -1
    if (leaf != (right == -1)).any():
        return "has a node with one child"
    nodes = np.arange(n)
    if ((~leaf) & ((left <= nodes) | (left >= n) | (right <= nodes) | (right >= n))).any():
        return "has a node whose children do not come after it within the tree"
    if ((~leaf) & ((feature < 0) | (feature >= 28 * 28))).any():
        return "splits on a pixel that a 28x28 image does not have"
    frontier, levels = np.array([0]), 0
    while frontier.size:  # level by level from the root; children come after parents, so it ends
        inner = frontier[~leaf[frontier]]
        frontier = np.unique(np.concatenate([left[inner], right[inner]]))
        levels += bool(frontier.size)
        if levels > MAX_TREE_DEPTH:
            return f"is more than {MAX_TREE_DEPTH} levels deep"
    return None


def check_archive(path: Path) -> None:
    """Refuse a file that is not a forest this app could have grown, from its zip directory and its
    schema alone: no array is read and nothing is built (skops builds every tree before anything can
    count them, 4 s of CPU for a 4 MB file of 2,000 small trees)."""
    try:
        entries = zip_entries(path, FOREST_FILE_BYTES, FOREST_UNPACKED_BYTES,
                              "a Digit Lab random forest (.skops)")
    except ArchiveError as e:
        raise ModelLoadError(str(e)) from None
    schema = entries.get("schema.json")
    if schema is None:
        raise ModelLoadError(f"{path.name} is a zip archive but not a skops file (it has no schema.json)")
    too_many = f"{path.name} holds more than {MAX_TREES} trees, the most a forest here has"
    if (len(entries) > ENTRIES_PER_TREE * MAX_TREES + 16
            or schema.file_size > SCHEMA_BYTES_PER_TREE * MAX_TREES):
        raise ModelLoadError(too_many)
    try:
        with zipfile.ZipFile(path) as archive:
            trees = [node for node in _objects(json.loads(archive.read("schema.json")))
                     if node.get("__class__") == "Tree"]
        sizes = [int(json.loads(tree["content"]["content"]["node_count"]["content"])) for tree in trees]
    except (KeyError, TypeError, ValueError, zipfile.BadZipFile) as e:
        raise ModelLoadError(f"{path.name} is not a readable skops file ({type(e).__name__})") from None
    if len(trees) > MAX_TREES:
        raise ModelLoadError(too_many)
    if any(not 0 < n <= MAX_TREE_NODES for n in sizes):
        raise ModelLoadError(f"{path.name} has a tree of more than {MAX_TREE_NODES:,} nodes")


def _objects(schema):
    """Every JSON object in a parsed schema, without recursion (its nesting is the file's choice)."""
    todo = [schema]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            yield node
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)


class ForestKind(Kind):
    name = "forest"
    suffix = SUFFIX
    file_title = words.term("a Digit Lab random forest (.skops)")
    title = words.term("a random forest")
    settings = (TREES,)
    chance_loss = math.inf  # a forest's loss falls as it grows; there is nothing to diverge

    def build(self, source, seed: int, classes: int = 10):
        ten_classes_only(self.title, classes)
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=0, warm_start=True, n_jobs=-1, random_state=seed)

    def describe(self, source, classes: int = 10) -> list[dict]:
        return [{"layer": "trees", "type": "DecisionTreeClassifier x N", "output shape": "10",
                 "params": 0, "macs": 0}]

    def estimate_seconds(self, source, config: TrainConfig, train_size: int) -> float:
        tree_images = TREES.value_in(config) * config.training_images(train_size)
        return tree_images * TREE_IMAGE_SECONDS + FINAL_SECONDS

    def config_problems(self, config: TrainConfig) -> list[str]:
        problems = super().config_problems(config)
        if config.epochs != 1:
            problems.append("a random forest is grown in one pass: epochs must be 1")
        if config.augment:
            problems.append("the random forest trains without augmentation")
        return problems

    def settings_words(self, config: TrainConfig) -> list[words.Phrase]:
        return [words.counted("{n} tree", "{n} trees", TREES.value_in(config))]

    def new_recorder(self, config: TrainConfig, train_images: int, end_early) -> LiveMetrics:
        steps = math.ceil(TREES.value_in(config) / TREES_PER_STEP)
        return LiveMetrics(1, steps, train_images, max(1, train_images // steps), end_early=end_early,
                           chance_loss=self.chance_loss)

    def train(self, model, data, config, recorder, initial_epoch=0, on_epoch_end=None):
        return train(model, data, config, recorder, initial_epoch, on_epoch_end)

    def owns(self, model) -> bool:
        ensemble = sys.modules.get("sklearn.ensemble")
        return ensemble is not None and isinstance(model, ensemble.RandomForestClassifier)

    def save(self, model, path: Path) -> None:
        import skops.io

        skops.io.dump(model, path, compression=zipfile.ZIP_DEFLATED, compresslevel=6)

    def load(self, path: Path):
        import skops.io

        path = Path(path)
        check_archive(path)
        try:
            untrusted = set(skops.io.get_untrusted_types(file=path)) - set(TRUSTED_TYPES)
            if untrusted:
                raise ModelLoadError(f"{path.name} holds types that are not a random forest: "
                                     f"{', '.join(sorted(untrusted))[:300]}")
            model = skops.io.load(path, trusted=TRUSTED_TYPES)
        except ModelLoadError:
            raise
        except Exception as e:  # noqa: BLE001 - skops raises many types for bad files
            raise ModelLoadError(f"{path.name} could not be read as a random forest: {e}"[:300]) from None
        _check_forest(model, path.name)
        return model

    def check_file(self, path: Path) -> None:
        check_archive(Path(path))  # loading its trees is the trial's job, in a process of its own

    no_export_why = ("a random forest's trees have no converter kept up with this scikit-learn: it "
                     "answers from the server, once the pen lifts")

    def params(self, model) -> int:
        """Its size: the nodes of all its trees."""
        return int(sum(tree.tree_.node_count for tree in getattr(model, "estimators_", [])))

    def predictor(self, model) -> ForestPredictor:
        return ForestPredictor(model)
