"""A class on one server, as `./run.sh` serves it: N sessions press Train at once, one more draws.

    .venv/bin/python -m bench.classroom [--sessions 30]   # prints the figures as JSON

Each session is its own browser context in per-user mode (a workspace of its own), on the Train
page with dense-128 for one epoch on all 60,000 images. They press Train as close to at once as
one browser can click; then one more person opens the Draw page and draws. The browsers run at a
lower CPU priority than the server (harness.browser): they stand in for the students' own
laptops. Measured:
- how long each session waits to see its run's progress or its place in the queue, and the start
  it is promised there against when its run really started;
- how long the Draw page takes to load for the person who comes last, and each of their answers;
- the server process's own CPU (a second at a time), the peak memory of its whole process tree
  (the server and its training workers), and how busy the training slots are while runs wait;
- when every run has finished, and their test accuracy.
tests/e2e/test_load.py runs it and checks what must hold; bench.run records the figures in
RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from bench.draw_latency import TIMER, clear, one_answer
from harness.browser import click, launch, new_page, set_train_form, widget
from harness.server import App, memory_mb, start_app, stop_app, tail
from harness.strokes import drawing_layer
from nn.runs.run_folder import STATE_FILE, read_json
from nn.storage.tokens import from_token
from nn.storage.workspaces import SUBFOLDER

# Any progress bar after pressing Train is the run's own: its place in the queue, its state while
# it starts (loading the data, building the model), or its batches.
FIRST_SIGN = """() => {
    const bar = document.querySelector('[data-testid="stProgress"]');
    return bar ? bar.innerText : null;
}"""
TRAINING = """(text) => /epoch \\d+\\/\\d+ · batch [1-9]/.test(text || "")"""
# The browser times each session itself, from its click on Train to the first sign of the run on
# its page and to its first batch there: the sessions are clicked and looked at one after another,
# and neither counts.
SIGN_TIMER = """() => {
    const sign = FIRST_SIGN, training = TRAINING;
    window.__sign = {clicked: null, shown: null, text: null, batch: null};
    document.addEventListener('click', () => {
        if (window.__sign.clicked === null) window.__sign.clicked = performance.now();
    }, true);
    new MutationObserver(() => {
        const t = window.__sign;
        if (t.clicked === null || t.batch !== null) return;
        const text = sign();
        if (text && t.shown === null) { t.shown = performance.now(); t.text = text; }
        if (training(text)) t.batch = performance.now();
    }).observe(document.body, {childList: true, subtree: true, characterData: true});
}""".replace("FIRST_SIGN", FIRST_SIGN).replace("TRAINING", TRAINING)
SIGN_SHOWN = "() => window.__sign && window.__sign.shown !== null"
FIRST_BATCH = "() => window.__sign.batch !== null"
PLACE = re.compile(r"number (\d+) in the queue")
STARTS_IN = re.compile(r"starts in about ((?:\d+:)?\d+:\d\d)")
DRAWINGS = (7, 1, 0, 3, 2, 6, 9, 5, 7, 0)  # one stroke each: one lift of the pen, one answer
BUDGET = 900  # seconds for the runs of the whole class to finish
FIRST_BATCH_WAIT = 300  # seconds: "next in the queue" also counts as started, and waits for a slot
SAMPLE_EVERY = 1.0  # seconds between looks at the server's CPU, memory and training slots
NOW = 10.0  # seconds: a start promised or made within this counts as "now" when comparing them
TICKS = os.sysconf("SC_CLK_TCK")
# The class's thirty browsers run at harness.browser.BROWSER_NICENESS and share this machine's two
# cores with one another; on the day, each student's own laptop draws their page. The person who is
# measured drawing gets a browser of their own just below the server, so that what is measured is
# the server's answer, not thirty other browsers drawing on the same cores.
DRAWER_NICENESS = 1
IDLE_SECONDS = 20.0


@dataclass
class Figures:
    sessions: int
    slots: int = 0
    quiet_first_batch_seconds: list[float] = field(default_factory=list)  # one person, before the class
    clicks_seconds: float = 0.0  # from the first session's click on Train to the last one's
    first_sign_seconds: list[float] = field(default_factory=list)  # per session: click to progress or place
    first_signs: list[str] = field(default_factory=list)  # "started" or "queued N"
    first_batch_seconds: list[float] = field(default_factory=list)  # the runs that started at once
    promised_vs_real: list[tuple[float, float]] = field(default_factory=list)  # start, s from the sign
    draw_page_seconds: float | None = None  # the last person's Draw page, from goto to its canvas
    answer_seconds: list[float] = field(default_factory=list)
    answers: list[tuple[int, str]] = field(default_factory=list)  # (drawn, read)
    server_cpu: list[float] = field(default_factory=list)  # % of a core, one sample a second
    idle_server_cpu: list[float] = field(default_factory=list)  # the same, every run finished, pages open
    memory_mb: dict = field(default_factory=lambda: {"rss": 0.0, "pss": 0.0})  # the peak
    slots_busy_while_waiting: list[int] = field(default_factory=list)  # one sample a second
    all_finished_seconds: float | None = None
    accuracies: list[float] = field(default_factory=list)

    @property
    def start_ratios(self) -> list[float]:
        """max/min of (promised, real) start for each queued session, both at least NOW."""
        return [max(max(p, NOW), max(r, NOW)) / min(max(p, NOW), max(r, NOW))
                for p, r in self.promised_vs_real]

    @property
    def both_slots_busy(self) -> float:
        """The share of the time runs waited during which every slot was training."""
        busy = self.slots_busy_while_waiting
        return sum(b >= self.slots for b in busy) / len(busy) if busy else 1.0

    def summary(self) -> dict:
        quiet = self.quiet_first_batch_seconds or [float("nan")]
        ratios = self.start_ratios or [float("nan")]
        cpu = self.server_cpu or [float("nan")]
        return {
            "quiet server: Train pressed to a batch on the page, s (median / max)":
                [round(statistics.median(quiet), 2), round(max(quiet), 2)],
            "sessions": self.sessions,
            "the class pressed Train within, s": round(self.clicks_seconds, 1),
            "first sign after pressing Train, s (median / max)":
                [round(statistics.median(self.first_sign_seconds), 1),
                 round(max(self.first_sign_seconds), 1)],
            "runs that started at once: their first batch after pressing Train, s":
                [round(s, 1) for s in self.first_batch_seconds],
            "the last person's Draw page loaded after, s": round(self.draw_page_seconds or -1, 2),
            "drawing answers, seconds (median / max)": [round(statistics.median(self.answer_seconds), 2),
                                                        round(max(self.answer_seconds), 2)],
            "drawing answers, seconds (each)": [round(s, 2) for s in self.answer_seconds],
            "first signs, seconds (each)": [round(s, 1) for s in self.first_sign_seconds],
            "server process CPU, % of a core (median / max)":
                [round(statistics.median(cpu)), round(max(cpu))],
            "server process CPU, every run finished and every page still open, % of a core (median)":
                round(statistics.median(self.idle_server_cpu or [float("nan")]), 1),
            "peak memory of the server and its workers, MB (RSS / PSS)":
                [round(self.memory_mb["rss"]), round(self.memory_mb["pss"])],
            "training slots / share of the waiting time all were busy":
                [self.slots, round(self.both_slots_busy, 3)],
            "promised start against the real one, ratio (median / max)":
                [round(statistics.median(ratios), 2), round(max(ratios), 2)],
            "promised start / real start, s (each)": [[round(p), round(r)] for p, r in self.promised_vs_real],
            "all runs finished after, seconds": round(self.all_finished_seconds or -1, 1),
            "runs finished with a result": len(self.accuracies),
            "test accuracy of the runs (min)": round(min(self.accuracies or [0]), 4),
        }


# --- watching the server ----------------------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    """User and system CPU time of one process (all its threads), not its children."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def run_states(app: App) -> list[str]:
    root = app.folder / "runs" / SUBFOLDER
    return [read_json(state, {}).get("state", "") for state in root.glob(f"*/*/{STATE_FILE}")]


