"""Every bundled MNIST model's accuracy on the drawn-digit set (harness.drawn_digits: 160 digits
drawn with the mouse on the Draw page's canvas), through the Draw page's preprocessing.

    .venv/bin/python -m bench.drawn_digits
"""

from __future__ import annotations


def score_bundled() -> list[dict]:
    from harness.drawn_digits import score
    from nn.inference import make_predictor
    from nn.kinds.registry import load_model_file
    from nn.storage.saved_models import ModelStore

    rows = []
    for info in ModelStore().list():
        if info.bundled and info.dataset == "mnist":
            result = score(make_predictor(load_model_file(info.path)))
            rows.append({"model": info.name, "MNIST test": f"{info.test_accuracy:.2%}",
                         "drawn digits": f"{result['accuracy']:.2%} ({result['n']})",
                         "misread": ", ".join(f"{t}→{p}" for _, t, p in result["wrong"][:12]) or "none"})
    return rows


if __name__ == "__main__":
    for row in score_bundled():
        print(row)
