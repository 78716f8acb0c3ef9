import streamlit as st

st.title("Train")
st.write("Coming soon.")
