// Benchmarks the release bundle against the plain-JavaScript baseline
// (bench/baseline.js) and writes the "## Client module" section of
// BENCHMARKS.md. scripts/bench.sh installs the tools, builds the bundle and
// runs this, so run it directly only with a bundle already built.
//
// Steps: check that both implementations return the same results on every
// document, and stop if they do not. Then measure transfer sizes, and in
// headless Chromium time cold loads to a first decision and, in one page,
// the helper and parse calls.
//
// Usage: node bench/run.mjs --pkg DIR [--built]
//        node bench/run.mjs --check-settings
//   --pkg DIR           the release bundle (zephr_session.js and zephr_session_bg.wasm)
//   --built             the bundle was built by this run; the report names the tools
//   --check-settings    only check the settings below, and exit
// Settings (environment): BENCH_LOADS (cold loads per path, default 30, at
// least 30 when writing BENCHMARKS.md), BENCH_SAMPLE_MS (the shortest timed
// sample, default 50), BENCH_SAMPLES (samples per call and implementation,
// default 5), BENCH_OUTPUT (the file to write, default BENCHMARKS.md).
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { brotliCompressSync, constants as zlibConstants, gzipSync } from "node:zlib";

import { compareResults, compareParsing } from "./agreement.mjs";
import { BaselineSession } from "./baseline.js";
import { benchmarkDocuments, writeDocuments } from "./generate.mjs";
import { timingCalls } from "./queries.mjs";
import { renderSection, replaceSection, SECTION_HEADING } from "./report.mjs";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../tests/support/chromium.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const fixturesDir = path.join(root, "tests/fixtures");
const generatedDir = path.join(root, "target/bench/documents");

const LOAD_TIMEOUT_MS = 30_000;
const MEASURE_TIMEOUT_MS = 300_000;

/** The cold-load case: the sample anonymous reader, whose meter grants the article. */
const FIRST_DECISION = { session: "anonymous-metered", content: "article-2000", entitlement: "premium" };
const FIRST_DECISION_PATHS = ["module-client", "module-client-preload", "module-parse", "module-preload", "baseline"];

/** Calls of each kind timed on each sample document. The row of the sample documents cycles through all of them. */
const CALLS_PER_SAMPLE_DOCUMENT = 40;
const CALLS_PER_GENERATED_DOCUMENT = 200;
const CALL_KINDS = ["decide", "isEntitled", "remainingCredits", "parse", "fromJson"];

function say(message) {
  console.log(`bench: ${message}`);
}

function fail(message, status = 1) {
  console.error(`bench: ${message}`);
  process.exit(status);
}

/** Reads an integer setting from the environment, and rejects values outside [min, max] with a message that ends with `hint`. */
function integerSetting(name, fallback, min, max, hint = "") {
  const text = process.env[name];
  if (text === undefined || text === "") {
    return fallback;
  }
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    fail(`${name} must be an integer from ${min} to ${max}, but it is ${JSON.stringify(text)}${hint}`, 2);
  }
  return Number(text);
}

