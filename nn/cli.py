"""`python -m nn`: the app's logic without the app. The JSON outputs are a contract.

  python -m nn data fetch [mnist|fashion-mnist|all]
  python -m nn train --preset NAME [--dataset D] [--epochs N] [--batch-size N] [--learning-rate X]
                     [--subset N] [--seed N] [--trees N] [--name NAME] [--detach] [--json]
  python -m nn train --fine-tune MODEL [--epochs N] [--learning-rate X] [--name NAME] [--json]
  python -m nn runs [list|stop|resume|delete|save] [ID] [--name NAME] [--json]
  python -m nn evaluate [--model NAME_OR_PATH] [--dataset D] [--json]
  python -m nn predict [--model NAME_OR_PATH] IMAGE... [--json]
  python -m nn inspect [--model NAME_OR_PATH] IMAGE... [--neighbours N] [--json]
  python -m nn datasets [list] [--json]; nn datasets create NAME --classes "a,b,c"
  python -m nn datasets add NAME --label CLASS FILE...   (images, or .npy arrays of 28x28 images)
  python -m nn datasets remove NAME; export NAME --out FILE.zip; import FILE.zip --name NAME
  python -m nn models [list|use|publish|unpublish|delete] [NAME] [--as TITLE] [--json]
  python -m nn models import PATH --name NAME [--dataset D]
  python -m nn export --model NAME_OR_PATH --format onnx|tflite --out PATH
  python -m nn class [runs|leaderboard] [--json]; nn class hide|show|unpublish class/NAME
  python -m nn class new-teacher-link [--url URL]
Every command takes --workspace ID (default: local). Progress and messages go to stderr; with
--json, stdout holds only the JSON. A training is a run, queued like the app's (nn.runs.run_queue).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from nn import data, inside, words
from nn.errors import DigitLabError
from nn.storage import class_rules, workspaces
from nn.storage.saved_models import DEFAULT_MODEL
from nn.storage.workspaces import LOCAL, Workspace, WorkspaceError

ACTIVE_HELP = ("store name or model file path (default: the active model, `models use`; at first "
               f"{DEFAULT_MODEL})")


class CliError(DigitLabError):
    pass


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def progress_bar(fraction: float, text: str, width: int = 30) -> None:
    filled = int(round(width * max(0.0, min(1.0, fraction))))
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {fraction:4.0%} {text}\033[K")
    sys.stderr.flush()


# --- data ------------------------------------------------------------------------------------

def cmd_data(args) -> int:
    names = list(data.DATASETS) if args.dataset == "all" else [args.dataset]
    for name in names:
        path = data.fetch(name, log=_err)
        _err(f"{name}: ready at {path}")
    return 0


# --- train -----------------------------------------------------------------------------------

def follow(run, on_change, every: float = 0.5) -> dict:
    """Wait for `run` to end, calling on_change(status, progress, queue view) every `every` s.

    When no app server is running, this process starts the run itself (a scheduler for this
    run alone); Ctrl-C asks the run to stop and keeps waiting for its weights.
    """
    from nn.runs import run_queue
    from nn.runs.run_folder import ProgressReader
    from nn.runs.scheduler import Scheduler, server_running
    from nn.runs.store import RunState, RunStore
    from nn.storage.paths import runs_dir
    from nn.storage.workspaces import Workspace

    root = runs_dir()
    reader, scheduler = ProgressReader(run.folder), None
    try:
        while True:
            try:
                if scheduler is None and not server_running(root):
                    scheduler = Scheduler(root, only=lambda r: r == run, keep_warm=False).start()
                status = run.status()
                on_change(status, reader.read(), run_queue.look(root))
                if not RunState(status["state"]).active:
                    return status
                time.sleep(every)
            except KeyboardInterrupt:
                RunStore(Workspace(run.spec.workspace)).stop(run.id)
                _err("\nstopping after the current batch (Ctrl-C again to leave it running)")
                every = max(every, 0.2)
    finally:
        if scheduler is not None:
            scheduler.close()


def show_progress(status: dict, p, view) -> None:
    from nn.progress import format_duration
    from nn.runs.store import RunState

    state = RunState(status["state"])
    if state is RunState.RUNNING and p.batches_per_epoch:
        progress_bar(p.fraction, f"epoch {p.current_epoch}/{p.epochs} batch {p.batch}/{p.batches_per_epoch} "
                                 f"{p.samples_per_second:,.0f} img/s elapsed {format_duration(p.elapsed)} "
                                 f"ETA {format_duration(p.eta)}")
    elif state is RunState.QUEUED:
        progress_bar(0.0, status.get("message", "queued"))
    elif state.active:
        progress_bar(0.0, status.get("message", str(state)))


def detached(run, as_json: bool) -> int:
    """A queued run left to the app server; `nn runs` follows it, `nn runs save` keeps it."""
    from nn.runs.scheduler import server_running
    from nn.storage.paths import runs_dir

    if not server_running(runs_dir()):
        _err("no app server is running for these runs: it starts when one does (./run.sh)")
    if as_json:
        print(json.dumps({"run": run.id, "workspace": run.spec.workspace, "state": run.state}))
    else:
        print(run.id)
    return 0


def cmd_train(args) -> int:
    from nn import own_data
    from nn.runs.store import RunState, RunStore

    if args.data is not None:
        args.dataset = own_data.dataset_name(args.workspace, args.data)
    if args.start_from is not None and not own_data.is_own(args.dataset):
        raise CliError("--from starts a data set of your own from a model's layers: give --data NAME")
    if own_data.is_own(args.dataset) and (args.preset, args.fine_tune, args.start_from) == (None, None, None):
        args.preset = own_data.SMALL_DATA_PRESET  # and its recipe for small data (_preset_training)
    if sum(x is not None for x in (args.preset, args.fine_tune, args.start_from)) != 1:
        raise CliError("train needs one of --preset NAME, --fine-tune MODEL or --from MODEL")
    store, runs = args.workspace.models(), RunStore(args.workspace)
    if args.start_from:
        source, dataset, config, with_drawings = _transfer(args, store)
    else:
        source, dataset, config, with_drawings = (_fine_tuning(args, store) if args.fine_tune
                                                  else _preset_training(args))
    shown = own_data.file_name_part(args.workspace, dataset)
    base = (f"{args.fine_tune}-my-drawings" if args.fine_tune
            else f"{args.start_from or args.preset}-{shown}")
    name = args.name or store.unique_name(base)
    if any(info.name == name for info in store.list()):
        raise CliError(f"a model named {name!r} already exists; pass another --name")
    submitted = runs.submit(source, dataset, config, with_drawings)
    for note in submitted.removed:
        _err(f"removed an old run to stay within the workspace's bound: {note}")
    run = submitted.run
    _err(f"run {run.id}: {run.spec.title}")
    if args.detach:
        return detached(run, args.json)
    final = follow(run, show_progress)
    sys.stderr.write("\n")
    if not RunState(final["state"]).has_model:
        raise CliError(f"run {run.id} {final['state']}: {final.get('message', '')}")
    info = runs.save_as_model(run.id, name, store)
    for row in run.history():
        _err(f"epoch {row['epoch']}: loss {row['loss']:.4f} accuracy {row['accuracy']:.4f}"
             + "".join(f" {key} {row[key]:.4f}" for key in ("val_accuracy", "test_accuracy") if key in row))
    tested_on = f" on {final['tested_on']}" if final.get("tested_on") else ""
    _err(f"test accuracy {final['test_accuracy']:.4f}{tested_on}; saved as {info.name} ({info.path})")
    if args.json:
        print(json.dumps({
            "name": info.name, "path": str(info.path), "preset": args.preset, "dataset": dataset,
            "epochs": final.get("epochs_completed"), "test_accuracy": final["test_accuracy"],
            "test_loss": final["test_loss"], "seconds": final["seconds"], "run": run.id,
            "calibration": final.get("calibration"), "tested_on": final.get("tested_on"),
        }, ensure_ascii=False))
    return 0


def _preset_training(args):
    from nn import own_data
    from nn.kinds.registry import declared_settings
    from nn.presets import preset
    from nn.training_config import TrainConfig

    declared = {setting.name: getattr(args, setting.name) for setting in declared_settings()}
    recipe = own_data.SMALL_DATA_RECIPE if own_data.is_own(args.dataset) else {}
    given = {k: v for k, v in dict(subset=args.subset, validation_split=args.validation_split,
                                   **declared).items() if v is not None}
    config = TrainConfig.for_preset(preset(args.preset), seed=args.seed, **{**recipe, **given})
    return args.preset, args.dataset, config, False


def _transfer(args, store):
    """What the Train page queues for "Start from" a model: its layers, a new last layer for the
    set's classes, the recipe for small data at a gentler learning rate."""
    from nn import own_data
    from nn.training_config import TrainConfig

    info = store.get(args.start_from)
    if not info.kind.fine_tunable or info.dataset != "mnist":
        raise CliError(f"--from needs an MNIST Keras model; {info.name} is not one")
    config = own_data.transfer_config(args.seed, bool(args.keep_features))
    given = {k: v for k, v in dict(epochs=args.epochs, learning_rate=args.learning_rate,
                                   batch_size=args.batch_size).items() if v is not None}
    return info.path, args.dataset, TrainConfig.from_dict({**config.to_dict(), **given}), False


