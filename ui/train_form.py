"""The forms that start a run: a new model (preset or custom), or fine-tuning on my drawings.

The layer table and the time estimate come from the model's plan and a table measured on the
reference machine (nn.kinds.registry): nothing is built or trained in the server process.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import streamlit as st

from nn import limits, own_data
from nn.data import DATASETS
from nn.errors import DigitLabError
from nn.kinds import registry as kinds
from nn.kinds.keras.kind import KEEP_FEATURES
from nn.kinds.keras.plans import ACTIVATIONS, KERNEL_SIZES, ConvSpec, DenseSpec, parse_sizes, validate_spec
from nn.kinds.kind import Kind, Setting
from nn.presets import PRESETS
from nn.progress import format_duration
from nn.storage import class_rules
from nn.storage.workspaces import class_datasets
from nn.training_config import TRAIN_IMAGES, TrainConfig
from nn.words import term
from ui import markdown, tables, wording
from ui.errors import reason
from ui.i18n import _, n_
from ui.runs import open_run, queue_view, run_store, scheduler
from ui.state import drawings, model_store
from ui.workspace import current, logged_in, login_configured

CUSTOM_DENSE, CUSTOM_CNN = term("custom dense"), term("custom CNN")
FLASH_KEY = "train_flash"  # a message for the next run of the page (runs removed to make room)
ERROR_KEY = "train_refused"  # why the last press of Train queued nothing
SETTING_KEYS = {"epochs": "train_epochs", "batch_size": "train_batch", "optimizer": "train_optimizer",
                "learning_rate": "train_lr", "augment": "train_augment", "subset": "train_subset",
                "validation_split": "train_val", "per_sample": "train_per_sample", "trees": "train_trees",
                "keep_features": "train_keep_features"}
NEW_NETWORK = term("a new network")


def show() -> None:
    if class_rules.train_needs_login() and not logged_in():
        st.info(_("Training on this server needs a login: your runs and models are then yours, "
                  "wherever you log in."), icon=":material/lock:")
        if login_configured():
            st.button(_("Log in to train"), key="login_to_train", type="primary", icon=":material/login:",
                      on_click=st.login)
        else:
            st.warning(_("This server has no login set up (secrets.toml [auth]): ask whoever runs it."))
        return
    mode = st.segmented_control(_("What to train"), ["A new model", "Fine-tune on my drawings"],
                                default="A new model", key="train_mode",
                                format_func=lambda m: _("A new model") if m == "A new model"
                                else _("Fine-tune on my drawings"))
    if mode == "Fine-tune on my drawings":
        fine_tune_form()
    else:
        new_model_form()


def submit(source, dataset: str, config: TrainConfig, with_drawings: bool = False) -> None:
    """The Train button's callback: queue the run and open it. As a callback it runs before the
    page does, so the page is drawn once, with the run, instead of a second time after a rerun
    (under a class's load the page's drawing costs the browser more than the server's work)."""
    try:
        submitted = run_store().submit(source, dataset, config, with_drawings)
    except (DigitLabError, ValueError) as e:
        st.session_state[ERROR_KEY] = str(e)
        return
    scheduler().wake()
    if submitted.removed:
        st.session_state[FLASH_KEY] = _("Your workspace keeps the last {n} runs; removed {runs}.").format(
            n=limits.MAX_RUNS_PER_WORKSPACE, runs=", ".join(submitted.removed))
    open_run(submitted.run.id)


def refused() -> None:
    """Why the last press of Train queued nothing, under the button."""
    if message := st.session_state.pop(ERROR_KEY, None):
        st.error(message)


# --- a new model -------------------------------------------------------------------------------------

def dataset_titles() -> dict[str, str]:
    """The data sets a run can train on: the built-in ones, then the person's own (own:<id>)."""
    titles = {name: _(info.title) for name, info in DATASETS.items()}
    for own in current().datasets().list() + class_datasets().list():
        n = sum(own.counts().values())
        if own.of_class:
            whose = n_("{name} (the class's, {n} drawing)", "{name} (the class's, {n} drawings)", n)
        else:
            whose = n_("{name} (yours, {n} drawing)", "{name} (yours, {n} drawings)", n)
        titles[own_data.name_of(own)] = whose.format(name=own.name, n=n)
    return titles


def apply_dataset_defaults() -> None:
    """An own set gets the recipe for small data (as `nn train --data NAME` without a preset)."""
    if own_data.is_own(st.session_state.get("train_dataset") or ""):
        st.session_state.train_model = own_data.SMALL_DATA_PRESET
        apply_preset_defaults()


def new_model_form() -> None:
    titles = dataset_titles()
    dataset = st.selectbox(_("Data set"), list(titles), key="train_dataset", format_func=titles.get,
                           on_change=apply_dataset_defaults,
                           help=_("Your own data sets are made on the Data sets page."))
    base = None
    if own_data.is_own(dataset or ""):
        st.caption(_("A data set of your own: its test part is held out (whole people when several drew "
                     "it), and small data trains best with the recipe for it: {preset}, {epochs} epochs, "
                     "batches of {batch}, augmentation on.").format(
            preset=own_data.SMALL_DATA_PRESET, epochs=own_data.SMALL_DATA_RECIPE["epochs"],
            batch=own_data.SMALL_DATA_RECIPE["batch_size"]))
        base = transfer_choice()
    source = model_choice() if base is None else base
    kind = kinds.of_source(source) if source is not None else kinds.named("keras")
    config = settings_form(kind, own_data.transfer_config() if base is not None else None)
    problems = config.problems(TRAIN_IMAGES) + kind.config_problems(config)
    for problem in problems:
        st.error(problem)
    if source is not None and not problems:
        show_summary(kind, source, config, *training_images_and_classes(dataset))
    st.button(_("Train"), key="train_start", type="primary", icon=":material/play_arrow:",
              disabled=source is None or bool(problems) or dataset is None,
              on_click=submit, args=(source, dataset, config))
    refused()


def transfer_choice():
    """For one's own set: a new network, or a trained MNIST model's layers with a new last layer
    (the path of its file: what the run starts from)."""
    bases = {i.name: i for i in model_store().list() if i.dataset == "mnist" and i.kind.fine_tunable}
    chosen = st.selectbox(_("Start from"), [NEW_NETWORK, *bases], key="train_transfer",
                          on_change=apply_transfer, format_func=lambda n: _(n) if n == NEW_NETWORK else n,
                          help=_("A model that reads digits has learned strokes and shapes: its layers, with "
                                 "a new last layer for your classes, often learn a few drawings faster."))
    if chosen == NEW_NETWORK or chosen not in bases:
        return None
    st.caption(_("The layers of {model}, and a new last layer for your classes; with “{keep}” only that "
                 "last layer trains.").format(model=markdown.text(chosen), keep=_(KEEP_FEATURES.label)))
    return bases[chosen].path


def apply_transfer() -> None:
    """Starting from a model: the gentle recipe (nn.own_data.transfer_config), as `nn train --from`."""
    if st.session_state.get("train_transfer", NEW_NETWORK) == NEW_NETWORK:
        apply_dataset_defaults()
        return
    config = own_data.transfer_config()
    st.session_state.update({SETTING_KEYS[setting.name]: setting.value_in(config)
                             for setting in kinds.declared_settings()})
    st.session_state.train_val = config.validation_split


def apply_preset_defaults() -> None:
    """When the preset changes, its default hyperparameters fill the form."""
    p = PRESETS.get(st.session_state.train_model)
    if p is None:
        return
    own = own_data.is_own(st.session_state.get("train_dataset") or "")
    recipe = own_data.SMALL_DATA_RECIPE if own else {}
    defaults = TrainConfig.for_preset(p, **recipe)
    values = {setting.name: setting.value_in(defaults) for setting in kinds.declared_settings()}
    values.update(subset=defaults.subset, validation_split=defaults.validation_split)
    st.session_state.update({key: values[name] for name, key in SETTING_KEYS.items()})
    st.session_state.train_subset = defaults.subset or 0
    st.session_state.setdefault("train_seed", 0)


def model_choice():
    """The chosen preset's name or a custom spec; None (with the errors shown) when invalid."""
    choice = st.selectbox(_("Model"), [*PRESETS, CUSTOM_DENSE, CUSTOM_CNN], key="train_model",
                          on_change=apply_preset_defaults,
                          format_func=lambda c: _(c) if c in (CUSTOM_DENSE, CUSTOM_CNN) else c)
    if choice in PRESETS:
        p = PRESETS[choice]
        st.caption(_("{description}. *From: {source}.*").format(description=_(p.description),
                                                                source=_(p.source)))
        if p.why:
            st.info(_(p.why), icon=":material/bolt:")
        if p.kind == "numpy":
            explain_numpy_mlp()
        return choice
    try:
        spec = custom_dense() if choice == CUSTOM_DENSE else custom_cnn()
    except ValueError as e:
        st.error(reason(e))
        return None
    problems = validate_spec(spec)
    for problem in problems:
        st.error(problem)
    return None if problems else spec


def sizes_box(column, label: str, default: str, key: str) -> str:
    """A text box of layer sizes, '128, 64' (nn.kinds.keras.plans.parse_sizes reads it)."""
    return column.text_input(label, default, key=key, max_chars=limits.MAX_SIZES_TEXT)


def custom_dense() -> DenseSpec:
    c1, c2, c3 = st.columns(3)
    hidden = sizes_box(c1, _("Hidden layer sizes"), "128, 64", "custom_hidden")
    activation = c2.selectbox(_("Activation"), ACTIVATIONS, key="custom_activation")
    dropout = c3.slider(_("Dropout"), 0.0, 0.8, 0.2, 0.05, key="custom_dropout")
    return DenseSpec(hidden=parse_sizes(hidden, limits.MAX_DENSE_LAYERS), activation=activation,
                     dropout=dropout)


def custom_cnn() -> ConvSpec:
    c1, c2, c3, c4 = st.columns(4)
    filters = sizes_box(c1, _("Filters per conv block"), "32, 64", "custom_filters")
    kernel = c2.selectbox(_("Kernel size"), KERNEL_SIZES, index=1, key="custom_kernel")
    dense = sizes_box(c3, _("Dense head sizes"), "128", "custom_dense")
    dropout = c4.slider(_("Dropout"), 0.0, 0.8, 0.25, 0.05, key="custom_cnn_dropout")
    batch_norm = st.checkbox(_("Batch normalisation"), key="custom_bn")
    blocks = tuple((f, kernel) for f in parse_sizes(filters, limits.MAX_CONV_BLOCKS))
    return ConvSpec(blocks=blocks, dense=parse_sizes(dense, limits.MAX_DENSE_LAYERS), dropout=dropout,
                    batch_norm=batch_norm)


def explain_numpy_mlp() -> None:
    st.info(_(
        "**Forward:** each of the 40 hidden units adds up the 784 pixels, each times its weight, "
        "and keeps the sum only if it is positive (ReLU); the 10 outputs add up the hidden units the "
        "same way. **Backward:** the error of each output (output minus the one-hot label) is sent "
        "back through the output weights to tell each hidden unit how it should have changed. "
        "**Update:** every weight moves a small step (the learning rate) against its share of the "
        "error. The pictures below are the 40 hidden units' weights: red pixels excite a unit, blue "
        "ones inhibit it. Watch them turn from noise into strokes while it trains."),
        icon=":material/school:")


def settings_form(kind: Kind, base: TrainConfig | None = None) -> TrainConfig:
    """The training settings this kind of model declares, then the data settings every kind has;
    `base`: what they change when starting from a model's layers (else the preset's defaults)."""
    if "train_epochs" not in st.session_state:
        apply_preset_defaults()
    s = st.session_state
    columns = st.columns(4)
    shown = [setting for setting in kind.settings if base is not None or setting is not KEEP_FEATURES]
    for i, setting in enumerate(shown):
        setting_widget(columns[i % 4], setting)
    c1, c2, c3, _spare = st.columns(4)
    c1.number_input(_("Training images (0 = all {n})").format(n=wording.number(TRAIN_IMAGES)), 0,
                    TRAIN_IMAGES, step=1000, key="train_subset")
    c2.slider(_("Validation split"), 0.0, limits.MAX_VALIDATION_SPLIT, step=0.05, key="train_val")
    c3.number_input(_("Seed"), min_value=0, step=1, key="train_seed")
    preset = PRESETS.get(s.train_model)
    chosen = {setting.name: setting.type(s[SETTING_KEYS[setting.name]]) for setting in shown}
    defaults = base or (TrainConfig.for_preset(preset) if preset else TrainConfig())
    return replace(defaults.with_settings(chosen), validation_split=float(s.train_val),
                   seed=int(s.train_seed), subset=int(s.train_subset) or None)


def setting_widget(column, setting: Setting) -> None:
    """One declared setting as a widget, within its range."""
    key, label = SETTING_KEYS[setting.name], _(setting.label)
    explained = _(setting.help) if setting.help else None
    if setting.type is bool:
        column.toggle(label, key=key, help=explained)
    elif setting.choices:
        column.selectbox(label, setting.choices, key=key, help=explained)
    elif setting.type is float:
        column.number_input(label, float(setting.low), float(setting.high), step=setting.step,
                            format="%g", key=key, help=explained)
    else:
        column.number_input(label, int(setting.low), int(setting.high), step=int(setting.step),
                            key=key, help=explained)


def training_images_and_classes(dataset: str | None) -> tuple[int, int]:
    if own_data.is_own(dataset or ""):
        own = own_data.own_set(current(), dataset)
        return own_data.training_images(sum(own.counts().values())), len(own.classes)
    return TRAIN_IMAGES, 10


def show_summary(kind: Kind, source, config: TrainConfig, images: int, classes: int) -> None:
    rows = kind.describe(source, classes)
    seconds = queue_view().expected_seconds(kind, source, config, images)
    c1, c2 = st.columns([3, 1])
    with c1:
        tables.layers(rows, key="summary_table")
    total = sum(r["params"] for r in rows)
    c2.metric(_("Parameters"), wording.number(total) if total else _("grown from the data"))
    c2.metric(_("Training time here"), f"~{format_duration(seconds)}",
              help=_("From this server's last runs of this preset (before any, from timings of every "
                     "preset on a 2-core machine), with what would train alongside it; waiting in the "
                     "queue comes on top."))


# --- fine-tuning ---------------------------------------------------------------------------------------

def fine_tune_form() -> None:
    """Teach a saved MNIST model the digits the person drew and labelled on the Draw page."""
    mine = drawings().load("mnist")
    if not mine.ids:
        st.info(_("No drawings yet. On the Draw page, open “{wrong}” to save drawings with their right "
                  "labels; then fine-tune a model on them here.").format(wrong=_("Wrong? Tell it")))
        return
    counts = np.bincount(mine.y, minlength=10)
    st.write(n_("**{n} drawing**", "**{n} drawings**", len(mine.ids)).format(n=len(mine.ids)) + ": "
             + ", ".join(f"{d}: {n}" for d, n in enumerate(counts) if n))
    bases = [i for i in model_store().list() if i.dataset == "mnist" and i.kind.fine_tunable]
    base = st.selectbox(_("Start from"), [i.name for i in bases], key="tune_base")
    c1, c2 = st.columns(2)
    epochs = c1.number_input(_("Epochs"), 1, limits.FINE_TUNE_MAX_EPOCHS, 3, key="tune_epochs")
    low, high = limits.FINE_TUNE_LEARNING_RATES
    lr = c2.number_input(_("Learning rate"), low, high, 0.0001, format="%g", key="tune_lr")
    st.caption(_("Each drawing is shown {repeat} times per epoch, mixed with {replay} MNIST images so that "
                 "the model does not forget them; test accuracy is still measured on MNIST.").format(
        repeat=limits.FINE_TUNE_REPEAT, replay=wording.number(limits.FINE_TUNE_REPLAY)))
    path = next((i.path for i in bases if i.name == base), None)
    st.button(_("Fine-tune"), key="tune_start", type="primary", icon=":material/play_arrow:",
              disabled=path is None, on_click=submit,
              args=(path, "mnist", TrainConfig.for_fine_tuning(int(epochs), float(lr))),
              kwargs={"with_drawings": True})
    refused()
