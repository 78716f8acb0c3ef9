// The Draw page's own canvas: strokes with the mouse, a pen or a finger; on every animation frame
// in which the drawing changed, the preprocessing (preprocess.js) and each model (runtime.js) answer
// here, in the browser. Nothing goes to the server while the pen is down: once it has been up for
// SETTLE_MS (the next stroke did not come), the finished drawing does (state "drawing", a PNG), and
// the server's answer is the one that counts. Someone drawing on and on costs the server nothing.

const SIDE = 280;  // CSS pixels and backing store alike, whatever the devicePixelRatio
const SETTLE_MS = 800;  // longer than the pause between two strokes of one digit

const fetched = new Map();  // a model's address -> Promise of its bytes, fetched once per page

function modelBytes(url) {
  if (!fetched.has(url)) {
    const bytes = fetch(url, {credentials: "same-origin"}).then((response) => {
      if (!response.ok) throw new Error(`the model could not be fetched (${response.status})`);
      return response.arrayBuffer();
    }).then((buffer) => new Uint8Array(buffer));
    bytes.catch(() => fetched.delete(url));
    fetched.set(url, bytes);
  }
  return fetched.get(url);
}

class LiveCanvas {
  constructor(root, setStateValue) {
    this.root = root;
    this.send = setStateValue;
    this.canvas = root.querySelector("canvas.pad");
    this.canvas.width = this.canvas.height = SIDE;
    this.pen = this.canvas.getContext("2d", {willReadFrequently: true});
    this.strokes = [];  // each a list of [x, y] with its width
    this.drawn = 0;  // drawings sent to the server
    this.dirty = false;
    this.busy = false;
    this.movedAt = null;  // the first pointer event not yet answered
    this.timings = [];  // ms from a pointer event to the frame that shows the answer it changed
    this.failed = false;
    this.started = {mounted: performance.now()};  // when each part of starting was done, for bench.live
    this.blank();
    this.listen();
    window.__digitlabLive = this;  // for the tests and benchmarks
  }

  blank() {
    this.pen.fillStyle = "#000";
    this.pen.fillRect(0, 0, SIDE, SIDE);
  }

  segment(width, [x0, y0], [x1, y1]) {  // white, round ends: drawn and redrawn the same way
    const pen = this.pen;
    pen.strokeStyle = pen.fillStyle = "#fff";
    pen.lineWidth = width;
    pen.lineCap = pen.lineJoin = "round";
    if (x0 === x1 && y0 === y1) {
      pen.beginPath(); pen.arc(x0, y0, width / 2, 0, 2 * Math.PI); pen.fill();
    } else {
      pen.beginPath(); pen.moveTo(x0, y0); pen.lineTo(x1, y1); pen.stroke();
    }
  }

  redraw() {
    this.blank();
    for (const {width, points} of this.strokes) {
      points.forEach((p, i) => this.segment(width, points[Math.max(0, i - 1)], p));
    }
    this.changed(performance.now());
  }

