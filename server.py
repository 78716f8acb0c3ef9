"""The Digit Lab server: `streamlit run server.py` serves the app (app.py) and, from the moment
it starts, runs the training queue, so that runs queued before a restart start again without
anybody opening a page. Streamlit's `st.App` gives the start-up and shut-down hooks.
"""

from contextlib import asynccontextmanager

import streamlit as st


@asynccontextmanager
async def lifespan(app):
    from nn import queue
    from nn.paths import runs_dir

    queue.app_scheduler(runs_dir())
    yield
    queue.close_app_schedulers()  # workers still training end too: their runs become interrupted


app = st.App("app.py", lifespan=lifespan)
