"""Any image of a digit -> a 28x28 float32 array in [0, 1] normalised the way MNIST was.

MNIST's digits were scaled to fit a 20x20 box (keeping their aspect ratio), anti-aliased, and
placed in 28x28 with their centre of mass at the centre. A canvas drawing shrunk as a whole looks
nothing like that, so we redo those steps: composite alpha, find the ink (dark on light or light on
dark), crop to it, scale its longer side to 20 px, centre it by mass.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from nn.errors import DigitLabError
from nn.limits import IMAGE_FILE_BYTES, IMAGE_PIXELS
from nn.phrases import said

BOX = 20  # MNIST fits each digit in a 20x20 box ...
SIZE = 28  # ... inside a 28x28 image
CENTRE = 14.0  # where MNIST's centres of mass sit (mean over its test set: 13.99, 14.00)
WORK_SIDE = 512  # larger images are shrunk to this first: plenty for a 20 px digit
INK_THRESHOLD = 0.15  # share of the ink range below which a pixel is paper, not ink
MIN_CONTRAST = 0.1  # less difference than this between paper and ink means no digit
DOT_SIZE = 0.15  # round solid ink smaller than this share of the image is a dot
TIE = 1e-4  # a centre of mass this close to a half pixel is on it


class ImageError(DigitLabError, ValueError):
    """The input is not a usable image; the message says why."""


class EmptyImageError(ImageError):
    """The image holds no ink: there is nothing to read."""


class DotError(EmptyImageError):
    """The ink is a lone dot, not a digit."""


# --- reading files -------------------------------------------------------------------------

# What people draw or photograph. Never by the file's contents alone: Pillow would also open, for
# example, an EPS file named .png (and look for Ghostscript to run it).
IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP")
IMAGE_EXTENSIONS = ("png", "jpg", "jpeg", "gif", "bmp", "webp")  # the file names of those formats


def open_image(source: str | Path | bytes) -> Image.Image:
    """Open an image file or bytes safely: size limits, first frame, EXIF rotation applied."""
    data = Path(source).read_bytes() if not isinstance(source, bytes) else source
    if len(data) == 0:
        raise ImageError(said("the file is empty"))
    if len(data) > IMAGE_FILE_BYTES:
        raise ImageError(said("the file is {size} MB; the limit is {most} MB",
                              size=f"{len(data) / 2**20:.1f}", most=IMAGE_FILE_BYTES // 2**20))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
            if image.width * image.height > IMAGE_PIXELS:
                raise ImageError(said("the image is {width}x{height} pixels; the limit is {most} million "
                                      "pixels", width=str(image.width), height=str(image.height),
                                      most=IMAGE_PIXELS // 1_000_000))
            image.seek(0)  # animated images: the first frame
            image.load()
    except ImageError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        if isinstance(e, UnidentifiedImageError):
            raise ImageError(said("the file is not an image (PNG, JPEG, GIF, BMP or WebP "
                                  "expected)")) from None
        raise ImageError(f"the image is too large to decode safely: {e}") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise ImageError(f"the image is truncated or corrupt: {e}") from None
    return ImageOps.exif_transpose(image)


def to_gray(image: Image.Image | np.ndarray) -> np.ndarray:
    """A float32 grey-level array in [0, 1]; transparency is composited away.

    With an alpha channel, the strokes are what is opaque: they are composited over a background
    of the opposite brightness, so transparent canvases and cut-outs read the same as paper.
    """
    if isinstance(image, Image.Image):
        image = _pil_to_array(image)
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)) or min(a.shape[:2]) < 1:
        raise ImageError(f"expected a grey, RGB or RGBA image, got an array of shape {a.shape}")
    a = a.astype(np.float32)
    if a.max(initial=0) > 1.0:
        a = a / (65535.0 if a.max() > 255 else 255.0)
    if a.ndim == 2:
        return a
    gray = a[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    if a.shape[2] == 3:
        return gray
    alpha = a[..., 3]
    if alpha.min() >= 0.999:
        return gray
    opaque = alpha > 0.5
    strokes_light = opaque.any() and gray[opaque].mean() > 0.5
    background = 0.0 if strokes_light else 1.0
    return gray * alpha + background * (1.0 - alpha)


def _pil_to_array(image: Image.Image) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        return (np.asarray(image, dtype=np.float32) / 65535.0).clip(0, 1)
    if image.mode == "F":
        return np.asarray(image, dtype=np.float32).clip(0, 1)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    return np.asarray(image.convert("RGBA" if has_alpha else "RGB"))


# --- the normalisation -----------------------------------------------------------------------

def ink_map(gray: np.ndarray) -> np.ndarray:
    """Ink in [0, 1] (1 = the darkest stroke) whichever the polarity; paper becomes 0."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    paper = float(np.median(border))
    ink = (paper - gray) if paper > 0.5 else (gray - paper)  # dark on light / light on dark
    ink = np.clip(ink, 0.0, None)
    top = float(ink.max(initial=0.0))
    if top < MIN_CONTRAST:
        raise EmptyImageError(said("there is no digit in the image: it is blank or has no contrast"))
    # Paper texture and JPEG noise go to 0; a ramp, not a cut, keeps anti-aliased edges smooth.
    return np.clip((ink / top - INK_THRESHOLD) / (1.0 - INK_THRESHOLD), 0.0, 1.0)


