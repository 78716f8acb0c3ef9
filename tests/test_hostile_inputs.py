"""Hostile and broken inputs: each gets a specific message (or the right answer), nothing is stored.

Counted in the closing note of the reliability issue: images, canvases, model files, settings,
data files.
"""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image, ImageDraw

from nn import data
from nn.kinds.keras.predictor import Predictor
from nn.preprocess import DotError, EmptyImageError, ImageError, open_image, to_mnist
from nn.storage.saved_models import ModelLoadError, ModelStore, StoreError, check_name
from nn.training_config import ConfigError, TrainConfig
from tests.conftest import digit_canvas


@pytest.fixture(scope="module")
def bundled():
    return Predictor(ModelStore().load())  # the default bundled CNN


@pytest.fixture(scope="module")
def seven(mnist) -> np.ndarray:
    """A dark 7 on white paper, 280x280 grey."""
    return 255 - digit_canvas(mnist.x_test[0], rgba=False)


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


# --- image files: odd but valid formats are read correctly ------------------------------------------
def test_16_bit_cmyk_palette_images_are_read(seven, bundled):
    for blob in (encode(Image.fromarray(seven.astype(np.uint16) * 257), "PNG"),
                 encode(Image.fromarray(seven).convert("CMYK"), "JPEG"),
                 encode(Image.fromarray(seven).convert("P"), "PNG"),
                 encode(Image.fromarray(seven).convert("LA"), "PNG")):
        assert bundled.predict_one(to_mnist(blob)).label == 7


def test_animated_gif_uses_its_first_frame(mnist, bundled):
    frames = [Image.fromarray(255 - digit_canvas(mnist.x_test[i], rgba=False)).convert("P") for i in (0, 1)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    assert bundled.predict_one(to_mnist(buffer.getvalue())).label == 7  # frame 2 is a 2


def test_exif_rotated_photo_is_turned_upright(seven, bundled):
    stored = Image.fromarray(seven).rotate(90, expand=True).convert("RGB")  # as a phone stores it
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    blob = encode(stored, "JPEG", exif=exif, quality=95)
    upright = np.asarray(open_image(blob).convert("L"), dtype=float)
    assert np.abs(upright - seven).mean() < 8  # back to the original orientation
    assert bundled.predict_one(to_mnist(blob)).label == 7


# --- image files: unusable ones get a specific message ----------------------------------------------
@pytest.mark.parametrize("blob, message", [
    (b"", "empty"),
    (b"%PDF-1.4 this is a document", "not an image"),
    (encode(Image.new("L", (1, 1), 0), "PNG"), "no digit"),
    (encode(Image.new("RGB", (300, 200), "white"), "PNG"), "no digit"),
    (encode(Image.new("RGB", (300, 200), "black"), "JPEG"), "no digit"),
    (encode(Image.new("1", (12_000, 12_000), 0), "PNG"), "too large"),  # a decompression bomb
    (encode(Image.new("1", (8_000, 6_000), 0), "PNG"), "limit is 40 million pixels"),
    # PostScript named .png: Pillow would open it as EPS and look for Ghostscript to run it
    (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 28 28\nshowpage\n", "not an image"),
    (encode(Image.new("L", (28, 28), 0), "TIFF"), "not an image"),
])
def test_unusable_images_get_a_specific_error(blob, message):
    with pytest.raises(ImageError, match=message):
        to_mnist(blob)


def test_truncated_png_and_jpeg(seven):
    for fmt in ("PNG", "JPEG"):
        blob = encode(Image.fromarray(seven), fmt)
        with pytest.raises(ImageError, match="truncated or corrupt"):
            to_mnist(blob[: len(blob) // 3])


def test_oversized_file_is_refused_before_decoding():
    with pytest.raises(ImageError, match="the limit is 20 MB"):
        open_image(b"\x89PNG" + bytes(21 * 2**20))


# --- canvases ------------------------------------------------------------------------------------------
def canvas(draw) -> np.ndarray:
    image = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    draw(ImageDraw.Draw(image))
    return np.asarray(image)


def test_blank_and_dot_canvases_are_not_predicted():
    with pytest.raises(EmptyImageError, match="no digit"):
        to_mnist(np.zeros((280, 280, 4), dtype=np.uint8))
    for box in ((130, 130, 150, 150), (120, 120, 160, 160)):
        with pytest.raises(DotError, match="a dot, not a digit"):
            to_mnist(canvas(lambda d, box=box: d.ellipse(box, fill="white")))


def test_ink_touching_every_edge_and_a_small_one_are_still_read(bundled):
    ring = canvas(lambda d: d.ellipse((0, 0, 279, 279), outline="white", width=22))
    assert bundled.predict_one(to_mnist(ring)).label == 0
    small_one = canvas(lambda d: d.line((20, 20, 25, 70), fill="white", width=10))
    assert bundled.predict_one(to_mnist(small_one)).label == 1


# --- model files ----------------------------------------------------------------------------------------
def test_zip_bomb_and_oversized_model_files_are_refused(tmp_path):
    store = ModelStore(tmp_path / "store", bundled_root=None)
    bomb = tmp_path / "bomb.keras"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("config.json", "{}")
        z.writestr("model.weights.h5", bytes(210 * 2**20))  # 210 MB of zeros, ~200 kB packed
    with pytest.raises(ModelLoadError, match="unpacks to more than 200 MB"):
        store.import_file(bomb, "bomb")
    huge = tmp_path / "huge.keras"
    with open(huge, "wb") as f:
        f.truncate(51 * 2**20)
    with pytest.raises(ModelLoadError, match="limit is 50 MB"):
        store.import_file(huge, "huge")
    assert store.list() == []


def test_a_model_with_an_unknown_custom_layer_is_refused(tmp_path):
    import keras

    @keras.saving.register_keras_serializable(package="elsewhere")
    class Sneaky(keras.layers.Layer):
        def call(self, x):
            return x

    inputs = keras.Input((28, 28))
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(Sneaky()(inputs)))
    path = tmp_path / "custom.keras"
    keras.Model(inputs, outputs).save(path)
    keras.saving.get_custom_objects().clear()  # as in a fresh process that never saw the class
    with pytest.raises(ModelLoadError, match="could not be loaded"):
        ModelStore(tmp_path / "s", bundled_root=None).import_file(path, "custom")


def test_an_unwritable_store_gives_a_clear_error(tmp_path):
    import keras

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10)])
    with pytest.raises(StoreError, match="cannot create the model folder"):
        ModelStore(blocker / "models", bundled_root=None).save(model, "m", {})


