// Gives the imports and exports of a web build's wasm module, except the
// export `memory`, one- and two-letter names, and renames them to match in
// its JavaScript glue and TypeScript declarations.
//
// Usage: node scripts/minify-names.mjs BUILD_DIR
//
// wasm-bindgen names each import after the function it wraps plus a hash
// (`__wbg_getPrototypeOf_aebef0ab95a2019d`) and each export after its Rust
// path (`session___checkEndpoint`). The glue is the only code that uses
// these names, and renaming them saved 2.3 KB of the gzipped bundle. Binaryen's
// --minify-imports-and-exports-and-modules pass renames them in the module;
// this script then renames the import object's keys and each `wasm.NAME` of
// the glue. Run it after scripts/append-fast-paths.mjs, whose code calls two
// exports, and before minifying the glue. Only the web build is renamed: the
// bundler build's wasm imports its glue as an ES module, by these names.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

// The renamed module, written next to the original until the glue is
// patched; a failed run deletes it and leaves the build as it was.
let renamed;

function fail(message) {
  if (renamed !== undefined) {
    rmSync(renamed, { force: true });
  }
  console.error(`minify-names: ${message}`);
  process.exit(1);
}

const [buildDir] = process.argv.slice(2);
if (!buildDir) {
  fail("usage: node scripts/minify-names.mjs BUILD_DIR");
}
const files = {
  wasm: path.join(buildDir, "zephr_session_bg.wasm"),
  glue: path.join(buildDir, "zephr_session.js"),
  types: path.join(buildDir, "zephr_session.d.ts"),
  wasmTypes: path.join(buildDir, "zephr_session_bg.wasm.d.ts"),
};
for (const file of Object.values(files)) {
  if (!existsSync(file)) {
    fail(`${file} is missing; run wasm-pack build --target web first`);
  }
}

function names(file) {
  const module = new WebAssembly.Module(readFileSync(file));
  return { imports: WebAssembly.Module.imports(module), exports: WebAssembly.Module.exports(module) };
}

const before = names(files.wasm);
const modules = new Set(before.imports.map((entry) => entry.module));
if (modules.size !== 1 || !modules.has("./zephr_session_bg.js")) {
  fail(`${files.wasm} imports from ${[...modules].join(", ")}; expected only ./zephr_session_bg.js, as wasm-bindgen 0.2.130 writes a web build`);
}
// The pass prints each old name with its new one as JSON. It renames in
// place, so the module's lists before and after must pair up the same way.
renamed = `${files.wasm}.renamed`;
let printed;
try {
  printed = execFileSync("wasm-opt", [files.wasm, "--minify-imports-and-exports-and-modules", "-o", renamed], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
} catch (error) {
  fail(`wasm-opt failed (${error.message}); run scripts/setup.sh to install the npm package binaryen`);
}
const after = names(renamed);
const pairs = JSON.parse(printed);
const importNames = new Map(pairs.imports.map(([, name, short]) => [name, short]));
const exportNames = new Map(pairs.exports);
const paired = (list, map, renamedList) =>
  list.length === renamedList.length &&
  list.length === map.size &&
  list.every((entry, at) => map.get(entry.name) === renamedList[at].name && entry.kind === renamedList[at].kind);
if (!paired(before.imports, importNames, after.imports) || !paired(before.exports, exportNames, after.exports)) {
  fail("the names that wasm-opt printed do not match the renamed module; check the binaryen version (132 is known to work)");
}
const [newModule] = new Set(after.imports.map((entry) => entry.module));
// `init()` resolves to the module's exports, and a page may read their
// `memory` to watch the module's size, so that export keeps its name.
const memoryName = exportNames.get("memory");
if (!memoryName) {
  fail(`${files.wasm} exports no memory; is it a build of this crate?`);
}
writeFileSync(renamed, renameExport(readFileSync(renamed), memoryName, "memory"));
exportNames.set("memory", "memory");

let glue = readFileSync(files.glue, "utf8");
let types = readFileSync(files.types, "utf8");
let wasmTypes = readFileSync(files.wasmTypes, "utf8");

function readLeb(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) {
      return [value, at];
    }
  }
}

