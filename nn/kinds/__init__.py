"""Kinds of model: what each can do (kind.py), the Keras networks, the NumPy network, the forest,
and the registry that picks the kind of a preset or a file (registry.py)."""
