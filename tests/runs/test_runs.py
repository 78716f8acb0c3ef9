"""Runs and the queue: real worker processes training tiny subsets, real files, real locks."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter

import numpy as np
import pytest

from nn.kinds import registry as kinds
from nn.runs import pace, run_queue
from nn.runs.run_folder import STATE_FILE, ProgressReader, read_json
from nn.runs.scheduler import Scheduler, WorkerProcess
from nn.runs.store import Run, RunError, RunState, RunStore
from nn.storage.locks import Lock
from nn.storage.paths import runs_dir
from nn.storage.workspaces import LOCAL_WORKSPACE, Workspace
from nn.training_config import ConfigError, TrainConfig


def small(**overrides) -> TrainConfig:
    return TrainConfig(**{"epochs": 2, "subset": 1000, "batch_size": 50, **overrides})


def wait_for(run: Run, condition, timeout: float = 120, what: str = "the run") -> dict:
    """Poll the run's status until `condition(status)` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = run.status()
        if status and condition(status):
            return status
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; it is {run.status()}")


def ended(status: dict) -> bool:
    return not RunState(status["state"]).active


@pytest.fixture
def scheduler():
    s = Scheduler(runs_dir(), slots=1, keep_warm=False, tick=0.2).start()
    yield s
    s.close()


def test_a_run_trains_in_a_worker_and_keeps_everything_on_disk(scheduler, mnist):
    store = RunStore(LOCAL_WORKSPACE)
    run = store.submit("dense-128", "mnist", small()).run
    assert run.state is RunState.QUEUED
    status = wait_for(run, ended)
    assert status["state"] == "finished", status
    assert status["executed_on"] and f"process {os.getpid()}" not in status["executed_on"]
    progress = ProgressReader(run.folder).read()
    assert len(progress.history) == 2 and progress.epoch == 2
    assert len(progress.batches) == 2 * 18  # 900 training images in batches of 50, twice
    assert [b["step"] for b in progress.batches] == list(range(1, 37))
    assert status["test_accuracy"] > 0.7 and status["params"] == 101_770
    # The run's model is the trained one: its accuracy on the test set is the one reported.
    model = kinds.load_model_file(run.model_path)
    probabilities = kinds.of_model(model).predictor(model).probabilities(mnist.x_test / np.float32(255))
    accuracy = (probabilities.argmax(axis=1) == mnist.y_test).mean()
    assert accuracy == pytest.approx(status["test_accuracy"], abs=1e-4)
    info = store.save_as_model(run.id, "kept", LOCAL_WORKSPACE.models())
    assert info.metadata["history"] == progress.history and info.metadata["run"] == run.id
    assert run.saved_as() == ["kept"]


def test_stop_ends_at_the_next_batch_and_keeps_the_weights(scheduler):
    store = RunStore(LOCAL_WORKSPACE)
    run = store.submit("dense-128", "mnist", small(epochs=50, subset=5000, batch_size=10)).run
    wait_for(run, lambda s: run.counters().get("batch", 0) > 0, what="the first batches")
    assert store.stop(run.id) == "stopping"
    status = wait_for(run, ended)
    assert status["state"] == "stopped" and "stopped at epoch" in status["message"]
    assert run.counters()["epoch"] < 50 and run.model_path.exists()
    assert status["test_accuracy"] is not None and run.stopped_by() == ""


def test_a_run_the_teacher_stopped_says_who_stopped_it(scheduler):
    store = RunStore(LOCAL_WORKSPACE)
    run = store.submit("dense-128", "mnist", small(epochs=50, subset=5000, batch_size=10)).run
    wait_for(run, lambda s: run.counters().get("batch", 0) > 0, what="the first batches")
    assert store.stop(run.id, by="your teacher") == "stopping"
    status = wait_for(run, ended)
    assert status["message"].startswith("stopped by your teacher at epoch")
    assert run.stopped_by() == "your teacher"


