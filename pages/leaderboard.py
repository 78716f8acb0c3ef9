"""Leaderboard: the models the class shared, ranked; open one to see what made it good."""

import streamlit as st

from ui import leaderboard
from ui.errors import shown_as_sentences
from ui.i18n import _
from ui.streamlit_patches import run_through_app

run_through_app()

st.title(_("Leaderboard"))
st.write(_("The models people shared with the class, best first on the test set (a tie goes to the "
           "smaller network). Share yours from the Models page."))
shown_as_sentences(leaderboard.show)()
