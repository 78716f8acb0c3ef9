"""Files made to take a class's server down, and what each costs it now: the time until it is
refused, the server process's memory, and whether it is still answering; then round two, what one
student can do to the others on a class's server (the review's twelve holes), before and now.

    .venv/bin/python -m bench.attacks   # prints two tables

Each file and each attack is crafted here in a few lines, as anyone could. This process stands in
for the server: it calls what the pages call (an upload: nn.storage.saved_models.ModelStore.import_file;
the Train form: the page itself, through Streamlit's AppTest). The attacks that only a browser
shows (the teacher link in the address, links in names, tracebacks) are also tried in Chromium by
tests/e2e/test_class_attacks.py.
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path

from bench.tables import table
from harness.crafted import at_once, crafted
from nn.errors import DigitLabError

# What each attack cost the server before (the hardening issue's own measurements).
BEFORE = {
    "forest: a child index outside its tree": "segmentation fault: the server and every session died",
    "forest: a node that is its own child": "prediction looped for ever, on every core",
    "keras: a few KB declaring 1.9 GB of weights": "refused after 24 s and 8 GB, in the server",
    "keras: a small network whose one answer needs 8 GB": "(not tried before)",
    "keras: 95 MB of weights declared that no layer reads": "accepted and stored",
}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure() -> list[dict]:
    from nn.storage.saved_models import ModelStore

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for attack, path in crafted(Path(tmp)).items():
            before_mb, started = peak_mb(), time.monotonic()
            try:
                ModelStore(Path(tmp) / "store").import_file(path, "attack")
                outcome = "stored (not refused)"
            except DigitLabError as e:
                outcome = f"refused: {e}"
            rows.append({"attack": attack, "file, KB": round(path.stat().st_size / 1024),
                         "before": BEFORE[attack], "now": outcome,
                         "seconds to the answer": round(time.monotonic() - started, 2),
                         "server's peak memory grew, MB": round(peak_mb() - before_mb),
                         "server still answers": still_answers()})
    return rows


def still_answers() -> bool:
    """The default model reads a drawing, as the Draw page would ask it next."""
    from nn.inference import predictor_for_file
    from nn.storage.saved_models import ModelStore
    from nn.storage.trial import a_drawing

    return predictor_for_file(ModelStore().resolve(None).path).predict_one(a_drawing()).label in range(10)


# --- round two: what one student can do to the others on a class's server ---------------------------
# Each attack as the review crafted it, against what the page or the command line calls; "before" is
# the review's own measurement on the server of that time (the hardening issue, round two).
ROUND_TWO_BEFORE = {
    "1. a login whose e-mail claim is the teacher's, not verified": "a teacher: the Class page, "
                                                                     "unpublished another's model",
    "2. 100,000 filter blocks pasted into one text box": "5.7 s of server CPU (25 MB: about 14 min)",
    "3. a forest upload of 2,000 small trees (4.4 MB)": "4.2 s of server CPU, then stored",
    "4a. 12 submits at once against a cap of 3 runs": "12 queued",
    "4b. 8 saves of 0.45 MB at once against a 2 MB quota": "3.6 MB kept",
    "4c. new browsers without a login, in one hour": "a workspace (new quotas) each, no bound",
    "4d. a guest uploads (training needs a login)": "stored in the guest's workspace",
    "5. 8 shares under one title at once": "all told published, 2 on the shelf",
    "6. a guest reads the leaderboard's names": "every person's name",
    "7. the teacher link after the admin made a new one": "still a teacher's, in every page's address",
    "8. the owner unpublishes a hidden model and shares it again": "visible to the class again",
    "9. a name 'www.example.com' on other people's pages": "a link",
    "10. a checkpoint pointer naming ../../../.teacher-token": "sent to the cluster, deleted at the "
                                                                "run's end",
    "11. fine-tuning cnn-best (318,218) under a 200,000 cap": "queued",
    "12. an upload over the disk quota": "a WorkspaceError traceback with the server's paths",
}


class ClassServer:
    """A class's server's settings and folders, in a temporary folder, for this process."""

    def __init__(self, folder: Path, **settings: str):
        import os

        self.os, self.folder = os, folder
        folders = {f"DIGITLAB_{what.upper()}_DIR": str(folder / what)
                   for what in ("runs", "models", "drawings")}
        self.settings = {"DIGITLAB_WORKSPACES": "per-user", **folders, **settings}

    def __enter__(self):
        self.saved = {k: self.os.environ.get(k) for k in self.settings}
        self.os.environ.update(self.settings)
        return self

    def __exit__(self, *exc):
        for key, value in self.saved.items():
            if value is None:
                self.os.environ.pop(key, None)
            else:
                self.os.environ[key] = value


def timed(action) -> tuple[str, float]:
    """(what `action` answered, the seconds until it did)."""
    started = time.perf_counter()
    try:
        outcome = str(action())
    except DigitLabError as e:
        outcome = f"refused: {e}"
    return outcome, round(time.perf_counter() - started, 2)


def round_two(folder: Path) -> list[dict]:
    import numpy as np
    from sklearn.ensemble import RandomForestClassifier

    from nn import data
    from nn.kinds import registry as kinds
    from nn.kinds.registry import build
    from nn.runs.store import RunStore
    from nn.storage import quota, teachers, tokens, workspaces
    from nn.storage.saved_models import ModelStore
    from nn.storage.workspaces import Workspace
    from nn.training_config import TrainConfig

    found: dict[str, tuple[str, float | str]] = {}
    with ClassServer(folder / "form"):  # first, while nothing else in this process uses the CPU
        found["2"] = text_box_refusal(", ".join(["0"] * 100_000))
    mnist = data.load("mnist")
    small = build("sigmoid-10", 0)
    with ClassServer(folder / "a", DIGITLAB_TEACHERS="mia@school.example", DIGITLAB_MAX_RUNS_PER_PERSON="3",
                     DIGITLAB_MAX_WORKSPACE_MB="2", DIGITLAB_MAX_MODEL_PARAMS="200000"):
        found["1"] = (f"a teacher: {teachers.is_teacher_login('mia@school.example', False)}", "")
        forest = RandomForestClassifier(n_estimators=2000, max_depth=2, random_state=0, n_jobs=2)
        forest_file = folder / "forest.skops"
        kinds.named("forest").save(forest.fit(mnist.x_train[:300].reshape(-1, 784), mnist.y_train[:300]),
                                   forest_file)
        found["3"] = timed(lambda: ModelStore(folder / "uploads").import_file(forest_file, "f").name)
        runs = RunStore(Workspace("t-racer000000"))
        outcomes = at_once(12, lambda i: runs.submit("sigmoid-10", "mnist", TrainConfig(epochs=1)))
        found["4a"] = (f"{sum(not isinstance(o, Exception) for o in outcomes)} queued", "")
        saver, model_file = Workspace("t-saver000000"), folder / "model.keras"
        model_file.write_bytes(b"\0" * 450_000)
        at_once(8, lambda i: saver.models().save_file(model_file, f"copy-{i}"))
        found["4b"] = (f"{quota.disk_mb(saver):.2f} MB kept", "")
        issued = at_once(70, lambda i: tokens.issue_token())
        found["4c"] = (f"{sum(isinstance(t, str) for t in issued)} of 70 handed out in the hour", "")
        people = [Workspace(f"t-sharer{i:05d}") for i in range(8)]
        for person in people:
            person.models().save(small, "my-model", {"dataset": "mnist", "test_accuracy": 0.5})
        at_once(8, lambda i: people[i].models().publish("my-model"))
        found["5"] = (f"{len(workspaces.class_shelf().records())} of 8 on the shelf", "")
        old = teachers.token()
        teachers.new_link("http://lab.example")
        found["7"] = (f"the old link a teacher's: {teachers.is_teacher_token(old)}", "")
        ann = people[0]
        shelf = workspaces.class_shelf()
        shelf.set_hidden(shelf.of_model(ann.id, "my-model").name, True)
        ann.models().unpublish("my-model")
        found["8"] = (f"hidden: {ann.models().publish('my-model', 'again').hidden}", "")
        from ui.markdown import text

        found["9"] = (f"shown as {text('www.example.com')!r}, no link (in Chromium: tests/e2e/"
                      "test_class_attacks.py)", "")
        found["10"] = planted_pointer(folder / "a" / "runs")
        tuner = Workspace("t-tuner000000")
        tuner.drawings().add(np.zeros((280, 280, 4), np.uint8), np.ones((28, 28)), 3)
        found["11"] = timed(lambda: RunStore(tuner).submit(ModelStore().get("mnist-cnn-best").path, "mnist",
                                                           TrainConfig.for_fine_tuning(), True).run.id)
        full = Workspace("t-full0000000")
        full.models_dir.mkdir(parents=True)
        (full.models_dir / "big.bin").write_bytes(b"\0" * 3 * 2**20)
        found["12"] = timed(lambda: full.models().import_file(folder / "model.keras", "up").name)
    with ClassServer(folder / "b", DIGITLAB_TRAIN_NEEDS_LOGIN="1"):
        bob = tokens.from_login("https://login.example", "bob")
        bob.set_person("Bob Real")
        bob.models().save(small, "bobs", {"dataset": "mnist", "test_accuracy": 0.9})
        bob.models().publish("bobs")
        guest = tokens.from_token(tokens.issue_token())
        found["4d"] = timed(lambda: guest.models().import_file(
            Path("assets/models/mnist-dense-128.keras"), "up").name)
        names = {r["by"] for r in workspaces.class_shelf(guest).leaderboard()}
        found["6"] = (f"names shown: {', '.join(sorted(names))}", "")
    rows = []
    for attack, before in ROUND_TWO_BEFORE.items():
        now, cost = found[attack.split(".")[0]]
        rows.append({"attack": attack, "before": before, "now": now[:160],
                     "seconds to the answer": cost if cost != "" else "-"})
    return rows


def text_box_refusal(pasted: str) -> tuple[str, float]:
    """The Train page's custom CNN form, as the server runs it, with `pasted` in its filters box
    (Streamlit's AppTest: a widget's value set as a websocket message would set it); what it
    says, and the seconds that one rerun of the form took."""
    from streamlit.testing.v1 import AppTest

    from ui.streamlit_patches import keep_keras_session

    keep_keras_session()  # as app.py does: no Keras clear_session after every rerun

    def form():
        from ui import train_form

        train_form.show()

    page = AppTest.from_function(form, default_timeout=60)
    page.run()
    page.selectbox(key="train_model").set_value("custom CNN").run()
    page.text_input(key="custom_filters").set_value("16, 32").run()  # warm: the form's first run imports
    started = time.perf_counter()
    page.text_input(key="custom_filters").set_value(pasted).run()
    said = f"{len(page.error)} error: {page.error[0].value}" if page.error else "no error"
    return said, round(time.perf_counter() - started, 2)


def planted_pointer(runs: Path) -> tuple[str, str]:
    import json

    from nn.runs.ray_driver import files_to_send
    from nn.runs.store import RunState, RunStore
    from nn.storage.workspaces import Workspace
    from nn.training_config import TrainConfig

    secret = runs / ".teacher-token"
    run = RunStore(Workspace("t-planter00000")).submit("sigmoid-10", "mnist", TrainConfig(epochs=1)).run
    run.write_status(state=RunState.INTERRUPTED, resumed=1)
    pointer = {"epoch": 1, "file": "../../../.teacher-token"}  # from runs/workspaces/<id>/<run>
    (run.folder / "checkpoint.json").write_text(json.dumps(pointer))
    sent = files_to_send(run)
    return f"ignored: sent {', '.join(sent)}; the secret still there: {secret.exists()}", ""


def measure_round_two() -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        return round_two(Path(tmp))


def main() -> int:
    print(table(measure()))
    print(table(measure_round_two()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
