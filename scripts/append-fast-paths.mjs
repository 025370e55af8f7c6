// Appends src/js/client.js and src/js/fast_paths.js to the JavaScript glue of
// a wasm-pack build.
//
// Usage: node scripts/append-fast-paths.mjs BUILD_DIR
//
// The glue file is the one that defines `class Session`: zephr_session.js in
// the web and nodejs builds, zephr_session_bg.js in the bundler build. The
// appended code runs in that file's scope, where it replaces three methods of
// `Session` (see the comment at the top of fast_paths.js). Run once per
// build: a glue file that already has the code is an error, so that a
// second run cannot stack two copies.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// client.js declares `SessionClient` at the top level of the glue, and
// fast_paths.js is one block.
const SOURCES = ["client.js", "fast_paths.js"].map((name) => path.join(root, "src", "js", name));
const MARKER = "// zephr-session: the client and the fast paths, from src/js/client.js and src/js/fast_paths.js";
const CANDIDATES = ["zephr_session_bg.js", "zephr_session.js"];
const RAW_METHODS = [
  "__verdictCode",
  "__verdictAt",
  "__recordedIds",
  "__entitlementIdsByPosition",
  "__stripsParams",
  "__lookupSize",
  "__sourceId",
  "__sourceRemaining",
  "__meterCounts",
  "__scratch",
  "__quote",
  "__checkEndpoint",
  "__cacheTarget",
  "__hash",
  "__lookupFailure",
  "__retryDelay",
  "__warmUp",
  "__fromBody",
  "__fromStorage",
  "__share",
  "__storageEntry",
  "__fingerprint",
];
// The glue's functions that the appended code calls.
const GLUE_FUNCTIONS = ["getUint8ArrayMemory0"];

function fail(message) {
  console.error(`append-fast-paths: ${message}`);
  process.exit(1);
}

const [buildDir] = process.argv.slice(2);
if (!buildDir) {
  fail("usage: node scripts/append-fast-paths.mjs BUILD_DIR");
}

const glue = CANDIDATES.map((name) => path.join(buildDir, name)).find(
  (file) => existsSync(file) && /^(export )?class Session \{/m.test(readFileSync(file, "utf8")),
);
if (!glue) {
  fail(`no file of ${buildDir} (${CANDIDATES.join(", ")}) defines class Session; run wasm-pack build first`);
}
const text = readFileSync(glue, "utf8");
if (text.includes(MARKER)) {
  fail(`${glue} already has the fast paths; run wasm-pack build again for a fresh glue file`);
}
for (const method of RAW_METHODS) {
  if (!text.includes(`${method}(`)) {
    fail(`${glue} has no method ${method}; is it a build of this crate's src/js/session.rs?`);
  }
}
// The field in which the glue keeps a session's pointer, 0 once freed.
if (!text.includes("this.__wbg_ptr = 0")) {
  fail(`${glue} has no field __wbg_ptr; is it a build of this crate with wasm-bindgen 0.2.130?`);
}
// The glue's name for the module's exports, which the appended code calls.
for (const exported of ["session___verdictCode", "session___verdictAt"]) {
  if (!text.includes(`wasm.${exported}(`)) {
    fail(`${glue} does not call wasm.${exported}; is it a build of this crate with wasm-bindgen 0.2.130?`);
  }
}
for (const name of GLUE_FUNCTIONS) {
  if (!new RegExp(`^(export )?function ${name}\\(`, "m").test(text)) {
    fail(`${glue} has no function ${name}; is it a build of this crate with wasm-bindgen 0.2.130?`);
  }
}
if (/^(export )?class SessionClient\b/m.test(text)) {
  fail(`${glue} defines class SessionClient, which src/js/client.js defines now; build it from this crate`);
}
// The glue exports its classes as an ES module (web and bundler builds) or
// as CommonJS (nodejs build), and the appended class is exported the same way.
const commonJs = text.includes("exports.Session = Session;");
const exportLine = commonJs ? "exports.SessionClient = SessionClient;" : "export { SessionClient };";
const appended = SOURCES.map((source) => readFileSync(source, "utf8")).join("\n");
writeFileSync(glue, `${text.trimEnd()}\n\n${MARKER}\n${appended}\n${exportLine}\n`);
console.log(`append-fast-paths: ${path.relative(root, glue)}`);

// The bundler build's entry file re-exports the glue's names one by one.
const entry = path.join(buildDir, "zephr_session.js");
if (entry !== glue) {
  const entryText = readFileSync(entry, "utf8");
  const list = /export \{([^}]*)\} from "\.\/zephr_session_bg\.js";/;
  if (!list.test(entryText)) {
    fail(`${entry} does not re-export the names of zephr_session_bg.js; is it a build with wasm-bindgen 0.2.130?`);
  }
  writeFileSync(entry, entryText.replace(list, (_, names) => `export {${names.trimEnd()}, SessionClient\n} from "./zephr_session_bg.js";`));
  console.log(`append-fast-paths: ${path.relative(root, entry)} exports SessionClient`);
}
