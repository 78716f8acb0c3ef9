"""The limits people meet, in one place: what a person may ask for (training settings, custom
networks, runs) and what a file may be (uploaded models and images), so that the forms, the
command line and the checks all read the same numbers. A class's server may change those marked
with a variable (nn.settings). Limits that only one module's own checks use stay beside them: a
forest file's trees (nn.kinds.forest), a class model's title (nn.storage.class_shelf), a
person's name (nn.storage.workspaces), an untrusted file's trial (nn.storage.trial)."""

# --- training -------------------------------------------------------------------------------------
MAX_EPOCHS = 500
MAX_BATCH_SIZE = 8192
MAX_LEARNING_RATE = 100.0
MAX_VALIDATION_SPLIT = 0.5
MIN_SUBSET = 10  # fewer training images than this teach nothing
MIN_CALIBRATION_IMAGES = 500  # held-out images needed to fit a Keras model's temperature
MAX_TREES = 200  # the random forest's largest size: its file grows by about 0.2 MB a tree

# Fine-tuning a saved model on one's own drawings.
FINE_TUNE_MAX_EPOCHS = 50
FINE_TUNE_LEARNING_RATES = (1e-5, 0.1)  # the form's range
FINE_TUNE_REPEAT = 20  # each drawing is shown this many times per epoch ...
FINE_TUNE_REPLAY = 6_000  # ... mixed with this many of the data set's own images

# Runs and the queue.
MAX_RUNS_PER_WORKSPACE = 50  # older finished runs are removed beyond this
MAX_RUNS_PER_PERSON = 3  # a class server: runs waiting or training at once (DIGITLAB_MAX_RUNS_PER_PERSON)
MAX_RUN_MINUTES = 30  # a class server: the longest a run trains (DIGITLAB_MAX_RUN_MINUTES); then it stops
MAX_MODEL_PARAMS = 2_000_000  # a class server: the largest network a run may train (the largest
# preset has 607,394); DIGITLAB_MAX_MODEL_PARAMS
MAX_WORKSPACE_MB = 500  # a class server: one person's models, runs and drawings (DIGITLAB_MAX_WORKSPACE_MB)
# A class server without a login: each new browser is a new workspace, with quotas of its own.
MAX_WORKSPACES = 200  # handed out in all (DIGITLAB_MAX_WORKSPACES) ...
NEW_WORKSPACES_PER_HOUR = 60  # ... and at most this many an hour (DIGITLAB_NEW_WORKSPACES_PER_HOUR)
GB_PER_TRAINING = 1.0  # a training process's memory, with TensorFlow (bench: queue)

# --- the random forest's .skops files -------------------------------------------------------------
FOREST_FILE_BYTES = 60 * 1024 * 1024  # about 1.4 MB unpacked, 0.2 MB packed per full-depth tree
FOREST_UNPACKED_BYTES = 320 * 1024 * 1024

# --- the NumPy network ----------------------------------------------------------------------------
NUMPY_MAX_HIDDEN = 4096
NUMPY_FILE_BYTES = 50 * 1024 * 1024  # as for .keras files

# --- .keras files ---------------------------------------------------------------------------------
KERAS_FILE_BYTES = 50 * 1024 * 1024  # a .keras file larger than this is refused
KERAS_UNPACKED_BYTES = 200 * 1024 * 1024  # zip bombs: the archive's declared unpacked size

# --- custom Keras networks (the Train form's builder) ---------------------------------------------
MAX_DENSE_LAYERS = 8
MAX_CONV_BLOCKS = 4
MAX_UNITS = 4096
MAX_FILTERS = 512
MAX_SIZES_TEXT = 64  # characters of a "128, 64" text box, checked before it is parsed

# --- images drawn or uploaded ---------------------------------------------------------------------
IMAGE_PIXELS = 40_000_000  # larger images are refused (decompression bombs)
IMAGE_FILE_BYTES = 20 * 1024 * 1024
ORIGINAL_SIDE = 280  # a saved drawing's original is kept at most this size (the canvas's): a photo
# of 40 million pixels would otherwise be kept whole, in the person's disk quota


# --- names people give: a title in the class, a person's name -------------------------------------
# Letters (any alphabet), digits and this punctuation: nothing a page would read as markup or a
# spreadsheet as a formula.
PLAIN_PUNCTUATION = " .,'-_()!?&:"


def is_plain(text: str) -> bool:
    return bool(text) and text[0].isalnum() and all(c.isalnum() or c in PLAIN_PUNCTUATION for c in text)
