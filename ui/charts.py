"""Plotly figures and images shared by the pages, and how charts that belong together are shown."""

from __future__ import annotations

import html
import math
from typing import NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from PIL import Image

from nn.evaluation import row_normalised
from ui.i18n import _
from ui.wording import accuracy, confidence, number, run_state


class Titled(NamedTuple):
    """A chart and the title the page shows above it."""

    title: str
    figure: go.Figure

ACCENT = "#ff4b4b"
MUTED = "#9aa5b1"


def probability_bars(probabilities: np.ndarray, class_names, height: int = 260) -> go.Figure:
    """Bar chart of the 10 class probabilities, the top class highlighted."""
    top = int(np.argmax(probabilities))
    colors = [ACCENT if i == top else MUTED for i in range(len(probabilities))]
    fig = go.Figure(go.Bar(
        x=list(class_names), y=probabilities, marker_color=colors,
        text=[confidence(p) if p >= 0.01 else "" for p in probabilities], textposition="outside",
        hovertemplate="%{x}: %{y:.2%}<extra></extra>",
    ))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10),
                      yaxis=dict(range=[0, 1.15], tickformat=".0%", title=_("probability")),
                      xaxis=dict(type="category", title=None), showlegend=False)
    return fig


def probability_html(probabilities: np.ndarray, class_names) -> str:
    """The 10 class probabilities as horizontal bars in plain HTML: drawn at once, every time."""
    top = int(np.argmax(probabilities))
    label_width = min(6.5, 0.5 + 0.55 * max(len(str(name)) for name in class_names))  # rem
    rows = []
    for i, (name, p) in enumerate(zip(class_names, probabilities)):
        color = ACCENT if i == top else MUTED
        rows.append(
            f"<div style='display:flex;align-items:center;gap:.5rem;height:1.35rem'>"
            f"<span style='width:{label_width:.2f}rem;text-align:right;font-size:.85rem;white-space:nowrap;"
            f"overflow:hidden;text-overflow:ellipsis'>{name}</span>"
            f"<span style='flex:1;background:#f0f2f6;height:.8rem;border-radius:.2rem'>"
            f"<span style='display:block;width:{100 * float(p):.1f}%;height:100%;background:{color};"
            f"border-radius:.2rem'></span></span>"
            f"<span style='width:2.8rem;font-size:.8rem;color:#555'>{confidence(float(p))}</span></div>")
    return f"<div data-testid='probabilities' role='list'>{''.join(rows)}</div>"


def pixels(image28: np.ndarray, scale: int = 8) -> Image.Image:
    """A 28x28 array in [0, 1] (or uint8) enlarged with hard pixel edges."""
    a = np.asarray(image28)
    if a.dtype != np.uint8:
        a = np.clip(np.round(a * 255), 0, 255).astype(np.uint8)
    return Image.fromarray(a).resize((a.shape[1] * scale, a.shape[0] * scale), Image.Resampling.NEAREST)


def saliency_overlay(image28: np.ndarray, saliency: np.ndarray, scale: int = 8) -> Image.Image:
    """The input in grey with the saliency map in red on top: where the network looked."""
    grey = np.asarray(image28, dtype=np.float32) * 0.6
    rgb = np.stack([grey, grey, grey], axis=-1)
    heat = np.asarray(saliency, dtype=np.float32)[..., None]
    rgb = rgb * (1 - heat) + heat * np.array([1.0, 0.15, 0.1])
    rgb = np.clip(np.round(rgb * 255), 0, 255).astype(np.uint8)
    return Image.fromarray(rgb).resize((28 * scale, 28 * scale), Image.Resampling.NEAREST)


MAX_POINTS = 600  # per-batch points drawn per curve; more only slows the browser
MAX_EPOCH_LINES = 50


