"""The Digit Lab server: `streamlit run server.py` serves the app (app.py) and, from the moment
it starts:
- runs the training queue, so that runs queued before a restart start again without anybody
  opening a page;
- warms what a drawing's answer needs in a background thread at the lowest CPU priority: the
  default model and a first call, in NumPy, within a second; TensorFlow (saliency, whole test
  sets) once the first page has been served. The server starts and pages paint as quickly as
  without it, and the first answer is as fast as the others.
Streamlit's `st.App` gives the start-up and shut-down hooks.
"""

import os
import threading
import time
from contextlib import asynccontextmanager

import streamlit as st

TENSORFLOW_AFTER = 10.0  # seconds: load TensorFlow then, if no page was asked for before ...
PAGE_GRACE = 4.0  # ... or this long after the first page was sent (its canvas loads meanwhile)


def warm_up() -> None:
    # This thread only: the lowest CPU priority, so that serving pages (and a browser on the same
    # machine) goes first; it still gets every moment nobody else needs.
    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    from nn import inference
    from nn.paths import bundled_models_dir
    from nn.store import DEFAULT_MODEL, ModelStore
    from ui.startup import first_page_served

    try:
        predictor = inference.warm(ModelStore(bundled_models_dir()).get(DEFAULT_MODEL).path)
        if first_page_served.wait(TENSORFLOW_AFTER):  # four seconds of CPU: not during a first paint
            time.sleep(PAGE_GRACE)
        if hasattr(predictor, "keras"):
            predictor.keras().predict_one(inference.np.zeros((28, 28), dtype="float32"))
    except Exception as e:  # noqa: BLE001 - the page loads it then, with a message if it fails
        print(f"warm-up stopped: {e}", flush=True)


@asynccontextmanager
async def lifespan(app):
    from nn import queue
    from nn.paths import runs_dir

    if os.environ.get("DIGITLAB_WARM_UP", "1") != "0":
        threading.Thread(target=warm_up, name="digitlab-warm-up", daemon=True).start()
    queue.app_scheduler(runs_dir())
    yield
    queue.close_app_schedulers()  # workers still training end too: their runs become interrupted


app = st.App("app.py", lifespan=lifespan)
