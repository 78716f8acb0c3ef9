"""What the app relies on in Streamlit itself, checked so that an upgrade that breaks it fails here."""

from __future__ import annotations

import inspect

import pytest


def test_the_keras_session_patch_still_replaces_what_streamlit_calls():
    from streamlit.runtime.scriptrunner import script_runner

    original = script_runner._clean_problem_modules  # renamed or gone: this line fails
    assert "clear_session" in inspect.getsource(original)  # what the patch keeps from happening
    assert "_clean_problem_modules" in inspect.getsource(script_runner.ScriptRunner)  # still called
    from ui.streamlit_patches import keep_keras_session

    try:
        keep_keras_session()
        assert script_runner._clean_problem_modules is not original
        script_runner._clean_problem_modules()  # and it does nothing
    finally:
        script_runner._clean_problem_modules = original


def test_the_server_hooks_exist():
    import streamlit as st

    assert "lifespan" in inspect.signature(st.App).parameters  # server.py starts the queue with it


@pytest.mark.parametrize("page", ["draw", "train", "datasets", "models", "evaluate"])
def test_pages_stay_thin(page):
    from nn.storage.paths import REPO_ROOT

    lines = (REPO_ROOT / "pages" / f"{page}.py").read_text().splitlines()
    assert len(lines) <= 150, f"pages/{page}.py has {len(lines)} lines: move logic to ui/ or nn/"
    assert not any(line.startswith(("import tensorflow", "import keras", "from keras", "from tensorflow"))
                   for line in lines)