def smoothed(values: np.ndarray, span: int | None = None) -> np.ndarray:
    """A moving average that follows the data: as TensorBoard's, corrected for its start (it does
    not begin pinned to the first batch), over a window that grows with the run (a first run's
    hundred batches get 6, a long one's thousands at most 50)."""
    span = span or int(np.clip(len(values) // 15, 3, 50))
    return pd.Series(values, dtype=float).ewm(span=span, adjust=True, ignore_na=True).mean().to_numpy()


# A chart that sits beside another: its legend above the plot, where plotly widens the margin for
# it (below the plot it covers the axis once it wraps on a narrow screen), and its title in the page.
LEGEND_ON_TOP = dict(orientation="h", yanchor="bottom", y=1.02, x=0)


def _half(height: int, **layout) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), **layout)
    return fig


def batch_curves(batches: list[dict], batches_per_epoch: int, step: str = "batch") -> list[Titled]:
    """Per-batch (or per-`step`: "tree step") loss and accuracy, raw and smoothed, epochs marked:
    two charts."""
    trees = step == "tree step"
    said = {"loss": _("loss"), "accuracy": _("accuracy"), "step": _("tree step") if trees else _("batch"),
            "loss title": _("Loss per tree step") if trees else _("Loss per batch"),
            "accuracy title": _("Accuracy per tree step") if trees else _("Accuracy per batch")}
    figures = []
    for key, color in (("loss", "#1f77b4"), ("accuracy", "#2ca02c")):
        fig = _half(280, showlegend=False)
        if batches:
            steps = np.array([b["step"] for b in batches])
            every = max(1, len(steps) // MAX_POINTS)
            values = np.array([b[key] for b in batches], dtype=float)
            fig.add_scatter(x=steps[::every], y=values[::every], mode="lines", opacity=0.3,
                            line=dict(color=color, width=1), name=_("{what} (raw)").format(what=said[key]))
            fig.add_scatter(x=steps[::every], y=smoothed(values)[::every], mode="lines",
                            line=dict(color=color, width=2.5),
                            name=_("{what} (smoothed)").format(what=said[key]))
            last_epoch = int(steps[-1] // max(batches_per_epoch, 1))
            if last_epoch <= MAX_EPOCH_LINES:  # beyond that they would only grey the chart out
                # one layout update: add_vline re-validates the figure per call (~25 ms each)
                fig.update_layout(shapes=[
                    dict(type="line", x0=e * batches_per_epoch, x1=e * batches_per_epoch, y0=0, y1=1,
                         yref="y domain", line=dict(color="#bbb", dash="dot", width=1))
                    for e in range(1, last_epoch + 1)])
        fig.update_xaxes(title_text=said["step"])
        if key == "accuracy":
            fig.update_yaxes(title_text=said[key], tickformat=".0%", range=[0, 1.02])
        else:
            fig.update_yaxes(title_text=said[key])
        figures.append(Titled(said[f"{key} title"], fig))
    return figures


def side_by_side(charts: list[Titled], key: str) -> None:
    """Charts side by side under their titles; on a phone one under the other, full width (Streamlit
    stacks columns on a narrow screen, where two plotly subplots' titles ran into each other). The
    first chart's element is the one inside `.st-key-<key>`."""
    with st.container(key=key):
        for i, (column, (title, figure)) in enumerate(zip(st.columns(len(charts)), charts)):
            with column:
                st.markdown(f"**{title}**")
                st.plotly_chart(figure, key=f"{key}_{i}", config={"displayModeBar": False})


SPLITS = (("", "train", "#1f77b4", "solid"), ("val_", "validation", "#ff7f0e", "dash"),
          ("test_", "test", "#2ca02c", "dot"))


def split_word(label: str) -> str:
    return {"train": _("train"), "validation": _("validation"), "test": _("test")}[label]


def epoch_curves(histories: dict[str, list[dict]]) -> list[Titled]:
    """Per-epoch train vs validation (and test) loss and accuracy, for one or more runs: two charts.
    One run: a colour per split; several: a colour per run, a dash per split. A single epoch is bars."""
    longest = max((len(h) for h in histories.values()), default=0)
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
    figures = []
    for key in ("loss", "accuracy"):
        fig = _half(320, barmode="group", legend=LEGEND_ON_TOP)
        for i, (name, history) in enumerate(histories.items()):
            epochs = [row["epoch"] for row in history]
            prefix = f"{name} " if len(histories) > 1 else ""
            for split, label, split_colour, dash in SPLITS:
                values = [row.get(split + key) for row in history]
                if all(v is None for v in values):
                    continue
                colour = split_colour if len(histories) == 1 else palette[i % len(palette)]
                if longest == 1:  # one epoch: a line would be lone dots
                    fig.add_bar(x=[f"{prefix}{split_word(label)}"], y=values, marker_color=colour,
                                name=f"{prefix}{split_word(label)}", text=[_value_text(values[0], key)],
                                textposition="auto")
                else:
                    mode = "lines+markers" if len(epochs) <= 60 else "lines"
                    fig.add_scatter(x=epochs, y=values, mode=mode, name=f"{prefix}{split_word(label)}",
                                    line=dict(color=colour, dash=dash))
        if longest == 1:
            fig.update_xaxes(title_text=_("after its one epoch"))
        else:
            fig.update_xaxes(title_text=_("epoch"), dtick=1 if longest <= 20 else None)
        fig.update_yaxes(title_text=_("accuracy") if key == "accuracy" else _("loss"),
                         tickformat=".1%" if key == "accuracy" else None)
        figures.append(Titled(_("Accuracy per epoch") if key == "accuracy" else _("Loss per epoch"), fig))
    return figures


def _value_text(value, key: str) -> str:
    return "" if value is None else accuracy(value) if key == "accuracy" else number(round(value, 3))


def weight_tiles(weights: np.ndarray, columns: int = 8, scale: int = 4) -> Image.Image:
    """A (784, units) first-layer weight matrix as one 28x28 picture per unit, side by side.

    Red pixels push the unit up, blue ones push it down; each tile is scaled by its own largest
    weight so that the pattern shows even while the weights are still small.
    """
    w = np.asarray(weights, dtype=np.float32)
    return tiles(w.T.reshape(-1, 28, 28), columns, scale)


RED, BLUE = np.array([0.84, 0.15, 0.16]), np.array([0.13, 0.4, 0.67])


def tiles(maps: np.ndarray, columns: int = 8, scale: int = 4, diverging: bool = True,
          labels: bool = False) -> Image.Image:
    """(k, h, w) small pictures side by side, with a 1-pixel gap; each scaled by its own largest
    value. Diverging: red for positive, blue for negative, on white (weights). Otherwise black
    to white, as a layer's outputs (bright: the unit fired). With labels, each tile's number
    is written under it."""
    maps = np.asarray(maps, dtype=np.float32)
    k, h, w = maps.shape
    columns = max(1, min(columns, k))
    rows = -(-k // columns)
    sheet = np.full((rows * (h + 1) + 1, columns * (w + 1) + 1, 3), 1.0 if diverging else 0.35, np.float32)
    for i, tile in enumerate(maps):
        top = float(np.abs(tile).max()) or 1.0
        t = (tile / top)[..., None]
        rgb = np.where(t >= 0, 1 - t * (1 - RED), 1 + t * (1 - BLUE)) if diverging else np.repeat(
            np.clip(t, 0, 1), 3, axis=-1)
        r, c = divmod(i, columns)
        sheet[1 + r * (h + 1):(r + 1) * (h + 1), 1 + c * (w + 1):(c + 1) * (w + 1)] = rgb
    image = Image.fromarray(np.round(sheet * 255).astype(np.uint8))
    image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    return _numbered(image, k, columns, (h + 1) * scale, (w + 1) * scale) if labels else image


def _numbered(image: Image.Image, k: int, columns: int, cell_h: int, cell_w: int) -> Image.Image:
    """The tiles' numbers in a band under each row of tiles."""
    from PIL import ImageDraw

    rows = -(-k // columns)
    band = 12
    out = Image.new("RGB", (image.width, image.height + rows * band), "white")
    draw = ImageDraw.Draw(out)
    for r in range(rows):
        out.paste(image.crop((0, r * cell_h, image.width, (r + 1) * cell_h)), (0, r * (cell_h + band)))
        for c in range(columns):
            if r * columns + c < k:
                draw.text((c * cell_w + 2, r * (cell_h + band) + cell_h), str(r * columns + c), fill="#444")
    return out


def confusion_heatmap(matrix: np.ndarray, class_names, normalise: bool = False,
                      mute_diagonal: bool = False, diverging: bool = False,
                      chosen: tuple[int, int] | None = None) -> go.Figure:
    """True label on rows, predicted on columns; counts in the cells; clickable cells.

    Plotly heatmaps do not report selections, so an invisible marker sits on every cell to
    carry the click (selection) back to Streamlit.
    """
    n = len(matrix)
    counts = np.asarray(matrix)
    share = row_normalised(counts)
    z = (share if normalise else counts).astype(float)
    if mute_diagonal:
        z = z.copy()
        np.fill_diagonal(z, np.nan)
    names = [str(c) for c in class_names]
    text = [[(confidence(share[t, p]) if normalise else f"{counts[t, p]}") if counts[t, p] else ""
             for p in range(n)] for t in range(n)]
    if diverging:
        limit = max(1, np.nanmax(np.abs(z)))
        colors = dict(colorscale="RdBu", zmin=-limit, zmax=limit, reversescale=True)
    else:
        colors = dict(colorscale="Blues")
    fig = go.Figure(go.Heatmap(
        z=z, x=names, y=names, text=text, texttemplate="%{text}", hoverinfo="skip",
        showscale=False, **colors,
    ))
    # The markers carry the tooltip too: a trace that skips hover also ignores clicks.
    ys, xs = np.divmod(np.arange(n * n), n)
    fig.add_scatter(x=[names[i] for i in xs], y=[names[i] for i in ys], mode="markers",
                    marker=dict(size=28, opacity=0.01, symbol="square"),
                    customdata=np.stack([counts.ravel(), share.ravel()], axis=1),
                    hovertemplate=_("true %{y}, predicted %{x}<br>%{customdata[0]} images"
                                    "<br>%{customdata[1]:.1%} of true %{y}") + "<extra></extra>",
                    showlegend=False, name="cells")
    fig.update_layout(height=520, margin=dict(l=10, r=10, t=10, b=10), clickmode="event+select",
                      xaxis=dict(title=_("predicted"), type="category", side="bottom"),
                      yaxis=dict(title=_("true"), type="category", autorange="reversed"))
    if chosen is not None:  # the clicked cell, outlined (category axes: cell i spans i-0.5..i+0.5)
        t, p = chosen
        fig.add_shape(type="rect", x0=p - 0.5, x1=p + 0.5, y0=t - 0.5, y1=t + 0.5,
                      line=dict(color=ACCENT, width=3), fillcolor="rgba(0,0,0,0)")
    return fig


def metric_bars(rows: list[dict], class_names) -> go.Figure:
    """Precision, recall and F1 per class as grouped bars."""
    names = [str(c) for c in class_names]
    fig = go.Figure()
    for key, name, color in (("precision", _("precision"), "#1f77b4"), ("recall", _("recall"), "#ff7f0e"),
                             ("f1", "f1", "#2ca02c")):
        fig.add_bar(x=names, y=[r[key] for r in rows], name=name, marker_color=color)
    fig.update_layout(barmode="group", height=320, margin=dict(l=10, r=10, t=10, b=10),
                      yaxis=dict(tickformat=".0%", range=[min(0.8, min(r["f1"] for r in rows) - 0.02), 1]),
                      xaxis=dict(type="category"), legend=LEGEND_ON_TOP)
    return fig


DIGIT_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                 "#7f7f7f", "#bcbd22", "#17becf"]


def network_map(xy: np.ndarray, labels: np.ndarray, answers: np.ndarray, class_names,
                star: np.ndarray | None = None, height: int = 520) -> go.Figure:
    """One dot per image at its place on the map (nn.inside), coloured by its true class; the
    ones the model gets wrong as crosses; a drawing as a black star. Each dot carries its index."""
    fig = go.Figure()
    wrong = labels != answers
    read_as = _("image {i}: {truth}, read as {answer}")
    for c, name in enumerate(class_names):
        for miss in (False, True):
            members = np.flatnonzero((labels == c) & (wrong == miss))
            if not len(members):
                continue
            fig.add_trace(go.Scattergl(
                x=xy[members, 0], y=xy[members, 1], mode="markers",
                name=_("{name} (wrong)").format(name=name) if miss else f"{name}",
                legendgroup=str(c), showlegend=not miss, customdata=members,
                marker=dict(color=DIGIT_COLOURS[c % 10], size=9 if miss else 5,
                            symbol="x" if miss else "circle", line=dict(width=0)),
                text=[read_as.format(i=i, truth=class_names[labels[i]], answer=class_names[answers[i]])
                      for i in members],
                hovertemplate="%{text}<extra></extra>"))
    if star is not None:
        fig.add_trace(go.Scatter(x=[star[0]], y=[star[1]], mode="markers", name=_("your drawing"),
                                 marker=dict(symbol="star", size=20, color="black",
                                             line=dict(color="white", width=1)),
                                 hovertemplate=_("your drawing") + "<extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=10, b=0),
                      legend=dict(itemsizing="constant"),
                      xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor="x"),
                      dragmode="pan", clickmode="event+select")
    return fig


def standing(rows: list[dict], mine: set[str]) -> go.Figure:
    """The leaderboard as a scatter of test accuracy against parameters: where each shared model
    stands, the person's own highlighted (up and to the left is better). Models that tie (the same
    size and accuracy) are one dot that says how many, and names them all."""
    spots: dict[tuple, list[dict]] = {}
    for r in rows:
        spots.setdefault((max(r["params"] or 1, 1), r["test_accuracy"]), []).append(r)
    points = list(spots.items())
    groups = [group for _spot, group in points]
    own = [any(r["name"] in mine for r in group) for group in groups]
    by = _("#{rank} {title} by {person}")
    fig = go.Figure(go.Scatter(
        x=[x for (x, _y), _g in points], y=[y for (_x, y), _g in points], mode="markers+text",
        marker=dict(size=[(14 if o else 9) + 3 * (len(g) - 1) for o, g in zip(own, groups)],
                    color=[ACCENT if o else MUTED for o in own]),
        text=[f"×{len(g)}" if len(g) > 1 else "" for g in groups], textposition="middle right",
        customdata=["<br>".join(html.escape(by.format(rank=r["rank"], title=r["title"], person=r["by"]))
                                for r in g) for g in groups],
        hovertemplate="%{customdata}<br>" + _("%{y:.2%} with %{x:,} parameters") + "<extra></extra>",
        cliponaxis=False,  # a dot at 100% shows whole
    ))
    fig.update_layout(height=260, margin=dict(l=10, r=10, t=10, b=10), showlegend=False,
                      xaxis=dict(type="log", title=_("parameters"), dtick=1, tickformat="~s"),
                      yaxis=dict(tickformat=".1%", title=_("test accuracy"), range=accuracy_range(
                          [y for (_x, y), _g in points])))
    return fig


def accuracy_range(accuracies: list[float]) -> list[float]:
    """An accuracy axis around the points, never past 100% nor below 0%."""
    low, high = min(accuracies, default=0.0), max(accuracies, default=1.0)
    pad = max(0.005, (high - low) * 0.15)
    return [max(0.0, low - pad), min(1.0, high + pad)]


STATE_COLOURS = {"preparing": ACCENT, "running": ACCENT, "finished": "#3d9970", "stopped": MUTED,
                 "failed": "#b10dc9", "interrupted": "#ff851b"}


def class_timeline(rows: list[dict], now: float) -> go.Figure:
    """Each run that started as a bar from its start to its end (or now), one line per person:
    who trains, for how long, and who has been going for twenty minutes."""
    import datetime as dt

    started = [r for r in rows if r.get("started_at")]
    fig = go.Figure()
    for state in dict.fromkeys(r["state"] for r in started):
        mine, said = [r for r in started if r["state"] == state], run_state(state)
        fig.add_trace(go.Bar(
            y=[html.escape(r["person"]) for r in mine],  # people's text: plotly reads tags in it
            base=[dt.datetime.fromtimestamp(r["started_at"]) for r in mine],
            x=[((r.get("ended_at") or now) - r["started_at"]) * 1000 for r in mine], orientation="h",
            name=said, marker_color=STATE_COLOURS.get(state, MUTED),
            text=[r["model"] for r in mine], hovertemplate="%{y}: %{text}<extra>" + said + "</extra>"))
    people = len({r["person"] for r in started})
    fig.update_layout(height=80 + 28 * people, margin=dict(l=10, r=10, t=10, b=10), barmode="overlay",
                      xaxis=dict(type="date", title=None), yaxis=dict(title=None, autorange="reversed"),
                      legend=LEGEND_ON_TOP)
    return fig


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round numbers that span [low, high], about `count` of them."""
    span = (high - low) or abs(high) or 1.0
    raw = span / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step) + 1)]


def line_svg(
    series: list[dict],
    title: str,
    x_label: str,
    y_label: str,
    x_range=None,
    y_range=None,
    width: int = 440,
    height: int = 240,
) -> str:
    """A small line chart as SVG, for pages that must open fast (no chart library to load): each
    series a dict of x, y, colour and whether its points are marked; points outside the ranges
    are clipped."""
    left, right, top, bottom = 56, 12, 26, 40
    xs = np.concatenate([np.asarray(s["x"], dtype=float) for s in series])
    ys = np.concatenate([np.asarray(s["y"], dtype=float) for s in series])
    x0, x1 = x_range or (float(np.nanmin(xs)), float(np.nanmax(xs)))
    y0, y1 = y_range or (min(0.0, float(np.nanmin(ys))), float(np.nanmax(ys)))
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)
    w, h = width - left - right, height - top - bottom

    def px(x):
        return left + (x - x0) / (x1 - x0) * w

    def py(y):
        return top + h - (y - y0) / (y1 - y0) * h

    parts = [
        f"<text x='{left}' y='16' font-size='13' font-weight='600'>{title}</text>",
        f"<rect x='{left}' y='{top}' width='{w}' height='{h}' fill='none' stroke='#ccc'/>",
    ]
    for t in _nice_ticks(x0, x1):
        parts.append(
            f"<line x1='{px(t):.1f}' y1='{top + h}' x2='{px(t):.1f}' y2='{top + h + 4}' stroke='#888'/>"
            f"<text x='{px(t):.1f}' y='{top + h + 16}' font-size='11' text-anchor='middle'>{t:g}</text>"
        )
    for t in _nice_ticks(y0, y1, 4):
        parts.append(
            f"<line x1='{left}' y1='{py(t):.1f}' x2='{left + w}' y2='{py(t):.1f}' stroke='#eee'/>"
            f"<text x='{left - 4}' y='{py(t) + 4:.1f}' font-size='11' text-anchor='end'>{t:.3g}</text>"
        )
    parts.append(
        f"<text x='{left + w / 2}' y='{height - 4}' font-size='12' text-anchor='middle'>{x_label}</text>"
        f"<text x='12' y='{top + h / 2}' font-size='12' text-anchor='middle' "
        f"transform='rotate(-90 12 {top + h / 2})'>{y_label}</text>"
        f"<clipPath id='plot'><rect x='{left}' y='{top}' width='{w}' height='{h}'/></clipPath>"
    )
    for s in series:
        points = [(px(x), py(y)) for x, y in zip(s["x"], s["y"]) if np.isfinite(x) and np.isfinite(y)]
        points = [(max(-1e4, min(1e4, a)), max(-1e4, min(1e4, b))) for a, b in points]  # far off: clipped
        path = " ".join(f"{a:.1f},{b:.1f}" for a, b in points)
        parts.append(
            f"<polyline points='{path}' fill='none' stroke='{s['colour']}' stroke-width='2' "
            "clip-path='url(#plot)'/>"
        )
        if s.get("markers"):
            parts.extend(
                f"<circle cx='{a:.1f}' cy='{b:.1f}' r='3' fill='{s['colour']}' clip-path='url(#plot)'/>"
                for a, b in points
            )
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' font-family='sans-serif'>" + "".join(parts) + "</svg>"
    )