def watch(apps: list[App], figures: Figures, stop: threading.Event) -> None:
    """Once a second: the servers' own CPU, their process trees' memory, the training slots."""
    pids = [app.process.pid for app in apps]
    before, then = sum(map(cpu_seconds, pids)), time.monotonic()
    while not stop.wait(SAMPLE_EVERY):
        used, now = sum(map(cpu_seconds, pids)), time.monotonic()
        figures.server_cpu.append(100 * (used - before) / (now - then))
        before, then = used, now
        trees = [memory_mb(pid) for pid in pids]
        for key in ("rss", "pss"):
            figures.memory_mb[key] = max(figures.memory_mb[key], sum(tree[key] for tree in trees))
        states = run_states(apps[0])
        if "queued" in states:
            figures.slots_busy_while_waiting.append(sum(s in ("preparing", "running") for s in states))


def started_at(app: App, page) -> float | None:
    """When the page's run started (time.time()), from its workspace's run folder."""
    token = parse_qs(urlparse(page.url).query)["workspace"][0]
    folder = app.folder / "runs" / SUBFOLDER / from_token(token).id
    starts = [read_json(state, {}).get("started_at") for state in folder.glob(f"*/{STATE_FILE}")]
    return next((s for s in starts if s), None)


def seconds_of(text: str) -> float:
    """'1:05' or '1:02:03' in seconds."""
    total = 0
    for part in text.split(":"):
        total = total * 60 + int(part)
    return float(total)