function encodeLeb(value) {
  const out = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) {
      byte |= 0x80;
    }
    out.push(byte);
  } while (value > 0);
  return out;
}

// Returns the module with its export `from` named `to`, by rewriting the
// export section (id 7): a count, then per export its name (length and
// UTF-8 bytes), kind and index.
function renameExport(bytes, from, to) {
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at];
    const [size, start] = readLeb(bytes, at + 1);
    const end = start + size;
    if (id === 7) {
      const [count, first] = readLeb(bytes, start);
      const entries = [];
      let cursor = first;
      for (let index = 0; index < count; index += 1) {
        const [length, nameStart] = readLeb(bytes, cursor);
        const name = Buffer.from(bytes.subarray(nameStart, nameStart + length)).toString("utf8");
        const [, descriptionEnd] = readLeb(bytes, nameStart + length + 1);
        entries.push({ name, description: bytes.subarray(nameStart + length, descriptionEnd) });
        cursor = descriptionEnd;
      }
      const found = entries.filter((entry) => entry.name === from).length;
      if (found !== 1 || cursor !== end) {
        fail(`cannot rename the export ${from} of the renamed module`);
      }
      const payload = [...encodeLeb(count)];
      for (const entry of entries) {
        const name = Buffer.from(entry.name === from ? to : entry.name, "utf8");
        payload.push(...encodeLeb(name.length), ...name, ...entry.description);
      }
      const section = [id, ...encodeLeb(payload.length), ...payload];
      return Buffer.concat([bytes.subarray(0, at), Buffer.from(section), bytes.subarray(end)]);
    }
    at = end;
  }
  fail("the renamed module has no export section");
}

function replaceOnce(text, pattern, replacement, description) {
  let count = 0;
  const result = text.replace(pattern, (...match) => {
    count += 1;
    return replacement(...match);
  });
  if (count !== 1) {
    fail(`expected ${description} once, found it ${count} times; is this a web build of wasm-bindgen 0.2.130?`);
  }
  return result;
}

// The import object lists each import as `        NAME: function(`.
for (const [name, short] of importNames) {
  const pattern = new RegExp(`(\\n {8})${name}(: function\\()`, "g");
  glue = replaceOnce(glue, pattern, (match, lead, tail) => `${lead}${short}${tail}`, `the import ${name}`);
}
glue = replaceOnce(glue, /"\.\/zephr_session_bg\.js": import0/g, () => `${JSON.stringify(newModule)}: import0`, "the import module");

glue = glue.replace(/\bwasm\.([A-Za-z_$][\w$]*)/g, (match, name) => {
  const short = exportNames.get(name);
  if (!short) {
    fail(`the glue reads wasm.${name}, which the module does not export`);
  }
  return `wasm.${short}`;
});
// The declarations list the exports as `readonly NAME:` in the interface
// InitOutput, and as `export const NAME:`.
types = replaceOnce(types, /\nexport interface InitOutput \{\n[^}]*\n\}/g, (block) => {
  for (const [name, short] of exportNames) {
    block = block.replace(new RegExp(`(\\n {4}readonly )${name}:`), (match, lead) => `${lead}${short}:`);
  }
  return block;
}, "the interface InitOutput");
for (const [name, short] of exportNames) {
  wasmTypes = wasmTypes.replace(new RegExp(`(\\nexport const )${name}:`), (match, lead) => `${lead}${short}:`);
}

writeFileSync(files.glue, glue);
writeFileSync(files.types, types);
writeFileSync(files.wasmTypes, wasmTypes);
renameSync(renamed, files.wasm);
console.log(`minify-names: ${before.imports.length} imports and ${before.exports.length} exports of ${files.wasm} renamed`);
