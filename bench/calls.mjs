// In-page timing of the helper and parse calls, the module against the
// baseline, for bench/calls.html. bench/run.mjs calls window.bench.measure
// once per document set and kind of call.
import init, { Session } from "/pkg/zephr_session.js";
import { BaselineSession } from "/bench/baseline.js";

const CLASSES = { module: Session, baseline: BaselineSession };

/** The statement each loop of calls on a session repeats. `item` is the current call. */
const CALL_BODIES = {
  decide: "if (sessions[item.doc].decide(item.contentId, item.options).granted) sink++;",
  isEntitled: "if (sessions[item.doc].isEntitled(item.contentId)) sink++;",
  remainingCredits: "if (sessions[item.doc].remainingCredits(item.meterId) !== undefined) sink++;",
};

/**
 * The statement each loop that builds sessions repeats, by implementation.
 * `item` is the current document. A module session keeps its WebAssembly
 * memory until it is freed, so the module's loops free each one. The
 * baseline's sessions are garbage collected, and the collection is part of
 * their time.
 */
const BUILD_BODIES = {
  parse: { module: "Session.parse(item).free(); sink++;", baseline: "if (Session.parse(item)) sink++;" },
  fromJson: { module: "Session.fromJson(item).free(); sink++;", baseline: "if (Session.fromJson(item)) sink++;" },
};

/**
 * Compiles the timing loop of one kind of call for one implementation.
 * Each loop gets its own source text, so V8 keeps separate type feedback for
 * the module and the baseline: one shared loop would see both classes at its
 * call site and run slower for both.
 */
function compileLoop(kind, implementation) {
  const source = `// ${kind} loop of the ${implementation}
    let sink = 0;
    for (let index = 0, position = 0; index < count; index++) {
      const item = items[position];
      ${CALL_BODIES[kind] ?? BUILD_BODIES[kind][implementation]}
      if (++position === items.length) {
        position = 0;
      }
    }
    return sink;`;
  return new Function("Session", "sessions", "items", "count", source);
}

const texts = new Map();

async function documentText(name) {
  if (!texts.has(name)) {
    const response = await fetch(`/v4/sessions/bench/${encodeURIComponent(name)}`);
    if (!response.ok) {
      throw new Error(`the document ${name} failed to load with HTTP ${response.status}`);
    }
    texts.set(name, await response.text());
  }
  return texts.get(name);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Returns the indexes of the calls for which the module and the baseline
 * return different results, so that the two loops are known to do the same
 * work.
 */
function differingCalls(kind, sessions, items) {
  const differing = [];
  const result = (session, item) => {
    switch (kind) {
      case "decide":
        return JSON.stringify(session.decide(item.contentId, item.options));
      case "isEntitled":
        return String(session.isEntitled(item.contentId));
      default:
        return String(session.remainingCredits(item.meterId));
    }
  };
  items.forEach((item, index) => {
    if (result(sessions.module[item.doc], item) !== result(sessions.baseline[item.doc], item)) {
      differing.push(index);
    }
  });
  return differing;
}

/**
 * Times one kind of call on the documents named in `task.documents`.
 * `task.calls` lists the calls, each naming its document by index in
 * `documents`; parse and fromJson cycle through the documents instead. Each
 * implementation first finds a number of calls that takes at least
 * `sampleMs`, then both run `samples` samples of that many calls, taking
 * turns. Resolves to the median time per call in ms of each, and the count.
 */
async function measure({ kind, documents, calls, sampleMs, samples }) {
  if (!(kind in CALL_BODIES) && !(kind in BUILD_BODIES)) {
    throw new Error(`unknown kind of call ${JSON.stringify(kind)}`);
  }
  const documentTexts = await Promise.all(documents.map(documentText));
  const sessions = { module: [], baseline: [] };
  let items;
  if (kind === "parse") {
    items = documentTexts;
  } else if (kind === "fromJson") {
    items = documentTexts.map((text) => JSON.parse(text));
  } else {
    sessions.module = documentTexts.map((text) => Session.parse(text));
    sessions.baseline = documentTexts.map((text) => BaselineSession.parse(text));
    items = calls;
    const differing = differingCalls(kind, sessions, items);
    if (differing.length > 0) {
      const first = JSON.stringify(items[differing[0]]);
      throw new Error(`${kind}: the module and the baseline return different results for ${differing.length} calls, the first ${first}`);
    }
  }

  try {
    const loops = { module: compileLoop(kind, "module"), baseline: compileLoop(kind, "baseline") };
    const run = (implementation, count) => {
      const start = performance.now();
      loops[implementation](CLASSES[implementation], sessions[implementation], items, count);
      return performance.now() - start;
    };

    const counts = {};
    for (const implementation of ["module", "baseline"]) {
      let count = 1;
      for (;;) {
        const elapsed = run(implementation, count);
        if (elapsed >= sampleMs) {
          break;
        }
        // performance.now() is coarse (100 us in Chromium without
        // cross-origin isolation), so short runs only grow the count tenfold.
        count = elapsed < 1 ? count * 10 : Math.ceil((count * sampleMs * 1.1) / elapsed);
      }
      counts[implementation] = count;
    }

    const perCall = { module: [], baseline: [] };
    for (let sample = 0; sample < samples; sample++) {
      const order = sample % 2 === 0 ? ["module", "baseline"] : ["baseline", "module"];
      for (const implementation of order) {
        perCall[implementation].push(run(implementation, counts[implementation]) / counts[implementation]);
      }
    }
    const result = (implementation) => ({
      msPerCall: median(perCall[implementation]),
      samples: perCall[implementation],
      count: counts[implementation],
    });
    return { module: result("module"), baseline: result("baseline") };
  } finally {
    for (const session of sessions.module) {
      session.free();
    }
  }
}

try {
  await init();
  window.bench = { measure };
} catch (error) {
  window.benchError = String(error?.stack ?? error);
}
