// The quick results of src/js/fast_paths.js against the glue's own methods,
// on the release bundle in pkg/.
//
// An object literal from another realm (node:vm) is a plain object to the
// module, but the quick path leaves it to the glue's method, which reads it in
// Rust and builds the decision there. So `decide(id, foreign(options))` is the
// reference result for `decide(id, options)`.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import vm from "node:vm";

import { generateDocument } from "../../bench/generate.mjs";
import { startMock } from "./mock.mjs";

const root = new URL("../../", import.meta.url);
const { initSync, Session, SessionClient } = await import(new URL("pkg/zephr_session.js", root));
initSync({ module: readFileSync(new URL("pkg/zephr_session_bg.wasm", root)) });

const foreign = (options) => vm.runInNewContext(`(${JSON.stringify(options)})`);

const fixtureNames = readdirSync(new URL("tests/fixtures/", root)).filter((name) => name.endsWith(".json"));
const documents = [
  ...fixtureNames.map((name) => [name, readFileSync(new URL(`tests/fixtures/${name}`, root), "utf8")]),
  ["generated, 40 meters", JSON.stringify(generateDocument({ seed: 7, meters: 40, credits: 6, contentIds: 400, entitlements: 30 }))],
  // Every transform, recorded ids with `?` and `#`, an id recorded by a
  // meter and a credit, repeated entitlements and a missing source.
  [
    "transforms and repeats",
    JSON.stringify({
      access_model: {
        meters: {
          exact: { remainingCredits: 0, contentIds: ["/a?x=1", "/shared", "/h#top"], contentIdTransform: "NONE" },
          cut: { remainingCredits: 2, contentIds: ["/b?y=2", "/c#part", "/shared?z"], contentIdTransform: "STRIP_PARAMS" },
          random: { remainingCredits: 1, contentIds: ["/d", "x/e"], contentIdTransform: "PREPEND_RANDOM" },
          odd: { remainingCredits: 1, contentIds: ["/f"], contentIdTransform: "SOMETHING_ELSE" },
        },
        credits: {
          pack: { remainingCredits: 3, contentIds: ["/shared", "/g?q"], contentIdTransform: "STRIP_PARAMS" },
          none: { contentIds: ["/a"] },
        },
        delivered_entitlements: [
          { id: "premium", meteredBy: ["exact", "gone"], creditedBy: ["pack"] },
          { id: "premium", meteredBy: ["cut"], creditedBy: ["none"] },
          { id: "/shared", direct: true },
          { id: "/g", meteredBy: ["random"] },
        ],
      },
    }),
  ],
  // No STRIP_PARAMS source, so ids with `?` or `#` are looked up as they are.
  [
    "exact ids with parameters",
    JSON.stringify({
      access_model: {
        meters: { m: { remainingCredits: 1, contentIds: ["/a?x=1", "/b#c", "/plain"] } },
        delivered_entitlements: [{ id: "e", meteredBy: ["m"] }, { id: "/plain?x", direct: true }],
      },
    }),
  ],
];

