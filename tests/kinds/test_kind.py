"""Each kind checks the settings it declares itself, and says what it trained with in its own words."""

from nn.kinds.registry import all_kinds
from nn.training_config import TrainConfig


def test_each_kind_checks_its_own_settings_and_no_other_kind_does():
    kinds = all_kinds()
    too_many = TrainConfig(trees=0)
    forest_problems = kinds["forest"].config_problems(too_many)
    assert any("trees must be a whole number from 1 to" in p for p in forest_problems)
    assert not any("trees" in p for p in kinds["keras"].config_problems(too_many))
    assert not any("trees" in p for p in too_many.problems())  # not a setting of every kind
    not_a_flag = TrainConfig(optimizer="sgd", per_sample="yes")
    assert "per sample must be true or false, got 'yes'" in kinds["numpy"].config_problems(not_a_flag)
    assert kinds["forest"].config_problems(TrainConfig(epochs=1, trees=40)) == []


def test_a_shared_setting_out_of_range_is_reported_once():
    config = TrainConfig(epochs=0, trees=1)
    problems = config.problems() + all_kinds()["forest"].config_problems(config)
    assert sum("epochs must be a whole number" in p for p in problems) == 1


def test_a_run_is_described_by_its_kind():
    kinds = all_kinds()
    assert kinds["forest"].settings_line(TrainConfig(trees=40)) == "40 trees"
    line = kinds["keras"].settings_line(TrainConfig(epochs=3, batch_size=64))
    assert line == "3 epochs · batch 64 · adam 0.001"