# --- the scenario ------------------------------------------------------------------------------------

def prepare(browser, url: str):
    page = new_page(browser)
    set_train_form(page, url)
    return page


def draw_meanwhile(browser, url: str, figures: Figures) -> None:
    """The last person opens the Draw page and draws single-stroke digits, each timed in the
    browser from the pen lifting to the answer. Their browser is their own (see DRAWER_NICENESS)."""
    drawer = launch(browser.browser_type, niceness=DRAWER_NICENESS)
    try:
        _draw(new_page(drawer), url, figures)
    finally:
        drawer.close()


def _draw(page, url: str, figures: Figures) -> None:
    start = time.monotonic()
    page.goto(url)
    drawing_layer(page).wait_for()
    figures.draw_page_seconds = time.monotonic() - start
    page.evaluate(TIMER)
    for version, digit in enumerate(DRAWINGS):
        figures.answer_seconds.append(one_answer(page, version, digit))
        figures.answers.append((digit, page.get_by_test_id("answer").first.inner_text().strip()))
        clear(page)


def first_batch_shown(app: App, browser, repeat: int = 3) -> list[float]:
    """One person on a quiet server: seconds from pressing Train to a batch on the page. The
    first, untimed run lets the server's first warm worker finish starting."""
    times = []
    for i in range(repeat + 1):
        page = prepare(browser, app.url)
        start = time.monotonic()
        click(page, "train_start")
        page.wait_for_function(f"() => ({TRAINING})(({FIRST_SIGN})())", timeout=120_000)
        if i:
            times.append(time.monotonic() - start)
        widget(page, "save_model").wait_for(timeout=120_000)
        page.context.close()
    return times


def shown(page) -> str:
    """What a page shows, for a message about a session that did not get what it should."""
    return page.evaluate("() => document.body.innerText").strip()[:800]


