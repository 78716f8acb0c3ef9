"""Evaluate: which digits does a model get wrong, and what do those images look like?"""

import streamlit as st

from ui import evaluate_views as views
from ui.errors import shown_as_sentences
from ui.i18n import _
from ui.state import active_model_name
from ui.streamlit_patches import run_through_app

run_through_app()

st.title(_("Evaluate"))
st.write(_("Run a model over a whole test set, see which digits it confuses, and look at the "
           "images it gets wrong. Click a cell of the confusion matrix to see its images."))

active = active_model_name()
if active is None:
    st.warning(_("There is no model to evaluate yet: train one on the Train page."))
    st.stop()

shown_as_sentences(views.show)(active)