def test_a_diverging_run_fails_with_a_message(scheduler):
    run = RunStore(LOCAL_WORKSPACE).submit(
        "dense-128", "mnist", small(optimizer="sgd", learning_rate=50.0, batch_size=10)).run
    status = wait_for(run, ended)
    assert status["state"] == "failed" and "diverged" in status["message"]


def test_unusable_runs_are_refused_before_they_are_queued(tmp_path):
    store = RunStore(LOCAL_WORKSPACE)
    with pytest.raises(ConfigError, match="epochs must be"):
        store.submit("dense-128", "mnist", small(epochs=0))
    with pytest.raises(ConfigError, match="plain gradient descent"):
        store.submit("numpy-mlp", "mnist", small(optimizer="adam"))
    with pytest.raises(RunError, match="gone"):
        store.submit(tmp_path / "missing.keras", "mnist", small())
    with pytest.raises(RunError, match="no saved drawings"):
        store.submit("dense-128", "mnist", small(), with_drawings=True)
    assert store.list() == []


def submit_many(workspace: str, n: int) -> list[Run]:
    store = RunStore(Workspace(workspace))
    return [store.submit("sigmoid-10", "mnist", small(optimizer="sgd", learning_rate=0.5)).run
            for _ in range(n)]


def test_the_queue_is_fair_across_workspaces():
    ann = submit_many("ann", 4)
    submit_many("bob", 1)
    submit_many("cid", 2)
    order = [run.spec.workspace for run in run_queue.scan(runs_dir(), slots=1).waiting]
    # One of ann's four is first (she asked first), then everyone else's first run, and so on.
    assert order == ["ann", "bob", "cid", "ann", "cid", "ann", "ann"], order
    # While ann has a run training, the others go first.
    lock = Lock(ann[0].lock_path)
    assert lock.acquire()  # as a worker holds it
    ann[0].write_status(state=RunState.RUNNING, started_at=time.time())
    try:
        order = [run.spec.workspace for run in run_queue.scan(runs_dir(), slots=1).waiting]
        assert order[:2] == ["bob", "cid"] and order.count("ann") == 3, order
    finally:
        lock.release()
    assert ann[0].state is RunState.INTERRUPTED  # nobody holds its lock any more


def test_positions_and_start_estimates_follow_the_order():
    runs = submit_many("ann", 3)
    view = run_queue.look(runs_dir(), slots=1)
    assert [view.position(run) for run in runs] == [1, 2, 3]
    starts = [view.seconds_until_start(run) for run in runs]
    assert starts[0] == pytest.approx(0, abs=1) and starts[0] < starts[1] < starts[2]
    assert run_queue.start_times([10, 10, 10], [5], slots=2) == [0, 5, 10]


def test_start_estimates_follow_the_pace_of_the_last_runs():
    """Under a class's load runs take longer than on a quiet machine; the promised starts follow
    what the last finished runs really took."""
    waiting = submit_many("bob", 2)
    quiet = run_queue.scan(runs_dir(), slots=1).seconds_until_start(waiting[1])
    done = submit_many("ann", 3)
    for run in done:  # each took three times its estimate
        run.write_status(state=RunState.FINISHED, started_at=100.0,
                         ended_at=100.0 + 3 * pace.estimated_seconds(run))
    busy = run_queue.scan(runs_dir(), slots=1)
    assert busy.seconds_until_start(waiting[1]) == pytest.approx(3 * quiet, rel=0.05)
    for run in done:  # ... because three trained at once: one at a time they take their estimate
        run.write_status(alongside=3)
    alone = run_queue.scan(runs_dir(), slots=1).seconds_until_start(waiting[1])
    assert alone == pytest.approx(quiet, rel=0.05)
    # With two slots and a queue to fill them, two train at once: each takes twice as long.
    assert run_queue.scan(runs_dir(), slots=2).starts_in[waiting[1].id] == 0.0
    assert run_queue.start_times([10, 10, 10], [], slots=2) == [0, 0, 10]
    assert pace.recent_pace([], []) == pace.Pace(1.0, {})