function readSettings(argv) {
  const known = [
    "BENCH_PKG",
    "BENCH_LOADS",
    "BENCH_LATENCY_MS",
    "BENCH_LATENCY_LOADS",
    "BENCH_SAMPLE_MS",
    "BENCH_SAMPLES",
    "BENCH_OUTPUT",
  ];
  for (const name of Object.keys(process.env)) {
    if (name.startsWith("BENCH_") && !known.includes(name)) {
      fail(`unknown setting ${name}; the settings are ${known.join(", ")}`, 2);
    }
  }

  const usage = "usage: node bench/run.mjs --pkg DIR [--built], or --check-settings";
  let pkgDir;
  let built = false;
  let checkOnly = false;
  for (let index = 0; index < argv.length; index++) {
    if (argv[index] === "--pkg" && index + 1 < argv.length) {
      pkgDir = path.resolve(argv[++index]);
    } else if (argv[index] === "--built") {
      built = true;
    } else if (argv[index] === "--check-settings") {
      checkOnly = true;
    } else {
      fail(`unknown argument ${JSON.stringify(argv[index])}; ${usage}`, 2);
    }
  }

  const output = path.resolve(process.env.BENCH_OUTPUT || path.join(root, "BENCHMARKS.md"));
  const isRepositoryFile = output === path.join(root, "BENCHMARKS.md");
  if (!existsSync(path.dirname(output))) {
    fail(`BENCH_OUTPUT names a file in ${path.dirname(output)}, which does not exist`, 2);
  }
  const settings = {
    pkgDir,
    built,
    checkOnly,
    output,
    loads: isRepositoryFile
      ? integerSetting(
          "BENCH_LOADS",
          30,
          30,
          1000,
          "; BENCHMARKS.md gets figures of at least 30 loads, so set BENCH_OUTPUT to another file for a shorter run",
        )
      : integerSetting("BENCH_LOADS", 30, 1, 1000),
    latencyMs: integerSetting("BENCH_LATENCY_MS", 50, 0, 1000),
    latencyLoads: integerSetting("BENCH_LATENCY_LOADS", 15, 1, 1000),
    sampleMs: integerSetting("BENCH_SAMPLE_MS", 50, 10, 10_000),
    samples: integerSetting("BENCH_SAMPLES", 5, 3, 101),
  };
  if (checkOnly) {
    return settings;
  }

  if (!pkgDir) {
    fail(`missing --pkg DIR; ${usage}`, 2);
  }
  for (const file of ["zephr_session.js", "zephr_session_bg.wasm"]) {
    if (!existsSync(path.join(pkgDir, file))) {
      fail(`${path.join(pkgDir, file)} is missing; build the bundle with scripts/build.sh`, 2);
    }
  }
  return settings;
}

function loadDocuments() {
  const fixtures = readdirSync(fixturesDir)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => {
      const text = readFileSync(path.join(fixturesDir, file), "utf8");
      return { name: path.basename(file, ".json"), text, document: JSON.parse(text) };
    });
  const generated = benchmarkDocuments();
  rmSync(generatedDir, { recursive: true, force: true });
  writeDocuments(generatedDir, generated);
  return { fixtures, generated };
}

/**
 * Runs the check of tests/node/baseline.test.mjs on every document: every
 * content id of the sample documents and of the large one, and sampled ids
 * of the other generated documents. Returns the number of calls compared.
 */
async function checkAgreement(pkgDir, { fixtures, generated }) {
  const { initSync, Session } = await import(pathToFileURL(path.join(pkgDir, "zephr_session.js")));
  initSync({ module: readFileSync(path.join(pkgDir, "zephr_session_bg.wasm")) });

  const differences = compareParsing({ Module: Session, Baseline: BaselineSession });
  const checks = [
    ...fixtures.map(({ name, text }) => ({ name, text, exhaustive: true })),
    ...generated.map(({ name, text }) => ({ name, text, exhaustive: name === "large" })),
  ];
  let compared = 0;
  for (const { name, text, exhaustive } of checks) {
    const result = compareResults({ Module: Session, Baseline: BaselineSession, name, text, exhaustive });
    compared += result.compared;
    differences.push(...result.differences);
  }
  if (differences.length > 0) {
    fail(`the baseline and the module disagree, so nothing was timed:\n  ${differences.slice(0, 20).join("\n  ")}`);
  }
  return compared;
}

