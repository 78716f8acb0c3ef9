"""Digit Lab's errors: every one of them is a `DigitLabError`, whose message is written for people
and shown as it stands (catch it where you mean "any of ours"); here also the errors of model
files, shared by the store and every kind of model, and of workspaces, shared by the modules of
nn.storage that keep people's work apart."""


from nn.phrases import Phrase


class DigitLabError(Exception):
    """An error of Digit Lab's own; its message says what went wrong and what to do. Raised with a
    phrase (nn.phrases.said), its message is the phrase's English and `phrase` keeps it for the app
    to translate (ui.errors.sentence)."""

    def __init__(self, message="", *args):
        self.phrase = message if isinstance(message, Phrase) else None
        super().__init__(str(message) if self.phrase else message, *args)


class StoreError(DigitLabError):
    """A model cannot be found, saved or loaded; the message says why."""


class ModelLoadError(StoreError):
    """A model file cannot be loaded safely; the message says why."""


class WorkspaceError(DigitLabError, ValueError):
    """A workspace that cannot be used, or a person who may not do this on a class's server."""