def test_the_train_pages_estimate_is_each_presets_own_pace_here_and_shares_the_cores():
    """A preset that ran here before is estimated from its own last runs; one that did not, from
    the recent ones of its kind, halfway to those of its family (a convolutional network leans
    towards the convolutional runs); a kind with no runs here, from every kind's (real runs say
    more than the warm-up's tiny fit); and a run that would train alongside another takes twice
    as long."""
    store = RunStore(Workspace("ann"))
    slow = store.submit("cnn-fast", "mnist", TrainConfig(epochs=1, subset=64, seed=0)).run
    quick = store.submit("dense-128", "mnist", TrainConfig(epochs=1, subset=64, seed=0)).run
    for run, ratio in ((slow, 2.5), (quick, 0.8)):
        run.write_status(state=RunState.FINISHED, started_at=100.0,
                         ended_at=100.0 + ratio * pace.estimated_seconds(run))
    view = run_queue.scan(runs_dir(), slots=2)
    config, keras = TrainConfig(epochs=3, seed=0), kinds.named("keras")
    of_keras = (2.5 + 0.8) / 2
    for source, ratio in (("cnn-fast", 2.5), ("dense-128", 0.8), ("cnn-best", (2.5 * of_keras) ** 0.5),
                          ("dense-128x2", (0.8 * of_keras) ** 0.5)):
        alone = pace.estimate(keras, source, config)
        assert view.expected_seconds(keras, source, config) == pytest.approx(ratio * alone)
    numpy = kinds.named("numpy")
    alone = pace.estimate(numpy, "numpy-mlp", config)
    assert view.expected_seconds(numpy, "numpy-mlp", config) == pytest.approx(of_keras * alone)
    training = Lock(slow.lock_path)  # one trains (its process holds its lock): two would share the cores
    assert training.acquire()
    try:
        slow.write_status(state=RunState.RUNNING, ended_at=None)
        view = run_queue.scan(runs_dir(), slots=2)
    finally:
        training.release()
    alone = pace.estimate(keras, "dense-128", config)
    assert view.expected_seconds(keras, "dense-128", config) == pytest.approx(2 * 0.8 * alone)


def test_a_kind_without_runs_here_goes_at_the_pace_its_own_warm_up_fit_showed():
    """One machine ran Keras 1.7 and the forest 3.4 times slower than the reference: each kind's
    first run is estimated at its own warm-up fit's pace; a kind the warm-up did not time, at
    Keras'."""
    config = TrainConfig(epochs=1, seed=0)
    forest, numpy, keras = kinds.named("forest"), kinds.named("numpy"), kinds.named("keras")
    pace.write_warm_up(runs_dir(), {"keras": 1.7 * pace.KIND_WARM_UP_SECONDS["keras"],
                                    "forest": 3.4 * pace.KIND_WARM_UP_SECONDS["forest"]})
    view = run_queue.scan(runs_dir(), slots=1)
    for kind, source, ratio in ((keras, "cnn-fast", 1.7), (forest, "random-forest", 3.4),
                                (numpy, "numpy-mlp", 1.7)):
        alone = pace.estimate(kind, source, config)
        assert view.expected_seconds(kind, source, config) == pytest.approx(ratio * alone), source
    (runs_dir() / pace.WARM_UP_FILE).write_text('{"kinds": {"forest": true, "keras": -1}}')
    assert pace.warm_up_paces(runs_dir()) == {"keras": 1.0, "forest": 1.0, "numpy": 1.0}


def test_reading_a_run_whose_process_died_writes_nothing_and_the_scheduler_writes_it_down():
    run = RunStore(Workspace("ann")).submit("dense-128", "mnist", small()).run
    run.write_status(state=RunState.RUNNING, started_at=time.time())  # no process holds its lock
    on_disk = (run.folder / STATE_FILE).read_bytes()
    assert run.state is RunState.INTERRUPTED and "resume to start it again" in run.status()["message"]
    assert run_queue.scan(runs_dir(), slots=1).abandoned == [run]
    assert (run.folder / STATE_FILE).read_bytes() == on_disk  # looking at it changed nothing
    Scheduler(runs_dir(), slots=1, keep_warm=False).step()
    written = read_json(run.folder / STATE_FILE)
    assert written["state"] == "interrupted" and written["ended_at"] and "abandoned" not in written
    assert run_queue.scan(runs_dir(), slots=1).abandoned == []