def first_signs(pages, figures: Figures) -> list[tuple]:
    """Each session's first sign of its run, timed from its own click: training, or its place and
    the start it is promised there (page, seconds, time.time() of the sign)."""
    promises = []
    for page in pages:
        try:
            page.wait_for_function(SIGN_SHOWN, timeout=120_000)
        except Exception as e:
            raise AssertionError(f"no sign of the run on session {pages.index(page) + 1}: it shows "
                                 f"{shown(page)!r}; {page.evaluate('() => window.__sign')}") from e
        sign = page.evaluate("() => window.__sign")
        seconds = (sign["shown"] - sign["clicked"]) / 1000
        figures.first_sign_seconds.append(seconds)
        place, promise = PLACE.search(sign["text"]), STARTS_IN.search(sign["text"])
        figures.first_signs.append(f"queued {place.group(1)}" if place else "started")
        if not place:  # it started at once (or is next): when did its first batch show?
            try:
                page.wait_for_function(FIRST_BATCH, timeout=FIRST_BATCH_WAIT * 1000)
            except Exception as e:
                raise AssertionError(f"session {pages.index(page) + 1} showed {sign['text']!r} and then no "
                                     f"batch within {FIRST_BATCH_WAIT} s: it shows {shown(page)!r}") from e
            batch = page.evaluate("() => window.__sign.batch - window.__sign.clicked") / 1000
            figures.first_batch_seconds.append(batch)
        if promise:
            shown_at = page.evaluate("() => performance.timeOrigin + window.__sign.shown") / 1000
            promises.append((page, seconds_of(promise.group(1)), shown_at))
    return promises


def run_classroom(apps: App | list[App], browser, sessions: int = 30, slots: int = 2) -> tuple[Figures, list]:
    """The scenario against a running app (per-user mode), or several servers of it sharing their
    data folders (the sessions take turns); returns the figures and the class's pages."""
    apps = apps if isinstance(apps, list) else [apps]
    figures = Figures(sessions, slots)
    pages = [prepare(browser, apps[i % len(apps)].url) for i in range(sessions)]
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(apps, figures, stop), daemon=True)
    watcher.start()
    try:
        for page in pages:
            page.evaluate(SIGN_TIMER)
        start = time.monotonic()
        for page in pages:  # as close to "at once" as one browser can click
            click(page, "train_start")
        figures.clicks_seconds = time.monotonic() - start
        promises = first_signs(pages, figures)
        draw_meanwhile(browser, apps[sessions % len(apps)].url, figures)
        for page in pages:
            left = max(1.0, BUDGET - (time.monotonic() - start))
            try:
                widget(page, "save_model").wait_for(timeout=left * 1000)
            except Exception as e:
                raise AssertionError(f"session {pages.index(page) + 1} shows no finished run: "
                                     f"{shown(page)!r}") from e
        figures.all_finished_seconds = time.monotonic() - start
        class_at_work = len(figures.server_cpu)
        time.sleep(IDLE_SECONDS)  # what the open pages cost the server when nothing changes
        for page in pages:
            result = page.get_by_text("Finished 1 epoch").first.inner_text()
            figures.accuracies.append(float(re.search(r"test accuracy (\d+\.\d+)%", result).group(1)) / 100)
        figures.promised_vs_real = [(promised, started_at(apps[0], page) - seen_at)
                                    for page, promised, seen_at in promises]
    finally:
        stop.set()
        watcher.join()
    figures.server_cpu, figures.idle_server_cpu = (figures.server_cpu[:class_at_work],
                                                   figures.server_cpu[class_at_work:])
    return figures, pages


def main(argv=None) -> int:
    from playwright.sync_api import sync_playwright

    from nn.runs.run_queue import default_max_trainings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--servers", type=int, default=1,
                        help="servers sharing the data folders, each started as run.sh starts it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        apps = []
        try:
            for _ in range(args.servers):  # the same folder: the same models, drawings and runs
                apps.append(start_app(Path(tmp), env={"DIGITLAB_WORKSPACES": "per-user"}))
            with sync_playwright() as playwright:
                browser = launch(playwright)
                quiet = first_batch_shown(apps[0], browser)
                figures, _ = run_classroom(apps, browser, args.sessions, default_max_trainings())
                figures.quiet_first_batch_seconds = quiet
                browser.close()
        except BaseException:
            for app in apps:
                print(f"the log of the servers ends with:\n{tail(app.log)}")
                break
            raise
        finally:
            for app in apps:
                stop_app(app)
    print(json.dumps({"servers": args.servers, **figures.summary()}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
