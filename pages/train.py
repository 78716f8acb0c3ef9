"""Train: pick or build a model, train it in the background, watch it learn, stop, save, load."""

import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from nn import numpy_mlp
from nn.data import DATASETS
from nn.drawings import DrawingStore
from nn.jobs import JobState, TrainingJob, format_duration
from nn.models import (
    ACTIVATIONS,
    PRESETS,
    ConvSpec,
    DenseSpec,
    build_model,
    is_numpy,
    summary_rows,
    validate_spec,
)
from nn.store import MAX_MODEL_BYTES, MODEL_SUFFIXES, NUMPY_SUFFIX, StoreError
from nn.training import OPTIMIZERS, TrainConfig, estimate_epoch_seconds
from ui import charts
from ui.state import run_through_app, set_active_model, store

run_through_app()

CUSTOM_DENSE, CUSTOM_CNN = "custom dense", "custom CNN"
TRAIN_SIZE = 60_000
JOB_KEY = "training_job"

st.title("Train")
st.write("Choose a network and its settings, press Train, and watch the loss fall batch by batch. "
         "Stop whenever you like; the weights learned so far are kept.")


def sizes(text: str) -> tuple[int, ...]:
    """'128, 64' -> (128, 64); raises ValueError with a sentence."""
    try:
        values = tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError:
        raise ValueError(f"{text!r} is not a list of whole numbers like 128, 64") from None
    if not values:
        raise ValueError("give at least one layer size")
    return values


def apply_preset_defaults() -> None:
    """When the preset changes, its default hyperparameters fill the form."""
    p = PRESETS.get(st.session_state.train_model)
    if p is None:
        return
    st.session_state.update(train_epochs=p.epochs, train_batch=p.batch_size,
                            train_optimizer=p.optimizer, train_lr=p.learning_rate,
                            train_augment=p.augment, train_subset=p.subset or 0,
                            train_val=p.validation_split, train_per_sample=False)
    st.session_state.setdefault("train_seed", 0)


# --- the form ------------------------------------------------------------------------------------
def model_form():
    """The chosen preset name or custom spec, or None with errors shown."""
    choice = st.selectbox("Model", [*PRESETS, CUSTOM_DENSE, CUSTOM_CNN], key="train_model",
                          on_change=apply_preset_defaults)
    if choice in PRESETS:
        p = PRESETS[choice]
        st.caption(f"{p.description}. *From: {p.source}.*")
        if is_numpy(choice):
            explain_numpy_mlp()
        return choice
    try:
        if choice == CUSTOM_DENSE:
            c1, c2, c3 = st.columns(3)
            hidden = c1.text_input("Hidden layer sizes", "128, 64", key="custom_hidden")
            activation = c2.selectbox("Activation", ACTIVATIONS, key="custom_activation")
            dropout = c3.slider("Dropout", 0.0, 0.8, 0.2, 0.05, key="custom_dropout")
            spec = DenseSpec(hidden=sizes(hidden), activation=activation, dropout=dropout)
        else:
            c1, c2, c3, c4 = st.columns(4)
            filters = c1.text_input("Filters per conv block", "32, 64", key="custom_filters")
            kernel = c2.selectbox("Kernel size", [3, 5, 7, 1], key="custom_kernel")
            dense = c3.text_input("Dense head sizes", "128", key="custom_dense")
            dropout = c4.slider("Dropout", 0.0, 0.8, 0.25, 0.05, key="custom_cnn_dropout")
            batch_norm = st.checkbox("Batch normalisation", key="custom_bn")
            spec = ConvSpec(blocks=tuple((f, kernel) for f in sizes(filters)), dense=sizes(dense),
                            dropout=dropout, batch_norm=batch_norm)
    except ValueError as e:
        st.error(str(e))
        return None
    problems = validate_spec(spec)
    for problem in problems:
        st.error(problem)
    return None if problems else spec