def test_a_new_servers_estimates_are_at_the_pace_its_warm_up_showed():
    """Before any run has finished here, the estimate is the table's at the pace of the last
    warm-up timed on this machine (the same machine trains 2-3 times slower on some days)."""
    config, keras = TrainConfig(epochs=3, seed=0), kinds.named("keras")
    alone = pace.estimate(keras, "cnn-fast", config)

    def told() -> float:
        return run_queue.scan(runs_dir(), slots=1).expected_seconds(keras, "cnn-fast", config)

    assert told() == pytest.approx(alone)
    pace.write_warm_up(runs_dir(), 2.5 * pace.WARM_UP_SECONDS)
    assert told() == pytest.approx(2.5 * alone)
    (runs_dir() / pace.WARM_UP_FILE).write_text('{"seconds": "soon"}')
    assert pace.warm_up_pace(runs_dir()) == 1.0
    pace.write_warm_up(runs_dir(), 1000 * pace.WARM_UP_SECONDS)  # a machine swapping: kept in bounds
    assert pace.warm_up_pace(runs_dir()) == pace.PACE_LIMITS[1]
    run = RunStore(Workspace("ann")).submit("cnn-fast", "mnist", TrainConfig(epochs=1, subset=64, seed=0)).run
    run.write_status(state=RunState.FINISHED, started_at=100.0,
                     ended_at=100.0 + 0.4 * pace.estimated_seconds(run))
    assert told() == pytest.approx(0.4 * alone)  # a run of its own says more than any warm-up


def test_a_warm_up_is_timed_only_while_nothing_trains(mnist):
    """The scheduler keeps the warm-up's time of a training process that started on an idle
    machine, and not that of the spare one it starts beside a run (they share the cores): with a
    second slot free, a run that arrives then would start at once."""
    timed = runs_dir() / pace.WARM_UP_FILE
    s = Scheduler(runs_dir(), slots=2, keep_warm=True, tick=0.2).start()
    try:
        deadline = time.monotonic() + 120
        while not timed.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert 0 < read_json(timed)["seconds"] < 60
        assert all(0 < read_json(timed)["kinds"][kind] < 60 for kind in pace.KIND_WARM_UP_SECONDS)
        timed.unlink()
        run = RunStore(LOCAL_WORKSPACE).submit("dense-128", "mnist", small()).run
        s.wake()
        assert wait_for(run, ended)["state"] == "finished"
        def spare_warmed() -> bool:  # the one started while the run was handed out
            return len(s.workers) >= 2 and all(w.ready for w in s.workers)

        while not spare_warmed() and time.monotonic() < deadline + 120:
            time.sleep(0.1)
        assert spare_warmed() and not timed.exists()
    finally:
        s.close()


def test_no_spare_warms_up_beside_a_run_that_takes_the_last_slot(mnist):
    """With every slot taken the next run goes to the worker whose run ends: a spare would only take
    the training's cores while it imports TensorFlow."""
    s = Scheduler(runs_dir(), slots=1, keep_warm=True, tick=0.2).start()
    try:
        deadline = time.monotonic() + 120
        while not (s.workers and s.workers[0].ready) and time.monotonic() < deadline:
            time.sleep(0.1)
        store = RunStore(LOCAL_WORKSPACE)
        first, second = (store.submit("dense-128", "mnist", small()).run for _ in range(2))
        s.wake()
        while first.state is RunState.QUEUED and time.monotonic() < deadline:
            time.sleep(0.05)
        workers_while_training = []
        while first.state.active and time.monotonic() < deadline:
            workers_while_training.append(len([w for w in s.workers if w.alive]))
            time.sleep(0.1)
        assert wait_for(second, ended)["state"] == "finished"
        assert max(workers_while_training) == 1, workers_while_training
    finally:
        s.close()


