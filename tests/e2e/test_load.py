"""Load: a class of 12 sessions pressing Train at once on a per-user server, a 13th drawing.

The scenario is bench.classroom's; here it must hold: every session sees its run's progress or
its place in the queue, the drawings are read right,
every run finishes with its result kept, and no session sees another's runs. Its timings and
memory are printed (run with -s) and written to tests/e2e/screenshots/load.json; the benchmark
records them in bench/RESULTS.md. Bounded in time (bench.classroom.BUDGET); loopback only.
"""

from __future__ import annotations

import json

import pytest

from bench import queue_jumping
from bench.classroom import DRAWINGS, run_classroom
from harness.browser import assert_no_exception, grid_texts
from harness.server import start_app, stop_app
from nn.runs.run_queue import default_max_trainings
from tests.e2e.conftest import SCREENSHOTS

SESSIONS = 12
pytestmark = pytest.mark.serial  # what it measures is the class's, not another test's load


@pytest.fixture(scope="module")
def class_app(tmp_path_factory):
    app = start_app(tmp_path_factory.mktemp("class"), env={"DIGITLAB_WORKSPACES": "per-user"})
    yield app
    stop_app(app)


@pytest.mark.slow
def test_a_class_presses_train_at_once_and_someone_draws(browser, class_app):
    figures, pages = run_classroom(class_app, browser, SESSIONS)
    try:
        print("\nload figures:", figures.summary())
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / "load.json").write_text(json.dumps(figures.summary(), indent=1))
        assert len(figures.first_signs) == SESSIONS
        for sign in figures.first_signs:  # its progress, or its place among the others
            assert sign == "started" or 1 <= int(sign.removeprefix("queued ")) <= SESSIONS, sign
        assert figures.answers == [(digit, str(digit)) for digit in DRAWINGS]
        assert len(figures.accuracies) == SESSIONS and min(figures.accuracies) > 0.9
        for page in pages:  # each sees its own run only
            assert sum("dense-128 on mnist" in cell for cell in grid_texts(page, "runs_table")) == 1
            assert_no_exception(page)
    finally:
        for page in pages:
            page.context.close()


@pytest.fixture
def fresh_app(tmp_path):
    app = start_app(tmp_path, env={"DIGITLAB_WORKSPACES": "per-user"})
    yield app
    stop_app(app)


@pytest.mark.slow
def test_ten_fresh_workspaces_cannot_jump_an_earlier_persons_queued_run(browser, fresh_app):
    """One person opens ten pages without a token (ten new workspaces) and presses Train on each
    after someone else's run was queued: that run still starts next, within one run's time."""
    figures = queue_jumping.measure(fresh_app, browser, default_max_trainings(), fresh=10)
    print("\nqueue jumping:", figures)
    queued, after = figures["the earlier run's place in the queue: when queued / after the newcomers"]
    assert queued == 1 and after in (1, "started"), (queued, after)  # never behind a newcomer
    assert figures["newcomers' runs that started before it"] == 0
    assert figures["it waited, s"] <= figures["a run of the class took, s"] + 10