def explain_numpy_mlp() -> None:
    st.info(
        "**Forward:** each of the 40 hidden units adds up the 784 pixels, each times its weight, "
        "and keeps the sum only if it is positive (ReLU); the 10 outputs add up the hidden units the "
        "same way. **Backward:** the error of each output (output minus the one-hot label) is sent "
        "back through the output weights to tell each hidden unit how it should have changed. "
        "**Update:** every weight moves a small step (the learning rate) against its share of the "
        "error. The pictures below are the 40 hidden units' weights: red pixels excite a unit, blue "
        "ones inhibit it. Watch them turn from noise into strokes while it trains.",
        icon=":material/school:")


def config_form() -> TrainConfig:
    if "train_epochs" not in st.session_state:
        apply_preset_defaults()
    numpy_net = is_numpy(st.session_state.train_model)
    c1, c2, c3, c4 = st.columns(4)
    epochs = c1.number_input("Epochs", min_value=1, max_value=500, step=1, key="train_epochs")
    batch = c2.number_input("Batch size", min_value=1, max_value=8192, step=1, key="train_batch")
    optimizer = c3.selectbox("Optimizer", OPTIMIZERS, key="train_optimizer")
    lr = c4.number_input("Learning rate", min_value=0.0, max_value=100.0, format="%.5f",
                         step=0.0001, key="train_lr")
    c1, c2, c3, c4 = st.columns(4)
    subset = c1.number_input("Training images (0 = all 60,000)", min_value=0, step=1000,
                             key="train_subset")
    val = c2.slider("Validation split", 0.0, 0.5, step=0.05, key="train_val")
    seed = c3.number_input("Seed", min_value=0, step=1, key="train_seed")
    if numpy_net:
        per_sample = c4.toggle("Update after every image", key="train_per_sample",
                               help="The tutorial's own loop: exact, about 10x slower than "
                                    "updating once per batch with the batch's summed gradients")
    else:
        per_sample = False
        c4.toggle("Augmentation", key="train_augment",
                  help="Random shifts, rotations, zoom and stroke thickness while training")
    p = PRESETS.get(st.session_state.train_model)
    return TrainConfig(epochs=int(epochs), batch_size=int(batch), optimizer=optimizer,
                       learning_rate=float(lr), validation_split=float(val),
                       augment=bool(st.session_state.train_augment) and not numpy_net,
                       seed=int(seed), subset=int(subset) or None,
                       lr_schedule=p.lr_schedule if p else "constant", per_sample=bool(per_sample))


@st.cache_data(show_spinner=False, max_entries=32)
def summary_and_estimate(model: str | DenseSpec | ConvSpec, config: TrainConfig):
    rows = summary_rows(build_model(model))
    if is_numpy(model):
        return rows, numpy_mlp.estimate_epoch_seconds(config, TRAIN_SIZE)
    seconds = estimate_epoch_seconds(lambda: build_model(model), config, TRAIN_SIZE)
    return rows, seconds


def show_summary(model, config: TrainConfig) -> None:
    with st.spinner("Building the model and timing a few batches…"):
        rows, seconds = summary_and_estimate(model, config)
    total = sum(r["params"] for r in rows)
    c1, c2 = st.columns([3, 1])
    with c1:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="summary_table")
    c2.metric("Parameters", f"{total:,}")
    c2.metric("Time per epoch here", f"~{format_duration(seconds)}",
              help="Measured by timing a few training steps on this machine; augmentation adds some.")