def test_at_most_n_train_at_once_and_a_freed_slot_is_used(mnist):
    runs = submit_many("ann", 2) + submit_many("bob", 1)
    s = Scheduler(runs_dir(), slots=1, keep_warm=False, tick=0.2).start()
    try:
        most, deadline = 0, time.monotonic() + 180
        while time.monotonic() < deadline and not all(ended(r.status()) for r in runs):
            most = max(most, sum(r.state.training for r in runs))
            time.sleep(0.05)
    finally:
        s.close()
    assert most == 1
    assert [r.state for r in runs] == [RunState.FINISHED] * 3
    starts = sorted(runs, key=lambda r: r.status()["started_at"])
    assert [r.spec.workspace for r in starts] == ["ann", "bob", "ann"]


def test_a_worker_trains_run_after_run_the_same_as_a_fresh_one_and_retires_after_a_failure(mnist):
    """Warm workers are reused: no TensorFlow import and first fit per run. A run trained by a
    worker that trained others before gets the same weights as the first; after a failed run the
    worker retires and the next run gets a new process."""
    store = RunStore(LOCAL_WORKSPACE)
    same = [store.submit("dense-128", "mnist", small(epochs=1, seed=3)).run for _ in range(2)]
    s = Scheduler(runs_dir(), slots=1, keep_warm=False, tick=0.2).start()
    try:
        for run in same:
            assert wait_for(run, ended)["state"] == "finished"
        diverging = store.submit("dense-128", "mnist", small(optimizer="sgd", learning_rate=50.0,
                                                             batch_size=10)).run
        assert wait_for(diverging, ended)["state"] == "failed"
        after = store.submit("dense-128", "mnist", small(epochs=1, seed=3)).run
        assert wait_for(after, ended)["state"] == "finished"
    finally:
        s.close()
    processes = [run.status()["executed_on"] for run in (*same, diverging, after)]
    assert processes[0] == processes[1] == processes[2] != processes[3]
    weights = [kinds.load_model_file(run.model_path).get_weights() for run in (*same, after)]
    for other in weights[1:]:
        assert all(np.array_equal(a, b) for a, b in zip(weights[0], other))


def test_a_queued_run_can_be_cancelled_and_stays_queued_without_a_scheduler():
    store = RunStore(LOCAL_WORKSPACE)
    run = store.submit("sigmoid-10", "mnist", small()).run
    assert run.state is RunState.QUEUED and run_queue.look(runs_dir()).position(run) == 1
    assert store.stop(run.id) == "cancelled"
    assert store.list() == []


def test_a_killed_worker_leaves_an_interrupted_run_that_resumes_from_its_last_epoch(mnist):
    store = RunStore(LOCAL_WORKSPACE)
    config = small(epochs=6, subset=20_000, batch_size=32)  # epochs of over a second: each is kept
    run = store.submit("dense-128", "mnist", config).run
    s = Scheduler(runs_dir(), slots=1, keep_warm=False, tick=0.2).start()
    try:
        wait_for(run, lambda st: run.checkpoint_epoch() >= 2, what="two finished epochs")
        worker = next(w for w in s.workers if w.claimed)
        os.kill(worker.process.pid, signal.SIGKILL)
        status = wait_for(run, ended)
        kept = run.checkpoint_epoch()
        assert status["state"] == "interrupted" and f"epoch {kept}" in status["message"]
        store.resume(run.id)
        status = wait_for(run, ended)
    finally:
        s.close()
    assert status["state"] == "finished", status
    history = run.history()
    assert [row["epoch"] for row in history] == [1, 2, 3, 4, 5, 6]  # the cut epoch only once
    batches = ProgressReader(run.folder).read().batches
    assert [b["step"] for b in batches] == list(range(1, len(batches) + 1))
    # It went on from the kept weights: the epoch after them is no worse than the one before.
    assert history[kept]["loss"] < history[0]["loss"]
    assert not run.checkpoint() and run.model_path.exists()


