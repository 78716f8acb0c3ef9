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
