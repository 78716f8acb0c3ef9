"""Learn: the lecture's lessons, from one weight to backpropagation on your own drawing; each
lesson's state is in its address (ui.learn_view)."""

import streamlit as st

from ui import learn_view
from ui.errors import shown_as_sentences
from ui.i18n import _
from ui.streamlit_patches import run_through_app

run_through_app()

st.title(_("Learn"))
st.write(_("How a network reads, step by step, with the numbers of the lecture it grew from: change a "
           "value and watch it move. The address in your browser keeps every value: send it to someone "
           "and they see what you see."))
shown_as_sentences(learn_view.show)()
