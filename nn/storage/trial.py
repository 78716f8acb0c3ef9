"""An untrusted model file (an upload, `--model PATH`) is tried once in a separate process with
memory and CPU-time limits before this process trusts it: loaded, and asked about one drawing.

A file can be valid in every way a check can see and still take a process down: a random forest
whose trees loop or point outside themselves, a 30 KB `.keras` file whose weights declare 1.9 GB.
In the trial's process that costs a refusal; in the server it would cost every session.

    python -m nn.storage.trial PATH   # the trial itself: prints one JSON line
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

from nn.errors import ModelLoadError

TRIAL_MEMORY_BYTES = 4 * 2**30  # address space: TensorFlow with a model needs about 1.5 GB of it
TRIAL_CPU_SECONDS = 60
TRIAL_WALL_SECONDS = 120
OUT_OF_MEMORY = ("MemoryError", "bad_alloc", "Cannot allocate memory", "ResourceExhaustedError", "OOM when")
_tried: dict[tuple[str, str], dict] = {}  # (file name, SHA-256 of its bytes) -> what the trial found


def try_model_file(path: Path) -> dict:
    """What the trial found ({"kind", "params"}), or ModelLoadError with one sentence why not. The
    kind's own checks of the file come first, here: they cost milliseconds and run none of it."""
    from nn.kinds import registry as kinds

    path = Path(path)
    kinds.of_file(path).check_file(path)
    key = (path.name, file_digest(path))  # the same bytes again (the upload, then Add) are tried once
    if key not in _tried:
        _tried[key] = _trial(path)
    return _tried[key]


def file_digest(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _trial(path: Path) -> dict:
    try:
        done = subprocess.run([sys.executable, "-m", "nn.storage.trial", str(path)], capture_output=True,
                              text=True, timeout=TRIAL_WALL_SECONDS, cwd=Path(__file__).resolve().parents[2])
    except subprocess.TimeoutExpired:
        raise ModelLoadError(f"{path.name} was refused: trying it took more than "
                             f"{TRIAL_WALL_SECONDS} s") from None
    answer = _last_json(done.stdout)
    if done.returncode == 0 and answer and "kind" in answer:
        return answer
    if answer and "error" in answer:
        raise ModelLoadError(answer["error"])
    raise ModelLoadError(f"{path.name} was refused: {_what_went_wrong(done)}")


def _last_json(text: str) -> dict | None:
    for line in reversed(text.strip().splitlines()):
        try:
            return json.loads(line)
        except ValueError:
            continue
    return None


def _what_went_wrong(done: subprocess.CompletedProcess) -> str:
    if done.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return f"trying it used more than {TRIAL_CPU_SECONDS} s of CPU"
    if any(sign in done.stderr for sign in OUT_OF_MEMORY):
        return f"trying it needed more than {TRIAL_MEMORY_BYTES // 2**30} GB of memory"
    if done.returncode < 0:
        return f"it crashed the process that tried it ({signal.Signals(-done.returncode).name})"
    last = done.stderr.strip().splitlines()[-1][:200] if done.stderr.strip() else f"exit {done.returncode}"
    return f"trying it failed ({last})"


def _limit_this_process() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (TRIAL_MEMORY_BYTES, TRIAL_MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (TRIAL_CPU_SECONDS, TRIAL_CPU_SECONDS + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # a trial, not a training: few threads, little memory


def a_drawing():
    """A plain stroke on 28x28, as a drawing: what the trial asks the model about."""
    import numpy as np

    image = np.zeros((28, 28), dtype=np.float32)
    image[5:23, 13:15] = 1.0
    return image


def main(path: str) -> int:
    _limit_this_process()
    from nn.kinds import registry as kinds

    try:
        kind = kinds.of_file(Path(path))
        model = kind.load(Path(path))
        answer = kind.predictor(model).predict_one(a_drawing())
        print(json.dumps({"kind": kind.name, "params": int(kind.params(model)),
                          "classes": len(answer.probabilities)}), flush=True)
    except ModelLoadError as e:
        print(json.dumps({"error": str(e)}), flush=True)
        return 3
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
