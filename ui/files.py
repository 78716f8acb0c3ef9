"""Files people upload, as the server keeps them for a moment."""

from __future__ import annotations

import re
from pathlib import Path


def uploaded_name(name: str) -> str:
    """The uploaded file's own name, made safe for a folder (letters, digits, . _ -), its suffix kept."""
    path = Path(Path(name).name)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", path.stem).strip("._")[:80] or "upload"
    return stem + path.suffix.lower()
