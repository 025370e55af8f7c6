// Checks the benchmark's plain-JavaScript baseline (bench/baseline.js)
// against the release bundle in pkg/. Both must return the same decisions,
// remaining credits and error codes on every sample document, on generated
// documents and on documents made to hit the edges of the access rules. The
// benchmark times the two against each other, so a difference here would
// make its figures compare different work.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";

import { BaselineSession } from "../../bench/baseline.js";
import { compareResults, compareParsing } from "../../bench/agreement.mjs";
import { DOCUMENT_SPECS, benchmarkDocuments } from "../../bench/generate.mjs";

const root = new URL("../../", import.meta.url);
const { initSync, Session } = await import(new URL("pkg/zephr_session.js", root));
initSync({ module: readFileSync(new URL("pkg/zephr_session_bg.wasm", root)) });

function assertAgreement(name, text, options = {}) {
  const { compared, differences } = compareResults({ Module: Session, Baseline: BaselineSession, name, text, ...options });
  assert.ok(compared > 50, `only ${compared} answers were compared`);
  assert.deepEqual(differences, [], `the baseline differs from the module:\n${differences.join("\n")}`);
}

/**
 * Documents that reach the edges of the rules, as JSON text, because some
 * of them (escaped lone surrogates, numbers beyond a double) cannot be
 * written as JavaScript objects.
 */
const EDGE_DOCUMENTS = {
  // Rust orders ids by code point, so U+1F600 sorts after U+FFFD, unlike
  // JavaScript's default string order.
  "code point order": JSON.stringify({
    access_model: {
      meters: {
        "\u{1F600}": { remainingCredits: 1, contentIds: ["shared"] },
        "\uFFFD": { remainingCredits: 1, contentIds: ["shared"] },
        "\uE000": { remainingCredits: 1, contentIds: ["shared", "e000-only"] },
        Z: { remainingCredits: 0, contentIds: ["later"] },
        a: { remainingCredits: 0, contentIds: ["later"] },
      },
      credits: { "\u{10000}": { contentIds: ["shared"] }, "\uFFFF": { contentIds: ["shared"] } },
    },
  }),
  "lone surrogates and huge numbers": String.raw`{"access_model":{"meters":{
    "\ud800": {"remainingCredits": 1e400, "contentIds": ["\udc00x", "plain"]},
    "m-neg-zero": {"remainingCredits": -0, "contentIds": []},
    "m-float-int": {"remainingCredits": 3.0, "contentIds": []},
    "m-too-big": {"remainingCredits": 9007199254740992, "contentIds": []},
    "m-max": {"remainingCredits": 9007199254740991, "contentIds": []},
    "m-neg": {"remainingCredits": -7, "contentIds": []}},
    "delivered_entitlements": [
      {"id": "\udbff", "direct": true},
      {"id": "e", "meteredBy": ["m-float-int", "m-max"]}]}}`,
  "repeated keys and entitlements": `{"access_model":{
    "meters": {"m": {"remainingCredits": 0, "contentIds": ["first"]}, "m": {"remainingCredits": 2, "contentIds": ["second"]}},
    "credits": {"c": {"remainingCredits": 4, "contentIds": ["/paid?x=1"], "contentIdTransform": "STRIP_PARAMS"}},
    "delivered_entitlements": [
      {"id": "premium", "direct": false, "meteredBy": ["missing-meter"], "creditedBy": []},
      {"id": "premium", "direct": "yes", "meteredBy": ["m", "m"], "creditedBy": ["c", "gone"]},
      {"id": "premium", "direct": false, "meteredBy": [], "creditedBy": ["c"]},
      {"id": "basic", "direct": false},
      {"id": "basic", "direct": true},
      {"id": "", "direct": true},
      {"direct": true}, "premium", null, 7]}}`,
  "wrong types everywhere": JSON.stringify({
    access_model: {
      meters: {
        ["__proto__"]: { remainingCredits: 2, contentIds: ["proto-article"] },
        constructor: { remainingCredits: 1, contentIds: ["ctor-article"], contentIdTransform: "LOWERCASE" },
        "null-meter": null,
        "number-meter": 5,
        "array-meter": [],
        "strings-meter": { remainingCredits: "3", contentIds: "not-a-list", contentIdTransform: 4 },
        "mixed-ids": { remainingCredits: 1, contentIds: [1, null, "mixed-article", { id: "x" }, ["y"]] },
        "random-prefix": { remainingCredits: 1, contentIds: ["abc123-article-9"], contentIdTransform: "PREPEND_RANDOM" },
        "strip-fragment": { remainingCredits: 0, contentIds: ["/a#b?c", "/x?y#z"], contentIdTransform: "STRIP_PARAMS" },
      },
      credits: [],
      delivered_entitlements: [
        { id: "premium", meteredBy: "mixed-ids", creditedBy: [3, "strip-fragment"] },
        { id: "paged", meteredBy: ["random-prefix", "strip-fragment", "__proto__"] },
      ],
    },
  }),
  "empty access model": '{"access_model": []}',
  "access model of the wrong type": '{"access_model": "none", "meters": {"m": {"remainingCredits": 1}}}',
  "empty object": "{}",
};

describe("baseline agrees with the module", () => {
  test("bad documents and options", () => {
    const differences = compareParsing({ Module: Session, Baseline: BaselineSession });
    assert.deepEqual(differences, [], differences.join("\n"));
  });

  const fixtures = readdirSync(new URL("tests/fixtures/", root)).filter((file) => file.endsWith(".json"));
  test("sample documents are all checked", () => {
    assert.ok(fixtures.length >= 8, `found ${fixtures.length} sample documents`);
  });
  for (const file of fixtures) {
    test(`sample ${file}`, () => {
      assertAgreement(file, readFileSync(new URL(`tests/fixtures/${file}`, root), "utf8"));
    });
  }

  for (const [name, text] of Object.entries(EDGE_DOCUMENTS)) {
    test(`edge case: ${name}`, () => {
      assertAgreement(name, text);
    });
  }

  const generated = benchmarkDocuments(DOCUMENT_SPECS.filter((spec) => ["large", "size-100kb", "content-ids-10000"].includes(spec.name)));
  for (const { name, text } of generated) {
    // Every content id of the large document, sampled ids of the others.
    test(`generated ${name}`, () => {
      assertAgreement(name, text, { exhaustive: name === "large" });
    });
  }
});

describe("agreement check", () => {
  test("reports a changed answer", () => {
    // A baseline that drops the remainingCredits of one meter must be caught.
    class DroppingBaseline extends BaselineSession {
      static parse(text, options) {
        return Object.setPrototypeOf(BaselineSession.parse(text, options), DroppingBaseline.prototype);
      }

      static fromJson(value, options) {
        return Object.setPrototypeOf(BaselineSession.fromJson(value, options), DroppingBaseline.prototype);
      }

      remainingCredits(meterId) {
        return meterId === "monthly-free" ? undefined : super.remainingCredits(meterId);
      }
    }
    const text = readFileSync(new URL("tests/fixtures/anonymous-metered.json", root), "utf8");
    const { differences } = compareResults({ Module: Session, Baseline: DroppingBaseline, name: "dropping", text });
    assert.ok(
      differences.some((line) => line.includes('remainingCredits("monthly-free"): module 3, baseline undefined')),
      differences.join("\n"),
    );
  });
});
