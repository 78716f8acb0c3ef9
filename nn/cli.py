"""`python -m nn`: the app's logic without the app. The JSON outputs are a contract.

  python -m nn data fetch [mnist|fashion-mnist|all]
  python -m nn train --preset NAME [--dataset D] [--epochs N] [--batch-size N] [--learning-rate X]
                     [--subset N] [--seed N] [--name NAME] [--json]
  python -m nn evaluate [--model NAME_OR_PATH] [--dataset D] [--json]
  python -m nn predict [--model NAME_OR_PATH] IMAGE... [--json]
  python -m nn models [--json]
Progress and messages go to stderr; with --json, stdout holds only the JSON.
"""

from __future__ import annotations

import argparse
import json
import sys

from nn import data
from nn.store import DEFAULT_MODEL, ModelStore, StoreError


class CliError(Exception):
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

def cmd_train(args) -> int:
    from nn.jobs import JobState, TrainingJob, format_duration, run_to_end
    from nn.models import preset
    from nn.training import TrainConfig

    spec = preset(args.preset)
    config = TrainConfig.for_preset(
        spec, epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
        subset=args.subset, seed=args.seed, validation_split=args.validation_split,
        per_sample=args.per_sample or None,
    )
    store = ModelStore()
    name = args.name or store.unique_name(f"{args.preset}-{args.dataset}")
    if any(info.name == name for info in store.list()):
        raise CliError(f"a model named {name!r} already exists; pass another --name")
    job = TrainingJob(args.preset, args.dataset, config)

    def show(snapshot):
        p = snapshot.progress
        if snapshot.state is JobState.RUNNING:
            progress_bar(snapshot.fraction,
                         f"epoch {min(p.epoch + 1, p.epochs)}/{p.epochs} "
                         f"batch {p.batch}/{p.batches_per_epoch} "
                         f"{p.samples_per_second:,.0f} img/s elapsed {format_duration(p.elapsed)} "
                         f"ETA {format_duration(p.eta)}")
        elif not snapshot.state.done:
            progress_bar(0.0, snapshot.message)

    try:
        final = run_to_end(job, show)
    except KeyboardInterrupt:
        job.stop()
        final = job.wait()
    sys.stderr.write("\n")
    if final.state is JobState.FAILED:
        raise CliError(final.message)
    info = store.save(job.model, name, job.metadata())
    for row in final.progress.history:
        _err(f"epoch {row['epoch']}: loss {row['loss']:.4f} accuracy {row['accuracy']:.4f}"
             + "".join(f" {key} {row[key]:.4f}" for key in ("val_accuracy", "test_accuracy") if key in row))
    _err(f"test accuracy {final.test_accuracy:.4f}; saved as {info.name} ({info.path})")
    if args.json:
        print(json.dumps({
            "name": info.name, "path": str(info.path), "preset": args.preset,
            "dataset": args.dataset, "epochs": job.result.epochs_completed,
            "test_accuracy": final.test_accuracy, "test_loss": final.test_loss,
            "seconds": final.seconds,
        }))
    return 0


# --- evaluate --------------------------------------------------------------------------------

def cmd_evaluate(args) -> int:
    from nn.evaluation import confusion_matrix, predict_split
    from nn.inference import make_predictor

    store = ModelStore()
    info = store.resolve(args.model)
    dataset_name = args.dataset or info.dataset
    dataset = data.load(dataset_name, log=_err)
    _err(f"evaluating {info.name} on the {dataset_name} test set ({len(dataset.y_test)} images)")
    pred = predict_split(make_predictor(store.load(args.model)), dataset.x_test, dataset.y_test)
    matrix = confusion_matrix(pred.y_true, pred.y_pred)
    if args.json:
        print(json.dumps({
            "model": info.name, "dataset": dataset_name, "accuracy": pred.accuracy,
            "loss": pred.loss, "n": pred.n, "confusion_matrix": matrix.tolist(),
        }))
    else:
        print(f"{info.name} on {dataset_name}: accuracy {pred.accuracy:.4f}, loss {pred.loss:.4f}, "
              f"{pred.errors} errors in {pred.n}")
        print("confusion matrix (rows: true, columns: predicted)")
        for t, row in enumerate(matrix):
            print(f"{t}: " + " ".join(f"{v:5d}" for v in row))
    return 0


