"""Digit Lab: train, draw and evaluate neural networks that read handwriting."""

from pathlib import Path

import streamlit as st

from nn.storage import class_rules, teachers
from ui import phone
from ui.errors import shown_as_sentences
from ui.i18n import _, sidebar_language_choice
from ui.startup import first_page_served
from ui.state import sidebar_model_picker
from ui.streamlit_patches import keep_keras_session
from ui.workspace import current, is_teacher, sidebar_note

ICON = Path(__file__).resolve().parent / "assets" / "icon.png"  # served by the app: no font server's

keep_keras_session()

st.set_page_config(page_title="Digit Lab", page_icon=str(ICON), layout="wide")

current()  # in per-user mode: the login, or the private workspace's address
pages = [
    st.Page("pages/draw.py", title=_("Draw"), icon=":material/draw:", default=True),
    st.Page("pages/train.py", title=_("Train"), icon=":material/model_training:"),
    st.Page("pages/datasets.py", title=_("Data sets"), icon=":material/category:"),
    st.Page("pages/models.py", title=_("Models"), icon=":material/inventory_2:"),
    st.Page("pages/evaluate.py", title=_("Evaluate"), icon=":material/analytics:"),
    st.Page("pages/learn.py", title=_("Learn"), icon=":material/school:"),
]
if class_rules.mode() == class_rules.PER_USER:  # a class: its shared models, and its teacher's page
    pages.append(st.Page("pages/leaderboard.py", title=_("Leaderboard"), icon=":material/leaderboard:"))
    if is_teacher():  # for anyone else the page does not exist, also by its address
        pages.append(st.Page("pages/class.py", title=_("Class"), icon=":material/groups:",
                             url_path=teachers.CLASS_PAGE))
pages = st.navigation(pages)
sidebar_language_choice()
sidebar_model_picker()
sidebar_note()
phone.close_sidebar_after_a_link()
shown_as_sentences(pages.run)()
first_page_served.set()
