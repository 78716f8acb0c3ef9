"""Streamlit glue shared by the pages: session state, cached models, the sidebar. No ML here."""
