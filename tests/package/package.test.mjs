// Checks the npm package that scripts/package.sh assembled in
// target/package/zephr-session/ and packed into target/package/zephr-session.tgz:
// the files `npm pack` includes, the package.json fields, the declarations,
// and the package as Node loads it from an install of the tarball through
// each export condition.
//
// Run: scripts/package.sh && node --test tests/package/
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const workspaceRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const folder = path.join(workspaceRoot, "target/package/zephr-session");
const tarball = path.join(workspaceRoot, "target/package/zephr-session.tgz");
const fixtures = path.join(workspaceRoot, "tests/fixtures");

// Everything a user needs, and nothing else: three builds, their
// declarations, the README and the changelog.
const EXPECTED_FILES = [
  "CHANGELOG.md",
  "LICENSE-APACHE",
  "LICENSE-MIT",
  "README.md",
  "bundler/zephr_session.d.ts",
  "bundler/zephr_session.js",
  "bundler/zephr_session_bg.js",
  "bundler/zephr_session_bg.wasm",
  "node/package.json",
  "node/zephr_session.d.ts",
  "node/zephr_session.js",
  "node/zephr_session_bg.wasm",
  "package.json",
  "web/zephr_session.d.ts",
  "web/zephr_session.js",
  "web/zephr_session_bg.wasm",
];

const manifest = JSON.parse(readFileSync(path.join(folder, "package.json"), "utf8"));
let installDir;

// Runs Node in the install folder, so that "zephr-session" resolves from its
// node_modules as it would in a user's project, and returns stdout.
function runNode(args) {
  return execFileSync(process.execPath, args, { cwd: installDir, encoding: "utf8" });
}

function crateVersion() {
  const cargoToml = readFileSync(path.join(workspaceRoot, "Cargo.toml"), "utf8");
  const packageTable = cargoToml.slice(cargoToml.indexOf("\n[package]"));
  return /^version = "([^"]+)"/m.exec(packageTable)?.[1];
}

before(() => {
  installDir = mkdtempSync(path.join(tmpdir(), "zephr-package-"));
  const target = path.join(installDir, "node_modules/zephr-session");
  mkdirSync(target, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", target, "--strip-components=1"]);
});

after(() => {
  if (installDir) {
    rmSync(installDir, { recursive: true, force: true });
  }
});

test("npm pack lists only what a user needs", (context) => {
  const [report] = JSON.parse(
    execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: folder, encoding: "utf8" }),
  );
  const files = report.files.map((file) => file.path).sort();
  assert.deepEqual(files, EXPECTED_FILES);
  context.diagnostic(`npm pack --dry-run: ${report.entryCount} files, ${report.size} bytes packed, ${report.unpackedSize} unpacked`);
  console.log(`tarball: ${statSync(tarball).size} bytes packed, ${report.unpackedSize} bytes unpacked, ${files.length} files`);
});