function transferSizes(pkgDir) {
  const measure = (file) => {
    const bytes = readFileSync(file);
    return {
      raw: bytes.length,
      gzip: gzipSync(bytes, { level: 9 }).length,
      brotli: brotliCompressSync(bytes, {
        params: {
          [zlibConstants.BROTLI_PARAM_QUALITY]: 11,
          [zlibConstants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
        },
      }).length,
    };
  };
  return {
    wasm: measure(path.join(pkgDir, "zephr_session_bg.wasm")),
    glue: measure(path.join(pkgDir, "zephr_session.js")),
    baseline: measure(path.join(root, "bench/baseline.js")),
  };
}

/**
 * Starts bench/server.mjs in a process of its own, so that serving does not
 * wait on the event loop that drives the browser. Resolves to `{ url, counts,
 * close }`, where `counts()` resolves to the number of requests per path.
 */
async function startServerProcess(pkgDir) {
  const script = path.join(root, "bench/server.mjs");
  const args = [script, "--pkg", pkgDir, "--documents", fixturesDir, "--documents", generatedDir];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  const exited = once(child, "exit");
  const listening = new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line.startsWith("bench server: ")) {
        resolve(line.slice("bench server: ".length));
      }
    });
    exited.then(([code]) => reject(new Error(`bench/server.mjs exited with status ${code} before it listened`)));
  });
  let url;
  try {
    url = await withTimeout(listening, 10_000, "starting bench/server.mjs");
  } catch (error) {
    child.kill();
    throw error;
  }
  return {
    url,
    counts: async () => {
      const response = await fetch(`${url}/__counts`);
      return new Map(Object.entries(await response.json()));
    },
    close: async () => {
      if (child.exitCode === null) {
        child.kill();
        await exited;
      }
    },
  };
}

function withTimeout(promise, ms, description) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${description} timed out after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Loads the first-decision page once in a new browser context, so nothing is
 * cached. With `latencyMs` above 0, Chromium's network emulation delays each
 * of the page's requests by that much.
 */
async function coldLoad(browser, baseUrl, variant, latencyMs) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    if (latencyMs > 0) {
      // Latency only: the server sends the files uncompressed, so a limit on
      // throughput would charge the module for bytes a real server gzips.
      const devtools = await context.newCDPSession(page);
      await devtools.send("Network.enable");
      await devtools.send("Network.emulateNetworkConditions", {
        offline: false,
        latency: latencyMs,
        downloadThroughput: -1,
        uploadThroughput: -1,
      });
    }
    const query = new URLSearchParams({ variant, ...FIRST_DECISION });
    await page.goto(`${baseUrl}/bench/first-decision.html?${query}`, { timeout: LOAD_TIMEOUT_MS });
    const result = await withTimeout(page.evaluate(() => window.benchResult), LOAD_TIMEOUT_MS, `the ${variant} load`);
    if (result === undefined) {
      throw new Error(`the ${variant} load set no window.benchResult; its module script did not run`);
    }
    if (result.error) {
      throw new Error(`the ${variant} load failed in the page: ${result.error}`);
    }
    return result;
  } finally {
    await context.close();
  }
}

/**
 * Times `loads` cold loads of each path, after one warm-up round that is not
 * counted, with `latencyMs` of emulated latency on each request. The paths
 * take turns, and the order rotates each round.
 */
async function timeFirstDecisions(browser, server, loads, expected, latencyMs) {
  const countsBefore = await server.counts();
  const elapsed = Object.fromEntries(FIRST_DECISION_PATHS.map((variant) => [variant, []]));
  const phases = Object.fromEntries(FIRST_DECISION_PATHS.map((variant) => [variant, []]));
  for (let round = -1; round < loads; round++) {
    for (let turn = 0; turn < FIRST_DECISION_PATHS.length; turn++) {
      const variant = FIRST_DECISION_PATHS[(Math.max(round, 0) + turn) % FIRST_DECISION_PATHS.length];
      const result = await coldLoad(browser, server.url, variant, latencyMs);
      if (JSON.stringify(result.decision) !== JSON.stringify(expected)) {
        throw new Error(`the ${variant} load decided ${JSON.stringify(result.decision)}, expected ${JSON.stringify(expected)}`);
      }
      if (round >= 0) {
        elapsed[variant].push(result.elapsed);
        phases[variant].push(result.phases);
      }
    }
    if (round >= 0 && (round + 1) % 10 === 0) {
      say(`cold loads: ${round + 1} of ${loads} rounds${latencyMs > 0 ? ` with ${latencyMs} ms of latency` : ""}`);
    }
  }

  // Each module load must have downloaded the bundle, and each baseline load
  // the baseline, or the loads were not cold.
  const moduleLoads = FIRST_DECISION_PATHS.filter((path) => path.startsWith("module")).length * (loads + 1);
  const counts = await server.counts();
  const requests = (file) => (counts.get(file) ?? 0) - (countsBefore.get(file) ?? 0);
  const wasmRequests = requests("/pkg/zephr_session_bg.wasm");
  const baselineRequests = requests("/bench/baseline.js");
  if (wasmRequests !== moduleLoads || baselineRequests !== loads + 1) {
    throw new Error(
      `expected ${moduleLoads} downloads of the wasm file and ${loads + 1} of baseline.js, one per load, ` +
        `but the server saw ${wasmRequests} and ${baselineRequests}`,
    );
  }
  return { elapsed, phases };
}

