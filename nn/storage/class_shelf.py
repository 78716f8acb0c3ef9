"""The class's shelf: models people have published to the class, under a title.

A published model stays in its owner's workspace: the shelf holds one small record per model
(`<models folder>/class/<slug>.json`: title, owner's workspace, model name and identity) and
everyone reads the owner's file through it, as `class/<slug>`. So only the owner (or a teacher)
can unpublish it, nobody else can change or delete it, and deleting the model removes it for
everyone: a record whose model is gone, or was replaced by another of the same name, is stale and
is removed when it is next read. A teacher can hide a model without unpublishing it.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from nn.errors import StoreError
from nn.limits import PLAIN_PUNCTUATION, is_plain
from nn.storage.files import write_atomic
from nn.storage.saved_models import ModelInfo, ModelStore

PREFIX = "class/"  # a class model's name: class/<slug>
MAX_TITLE = 60
SLUG_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,47}")


@dataclass(frozen=True)
class Published:
    slug: str
    title: str
    workspace: str  # the owner's
    model: str  # its name in the owner's workspace
    identity: str  # the model's own (see identity_of): a new model of the same name is not this one
    published_at: float
    hidden: bool = False  # by a teacher: off the picker and the leaderboard, still the owner's

    @property
    def name(self) -> str:
        return PREFIX + self.slug


def identity_of(info: ModelInfo) -> str:
    """What tells one saved model from a later one of the same name."""
    return str(info.metadata.get("model_id") or info.metadata.get("created") or "")


def slug_of(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].strip("-")
    return slug or "model"


def check_title(title: str) -> str:
    title = " ".join(str(title).split())
    if not title or len(title) > MAX_TITLE:
        raise StoreError(f"a title needs 1 to {MAX_TITLE} characters")
    if not is_plain(title):
        raise StoreError(f"a title starts with a letter or digit and holds letters, digits, spaces and "
                         f"{PLAIN_PUNCTUATION.strip()} only")
    return title


class ClassShelf:
    """The published models of one server's class. `models_of(workspace id)` is that person's
    ModelStore; `person_of(workspace id)` the name the class knows them by."""

    def __init__(self, root: Path, models_of: Callable[[str], ModelStore],
                 person_of: Callable[[str], str] = str):
        self.root = Path(root)
        self.models_of = models_of
        self.person_of = person_of

    # --- reading -------------------------------------------------------------------------------
    def records(self) -> list[Published]:
        """Every record that still names its model, oldest first; stale ones are removed."""
        return [record for record, _ in self._live()]

    def _live(self) -> list[tuple[Published, ModelInfo]]:
        """Each record with its model, oldest first; a record whose model was deleted or replaced
        is removed."""
        found = []
        for path in sorted(self.root.glob("*.json")) if self.root.is_dir() else []:
            record = self._read(path)
            info = self._model(record) if record is not None else None
            if info is None:
                path.unlink(missing_ok=True)
                continue
            found.append((record, info))
        return sorted(found, key=lambda pair: pair[0].published_at)

    def _read(self, path: Path) -> Published | None:
        try:
            return Published(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def _model(self, record: Published) -> ModelInfo | None:
        try:
            info = self.models_of(record.workspace).own_model(record.model)
        except ValueError:  # not a workspace (a record written by hand)
            return None
        if info is None or identity_of(info) != record.identity:
            return None
        return info

    def infos(self, hidden_too: bool = False) -> list[ModelInfo]:
        """The published models as ModelInfos named class/<slug>, read-only to everyone."""
        return [ModelInfo(record.name, info.path, info.metadata,
                          shared={"title": record.title, "by": self.person_of(record.workspace),
                                  "workspace": record.workspace, "hidden": record.hidden})
                for record, info in self._live() if hidden_too or not record.hidden]

    def of_model(self, workspace: str, model: str) -> Published | None:
        return next((r for r in self.records() if r.workspace == workspace and r.model == model), None)

    def get(self, name: str) -> Published:
        record = next((r for r in self.records() if r.name == name), None)
        if record is None:
            raise StoreError(f"no model named {name!r} is published to the class")
        return record

    # --- writing -------------------------------------------------------------------------------
    def publish(self, workspace: str, model: str, title: str | None = None) -> Published:
        """Publish one of `workspace`'s own models under `title` (default: its name)."""
        info = self.models_of(workspace).own_model(model)
        if info is None:
            raise StoreError(f"you have no saved model named {model!r} to publish")
        if (already := self.of_model(workspace, model)) is not None:
            raise StoreError(f"{model!r} is already published to the class as {already.title!r}")
        title = check_title(title or model)
        record = Published(self._free_slug(slug_of(title)), title, workspace, model,
                           identity_of(info), time.time())
        self.root.mkdir(parents=True, exist_ok=True)
        self._write(record)
        return record

    def _free_slug(self, base: str) -> str:
        taken = {path.stem for path in self.root.glob("*.json")} if self.root.is_dir() else set()
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        return slug

    def _write(self, record: Published) -> None:
        write_atomic(self.root / f"{record.slug}.json",
                     lambda tmp: tmp.write_text(json.dumps(asdict(record), indent=1)))

    def unpublish(self, name: str, workspace: str, teacher: bool = False) -> Published:
        """Take `name` (class/<slug>, or the owner's own model name) off the shelf: its owner or
        a teacher only."""
        record = (self.get(name) if name.startswith(PREFIX)
                  else self.of_model(workspace, name) or self.get(PREFIX + name))
        if record.workspace != workspace and not teacher:
            raise StoreError(f"{record.title!r} was published by {self.person_of(record.workspace)}: "
                             "only they (or a teacher) can unpublish it")
        (self.root / f"{record.slug}.json").unlink(missing_ok=True)
        return record

    def set_hidden(self, name: str, hidden: bool) -> Published:
        """A teacher's: keep a model off the picker and the leaderboard, or show it again."""
        record = replace(self.get(name), hidden=hidden)
        self._write(record)
        return record

    def leaderboard(self) -> list[dict]:
        """The published models (not hidden) ranked by test accuracy within each data set; ties go
        to fewer parameters."""
        ranked = sorted((i for i in self.infos() if i.test_accuracy is not None),
                        key=lambda i: (i.dataset, -i.test_accuracy, i.metadata.get("params") or 0))
        rows, place = [], {}
        for info in ranked:
            place[info.dataset] = place.get(info.dataset, 0) + 1
            m = info.metadata
            rows.append({"rank": place[info.dataset], "dataset": info.dataset, "title": info.shared["title"],
                         "by": info.shared["by"], "test_accuracy": info.test_accuracy,
                         "params": m.get("params"), "training_seconds": m.get("seconds"),
                         "model": info.origin, "name": info.name})
        return rows
