"""`python -m nn`: the JSON contract, run as a real subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw

from nn.storage.paths import REPO_ROOT
from nn.storage.saved_models import DEFAULT_MODEL
from tests.conftest import digit_canvas


def run_cli(*args, models_dir, check=True):
    env = {**os.environ, "DIGITLAB_MODELS_DIR": str(models_dir)}
    result = subprocess.run([sys.executable, "-m", "nn", *args], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr[-2000:]
    return result


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One small model trained through the CLI, shared by the tests of this module."""
    models = tmp_path_factory.mktemp("cli-models")
    out = run_cli("train", "--preset", "dense-128", "--subset", "2000", "--epochs", "2",
                  "--seed", "3", "--name", "cli-dense", "--json", models_dir=models)
    return models, json.loads(out.stdout)


def test_train_prints_the_contract_json(trained):
    models, result = trained
    assert set(result) == {"name", "path", "preset", "dataset", "epochs", "test_accuracy",
                           "test_loss", "seconds", "run", "calibration", "tested_on"}
    assert result["tested_on"] is None  # MNIST's own test set; an own set's run says which drawings
    assert result["calibration"] is None  # 200 held-out images are too few to fit a temperature
    assert result["name"] == "cli-dense" and result["preset"] == "dense-128"
    assert result["dataset"] == "mnist" and result["epochs"] == 2
    assert 0.8 < result["test_accuracy"] <= 1.0 and result["seconds"] > 0
    assert (models / "cli-dense.keras").exists() and (models / "cli-dense.json").exists()


def test_runs_lists_the_cli_training_as_a_run(trained):
    models, result = trained
    listed = [json.loads(line) for line in run_cli("runs", "--json", models_dir=models).stdout.splitlines()]
    assert len(listed) == 1
    run = listed[0]
    contract = {"id", "state", "model", "dataset", "epoch", "epochs", "test_accuracy", "queue_position"}
    assert contract <= set(run)
    assert run["id"] == result["run"] and run["state"] == "finished" and run["model"] == "dense-128"
    assert (run["epoch"], run["epochs"]) == (2, 2) and run["queue_position"] is None
    assert run["test_accuracy"] == pytest.approx(result["test_accuracy"]) and run["saved_as"] == ["cli-dense"]
    other = run_cli("--workspace", "someone-else", "runs", "--json", models_dir=models).stdout
    assert other == ""  # another workspace has none of them
    bad = run_cli("--workspace", "../x", "runs", models_dir=models, check=False)
    assert bad.returncode == 2 and "invalid workspace" in bad.stderr


