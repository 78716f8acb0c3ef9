"""Models: the saved and bundled models, and the learning curves of models and runs, side by side."""

import streamlit as st

from ui import models_view
from ui.errors import shown_as_sentences
from ui.i18n import _
from ui.streamlit_patches import run_through_app

run_through_app()

st.title(_("Models"))
st.write(_("Your saved models, the bundled ones and those your class shared: use one, download it, "
           "share yours with the class or delete it; upload a model trained elsewhere; compare how "
           "models and runs learned."))
shown_as_sentences(models_view.show)()
