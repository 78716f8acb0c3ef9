import streamlit as st

from ui.state import run_through_app

run_through_app()

st.title("Evaluate")
st.write("Coming soon.")