# --- the running job --------------------------------------------------------------------------------
def show_job(job: TrainingJob) -> None:
    snap = job.snapshot()
    p = snap.progress
    if snap.state is JobState.PREPARING:
        st.progress(0.0, text=f"Preparing: {snap.message}…")
    else:
        epoch = p.epoch if p.batch == p.batches_per_epoch else min(p.epoch + 1, p.epochs)
        st.progress(snap.fraction, text=(
            f"epoch {epoch}/{p.epochs} · batch {p.batch}/{p.batches_per_epoch} · "
            f"{p.samples_per_second:,.0f} images/s · elapsed {format_duration(p.elapsed)} · "
            f"ETA {format_duration(p.eta) if not snap.state.done else '0:00'}"))
    st.plotly_chart(charts.batch_curves(p.batches, p.batches_per_epoch), key="batch_chart",
                    config={"displayModeBar": False})
    if p.history:
        st.plotly_chart(charts.epoch_curves({"": p.history}), key="epoch_chart",
                        config={"displayModeBar": False})
    if p.hidden_weights is not None:
        st.image(charts.weight_tiles(p.hidden_weights),
                 caption="The 40 hidden units' weights, live (red excites, blue inhibits)")
    if snap.state in (JobState.RUNNING, JobState.PREPARING):
        if st.button("Stop", key="train_stop", icon=":material/stop_circle:", type="primary"):
            job.stop()
            st.toast("Stopping at the next batch…")
    elif not st.session_state.get("job_seen_done"):
        st.session_state.job_seen_done = True
        st.rerun(scope="app")  # show the save form


def show_result(job: TrainingJob) -> None:
    snap = job.snapshot()
    if snap.state is JobState.FAILED:
        st.error(f"Training failed: {snap.message}")
    else:
        p = snap.progress
        done = (f"Finished {p.epoch} epoch{'s' if p.epoch != 1 else ''}" if snap.state is JobState.FINISHED
                else f"Stopped at epoch {min(p.epoch + 1, p.epochs)}, batch {p.batch}")
        st.success(f"{done} in {format_duration(snap.seconds)}: test accuracy **{snap.test_accuracy:.2%}**.")
        if st.session_state.get("saved_job") is job:
            st.info(f"Saved as **{st.session_state.saved_name}** and made the active model.")
        else:
            if job.base_model:
                base = f"{job.base_model}-my-drawings"
            elif job.preset_name:
                base = f"{job.preset_name}-{job.dataset}"
            else:
                base = f"custom-{job.model_source.kind}-{job.dataset}"
            default = store().unique_name(base)
            c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
            name = c1.text_input("Name", default, key="save_name")
            if c2.button("Save model", key="save_model", type="primary", icon=":material/save:"):
                try:
                    info = store().save(job.model, name.strip(), {**job.metadata(), "name": name})
                except StoreError as e:
                    st.error(str(e))
                else:
                    st.session_state.saved_job, st.session_state.saved_name = job, info.name
                    set_active_model(info.name)
                    st.rerun()
    if st.button("New training", key="train_new", icon=":material/restart_alt:"):
        del st.session_state[JOB_KEY]
        st.rerun()


# --- keep: load, upload, download, delete, compare -----------------------------------------------
def model_table() -> None:
    infos = store().list()
    st.subheader("Saved models")
    if not infos:
        st.info("No saved models yet.")
        return
    table = pd.DataFrame([i.row() for i in infos])
    event = st.dataframe(
        table, hide_index=True, width="stretch", key="models_table", on_select="rerun",
        selection_mode="single-row",
        column_config={"test accuracy": st.column_config.NumberColumn(format="percent"),
                       "training seconds": st.column_config.NumberColumn(format="%.0f s")},
    )
    rows = event.selection.rows if event and event.selection else []
    if not rows:
        st.caption("Select a row to use, download or delete that model.")
        return
    info = infos[rows[0]]
    c1, c2, c3 = st.columns(3)
    if c1.button(f"Use {info.name}", key="load_model", icon=":material/check_circle:"):
        set_active_model(info.name)
        st.rerun()
    c2.download_button(f"Download {info.path.suffix}", info.path.read_bytes(),
                       file_name=info.path.name, key="download_model", icon=":material/download:")
    if c3.button("Delete", key="delete_model", disabled=info.bundled, icon=":material/delete:",
                 help="Bundled models cannot be deleted" if info.bundled else None):
        store().delete(info.name)
        st.rerun()