test("tarball holds the listed files", () => {
  const entries = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((entry) => entry.replace(/^package\//, ""))
    .sort();
  assert.deepEqual(entries, EXPECTED_FILES);
});

test("metadata comes from Cargo.toml", () => {
  assert.equal(manifest.name, "zephr-session");
  assert.equal(manifest.version, crateVersion());
  assert.match(manifest.description, /paywall/);
  assert.equal(manifest.license, "MIT OR Apache-2.0");
  assert.equal(manifest.repository.url, "git+https://github.com/zephr-session/zephr-session.git");
  assert.deepEqual(manifest.keywords, ["paywall", "zephr", "wasm", "entitlements", "metering"]);
  assert.equal(manifest.type, "module");
});

test("only the bundler entry has side effects", () => {
  // A bundler that believed the whole package free of side effects could
  // drop the bundler build's entry module, which connects the WebAssembly
  // instance, and with it the instance (the Vite example fails that way).
  assert.deepEqual(manifest.sideEffects, ["./bundler/zephr_session.js"]);
});

test("export conditions pick each build", () => {
  const root = manifest.exports["."];
  assert.deepEqual(Object.keys(root), ["node", "browser", "import", "default"]);
  assert.equal(root.node.default, "./node/zephr_session.js");
  assert.equal(root.browser.default, "./bundler/zephr_session.js");
  assert.equal(root.import.default, "./bundler/zephr_session.js");
  assert.equal(root.default.default, "./web/zephr_session.js");
  for (const entry of [root.node, root.browser, root.import, root.default]) {
    assert.deepEqual(Object.keys(entry), ["types", "default"], "types comes first, as TypeScript requires");
  }
  assert.equal(manifest.exports["./web"].default, "./web/zephr_session.js");
});

test("every path in package.json exists", () => {
  const paths = new Set([manifest.main, manifest.module, manifest.types, ...manifest.sideEffects]);
  const collect = (value) => {
    if (typeof value === "string") {
      paths.add(value);
    } else {
      Object.values(value).forEach(collect);
    }
  };
  collect(manifest.exports);
  for (const relative of paths) {
    assert.ok(existsSync(path.join(folder, relative)), `${relative} is missing`);
  }
});

test("declarations type nothing as any", () => {
  for (const build of ["web", "bundler", "node"]) {
    const text = readFileSync(path.join(folder, build, "zephr_session.d.ts"), "utf8")
      // wasm-bindgen's description of the raw WebAssembly exports, which no caller uses.
      .replace(/^export interface InitOutput \{[\s\S]*?^\}/m, "")
      .replace(/\/\*[\s\S]*?\*\//g, "");
    const lines = text.split("\n").filter((line) => /\bany\b/.test(line));
    assert.deepEqual(lines, [], `${build}/zephr_session.d.ts`);
  }
});

test("bundler and Node declarations agree", () => {
  const bundler = readFileSync(path.join(folder, "bundler/zephr_session.d.ts"), "utf8");
  const node = readFileSync(path.join(folder, "node/zephr_session.d.ts"), "utf8");
  assert.equal(node, bundler);
});

test("import in Node gets the Node build", () => {
  const fixture = path.join(fixtures, "anonymous-metered.json");
  const output = runNode([
    "--input-type=module",
    "--eval",
    `import { readFileSync } from "node:fs";
     import { Session, SessionClient } from "zephr-session";
     const resolved = import.meta.resolve("zephr-session");
     const session = Session.fromJson(JSON.parse(readFileSync(${JSON.stringify(fixture)}, "utf8")));
     const decision = session.decide("article-2000", { entitlementId: "premium" });
     console.log(JSON.stringify({ resolved, decision, client: typeof SessionClient }));`,
  ]);
  const result = JSON.parse(output);
  assert.match(result.resolved, /\/node_modules\/zephr-session\/node\/zephr_session\.js$/);
  assert.deepEqual(result.decision, {
    granted: true,
    reason: "meter",
    entitlementId: "premium",
    meterId: "monthly-free",
    remainingCredits: 3,
  });
  assert.equal(result.client, "function");
});

test("require in Node gets the Node build", () => {
  const fixture = path.join(fixtures, "meter-exhausted.json");
  const output = runNode([
    "--eval",
    `const { Session } = require("zephr-session");
     const text = require("node:fs").readFileSync(${JSON.stringify(fixture)}, "utf8");
     const decision = Session.parse(text).decide("article-6", { entitlementId: "premium" });
     console.log(JSON.stringify({ resolved: require.resolve("zephr-session"), decision }));`,
  ]);
  const result = JSON.parse(output);
  assert.match(result.resolved, /\/node_modules\/zephr-session\/node\/zephr_session\.js$/);
  assert.deepEqual(result.decision, { granted: false, reason: "exhausted", entitlementId: "premium" });
});

test("Node build warms up once at load", () => {
  // The warm-up reads the method under this symbol through Reflect.get,
  // so counting those reads counts the warm-ups.
  const counter = `const key = Symbol.for("zephr-session.warm-up");
     let warmUps = 0;
     const get = Reflect.get;
     Reflect.get = (target, property, ...rest) => {
       if (property === key) warmUps += 1;
       return get(target, property, ...rest);
     };`;
  const report = `setTimeout(() => console.log(JSON.stringify({ warmUps })), 100);`;
  const required = runNode(["--eval", `${counter}\n require("zephr-session");\n ${report}`]);
  assert.deepEqual(JSON.parse(required), { warmUps: 1 });
  const imported = runNode([
    "--input-type=module",
    "--eval",
    `${counter}\n await import("zephr-session");\n ${report}`,
  ]);
  assert.deepEqual(JSON.parse(imported), { warmUps: 1 });
});

test("web subpath loads with initSync", () => {
  const output = runNode([
    "--input-type=module",
    "--eval",
    `import { readFileSync } from "node:fs";
     import { fileURLToPath } from "node:url";
     import init, { initSync, Session } from "zephr-session/web";
     const wasm = fileURLToPath(import.meta.resolve("zephr-session/web/zephr_session_bg.wasm"));
     initSync({ module: readFileSync(wasm) });
     const session = Session.fromJson({ access_model: { delivered_entitlements: [{ id: "premium", direct: true }] } });
     console.log(JSON.stringify({ init: typeof init, reason: session.decide("a", { entitlementId: "premium" }).reason }));`,
  ]);
  assert.deepEqual(JSON.parse(output), { init: "function", reason: "entitlement" });
});

test("ZephrSessionError from the Node build", () => {
  const output = runNode([
    "--eval",
    `const { Session } = require("zephr-session");
     try { Session.parse("[1]"); } catch (error) {
       console.log(JSON.stringify({ name: error.name, code: error.code, isError: error instanceof Error }));
     }`,
  ]);
  assert.deepEqual(JSON.parse(output), { name: "ZephrSessionError", code: "invalid_response", isError: true });
});

// Returns the member names of `export interface NAME { ... }` in a declarations file.
function interfaceMembers(declarations, name) {
  const body = new RegExp(`^export interface ${name} \\{\\n([\\s\\S]*?)^\\}`, "m").exec(declarations)?.[1];
  assert.ok(body, `the declarations contain interface ${name}`);
  return [...body.matchAll(/^ {4}(\w+)\??:/gm)].map((match) => match[1]).sort();
}

test("returned objects have the declared keys", () => {
  const declarations = readFileSync(path.join(folder, "node/zephr_session.d.ts"), "utf8");
  const fixture = path.join(fixtures, "transforms.json");
  const output = runNode([
    "--eval",
    `const { Session } = require("zephr-session");
     const session = Session.parse(require("node:fs").readFileSync(${JSON.stringify(fixture)}, "utf8"));
     const keys = (value) => Object.keys(value).sort();
     const meterId = session.meterIds()[0];
     const creditId = session.creditIds()[0];
     const granted = session.decide("article-77", { entitlementId: "section-politics" });
     const denied = session.decide("article-77", { entitlementId: "not-delivered" });
     let error;
     try { Session.parse("[]"); } catch (caught) { error = caught; }
     console.log(JSON.stringify({
       meter: keys(session.meter(meterId)),
       credit: keys(session.credit(creditId)),
       entry: keys(session.sessions()[0]),
       granted: keys(granted),
       denied: keys(denied),
       error: ["name", "code", "status"].filter((key) => key in error),
     }));`,
  ]);
  const result = JSON.parse(output);
  assert.deepEqual(result.meter, interfaceMembers(declarations, "Meter"));
  assert.deepEqual(result.credit, interfaceMembers(declarations, "Credit"));
  assert.deepEqual(result.entry, interfaceMembers(declarations, "SessionEntry"));
  const grantedMembers = interfaceMembers(declarations, "GrantedDecision");
  for (const key of result.granted) {
    assert.ok(grantedMembers.includes(key), `a granted decision has the undeclared key ${key}`);
  }
  const deniedMembers = interfaceMembers(declarations, "DeniedDecision");
  for (const key of result.denied) {
    assert.ok(deniedMembers.includes(key), `a denied decision has the undeclared key ${key}`);
  }
  assert.deepEqual(result.error, ["name", "code", "status"]);
});


test("web build has short wasm names", () => {
  const web = path.join(folder, "web");
  const module = new WebAssembly.Module(readFileSync(path.join(web, "zephr_session_bg.wasm")));
  const names = [
    ...WebAssembly.Module.imports(module).flatMap((entry) => [entry.module, entry.name]),
    ...WebAssembly.Module.exports(module).map((entry) => entry.name),
  ];
  // `memory` keeps its name, which InitOutput declares.
  const long = names.filter((name) => name.length > 2);
  assert.deepEqual(long, ["memory"]);
  const glue = readFileSync(path.join(web, "zephr_session.js"), "utf8");
  // wasm-bindgen names an import after its function and a 16-digit hash.
  const importName = glue.match(/__wbg_\w+_[0-9a-f]{16}\b/);
  assert.equal(importName, null, `the glue still names the import ${importName}`);
  const declarations = readFileSync(path.join(web, "zephr_session.d.ts"), "utf8");
  assert.doesNotMatch(declarations, /readonly session_/);
});

// Runs scripts/minify-names.mjs on a copy of one of package.sh's builds and
// returns the copy's folder and the failed run's error, if it failed.
function minifyCopy(context, build) {
  const copy = mkdtempSync(path.join(tmpdir(), "zephr-minify-"));
  context.after(() => rmSync(copy, { recursive: true, force: true }));
  cpSync(path.join(workspaceRoot, "target/package/build", build), copy, { recursive: true });
  const before = readFileSync(path.join(copy, "zephr_session.js"), "utf8");
  try {
    execFileSync("node", [path.join(workspaceRoot, "scripts/minify-names.mjs"), copy], { encoding: "utf8", stdio: "pipe" });
    return { copy, before, failure: undefined };
  } catch (error) {
    return { copy, before, failure: error };
  }
}

test("minify-names rejects a renamed build", (context) => {
  const { failure } = minifyCopy(context, "web");
  assert.ok(failure, "a second run succeeded");
  assert.match(failure.stderr, /imports from a; expected only \.\/zephr_session_bg\.js/);
});

test("minify-names leaves a Node build as it was", (context) => {
  const { copy, before, failure } = minifyCopy(context, "nodejs");
  assert.ok(failure, "a Node build was renamed");
  assert.match(failure.stderr, /expected the interface InitOutput once, found it 0 times/);
  assert.equal(existsSync(path.join(copy, "zephr_session_bg.wasm.renamed")), false);
  assert.equal(readFileSync(path.join(copy, "zephr_session.js"), "utf8"), before);
});
