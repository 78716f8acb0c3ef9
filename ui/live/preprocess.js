// nn.preprocess.to_mnist, step for step, for the live canvas: a 280x280 RGBA drawing -> the 28x28
// image the model reads (Float32Array, white digit on black, centred like MNIST), or an object
// {empty: true} / {dot: true}. The same numbers as Python's: float32 wherever NumPy computes in
// float32 (Math.fround after each operation), Python's round (half to even), and Pillow's Lanczos
// resize (horizontal pass first, float32 in between). tests/e2e/test_live.py holds the two equal.

const BOX = 20, SIZE = 28, CENTRE = 14.0;
const INK_THRESHOLD = 0.15, MIN_CONTRAST = 0.1, DOT_SIZE = 0.15, TIE = 1e-4;
const f32 = Math.fround;

function roundHalfEven(x) {  // Python's round(): a tie goes to the even neighbour
  const r = Math.round(x);
  return (Math.abs(x % 1) === 0.5 && r % 2 !== 0) ? r - 1 : r;
}

function toGray(rgba, width, height) {  // nn.preprocess.to_gray
  const n = width * height, gray = new Float32Array(n);
  const [c0, c1, c2] = [f32(0.299), f32(0.587), f32(0.114)];
  let opaque = true;
  for (let i = 0; i < n; i++) {
    const r = f32(rgba[4 * i] / 255), g = f32(rgba[4 * i + 1] / 255), b = f32(rgba[4 * i + 2] / 255);
    gray[i] = f32(f32(f32(r * c0) + f32(g * c1)) + f32(b * c2));
    if (rgba[4 * i + 3] < 254.745) opaque = false;  // alpha < 0.999
  }
  if (opaque) return gray;
  let sum = 0, count = 0;  // strokes are what is opaque: composite over the opposite brightness
  for (let i = 0; i < n; i++) if (rgba[4 * i + 3] / 255 > 0.5) { sum += gray[i]; count++; }
  const background = count && sum / count > 0.5 ? 0.0 : 1.0;
  for (let i = 0; i < n; i++) {
    const alpha = f32(rgba[4 * i + 3] / 255);
    gray[i] = f32(f32(gray[i] * alpha) + f32(background * f32(1 - alpha)));
  }
  return gray;
}

function median(values) {  // np.median of float32 values: the mean of the two middle ones, in float32
  const sorted = Float32Array.from(values).sort(), mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : f32(f32(sorted[mid - 1] + sorted[mid]) / 2);
}

function inkMap(gray, width, height) {  // nn.preprocess.ink_map; null when there is no digit
  const border = [];
  for (let x = 0; x < width; x++) border.push(gray[x], gray[(height - 1) * width + x]);
  for (let y = 0; y < height; y++) border.push(gray[y * width], gray[y * width + width - 1]);
  const paper = f32(median(border)), ink = new Float32Array(gray.length);
  let top = 0;
  for (let i = 0; i < gray.length; i++) {
    ink[i] = Math.max(0, paper > 0.5 ? f32(paper - gray[i]) : f32(gray[i] - paper));
    top = Math.max(top, ink[i]);
  }
  if (top < MIN_CONTRAST) return null;
  const threshold = f32(INK_THRESHOLD), range = f32(1.0 - INK_THRESHOLD);
  for (let i = 0; i < ink.length; i++) {
    ink[i] = Math.min(1, Math.max(0, f32(f32(f32(ink[i] / top) - threshold) / range)));
  }
  return ink;
}

function inkBounds(ink, width, height) {  // first and last rows and columns with any ink
  let top = height, bottom = -1, left = width, right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] !== 0) {
        top = Math.min(top, y); bottom = Math.max(bottom, y);
        left = Math.min(left, x); right = Math.max(right, x);
      }
    }
  }
  return {top, bottom, left, right, h: bottom - top + 1, w: right - left + 1};
}

function isADot(ink, width, height, b) {  // nn.preprocess.check_not_a_dot
  let solid = 0;
  for (let y = b.top; y <= b.bottom; y++) {
    for (let x = b.left; x <= b.right; x++) if (ink[y * width + x] > 0.5) solid++;
  }
  const fill = solid / (b.h * b.w), small = Math.max(b.h, b.w) < DOT_SIZE * Math.max(width, height);
  return small && Math.max(b.h, b.w) / Math.min(b.h, b.w) < 1.6 && fill > 0.6;
}

