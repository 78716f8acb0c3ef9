"""Files people upload, as the server keeps them for a moment."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import streamlit as st

from nn.errors import DigitLabError
from nn.storage.trial import try_model_file
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
        return f"{uploaded_name(upload.name)} can't be added: {e}"
    verdicts = st.session_state.setdefault("upload_verdicts", {})
    if upload.file_id not in verdicts:
        with tempfile.TemporaryDirectory() as tmp, st.spinner("Trying the file in a separate process…"):
            path = Path(tmp) / uploaded_name(upload.name)  # its checks' messages name the file
            path.write_bytes(upload.getvalue())
            try:
                try_model_file(path)
                verdicts[upload.file_id] = None
            except DigitLabError as e:
                verdicts[upload.file_id] = f"{path.name} can't be added: {e}"
    return verdicts[upload.file_id]