/** Lists the timings of the calls page: the sample documents together, then each generated document. */
function callTasks({ fixtures, generated }, settings) {
  const tasks = [];
  const sampleCalls = { decide: [], isEntitled: [], remainingCredits: [] };
  fixtures.forEach(({ document }, doc) => {
    const calls = timingCalls(document, { count: CALLS_PER_SAMPLE_DOCUMENT });
    for (const kind of Object.keys(sampleCalls)) {
      sampleCalls[kind].push(...calls[kind].map((call) => toCall(kind, call, doc)));
    }
  });
  const fixtureNames = fixtures.map(({ name }) => name);
  for (const kind of CALL_KINDS) {
    tasks.push({ key: "samples", kind, documents: fixtureNames, calls: sampleCalls[kind] ?? [] });
  }

  for (const { name, document } of generated) {
    const calls = timingCalls(document, { count: CALLS_PER_GENERATED_DOCUMENT });
    for (const kind of CALL_KINDS) {
      tasks.push({ key: name, kind, documents: [name], calls: (calls[kind] ?? []).map((call) => toCall(kind, call, 0)) });
    }
  }
  return tasks.map((task) => ({ ...task, sampleMs: settings.sampleMs, samples: settings.samples }));
}

function toCall(kind, call, doc) {
  if (kind === "decide") {
    return { doc, contentId: call.contentId, options: call.options };
  }
  return kind === "isEntitled" ? { doc, contentId: call } : { doc, meterId: call };
}