def _fine_tuning(args, store):
    """What the Train page's "Fine-tune on my drawings" queues: a stored MNIST Keras model, taught
    the workspace's drawings."""
    from nn.training_config import TrainConfig

    info = store.get(args.fine_tune)
    defaults = {"epochs": args.epochs, "learning_rate": args.learning_rate}
    config = TrainConfig.for_fine_tuning(**{k: v for k, v in defaults.items() if v is not None})
    return info.path, info.dataset, config, True


# --- runs ------------------------------------------------------------------------------------

def cmd_runs(args) -> int:
    from nn.runs import run_queue
    from nn.runs.roster import run_row
    from nn.runs.store import RunStore
    from nn.storage.paths import runs_dir

    runs = RunStore(args.workspace)
    if args.action != "list":
        if not args.id:
            raise CliError(f"runs {args.action} needs a run id")
        if args.action == "stop":
            _err(f"run {args.id}: {runs.stop(args.id)}")
        elif args.action == "resume":
            runs.resume(args.id)
            _err(f"run {args.id} is queued again")
        elif args.action == "delete":
            runs.delete(args.id)
            _err(f"run {args.id} deleted")
        else:
            store = args.workspace.models()
            name = args.name or runs.default_model_name(runs.get(args.id), store)
            _err(f"saved as {runs.save_as_model(args.id, name, store).name}")
        return 0
    view = run_queue.look(runs_dir())
    for run in runs.list():
        row = run_row(run, view)
        if args.json:
            print(json.dumps(row))
            continue
        result = f"{row['test_accuracy']:.2%}" if row["test_accuracy"] is not None else ""
        place = f"#{row['queue_position']} in the queue" if row["queue_position"] else ""
        print(f"{row['id']}  {row['state']:11s} {row['model']:18s} {row['dataset']:13s} "
              f"epoch {row['epoch']}/{row['epochs']}  {result or place}")
    return 0


