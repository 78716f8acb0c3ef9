"""Storage: where files go (paths.py), crash-safe files and locks, saved models, drawings and
each person's workspace."""
