"""Plotly figures and images shared by the pages."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from PIL import Image

ACCENT = "#ff4b4b"
MUTED = "#9aa5b1"


def probability_bars(probabilities: np.ndarray, class_names, height: int = 260) -> go.Figure:
    """Bar chart of the 10 class probabilities, the top class highlighted."""
    top = int(np.argmax(probabilities))
    colors = [ACCENT if i == top else MUTED for i in range(len(probabilities))]
    fig = go.Figure(go.Bar(
        x=list(class_names), y=probabilities, marker_color=colors,
        text=[f"{p:.0%}" if p >= 0.01 else "" for p in probabilities], textposition="outside",
        hovertemplate="%{x}: %{y:.2%}<extra></extra>",
    ))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10),
                      yaxis=dict(range=[0, 1.15], tickformat=".0%", title="probability"),
                      xaxis=dict(type="category", title=None), showlegend=False)
    return fig


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
