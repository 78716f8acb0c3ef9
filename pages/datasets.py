"""Data sets: one's own classes (ž, ✓, cat), drawn here class by class, to train on."""

import streamlit as st

from ui import datasets_view
from ui.errors import shown_as_sentences
from ui.i18n import _
from ui.streamlit_patches import run_through_app

run_through_app()

st.title(_("Data sets"))
st.write(_("Make a data set of your own symbols: name it and its classes, draw a few of each, and "
           "train a network on it on the Train page. The Draw page then reads your symbols."))
shown_as_sentences(datasets_view.show)()
