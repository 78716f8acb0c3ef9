"""Digit Lab: train, draw and evaluate neural networks that read handwriting."""

import streamlit as st

from ui.startup import first_page_served
from ui.state import sidebar_model_picker
from ui.streamlit_patches import keep_keras_session
from ui.workspace import current, sidebar_note

keep_keras_session()

st.set_page_config(page_title="Digit Lab", page_icon=":material/draw:", layout="wide")

current()  # in per-user mode: the login, or the private workspace's address
pages = st.navigation([
    st.Page("pages/draw.py", title="Draw", icon=":material/draw:", default=True),
    st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("pages/models.py", title="Models", icon=":material/inventory_2:"),
    st.Page("pages/evaluate.py", title="Evaluate", icon=":material/analytics:"),
])
sidebar_model_picker()
sidebar_note()
pages.run()
first_page_served.set()
