"""nn.storage.class_shelf: publishing to the class, who may unpublish or delete, the leaderboard."""

from __future__ import annotations

import pytest

from nn.kinds.registry import build
from nn.storage.saved_models import StoreError
from nn.storage.workspaces import Workspace, WorkspaceError

ANN, BOB = Workspace("t-ann0000000"), Workspace("t-bob0000000")


@pytest.fixture(scope="module")
def small_model():
    return build("sigmoid-10", 0)


def keep(workspace: Workspace, model, name: str, accuracy: float = 0.9, params: int = 7850, **more):
    return workspace.models().save(model, name, {"dataset": "mnist", "preset": "sigmoid-10",
                                                 "test_accuracy": accuracy, "params": params, **more})


def test_a_published_model_is_everyones_to_use_and_its_owners_alone_to_take_back(small_model):
    ANN.set_person("Ann")
    keep(ANN, small_model, "mine")
    record = ANN.models().publish("mine", "Ann's first net")
    assert record.name == "class/ann-s-first-net"
    seen = {i.name: i for i in BOB.models().list()}
    info = seen["class/ann-s-first-net"]
    assert (info.owner, info.shared["by"], info.shared["title"]) == ("class", "Ann", "Ann's first net")
    assert BOB.models().load("class/ann-s-first-net") is not None  # works wherever a name does
    with pytest.raises(StoreError, match=r"published by Ann: only they \(or a teacher\) can unpublish it"):
        BOB.models().unpublish("class/ann-s-first-net")
    with pytest.raises(StoreError, match=r"is Ann's model, published to the class: only they can delete"):
        BOB.models().delete("class/ann-s-first-net")
    with pytest.raises(StoreError, match="already published to the class as \"Ann's first net\""):
        ANN.models().publish("mine", "again")
    ANN.models().unpublish("mine")
    assert "class/ann-s-first-net" not in {i.name for i in BOB.models().list()}


def test_deleting_the_model_removes_it_for_everyone_even_if_its_name_is_used_again(small_model):
    keep(ANN, small_model, "gone")
    ANN.models().publish("gone")
    assert "class/gone" in {i.name for i in BOB.models().list()}
    ANN.models().delete("gone")
    keep(ANN, small_model, "gone")  # a new model of the same name is not the published one
    assert "class/gone" not in {i.name for i in BOB.models().list()}


def test_only_ones_own_saved_models_can_be_published(small_model):
    with pytest.raises(StoreError, match="you have no saved model named 'mnist-cnn-best' to publish"):
        ANN.models().publish("mnist-cnn-best")
    keep(BOB, small_model, "bobs")
    with pytest.raises(StoreError, match="you have no saved model named 'bobs'"):
        ANN.models().publish("bobs")
    keep(ANN, small_model, "titled")
    with pytest.raises(StoreError, match="a title needs 1 to 60 characters"):
        ANN.models().publish("titled", "x" * 61)
    with pytest.raises(StoreError, match="a title starts with a letter or digit and holds letters"):
        ANN.models().publish("titled", "mine ![pixel](http://tracker.example/x.png)")  # markup for others
    assert ANN.models().publish("titled", "Zoë's CNN: 2 convs (no dropout)!").title == \
        "Zoë's CNN: 2 convs (no dropout)!"


def test_the_leaderboard_ranks_by_accuracy_then_fewer_parameters_and_leaves_out_hidden_ones(small_model):
    ANN.set_person("Ann")
    BOB.set_person("Bob")
    keep(ANN, small_model, "a", accuracy=0.95, params=9000)
    keep(BOB, small_model, "b", accuracy=0.95, params=5000)
    keep(BOB, small_model, "c", accuracy=0.97, params=100_000)
    keep(ANN, small_model, "f", accuracy=0.85, dataset="fashion-mnist")
    for workspace, name in ((ANN, "a"), (BOB, "b"), (BOB, "c"), (ANN, "f")):
        workspace.models().publish(name, f"net {name}")
    board = ANN.models().shelf.leaderboard()
    assert [(r["dataset"], r["rank"], r["title"], r["by"]) for r in board] == [
        ("fashion-mnist", 1, "net f", "Ann"), ("mnist", 1, "net c", "Bob"), ("mnist", 2, "net b", "Bob"),
        ("mnist", 3, "net a", "Ann")]
    ANN.models().shelf.set_hidden("class/net-c", True)
    assert [r["title"] for r in ANN.models().shelf.leaderboard()] == ["net f", "net b", "net a"]
    assert "class/net-c" not in {i.name for i in ANN.models().list()}


def test_a_person_is_known_by_a_chosen_name_else_a_short_code():
    someone = Workspace("t-4f9a2cdeadbeef")
    assert someone.person == "person 4f9a2c"
    for bad in ("=HYPERLINK(1)", "**Bob**", "<b>x</b>"):  # a name goes into pages and the teacher's CSV
        with pytest.raises(WorkspaceError, match="starting with a letter or digit"):
            someone.set_person(bad)
    someone.set_person("  Cem   Y. ")
    assert someone.person == "Cem Y."