def test_evaluate_agrees_with_train_and_has_a_confusion_matrix(trained, mnist):
    models, result = trained
    out = json.loads(run_cli("evaluate", "--model", "cli-dense", "--json", models_dir=models).stdout)
    assert set(out) == {"model", "dataset", "classes", "accuracy", "loss", "n", "confusion_matrix"}
    assert out["classes"] == [str(d) for d in range(10)]
    assert out["n"] == 10_000 and out["model"] == "cli-dense"
    assert out["accuracy"] == pytest.approx(result["test_accuracy"], abs=1e-4)
    matrix = np.array(out["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == 10_000
    np.testing.assert_array_equal(matrix.sum(axis=1), np.bincount(mnist.y_test))
    assert np.trace(matrix) / 10_000 == pytest.approx(out["accuracy"])


def test_predict_reports_each_image_and_fails_at_the_end_on_a_bad_one(trained, mnist, tmp_path):
    models, _ = trained
    good = tmp_path / "seven.png"
    Image.fromarray(digit_canvas(mnist.x_test[0])).save(good)  # a 7, as if drawn
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    out = run_cli("predict", "--model", "cli-dense", str(good), str(bad), str(good), "--json",
                  models_dir=models, check=False)
    assert out.returncode != 0
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == 3
    assert set(lines[0]) == {"path", "label", "class", "confidence", "probabilities", "unfamiliar",
                             "nearest_distance", "usual_distance"}
    assert lines[0]["label"] == 7 and lines[0]["class"] == "7" and len(lines[0]["probabilities"]) == 10
    assert lines[0]["unfamiliar"] is False and lines[0]["nearest_distance"] < lines[0]["usual_distance"]
    assert sum(lines[0]["probabilities"]) == pytest.approx(1.0, abs=1e-4)
    assert lines[1]["path"] == str(bad) and "not an image" in lines[1]["error"]
    assert lines[2]["label"] == 7


def test_inspect_gives_every_layer_and_the_nearest_training_images(trained, mnist, tmp_path):
    models, _ = trained
    good = tmp_path / "seven.png"
    Image.fromarray(mnist.x_train[0]).save(good)  # a training image: its own nearest neighbour
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    out = run_cli("inspect", "--model", "cli-dense", str(good), str(bad), "--json", models_dir=models,
                  check=False)
    assert out.returncode == 1
    first, second = [json.loads(line) for line in out.stdout.splitlines()]
    assert set(first) == {"path", "label", "layers", "neighbours"} and first["label"] in range(10)
    assert [(layer["type"], layer["shape"]) for layer in first["layers"]] == [
        ("Input", [28, 28]), ("Flatten", [784]), ("Dense", [128]), ("Dense", [10])]
    assert all({"name", "type", "shape", "mean", "max"} == set(layer) for layer in first["layers"])
    nearest = first["neighbours"]
    # the file goes through the same centring as a drawing, so it is close to itself, not equal
    assert len(nearest) == 8 and nearest[0]["index"] == 0
    assert nearest[0]["distance"] < nearest[1]["distance"] / 2
    assert nearest[0]["label"] == mnist.y_train[0]
    assert [n["distance"] for n in nearest] == sorted(n["distance"] for n in nearest)
    assert second["path"] == str(bad) and "not an image" in second["error"]


def test_models_lists_saved_and_bundled_models(trained):
    models, _ = trained
    listed = json.loads(run_cli("models", "--json", models_dir=models).stdout)
    by_name = {m["name"]: m for m in listed}
    assert by_name["cli-dense"]["bundled"] is False
    assert by_name["cli-dense"]["history"][0]["epoch"] == 1
    assert by_name[DEFAULT_MODEL]["bundled"] is True


def test_the_default_model_is_the_bundled_cnn(mnist, tmp_path):
    image = tmp_path / "two.png"
    Image.fromarray(255 - digit_canvas(mnist.x_test[1], rgba=False)).save(image)  # dark on light
    out = run_cli("predict", str(image), "--json", models_dir=tmp_path)
    assert json.loads(out.stdout)["label"] == 2


def test_errors_are_messages_not_tracebacks(tmp_path):
    out = run_cli("evaluate", "--model", "no-such-model", models_dir=tmp_path, check=False)
    assert out.returncode == 2 and "error: no model named 'no-such-model'" in out.stderr
    assert "Traceback" not in out.stderr
    out = run_cli("train", "--preset", "dense-128", "--epochs", "0", models_dir=tmp_path, check=False)
    assert out.returncode == 2 and "must be at least 1" in out.stderr


def test_the_numpy_network_trains_saves_and_evaluates_through_the_cli(tmp_path, mnist):
    out = run_cli("train", "--preset", "numpy-mlp", "--epochs", "5", "--seed", "1", "--json",
                  models_dir=tmp_path)
    result = json.loads(out.stdout)
    assert result["path"].endswith(".npmlp") and (tmp_path / "numpy-mlp-mnist.npmlp").exists()
    assert result["epochs"] == 5 and 0.7 < result["test_accuracy"] < 0.9
    assert "test_accuracy" in out.stderr  # the per-epoch test score is in the log
    evaluated = json.loads(run_cli("evaluate", "--model", "numpy-mlp-mnist", "--json",
                                   models_dir=tmp_path).stdout)
    assert evaluated["accuracy"] == pytest.approx(result["test_accuracy"], abs=1e-4)


def test_the_random_forest_trains_through_the_cli_with_its_own_settings(tmp_path, mnist):
    out = run_cli("train", "--preset", "random-forest", "--trees", "8", "--subset", "3000", "--json",
                  models_dir=tmp_path)
    result = json.loads(out.stdout)
    assert result["path"].endswith(".skops") and 0.8 < result["test_accuracy"] < 1
    evaluated = json.loads(run_cli("evaluate", "--model", result["name"], "--json",
                                   models_dir=tmp_path).stdout)
    assert evaluated["accuracy"] == pytest.approx(result["test_accuracy"], abs=1e-4)
    refused = run_cli("train", "--preset", "random-forest", "--epochs", "3", models_dir=tmp_path, check=False)
    assert refused.returncode == 2 and "grown in one pass" in refused.stderr


def test_train_takes_the_settings_each_kind_declares_and_nothing_else(tmp_path):
    from nn.kinds.registry import all_kinds

    help_text = run_cli("train", "--help", models_dir=tmp_path).stdout
    declared = {setting.flag for kind in all_kinds().values() for setting in kind.settings}
    assert {"--trees", "--per-sample", "--epochs", "--optimizer"} <= declared
    offered = set(re.findall(r"^  (--[a-z-]+)", help_text, re.M))
    assert declared <= offered
    assert offered - declared == {"--preset", "--fine-tune", "--from", "--dataset", "--data", "--subset",
                                  "--validation-split", "--seed", "--name", "--detach", "--json"}


def test_detach_queues_and_returns_and_a_class_server_bounds_one_persons_runs(tmp_path):
    env = {**os.environ, "DIGITLAB_MODELS_DIR": str(tmp_path / "models"),
           "DIGITLAB_RUNS_DIR": str(tmp_path / "runs"), "DIGITLAB_WORKSPACES": "per-user",
           "DIGITLAB_MAX_RUNS_PER_PERSON": "2"}

    def train():
        return subprocess.run([sys.executable, "-m", "nn", "--workspace", "ann", "train", "--preset",
                               "sigmoid-10", "--detach", "--json"], cwd=REPO_ROOT, env=env,
                              capture_output=True, text=True, timeout=120)

    rows = [json.loads(train().stdout) for _ in range(2)]
    assert [row["state"] for row in rows] == ["queued", "queued"] and rows[0]["run"] != rows[1]["run"]
    refused = train()
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "you already have 2 runs waiting or training" in refused.stderr
    # On a class's server people's files are the server user's alone.
    folder = next((tmp_path / "runs").rglob(rows[0]["run"]))
    assert folder.stat().st_mode & 0o777 == 0o700
    assert {p.stat().st_mode & 0o777 for p in folder.iterdir()} == {0o600}


def test_a_model_published_to_the_class_is_listed_used_and_ranked_for_everyone(tmp_path):
    """ann publishes; bob finds it in `models --json` as a class model, evaluates it by its name,
    sees it on the leaderboard and cannot take it back; `class --json` lists both people's runs."""
    env = {**os.environ, "DIGITLAB_MODELS_DIR": str(tmp_path / "models"),
           "DIGITLAB_RUNS_DIR": str(tmp_path / "runs"), "DIGITLAB_WORKSPACES": "per-user"}

    def nn(workspace, *args, check=True):
        out = subprocess.run([sys.executable, "-m", "nn", "--workspace", workspace, *args], cwd=REPO_ROOT,
                             env=env, capture_output=True, text=True, timeout=300)
        assert not check or out.returncode == 0, out.stderr[-2000:]
        return out

    trained = json.loads(nn("t-ann0000000", "train", "--preset", "sigmoid-10", "--subset", "1000",
                            "--epochs", "1", "--name", "mine", "--json").stdout)
    nn("t-bob0000000", "train", "--preset", "sigmoid-10", "--detach")  # waits: no server runs
    nn("t-ann0000000", "models", "publish", "mine", "--as", "Ann's net")
    listed = {m["name"]: m for m in json.loads(nn("t-bob0000000", "models", "--json").stdout)}
    shared = listed["class/ann-s-net"]
    assert (shared["owner"], shared["title"], shared["by"]) == ("class", "Ann's net", "person ann000")
    assert listed["mnist-cnn-best"]["owner"] == "bundled" and "mine" not in listed
    assert json.loads(nn("t-ann0000000", "models", "--json").stdout)[-2]["owner"] == "you"
    evaluated = json.loads(nn("t-bob0000000", "evaluate", "--model", "class/ann-s-net", "--json").stdout)
    assert evaluated["accuracy"] == pytest.approx(trained["test_accuracy"], abs=1e-4)
    board = nn("t-bob0000000", "class", "leaderboard", "--json").stdout.splitlines()
    board = [json.loads(line) for line in board]
    assert [(r["rank"], r["title"], r["name"]) for r in board] == [(1, "Ann's net", "class/ann-s-net")]
    refused = nn("t-bob0000000", "models", "unpublish", "class/ann-s-net", check=False)
    assert refused.returncode == 2 and "only they (or a teacher) can unpublish it" in refused.stderr
    runs = [json.loads(line) for line in nn("local", "class", "--json").stdout.splitlines()]
    assert [(r["person"], r["state"], r["queue_position"]) for r in runs] == [
        ("person bob000", "queued", 1), ("person ann000", "finished", None)]
    assert set(runs[0]) >= {"workspace", "person", "state", "model", "dataset", "epoch", "epochs",
                            "queue_position", "executed_on", "test_accuracy"}
    nn("local", "class", "hide", "class/ann-s-net")  # the server's admin, as a teacher
    assert nn("t-bob0000000", "class", "leaderboard", "--json").stdout == ""
    assert "class/ann-s-net" not in nn("t-bob0000000", "models", "--json").stdout
    nn("local", "class", "show", "class/ann-s-net")
    assert "class/ann-s-net" in nn("t-bob0000000", "models", "--json").stdout
    nn("t-ann0000000", "models", "unpublish", "mine")
    assert nn("t-bob0000000", "class", "leaderboard", "--json").stdout == ""
    refused = nn("local", "class", "hide", "class/ann-s-net", check=False)
    assert refused.returncode == 2 and "no model named 'class/ann-s-net' is published" in refused.stderr


def test_what_the_pages_refuse_the_command_line_refuses_too(tmp_path, monkeypatch):
    """`models import` (an upload: the same checks and trial), `models delete`, `train --fine-tune`
    (on the workspace's drawings) and `class new-teacher-link`, on a class's server with caps."""
    from nn.storage.workspaces import Workspace

    env = {**os.environ, "DIGITLAB_MODELS_DIR": str(tmp_path / "models"),
           "DIGITLAB_DRAWINGS_DIR": str(tmp_path / "drawings"), "DIGITLAB_RUNS_DIR": str(tmp_path / "runs"),
           "DIGITLAB_WORKSPACES": "per-user", "DIGITLAB_MAX_MODEL_PARAMS": "200000"}

    def nn(*args, check=True):
        out = subprocess.run([sys.executable, "-m", "nn", "--workspace", "t-cli00000000", *args],
                             cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert not check or out.returncode == 0, out.stderr[-2000:]
        assert "Traceback" not in out.stderr
        return out

    bundled = REPO_ROOT / "assets" / "models"
    nn("models", "import", str(bundled / "mnist-dense-128.keras"), "--name", "mine")
    assert "mine" in {m["name"] for m in json.loads(nn("models", "--json").stdout)}
    too_big = nn("models", "import", str(bundled / "mnist-cnn-best.keras"), "--name", "big", check=False)
    assert too_big.returncode == 2 and "318,218 parameters; this server takes models of up to 200,000" \
        in too_big.stderr
    mangled = tmp_path / "mangled.keras"
    mangled.write_bytes(b"PK not really")
    assert "is not a Keras model file" in nn("models", "import", str(mangled), "--name", "m",
                                             check=False).stderr

    monkeypatch.setenv("DIGITLAB_DRAWINGS_DIR", env["DIGITLAB_DRAWINGS_DIR"])  # a drawing of a 1, kept
    Workspace("t-cli00000000").drawings().add(np.zeros((280, 280, 4), np.uint8),
                                              np.pad(np.ones((20, 4)), ((4, 4), (12, 12))), 1)
    refused = nn("train", "--fine-tune", "mnist-cnn-best", "--detach", check=False)
    assert refused.returncode == 2 and "mnist-cnn-best has 318,218 parameters" in refused.stderr
    queued = json.loads(nn("train", "--fine-tune", "mine", "--epochs", "1", "--detach", "--json").stdout)
    assert queued["state"] == "queued"
    spec = json.loads(next((tmp_path / "runs").rglob(f"{queued['run']}/run.json")).read_text())
    assert spec["with_drawings"] and spec["config"]["batch_size"] == 32  # the Train page's fine-tuning
    refused = nn("train", check=False).stderr
    assert "train needs one of --preset NAME, --fine-tune MODEL or --from MODEL" in refused

    nn("models", "delete", "mine")
    assert "mine" not in {m["name"] for m in json.loads(nn("models", "--json").stdout)}
    gone = nn("models", "delete", "mnist-cnn-best", check=False)
    assert gone.returncode == 2 and "bundled model and cannot be deleted" in gone.stderr

    old = (tmp_path / "runs" / ".teacher-token")
    link = nn("class", "new-teacher-link", "--url", "http://lab.example").stdout.strip()
    assert link == f"http://lab.example/class?teacher={old.read_text()}"
    assert nn("class", "new-teacher-link").stdout.strip() != link  # each call ends the one before


def test_models_use_makes_the_active_model_what_predict_uses_as_the_app_does(trained, mnist, tmp_path):
    models, _ = trained
    seven = tmp_path / "seven.png"
    Image.fromarray(digit_canvas(mnist.x_test[0])).save(seven)

    def probabilities(*model):
        out = run_cli("predict", *model, str(seven), "--json", models_dir=models)
        return json.loads(out.stdout)["probabilities"]

    bundled, own = probabilities(), probabilities("--model", "cli-dense")
    assert bundled != own
    try:
        run_cli("models", "use", "cli-dense", models_dir=models)
        assert probabilities() == own
        from nn.storage.saved_models import ModelStore

        assert ModelStore(models).active_name() == "cli-dense"  # what the app's sidebar reads
        refused = run_cli("models", "use", "no-such-model", models_dir=models, check=False)
        assert refused.returncode != 0 and "no model named 'no-such-model'" in refused.stderr
        assert probabilities() == own
    finally:
        run_cli("models", "use", "mnist-cnn-best", models_dir=models)


def test_a_data_set_of_ones_own_is_made_filled_exported_and_imported(tmp_path):
    """`nn datasets`: what the issue names (create, add, --json, export, import, remove), Unicode
    names and all; a refused add changes nothing."""
    env = {**os.environ, "DIGITLAB_MODELS_DIR": str(tmp_path / "models"),
           "DIGITLAB_DRAWINGS_DIR": str(tmp_path / "drawings")}

    def nn(*args, check=True):
        out = subprocess.run([sys.executable, "-m", "nn", "datasets", *args], cwd=REPO_ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
        assert not check or out.returncode == 0, out.stderr[-2000:]
        return out

    stroke = tmp_path / "stroke.png"
    image = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(image).line([(30, 20), (170, 180)], fill=0, width=14)
    image.save(stroke)
    Image.new("L", (100, 100), 255).save(tmp_path / "blank.png")
    doodles = np.zeros((3, 784), dtype=np.uint8)
    doodles[:, 300:340] = 255
    np.save(tmp_path / "cats.npy", doodles)
    nn("create", "Mano ženklai", "--classes", "✓,ž,cat")
    nn("add", "mano ženklai", "--label", "ž", str(stroke), str(stroke))
    nn("add", "Mano ženklai", "--label", "cat", str(tmp_path / "cats.npy"))
    refused = nn("add", "Mano ženklai", "--label", "ž", str(stroke), str(tmp_path / "blank.png"), check=False)
    assert refused.returncode == 2 and "blank.png" in refused.stderr and "nothing was added" in refused.stderr
    refused = nn("add", "Mano ženklai", "--label", "dog", str(stroke), check=False)
    assert refused.returncode == 2 and "has no class 'dog'" in refused.stderr
    listed = {row["name"]: row for row in json.loads(nn("--json").stdout)}
    assert listed["Mano ženklai"] == {"name": "Mano ženklai", "owner": "you", "classes": ["✓", "ž", "cat"],
                                      "counts": {"✓": 0, "ž": 2, "cat": 3}, "size": 5}
    assert listed["mnist"]["classes"] == [str(d) for d in range(10)]
    nn("export", "Mano ženklai", "--out", str(tmp_path / "set.zip"))
    nn("import", str(tmp_path / "set.zip"), "--name", "copy")
    nn("remove", "Mano ženklai")
    listed = {row["name"]: row for row in json.loads(nn("--json").stdout)}
    assert "Mano ženklai" not in listed and listed["copy"]["counts"] == {"✓": 0, "ž": 2, "cat": 3}
    assert "2 to 20 classes, got 1" in nn("create", "x", "--classes", "a", check=False).stderr
