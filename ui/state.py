"""The active model (one per browser session), the sidebar picker, cached model loading."""

from __future__ import annotations

import streamlit as st

from nn.store import DEFAULT_MODEL, ModelInfo, ModelStore, StoreError

ACTIVE_KEY = "active_model"


def store() -> ModelStore:
    return ModelStore()


def model_label(info: ModelInfo) -> str:
    acc = f" · {info.test_accuracy:.2%}" if info.test_accuracy is not None else ""
    return f"{info.name} ({info.dataset}{acc})"


def active_model_name() -> str | None:
    """The session's active model: chosen in the sidebar, default the bundled best MNIST CNN."""
    names = [info.name for info in store().list()]
    current = st.session_state.get(ACTIVE_KEY)
    if current in names:
        return current
    fallback = DEFAULT_MODEL if DEFAULT_MODEL in names else (names[0] if names else None)
    st.session_state[ACTIVE_KEY] = fallback
    return fallback


def set_active_model(name: str) -> None:
    st.session_state[ACTIVE_KEY] = name


def sidebar_model_picker() -> None:
    infos = {info.name: info for info in store().list()}
    with st.sidebar:
        st.markdown("### Active model")
        if not infos:
            st.info("No models yet: train one on the Train page.")
            return
        active_model_name()
        st.selectbox("Model used by Draw and Evaluate", list(infos), key=ACTIVE_KEY,
                     format_func=lambda name: model_label(infos[name]))


@st.cache_resource(max_entries=8, show_spinner="Loading the model…")
def _predictor(path: str, mtime: float):
    from nn.inference import Predictor
    from nn.store import load_model_file

    return Predictor(load_model_file(path))


def predictor_for(name: str):
    """A cached Predictor for a stored model; reloaded only when its file changes."""
    info = store().get(name)
    return _predictor(str(info.path), info.path.stat().st_mtime)


def model_info(name: str) -> ModelInfo | None:
    try:
        return store().get(name)
    except StoreError:
        return None
