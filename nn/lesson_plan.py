"""The Learn page's lessons in order, and what each reads from its address: every lesson's whole
state is in the query string (/learn?lesson=gradient-descent&weight=0.5&...), so a teacher hands
out a link. A value that cannot be used is named and replaced by the lesson's default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nn.words import term


@dataclass(frozen=True)
class Param:
    name: str
    default: object
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    count: tuple[int, int] | None = None  # a comma-separated list of this many numbers (low, high)

    def parse(self, text: str):
        """The value `text` gives, or ValueError saying what it must be."""
        if self.choices:
            if text not in self.choices:
                raise ValueError(f"one of {', '.join(self.choices)}")
            return text
        if self.count is not None:
            try:
                values = tuple(float(part) for part in text.split(","))
            except ValueError:
                raise ValueError(f"{self._list_words()}, separated by commas") from None
            if not self.count[0] <= len(values) <= self.count[1]:
                raise ValueError(f"{self._list_words()}, separated by commas")
            for value in values:
                self._check_range(value)
            return values
        kind = type(self.default)
        try:
            value = int(text) if kind is int else float(text)
        except ValueError:
            raise ValueError("a whole number" if kind is int else "a number") from None
        self._check_range(value)
        return value

    def _list_words(self) -> str:
        low, high = self.count
        return f"{low} numbers" if low == high else f"{low} to {high} numbers"

    def _check_range(self, value: float) -> None:
        if (
            not math.isfinite(value)
            or (self.low is not None and value < self.low)
            or (self.high is not None and value > self.high)
        ):
            raise ValueError(f"between {_number(self.low)} and {_number(self.high)}")

    def text(self, value) -> str:
        """`value` as the address writes it."""
        if isinstance(value, tuple):
            return ",".join(_number(v) for v in value)
        return value if isinstance(value, str) else _number(value)


def _number(value) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    params: tuple[Param, ...] = ()

    def defaults(self) -> dict:
        return {p.name: p.default for p in self.params}


IMAGE = Param("image", 0, 0, 9999)  # an MNIST test image, when the learner has not drawn
KERNELS = ("vertical-edge", "horizontal-edge", "blur", "sharpen")  # nn.digit_lessons.HAND_KERNELS
LESSONS = (
    Lesson("one-weight", term("One weight"), (Param("input", 8.5, -100, 100), Param("weight", 0.1, -10, 10))),
    Lesson(
        "several-inputs",
        term("A weighted sum"),
        (Param("game", 1, 1, 4), Param("weights", (0.1, 0.2, 0.0), -10, 10, count=(3, 3))),
    ),
    Lesson(
        "several-outputs",
        term("Several outputs"),
        (Param("input", 0.65, -100, 100), Param("weights", (0.3, 0.2, 0.9), -10, 10, count=(3, 3))),
    ),
    Lesson("hidden-layer", term("A hidden layer"), (Param("game", 1, 1, 4),)),
    Lesson(
        "gradient-descent",
        term("Gradient descent: one weight learns"),
        (
            Param("weight", 0.5, -10, 10),
            Param("goal", 0.8, -10, 10),
            Param("input", 0.5, -10, 10),
            Param("alpha", 1.0, 0, 10),
            Param("steps", 20, 1, 200),
            Param("step", 0.01, 0.0001, 1),
        ),
    ),
    Lesson(
        "many-weights",
        term("Gradient descent with many weights"),
        (Param("game", 1, 1, 4), Param("alpha", 0.01, 0, 1), Param("steps", 3, 1, 50)),
    ),
    Lesson("pixels", term("A neuron on 784 pixels"), (IMAGE, Param("digit", -1, -1, 9))),
    Lesson(
        "backprop",
        term("Backpropagation on your drawing"),
        (IMAGE, Param("label", -1, -1, 9), Param("alpha", 0.005, 0, 1), Param("steps", 1, 0, 50)),
    ),
    Lesson(
        "convolution",
        term("Convolution and pooling"),
        (
            IMAGE,
            Param("kernel", KERNELS[0], choices=KERNELS),
            Param("learned", 1, 1, 32),
            Param("row", -1, -1, 25),  # -1: where the kernel answers most
            Param("col", -1, -1, 25),
        ),
    ),
    Lesson(
        "softmax",
        term("Softmax and cross-entropy"),
        (Param("scores", (2.0, 1.0, 0.1), -50, 50, count=(2, 10)), Param("true", 0, 0, 9)),
    ),
)
BY_ID = {lesson.id: lesson for lesson in LESSONS}


def next_of(lesson: Lesson) -> Lesson | None:
    i = LESSONS.index(lesson)
    return LESSONS[i + 1] if i + 1 < len(LESSONS) else None


@dataclass(frozen=True)
class Opened:
    """A lesson as an address opens it: its values, and a sentence for each one not taken."""

    lesson: Lesson
    values: dict
    problems: tuple[str, ...]


def opened(query: dict[str, str]) -> Opened:
    """The lesson and values an address asks for: the first lesson when it names none; its
    defaults for what it leaves out or gets wrong (each named)."""
    problems = []
    wanted = query.get("lesson") or LESSONS[0].id
    lesson = BY_ID.get(wanted)
    if lesson is None:
        problems.append(
            f"there is no lesson {wanted[:40]!r}: here is the first; the lessons are "
            + ", ".join(lesson.id for lesson in LESSONS)
        )
        lesson = LESSONS[0]
    values = lesson.defaults()
    for param in lesson.params:
        if param.name not in query:
            continue
        try:
            values[param.name] = param.parse(str(query[param.name]))
        except ValueError as e:
            problems.append(
                f"{param.name} must be {e}, not {str(query[param.name])[:40]!r}: it is "
                f"{param.text(param.default)}, the lesson's own"
            )
    return Opened(lesson, values, tuple(problems))


def address(lesson: Lesson, values: dict) -> dict[str, str]:
    """The query string of `lesson` with `values`, every one written out: a link shows its numbers."""
    return {"lesson": lesson.id, **{p.name: p.text(values.get(p.name, p.default)) for p in lesson.params}}