# --- settings -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("settings", [
    {"epochs": 0}, {"epochs": -1}, {"epochs": 10**9}, {"batch_size": 0}, {"batch_size": -32},
    {"batch_size": 10**7}, {"learning_rate": -0.1}, {"learning_rate": 1e9},
    {"learning_rate": float("inf")}, {"epochs": 2.5}, {"epochs": True}, {"subset": 0},
])
def test_out_of_range_settings_are_refused(settings):
    with pytest.raises(ConfigError):
        TrainConfig(**settings).check(train_size=60_000)


# --- data files -----------------------------------------------------------------------------------------
def test_a_cache_altered_by_one_byte_is_detected(mnist, tmp_data_dir):
    arrays = mnist.arrays()
    altered = dict(arrays, x_test=arrays["x_test"].copy())
    altered["x_test"][1234, 14, 14] ^= 0xFF
    data.write_cache(data.MNIST, altered)
    with pytest.raises(data.DataError, match="x_test: checksum mismatch"):
        data.read_cache(data.MNIST)


def test_no_reachable_source_names_every_source_tried(tmp_data_dir):
    def unreachable(reason):
        def source(info, workdir):
            raise data.DataError(reason)
        return source

    with pytest.raises(data.DataError) as failure:
        data.fetch("fashion-mnist", sources=(("Keras download", unreachable("DNS failed")),
                                             ("Debian package", unreachable("apt-get failed"))))
    text = str(failure.value)
    assert "cache:" in text and "Keras download: DNS failed" in text
    assert "Debian package: apt-get failed" in text


def test_names_and_tokens_with_a_trailing_newline_are_refused(tmp_path):
    from nn.storage.tokens import is_token, new_token
    from nn.storage.workspaces import Workspace, WorkspaceError

    token = new_token()
    assert is_token(token) and not is_token(token + "\n")
    with pytest.raises(WorkspaceError):
        Workspace("ann\n")
    with pytest.raises(StoreError, match="name"):
        check_name("kept\n")


def test_a_torn_line_of_metrics_is_skipped_and_the_rest_still_counts(tmp_path):
    from nn.runs.run_folder import BATCHES_FILE, ProgressReader, read_lines

    (tmp_path / BATCHES_FILE).write_bytes(b'{"step": 1, "epoch": 1, "loss": 2.0}\n{"step": 2, "epo\n'
                                          b'{"step": 3, "epoch": 1, "loss": 1.0}\n')
    assert [row["step"] for row in read_lines(tmp_path / BATCHES_FILE)] == [1, 3]
    assert len(ProgressReader(tmp_path).read().batches) == 2
