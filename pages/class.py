"""Class (teachers only): every person's runs, live; stop any; the class's limits and shared models."""

import streamlit as st

from ui import class_view
from ui.errors import shown_as_sentences
from ui.i18n import _
from ui.streamlit_patches import run_through_app
from ui.workspace import is_teacher

run_through_app()
if not is_teacher():  # app.py registers this page for teachers only; this holds it however it is run
    st.stop()

st.title(_("Class"))
st.write(_("Everyone's runs as they train and wait, the training slots, and the models people shared. "
           "You can stop any run (its weights are kept), change the class's limits, and hide a shared "
           "model."))
shown_as_sentences(class_view.show)()
