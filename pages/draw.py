import streamlit as st

st.title("Draw")
st.write("Coming soon.")