function lanczos(x) {
  const sinc = (t) => { if (t === 0) return 1.0; t *= Math.PI; return Math.sin(t) / t; };
  return (-3.0 <= x && x < 3.0) ? sinc(x) * sinc(x / 3) : 0.0;
}

function coefficients(inSize, outSize) {  // Pillow's precompute_coeffs, for Lanczos (support 3)
  const scale = inSize / outSize, filterScale = Math.max(scale, 1.0), support = 3.0 * filterScale;
  const taps = [];
  for (let xx = 0; xx < outSize; xx++) {
    const centre = (xx + 0.5) * scale, ss = 1.0 / filterScale;
    const xmin = Math.max(0, Math.trunc(centre - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(centre + support + 0.5)) - xmin;
    const k = [];
    let ww = 0.0;
    for (let x = 0; x < xmax; x++) { const w = lanczos((x + xmin - centre + 0.5) * ss); k.push(w); ww += w; }
    taps.push({xmin, k: ww !== 0.0 ? k.map((w) => w / ww) : k});
  }
  return taps;
}

function resizeLanczos(src, w, h, outW, outH) {  // Pillow's resize of a mode "F" image
  if (outW === w && outH === h) return Float32Array.from(src);
  const vertical = coefficients(h, outH);
  const first = vertical[0].xmin, last = vertical[outH - 1].xmin + vertical[outH - 1].k.length;
  let rows = src, width = w, offset = 0;
  if (outW !== w) {  // horizontal pass, over the rows the vertical pass reads
    const horizontal = coefficients(w, outW);
    rows = new Float32Array(outW * (last - first));
    for (let y = first; y < last; y++) {
      for (let xx = 0; xx < outW; xx++) {
        const {xmin, k} = horizontal[xx];
        let s = 0.0;
        for (let x = 0; x < k.length; x++) s += src[y * w + x + xmin] * k[x];
        rows[(y - first) * outW + xx] = s;
      }
    }
    width = outW; offset = first;
  }
  if (outH === h) return rows;
  const out = new Float32Array(width * outH);
  for (let yy = 0; yy < outH; yy++) {
    const {xmin, k} = vertical[yy];
    for (let xx = 0; xx < width; xx++) {
      let s = 0.0;
      for (let y = 0; y < k.length; y++) s += rows[(y + xmin - offset) * width + xx] * k[y];
      out[yy * width + xx] = s;
    }
  }
  return out;
}

function fitBox(ink, width, b) {  // nn.preprocess._fit_box
  const crop = new Float32Array(b.h * b.w);
  for (let y = 0; y < b.h; y++) {
    for (let x = 0; x < b.w; x++) crop[y * b.w + x] = ink[(y + b.top) * width + x + b.left];
  }
  const scale = BOX / Math.max(b.h, b.w);
  const w = Math.max(1, roundHalfEven(b.w * scale)), h = Math.max(1, roundHalfEven(b.h * scale));
  const out = resizeLanczos(crop, b.w, b.h, w, h);
  let top = 0;
  for (let i = 0; i < out.length; i++) { out[i] = Math.max(0, out[i]); top = Math.max(top, out[i]); }
  if (top > 0) for (let i = 0; i < out.length; i++) out[i] = f32(out[i] / top);
  return {digit: out, w, h};
}

function place(offset) {  // nn.preprocess._place: the nearest whole pixel, a half pixel going down
  return Math.floor(offset + 0.5 - TIE);
}

function centreByMass({digit, w, h}) {  // nn.preprocess._centre_by_mass
  let total = 0, my = 0, mx = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) { const v = digit[y * w + x]; total += v; my += v * y; mx += v * x; }
  }
  const top = Math.min(Math.max(place(CENTRE - my / total), 0), SIZE - h);
  const left = Math.min(Math.max(place(CENTRE - mx / total), 0), SIZE - w);
  const out = new Float32Array(SIZE * SIZE);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[(y + top) * SIZE + x + left] = digit[y * w + x];
  return out;
}

function toMnist(rgba, width, height) {  // nn.preprocess.to_mnist for a canvas of at most 512 px
  const ink = inkMap(toGray(rgba, width, height), width, height);
  if (ink === null) return {empty: true};
  const bounds = inkBounds(ink, width, height);
  if (bounds.bottom < 0) return {empty: true};
  if (isADot(ink, width, height, bounds)) return {dot: true};
  return {image: centreByMass(fitBox(ink, width, bounds))};
}
