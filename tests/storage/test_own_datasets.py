"""Data sets of one's own (nn.storage.own_datasets): made, filled, read back, moved between
files; every refusal changes nothing."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image, ImageDraw

from nn.errors import DigitLabError
from nn.storage import quota
from nn.storage.own_datasets import DatasetError, DatasetStore, load_npy
from nn.storage.workspaces import Workspace


def symbol(kind: str, shift: int = 0) -> np.ndarray:
    """A 280x280 canvas (RGBA, white strokes on transparent black, as the Draw page sends it)."""
    image = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    ink = (255, 255, 255, 255)
    if kind == "check":
        pen.line([(60 + shift, 150), (120 + shift, 220), (230, 60)], fill=ink, width=18)
    elif kind == "circle":
        pen.ellipse([60 + shift, 60, 220, 220], outline=ink, width=18)
    else:  # a cross
        pen.line([(60, 60 + shift), (220, 220)], fill=ink, width=18)
        pen.line([(220, 60), (60, 220)], fill=ink, width=18)
    return np.asarray(image)


@pytest.fixture
def store(tmp_path):
    return DatasetStore(tmp_path / "drawings")


def test_a_set_of_unicode_classes_is_made_filled_and_read_back(store):
    made = store.create("Mano  ženklai", "✓, ž ,cat")
    assert (made.name, made.classes) == ("Mano ženklai", ("✓", "ž", "cat"))
    first = made.add(symbol("check"), "✓", by="Ona")
    made.add(symbol("check", 10), "✓", by="Jonas")
    made.add(symbol("circle"), "CAT", by="Ona")  # a class is found whatever its case
    assert store.get("mano ŽENKLAI").counts() == {"✓": 2, "ž": 0, "cat": 1}
    drawings = store.get("Mano ženklai").drawings()
    assert drawings.x.shape == (3, 28, 28) and drawings.x.dtype == np.uint8
    assert drawings.y.tolist() == [0, 0, 2] and drawings.people == ["Ona", "Jonas", "Ona"]
    assert drawings.x[0].max() > 200 and drawings.x[0][:, :3].max() == 0  # white on black, centred
    made.move(first, "ž")
    assert made.counts() == {"✓": 1, "ž": 1, "cat": 1}
    made.delete(first)
    assert made.counts() == {"✓": 1, "ž": 0, "cat": 1}
    assert store.get("Mano ženklai").summary() == {
        "name": "Mano ženklai", "owner": "you", "classes": ["✓", "ž", "cat"],
        "counts": {"✓": 1, "ž": 0, "cat": 1}, "size": 2}
    store.remove("Mano ženklai")
    assert store.list() == []


@pytest.mark.parametrize("name, classes, words", [
    ("one", "a", "2 to 20 classes, got 1"),
    ("many", ",".join(f"c{i}" for i in range(500)), "2 to 20 classes, got 500"),
    ("<b>bold</b>", "a,b", "may not hold '/' '<' '>'"),
    ("marks", "a,**b**", "may not hold '*'"),
    ("x" * 25, "a,b", "1 to 24 characters, got 25"),
    ("twice", "cat,Cat", "cat and Cat name the same class"),
    ("MNIST", "a,b", "every server has"),
    ("empty", "a,,b", "1 to 24 characters, got 0"),
])
def test_a_set_that_cannot_be_made_is_refused_and_nothing_is_kept(store, name, classes, words):
    with pytest.raises(DatasetError, match=words.replace("*", r"\*")):
        store.create(name, classes)
    assert store.list() == []


def test_a_drawing_that_cannot_be_added_is_refused_and_nothing_is_kept(store):
    made = store.create("shapes", ["check", "circle"])
    with pytest.raises(DatasetError, match="has no class 'square'; its classes: check, circle"):
        made.add(symbol("check"), "square")
    with pytest.raises(DigitLabError, match="no"):  # no ink: the Draw page's own refusal
        made.add(np.zeros((280, 280, 4), dtype=np.uint8), "check")
    with pytest.raises(DatasetError, match="no drawing"):
        made.delete("../set")
    assert made.counts() == {"check": 0, "circle": 0}
    with pytest.raises(DatasetError, match="already have a data set named 'Shapes'"):
        store.create("Shapes", ["a", "b"])


def test_an_export_imports_as_the_same_set(store, tmp_path):
    made = store.create("shapes", ["✓", "o", "x"])
    for shift in (0, 8):
        made.add(symbol("check", shift), "✓")
        made.add(symbol("cross", shift), "x")
    made.add(symbol("circle"), "o")
    out = made.export(tmp_path / "shapes.zip")
    again = store.import_zip(out, "shapes again")
    assert again.classes == ("✓", "o", "x") and again.counts() == {"✓": 2, "o": 1, "x": 2}
    np.testing.assert_array_equal(np.sort(again.drawings().x, axis=0), np.sort(made.drawings().x, axis=0))


def test_folders_of_ordinary_images_import_through_the_preprocessing(store, tmp_path):
    archive = tmp_path / "mine.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for kind in ("check", "circle"):
            for n in range(2):
                buffer = io.BytesIO()
                Image.fromarray(255 - symbol(kind, 6 * n)[..., 3]).save(buffer, "PNG")  # ink on paper
                z.writestr(f"mine/{kind}/{n}.png", buffer.getvalue())
    made = store.import_zip(archive, "mine")
    assert made.counts() == {"check": 2, "circle": 2}
    assert made.drawings().x[:, 14, :].max() > 100  # ink, white on black, whatever the file's polarity


def zip_of(path, entries: dict) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, payload in entries.items():
            z.writestr(name, payload)


def test_a_zip_that_reaches_out_of_its_folder_or_unpacks_too_far_is_refused(store, tmp_path):
    png = io.BytesIO()
    Image.fromarray(symbol("check")[..., 3]).save(png, "PNG")
    out_of_folder = tmp_path / "evil.zip"
    zip_of(out_of_folder, {"a/1.png": png.getvalue(), "../../outside/b/2.png": png.getvalue()})
    with pytest.raises(DatasetError, match="a path out of its folder: nothing imported"):
        store.import_zip(out_of_folder, "evil")
    bomb = tmp_path / "bomb.zip"
    zip_of(bomb, {"a/1.png": b"\0" * (201 * 2**20), "b/1.png": png.getvalue()})
    with pytest.raises(DatasetError, match="unpacks to more than 200 MB"):
        store.import_zip(bomb, "bomb")
    not_images = tmp_path / "text.zip"
    zip_of(not_images, {"a/1.png": png.getvalue(), "b/notes.png": b"not an image"})
    with pytest.raises(DatasetError, match="not an image.*nothing imported"):
        store.import_zip(not_images, "text")
    assert store.list() == [] and not (tmp_path / "outside").exists()


def test_quick_draw_arrays_are_added_and_wrong_ones_refused(store, tmp_path):
    made = store.create("doodles", ["cat", "house"])
    cats = np.zeros((3, 784), dtype=np.uint8)
    cats[:, 300:330] = 255  # a line in each, white on black as Quick, Draw! keeps them
    np.save(tmp_path / "cat.npy", cats)
    assert len(made.add_small(load_npy(tmp_path / "cat.npy"), "cat", by="me")) == 3
    for wrong, words in ((np.zeros((2, 30, 30), np.uint8), "shape \\(2, 30, 30\\)"),
                         (np.zeros((2, 28, 28), np.uint8), "have no ink"),
                         (np.full((1, 28, 28), 7.0), "numbers from 0 to 1")):
        with pytest.raises(DatasetError, match=words):
            made.add_small(wrong, "house")
    np.save(tmp_path / "pickled.npy", np.array([{"a": 1}], dtype=object))
    with pytest.raises(DatasetError, match="not a NumPy array file"):
        load_npy(tmp_path / "pickled.npy")
    assert made.counts() == {"cat": 3, "house": 0}


def test_a_persons_sets_count_in_their_quota(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_DRAWINGS_DIR", str(tmp_path / "drawings"))
    person = Workspace("t-ann0000000")
    before = quota.disk_mb(person)
    made = person.datasets().create("shapes", ["a", "b"])
    made.add(symbol("check"), "a")
    assert quota.disk_mb(person) > before
    assert Workspace("t-bob0000000").datasets().list() == []  # nobody else's


def filled(store, people: dict[str, int]):
    """A set of three shapes, each person drawing `n` of each."""
    made = store.create("shapes", ["check", "circle", "cross"])
    for person, n in people.items():
        for i in range(n):
            for kind in made.classes:
                made.add(symbol(kind, 3 * i), kind, by=person)
    return made


def test_several_peoples_set_is_scored_on_a_person_it_never_saw(store):
    from nn.own_data import as_dataset

    made = filled(store, {"Ona": 5, "Jonas": 5, "Rūta": 5})
    dataset, how = as_dataset(made, seed=1)
    assert dataset.class_names == ("check", "circle", "cross") and dataset.name == f"own:{made.id}"
    assert (len(dataset.x_train), len(dataset.x_test)) == (30, 15)  # one person of three held out
    assert "people the model never saw" in how
    assert sorted(np.bincount(dataset.y_train).tolist()) == [10, 10, 10]


def test_one_persons_set_holds_out_a_share_of_each_class(store):
    from nn.own_data import as_dataset

    dataset, how = as_dataset(filled(store, {"me": 5}), seed=0)
    assert np.bincount(dataset.y_test).tolist() == [1, 1, 1] and len(dataset.x_train) == 12
    assert "of each class's drawings" in how


def test_a_class_with_too_few_drawings_is_refused_before_training(store):
    from nn.own_data import as_dataset

    made = filled(store, {"me": 5})
    made.delete(made.drawings().ids[0])
    with pytest.raises(DatasetError, match="at least 5 drawings to train on: check has 4"):
        as_dataset(made)


def test_a_class_set_takes_everyones_drawings_and_each_changes_only_their_own(tmp_path, monkeypatch):
    from nn import own_data
    from nn.storage.own_datasets import MAX_CLASS_DRAWINGS
    from nn.storage.workspaces import class_datasets

    monkeypatch.setenv("DIGITLAB_DRAWINGS_DIR", str(tmp_path / "drawings"))
    ann, bob = Workspace("t-ann0000000"), Workspace("t-bob0000000")
    made = class_datasets().create("Our marks", ["check", "circle"])
    name = own_data.name_of(made)
    assert name == f"class:{made.id}" and own_data.is_own(name)
    assert own_data.own_set(bob, name).of_class  # every student finds it by what runs record
    with pytest.raises(DatasetError, match="must say whose it is"):
        made.add(symbol("check"), "check", by="Ann")
    anns = made.add(symbol("check"), "check", by="Ann", owner=ann.id)
    bobs = made.add(symbol("circle"), "circle", by="Bob", owner=bob.id)
    for attack in (lambda: made.delete(anns, owner=bob.id), lambda: made.move(anns, "circle", owner=bob.id)):
        with pytest.raises(DatasetError, match="only your own drawings"):
            attack()
    assert made.counts() == {"check": 1, "circle": 1}  # nothing changed
    made.delete(bobs, owner=bob.id)  # one's own, yes
    assert made.counts_by_person() == {"Ann": {"check": 1, "circle": 0}}
    made.hide(anns)  # the teacher's: out of training and test, kept for the record
    assert made.counts() == {"check": 0, "circle": 0} and len(made.drawings().ids) == 0
    assert [r["id"] for r in made.records(hidden_too=True)] == [anns]
    made.hide(anns, False)
    assert made.counts() == {"check": 1, "circle": 0}
    monkeypatch.setattr("nn.storage.own_datasets.MAX_CLASS_DRAWINGS", 2)
    made.add(symbol("circle"), "circle", by="Ann", owner=ann.id)
    with pytest.raises(DatasetError, match="at most 2"):
        made.add(symbol("circle", 5), "circle", by="Ann", owner=ann.id)
    assert made.counts() == {"check": 1, "circle": 1} and MAX_CLASS_DRAWINGS == 500
    assert ann.datasets().list() == [] and bob.datasets().list() == []  # nobody's own
