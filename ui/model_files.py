"""The live canvas's models, sent to the browser at addresses of their own instead of inside the
page's data: the browser fetches a model while its runtime starts, caches it, and the page's
messages stay small (1.3 MB of cnn-best in the component's data took the browser 0.2 s to decode
before the canvas could even mount).

An address is not public: it is an HMAC of the file under a key this server process drew at
random, so nobody can name one; and it is served only once a page of this server has handed it
to its session (`address_of`), never derived from a request. A person's models stay theirs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

PREFIX = "digitlab-model"
MAX_SERVED = 4096  # addresses kept; one that fell out is handed out again by the next page run
CACHED = "private, max-age=31536000, immutable"  # the address names this very file's content

_key = secrets.token_bytes(32)
_served: OrderedDict[str, Path] = OrderedDict()
_lock = threading.Lock()


def address_of(path: Path, base_url_path: str) -> str:
    """Where this session's browser fetches the file at `path`, an export named by its model's
    content (nn.export): one address for one content, so browsers cache it for good."""
    token = hmac.new(_key, str(path.resolve()).encode(), hashlib.sha256).hexdigest()
    with _lock:
        _served[token] = path
        _served.move_to_end(token)
        while len(_served) > MAX_SERVED:
            _served.popitem(last=False)
    base = base_url_path.strip("/")
    return f"/{base}/{PREFIX}/{token}.onnx" if base else f"/{PREFIX}/{token}.onnx"


async def model_file(request: Request) -> Response:
    with _lock:
        path = _served.get(request.path_params["token"])
    if path is None or not path.is_file():
        return Response("not found", status_code=404)
    return FileResponse(path, media_type="application/octet-stream",
                        headers={"Cache-Control": CACHED, "X-Content-Type-Options": "nosniff"})


def routes() -> list[Route]:
    return [Route(f"/{PREFIX}/{{token}}.onnx", model_file, methods=["GET"])]