# --- evaluate --------------------------------------------------------------------------------

def cmd_evaluate(args) -> int:
    from nn.evaluation import confusion_matrix, predict_split
    from nn.inference import make_predictor

    store = args.workspace.models()
    info = store.resolve(args.model)
    dataset_name = args.dataset or info.dataset
    dataset = _training_images(args.workspace, dataset_name)
    if dataset is None:
        raise CliError(f"{info.name} learned from a data set of yours that is gone: nothing to score it on")
    classes = data.class_names(dataset_name, info.metadata)
    _err(f"evaluating {info.name} on the {dataset.info.title} test set ({len(dataset.y_test)} images)")
    pred = predict_split(make_predictor(store.load(args.model)), dataset.x_test, dataset.y_test)
    matrix = confusion_matrix(pred.y_true, pred.y_pred, len(classes))
    if args.json:
        print(json.dumps({
            "model": info.name, "dataset": dataset_name, "classes": list(classes), "accuracy": pred.accuracy,
            "loss": pred.loss, "n": pred.n, "confusion_matrix": matrix.tolist(),
        }, ensure_ascii=False))
    else:
        print(f"{info.name} on {dataset_name}: accuracy {pred.accuracy:.4f}, loss {pred.loss:.4f}, "
              f"{pred.errors} errors in {pred.n}")
        print("confusion matrix (rows: true, columns: predicted)")
        for name, row in zip(classes, matrix):
            print(f"{name}: " + " ".join(f"{v:5d}" for v in row))
    return 0


