"""The browser runtime's files (onnxruntime-web, in static/ort: scripts/setup.sh fills it from the
npm registry), served by the app itself at /digitlab-runtime/<version>/<file>.

Streamlit's own static serving gzips every response again on every request (0.36 s of server CPU
for the 14 MB .wasm, for each student opening the Draw page) and lets browsers cache nothing. Here
the .wasm is compressed once, at set-up, and every file is sent as it is, marked immutable: the
address holds the version, so a browser fetches (and compiles) the runtime once.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

FOLDER = Path(__file__).resolve().parents[1] / "static" / "ort"
PREFIX = "digitlab-runtime"
TYPES = {".mjs": "text/javascript", ".wasm": "application/wasm"}
IMMUTABLE = "public, max-age=31536000, immutable"


def version() -> str:
    try:
        return (FOLDER / ".version").read_text().strip()
    except OSError:
        return "missing"  # set-up could not fetch it: the Draw page says so and answers on pen-up


def base_path(base_url_path: str) -> str:
    """Where the browser finds the runtime, under the server's base URL path."""
    base = base_url_path.strip("/")
    return f"/{base}/{PREFIX}/{version()}/" if base else f"/{PREFIX}/{version()}/"


async def runtime_file(request: Request) -> Response:
    name, wanted = request.path_params["name"], request.path_params["version"]
    path = FOLDER / name
    if wanted != version() or Path(name).name != name or path.suffix not in TYPES or not path.is_file():
        return Response("not found", status_code=404)
    headers = {"Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"}
    packed = path.with_name(path.name + ".gz")
    if "gzip" in request.headers.get("accept-encoding", "") and packed.is_file():
        headers["Content-Encoding"] = "gzip"  # compressed once, at set-up: the server only sends it
        return FileResponse(packed, media_type=TYPES[path.suffix], headers=headers)
    return FileResponse(path, media_type=TYPES[path.suffix], headers=headers)


def routes() -> list[Route]:
    return [Route(f"/{PREFIX}/{{version}}/{{name}}", runtime_file, methods=["GET"])]
