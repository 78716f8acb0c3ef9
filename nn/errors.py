"""The errors of model files, shared by the store and every kind of model (nn.kinds.registry)."""


class StoreError(Exception):
    """A model cannot be found, saved or loaded; the message says why."""


class ModelLoadError(StoreError):
    """A model file cannot be loaded safely; the message says why."""
