"""nn.export: every preset's network and every bundled model as ONNX (run by onnxruntime, as the
browser runs it) and as LiteRT .tflite (run by LiteRT's own interpreter) answers as the app's own
predictor does, within 1e-5; the NumPy network as its small ONNX graph; the forest refuses with
its reason; an export is made once per file content."""

from __future__ import annotations

import numpy as np
import pytest

from nn import data
from nn.export import ExportError, exported, is_exported
from nn.inference import make_predictor
from nn.kinds import registry as kinds
from nn.presets import PRESETS
from nn.storage.saved_models import ModelStore

TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    d = data.load("mnist")
    return (d.x_test[:8] / np.float32(255)).astype(np.float32)


def onnx_answers(path, x: np.ndarray) -> np.ndarray:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return np.concatenate([session.run(None, {name: x[i:i + 1]})[0] for i in range(len(x))])


def litert_answers(path, x: np.ndarray) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    given, wanted = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    out = []
    for i in range(len(x)):
        interpreter.set_tensor(given["index"], x[i:i + 1])
        interpreter.invoke()
        out.append(interpreter.get_tensor(wanted["index"]))
    return np.concatenate(out)


def keras_file(preset: str, tmp_path):
    kind = kinds.of_source(preset)
    path = tmp_path / f"{preset}{kind.suffix}"
    kind.save(kind.build(preset, seed=1), path)
    return path


def app_answers(path, x: np.ndarray) -> np.ndarray:
    return make_predictor(kinds.load_model_file(path)).probabilities(x)


NETWORKS = [name for name, p in PRESETS.items() if p.kind == "keras"]


@pytest.mark.parametrize("preset", NETWORKS)
def test_every_preset_exports_to_onnx_and_litert_as_keras_answers(preset, tmp_path, images):
    path = keras_file(preset, tmp_path)
    expected = app_answers(path, images)
    for fmt, answers in (("onnx", onnx_answers), ("tflite", litert_answers)):
        got = answers(exported(path, fmt), images)
        assert got.shape == expected.shape and np.abs(got - expected).max() <= TOLERANCE, (preset, fmt)


@pytest.mark.parametrize("name", [i.name for i in ModelStore().list() if i.bundled])
def test_every_bundled_model_exports_as_it_answers(name, images):
    path = ModelStore().get(name).path
    expected = app_answers(path, images)
    for fmt, answers in (("onnx", onnx_answers), ("tflite", litert_answers)):
        assert np.abs(answers(exported(path, fmt), images) - expected).max() <= TOLERANCE, (name, fmt)


def test_the_numpy_network_is_a_small_onnx_graph_and_the_forest_says_why_not(tmp_path, images):
    kind = kinds.named("numpy")
    net = kind.build("numpy-mlp", seed=2)
    path = tmp_path / f"net{kind.suffix}"
    kind.save(net, path)
    expected = kind.predictor(net).probabilities(images)
    assert np.abs(onnx_answers(exported(path, "onnx"), images) - expected).max() <= TOLERANCE
    blank = np.zeros_like(images[:1])  # no output above 0: the uniform row, as in NumPy
    assert np.allclose(onnx_answers(exported(path, "onnx"), blank), kind.predictor(net).probabilities(blank))
    with pytest.raises(ExportError, match="its kind exports to onnx"):
        exported(path, "tflite")
    forest = kinds.named("forest")
    trees = tmp_path / f"trees{forest.suffix}"
    grown = forest.build("random-forest", 0)
    grown.n_estimators = 2
    forest.save(grown.fit(images.reshape(8, -1), np.arange(8) % 10), trees)
    with pytest.raises(ExportError, match="answers from the server"):
        exported(trees, "onnx")


def test_an_export_is_made_once_per_content(tmp_path):
    path = keras_file("sigmoid-10", tmp_path)
    assert not is_exported(path, "onnx")
    first = exported(path, "onnx")
    stamp = first.stat().st_mtime_ns
    copy = tmp_path / "copy.keras"
    copy.write_bytes(path.read_bytes())
    assert is_exported(copy, "onnx") and exported(copy, "onnx") == first  # the same bytes, the same export
    assert first.stat().st_mtime_ns >= stamp
    with pytest.raises(ExportError, match="the formats are onnx, tflite"):
        exported(path, "tfjs")
