"""nn.words: one way to write each kind of number, across the pages and the CLI's text."""

from __future__ import annotations

from datetime import UTC, datetime

from nn import words
from nn.kinds import registry as kinds
from nn.training_config import TrainConfig


def test_counts_agree_with_their_number():
    assert words.count(1, "epoch") == "1 epoch"
    assert words.count(8, "epoch") == "8 epochs"
    assert words.count(1228800, "parameter") == "1,228,800 parameters"
    assert words.count(2, "class", "classes") == "2 classes"


def test_shares_and_times_read_one_way():
    assert words.accuracy(0.99123) == "99.12%" and words.accuracy(0.5) == "50.00%"
    assert words.confidence(0.874) == "87%"
    assert words.duration(3824) == "1:03:44" and words.duration(75) == "1:15"
    at = datetime(2026, 11, 22, 7, 7, 36, tzinfo=UTC)
    shown = at.astimezone().strftime("%d %b %H:%M")
    assert words.moment(at.isoformat()) == words.moment(at.timestamp()) == shown
    assert words.moment(None) == words.moment("not a time") == "–"


def test_a_run_of_one_epoch_says_one_epoch():
    kind = kinds.of_source("dense-128")
    line = kind.settings_line(TrainConfig(epochs=1, batch_size=128, learning_rate=0.01))
    assert line.startswith("1 epoch · ") and "0.01" in line and "0.0100" not in line


def test_a_sentence_that_ends_in_an_initial_gets_no_second_full_stop():
    assert "Ada L." + words.full_stop("Ada L.") == "Ada L." and "Ann" + words.full_stop("Ann") == "Ann."


def test_a_layers_shape_is_one_images_without_the_batchs_none():
    assert words.shape((28, 28, 1)) == "28×28×1" and words.shape([10]) == "10"