# --- predict ---------------------------------------------------------------------------------

def cmd_predict(args) -> int:
    from nn.inference import make_predictor
    from nn.preprocess import ImageError

    store = args.workspace.models()
    info = store.resolve(args.model)
    predictor = make_predictor(store.load(args.model))
    from nn.familiar import familiarity

    class_names = data.class_names(info.dataset, info.metadata)
    train = _training_images(args.workspace, info.dataset)
    failed = 0
    for path in args.images:
        try:
            image28, p = predictor.predict_image(path)
        except (ImageError, OSError) as e:
            failed += 1
            _report_bad_image(path, e, args.json)
            continue
        seen = familiarity(train, image28) if train is not None else None  # as the Draw page tells it
        if args.json:
            print(json.dumps({"path": path, "label": p.label, "class": class_names[p.label],
                              "confidence": p.confidence,
                              "probabilities": [float(v) for v in p.probabilities],
                              "unfamiliar": seen.unfamiliar if seen else None,
                              "nearest_distance": round(seen.distance, 4) if seen else None,
                              "usual_distance": round(seen.usual, 4) if seen else None},
                             ensure_ascii=False), flush=True)
        else:
            unlike = " · unlike anything it learned from" if seen and seen.unfamiliar else ""
            print(f"{path}: {class_names[p.label]} ({words.confidence(p.confidence)} sure){unlike}")
    return 1 if failed else 0


def _training_images(workspace, dataset: str):
    """What a model learned from, to tell how unlike it a drawing is: MNIST or Fashion-MNIST, or
    the person's own set while they still have it (else None: nothing to compare with)."""
    from nn import own_data

    if not own_data.is_own(dataset):
        return data.load(dataset, log=_err)
    try:
        return own_data.as_dataset(own_data.own_set(workspace, dataset))[0]
    except DigitLabError:
        return None


def cmd_inspect(args) -> int:
    from nn.inference import predictor_for_file
    from nn.preprocess import ImageError, to_mnist
    from nn.storage.cache import file_key

    info = args.workspace.models().resolve(args.model)
    predictor = predictor_for_file(info.path)
    class_names = data.class_names(info.dataset, info.metadata)
    train = None
    failed = 0
    for path in args.images:
        try:
            image28 = to_mnist(path)
        except (ImageError, OSError) as e:
            failed += 1
            _report_bad_image(path, e, args.json)
            continue
        steps = inside.layers(predictor, image28)  # NotANetwork (a ValueError) ends it with a sentence
        if train is None:
            train = data.load(info.dataset, log=_err)
            _err("nearest neighbours: reading the training set's features (once per model file)")
        near = inside.neighbours(predictor, file_key(info.path), train.x_train, train.y_train,
                                 image28, k=args.neighbours)
        label = int(steps[-1].values.argmax())
        if args.json:
            print(json.dumps({"path": path, "label": label, "layers": [s.summary() for s in steps],
                              "neighbours": [vars(n) for n in near]}), flush=True)
        else:
            print(f"{path}: {class_names[label]}")
            for s in steps:
                print(f"  {s.name:24s} {s.type:20s} {'x'.join(map(str, s.shape)):>10s}  "
                      f"mean {s.summary()['mean']:.3f}  max {s.summary()['max']:.3f}")
            print("  nearest training images: " + ", ".join(
                f"#{n.index} ({class_names[n.label]}, {n.distance:.2f})" for n in near))
    return 1 if failed else 0