def check_not_a_dot(ink: np.ndarray) -> None:
    """Refuse a lone dot: small, round and solid ink, which a network would still call a digit.

    A small "1" is as solid but long and thin, and a small "0" is round but hollow.
    """
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    h, w = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    fill = float((ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1] > 0.5).mean())
    small = max(h, w) < DOT_SIZE * max(ink.shape)
    if small and max(h, w) / min(h, w) < 1.6 and fill > 0.6:
        raise DotError(said("that is a dot, not a digit: draw the whole digit, larger"))


def _shrink(gray: np.ndarray) -> np.ndarray:
    h, w = gray.shape
    if max(h, w) <= WORK_SIDE:
        return gray
    scale = WORK_SIDE / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(gray, mode="F").resize(size, Image.Resampling.BOX))


def _fit_box(ink: np.ndarray) -> np.ndarray:
    """Crop to the ink and scale the longer side to BOX pixels, keeping the aspect ratio."""
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    scale = BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    # Anti-aliased like MNIST; box filtering averages thin strokes into grey levels.
    resized = Image.fromarray(crop.astype(np.float32), mode="F").resize(size, Image.Resampling.LANCZOS)
    out = np.clip(np.asarray(resized), 0.0, None)
    return out / out.max() if out.max() > 0 else out


def _place(offset: float) -> int:
    """The nearest whole pixel to `offset`, a half pixel going down. A symmetric stroke's centre
    of mass falls on a half pixel (the 20-pixel side's is 9.5), and the last bits of floating-point
    noise must not decide which way: the browser's port (ui/live/preprocess.js) decides the same."""
    return int(np.floor(offset + 0.5 - TIE))


def _centre_by_mass(digit: np.ndarray) -> np.ndarray:
    """Place `digit` in 28x28 with its centre of mass at the centre (as far as it fits)."""
    h, w = digit.shape
    total = digit.sum()
    cy = (digit.sum(axis=1) @ np.arange(h)) / total
    cx = (digit.sum(axis=0) @ np.arange(w)) / total
    top = int(np.clip(_place(CENTRE - cy), 0, SIZE - h))
    left = int(np.clip(_place(CENTRE - cx), 0, SIZE - w))
    out = np.zeros((SIZE, SIZE), dtype=np.float32)
    out[top:top + h, left:left + w] = digit
    return out


def to_mnist(image: Image.Image | np.ndarray | str | Path | bytes) -> np.ndarray:
    """A (28, 28) float32 array in [0, 1], white digit on black, centred like MNIST.

    Accepts a canvas RGBA array, an RGB/grey array or PIL image, or an image file (path/bytes).
    Raises EmptyImageError when there is no ink and ImageError for unusable input.
    """
    if isinstance(image, (str, Path, bytes)):
        image = open_image(image)
    ink = ink_map(_shrink(to_gray(image)))
    check_not_a_dot(ink)
    return _centre_by_mass(_fit_box(ink))