// Ids that look like the document's and ids that do not: recorded content
// with and without parameters, entitlement, meter and credit ids, prototype
// names and non-ASCII text.
function contentIdsOf(session) {
  const ids = new Set(["no-such-article", "__proto__", "constructor", "toString", "é-article", "😀", "a\u0000b"]);
  for (const id of [...session.meterIds(), ...session.creditIds(), ...session.entitlementIds()]) {
    ids.add(id);
  }
  for (const source of [...session.meterIds().map((id) => session.meter(id)), ...session.creditIds().map((id) => session.credit(id))]) {
    for (const id of source.contentIds.slice(0, 20)) {
      ids.add(id);
      ids.add(`${id}?utm=x`);
      ids.add(`${id}#top`);
      ids.add(id.split(/[?#]/)[0]);
    }
  }
  ids.delete("");
  return [...ids];
}

function entitlementIdsOf(session) {
  return [undefined, "no-such-entitlement", ...session.entitlementIds(), ...session.meterIds().slice(0, 5)];
}

// Compares the quick results for each content id of `contentIdsOf` and each
// entitlement of `entitlementIdsOf` with the glue's results, on the session
// that `sessionFor(contentId)` returns. Returns the reasons seen.
function checkAgreement(text, sessionFor) {
  const reasons = new Set();
  const probe = Session.parse(text);
  const contentIds = contentIdsOf(probe);
  const entitlementIds = entitlementIdsOf(probe);
  for (const contentId of contentIds) {
    const session = sessionFor(contentId);
    const reference = session.decide(contentId, foreign({}));
    assert.equal(session.isEntitled(contentId), reference.granted, `isEntitled(${JSON.stringify(contentId)})`);
    for (const entitlementId of entitlementIds) {
      const options = entitlementId === undefined ? undefined : { entitlementId };
      const quick = session.decide(contentId, options);
      const expected = session.decide(contentId, foreign(options ?? {}));
      const call = `decide(${JSON.stringify(contentId)}, ${JSON.stringify(options)})`;
      // The text compares the keys' order too.
      assert.equal(JSON.stringify(quick), JSON.stringify(expected), call);
      assert.equal(Object.getPrototypeOf(quick), Object.prototype, call);
      reasons.add(quick.reason);
    }
  }
  return reasons;
}

// More quick calls than the 16 per id after which a session builds its maps
// of ids, for every document here (the largest has about 460 ids).
const CALLS_THAT_BUILD_MAPS = 20000;

describe("quick results agree with the glue's methods", () => {
  for (const [name, text] of documents) {
    test(`${name}, ids through the scratch buffer`, () => {
      // A new session for each content id makes too few calls to build maps.
      const reasons = checkAgreement(text, () => Session.parse(text));
      assert.ok(reasons.has("none"), `reasons seen: ${[...reasons].join(", ")}`);
    });

    test(`${name}, ids through the maps`, () => {
      const session = Session.parse(text);
      for (let call = 0; call < CALLS_THAT_BUILD_MAPS; call++) {
        session.isEntitled("warm-up");
      }
      const reasons = checkAgreement(text, () => session);
      assert.ok(reasons.has("none"), `reasons seen: ${[...reasons].join(", ")}`);
      for (const meterId of [...session.meterIds(), "no-such-meter", "__proto__"]) {
        assert.equal(session.remainingCredits(meterId), session.meter(meterId)?.remainingCredits, `remainingCredits(${meterId})`);
      }
    });
  }

  test("sample documents give every reason", () => {
    const reasons = new Set();
    for (const [, text] of documents) {
      const session = Session.parse(text);
      for (const contentId of contentIdsOf(session)) {
        for (const entitlementId of entitlementIdsOf(session)) {
          reasons.add(session.decide(contentId, entitlementId === undefined ? undefined : { entitlementId }).reason);
        }
      }
    }
    assert.deepEqual([...reasons].sort(), ["consumed", "credit", "entitlement", "exhausted", "meter", "none"]);
  });
});

describe("arguments the quick path leaves to the glue's methods", () => {
  const session = Session.parse(readFileSync(new URL("tests/fixtures/anonymous-metered.json", root), "utf8"));

  test("bad arguments throw the contract's errors", () => {
    const cases = [
      [() => session.decide(42), /^contentId must be a string, but it is a number/],
      [() => session.decide(""), /^contentId is empty/],
      [() => session.decide("a", { entitlementId: 5 }), /^entitlementId must be a string, but it is a number/],
      [() => session.decide("a", { entitlementId: "" }), /^entitlementId is empty/],
      [() => session.decide("a", { entitlement: "premium" }), /^decide options have no option "entitlement"/],
      [() => session.decide("a", ["premium"]), /^decide options must be an object, but it is an array/],
      [() => session.decide("a", "premium"), /^decide options must be an object, but it is a string/],
      [() => session.isEntitled(undefined), /^contentId is missing/],
      [() => session.isEntitled(""), /^contentId is empty/],
      [() => session.remainingCredits(""), /^meterId is empty/],
      [() => session.remainingCredits(null), /^meterId is missing/],
      [() => session.remainingCredits({}), /^meterId must be a string, but it is an object/],
    ];
    for (const [call, message] of cases) {
      assert.throws(call, { name: "ZephrSessionError", code: "invalid_argument", message }, String(call));
    }
  });

  test("an id with a lone surrogate is an invalid argument", () => {
    const cases = [
      () => session.decide("\uD800"),
      () => session.decide("article", { entitlementId: "a\uDFFF" }),
      () => session.isEntitled("\uDBFFx"),
      () => session.remainingCredits("\uDC00"),
      // After ASCII and after other characters, where the quick path
      // first finds text to check.
      () => session.isEntitled("article\uDC00"),
      () => session.isEntitled("article-é\uD800"),
      () => session.decide("article", { entitlementId: "prémium\uDBFF" }),
    ];
    for (const call of cases) {
      assert.throws(call, { name: "ZephrSessionError", code: "invalid_argument", message: /contains a lone surrogate/ }, String(call));
    }
  });

  test("an enumerable key on Object.prototype changes no decision", () => {
    const expected = JSON.stringify(session.decide("article-2000", { entitlementId: "premium" }));
    Object.defineProperty(Object.prototype, "polluted", { value: 1, enumerable: true, configurable: true });
    try {
      assert.equal(JSON.stringify(session.decide("article-2000", { entitlementId: "premium" })), expected);
      assert.equal(JSON.stringify(session.decide("article-2000", { entitlementId: "premium", __proto__: null })), expected);
    } finally {
      delete Object.prototype.polluted;
    }
  });

  test("ids of any length and script", () => {
    const text = JSON.stringify({
      access_model: {
        meters: {
          "é-meter": { remainingCredits: 4, contentIds: ["/ünïcode/ärticle", "😀".repeat(3000)] },
          long: { remainingCredits: 1, contentIds: ["x".repeat(100000)] },
        },
        delivered_entitlements: [{ id: "prémium", meteredBy: ["é-meter"] }],
      },
    });
    const odd = Session.parse(text);
    const cases = [
      ["/ünïcode/ärticle", undefined],
      ["/ünïcode/ärticle?ref=1", "prémium"],
      ["😀".repeat(3000), undefined],
      ["x".repeat(100000), undefined],
      ["x".repeat(99999), "prémium"],
      ["a", "é".repeat(5000)],
    ];
    for (const [contentId, entitlementId] of cases) {
      const options = entitlementId === undefined ? undefined : { entitlementId };
      assert.equal(
        JSON.stringify(odd.decide(contentId, options)),
        JSON.stringify(odd.decide(contentId, foreign(options ?? {}))),
        `${contentId.slice(0, 20)} (${contentId.length} units)`,
      );
    }
    assert.equal(odd.decide("x".repeat(100000)).meterId, "long");
    assert.equal(odd.decide("a", { entitlementId: "prémium" }).remainingCredits, 4);
    assert.equal(odd.remainingCredits("é-meter"), 4);
    assert.equal(odd.isEntitled("😀".repeat(3000)), true);
  });

  test("results after the memory grows", () => {
    const first = Session.parse(readFileSync(new URL("tests/fixtures/anonymous-metered.json", root), "utf8"));
    assert.equal(first.decide("article-2000", { entitlementId: "premium" }).reason, "meter");
    // A large document makes the module grow its memory, which gives the
    // glue a new buffer to write into.
    const large = Session.parse(JSON.stringify(generateDocument({ seed: 3, meters: 2000, credits: 200, contentIds: 40000, entitlements: 500 })));
    assert.equal(first.decide("article-2000", { entitlementId: "premium" }).reason, "meter");
    assert.equal(first.remainingCredits("monthly-free"), 3);
    assert.equal(first.isEntitled("article-1002"), true);
    large.free();
  });

  test("options with null, undefined and a null prototype", () => {
    assert.equal(session.decide("article-2000", null).reason, "none");
    assert.equal(session.decide("article-2000", { entitlementId: undefined }).reason, "none");
    assert.equal(session.decide("article-2000", { entitlementId: null }).reason, "none");
    const bare = Object.create(null);
    bare.entitlementId = "premium";
    assert.equal(session.decide("article-2000", bare).reason, "meter");
  });

  test("a getter runs once on the glue's path", () => {
    let reads = 0;
    const wrongType = {
      get entitlementId() {
        reads += 1;
        return reads === 1 ? 5 : "premium";
      },
    };
    assert.throws(() => session.decide("article-2000", wrongType), {
      code: "invalid_argument",
      message: /^entitlementId must be a string, but it is a number/,
    });
    assert.equal(reads, 1);
  });

  test("a bad content id leaves the options unread", () => {
    let reads = 0;
    const options = {
      get entitlementId() {
        reads += 1;
        return "premium";
      },
    };
    assert.throws(() => session.decide("a\uD800", options), { code: "invalid_argument", message: /contains a lone surrogate/ });
    assert.throws(() => session.decide("", options), { code: "invalid_argument", message: /^contentId is empty/ });
    assert.equal(reads, 0);
  });

  test("a getter runs once on the quick path", () => {
    let reads = 0;
    const options = {
      get entitlementId() {
        reads += 1;
        return "premium";
      },
    };
    assert.equal(session.decide("article-2000", options).reason, "meter");
    assert.equal(reads, 1);
  });

  test("helpers are off the prototype", () => {
    for (const name of ["__verdictCode", "__sourceId", "__sourceRemaining", "__meterCounts"]) {
      assert.equal(name in Session.prototype, false, name);
    }
    assert.equal("__scratch" in Session, false);
    for (const name of ["decide", "isEntitled", "remainingCredits"]) {
      const descriptor = Object.getOwnPropertyDescriptor(Session.prototype, name);
      assert.equal(descriptor.enumerable, false, name);
      assert.equal(descriptor.value.name, name);
    }
    assert.equal(Session.prototype.decide.length, 2);
  });

  test("the warm-up calls no page wrapper", () => {
    // A new process, so that the module loads again and schedules its task.
    const script = `
      import { readFileSync } from "node:fs";
      const { initSync, Session } = await import(${JSON.stringify(new URL("pkg/zephr_session.js", root).href)});
      let wrapped = 0;
      for (const name of ["decide", "isEntitled", "remainingCredits"]) {
        const original = Session.prototype[name];
        Session.prototype[name] = function (...args) {
          wrapped += 1;
          return original.apply(this, args);
        };
      }
      initSync({ module: readFileSync(${JSON.stringify(new URL("pkg/zephr_session_bg.wasm", root).pathname)}) });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const warmUp = Session.prototype[Symbol.for("zephr-session.warm-up")];
      console.log(JSON.stringify({ wrapped, warmUp: typeof warmUp }));
    `;
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    assert.deepEqual(JSON.parse(output), { wrapped: 0, warmUp: "function" });
  });

  test("loading schedules one warm-up", () => {
    // A new process, so that the module loads again and schedules its task.
    const script = `
      import { readFileSync } from "node:fs";
      const { initSync, Session } = await import(${JSON.stringify(new URL("pkg/zephr_session.js", root).href)});
      const tasks = [];
      const platformTimeout = globalThis.setTimeout;
      globalThis.setTimeout = (task, delay) => {
        tasks.push({ kind: typeof task, delay });
        return platformTimeout(task, delay);
      };
      initSync({ module: readFileSync(${JSON.stringify(new URL("pkg/zephr_session_bg.wasm", root).pathname)}) });
      globalThis.setTimeout = platformTimeout;
      // The warm-up reads the method under this symbol through Reflect.get,
      // so counting those reads counts the warm-ups.
      const key = Symbol.for("zephr-session.warm-up");
      let warmUps = 0;
      const get = Reflect.get;
      Reflect.get = (target, property, ...rest) => {
        if (property === key) warmUps += 1;
        return get(target, property, ...rest);
      };
      await new Promise((resolve) => setTimeout(resolve, 50));
      console.log(JSON.stringify({ tasks, warmUps }));
    `;
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    assert.deepEqual(JSON.parse(output), { tasks: [{ kind: "function", delay: 0 }], warmUps: 1 });
  });

  test("a freed session throws", () => {
    const freed = Session.parse(readFileSync(new URL("tests/fixtures/anonymous-metered.json", root), "utf8"));
    // Called once, so that the session's meters are cached in JavaScript.
    assert.equal(freed.remainingCredits("monthly-free"), 3);
    assert.equal(freed.decide("article-2000", { entitlementId: "premium" }).meterId, "monthly-free");
    freed.free();
    const error = (name, verb = "call") => ({
      name: "ZephrSessionError",
      code: "invalid_argument",
      status: undefined,
      message: `Session.${name} was ${verb === "read" ? "read" : "called"} on a Session that was freed, or on another object; ${verb} it on a Session that is in use, and drop references to one after free()`,
    });
    assert.throws(() => freed.decide("article-2000", { entitlementId: "premium" }), error("decide"));
    assert.throws(() => freed.isEntitled("a"), error("isEntitled"));
    assert.throws(() => freed.remainingCredits("monthly-free"), error("remainingCredits"));
    assert.throws(() => freed.remainingCredits("m"), error("remainingCredits"));
    assert.throws(() => freed.meter("monthly-free"), error("meter"));
    assert.throws(() => freed.warnings, error("warnings", "read"));
    assert.throws(() => JSON.stringify(freed), error("toJSON"));
    assert.throws(() => Session.prototype.meterIds(), error("meterIds"));
    assert.throws(() => Session.prototype.decide.call(undefined, "a"), error("decide"));
  });

  test("freed objects never trap the module", () => {
    const text = readFileSync(new URL("tests/fixtures/anonymous-metered.json", root), "utf8");
    const live = Session.parse(text);
    const freed = Session.parse(text);
    freed.free();

    // wasm-bindgen's own methods, which throw from inside the module, made
    // it trap after 6,500 to 11,000 such calls.
    const calls = [
      () => freed.decide("a"),
      () => freed.isEntitled("a"),
      () => freed.remainingCredits("x"),
      () => freed.meter("m"),
      () => freed.isAuthenticated,
    ];
    let thrown = 0;
    for (let round = 0; round < 10000; round++) {
      for (const call of calls) {
        try {
          call();
        } catch (error) {
          if (error.code === "invalid_argument") {
            thrown += 1;
          }
        }
      }
    }
    assert.equal(thrown, 50000);

    assert.equal(JSON.stringify(live.decide("article-2000", { entitlementId: "premium" })), JSON.stringify({
      granted: true,
      reason: "meter",
      entitlementId: "premium",
      meterId: "monthly-free",
      remainingCredits: 3,
    }));
    assert.equal(Session.parse(text).remainingCredits("monthly-free"), 3);
  });

  test("guarded methods keep their names and lengths", () => {
    assert.equal(Session.prototype.meter.name, "meter");
    assert.equal(Session.prototype.meter.length, 1);
    assert.equal(Session.prototype.isExpired.length, 1);
    assert.equal(SessionClient.prototype.fetchSession.name, "fetchSession");
    assert.equal(SessionClient.prototype.fetchSession.length, 2);
    assert.equal(Object.getOwnPropertyDescriptor(Session.prototype, "warnings").get.name, "get warnings");
  });

  test("a second free does nothing", () => {
    const session = Session.parse("{}");
    session.free();
    assert.equal(session.free(), undefined);
    if (Symbol.dispose) {
      assert.equal(session[Symbol.dispose](), undefined);
    }
  });

  test("a freed client throws or rejects", async () => {
    // The base URL is never requested: every call below fails before a request.
    const client = new SessionClient({ baseUrl: "http://127.0.0.1:9", site: "www" });
    assert.equal(client.site, "www");
    client.free();
    const error = (name) => ({
      name: "ZephrSessionError",
      code: "invalid_argument",
      message: new RegExp(`^SessionClient\\.${name} was (called|read) on a SessionClient that was freed`),
    });
    assert.throws(() => client.site, { message: /^SessionClient\.site was read on a SessionClient that was freed/ });
    assert.throws(() => client.baseUrl, { message: /^SessionClient\.baseUrl was read on a SessionClient/ });
    assert.throws(() => client.clear(), error("clear"));
    assert.throws(() => client.subscribe(() => {}), error("subscribe"));
    await assert.rejects(client.fetchSession("s"), error("fetchSession"));
    await assert.rejects(client.refresh("s"), error("refresh"));
    await assert.rejects(client.refreshUntil("s", () => true), error("refreshUntil"));
    assert.equal(client.free(), undefined);
  });
});

describe("a client created with debug: true", () => {
  let mock;

  before(async () => {
    mock = await startMock();
  });

  after(() => {
    mock?.stop();
  });

  test("logs each decision, which the glue's methods make", async () => {
    const lines = [];
    const original = console.debug;
    console.debug = (line) => lines.push(line);
    try {
      const client = new SessionClient({ baseUrl: mock.url, site: "ok", debug: true });
      const session = await client.fetchSession("reader-1");
      lines.length = 0;
      assert.deepEqual(session.decide("article-1", { entitlementId: "premium" }), {
        granted: true,
        reason: "meter",
        entitlementId: "premium",
        meterId: "monthly-free",
        remainingCredits: 2,
      });
      assert.equal(session.isEntitled("article-1"), false);
      assert.equal(lines.length, 2, lines.join("\n"));
      assert.match(lines[0], /^\[zephr-session\] decide/);
      assert.match(lines[1], /^\[zephr-session\] isEntitled/);
      lines.length = 0;
      assert.equal(session.remainingCredits("monthly-free"), 2);
      assert.deepEqual(lines, []);
    } finally {
      console.debug = original;
    }
  });
});
