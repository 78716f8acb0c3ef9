"""ui.charts, as figures: what a newcomer reads off them (issue 34)."""

from __future__ import annotations

from ui import charts


def board(*entries):
    return [{"name": f"class/{n}", "title": n, "by": "Ann", "rank": i + 1, "params": p, "test_accuracy": a}
            for i, (n, p, a) in enumerate(entries)]


def test_the_leaderboard_axis_stays_within_0_and_100_percent_with_tens_of_thousands_on_the_other():
    fig = charts.standing(board(("a", 101_770, 0.981), ("b", 318_000, 1.0), ("c", 25_000, 0.52)), set())
    low, high = fig.layout.yaxis.range
    assert 0 <= low < 0.52 and 0.999 < high <= 1.0
    assert fig.layout.xaxis.type == "log" and fig.layout.xaxis.dtick == 1  # 10k, 100k: no minor labels
    one = charts.standing(board(("only", 101_770, 0.99)), set())
    assert one.layout.yaxis.range[1] <= 1.0 and one.layout.yaxis.range[0] < 0.99


def test_tied_models_are_one_dot_that_says_how_many_and_names_each():
    rows = board(("mine", 101_770, 0.98), ("theirs", 101_770, 0.98), ("other", 50_000, 0.97))
    scatter = charts.standing(rows, {"class/mine"}).data[0]
    assert len(scatter.x) == 2 and list(scatter.text) == ["×2", ""]
    assert "mine by Ann" in scatter.customdata[0] and "theirs by Ann" in scatter.customdata[0]
    assert scatter.marker.color[0] == charts.ACCENT  # the person's own is among them


def traces(titled) -> list:
    return [t for chart in titled for t in chart.figure.data]


def test_one_run_has_a_colour_per_split_and_one_epoch_is_bars_not_lone_dots():
    one = [{"epoch": 1, "loss": 0.3, "accuracy": 0.91, "val_loss": 0.2, "val_accuracy": 0.94}]
    loss, accuracy = charts.epoch_curves({"": one})
    assert (loss.title, accuracy.title) == ("Loss per epoch", "Accuracy per epoch")
    assert {t.type for t in traces([loss, accuracy])} == {"bar"}
    colours = {t.name: t.marker.color for t in loss.figure.data}
    assert set(colours) == {"train", "validation"} and colours["train"] != colours["validation"]
    three = [{**one[0], "epoch": e} for e in (1, 2, 3)]
    lines = traces(charts.epoch_curves({"": three}))
    assert {t.type for t in lines} == {"scatter"} and len({t.line.color for t in lines}) == 2
    runs = traces(charts.epoch_curves({"a": three, "b": three}))
    assert {t.line.color for t in runs if t.name.startswith("a ")} != {t.line.color for t in runs
                                                                        if t.name.startswith("b ")}


def test_a_legend_sits_above_its_chart_where_it_cannot_cover_an_axis():
    one = [{"epoch": 1, "loss": 0.3, "accuracy": 0.91, "val_loss": 0.2, "val_accuracy": 0.94}]
    for chart in charts.epoch_curves({"a": one, "b": one}):
        legend = chart.figure.layout.legend
        assert legend.yanchor == "bottom" and legend.y >= 1  # its bottom edge above the plot's top


def test_the_smoothed_curve_follows_a_first_runs_rising_accuracy():
    import numpy as np

    rising = np.minimum(1.0, np.linspace(0.1, 1.2, 100))  # a first run's hundred batches
    lag = rising[95] - charts.smoothed(rising)[95]
    assert 0 <= lag < 0.05  # TensorBoard's 0.05 without its start correction lagged 17 points
