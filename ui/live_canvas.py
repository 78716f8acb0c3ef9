"""The Draw page's live canvas: a Streamlit Components v2 component of the app's own (ui/live/: the
canvas in canvas.js, the preprocessing in preprocess.js, the runtime call in runtime.js).

The component's data names each model's ONNX export by an address only this session was given
(ui.model_files): the browser fetches it while its runtime starts, and caches it. The browser
answers on every frame in which the drawing changed; once the pen lifts, it sends the finished
drawing (a PNG), and the server's answer to it is the one that counts.
"""

from __future__ import annotations

import base64
import binascii
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

from nn.preprocess import ImageError, open_image
from ui import model_files, runtime_files
from ui.i18n import _, language

ASSETS = Path(__file__).resolve().parent / "live"
MAX_DRAWING_CHARS = 1_000_000  # a 280x280 PNG as a data URL is at most about 420,000 characters

_component = st.components.v2.component(
    "digitlab.live_canvas",
    html=(ASSETS / "live.html").read_text(),
    css=(ASSETS / "live.css").read_text(),
    js="\n".join((ASSETS / name).read_text() for name in ("preprocess.js", "runtime.js", "canvas.js")),
)


@functools.cache
def _one_node_model() -> str:
    """An ONNX model of one Identity node, base64: what the runtime is started with."""
    from onnx import TensorProto, helper

    value = helper.make_tensor_value_info
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "warm-up",
                              [value("x", TensorProto.FLOAT, [1])], [value("y", TensorProto.FLOAT, [1])])
    # IR 9: what onnxruntime-web 1.30 reads (onnx 1.23 writes 11 unless told).
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    return base64.b64encode(model.SerializeToString()).decode()


@dataclass(frozen=True)
class LiveModel:
    """One model as the browser runs it: its ONNX bytes, or None and why it answers on pen-up."""

    name: str
    classes: tuple[str, ...]
    onnx: Path | None  # its ONNX export
    why: str = ""


@dataclass(frozen=True)
class LiveResult:
    drawing: np.ndarray | None  # the finished drawing (RGBA), once the pen lifted; None if blank
    runtime_failed: str | None  # why the browser's runtime could not start, if it could not


def words() -> dict[str, str]:
    """The canvas's own words, in the session's language."""
    return {"here": _("Draw a digit here"), "stroke": _("Stroke"), "undo": _("Undo"), "clear": _("Clear"),
            "draw": _("Draw a digit"), "dot": _("That is a dot: draw the whole digit, larger."),
            "sure": _("{percent} sure")}


def payload(models: list[LiveModel]) -> dict:
    base_url_path = st.get_option("server.baseUrlPath")
    return {"ortBase": runtime_files.base_path(base_url_path), "warmModel": _one_node_model(),
            "lang": language(), "words": words(),
            "models": [{"name": m.name, "classes": list(m.classes), "why": m.why,
                        "url": model_files.address_of(m.onnx, base_url_path) if m.onnx else "",
                        "digest": m.onnx.stem if m.onnx else ""} for m in models]}


def live_canvas(models: list[LiveModel], key: str) -> LiveResult:
    result = _component(key=key, data=payload(models), default={"drawing": None, "runtime_failed": None},
                        on_drawing_change=lambda: None, on_runtime_failed_change=lambda: None,
                        height="content")
    return LiveResult(drawing_of(getattr(result, "drawing", None)), getattr(result, "runtime_failed", None))


def drawing_of(state) -> np.ndarray | None:
    """The RGBA pixels of the drawing the browser sent (a PNG data URL); None for none. What
    arrives is checked like any image: the browser is not ours."""
    png = state.get("png") if isinstance(state, dict) else None
    if not isinstance(png, str) or not png.startswith("data:image/png;base64,"):
        return None
    if len(png) > MAX_DRAWING_CHARS:
        raise ImageError("the drawing sent is larger than any the canvas makes")
    try:
        data = base64.b64decode(png.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        raise ImageError("the drawing sent is not a PNG image") from None
    return np.asarray(open_image(data).convert("RGBA"))
