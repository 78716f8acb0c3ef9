"""Draw: a digit on the canvas (or an uploaded photo) -> what the model sees -> what it thinks."""

import streamlit as st

from ui import draw_panel
from ui.errors import shown_as_sentences
from ui.i18n import _
from ui.state import active_model_name
from ui.streamlit_patches import run_through_app

run_through_app()

draw_panel.fit_a_phone()
st.title(_("Draw"))
st.container(key="draw_intro").write(
    _("Draw a digit with the mouse (or a finger), or upload a photo of one. The network answers while "
      "you draw, in your browser; when you lift the pen, the server answers too."))

active = active_model_name()
if active is None:
    st.warning(_("There is no model to ask yet: train one on the Train page."))
    st.stop()

st.fragment(shown_as_sentences(draw_panel.show))(active)
