"""The live canvas, measured in Chromium on the app as run.sh serves it:

- from a pointer move to the frame that shows the answer it changed (the browser times it itself:
  ui/live/canvas.js keeps each interval), for cnn-best (bundled) and cnn-fast (its plan, saved
  untrained: the time does not depend on the weights), with the answers seen while the pen was
  down and the messages the page sent meanwhile;
- from opening the Draw page on a warm server to the first frame that shows the live answer to
  a stroke drawn as soon as the canvas is there (timed by the page itself);
- many browsers drawing on and on (a stroke a second each), the server process's CPU, through
  the live canvas and through the classic one (whose every stroke goes to the server).

    .venv/bin/python -m bench.live [--strokes 40] [--browsers 30] [--seconds 30] [--crowds-only]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from harness.browser import choose, launch, new_page, wait_idle
from harness.server import start_app, stop_app
from harness.strokes import DIGITS, LIVE_CANVAS, canvas_box, use_classic_canvas

READY = "() => window.__digitlabLive && window.__digitlabLive.ready"
SETTLED = "() => { const l = window.__digitlabLive; return l.ready && !l.dirty && !l.busy; }"
UNTRAINED_FAST = "cnn-fast-plan"


def save_untrained(models: Path, preset: str, name: str) -> None:
    """The preset's network, as built (seeded), as a model of the local workspace."""
    from nn.kinds import registry as kinds
    from nn.storage.saved_models import ModelStore

    ModelStore(models).save(kinds.of_source(preset).build(preset, seed=0), name, {"dataset": "mnist",
                                                                                    "preset": preset})


def pen(page, box: dict, points: list[tuple[float, float]], pause_ms: float = 16) -> None:
    """Move the pen through `points` (canvas pixels), one small step a frame, as a hand does."""
    page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    page.mouse.down()
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        for i in range(1, 5):
            page.mouse.move(box["x"] + x0 + (x1 - x0) * i / 4, box["y"] + y0 + (y1 - y0) * i / 4)
            page.wait_for_timeout(pause_ms)


def stroke_points(digit: int, size=180, left=50, top=40) -> list[list[tuple[float, float]]]:
    return [[(left + x * size, top + y * size) for x, y in stroke] for stroke in DIGITS[digit]]


def latency(page, strokes: int) -> dict:
    """Draw single-stroke digits, each as one long pen-down; the browser's own timings."""
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
    box = canvas_box(page)
    page.evaluate("() => { window.__digitlabLive.timings = []; }")
    while_down = 0
    for n in range(strokes):
        before = len(sent)
        pen(page, box, stroke_points((0, 1, 2, 3, 5, 6, 7, 9)[n % 8])[0])
        page.wait_for_function(SETTLED)
        while_down += len(sent) - before
        page.mouse.up()
        page.get_by_test_id("live-clear").click()
        page.wait_for_function(SETTLED)
    timings = page.evaluate("window.__digitlabLive.timings")
    timings.sort()
    return {"frames timed": len(timings), "ms, median": round(statistics.median(timings), 1),
            "ms, p95": round(timings[int(0.95 * (len(timings) - 1))], 1), "ms, max": round(timings[-1], 1),
            "messages to the server while the pen was down": while_down}


def first_live_answer(browser, url: str, context=None) -> float:
    """Seconds from opening the Draw page to the first frame that shows a live answer, to a stroke
    drawn as soon as the canvas is there: in a new browser, or in `context` (a browser that has
    been here before: its cache holds the runtime and the model). The page times it itself, from
    its navigation's start (Playwright's polling would add up to a quarter of a second)."""
    page = context.new_page() if context is not None else new_page(browser)
    try:
        page.goto(url)
        page.locator(LIVE_CANVAS).wait_for()
        pen(page, canvas_box(page), stroke_points(7)[0], pause_ms=0)
        page.wait_for_function("() => window.__digitlabLive.started.answered", timeout=60_000)
        page.mouse.up()
        return page.evaluate("window.__digitlabLive.started.answered") / 1000
    finally:
        page.close() if context is not None else page.context.close()


def server_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# A person who draws on and on, in the page itself (no round trip to Playwright per move): a 1 and
# a 7 in turn, each 0.6 s of pen at 60 moves a second, the next beginning a second after the last
# began (at once if the page took longer: never two strokes at a time). The live canvas listens to
# pointer events, the classic one (fabric.js) to mouse events. The page counts its strokes and its
# longest pen-up: a browser that falls behind its timers draws fewer strokes and may pause longer
# (past the live canvas's 0.8 s, its drawing then goes to the server, as a real pause's would).
ROBOT = """(canvas, [kind, startAt]) => {
    const box = canvas.getBoundingClientRect();
    const strokes = [[[150, 40], [145, 240]], [[40, 40], [240, 40], [110, 250]]];
    const send = (type, [x, y], down) => {
        const options = {clientX: box.left + x, clientY: box.top + y, bubbles: true, composed: true,
                         buttons: down ? 1 : 0, pointerId: 1, isPrimary: true, pointerType: 'mouse'};
        canvas.dispatchEvent(kind === 'live' ? new PointerEvent('pointer' + type, options)
                                             : new MouseEvent('mouse' + type, options));
    };
    let n = 0, upAt = null;
    const stats = window.__robot_stats = {strokes: 0, longestUpMs: 0, longestStrokeMs: 0};
    const draw = () => {
        const points = strokes[n++ % 2], steps = 36, began = performance.now();
        if (upAt !== null) stats.longestUpMs = Math.max(stats.longestUpMs, began - upAt);
        send('down', points[0], true);
        let i = 0;
        const timer = setInterval(() => {
            i += 1;
            const t = i / steps * (points.length - 1);
            const k = Math.min(Math.floor(t), points.length - 2), f = t - k;
            const [a, b] = [points[k], points[k + 1]];
            send('move', [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f], true);
            if (i >= steps) {
                clearInterval(timer);
                send('up', points[points.length - 1], false);
                stats.strokes += 1;
                upAt = performance.now();
                stats.longestStrokeMs = Math.max(stats.longestStrokeMs, upAt - began);
                setTimeout(draw, Math.max(0, began + 1000 - upAt));
            }
        }, 1000 / 60);
    };
    setTimeout(draw, Math.max(0, startAt - Date.now()));
}"""