def test_old_runs_beyond_the_bound_are_removed_saved_ones_first():
    store = RunStore(LOCAL_WORKSPACE, limit=4)
    runs = [store.submit("sigmoid-10", "mnist", small()).run for _ in range(4)]
    for run in runs[:3]:
        run.write_status(state=RunState.FINISHED)
    (runs[1].folder / "saved.json").write_text('["a-model"]')
    submitted = store.submit("sigmoid-10", "mnist", small())
    assert len(submitted.removed) == 1 and "saved" in submitted.removed[0]
    assert runs[1] not in store.list() and len(store.list()) == 4
    submitted = store.submit("sigmoid-10", "mnist", small())
    assert "not saved" in submitted.removed[0] and runs[0] not in store.list()
    assert runs[3] in store.list()  # still queued: never removed


def test_workspaces_do_not_see_each_others_runs():
    mine = RunStore(Workspace("mine")).submit("sigmoid-10", "mnist", small()).run
    theirs = RunStore(Workspace("theirs"))
    assert theirs.list() == []
    for action in (theirs.get, theirs.stop, theirs.delete, theirs.resume):
        with pytest.raises(RunError, match="no run"):
            action(mine.id)
    with pytest.raises(RunError, match="no run"):
        theirs.get(f"../../mine/{mine.id}")
    assert Counter(r.spec.workspace for r in run_queue.every_run(runs_dir())) == {"mine": 1}


def test_a_worker_does_not_run_the_parents_main_script_again(tmp_path, monkeypatch):
    """In the app's server __main__ is the page script Streamlit ran last; a spawned worker would
    run it again, bare, before its first run."""
    import sys
    import types

    marker = tmp_path / "ran"
    script = tmp_path / "page.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\n")
    page = types.ModuleType("__main__")
    page.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", page)
    worker = WorkerProcess(runs_dir(), slots=1, warm=False)
    try:
        deadline = time.monotonic() + 60
        while not worker.ready and time.monotonic() < deadline:
            worker.poll()
            time.sleep(0.05)
    finally:
        worker.close()
    assert worker.ready and not marker.exists()


def test_on_a_class_server_one_person_has_at_most_so_many_runs_at_once(monkeypatch):
    monkeypatch.setenv("DIGITLAB_WORKSPACES", "per-user")
    monkeypatch.setenv("DIGITLAB_MAX_RUNS_PER_PERSON", "2")
    ann = RunStore(Workspace("ann"))
    first, _ = submit_many("ann", 2)
    with pytest.raises(RunError, match=r"you already have 2 runs waiting or training, the most one "
                                       r"person may have at once on this server \(2\)"):
        submit_many("ann", 1)
    assert len(ann.list()) == 2  # nothing was queued
    submit_many("bob", 2)  # everyone has their own
    assert ann.stop(first.id) == "cancelled"
    submit_many("ann", 1)  # room again
    monkeypatch.setenv("DIGITLAB_WORKSPACES", "single")
    submit_many("ann", 3)  # on one's own server: no bound


def test_where_training_needs_a_login_only_a_login_workspace_trains(monkeypatch):
    from nn.storage import tokens, workspaces

    monkeypatch.setenv("DIGITLAB_WORKSPACES", "per-user")
    monkeypatch.setenv("DIGITLAB_TRAIN_NEEDS_LOGIN", "1")
    guest = RunStore(tokens.from_token(tokens.new_token()))
    with pytest.raises(RunError, match=r"training on this server needs a login: log in"):
        guest.submit("dense-128", "mnist", small())
    assert guest.list() == []
    person = RunStore(tokens.from_login("https://id.school.example", "ann"))
    assert person.submit("dense-128", "mnist", small()).run.state is RunState.QUEUED
    monkeypatch.setenv("DIGITLAB_TRAIN_NEEDS_LOGIN", "yes")
    with pytest.raises(workspaces.WorkspaceError, match=r"DIGITLAB_TRAIN_NEEDS_LOGIN must be 0 or 1"):
        person.submit("dense-128", "mnist", small())