# --- predict ---------------------------------------------------------------------------------

def cmd_predict(args) -> int:
    from nn.inference import make_predictor
    from nn.preprocess import ImageError

    store = ModelStore()
    info = store.resolve(args.model)
    predictor = make_predictor(store.load(args.model))
    class_names = data.dataset_info(info.dataset).class_names
    failed = 0
    for path in args.images:
        try:
            _, p = predictor.predict_image(path)
        except (ImageError, OSError) as e:
            failed += 1
            message = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            if args.json:
                print(json.dumps({"path": path, "error": message}), flush=True)
            else:
                _err(f"{path}: error: {message}")
            continue
        if args.json:
            print(json.dumps({"path": path, "label": p.label, "confidence": p.confidence,
                              "probabilities": [float(v) for v in p.probabilities]}), flush=True)
        else:
            print(f"{path}: {class_names[p.label]} ({p.confidence:.1%})")
    return 1 if failed else 0


# --- models ----------------------------------------------------------------------------------

def cmd_models(args) -> int:
    infos = ModelStore().list()
    if args.json:
        print(json.dumps([{"name": i.name, "path": str(i.path), "bundled": i.bundled, **i.metadata}
                          for i in infos]))
        return 0
    for i in infos:
        r = i.row()
        acc = f"{r['test accuracy']:.4f}" if r["test accuracy"] is not None else "-"
        print(f"{i.name:28s} {r['dataset']:14s} {r['model'] or '-':12s} acc {acc}"
              f"{'  (bundled)' if i.bundled else ''}")
    return 0


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


def build_parser() -> argparse.ArgumentParser:
    from nn.models import PRESETS

    parser = argparse.ArgumentParser(prog="python -m nn", description="Digit Lab from the command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    datasets = list(data.DATASETS)

    p = sub.add_parser("data", help="fetch, verify and cache the datasets")
    p.add_argument("action", choices=["fetch"])
    p.add_argument("dataset", nargs="?", default="all", choices=[*datasets, "all"])
    p.set_defaults(run=cmd_data)

    p = sub.add_parser("train", help="train a preset and save it to the store")
    p.add_argument("--preset", required=True, choices=list(PRESETS))
    p.add_argument("--dataset", default="mnist", choices=datasets)
    p.add_argument("--epochs", type=_positive_int)
    p.add_argument("--batch-size", type=_positive_int)
    p.add_argument("--learning-rate", type=_positive_float)
    p.add_argument("--subset", type=_positive_int, help="train on the first N training images")
    p.add_argument("--validation-split", type=float, help="share held out for validation (0 to 0.5)")
    p.add_argument("--per-sample", action="store_true",
                   help="numpy-mlp only: update after every image, as its tutorial does")
    p.add_argument("--seed", type=_non_negative_int, default=0)
    p.add_argument("--name", help="store name (default: PRESET-DATASET, numbered if taken)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("evaluate", help="accuracy, loss and confusion matrix on a test set")
    p.add_argument("--model", help=f"store name or model file path (default: {DEFAULT_MODEL})")
    p.add_argument("--dataset", choices=datasets, help="default: the model's own dataset")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_evaluate)

    p = sub.add_parser("predict", help="classify image files")
    p.add_argument("--model", help=f"store name or model file path (default: {DEFAULT_MODEL})")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_predict)

    p = sub.add_parser("models", help="list saved and bundled models")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_models)
    return parser


def main(argv: list[str] | None = None) -> int:
    from nn.models import UnknownModelError
    from nn.training import ConfigError

    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (CliError, data.DataError, StoreError, ConfigError, UnknownModelError) as e:
        _err(f"error: {e}")
        return 2
