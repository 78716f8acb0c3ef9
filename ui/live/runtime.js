// The browser's runtime for the live answers: onnxruntime-web, served by the app itself
// (ui/runtime_files.py, from static/ort, which scripts/setup.sh fills from the npm registry),
// WebAssembly on one thread (Streamlit sends no COOP/COEP headers, which threads need). A model
// arrives from its own address (ui/model_files.py) and becomes one session, kept while the page lives.

// One runtime per page, started by the first canvas that needs it (it stays while Streamlit moves
// between pages). Starting it runs a one-node model once, so that its
// WebAssembly is compiled and running before any model's session is made (two sessions made
// while it starts would each try to start it).
function loadRuntime(base, warmModel) {
  if (typeof WebAssembly !== "object") return Promise.reject(new Error("this browser has no WebAssembly"));
  if (!window.__digitlabRuntime) {
    window.__digitlabRuntime = import(base + "ort.wasm.min.mjs").then(async (ort) => {
      ort.env.wasm.wasmPaths = base;
      ort.env.wasm.numThreads = 1;
      ort.env.wasm.proxy = false;
      const bytes = Uint8Array.from(atob(warmModel), (c) => c.charCodeAt(0));
      await (await ort.InferenceSession.create(bytes)).release();
      return ort;
    });
    window.__digitlabRuntime.catch(() => { window.__digitlabRuntime = null; });
  }
  return window.__digitlabRuntime;
}

const sessions = new Map();  // a model's digest -> Promise of its InferenceSession

function sessionFor(ort, digest, bytes) {  // bytes: a Promise of the model's Uint8Array
  if (!sessions.has(digest)) {
    const made = bytes.then((model) => ort.InferenceSession.create(model, {executionProviders: ["wasm"], graphOptimizationLevel: "all"}));
    made.catch(() => sessions.delete(digest));
    sessions.set(digest, made);
  }
  return sessions.get(digest);
}

async function probabilitiesOf(ort, session, image) {  // image: Float32Array(784) -> Float32Array(10)
  const feeds = {[session.inputNames[0]]: new ort.Tensor("float32", image, [1, 28, 28])};
  const out = await session.run(feeds);
  return out[session.outputNames[0]].data;
}
