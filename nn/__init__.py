"""Digit Lab's machine-learning package: data, models, training, storage, inference, evaluation.

Nothing here imports Streamlit; the app's pages and the `python -m nn` command line both call it.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter out
