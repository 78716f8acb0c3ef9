"""Train: start a run, watch it learn live, stop it, keep it. Runs outlive the tab."""

import streamlit as st

from ui import run_list, run_view, train_form
from ui.i18n import _
from ui.runs import opened, run_store
from ui.streamlit_patches import run_through_app

run_through_app()

st.title(_("Train"))
st.write(_("Choose a network and its settings, press Train, and watch the loss fall batch by batch. "
           "Your runs are kept: reload the page or come back later and they are still here."))
if message := st.session_state.pop(train_form.FLASH_KEY, None):
    st.info(message, icon=":material/info:")

runs = run_store().list()
shown = opened(runs)
drawn = ()
if runs:
    drawn = run_list.show(runs, shown)
    st.divider()
if shown is None:
    train_form.show()
else:
    run_view.show(shown, drawn)
