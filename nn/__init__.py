"""Digit Lab's machine-learning package: data, models, training, storage, inference, evaluation.

Nothing here imports Streamlit; the app's pages and the `python -m nn` command line both call it.
"""

import os

__version__ = "2026.11.1"  # a Ray cluster's nodes must run this same version (nn.runs.remote)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter out