def _report_bad_image(path: str, e: Exception, as_json: bool) -> None:
    message = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
    if as_json:
        print(json.dumps({"path": path, "error": message}), flush=True)
    else:
        _err(f"{path}: error: {message}")


# --- data sets of one's own -------------------------------------------------------------------

def cmd_datasets(args) -> int:
    from nn.storage import class_rules
    from nn.storage.own_datasets import load_npy
    from nn.storage.workspaces import class_datasets
    from nn.training_config import TEST_IMAGES, TRAIN_IMAGES

    sets = args.workspace.datasets()
    if args.action != "list" and not args.name:
        what = "the zip's PATH" if args.action == "import" else "a NAME"
        raise CliError(f"datasets {args.action} needs {what}")
    if args.action == "create":
        if not args.classes:
            raise CliError('datasets create needs --classes "a,b,c"')
        made = sets.create(args.name, args.classes)
        _err(f"made {made.name!r} with {len(made.classes)} classes: {', '.join(made.classes)}")
    elif args.action == "add":
        if not args.label or not args.files:
            raise CliError("datasets add needs --label CLASS and one or more image or .npy files")
        chosen, added = sets.get(args.name), []
        chosen.class_index(args.label)
        try:
            for file in map(Path, args.files):
                if file.suffix.lower() == ".npy":
                    added += chosen.add_small(load_npy(file), args.label, by="command line")
                else:
                    added.append(chosen.add(file, args.label, by="command line"))
        except DigitLabError as e:
            for drawing in added:  # all or nothing
                chosen.delete(drawing)
            raise CliError(f"{file}: {e}; nothing was added") from None
        _err(f"added {words.count(len(added), 'drawing')} to {args.label!r}: "
             + ", ".join(f"{k} {v}" for k, v in chosen.counts().items()))
    elif args.action == "remove":
        sets.remove(args.name)
        _err(f"removed {args.name!r} and its drawings")
    elif args.action == "export":
        if not args.out:
            raise CliError("datasets export needs --out FILE.zip")
        out = sets.get(args.name).export(Path(args.out))
        _err(f"wrote {out}")
    elif args.action == "import":
        if not args.new_name:
            raise CliError("datasets import needs the zip's path and --name NAME")
        made = sets.import_zip(Path(args.name), args.new_name)
        _err(f"imported {made.name!r}: " + ", ".join(f"{k} {v}" for k, v in made.counts().items()))
    else:
        rows = [{"name": info.name, "owner": "built in", "classes": list(info.class_names), "counts": None,
                 "size": TRAIN_IMAGES + TEST_IMAGES} for info in data.DATASETS.values()]
        rows += [own.summary() for own in sets.list()]
        if class_rules.mode() == class_rules.PER_USER:
            rows += [own.summary("the class") for own in class_datasets().list()]
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))
        else:
            for row in rows:
                classes = ", ".join(row["classes"])
                print(f"{row['name']:24s} {row['owner']:9s} {row['size']:>7,} images  {classes}")
    return 0


# --- models ----------------------------------------------------------------------------------