# Every message the page sends the server, counted in the page (Streamlit's one WebSocket).
COUNT_SENT = """(() => {
    window.__sent = 0;
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) { window.__sent += 1; return send.call(this, data); };
})()"""
# The crowd's pages stand for people looking at their own screens: none is a background tab
# whose timers Chromium slows (which stretched pauses to 19 s and made drawings settle).
CROWD_ARGS = ["--disable-background-timer-throttling", "--disable-renderer-backgrounding",
              "--disable-backgrounding-occluded-windows"]


def crowd(browser_type, url: str, pid: int, browsers: int, seconds: float, classic: bool) -> dict:
    """`browsers` people drawing on and on, a stroke a second each, all starting at once; the
    server's CPU meanwhile, with what the pages really did: strokes drawn, their longest pen-up,
    the messages they sent."""
    from harness.browser import CHROMIUM_ARGS

    chromium = launch(browser_type, args=[*CHROMIUM_ARGS, *CROWD_ARGS])
    try:
        pages = []
        for _ in range(browsers):
            page = new_page(chromium)
            page.add_init_script(COUNT_SENT)
            page.goto(url)
            page.locator(LIVE_CANVAS).wait_for()
            if classic:
                use_classic_canvas(page)
            else:
                page.wait_for_function(READY, timeout=120_000)
            pages.append(page)
        for page in pages:
            wait_idle(page)
        start_at = time.time() + 2 + 0.3 * browsers  # time enough to hand every page its robot
        for page in pages:
            canvas = page.locator(".st-key-canvas-0 canvas.upper-canvas" if classic else LIVE_CANVAS)
            canvas.evaluate(ROBOT, ["classic" if classic else "live", start_at * 1000])
        sent_before = sum(p.evaluate("() => window.__sent") for p in pages)
        time.sleep(max(0.0, start_at - time.time()))
        before, started = server_cpu(pid), time.monotonic()
        time.sleep(seconds)
        used, elapsed = server_cpu(pid) - before, time.monotonic() - started
        stats = [p.evaluate("() => [window.__robot_stats, window.__sent]") for p in pages]
        answered = sum(p.get_by_test_id("answer").count() > 0 for p in pages)
        return {"browsers": browsers, "seconds": round(elapsed, 1),
                "strokes planned": int(browsers * seconds),
                "strokes drawn": sum(robot["strokes"] for robot, _ in stats),
                "longest pen-up, ms": round(max(robot["longestUpMs"] for robot, _ in stats)),
                "longest stroke, ms (0.6 s planned)": round(max(r["longestStrokeMs"] for r, _ in stats)),
                "messages to the server": sum(n for _, n in stats) - sent_before,
                "pages with a server answer": answered,
                "server CPU, % of a core": round(100 * used / elapsed, 1)}
    finally:
        chromium.close()


def measure(browser, strokes: int = 40, browsers: int = 30, seconds: float = 30,
            crowds_only: bool = False) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        save_untrained(folder / "models", "cnn-fast", UNTRAINED_FAST)
        app = start_app(folder)
        try:
            first_live_answer(browser, app.url)  # the server warms up: a first visitor
            if crowds_only:
                return crowds(browser, app, browsers, seconds)
            returning = browser.new_context(viewport={"width": 1400, "height": 1000})
            first_live_answer(browser, app.url, returning)
            figures = {
                "first live answer after the Draw page opens, s, a new browser (median of 5)":
                    round(statistics.median(first_live_answer(browser, app.url) for _ in range(5)), 2),
                "the same, a browser that has been here before (median of 5)":
                    round(statistics.median(first_live_answer(browser, app.url, returning)
                                            for _ in range(5)), 2)}
            returning.close()
            for model in ("mnist-cnn-best", UNTRAINED_FAST):
                page = new_page(browser)
                page.goto(app.url)
                page.locator(LIVE_CANVAS).wait_for()
                if model != "mnist-cnn-best":
                    choose(page, "active_model", model, exact=False)
                    wait_idle(page)
                page.wait_for_function(READY, timeout=120_000)
                figures[f"pointer move to visible answer, {model}"] = latency(page, strokes)
                page.context.close()
            figures.update(crowds(browser, app, browsers, seconds))
        finally:
            stop_app(app)
    return figures


def crowds(browser, app, browsers: int, seconds: float) -> dict:
    figures = {}
    for classic in (False, True):
        name = "classic canvas (every stroke to the server)" if classic else "live canvas"
        figures[f"{browsers} browsers drawing, {name}"] = crowd(
            browser.browser_type, app.url, app.process.pid, browsers, seconds, classic)
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strokes", type=int, default=40)
    parser.add_argument("--browsers", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--crowds-only", action="store_true", help="only the drawing browsers")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        print(json.dumps(measure(browser, args.strokes, args.browsers, args.seconds, args.crowds_only),
                         indent=1))
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
