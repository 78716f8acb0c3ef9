// The browser's runtime for the live answers: onnxruntime-web, served by the app itself from
// static/ort (scripts/setup.sh fills it from the npm registry), WebAssembly on one thread (Streamlit
// sends no COOP/COEP headers, which threads need). A model arrives as bytes in the component's
// data and becomes one session, kept while the page lives.

let ortLoading = null;

function loadRuntime(base) {
  if (typeof WebAssembly !== "object") return Promise.reject(new Error("this browser has no WebAssembly"));
  if (!ortLoading) {
    ortLoading = import(base + "ort.wasm.min.mjs").then((ort) => {
      ort.env.wasm.wasmPaths = base;
      ort.env.wasm.numThreads = 1;
      ort.env.wasm.proxy = false;
      return ort;
    });
    ortLoading.catch(() => { ortLoading = null; });
  }
  return ortLoading;
}

const sessions = new Map();  // a model's digest -> Promise of its InferenceSession

function sessionFor(ort, digest, bytes) {
  if (!sessions.has(digest)) {
    const made = ort.InferenceSession.create(bytes, {executionProviders: ["wasm"], graphOptimizationLevel: "all"});
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