def cmd_models(args) -> int:
    store = args.workspace.models()
    if args.action == "publish":
        record = store.publish(_needs_name(args), args.title)
        _err(f"published {args.name} to the class as {record.title!r}: everyone finds it as {record.name}")
        return 0
    if args.action == "unpublish":
        record = store.unpublish(_needs_name(args))
        _err(f"{record.title!r} is no longer published to the class")
        return 0
    if args.action == "use":
        info = store.make_active(_needs_name(args))
        _err(f"{info.name} is the active model: predict, inspect, evaluate and export use it, as Draw "
             "and Evaluate do, unless --model names another")
        return 0
    if args.action == "delete":
        store.delete(_needs_name(args))
        _err(f"deleted {args.name}")
        return 0
    if args.action == "import":  # an upload, as the Models page takes it: the same checks and trial
        if not args.name or not args.new_name:
            raise CliError("models import needs the file's PATH and --name NAME")
        _err(f"trying {args.name} in a process of its own before keeping it")
        info = store.import_file(Path(args.name), args.new_name, {"dataset": args.dataset})
        _err(f"added {info.name} ({info.metadata.get('params'):,} parameters)")
        return 0
    infos = store.list()
    if args.json:
        print(json.dumps([model_row(i) for i in infos]))
        return 0
    for i in infos:
        r = i.row()
        acc = words.accuracy(r["test accuracy"]) if r["test accuracy"] is not None else "-"
        whose = (f"  (class: {i.shared['title']!r} by {i.shared['by']})" if i.shared
                 else "  (bundled)" if i.bundled else "")
        print(f"{i.name:28s} {r['dataset']:14s} {r['model'] or '-':12s} acc {acc}{whose}")
    return 0


def model_row(info) -> dict:
    """One model as the `models --json` contract gives it."""
    # A class model's own metadata names it as its owner does: its name here comes last.
    row = {**info.metadata, "name": info.name, "path": str(info.path), "owner": info.owner,
           "bundled": info.bundled}
    if info.shared:
        row.update(by=info.shared["by"], title=info.shared["title"])
    return row


def _needs_name(args) -> str:
    if not args.name:
        raise CliError(f"models {args.action} needs the name of one of your models")
    return args.name


# --- export ----------------------------------------------------------------------------------

def cmd_export(args) -> int:
    import shutil

    from nn.export import exported

    info = args.workspace.models().resolve(args.model)
    out = Path(args.out)
    shutil.copyfile(exported(info.path, args.format), out)
    _err(f"{info.name} as {args.format}: {out} ({out.stat().st_size / 2**20:.1f} MB)")
    return 0


# --- the class -------------------------------------------------------------------------------

def cmd_class(args) -> int:
    from nn.runs import roster
    from nn.storage.paths import runs_dir

    if args.what in ("hide", "show", "unpublish"):  # the server's admin, as a teacher on the Class page
        if not args.name:
            raise CliError(f"class {args.what} needs the name of a class model (class/...)")
        shelf = workspaces.class_shelf()
        record = (shelf.unpublish(args.name, workspace="", teacher=True) if args.what == "unpublish"
                  else shelf.set_hidden(args.name, args.what == "hide"))
        done = {"hide": "hidden from the class", "show": "shown to the class again",
                "unpublish": "no longer published to the class"}[args.what]
        _err(f"{record.title!r} by {shelf.person_of(record.workspace)} is {done}")
        return 0
    if args.what == "new-teacher-link":  # the old link, and every session it opened, ends
        from nn.storage import teachers

        print(teachers.new_link(args.url))
        _err("a new teacher link: the old one no longer works, and sessions opened with it are no "
             "longer a teacher's from their next page")
        return 0
    if args.what == "leaderboard":
        rows = workspaces.class_shelf().leaderboard()
        for row in rows:
            print(json.dumps(row) if args.json else
                  f"{row['rank']:3d}. {row['title']:30s} {row['by']:20s} {row['dataset']:14s} "
                  f"{row['test_accuracy']:.2%}  {row['params'] or 0:>10,} params")
        return 0
    for row in roster.class_rows(runs_dir()):
        if args.json:
            print(json.dumps({k: row[k] for k in CLASS_FIELDS}))
        else:
            result = f"{row['test_accuracy']:.2%}" if row["test_accuracy"] is not None else ""
            place = f"#{row['queue_position']}" if row["queue_position"] else ""
            print(f"{row['person'][:20]:20s} {row['state']:12s} {place:4s} {row['model'][:24]:24s} "
                  f"{row['dataset']:14s} {row['epoch']}/{row['epochs']} {result}")
    return 0