  point(event) {
    const box = this.canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * SIDE / box.width, (event.clientY - box.top) * SIDE / box.height];
  }

  listen() {
    const c = this.canvas, width = this.root.querySelector("input.width");
    c.addEventListener("pointerdown", (e) => {
      try { c.setPointerCapture(e.pointerId); } catch { /* a pointer the browser no longer tracks */ }
      clearTimeout(this.settling);
      this.stroke = {width: Number(width.value), points: [this.point(e)]};
      this.strokes.push(this.stroke);
      this.segment(this.stroke.width, this.stroke.points[0], this.stroke.points[0]);
      this.changed(e.timeStamp);
    });
    c.addEventListener("pointermove", (e) => {
      if (!this.stroke) return;
      for (const moved of (e.getCoalescedEvents ? e.getCoalescedEvents() : [e])) {
        const points = this.stroke.points, p = this.point(moved);
        this.segment(this.stroke.width, points[points.length - 1], p);
        points.push(p);
      }
      this.changed(e.timeStamp);
    });
    const lift = () => {
      if (!this.stroke) return;
      this.stroke = null;
      this.settling = setTimeout(() => this.submit(), SETTLE_MS);
    };
    c.addEventListener("pointerup", lift);
    c.addEventListener("pointercancel", lift);
    this.root.querySelector("button.undo").onclick = () => { this.strokes.pop(); this.redraw(); this.submit(); };
    this.root.querySelector("button.clear").onclick = () => { this.strokes = []; this.redraw(); this.submit(); };
  }

  changed(at) {  // answered at once, so that the next frame shows it; meanwhile, once more after
    this.dirty = true;
    if (this.movedAt === null) this.movedAt = at;
    if (!this.busy) this.answer();
  }

  submit() {  // the finished drawing, once, to the server
    clearTimeout(this.settling);
    this.drawn += 1;
    const png = this.strokes.length ? this.canvas.toDataURL("image/png") : null;
    this.send("drawing", {n: this.drawn, png});
  }

  update(header) {
    this.header = header;
    this.ort = null;
    this.words(header.words);
    const panels = this.root.querySelector(".answers");
    panels.replaceChildren(...header.models.map((m) => this.panel(m)));
    const live = header.models.filter((m) => m.url);
    if (live.length) {
      for (const model of live) model.bytes = modelBytes(new URL(model.url, window.location.origin).href);
      loadRuntime(new URL(header.ortBase, window.location.origin).href, header.warmModel).then((ort) => {
        this.ort = ort;
        this.started.runtime = this.started.runtime || performance.now();
        return Promise.all(live.map((m) => sessionFor(ort, m.digest, m.bytes)));
      }).then(() => {
        this.started.ready = this.started.ready || performance.now();
        this.ready = true;
        this.changed(performance.now());
      })
        .catch((e) => this.fail(e));
    }
    this.changed(performance.now());
  }

  words(said) {  // the component's own words, in the session's language (ui.live_canvas)
    this.canvas.setAttribute("aria-label", said.here);
    this.root.querySelector(".stroke-word").textContent = said.stroke;
    this.root.querySelector("button.undo").textContent = said.undo;
    this.root.querySelector("button.clear").textContent = said.clear;
    this.percent = new Intl.NumberFormat(this.header.lang, {style: "percent", maximumFractionDigits: 0});
  }

  fail(error) {
    if (this.failed) return;
    this.failed = true;
    this.send("runtime_failed", String(error && error.message || error));
  }

  panel(model) {
    const div = document.createElement("div");
    div.className = "model";
    div.innerHTML = `<div class="name"></div><div class="answer" data-testid="live-answer"></div>
      <div class="sure"></div><div class="bars"></div><canvas class="seen" width="28" height="28"></canvas>`;
    div.querySelector(".name").textContent = model.name;
    div.querySelector(".answer").textContent = model.url ? "…" : "";
    div.querySelector(".sure").textContent = model.url ? "" : model.why;
    div.querySelector(".bars").replaceChildren(...model.classes.map((name) => {
      const row = document.createElement("div");
      row.className = "bar";
      row.innerHTML = `<span class="label"></span><span class="track"><span class="fill"></span></span>`;
      row.querySelector(".label").textContent = name;
      return row;
    }));
    model.element = div;
    return div;
  }

  async answer() {
    if (!this.dirty || !this.header || this.busy) return;
    this.dirty = false;
    this.busy = true;
    const movedAt = this.movedAt;
    this.movedAt = null;
    try {
      const seen = toMnist(this.pen.getImageData(0, 0, SIDE, SIDE).data, SIDE, SIDE);
      for (const model of this.header.models) await this.show(model, seen);
      // Visible from the next frame on: timed when that frame starts, from the pointer event.
      if (movedAt !== null && seen.image) {
        requestAnimationFrame(() => this.timings.push(performance.now() - movedAt));
      }
    } catch (e) {
      this.fail(e);
    } finally {
      this.busy = false;
    }
    if (this.dirty) this.answer();
  }

  async show(model, seen) {
    const div = model.element, answer = div.querySelector(".answer"), sure = div.querySelector(".sure");
    if (!seen.image) {
      answer.textContent = "";
      sure.textContent = seen.dot ? this.header.words.dot : this.header.words.draw;
      this.picture(div, null);
      this.bars(div, null);
      return;
    }
    this.picture(div, seen.image);
    if (!model.url || !this.ort) return;
    const session = await sessionFor(this.ort, model.digest, model.bytes);
    const p = await probabilitiesOf(this.ort, session, seen.image);
    let top = 0;
    p.forEach((v, i) => { if (v > p[top]) top = i; });
    answer.textContent = model.classes[top];
    answer.dataset.probabilities = JSON.stringify(Array.from(p));
    sure.textContent = this.header.words.sure.replace("{percent}", this.percent.format(p[top]));
    this.bars(div, p, top);
    if (!this.started.answered) {  // the first frame that shows an answer, from the page's opening
      requestAnimationFrame(() => { this.started.answered = this.started.answered || performance.now(); });
    }
  }

  bars(div, p, top) {
    div.querySelectorAll(".bar").forEach((row, i) => {
      row.querySelector(".fill").style.width = p ? `${(p[i] * 100).toFixed(1)}%` : "0";
      row.classList.toggle("top", p !== null && i === top);
    });
  }

  picture(div, image) {  // the 28x28 image the model sees
    const pen = div.querySelector("canvas.seen").getContext("2d"), pixels = pen.createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      const v = image ? Math.round(image[i] * 255) : 0;
      pixels.data.set([v, v, v, 255], 4 * i);
    }
    pen.putImageData(pixels, 0, 0);
  }
}

export default function liveCanvas({data, parentElement, setStateValue}) {
  const root = parentElement.querySelector(".live");
  if (!root.__live) root.__live = new LiveCanvas(root, setStateValue);
  root.__live.update(structuredClone(data));
}
