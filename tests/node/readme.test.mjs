// Checks that the README's API reference names every export of the
// package: each name that the generated declarations (pkg/zephr_session.d.ts,
// the web build, which has every export of the other builds plus init) export
// at the top level, each member of the exported classes, and each
// SessionClient option. A name counts when it appears inside a code span or
// a code block of the section "The JavaScript API".
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const root = new URL("../../", import.meta.url);
const declarations = readFileSync(new URL("pkg/zephr_session.d.ts", root), "utf8");
const readme = readFileSync(new URL("README.md", root), "utf8");

// wasm-bindgen's description of the raw WebAssembly exports, which no caller uses by name.
const INTERNAL = new Set(["InitOutput"]);

function apiSection(text) {
  const start = text.indexOf("\n## The JavaScript API");
  assert.notEqual(start, -1, "README.md has a section '## The JavaScript API'");
  const end = text.indexOf("\n## ", start + 1);
  return end === -1 ? text.slice(start) : text.slice(start, end);
}

// Returns the text of every fenced code block and inline code span; an
// inline span may wrap over lines, as Markdown allows.
function codeSpans(markdown) {
  const fence = /^```[^\n]*\n([\s\S]*?)^```/gm;
  const blocks = [...markdown.matchAll(fence)].map((match) => match[1]);
  const inline = [...markdown.replace(fence, "").matchAll(/`([^`]+)`/g)].map((match) => match[1]);
  return [...blocks, ...inline];
}

function topLevelNames(source) {
  const names = [...source.matchAll(/^export (?:declare )?(?:class|interface|type|function|const|enum) (\w+)/gm)].map(
    (match) => match[1],
  );
  // The default export is the web build's init function, documented as init.
  if (/^export default function /m.test(source)) {
    names.push("init");
  }
  return names.filter((name) => !INTERNAL.has(name));
}

// Returns the body of `export class NAME { ... }` or `export interface NAME { ... }`.
function declarationBody(source, keyword, name) {
  const match = new RegExp(`^export ${keyword} ${name}\\b[^{]*\\{\\n([\\s\\S]*?)^\\}`, "m").exec(source);
  assert.ok(match, `the declarations contain ${keyword} ${name}`);
  return match[1];
}

// Member names of a class or interface body: methods, statics, getters and properties.
function memberNames(body) {
  const names = new Set();
  for (const match of body.matchAll(/^ {4}(?:static |readonly )*(\w+)\??[(:]/gm)) {
    names.add(match[1]);
  }
  names.delete("constructor");
  return [...names];
}

function documented(spans, name) {
  const word = new RegExp(`(^|[^\\w])${name}([^\\w]|$)`);
  return spans.some((span) => word.test(span));
}

const spans = codeSpans(apiSection(readme));
const classes = [...declarations.matchAll(/^export class (\w+)/gm)].map((match) => match[1]);

test("declarations export the two classes", () => {
  assert.deepEqual(classes.sort(), ["Session", "SessionClient"]);
});

test("README names every top-level export", () => {
  const missing = topLevelNames(declarations).filter((name) => !documented(spans, name));
  assert.deepEqual(missing, [], `README.md does not name these exports: ${missing.join(", ")}`);
});

// The lookups of SessionClient are declared in an interface that merges
// with the class, because the package's JavaScript defines them.
const membersOf = (name) => {
  const members = memberNames(declarationBody(declarations, "class", name));
  if (declarations.includes(`export interface ${name} {`)) {
    members.push(...memberNames(declarationBody(declarations, "interface", name)));
  }
  return members;
};

for (const name of classes) {
  test(`README names every member of ${name}`, () => {
    const members = membersOf(name);
    assert.ok(members.length > 5, `found only ${members.join(", ")} in ${name}`);
    const missing = members.filter((member) => !documented(spans, member));
    assert.deepEqual(missing, [], `README.md does not name these members of ${name}: ${missing.join(", ")}`);
  });
}

test("README names every SessionClient option", () => {
  const options = memberNames(declarationBody(declarations, "interface", "SessionClientOptions"));
  assert.ok(options.includes("debug"), `options found: ${options.join(", ")}`);
  const missing = options.filter((option) => !documented(spans, option));
  assert.deepEqual(missing, [], `README.md does not name these options: ${missing.join(", ")}`);
});