async function timeCalls(browser, server, tasks) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}/bench/calls.html`, { timeout: LOAD_TIMEOUT_MS });
    await page.waitForFunction(() => window.bench !== undefined || window.benchError !== undefined, null, {
      polling: 100,
      timeout: LOAD_TIMEOUT_MS,
    });
    const loadError = await page.evaluate(() => window.benchError);
    if (loadError) {
      throw new Error(`the calls page failed to load: ${loadError}`);
    }

    const results = {};
    for (const [index, task] of tasks.entries()) {
      const { key, ...request } = task;
      const result = await withTimeout(
        page.evaluate((measured) => window.bench.measure(measured), request),
        MEASURE_TIMEOUT_MS,
        `timing ${task.kind} on ${key}`,
      );
      results[key] ??= {};
      results[key][task.kind] = { module: result.module.msPerCall, baseline: result.baseline.msPerCall };
      if ((index + 1) % 10 === 0 || index + 1 === tasks.length) {
        say(`calls: ${index + 1} of ${tasks.length} timings`);
      }
    }
    return results;
  } finally {
    await context.close();
  }
}

function commandVersion(command, args) {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
}

function machineInfo() {
  const cpus = os.cpus();
  return { cores: cpus.length, cpuModel: cpus[0]?.model?.trim() ?? "unknown", node: process.version };
}

function bundleInfo(settings) {
  const wasm = readFileSync(path.join(settings.pkgDir, "zephr_session_bg.wasm"));
  const relative = path.relative(root, settings.pkgDir);
  const dir = relative.startsWith("..") || path.isAbsolute(relative) ? settings.pkgDir : relative || ".";
  const info = { dir, sha256: createHash("sha256").update(wasm).digest("hex").slice(0, 12), built: settings.built };
  if (settings.built) {
    info.rustc = commandVersion("rustc", ["--version"]);
    info.wasmPack = commandVersion("wasm-pack", ["--version"]);
    info.wasmBindgen = commandVersion("wasm-bindgen", ["--version"]);
    info.wasmOpt = commandVersion(path.join(root, "node_modules/.bin/wasm-opt"), ["--version"]);
  }
  return info;
}

async function main() {
  const started = Date.now();
  const settings = readSettings(process.argv.slice(2));
  if (settings.checkOnly) {
    return;
  }
  // Imported here, so that --check-settings works before setup installs it.
  const { chromium } = await import("playwright-core");
  const documents = loadDocuments();
  say(`${documents.fixtures.length} sample and ${documents.generated.length} generated documents (written to target/bench/documents)`);

  say("checking that the baseline returns the module's results");
  const compared = await checkAgreement(settings.pkgDir, documents);
  say(`the baseline and the module agree on ${compared} calls (${Math.round((Date.now() - started) / 1000)} s so far)`);

  const sizes = transferSizes(settings.pkgDir);
  const texts = new Map([...documents.fixtures, ...documents.generated].map(({ name, text }) => [name, text]));
  const server = await startServerProcess(settings.pkgDir);
  const loadBefore = os.loadavg();
  let browser;
  let chromiumVersion;
  let firstDecisions;
  let firstDecisionsWithLatency;
  let calls;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
    chromiumVersion = browser.version();
    const { initSync, Session } = await import(pathToFileURL(path.join(settings.pkgDir, "zephr_session.js")));
    initSync({ module: readFileSync(path.join(settings.pkgDir, "zephr_session_bg.wasm")) });
    const expected = Session.parse(texts.get(FIRST_DECISION.session)).decide(FIRST_DECISION.content, {
      entitlementId: FIRST_DECISION.entitlement,
    });

    say(`time to first decision: ${settings.loads} cold loads of each path, ${FIRST_DECISION_PATHS.join(", ")}`);
    firstDecisions = await timeFirstDecisions(browser, server, settings.loads, expected, 0);
    if (settings.latencyMs > 0) {
      say(`time to first decision with ${settings.latencyMs} ms of latency per request: ${settings.latencyLoads} cold loads of each path`);
      firstDecisionsWithLatency = await timeFirstDecisions(browser, server, settings.latencyLoads, expected, settings.latencyMs);
    }
    const tasks = callTasks(documents, settings);
    say(`calls: ${tasks.length} timings, ${settings.samples} samples of at least ${settings.sampleMs} ms each per implementation`);
    calls = await timeCalls(browser, server, tasks);
  } finally {
    await browser?.close();
    await server.close();
  }
  const loadAfter = os.loadavg();

  const section = renderSection({
    date: new Date().toISOString().slice(0, 10),
    settings,
    compared,
    documents,
    sizes,
    firstDecision: FIRST_DECISION,
    firstDecisions,
    firstDecisionsWithLatency,
    calls,
    callsPerDocument: { samples: CALLS_PER_SAMPLE_DOCUMENT, generated: CALLS_PER_GENERATED_DOCUMENT },
    machine: {
      ...machineInfo(),
      chromium: chromiumVersion,
      playwright: JSON.parse(readFileSync(path.join(root, "node_modules/playwright-core/package.json"), "utf8")).version,
      loadBefore,
      loadAfter,
    },
    bundle: bundleInfo(settings),
    durationSeconds: Math.round((Date.now() - started) / 1000),
  });
  const existing = existsSync(settings.output) ? readFileSync(settings.output, "utf8") : "# Benchmarks\n";
  writeFileSync(settings.output, replaceSection(existing, SECTION_HEADING, section));
  console.log();
  console.log(section.split("\n").filter((line) => line.startsWith("|")).join("\n"));
  console.log();
  say(`wrote the "${SECTION_HEADING}" section of ${settings.output} in ${Math.round((Date.now() - started) / 1000)} s`);
}

main().catch((error) => {
  fail(error?.stack ?? String(error));
});
