"""The class's shelf: models people have published to the class, under a title.

A published model stays in its owner's workspace: the shelf holds one small record per model
(`<models folder>/class/<slug>.json`: title, owner's workspace, model name and identity) and
everyone reads the owner's file through it, as `class/<slug>`. So only the owner (or a teacher)
can unpublish it, nobody else can change or delete it, and deleting the model removes it for
everyone: a record whose model is gone, or was replaced by another of the same name, is stale and
is removed when it is next read. A teacher can hide a model without unpublishing it; both hold
for the model's file (its SHA-256), so unpublishing and sharing it again does not undo them.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from nn import words
from nn.errors import StoreError
from nn.limits import PLAIN_PUNCTUATION, is_plain
from nn.phrases import said
from nn.storage.files import temp_beside, write_atomic
from nn.storage.locks import waiting_for
from nn.storage.saved_models import ModelInfo, ModelStore

PREFIX = "class/"  # a class model's name: class/<slug>
MAX_TITLE = 60
MODERATION_FILE = ".moderation"  # a teacher's decisions: {file's SHA-256: "hidden" or "unpublished"}
HIDDEN, UNPUBLISHED = "hidden", "unpublished"


@dataclass(frozen=True)
class Published:
    slug: str
    title: str
    workspace: str  # the owner's
    model: str  # its name in the owner's workspace
    identity: str  # the model's own (see identity_of): a new model of the same name is not this one
    published_at: float
    hidden: bool = False  # by a teacher: off the picker and the leaderboard, still the owner's
    content: str = ""  # the SHA-256 of its file: a teacher's decision holds for these bytes

    @property
    def name(self) -> str:
        return PREFIX + self.slug


def content_of(path: Path) -> str:
    """The SHA-256 of a model file: the same model, whatever its name or whoever shares it."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def identity_of(info: ModelInfo) -> str:
    """What tells one saved model from a later one of the same name."""
    return str(info.metadata.get("model_id") or info.metadata.get("created") or "")


def slug_of(title: str) -> str:
    return words.slug(title)


def check_title(title: str) -> str:
    title = str(title)
    title = " ".join(title.split()) if len(title) <= 4 * MAX_TITLE else ""  # a form can send megabytes
    if not title or len(title) > MAX_TITLE:
        raise StoreError(said("a title needs 1 to {most} characters", most=MAX_TITLE))
    if not is_plain(title):
        raise StoreError(said("a title starts with a letter or digit and holds letters, digits, spaces and "
                              "{punctuation} only", punctuation=PLAIN_PUNCTUATION.strip()))
    return title


