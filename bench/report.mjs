// Writes the "## Client module" section of BENCHMARKS.md from the figures of
// bench/run.mjs, and replaces that section alone in the file.

export const SECTION_HEADING = "## Client module";

/** Replaces the section that starts with `heading` up to the next `## ` heading, or appends it. */
export function replaceSection(markdown, heading, section) {
  const lines = markdown.replace(/\n*$/, "").split("\n");
  const start = lines.indexOf(heading);
  const body = section.replace(/\n*$/, "").split("\n");
  if (start === -1) {
    return `${[...lines, "", ...body].join("\n")}\n`;
  }
  let end = lines.findIndex((line, index) => index > start && line.startsWith("## "));
  if (end === -1) {
    end = lines.length;
  }
  const after = lines.slice(end);
  return `${[...lines.slice(0, start), ...body, ...(after.length > 0 ? ["", ...after] : [])].join("\n")}\n`;
}

/**
 * Rewraps each prose paragraph of `markdown` to lines of at most `width`
 * characters, leaving headings, tables, lists and code blocks as they are.
 * A code span stays on one line, even when that makes the line longer.
 */
function reflow(markdown, width = 76) {
  return markdown
    .split("\n\n")
    .map((block) => {
      if (/^(#|\||- |```)/.test(block)) {
        return block;
      }
      const lines = [];
      let line = "";
      for (const word of block.match(/(?:`[^`]*`|\S)+/g) ?? []) {
        if (line !== "" && line.length + 1 + word.length > width) {
          lines.push(line);
          line = word;
        } else {
          line = line === "" ? word : `${line} ${word}`;
        }
      }
      return [...lines, line].join("\n");
    })
    .join("\n\n");
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The 95th percentile by the nearest-rank method. */
function p95(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)];
}

/** Formats a number with three significant digits, without exponent notation. */
function significant(value) {
  if (value === 0) {
    return "0";
  }
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return value.toFixed(Math.min(digits, 6));
}

function grouped(value) {
  return Math.round(value).toLocaleString("en-US");
}

function rate(callsPerSecond) {
  if (callsPerSecond >= 1e6) {
    return `${significant(callsPerSecond / 1e6)}M`;
  }
  if (callsPerSecond >= 1e3) {
    return `${significant(callsPerSecond / 1e3)}k`;
  }
  return significant(callsPerSecond);
}

function ratio(module, baseline) {
  return baseline > 0 ? significant(module / baseline) : "n/a";
}

function ms(value) {
  return `${significant(value)} ms`;
}

const CALL_NAMES = ["decide", "isEntitled", "remainingCredits"];
const BUILD_NAMES = ["parse", "fromJson"];

function callsPerSecond(figure) {
  return { module: 1000 / figure.module, baseline: 1000 / figure.baseline };
}

/** Formats a cell of a growth table as "module / baseline (ratio)", in calls/s or ms. */
function growthCell(kind, figure) {
  if (CALL_NAMES.includes(kind)) {
    const rates = callsPerSecond(figure);
    return `${rate(rates.module)} / ${rate(rates.baseline)} (${ratio(rates.module, rates.baseline)})`;
  }
  return `${significant(figure.module)} / ${significant(figure.baseline)} (${ratio(figure.module, figure.baseline)})`;
}

function growthTable(calls, documents) {
  const header = `| call | ${documents.map((document) => `${document.label} (${grouped(document.text.length)} bytes)`).join(" | ")} |`;
  const rule = `|---|${documents.map(() => "---:").join("|")}|`;
  const rows = [...CALL_NAMES, ...BUILD_NAMES].map((kind) => {
    const unit = CALL_NAMES.includes(kind) ? "calls/s" : "ms";
    return `| ${kind} (${unit}) | ${documents.map((document) => growthCell(kind, calls[document.name][kind])).join(" | ")} |`;
  });
  return [header, rule, ...rows].join("\n");
}

const PHASE_PATHS = [
  ["module-client", "module, client"],
  ["module-client-preload", "module, client preloaded"],
  ["module-parse", "module, `Session.parse`"],
  ["module-preload", "module, preloaded"],
  ["baseline", "baseline"],
];

/**
 * Renders the median time of each step of the first-decision loads, by path.
 * A path without a step leaves its cell empty.
 */
function phaseTable(phases) {
  const steps = ["import", "init", "lookup", "parse", "decide", "parse again"];
  const cell = (path, step) => {
    const values = (phases[path] ?? []).map((load) => load.find(([name]) => name === step)?.[1]).filter((value) => value !== undefined);
    return values.length === 0 ? "" : ms(median(values));
  };
  const header = `| step | ${PHASE_PATHS.map(([, label]) => label).join(" | ")} |`;
  const rule = `|---|${PHASE_PATHS.map(() => "---:").join("|")}|`;
  const rows = steps.map((step) => `| ${step} | ${PHASE_PATHS.map(([path]) => cell(path, step)).join(" | ")} |`);
  return [header, rule, ...rows].join("\n");
}

function met(condition) {
  return condition ? "met" : "missed";
}

/** Renders the section from the figures of one run. */
export function renderSection({
  date,
  settings,
  compared,
  documents,
  sizes,
  firstDecision,
  firstDecisions,
  firstDecisionsWithLatency,
  calls,
  callsPerDocument,
  machine,
  bundle,
  durationSeconds,
}) {
  const { fixtures, generated } = documents;
  const byName = (name) => generated.find((document) => document.name === name);
  const group = (name) => generated.filter((document) => document.group === name);

  const firstMedian = Object.fromEntries(Object.entries(firstDecisions.elapsed).map(([path, values]) => [path, median(values)]));
  const firstRows = (elapsed) => {
    const medians = Object.fromEntries(Object.entries(elapsed).map(([path, values]) => [path, median(values)]));
    const p95s = Object.fromEntries(Object.entries(elapsed).map(([path, values]) => [path, p95(values)]));
    return [
      ["module, `SessionClient.fetchSession`", "module-client"],
      ["module, wasm file preloaded, `SessionClient.fetchSession`", "module-client-preload"],
      ["module, `fetch` and `Session.parse`", "module-parse"],
      ["module, wasm file preloaded, `fetch` and `Session.parse`", "module-preload"],
    ]
      .map(
        ([label, path]) =>
          `| ${label} | ${ms(medians[path])} | ${ms(medians.baseline)} | ${ratio(medians[path], medians.baseline)} | ${ms(p95s[path])} | ${ms(p95s.baseline)} | ${ratio(p95s[path], p95s.baseline)} |`,
      )
      .join("\n");
  };
  const latencySection = firstDecisionsWithLatency
    ? `

With ${settings.latencyMs} ms of latency on each request, as on a network with that round
trip, over ${settings.latencyLoads} cold loads of each path:

| path | module median | baseline median | ratio | module p95 | baseline p95 | ratio |
|---|---:|---:|---:|---:|---:|---:|
${firstRows(firstDecisionsWithLatency.elapsed)}

Chromium's network emulation (the DevTools protocol's
\`Network.emulateNetworkConditions\`) delays each request of the page by
${settings.latencyMs} ms: the glue, the wasm file, \`bench/baseline.js\` and the lookup. It
limits no throughput, because the server sends the files uncompressed, and a
limit would charge the module for bytes that a real server gzips. The
module's paths make one request more than the baseline's (the wasm file),
which the preloaded paths make while the glue loads.`
    : "";

  const helperRows = [];
  for (const [key, label] of [
    ["samples", `the ${fixtures.length} sample documents`],
    ["large", "large (1,000 meters)"],
  ]) {
    for (const kind of CALL_NAMES) {
      const rates = callsPerSecond(calls[key][kind]);
      helperRows.push(`| ${label} | ${kind} | ${rate(rates.module)} | ${rate(rates.baseline)} | ${ratio(rates.module, rates.baseline)} |`);
    }
  }

  const sampleBytes = fixtures.reduce((sum, { text }) => sum + text.length, 0);
  const parseRows = [];
  for (const [key, label, bytes] of [
    ["samples", `the ${fixtures.length} sample documents, per document`, Math.round(sampleBytes / fixtures.length)],
    ...["size-1kb", "size-100kb", "size-1mb"].map((name) => [name, byName(name).label, byName(name).text.length]),
  ]) {
    for (const kind of BUILD_NAMES) {
      const figure = calls[key][kind];
      parseRows.push(`| ${label} | ${grouped(bytes)} | ${kind} | ${ms(figure.module)} | ${ms(figure.baseline)} | ${ratio(figure.module, figure.baseline)} |`);
    }
  }

  const moduleSize = (measure) => sizes.wasm[measure] + sizes.glue[measure];
  const sizeRow = (label, measure) =>
    `| ${label} | ${grouped(sizes.wasm[measure])} | ${grouped(sizes.glue[measure])} | ${grouped(moduleSize(measure))} | ${grouped(sizes.baseline[measure])} | ${ratio(moduleSize(measure), sizes.baseline[measure])} |`;

  const firstRatio = firstMedian["module-client"] / firstMedian.baseline;
  const firstClientPreloadRatio = firstMedian["module-client-preload"] / firstMedian.baseline;
  const firstParseRatio = firstMedian["module-parse"] / firstMedian.baseline;
  const firstPreloadRatio = firstMedian["module-preload"] / firstMedian.baseline;
  const largeDecide = callsPerSecond(calls.large.decide);
  const largeRatio = largeDecide.module / largeDecide.baseline;
  const smallRatios = CALL_NAMES.map((kind) => {
    const rates = callsPerSecond(calls.samples[kind]);
    return { kind, value: rates.module / rates.baseline };
  });
  const slowestSmall = smallRatios.reduce((lowest, item) => (item.value < lowest.value ? item : lowest));

  const firstDocument = fixtures.find(({ name }) => name === firstDecision.session);
  const bundleLine = bundle.built
    ? `The bundle in \`${bundle.dir}/\` (wasm SHA-256 ${bundle.sha256}…) was built by this run with ${bundle.rustc}, ${bundle.wasmPack}, ${bundle.wasmBindgen} and ${bundle.wasmOpt}.`
    : `The bundle came from \`${bundle.dir}\` (wasm SHA-256 ${bundle.sha256}…) through BENCH_PKG, so this run did not build it.`;
  const loadAverages = (values) => values.map((value) => value.toFixed(2)).join(" ");

  return reflow(`${SECTION_HEADING}

\`scripts/bench.sh\` wrote this section on ${date}. Run it again to replace the
figures.

Every figure compares the release bundle (\`scripts/build.sh\`: the WebAssembly
module and its JavaScript glue) with \`bench/baseline.js\`, a plain-JavaScript
implementation of the same three methods (\`decide\`, \`isEntitled\`,
\`remainingCredits\`) that builds its lookup maps once when it reads a
document. Before any timing, the run checked that both return the same result
for ${grouped(compared)} calls on the ${fixtures.length} sample documents and the ${generated.length} generated ones
below. Each ratio is module / baseline, measured in the same run: for sizes
and times a ratio above 1 means the module costs more, and for calls per
second a ratio below 1 means the module is slower.

The project's targets, and where this run stands:

| target | figure | result |
|---|---|---|
| time to first decision at most 1.2 times the baseline's median | ${significant(firstRatio)} with \`SessionClient\`, ${significant(firstClientPreloadRatio)} with \`SessionClient\` and the wasm file preloaded, ${significant(firstParseRatio)} with \`fetch\` and \`Session.parse\`, ${significant(firstPreloadRatio)} with those and the wasm file preloaded | ${met(firstRatio <= 1.2)} with the client, ${met(firstClientPreloadRatio <= 1.2)} with the client preloaded, ${met(firstParseRatio <= 1.2)} with \`Session.parse\`, ${met(firstPreloadRatio <= 1.2)} with \`Session.parse\` preloaded |
| decisions on the large document at least as fast as the baseline | ${significant(largeRatio)} of the baseline's \`decide\` calls per second | ${met(largeRatio >= 1)} |
| per-call cost on the sample documents at most 2 times the baseline's | ${significant(1 / slowestSmall.value)} times the baseline's cost per call (${significant(slowestSmall.value)} of its calls per second), for \`${slowestSmall.kind}\`, the slowest | ${met(slowestSmall.value >= 0.5)} |

### Transfer size

| compression | module: wasm | module: JS glue | module in all | baseline | ratio |
|---|---:|---:|---:|---:|---:|
${sizeRow("none (bytes)", "raw")}
${sizeRow("gzip level 9 (bytes)", "gzip")}
${sizeRow("brotli quality 11 (bytes)", "brotli")}

The bytes a page downloads: \`zephr_session_bg.wasm\` and \`zephr_session.js\`
against \`bench/baseline.js\`, compressed with Node's zlib. Its level 9 compresses a little differently from
the \`gzip -9\` program that \`scripts/build.sh\` and the size budget use, so
the gzip figures differ from those by up to 1%. The baseline contains only the decision
code, while the module also contains the fetch client, its cache and retries,
dates, warnings and the rest of the \`Session\` API.

### Time to first decision

| path | module median | baseline median | ratio | module p95 | baseline p95 | ratio |
|---|---:|---:|---:|---:|---:|---:|
${firstRows(firstDecisions.elapsed)}

Where the time goes, as the median of each step over the same loads (the
medians of the steps need not add up to the median of the whole):

${phaseTable(firstDecisions.phases)}

${settings.loads} cold loads of \`bench/first-decision.html\` for each path, each in a
new browser context, so with an empty HTTP cache and no code cache (the
server also sends \`Cache-Control: no-store\`, and it saw one download of the
wasm file or of the baseline per load). The paths take turns in an order that rotates
each round, after one warm-up round that is not counted. The clock runs in
the page, from \`performance.now()\` at the start of its module script, before
the dynamic \`import()\`, to the first \`decide()\` answer. For the module that is
the import, \`init()\` (fetching and compiling the wasm file), the lookup and
the decision. The two client paths create a \`SessionClient\` and call
\`fetchSession\`, and the other two module paths call \`fetch\` and
\`Session.parse\`. The preloaded paths request the wasm file when the clock
starts, in parallel with the import, as a page with \`<link rel="preload">\`
for it would, and pass that response to \`init()\`. The baseline imports \`bench/baseline.js\`, fetches and parses. The document is the
sample anonymous reader (\`${firstDecision.session}.json\`, ${grouped(firstDocument.text.length)} bytes), served by
a Node server on 127.0.0.1, and the decision is
\`decide("${firstDecision.content}", { entitlementId: "${firstDecision.entitlement}" })\`. p95 is the nearest rank.

The steps: \`import\` loads the JavaScript file (the glue or the baseline),
\`init\` fetches and compiles the wasm file, \`lookup\` fetches the document
(for the client paths, creating the client and \`fetchSession\`, which
includes its parse), \`parse\` reads it and \`decide\` answers. \`parse again\`
parses the same text a second time after the clock stopped: the difference
from the first \`parse\` is work done once per page. Most of it is V8
compiling each wasm function on its first call. The module schedules a task
when it loads that compiles the parser and the rules, which runs while the
page's lookup is on the network, and on 127.0.0.1 the response may arrive
while it runs, which lengthens \`lookup\` instead. In a one-off check of 15
cold loads with that turned off (Chromium's
\`--js-flags=--no-wasm-lazy-compilation\`), the first parse took a median
of 1.1 ms, but \`init\`, which then compiles the whole module, took 37 ms.
The client path parses a small built-in document while its first request
is on the network, so that this compiling overlaps the wait.${latencySection}

### Helper cost

| document | call | module calls/s | baseline calls/s | ratio |
|---|---|---:|---:|---:|
${helperRows.join("\n")}

Each kind of call runs in a loop in one page over a fixed list of calls
(\`bench/queries.mjs\`): on the sample documents ${callsPerDocument.samples} of each kind per document,
and ${callsPerDocument.generated} on a generated document. \`decide\` mixes five cases in equal shares:
recorded content with an entitlement that lists its meter, recorded content
alone, unread content with an entitlement, an entitlement id alone and
unread content alone, which searches every meter and credit. Each
implementation runs ${settings.samples} samples of at least ${settings.sampleMs} ms, taking turns with the other,
and the figure is the median. A module call includes converting its
arguments and its result between JavaScript and WebAssembly.

### Parse cost

| document | bytes | call | module | baseline | ratio |
|---|---:|---|---:|---:|---:|
${parseRows.join("\n")}

Time per call, measured as the helper calls are. \`parse\` reads JSON text,
and \`fromJson\` an object that \`JSON.parse\` made beforehand. The module's loops
free each session; its \`fromJson\` writes the object to JSON text
(\`JSON.stringify\`) and reads that. The baseline reads only what its three
methods need, while the module also reads dates, sessions and warnings and
keeps the document for \`toJSON()\`, so these ratios compare more work with
less.

### How each cost grows

Each cell is module / baseline (ratio), in calls per second for the helper
calls (a ratio below 1: the module is slower) and in ms per call for
\`parse\` and \`fromJson\` (a ratio above 1: the module is slower). The
documents come from \`bench/generate.mjs\` with a fixed seed each. The
1,000-meter step below has the same counts as the large document above but
another seed, so the gap between their figures shows how much the drawn ids
and the machine's noise move a figure.

Documents of growing size, the numbers of meters, content ids and
entitlements growing together:

${growthTable(calls, group("size"))}

10 meters and 2 credits holding more and more content ids. Decisions should
not slow down as the content ids grow:

${growthTable(calls, group("content-ids"))}

More and more meters, with 10 content ids each, a tenth as many credits and
as many entitlements as meters:

${growthTable(calls, group("meters"))}

Setup: Chromium ${machine.chromium}, headless, driven by playwright-core
${machine.playwright} from Node ${machine.node}, and the server (\`bench/server.mjs\`) in a Node
process of its own.
${bundleLine} The machine has
${machine.cores} cores (${machine.cpuModel}), which the browser, the server and the driver share,
so figures on a busy machine are lower. The 1, 5 and 15 minute load
averages were ${loadAverages(machine.loadBefore)} before the first load and ${loadAverages(machine.loadAfter)} after the last
timing. The run took ${durationSeconds} s.
`);
}