CLASS_FIELDS = ("workspace", "person", "id", "state", "model", "dataset", "epoch", "epochs", "queue_position",
                "starts_in", "executed_on", "seconds", "test_accuracy")


# --- parser ----------------------------------------------------------------------------------

def _int_at_least(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value
    return parse


_positive_int = _int_at_least(1)
_non_negative_int = _int_at_least(0)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _workspace(text: str) -> Workspace:
    try:
        return Workspace(text)
    except WorkspaceError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def setting_argument(setting) -> dict:
    """argparse's options for one declared setting; None (not given) keeps the preset's value."""
    from nn.kinds.registry import all_kinds

    owners = [name for name, kind in all_kinds().items() if setting in kind.settings]
    only = "" if len(owners) == len(all_kinds()) else f"{', '.join(owners)} only: "
    options = {"help": only + setting.help}
    if setting.type is bool:
        return {**options, "action": argparse.BooleanOptionalAction}
    if setting.choices:
        return {**options, "choices": list(setting.choices)}
    return {**options, "type": _positive_float if setting.type is float else _positive_int}


def _train_parser(sub, datasets: list[str]) -> None:
    from nn.kinds.registry import declared_settings
    from nn.presets import PRESETS

    p = sub.add_parser("train", help="train a preset, or fine-tune a model on your drawings, and save it")
    p.add_argument("--preset", choices=list(PRESETS))
    p.add_argument("--fine-tune", metavar="MODEL", help="fine-tune this stored MNIST Keras model on the "
                                                         "workspace's drawings, as the Train page does")
    p.add_argument("--dataset", default="mnist", choices=datasets)
    p.add_argument("--data", metavar="NAME", help="mnist, fashion-mnist or one of your own data sets "
                                                  "(nn datasets); on your own, without --preset, the "
                                                  "recipe for small data sets")
    p.add_argument("--from", dest="start_from", metavar="MODEL",
                   help="with --data NAME of your own: start from this stored MNIST Keras model's "
                        "layers, with a new last layer for your classes (--keep-features: train only it)")
    for setting in declared_settings():  # each kind's own settings (default: the preset's)
        p.add_argument(setting.flag, **setting_argument(setting))
    p.add_argument("--subset", type=_positive_int, help="train on the first N training images")
    p.add_argument("--validation-split", type=float, help="share held out for validation (0 to 0.5)")
    p.add_argument("--seed", type=_non_negative_int, default=0)
    p.add_argument("--name", help="store name (default: PRESET-DATASET, numbered if taken)")
    p.add_argument("--detach", action="store_true",
                   help="queue the run and return at once with its id (an app server trains it)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_train)


def build_parser() -> argparse.ArgumentParser:

    parser = argparse.ArgumentParser(prog="python -m nn", description="Digit Lab from the command line.")
    parser.add_argument("--workspace", default=LOCAL, type=_workspace,
                        help="whose models and runs (default: local, the single-user workspace)")
    sub = parser.add_subparsers(dest="command", required=True)
    datasets = list(data.DATASETS)

    p = sub.add_parser("data", help="fetch, verify and cache the datasets")
    p.add_argument("action", choices=["fetch"])
    p.add_argument("dataset", nargs="?", default="all", choices=[*datasets, "all"])
    p.set_defaults(run=cmd_data)

    _train_parser(sub, datasets)

    p = sub.add_parser("runs", help="list the workspace's runs, or stop, resume, delete or save one")
    p.add_argument("action", nargs="?", default="list", choices=["list", "stop", "resume", "delete", "save"])
    p.add_argument("id", nargs="?", help="the run's id (see `runs`)")
    p.add_argument("--name", help="save: the model's name (default: PRESET-DATASET, numbered if taken)")
    p.add_argument("--json", action="store_true", help="one JSON object per run and line")
    p.set_defaults(run=cmd_runs)

    p = sub.add_parser("evaluate", help="accuracy, loss and confusion matrix on a test set")
    p.add_argument("--model", help=ACTIVE_HELP)
    p.add_argument("--dataset", choices=datasets, help="default: the model's own dataset")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_evaluate)

    p = sub.add_parser("predict", help="classify image files")
    p.add_argument("--model", help=ACTIVE_HELP)
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_predict)

    p = sub.add_parser("inspect", help="every layer's output for image files, and their nearest "
                                       "training images")
    p.add_argument("--model", help=ACTIVE_HELP)
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--neighbours", type=_positive_int, default=inside.NEIGHBOURS,
                   help=f"how many (default {inside.NEIGHBOURS})")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_inspect)

    p = sub.add_parser("datasets", help="list the data sets; make one of your own, add drawings to it, "
                                        "remove, export or import one")
    p.add_argument("action", nargs="?", default="list",
                   choices=["list", "create", "add", "remove", "export", "import"])
    p.add_argument("name", nargs="?", help="the data set (import: the zip's path)")
    p.add_argument("files", nargs="*", metavar="FILE", help="add: images, or .npy arrays of 28x28 images")
    p.add_argument("--classes", help='create: the class names, "a,b,c" (2 to 20)')
    p.add_argument("--label", help="add: the class the files are drawings of")
    p.add_argument("--out", help="export: the zip to write")
    p.add_argument("--name", dest="new_name", help="import: the new set's name")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_datasets)

    p = sub.add_parser("models", help="list your, the bundled and the class's models; publish one of "
                                      "yours to the class or take it back")
    p.add_argument("action", nargs="?", choices=["list", "use", "publish", "unpublish", "delete", "import"],
                   default="list")
    p.add_argument("name", nargs="?", help="a model (use), one of yours (publish, unpublish, delete); "
                                           "import: the model file's path")
    p.add_argument("--as", dest="title", help="its title in the class (default: its name)")
    p.add_argument("--name", dest="new_name", help="import: the name to keep it under")
    p.add_argument("--dataset", default="mnist", choices=datasets, help="import: what it was trained on")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_models)

    from nn.export import FORMATS

    p = sub.add_parser("export", help="write a model as ONNX (onnxruntime, the browser) or LiteRT .tflite "
                                      "(phones): one image in, its class probabilities out")
    p.add_argument("--model", help=ACTIVE_HELP)
    p.add_argument("--format", required=True, choices=list(FORMATS))
    p.add_argument("--out", required=True, help="the file to write")
    p.set_defaults(run=cmd_export)

    p = sub.add_parser("class", help="every run of every person on this server, or the leaderboard of "
                                     "the models published to the class; as its teacher, hide, show "
                                     "or unpublish one")
    p.add_argument("what", nargs="?", default="runs",
                   choices=["runs", "leaderboard", "hide", "show", "unpublish", "new-teacher-link"])
    p.add_argument("name", nargs="?", help="a class model (class/...): hide, show, unpublish")
    p.add_argument("--url", default="http://localhost:8501",
                   help="new-teacher-link: the server's address as the class opens it")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(run=cmd_class)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "datasets" and not any(e.startswith("-") for e in extra):
        args.files += extra  # `datasets add NAME --label CLASS FILE...`: argparse leaves the files over
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        class_rules.keep_private()
        return args.run(args)
    except (DigitLabError, ValueError) as e:  # ours, and a library's refusal of a value
        _err(f"error: {e}")
        return 2
