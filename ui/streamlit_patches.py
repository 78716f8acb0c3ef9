"""Two patches of Streamlit's internals, each checked by tests/test_app.py against the Streamlit
we run: the app's navigation runs whichever URL is opened first, and Keras' session survives reruns."""

from __future__ import annotations

import streamlit as st


def run_through_app() -> None:
    """Make sure app.py (navigation, sidebar, layout) runs, whichever URL was opened first.

    Streamlit starts in its legacy mode when a pages/ folder exists and only switches to
    st.navigation once app.py has run; a first request for /train would run this page alone.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the legacy mode
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def keep_keras_session() -> None:
    """Stop Streamlit from clearing Keras' session after every script run.

    Streamlit calls `keras.backend.clear_session()` after each rerun, which also empties
    TensorFlow's kernel cache: the cached predictors of the Draw page then slow down. We use no
    matplotlib, the other module it cleans. tests/test_app.py fails the day Streamlit renames
    what this replaces.
    """
    from streamlit.runtime.scriptrunner import script_runner

    script_runner._clean_problem_modules = lambda: None