def test_on_a_class_server_a_run_stops_at_the_longest_it_may_train_and_keeps_its_weights(
        scheduler, monkeypatch):
    monkeypatch.setenv("DIGITLAB_WORKSPACES", "per-user")
    monkeypatch.setenv("DIGITLAB_MAX_RUN_MINUTES", "0.03")  # 1.8 s
    store = RunStore(Workspace("ann"))
    run = store.submit("dense-128", "mnist", small(epochs=50, subset=5000, batch_size=10)).run
    status = wait_for(run, ended)
    assert status["state"] == "stopped", status
    assert "after 0.03 minutes, the longest a run may train on this server" in status["message"]
    assert 1.8 <= run.counters()["elapsed"] < 8 and run.model_path.exists()


def test_on_a_class_server_a_network_larger_than_the_bound_is_refused(monkeypatch):
    from nn.kinds.keras.plans import DenseSpec

    monkeypatch.setenv("DIGITLAB_WORKSPACES", "per-user")
    store = RunStore(Workspace("ann"))
    huge = DenseSpec(hidden=(4096,) * 8)  # a 483 MB file
    with pytest.raises(RunError, match=r"this network has 120,725,514 parameters; the most a run may "
                                       r"train on this server is 2,000,000: use fewer or smaller layers"):
        store.submit(huge, "mnist", small())
    assert store.list() == []
    store.submit("cnn-1", "mnist", small())  # the largest preset trains


def test_ten_fresh_workspaces_cannot_push_back_an_earlier_persons_run(monkeypatch):
    """New workspaces cost nothing (a new ?workspace= token each): one person with ten of them
    must not jump a run queued before they appeared."""
    earlier = submit_many("victim", 1)[0]  # trained a while ago: newcomers have started nothing
    earlier.write_status(state=RunState.FINISHED, started_at=time.time(), ended_at=time.time())
    victim = submit_many("victim", 1)[0]
    time.sleep(0.01)
    for i in range(10):
        submit_many(f"fresh-{i}", 1)
    waiting = run_queue.scan(runs_dir(), slots=1).waiting
    assert waiting[0] == victim, [run.spec.workspace for run in waiting]
    # The newcomers still take turns with everyone once that run is on its way.
    assert {run.spec.workspace for run in waiting[1:]} == {f"fresh-{i}" for i in range(10)}


def test_a_run_given_to_a_starting_process_says_so_and_the_page_says_what_it_waits_for(mnist):
    run = RunStore(LOCAL_WORKSPACE).submit("dense-128", "mnist", small(epochs=1)).run
    view = run_queue.look(runs_dir(), slots=2)
    next_up = "Next: it starts in a moment (0 of 2 training slots in use)"
    assert str(view.waits_for(run, "", slots=2)) == next_up
    s = Scheduler(runs_dir(), slots=1, keep_warm=False, tick=0.2).start()
    try:  # a fresh process takes seconds to load TensorFlow and the data before it claims the run
        status = wait_for(run, lambda st: st.get("message") == run_queue.STARTING or st["state"] != "queued",
                          what="the run to say its process is starting")
        assert status["state"] == "queued" and status["message"] == run_queue.STARTING
        assert str(view.waits_for(run, status["message"], slots=1)).startswith("Starting: a training process")
        assert wait_for(run, ended)["state"] == "finished"
    finally:
        s.close()
    others = submit_many("ann", 2)
    view = run_queue.look(runs_dir(), slots=1)
    line = str(view.waits_for(others[1], "", slots=1))
    assert line.startswith("Waiting for a free training slot (0 of 1 training slot in use): number 2 in")
    # A "starting" left behind by a process that declined the run: its place is what holds.
    assert str(view.waits_for(others[1], run_queue.STARTING, slots=1)) == line
