"""The Digit Lab server: `streamlit run server.py` serves the app (app.py) and, from the moment
it starts:
- runs the training queue, so that runs queued before a restart start again without anybody
  opening a page;
- warms what a drawing's answer needs in a background thread at the lowest CPU priority: the
  default model and a first call, in NumPy, within a second; TensorFlow (saliency, whole test
  sets) once the first page has been served, the default model's export for the browser, and
  the search that tells whether a drawing is like its training images.
  The server starts and pages paint as quickly as without it, and the first answer is as fast as
  the others.
Streamlit's `st.App` gives the start-up and shut-down hooks.
"""

import os
import threading
import time
from contextlib import asynccontextmanager

import streamlit as st

TENSORFLOW_AFTER = 10.0  # seconds: load TensorFlow then, if no page was asked for before ...
PAGE_GRACE = 4.0  # ... or this long after the first page was sent (its canvas loads meanwhile)
WARM_UP_DONE = "warm-up finished"  # importing TensorFlow holds the interpreter: pages wait meanwhile


def warm_up() -> None:
    # This thread only: the lowest CPU priority, so that serving pages (and a browser on the same
    # machine) goes first; it still gets every moment nobody else needs.
    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    from nn import inference
    from nn.storage.paths import bundled_models_dir
    from nn.storage.saved_models import DEFAULT_MODEL, ModelStore
    from ui.startup import first_page_served

    began = time.monotonic()
    try:
        predictor = inference.warm(ModelStore(bundled_models_dir()).get(DEFAULT_MODEL).path)
        if first_page_served.wait(TENSORFLOW_AFTER):  # four seconds of CPU: not during a first paint
            time.sleep(PAGE_GRACE)
        if hasattr(predictor, "keras"):
            predictor.keras().predict_one(inference.np.zeros((28, 28), dtype="float32"))
        from nn.export import exported

        exported(ModelStore(bundled_models_dir()).get(DEFAULT_MODEL).path, "onnx")  # the live canvas's
        warm_familiarity(ModelStore(bundled_models_dir()).get(DEFAULT_MODEL).dataset)
        print(f"{WARM_UP_DONE} in {time.monotonic() - began:.1f} s", flush=True)  # benchmarks wait for it
    except Exception as e:  # noqa: BLE001 - the page loads it then, with a message if it fails
        print(f"warm-up stopped: {e}", flush=True)


def warm_familiarity(name: str) -> None:
    """The search behind a drawing's "unlike anything it learned from", if its data set is here
    already (the first page that needs a data set fetches it)."""
    from nn import data, familiar

    if data.cache_path(name).exists():
        familiar.prepare(data.load(name))


SERVED_OPTIONS = ("server.fileWatcherType", "server.runOnSave", "server.address", "server.port",
                  "runner.postScriptGC", "client.showErrorDetails")
LOOPBACK_ADDRESSES = ("", "localhost", "127.0.0.1", "::1")


def report_configuration() -> None:
    """One line with what the server runs with (tests/test_served_config.py reads it), and a
    warning when everybody would share one workspace on an address others can reach."""
    from streamlit import config

    from nn.storage import class_rules

    options = {name: config.get_option(name) for name in SERVED_OPTIONS}
    mode = class_rules.mode()
    print("Digit Lab serves with " + " ".join(f"{k}={v}" for k, v in options.items())
          + f" workspaces={mode}", flush=True)
    if mode == class_rules.PER_USER:
        print_teacher_link(options["server.address"], options["server.port"])
    if mode == class_rules.SINGLE and str(options["server.address"] or "") not in LOOPBACK_ADDRESSES:
        print(f"WARNING: serving on {options['server.address']} in single-user mode: everybody who "
              "opens the app shares one workspace (models, drawings, runs). For a class, set "
              "DIGITLAB_WORKSPACES=per-user.", flush=True)


def print_teacher_link(address, port) -> None:
    """The link that makes whoever opens it the class's teacher (without a login; with one, the
    e-mail addresses in DIGITLAB_TEACHERS are)."""
    from nn.storage import teachers

    host = "localhost" if str(address or "") in LOOPBACK_ADDRESSES else address
    print(f"Teacher link (keep it to yourself): {teachers.link(f'http://{host}:{port}')}", flush=True)


@asynccontextmanager
async def lifespan(app):
    from nn import settings
    from nn.runs.scheduler import app_scheduler, close_app_schedulers
    from nn.storage import class_rules
    from nn.storage.paths import runs_dir

    report_configuration()
    class_rules.keep_private()
    if settings.value("DIGITLAB_WARM_UP"):
        threading.Thread(target=warm_up, name="digitlab-warm-up", daemon=True).start()
    app_scheduler(runs_dir())
    yield
    close_app_schedulers()  # workers still training end too: their runs become interrupted


def runtime_routes():
    from ui import model_files, runtime_files

    return runtime_files.routes() + model_files.routes()


app = st.App("app.py", lifespan=lifespan, routes=runtime_routes())