def upload_form() -> None:
    st.subheader("Upload a model")
    upload = st.file_uploader(f"A Keras 3 .keras file (28x28 input, 10 outputs) or a Digit Lab "
                              f".npmlp file, at most {MAX_MODEL_BYTES // 2**20} MB",
                              type=[s.lstrip(".") for s in MODEL_SUFFIXES], key="upload_model")
    if upload is None:
        return
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    name = c1.text_input("Name", Path(upload.name).stem, key="upload_name")
    dataset = c2.selectbox("Trained on", list(DATASETS), key="upload_dataset")
    if st.button("Add to my models", key="upload_save"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"upload{Path(upload.name).suffix.lower()}"
            path.write_bytes(upload.getvalue())
            try:
                info = store().import_file(path, name.strip(), {"dataset": dataset})
            except StoreError as e:
                st.error(f"Not added: {e}")
                return
        st.success(f"Added {info.name}.")


def compare_curves() -> None:
    st.subheader("Compare learning curves")
    infos = {i.name: i for i in store().list() if i.metadata.get("history")}
    chosen = st.multiselect("Models", list(infos), key="compare_curves",
                            placeholder="Pick two or more saved models")
    if chosen:
        st.plotly_chart(charts.epoch_curves({n: infos[n].metadata["history"] for n in chosen}),
                        key="compare_chart", config={"displayModeBar": False})


def start(job: TrainingJob) -> None:
    st.session_state[JOB_KEY] = job.start()
    st.session_state.job_seen_done = False
    time.sleep(0.2)
    st.rerun()


def fine_tune_form() -> None:
    """Teach a saved MNIST model the digits the user drew and labelled on the Draw page."""
    drawings = DrawingStore().load("mnist")
    if not drawings.ids:
        st.info("No drawings yet. On the Draw page, open “Wrong? Tell it” to save drawings "
                "with their right labels; then fine-tune a model on them here.")
        return
    counts = np.bincount(drawings.y, minlength=10)
    st.write(f"**{len(drawings.ids)} drawings**: " +
             ", ".join(f"{d}: {n}" for d, n in enumerate(counts) if n))
    # The NumPy network learns only by its own plain gradient descent on MNIST alone.
    mnist_models = [i for i in store().list() if i.dataset == "mnist" and i.path.suffix != NUMPY_SUFFIX]
    base = st.selectbox("Start from", [i.name for i in mnist_models], key="tune_base")
    c1, c2 = st.columns(2)
    epochs = c1.number_input("Epochs", 1, 50, 3, key="tune_epochs")
    lr = c2.number_input("Learning rate", 0.00001, 0.1, 0.0001, format="%.5f", key="tune_lr")
    st.caption("Each drawing is shown 20 times per epoch, mixed with 6,000 MNIST images so that "
               "the model does not forget them; test accuracy is still measured on MNIST.")
    if st.button("Fine-tune", key="tune_start", type="primary", icon=":material/play_arrow:"):
        config = TrainConfig(epochs=int(epochs), batch_size=32, learning_rate=float(lr))
        path = store().get(base).path
        start(TrainingJob(path, "mnist", config, with_drawings=True))


# --- the page ---------------------------------------------------------------------------------------
job: TrainingJob | None = st.session_state.get(JOB_KEY)
mode = None
if job is None:
    mode = st.segmented_control("What to train", ["A new model", "Fine-tune on my drawings"],
                                default="A new model", key="train_mode")
if mode == "Fine-tune on my drawings":
    fine_tune_form()
elif job is None:
    dataset = st.segmented_control("Dataset", list(DATASETS), default="mnist", key="train_dataset",
                                   format_func=lambda n: DATASETS[n].title)
    model = model_form()
    config = config_form()
    problems = config.problems(train_size=TRAIN_SIZE)
    if is_numpy(model):
        problems += numpy_mlp.config_problems(config)
    for problem in problems:
        st.error(problem)
    if model is not None and not problems:
        show_summary(model, config)
    if st.button("Train", key="train_start", type="primary", icon=":material/play_arrow:",
                 disabled=model is None or bool(problems) or dataset is None):
        start(TrainingJob(model, dataset, config))
else:
    running = not job.snapshot().state.done
    st.fragment(show_job, run_every=0.5 if running else None)(job)
    if not running:
        show_result(job)

st.divider()
model_table()
upload_form()
compare_curves()
