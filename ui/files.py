"""Model files people upload: the Models page's form, and the file as the server keeps it for a moment."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import streamlit as st

from nn.data import DATASETS
from nn.errors import DigitLabError
from nn.kinds import registry as kinds
from nn.limits import FOREST_FILE_BYTES, KERAS_FILE_BYTES
from nn.storage.saved_models import MAX_NAME
from nn.storage.trial import try_model_file
from ui import markdown
from ui.errors import reason
from ui.i18n import _
from ui.state import model_store


def uploaded_name(name: str) -> str:
    """The uploaded file's own name, made safe for a folder (letters, digits, . _ -), its suffix kept."""
    path = Path(Path(name).name)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", path.stem).strip("._")[:80] or "upload"
    return stem + path.suffix.lower()


def upload_problem(upload) -> str | None:
    """Why an uploaded model file cannot be added (its checks and its trial in a process of its
    own, once per upload: the page asks on every rerun), or None when it can."""
    try:
        model_store().check_room()  # before the trial's seconds
    except DigitLabError as e:
        return _("{file} can't be added: {why}").format(file=uploaded_name(upload.name), why=reason(e))
    verdicts = st.session_state.setdefault("upload_verdicts", {})
    if upload.file_id not in verdicts:
        with tempfile.TemporaryDirectory() as tmp, st.spinner(
                _("Trying the file in a separate process…")):
            path = Path(tmp) / uploaded_name(upload.name)  # its checks' messages name the file
            path.write_bytes(upload.getvalue())
            try:
                try_model_file(path)
                verdicts[upload.file_id] = None
            except DigitLabError as e:
                verdicts[upload.file_id] = _("{file} can't be added: {why}").format(file=path.name,
                                                                                     why=reason(e))
    return verdicts[upload.file_id]


def upload_form() -> None:
    st.subheader(_("Upload a model"))
    all_kinds = kinds.all_kinds().values()
    sizes = {KERAS_FILE_BYTES: _(".keras and .npmlp"), FOREST_FILE_BYTES: ".skops"}  # nn.limits
    label = _("{files}: {sizes}").format(
        files=_(" or ").join(_(k.file_title) for k in all_kinds),
        sizes=", ".join(_("{what} at most {size} MB").format(what=what, size=size // 2**20)
                        for size, what in sizes.items()))
    upload = st.file_uploader(label, type=[k.suffix.lstrip(".") for k in all_kinds], key="upload_model",
                              max_upload_size=max(sizes) // 2**20)
    if upload is None:
        return
    if problem := upload_problem(upload):  # told at once, under the box, not after "Add"
        st.error(markdown.text(problem), icon=":material/block:")
        return
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    name = c1.text_input(_("Name"), Path(uploaded_name(upload.name)).stem[:MAX_NAME], key="upload_name",
                         max_chars=MAX_NAME)
    dataset = c2.selectbox(_("Trained on"), list(DATASETS), key="upload_dataset")
    if st.button(_("Add to my models"), key="upload_save"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / uploaded_name(upload.name)  # its checks' messages name the file
            path.write_bytes(upload.getvalue())
            try:
                with st.spinner(_("Trying the file in a separate process before keeping it…")):
                    info = model_store().import_file(path, name.strip(), {"dataset": dataset})
            except DigitLabError as e:
                st.error(markdown.text(_("Not added: {why}").format(why=reason(e))))
                return
        st.success(_("Added {name}.").format(name=info.name))
