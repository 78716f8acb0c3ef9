"""Symbols drawn as pen strokes by made-up people, for the own-data-set benchmark (bench.own_symbols).

Each person has a hand of their own: how large they draw, where on the canvas, how slanted, how
wide or narrow, how thick a pen, and how much their strokes wobble; every drawing varies around
that. The strokes are drawn on a 280x280 black canvas with a round white pen, as the Draw page's
canvas draws them. Kept apart from the tests' shapes (tests/storage/test_own_datasets.symbol).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

CANVAS = 280


def _arc(cx, cy, rx, ry, start, end, n=24):
    return [(cx + rx * math.cos(math.radians(start + (end - start) * i / n)),
             cy + ry * math.sin(math.radians(start + (end - start) * i / n))) for i in range(n + 1)]


# In a unit box, y down; each symbol a list of strokes.
SYMBOLS: dict[str, list[list[tuple[float, float]]]] = {
    "✓": [[(0.08, 0.55), (0.38, 0.9), (0.95, 0.08)]],
    "ž": [[(0.3, 0.0), (0.5, 0.14), (0.7, 0.0)],  # the caron
          [(0.15, 0.38), (0.85, 0.38), (0.15, 0.98), (0.88, 0.98)]],
    "ą": [_arc(0.45, 0.55, 0.32, 0.3, -20, 340) + [(0.77, 0.35), (0.77, 0.85), (0.92, 0.98)],
          [(0.9, 0.85), (0.75, 0.98), (0.88, 1.0)]],  # the ogonek
    "house": [[(0.1, 0.45), (0.5, 0.05), (0.9, 0.45)],
              [(0.18, 0.4), (0.18, 0.98), (0.82, 0.98), (0.82, 0.4)],
              [(0.42, 0.98), (0.42, 0.7), (0.58, 0.7), (0.58, 0.98)]],
    "star": [[(0.5, 0.02), (0.21, 0.95), (0.97, 0.36), (0.03, 0.36), (0.79, 0.95), (0.5, 0.02)]],
}


@dataclass(frozen=True)
class Hand:
    """How one person draws."""

    name: str
    size: float  # the symbol's height, in canvas pixels
    slant: float  # x shift per unit of height
    aspect: float  # width / height
    pen: int  # stroke width, px
    wobble: float  # how far their strokes stray, in units of the symbol's size
    where: tuple[float, float]  # the symbol's centre, as a share of the canvas


PEOPLE = (
    Hand("Ona", size=190, slant=0.0, aspect=1.0, pen=18, wobble=0.01, where=(0.5, 0.5)),
    Hand("Jonas", size=130, slant=0.25, aspect=0.8, pen=12, wobble=0.025, where=(0.42, 0.45)),
    Hand("Rūta", size=220, slant=-0.15, aspect=1.1, pen=26, wobble=0.015, where=(0.55, 0.52)),
    Hand("Tomas", size=160, slant=0.12, aspect=0.9, pen=20, wobble=0.02, where=(0.5, 0.55)),
)


def _resampled(stroke: list[tuple[float, float]], step: float = 0.02) -> np.ndarray:
    """The stroke as points about `step` apart, so that a wobble bends it smoothly."""
    points = np.asarray(stroke, dtype=float)
    if len(points) == 1:
        return points
    lengths = np.r_[0, np.cumsum(np.hypot(*np.diff(points, axis=0).T))]
    at = np.linspace(0, lengths[-1], max(2, int(lengths[-1] / step) + 1))
    return np.c_[np.interp(at, lengths, points[:, 0]), np.interp(at, lengths, points[:, 1])]


def draw(symbol: str, hand: Hand, rng: np.random.Generator) -> np.ndarray:
    """One drawing of `symbol` in `hand`, varied as a person's drawings vary: a 280x280 uint8 array."""
    size = hand.size * rng.uniform(0.85, 1.15)
    slant = hand.slant + rng.normal(0, 0.05)
    aspect = hand.aspect * rng.uniform(0.9, 1.1)
    turn = math.radians(rng.normal(0, 4))
    cx = CANVAS * hand.where[0] + rng.normal(0, 12)
    cy = CANVAS * hand.where[1] + rng.normal(0, 12)
    pen = max(6, int(round(hand.pen * rng.uniform(0.8, 1.2))))
    canvas = Image.new("L", (CANVAS, CANVAS), 0)
    ink = ImageDraw.Draw(canvas)
    for stroke in SYMBOLS[symbol]:
        points = _resampled(stroke)
        phase, waves = rng.uniform(0, 2 * math.pi, 2), rng.uniform(1, 3, 2)
        t = np.linspace(0, 1, len(points))
        points = points + hand.wobble * np.c_[np.sin(2 * math.pi * waves[0] * t + phase[0]),
                                               np.sin(2 * math.pi * waves[1] * t + phase[1])]
        x = (points[:, 0] - 0.5) * aspect + slant * (0.5 - points[:, 1])
        y = points[:, 1] - 0.5
        x, y = x * math.cos(turn) - y * math.sin(turn), x * math.sin(turn) + y * math.cos(turn)
        xy = [(cx + size * a, cy + size * b) for a, b in zip(x, y)]
        ink.line(xy, fill=255, width=pen, joint="curve")
        for px, py in (xy[0], xy[-1]):  # round ends, as the canvas's pen has
            ink.ellipse((px - pen / 2, py - pen / 2, px + pen / 2, py + pen / 2), fill=255)
    return np.asarray(canvas)


def drawings(per_class: int, people=PEOPLE, seed: int = 36):
    """(symbol, person's name, 280x280 drawing) for `per_class` drawings of each symbol by each person."""
    rng = np.random.default_rng(seed)
    return [(symbol, hand.name, draw(symbol, hand, rng))
            for hand in people for symbol in SYMBOLS for _ in range(per_class)]
