"""Each kind checks the settings it declares itself, and says what it trained with in its own words."""

from nn.kinds.registry import all_kinds
from nn.training_config import TrainConfig


def trees(n: int) -> dict:
    return {"kind_settings": {"trees": n}}


def test_each_kind_checks_its_own_settings_and_refuses_another_kinds():
    kinds = all_kinds()
    too_many = TrainConfig(**trees(0))
    forest_problems = kinds["forest"].config_problems(too_many)
    assert any("trees must be a whole number from 1 to" in p for p in forest_problems)
    assert kinds["keras"].config_problems(too_many) == ["a Keras network has no setting 'trees'"]
    assert not any("trees" in p for p in too_many.problems())  # not a setting of every kind
    not_a_flag = TrainConfig(optimizer="sgd", kind_settings={"per_sample": "yes"})
    assert "per sample must be true or false, got 'yes'" in kinds["numpy"].config_problems(not_a_flag)
    assert kinds["forest"].config_problems(TrainConfig(epochs=1, **trees(40))) == []


def test_a_kinds_own_setting_is_changed_by_name_and_read_with_its_default():
    forest = all_kinds()["forest"]
    config = TrainConfig(epochs=1).with_settings({"trees": 40, "batch_size": 64})
    assert (config.batch_size, config.kind_settings) == (64, {"trees": 40})
    assert forest.settings_line(config) == "40 trees"
    assert forest.settings_line(TrainConfig()) == "100 trees"


def test_files_written_before_the_kinds_settings_moved_are_read():
    old_keras = {"epochs": 3, "per_sample": False, "trees": 100}  # every run wrote both, unused
    assert TrainConfig.from_dict(old_keras) == TrainConfig(epochs=3)
    old_forest = {"epochs": 1, "per_sample": False, "trees": 40}
    assert TrainConfig.from_dict(old_forest).kind_settings == {"trees": 40}
    old_numpy = {"per_sample": True, "trees": 100}
    assert TrainConfig.from_dict(old_numpy).kind_settings == {"per_sample": True}
    assert TrainConfig.from_dict(TrainConfig.from_dict(old_forest).to_dict()).kind_settings == {"trees": 40}


def test_a_shared_setting_out_of_range_is_reported_once():
    config = TrainConfig(epochs=0, **trees(1))
    problems = config.problems() + all_kinds()["forest"].config_problems(config)
    assert sum("epochs must be a whole number" in p for p in problems) == 1


def test_a_run_is_described_by_its_kind():
    kinds = all_kinds()
    assert kinds["forest"].settings_line(TrainConfig(**trees(40))) == "40 trees"
    line = kinds["keras"].settings_line(TrainConfig(epochs=3, batch_size=64))
    assert line == "3 epochs · batch 64 · adam 0.001"
