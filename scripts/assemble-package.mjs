// Assembles the npm package folder from three wasm-pack builds.
//
// Usage: node scripts/assemble-package.mjs BUILDS_DIR OUT_DIR
//
// BUILDS_DIR holds the output of `wasm-pack build` for --target web, bundler
// and nodejs in subfolders of those names. OUT_DIR is created afresh with
// web/, bundler/ and node/, the README and CHANGELOG, and a package.json
// whose name, version, description, license, repository and keywords come
// from Cargo.toml (through `cargo metadata`).
//
// Which build each tool gets, through the "exports" conditions in order:
//   node     Node (import and require), Deno, Bun, and bundlers building for
//            a server, such as Vite's SSR build: the nodejs build, which
//            loads the .wasm file from disk with no init() call.
//   browser  bundlers building for browsers (webpack, Vite, Rollup and
//            esbuild with platform "browser"): the bundler build, which
//            imports the .wasm file as a WebAssembly ES module and needs
//            no init() call.
//   import   other ES module resolvers, TypeScript's "bundler" resolution
//            among them: the bundler build.
//   default  anything else: the web build.
// The "./web" subpath is the web build for pages that load the module
// with <script type="module"> and call init(); "./bundler" and "./node"
// name the other two builds explicitly.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CRATE = "zephr-session";
const STEM = "zephr_session";

// The files of each build that a user needs, by folder in the package. The
// *_bg.wasm.d.ts files describe the raw wasm exports, which no caller uses.
const BUILDS = {
  web: { from: "web", files: [`${STEM}.js`, `${STEM}.d.ts`, `${STEM}_bg.wasm`] },
  bundler: {
    from: "bundler",
    files: [`${STEM}.js`, `${STEM}_bg.js`, `${STEM}.d.ts`, `${STEM}_bg.wasm`],
  },
  node: { from: "nodejs", files: [`${STEM}.js`, `${STEM}.d.ts`, `${STEM}_bg.wasm`] },
};

const DOCS = ["README.md", "CHANGELOG.md", "LICENSE-MIT", "LICENSE-APACHE"];

function fail(message) {
  console.error(`assemble-package: ${message}`);
  process.exit(1);
}

function crateMetadata() {
  const text = execFileSync("cargo", ["metadata", "--format-version", "1", "--no-deps", "--locked"], {
    cwd: root,
    encoding: "utf8",
  });
  const crate = JSON.parse(text).packages.find((candidate) => candidate.name === CRATE);
  if (!crate) {
    fail(`cargo metadata lists no package named ${CRATE}`);
  }
  for (const field of ["version", "description", "license", "repository"]) {
    if (!crate[field]) {
      fail(`Cargo.toml of ${CRATE} has no ${field}; add it under [package] or [workspace.package]`);
    }
  }
  return crate;
}

function entry(folder) {
  return { types: `./${folder}/${STEM}.d.ts`, default: `./${folder}/${STEM}.js` };
}

function packageJson(crate) {
  return {
    name: crate.name,
    version: crate.version,
    description: crate.description,
    license: crate.license,
    repository: { type: "git", url: `git+${crate.repository}.git` },
    keywords: crate.keywords,
    type: "module",
    engines: { node: ">=20" },
    exports: {
      ".": {
        node: entry("node"),
        browser: entry("bundler"),
        import: entry("bundler"),
        default: entry("web"),
      },
      "./web": entry("web"),
      "./bundler": entry("bundler"),
      "./node": entry("node"),
      "./web/zephr_session_bg.wasm": "./web/zephr_session_bg.wasm",
      "./package.json": "./package.json",
    },
    // For tools that predate "exports".
    main: `./node/${STEM}.js`,
    module: `./bundler/${STEM}.js`,
    types: `./bundler/${STEM}.d.ts`,
    files: [...Object.keys(BUILDS).map((folder) => `${folder}/`), ...DOCS],
    // The bundler build's entry module connects the WebAssembly instance to
    // the glue code when it is evaluated, and re-exports the classes from
    // that glue. With "sideEffects": false, a bundler may skip evaluating
    // the entry and import the classes from the glue directly, which leaves
    // the instance unset (Vite 8 does). So this one file is listed, and no
    // other.
    sideEffects: [`./bundler/${STEM}.js`],
  };
}

const [buildsDir, outDir] = process.argv.slice(2);
if (!buildsDir || !outDir) {
  fail("usage: node scripts/assemble-package.mjs BUILDS_DIR OUT_DIR");
}

const crate = crateMetadata();
rmSync(outDir, { recursive: true, force: true });
for (const [folder, build] of Object.entries(BUILDS)) {
  mkdirSync(path.join(outDir, folder), { recursive: true });
  for (const file of build.files) {
    const source = path.join(buildsDir, build.from, file);
    if (!existsSync(source)) {
      fail(`${source} is missing; run wasm-pack build --target ${build.from} first`);
    }
    copyFileSync(source, path.join(outDir, folder, file));
  }
}

// wasm-pack's nodejs build is CommonJS, and the package's "type" is
// "module", so this folder declares its own type for Node and TypeScript.
writeFileSync(path.join(outDir, "node", "package.json"), `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`);

for (const doc of DOCS) {
  copyFileSync(path.join(root, doc), path.join(outDir, doc));
}
writeFileSync(path.join(outDir, "package.json"), `${JSON.stringify(packageJson(crate), null, 2)}\n`);
console.log(`assemble-package: ${crate.name} ${crate.version} in ${outDir}`);
