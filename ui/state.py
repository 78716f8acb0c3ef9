"""The session's workspace stores, its active model, the sidebar picker, cached models and data."""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitAPIException

from nn.storage.saved_models import ModelInfo, ModelStore, StoreError
from ui import markdown
from ui.i18n import _
from ui.wording import accuracy
from ui.workspace import current

ACTIVE_KEY = "active_model"
PENDING_KEY = "active_model_next"  # set by pages; applied before the sidebar widget exists


LAST_DRAWING_KEY = "last_drawing28"  # the Draw page's last drawing as the network saw it (Learn uses it)

def model_store() -> ModelStore:
    """The session's saved models (and the bundled ones)."""
    return current().models()


def drawings():
    """The session's "my drawings" (nn.storage.drawings.DrawingStore)."""
    return current().drawings()


def model_label(info: ModelInfo) -> str:
    acc = f" · {accuracy(info.test_accuracy)}" if info.test_accuracy is not None else ""
    if info.shared:  # the picker's "Class" group: after the bundled and the person's own
        return _("Class · {title} by {person} ({dataset}{accuracy})").format(
            title=info.shared["title"], person=info.shared["by"], dataset=info.dataset, accuracy=acc)
    return f"{info.name} ({info.dataset}{acc})"


def active_model_name() -> str | None:
    """The workspace's active model (ModelStore.active_name: the same in every tab, after a
    reload and for the CLI), as this session's sidebar shows it."""
    store = model_store()
    if PENDING_KEY in st.session_state:
        _keep_active(store, st.session_state.pop(PENDING_KEY))
    kept = store.active_name()
    if st.session_state.get(ACTIVE_KEY) != kept:
        try:
            st.session_state[ACTIVE_KEY] = kept  # another tab chose, or the model is gone
        except StreamlitAPIException:
            pass  # the sidebar's box is drawn already in this run: it follows on the next
    return kept


def set_active_model(name: str) -> None:
    """Make `name` the active model from the next run on (call st.rerun() after this).

    The sidebar's select box owns ACTIVE_KEY once it is drawn, so the change waits in
    PENDING_KEY until the next run applies it before the box exists.
    """
    st.session_state[PENDING_KEY] = name


def _keep_active(store: ModelStore, name: str | None) -> None:
    try:
        store.make_active(name)
    except StoreError:
        return  # gone meanwhile: the store's own choice stands
    st.toast(_("**{name}** is the active model: Draw and Evaluate use it").format(name=markdown.text(name)),
             icon=":material/check_circle:")


def _chosen_in_sidebar() -> None:
    _keep_active(model_store(), st.session_state.get(ACTIVE_KEY))


def sidebar_model_picker() -> None:
    infos = {info.name: info for info in model_store().list()}
    with st.sidebar:
        st.markdown("### " + _("Active model"))
        if not infos:
            st.info(_("No models yet: train one on the Train page."))
            return
        active_model_name()
        st.selectbox(_("Model used by Draw and Evaluate"), list(infos), key=ACTIVE_KEY,
                     format_func=lambda name: model_label(infos[name]), on_change=_chosen_in_sidebar)


def predictor_for(name: str):
    """A stored model's predictor, shared by every session; reloaded only when its file changes."""
    from nn import inference

    path = model_store().get(name).path
    if inference.is_loaded(path):
        return inference.predictor_for_file(path)
    with st.spinner(_("Loading the model…")):
        return inference.predictor_for_file(path)


def model_info(name: str) -> ModelInfo | None:
    try:
        return model_store().get(name)
    except StoreError:
        return None


def dataset(name: str):
    """The whole data set in memory: a built-in one shared by all sessions (read-only arrays), or
    one of the person's own sets (own:<id>) as it is now, its test part held out as for training."""
    from nn import own_data

    if own_data.is_own(name):
        own = own_data.own_set(current(), name)  # DatasetError when the person no longer has it
        return _own_dataset(str(own.folder), data_version(name))
    with st.spinner(_("Loading the data set…")):  # shown only if it takes a while: once per server
        return _builtin_dataset(name)


def data_version(name: str) -> int:
    """Changes whenever the data set does: only one's own sets do (a drawing added, moved, deleted
    rewrites an entry of the set's folder)."""
    from nn import own_data

    if not own_data.is_own(name):
        return 0
    try:
        return own_data.own_set(current(), name).folder.stat().st_mtime_ns
    except (OSError, own_data.DatasetError):
        return 0


@st.cache_resource(show_spinner=False)
def _builtin_dataset(name: str):
    from nn import data

    return data.load(name)


@st.cache_resource(max_entries=8)
def _own_dataset(folder: str, version: int):
    from pathlib import Path

    from nn import own_data
    from nn.storage.own_datasets import OwnDataset

    return own_data.as_dataset(OwnDataset(Path(folder)))[0]


TEST_SET = "test set"
MY_DRAWINGS = "my drawings"


def split_arrays(split: str, dataset_name: str):
    """(uint8 images, labels) of a split: the data set's test set or the session's drawings."""
    if split == MY_DRAWINGS:
        mine = drawings().load(dataset_name)
        return mine.x, mine.y
    d = dataset(dataset_name)
    return d.x_test, d.y_test


@st.cache_data(show_spinner=False, max_entries=16)
def _predictions(name: str, path: str, mtime: float, split: str, dataset_name: str, workspace: str,
                 drawings_count: int, data_version: int):
    """Predictions of a model on a split, computed once per model file, split and workspace."""
    from nn.evaluation import predict_split

    x, y = split_arrays(split, dataset_name)
    return predict_split(predictor_for(name), x, y)


def predictions_for(name: str, split: str):
    info = model_store().get(name)
    mine = split == MY_DRAWINGS
    with st.spinner(_("Running the model over the whole split…")):  # shown only if it is not kept yet
        return _predictions(name, str(info.path), info.path.stat().st_mtime, split, info.dataset,
                            current().id if mine else "", drawings().count(info.dataset) if mine else 0,
                            data_version(info.dataset))