class ClassShelf:
    """The published models of one server's class. `models_of(workspace id)` is that person's
    ModelStore; `person_of(workspace id)` the name the class knows them by; `shares(workspace id)`
    whether they may publish."""

    def __init__(self, root: Path, models_of: Callable[[str], ModelStore],
                 person_of: Callable[[str], str] = str, shares: Callable[[str], bool] = lambda w: True):
        self.root = Path(root)
        self.models_of = models_of
        self.person_of = person_of
        self.shares = shares  # whether a workspace may publish (a guest may not)

    # --- reading -------------------------------------------------------------------------------
    def records(self) -> list[Published]:
        """Every record that still names its model, oldest first; stale ones are removed."""
        return [record for record, _ in self._live()]

    def _live(self) -> list[tuple[Published, ModelInfo]]:
        """Each record with its model, oldest first; a record whose model was deleted or replaced
        is removed."""
        found = []
        for path in sorted(self.root.glob("*.json")) if self.root.is_dir() else []:
            if path.name.startswith("."):  # a record being written (pathlib's glob lists dotfiles)
                continue
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
            raise StoreError(said("no model named {name} is published to the class", name=repr(name)))
        return record

    # --- writing -------------------------------------------------------------------------------
    def publish(self, workspace: str, model: str, title: str | None = None) -> Published:
        """Publish one of `workspace`'s own models under `title` (default: its name)."""
        if not self.shares(workspace):
            raise StoreError(said("guests do not share models: log in (in the sidebar) to share with the "
                                  "class"))
        info = self.models_of(workspace).own_model(model)
        if info is None:
            raise StoreError(said("you have no saved model named {name} to publish", name=repr(model)))
        if (already := self.of_model(workspace, model)) is not None:
            raise StoreError(said("{name} is already published to the class as {title}", name=repr(model),
                                  title=repr(already.title)))
        title = check_title(title or model)
        content = content_of(info.path)
        decided = self._moderation().get(content)
        if decided == UNPUBLISHED:
            raise StoreError(said("your teacher took this model off the class: it cannot be shared again"))
        record = Published(slug_of(title), title, workspace, model, identity_of(info), time.time(),
                           hidden=decided == HIDDEN, content=content)
        self.root.mkdir(parents=True, exist_ok=True)
        return self._claim(record)

    def _claim(self, record: Published) -> Published:
        """Write `record` under its slug, or the first free one after it (slug-2, slug-3...). Each
        slug is claimed with an exclusive link, so shares under one title at once all land."""
        base, n = record.slug, 1
        tmp = temp_beside(self.root / f"{base}.json", lambda p: None)
        try:
            while True:
                tmp.write_text(json.dumps(asdict(record), indent=1))
                try:
                    os.link(tmp, self.root / f"{record.slug}.json")  # fails if the slug is taken
                    return record
                except FileExistsError:
                    n += 1
                    record = replace(record, slug=f"{base}-{n}")
        finally:
            tmp.unlink(missing_ok=True)

    def _write(self, record: Published) -> None:
        write_atomic(self.root / f"{record.slug}.json",
                     lambda tmp: tmp.write_text(json.dumps(asdict(record), indent=1)))

    def unpublish(self, name: str, workspace: str, teacher: bool = False) -> Published:
        """Take `name` (class/<slug>, or the owner's own model name) off the shelf: its owner or
        a teacher only."""
        record = (self.get(name) if name.startswith(PREFIX)
                  else self.of_model(workspace, name) or self.get(PREFIX + name))
        if record.workspace != workspace and not teacher:
            raise StoreError(said("{title} was published by {person}: only they (or a teacher) can "
                                  "unpublish it", title=repr(record.title),
                                  person=self.person_of(record.workspace)))
        if teacher:  # for good: sharing the same file again is refused
            self._decide(record, UNPUBLISHED)
        (self.root / f"{record.slug}.json").unlink(missing_ok=True)
        return record

    def set_hidden(self, name: str, hidden: bool) -> Published:
        """A teacher's: keep a model off the picker and the leaderboard, or show it again. It holds
        for the model's file, also if its owner unpublishes it and shares it again."""
        record = replace(self.get(name), hidden=hidden)
        self._decide(record, HIDDEN if hidden else None)
        self._write(record)
        return record

    # --- a teacher's decisions, by the model file's content ------------------------------------
    def _moderation(self) -> dict[str, str]:
        try:
            decided = json.loads((self.root / MODERATION_FILE).read_text())
        except (OSError, ValueError):
            return {}
        return decided if isinstance(decided, dict) else {}

    def _decide(self, record: Published, decision: str | None) -> None:
        content = record.content or self._content_of(record)
        if not content:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with waiting_for(self.root / f"{MODERATION_FILE}.lock"):
            decided = self._moderation()
            if decision is None:
                decided.pop(content, None)
            else:
                decided[content] = decision
            write_atomic(self.root / MODERATION_FILE, lambda tmp: tmp.write_text(json.dumps(decided)))

    def _content_of(self, record: Published) -> str:
        info = self._model(record)
        return content_of(info.path) if info is not None else ""

    def leaderboard(self) -> list[dict]:
        """The published models (not hidden) ranked by test accuracy within each data set; ties go
        to fewer parameters."""
        ranked = sorted((i for i in self.infos() if i.test_accuracy is not None),
                        key=lambda i: (i.dataset, -i.test_accuracy, i.metadata.get("params") or 0))
        rows, place = [], {}
        for info in ranked:
            place[info.dataset] = place.get(info.dataset, 0) + 1
            m = info.metadata
            rows.append({"rank": place[info.dataset], "dataset": info.dataset,
                         "dataset_title": m.get("dataset_title") or info.dataset,
                         "title": info.shared["title"],
                         "by": info.shared["by"], "test_accuracy": info.test_accuracy,
                         "params": m.get("params"), "training_seconds": m.get("seconds"),
                         "model": info.origin, "name": info.name, "tested_on": m.get("tested_on")})
        return rows
