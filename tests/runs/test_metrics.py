"""A run's per-batch metrics stay bounded: a long run keeps at most MAX_BATCH_POINTS rows in the
recorder, on disk and in every reader, each the mean of the batches it stands for."""

from __future__ import annotations

import threading
import time

import pytest

from nn.progress import MAX_BATCH_POINTS, LiveMetrics, Progress
from nn.runs.run_folder import BATCHES_FILE, ProgressReader, ProgressWriter, read_lines


def test_a_long_run_keeps_at_most_so_many_rows_and_each_is_a_mean(tmp_path):
    epochs, per_epoch = 5, 9_000  # 45,000 batches
    recorder = LiveMetrics(epochs, per_epoch, per_epoch * 10, 10, end_early=threading.Event())
    writer, reader = ProgressWriter(tmp_path, recorder), ProgressReader(tmp_path)
    losses = []
    for epoch in range(epochs):
        recorder.on_epoch_begin(epoch)
        for batch in range(per_epoch):
            loss = 2.0 / (1 + epoch * per_epoch + batch)  # a falling loss
            losses.append(loss)
            recorder.record_batch(batch, loss, 0.5, (batch + 1) * 10)
            if batch % 3_000 == 0:
                writer.flush()
                reader.read()
        recorder.on_epoch_end(epoch, {"loss": 0.1, "accuracy": 0.5})
    writer.flush()
    rows = recorder.progress.batches
    assert MAX_BATCH_POINTS // 2 <= len(rows) <= MAX_BATCH_POINTS
    steps = [row["step"] for row in rows]
    assert steps == sorted(steps) and steps[-1] == epochs * per_epoch
    assert read_lines(tmp_path / BATCHES_FILE) == rows  # the file was rewritten, not appended to
    assert reader.read().batches == rows  # and a reader that followed along has the same
    # Each row is the mean of its batches: the rows' mean, weighted by what they stand for, is
    # the mean of every batch's loss.
    weights = [b - a for a, b in zip([0, *steps], steps)]
    weighted = sum(w * row["loss"] for w, row in zip(weights, rows)) / sum(weights)
    assert abs(weighted - sum(losses) / len(losses)) < 1e-3 * sum(losses) / len(losses)


def test_a_short_run_keeps_every_batch():
    recorder = LiveMetrics(1, 100, 1000, 10)
    recorder.on_epoch_begin(0)
    for batch in range(100):
        recorder.record_batch(batch, 1.0, 0.5, (batch + 1) * 10)
    assert [row["step"] for row in recorder.progress.batches] == list(range(1, 101))


def test_the_eta_is_never_negative_and_the_last_step_is_named():
    from nn.progress import Progress
    from ui.run_view import progress_line

    resumed = Progress(epochs=2, batches_per_epoch=10, epoch=2, batch=4, elapsed=30.0)  # past its plan
    assert resumed.eta == 0
    testing = Progress(epochs=1, batches_per_epoch=10, epoch=1, batch=10, elapsed=12.0,
                       samples_per_second=800)
    assert progress_line(testing, done=False).endswith("· testing on 10,000 images…")
    assert progress_line(testing, done=True).endswith("· done")
    midway = Progress(epochs=1, batches_per_epoch=10, epoch=0, batch=5, elapsed=10.0)
    assert progress_line(midway, done=False).endswith("· ETA 0:10")


def test_the_eta_leaves_out_the_first_batch_that_traces_the_step():
    """Keras builds and traces the training step in the first batch: 4 s of it in a run whose
    batches then take 0.1 s must not make the ETA of the other 90 batches 45 s."""
    recorder = LiveMetrics(1, 100, 1000, 10)
    recorder.on_train_begin()
    recorder.on_epoch_begin(0)
    time.sleep(0.4)  # the first batch: building and tracing
    recorder.record_batch(0, 1.0, 0.5, 10)
    for batch in range(1, 10):
        time.sleep(0.01)
        recorder.record_batch(batch, 1.0, 0.5, (batch + 1) * 10)
    p = recorder.progress
    assert p.first_step == 1 and p.first_batch >= 0.4
    assert p.eta == pytest.approx((p.elapsed - p.first_batch) / 9 * 90, rel=1e-6)
    assert p.eta < 0.5 * p.elapsed / 10 * 90  # counting the first batch in would double it or more
    resumed = Progress(epochs=2, batches_per_epoch=10, epoch=1, batch=2, elapsed=21.0,
                       first_batch=20.5, first_step=11)  # resumed after its first epoch
    assert resumed.eta == pytest.approx(0.5 * 8)


def test_where_a_run_trained_reads_without_process_ids():
    import os
    import socket

    from nn.runs.worker import where
    from ui.run_view import trained_where

    here = trained_where(where())
    assert here == "trained on this server" and str(os.getpid()) not in here
    cluster = trained_where("node-7, Ray node 1a2b3c4d5e6f")
    assert cluster == "trained on node-7, a machine of the class's cluster"
    assert socket.gethostname() not in trained_where("elsewhere (process 12)")
