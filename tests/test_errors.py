"""Every error Digit Lab raises of its own is a DigitLabError, so "any of ours" is one except."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import nn
from nn.errors import DigitLabError


def modules_of_nn():
    for info in pkgutil.walk_packages(nn.__path__, "nn."):
        if info.name != "nn.__main__":
            yield importlib.import_module(info.name)


def test_every_exception_defined_in_nn_is_a_digit_lab_error():
    ours = {cls for module in modules_of_nn() for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, BaseException) and cls.__module__.startswith("nn.")}
    assert len(ours) >= 15
    assert not {cls.__qualname__ for cls in ours if not issubclass(cls, DigitLabError)}
