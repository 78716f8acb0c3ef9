"""How honest is "% sure"? The expected calibration error (nn.kinds.keras.calibration) of each
bundled model on
its test set and on the drawn digits, with the temperature its training fitted (as shipped) and
without it (the temperature undone), and how sure it is when it is wrong.

    .venv/bin/python -m bench.calibration
"""

from __future__ import annotations

import numpy as np


def measure() -> list[dict]:
    from harness import drawn_digits
    from nn import data
    from nn.inference import predictor_for_file
    from nn.kinds.keras.calibration import expected_calibration_error, tempered
    from nn.storage.saved_models import ModelStore

    drawn, drawn_labels, _ = drawn_digits.normalised()
    rows = []
    for info in ModelStore().list():
        if not info.bundled or info.path.suffix != ".keras":
            continue
        d = data.load(info.dataset)
        predictor = predictor_for_file(info.path)
        temperature = (info.metadata.get("calibration") or {}).get("temperature", 1.0)
        sets = [("test", d.x_test / np.float32(255), d.y_test)]
        if info.dataset == "mnist":
            sets.append(("drawn", drawn, drawn_labels))
        row = {"model": info.name, "temperature": f"{temperature:.3f}", "drawn ECE without → with": "–",
               "drawn: median sure when wrong, without → with": "–"}
        for name, x, y in sets:
            shipped = predictor.probabilities(x)
            without = tempered(shipped, 1.0 / temperature)
            wrong = shipped.argmax(1) != y
            row[f"{name} ECE without → with"] = (f"{expected_calibration_error(without, y):.2%} → "
                                                 f"{expected_calibration_error(shipped, y):.2%}")
            if wrong.any():
                row[f"{name}: median sure when wrong, without → with"] = (
                    f"{np.median(without.max(1)[wrong]):.0%} → {np.median(shipped.max(1)[wrong]):.0%}")
        rows.append(row)
    return rows


if __name__ == "__main__":
    for row in measure():
        print(row)
