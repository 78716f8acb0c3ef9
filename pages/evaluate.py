import streamlit as st

st.title("Evaluate")
st.write("Coming soon.")
