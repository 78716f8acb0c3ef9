"""The Train page of a server whose runs execute on a Ray cluster (two worker nodes on loopback):
nothing on the page changes but where a run says it trained."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from harness.browser import choose, click, fill_number, open_train_form, see, wait_idle, widget
from harness.server import start_app, stop_app
from tests.e2e.test_train import POINTS, PROGRESS, progress

pytestmark = [pytest.mark.slow, pytest.mark.serial]


@pytest.fixture(scope="module")
def cluster_app(ray_cluster, tmp_path_factory):
    app = start_app(tmp_path_factory.mktemp("cluster-app"), env=ray_cluster.env())
    yield app
    stop_app(app)


def test_a_run_trains_on_the_cluster_live_and_stop_keeps_its_weights(page, cluster_app):
    open_train_form(page, cluster_app.url)
    choose(page, "train_model", "dense-128")
    wait_idle(page)
    # Long enough to be stopped on any machine: 30 epochs ended in 41 s on a fast one, before Stop.
    for key, value in (("train_subset", 20000), ("train_epochs", 300), ("train_batch", 16)):
        fill_number(page, key, value)
        wait_idle(page)
    click(page, "train_start")
    expect(widget(page, "train_stop")).to_be_visible()
    page.wait_for_function(f"() => ({POINTS})('batch_chart') > 0", timeout=90_000)
    before = progress(page)
    page.wait_for_function(f"() => ({PROGRESS})() > {before}")  # batch by batch, live
    see(page, "a machine of the class's cluster")  # where it trains, and nothing else tells
    click(page, "train_stop")
    expect(widget(page, "save_model")).to_be_visible(timeout=90_000)
    result = page.get_by_text("Stopped at epoch").inner_text()
    assert re.search(r"Stopped at epoch \d+, batch \d+ in \d+:\d\d: test accuracy \d+\.\d+%", result), result
    # The web server itself never joined the cluster: its driver processes did.
    assert "_raylet" not in Path(f"/proc/{cluster_app.process.pid}/maps").read_text()
