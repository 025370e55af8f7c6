// The release bundle in Node 20: every expected answer for the sample
// documents through the JavaScript API, and SessionClient over Node's global
// fetch against the mock lookup. Loading the wasm-opt output here catches a
// miscompiled bundle that the unoptimized browser tests cannot see.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import vm from "node:vm";

import { startMock } from "./mock.mjs";

const root = new URL("../../", import.meta.url);
const { initSync, Session, SessionClient } = await import(new URL("pkg/zephr_session.js", root));
const exportsOfModule = initSync({ module: readFileSync(new URL("pkg/zephr_session_bg.wasm", root)) });

test("init resolves to exports with memory", () => {
  // The build renames the other exports, and keeps this one, which InitOutput declares.
  assert.ok(exportsOfModule.memory instanceof WebAssembly.Memory);
  assert.ok(exportsOfModule.memory.buffer.byteLength > 0);
});

function fixture(name, options) {
  const text = readFileSync(new URL(`tests/fixtures/${name}.json`, root), "utf8");
  return Session.parse(text, options);
}

function iso(date) {
  return date instanceof Date ? date.toISOString() : date;
}

describe("expected answers for the sample documents", () => {
  test("seed-session", () => {
    const session = fixture("seed-session");
    assert.equal(session.remainingCredits("property1"), 5);
    assert.equal(session.remainingCredits("nope"), undefined);
    assert.deepEqual(session.decide("0123456789ABCD"), {
      granted: true,
      reason: "entitlement",
      entitlementId: "0123456789ABCD",
    });
    assert.deepEqual(session.decide("123456789ABCD"), {
      granted: true,
      reason: "consumed",
      meterId: "property1",
    });
    assert.equal(session.isEntitled("ABCD"), false);
    assert.equal(session.decide("ABCD").reason, "none");
    assert.equal(session.hasBundle("e10a5ff3-fc63-47fb-af04-75c2ec3fdf1c"), true);
    assert.equal(iso(session.currentSession().expiryDate), "2025-02-08T14:29:00.000Z");
    assert.deepEqual(session.warnings, []);
  });

  test("anonymous-metered", () => {
    const session = fixture("anonymous-metered");
    assert.deepEqual(session.decide("article-2000", { entitlementId: "premium" }), {
      granted: true,
      reason: "meter",
      entitlementId: "premium",
      meterId: "monthly-free",
      remainingCredits: 3,
    });
    const consumed = session.decide("article-1002", { entitlementId: "premium" });
    assert.equal(consumed.reason, "consumed");
    assert.equal(consumed.meterId, "monthly-free");
    assert.equal(session.isEntitled("article-2000"), false);
    assert.equal(session.decide("article-2000").reason, "none");
    assert.equal(session.isAuthenticated, false);
    assert.equal(iso(session.meter("monthly-free").refreshTime), "2027-01-01T00:00:00.000Z");
    assert.equal(session.testGroup("paywall-copy"), "B");
    assert.equal(session.sessionVariable("landing"), "home");
  });

  test("subscriber", () => {
    const session = fixture("subscriber", { sessionId: "0a1b2c3d-4e5f-4061-8273-9a8b7c6d5e4f" });
    assert.equal(session.decide("any-article", { entitlementId: "premium" }).reason, "entitlement");
    assert.equal(session.currentSession().device, "mobile");
    assert.equal(session.isExpired(new Date("2026-12-04T00:00:00Z")), true);
    assert.deepEqual(session.entitlementIds(), ["premium", "newsletter-archive"]);
    assert.equal(session.secondPartyData("segment"), "loyal-reader");
    assert.equal(session.version, 12);
    assert.equal(iso(session.lastUpdated), new Date(1796120000000).toISOString());
  });

  test("meter-exhausted", () => {
    const session = fixture("meter-exhausted");
    assert.deepEqual(session.decide("article-6", { entitlementId: "premium" }), {
      granted: false,
      reason: "exhausted",
      entitlementId: "premium",
    });
    assert.equal(session.decide("article-3", { entitlementId: "premium" }).reason, "consumed");
    assert.equal(session.hasEntitlement("premium"), true);
  });

  test("transforms", () => {
    const session = fixture("transforms");
    assert.deepEqual(session.decide("article-77", { entitlementId: "section-politics" }), {
      granted: true,
      reason: "meter",
      entitlementId: "section-politics",
      meterId: "page-views",
      remainingCredits: 8,
    });
    const stripped = session.decide("/sport/final-score?utm=x", { entitlementId: "section-politics" });
    assert.equal(stripped.reason, "consumed");
    assert.equal(stripped.creditId, "url-pack");
  });

  test("odd-dates", () => {
    const session = fixture("odd-dates");
    const expiry = Object.fromEntries(session.sessions().map((entry) => [entry.sessionId, iso(entry.expiryDate)]));
    assert.equal(expiry["s-12h-afternoon"], "2025-02-08T14:29:00.000Z");
    assert.equal(expiry["s-12h-midnight"], "2025-02-09T00:05:00.000Z");
    assert.equal(expiry["s-contradiction"], undefined);
    assert.equal(expiry["s-garbage"], undefined);
    assert.equal(expiry["s-iso"], "2024-02-08T08:48:33.056Z");
    assert.ok(session.warnings.some((warning) => warning.startsWith("sessions[3].expiryDate")));
    assert.ok(session.warnings.some((warning) => warning.startsWith("sessions[5].expiryDate")));
  });

  test("docs-empty-arrays", () => {
    const session = fixture("docs-empty-arrays");
    assert.equal(session.remainingCredits("x"), undefined);
    assert.deepEqual(session.warnings, []);
  });

  test("wrong-types", () => {
    const session = fixture("wrong-types");
    assert.equal(session.remainingCredits("good"), 4);
    assert.equal(session.remainingCredits("credits-as-string"), undefined);
    assert.equal(session.remainingCredits("fractional"), undefined);
    assert.equal(session.remainingCredits("negative"), 0);
    assert.equal(session.isEntitled("sports"), true);
    assert.equal(session.isEntitled("premium"), false);
    assert.deepEqual(session.toJSON().future_field, { kept: true });
    assert.ok(
      session.warnings.includes("access_model.meters.negative.remainingCredits: -1 is negative; read as 0"),
    );
  });

  test("toJSON round-trips through JSON.stringify", () => {
    for (const name of ["seed-session", "wrong-types", "subscriber"]) {
      const text = readFileSync(new URL(`tests/fixtures/${name}.json`, root), "utf8");
      assert.equal(JSON.stringify(Session.parse(text)), JSON.stringify(JSON.parse(text)), name);
    }
  });

  test("fromJson agrees with parse", () => {
    const text = readFileSync(new URL("tests/fixtures/transforms.json", root), "utf8");
    const fromValue = Session.fromJson(JSON.parse(text));
    assert.deepEqual(fromValue.decide("/sport/final-score?utm=x", { entitlementId: "section-politics" }),
      Session.parse(text).decide("/sport/final-score?utm=x", { entitlementId: "section-politics" }));
  });

  test("fromJson rejects values that are not plain objects", () => {
    const cases = [
      ['{"v": 1}', /a string of 8 characters; use Session.parse/],
      [new Map([["v", 1]]), /an instance of Map, not a plain object/],
      [new Date(0), /an instance of Date, not a plain object/],
      [() => ({}), /a function, which has no JSON form/],
      [Symbol("document"), /a symbol, which has no JSON form/],
      [undefined, /undefined; pass the parsed JSON object/],
      [[{ v: 1 }], /must be a JSON object, but it is an array of 1 item; pass the document object as the session lookup returns it$/],
    ];
    for (const [value, message] of cases) {
      assert.throws(() => Session.fromJson(value), { name: "ZephrSessionError", code: "invalid_response", message });
    }
    assert.equal(Session.fromJson(Object.assign(Object.create(null), { v: 3 })).version, 3);
    const orphan = Object.assign(Object.create(Object.create(null)), { v: 3 });
    assert.throws(() => Session.fromJson(orphan), {
      name: "ZephrSessionError",
      code: "invalid_response",
      message: /an instance of a class, not a plain object/,
    });
  });

  test("an option getter that throws is an invalid argument", () => {
    const session = fixture("anonymous-metered");
    const options = {
      get entitlementId() {
        throw new RangeError("secret detail");
      },
    };
    assert.throws(() => session.decide("article-1", options), (error) => {
      assert.equal(error.name, "ZephrSessionError");
      assert.equal(error.code, "invalid_argument");
      assert.match(error.message, /reading the option entitlementId threw RangeError/);
      assert.doesNotMatch(error.message, /secret detail/);
      return true;
    });
  });

  test("wrong argument types name the type and the fix", () => {
    const session = fixture("anonymous-metered");
    assert.throws(() => session.decide(42), { message: "contentId must be a string, but it is a number; pass a non-empty string" });
    assert.throws(() => session.decide("a", "premium"), {
      message: "decide options must be an object, but it is a string; pass an object with the options entitlementId, or leave it out",
    });
    assert.throws(() => session.decide("\ud800"), { code: "invalid_argument", message: /lone surrogate, which no id or URL can hold/ });
  });

  test("__proto__ is an ordinary meter id", () => {
    const session = Session.parse('{"access_model":{"meters":{"__proto__":{"remainingCredits":2}}}}');
    assert.equal(session.remainingCredits("__proto__"), 2);
    assert.deepEqual(session.meterIds(), ["__proto__"]);
    assert.equal(Object.getPrototypeOf(session.toJSON().access_model.meters), Object.prototype);
  });

  test("new Session() points to the factories", () => {
    assert.throws(() => new Session(), { name: "ZephrSessionError", code: "invalid_argument", message: /Session.parse/ });
  });

  test("isExpired rejects dates beyond the Date range", () => {
    const session = fixture("seed-session");
    assert.throws(() => session.isExpired(1e20), { code: "invalid_argument" });
    assert.throws(() => session.isExpired(new Date(NaN)), { code: "invalid_argument" });
    assert.equal(session.isExpired(8.64e15), true);
  });

  test("misspelled options are rejected", async () => {
    const session = fixture("anonymous-metered");
    assert.throws(() => session.decide("article-2000", { entitlement: "premium" }), {
      name: "ZephrSessionError",
      code: "invalid_argument",
      message: /no option "entitlement"; the options are entitlementId/,
    });
    assert.throws(() => Session.parse("{}", { sessionID: "x" }), { code: "invalid_argument", message: /sessionID/ });
    const client = new SessionClient({ baseUrl: "http://127.0.0.1:9", site: "www", retries: 0 });
    await assert.rejects(client.fetchSession("x", { fersh: true }), { code: "invalid_argument", message: /fersh/ });
    await assert.rejects(client.refreshUntil("x", () => true, { attempt: 1 }), {
      code: "invalid_argument",
      message: /attempt/,
    });
  });

  test("option ranges are named in messages", async () => {
    const options = { baseUrl: "http://127.0.0.1:9", site: "www" };
    assert.throws(() => new SessionClient({ ...options, maxBytes: 0 }), { message: /maxBytes must be a number from 1 to/ });
    assert.throws(() => new SessionClient({ ...options, maxBytes: Infinity }), { message: /but it is Infinity/ });
    const client = new SessionClient(options);
    await assert.rejects(client.refreshUntil("x", () => true, { attempts: -1 }), {
      message: /attempts must be a number from 1 to 1000, but it is -1/,
    });
  });

  test("a thrown error leaves the module usable", () => {
    const session = fixture("seed-session");
    assert.throws(() => session.decide(""), { name: "ZephrSessionError", code: "invalid_argument" });
    assert.throws(() => Session.parse("[1]"), { name: "ZephrSessionError", code: "invalid_response" });
    assert.equal(session.remainingCredits("property1"), 5);
  });

  test("prototype properties leave answers intact", () => {
    // A page may define setters or read-only properties on Object.prototype.
    // The objects the module returns own every field, so neither can change
    // a result or make a call throw.
    const keys = ["granted", "reason", "entitlementId", "meterId", "creditId", "remainingCredits", "code", "status", "id", "name"];
    const polluters = {
      "a setter that drops values": { get: () => "polluted", set() {} },
      "a read-only value": { value: "polluted", writable: false },
    };
    const session = fixture("anonymous-metered");
    for (const [kind, descriptor] of Object.entries(polluters)) {
      for (const key of keys) {
        Object.defineProperty(Object.prototype, key, { ...descriptor, configurable: true });
      }
      Object.defineProperty(Error.prototype, "name", { ...descriptor, configurable: true });
      try {
        assert.deepEqual({ ...session.decide("article-2000", { entitlementId: "premium" }) }, {
          granted: true,
          reason: "meter",
          entitlementId: "premium",
          meterId: "monthly-free",
          remainingCredits: 3,
        }, kind);
        assert.deepEqual({ ...session.decide("article-2000") }, { granted: false, reason: "none" }, kind);
        assert.equal(session.meter("monthly-free").id, "monthly-free", kind);
        assert.equal(Object.hasOwn(session.meter("monthly-free"), "remainingCredits"), true, kind);
        let error;
        try {
          session.decide("");
        } catch (thrown) {
          error = thrown;
        }
        assert.equal(Object.hasOwn(error, "code") && error.code, "invalid_argument", kind);
        assert.equal(Object.hasOwn(error, "name") && error.name, "ZephrSessionError", kind);
      } finally {
        for (const key of keys) {
          delete Object.prototype[key];
        }
        Object.defineProperty(Error.prototype, "name", { value: "Error", writable: true, configurable: true, enumerable: false });
      }
    }
  });

  test("options must be plain objects", () => {
    const session = fixture("anonymous-metered");
    class Options {
      entitlementId = "premium";
    }
    const cases = [
      [new Map([["entitlementId", "premium"]]), "an instance of Map"],
      [new Date(0), "an instance of Date"],
      [new Options(), "an instance of Options"],
      [Object.create({ entitlementId: "premium" }), "an object whose prototype is not Object.prototype"],
    ];

    for (const [options, described] of cases) {
      assert.throws(() => session.decide("article-2000", options), {
        name: "ZephrSessionError",
        code: "invalid_argument",
        message: `decide options must be a plain object, but it is ${described}; pass an object literal with the options entitlementId, or leave it out`,
      });
    }

    // An object literal from another realm, such as an iframe, is plain too.
    const foreign = vm.runInNewContext('({ entitlementId: "premium" })');
    assert.equal(session.decide("article-2000", foreign).reason, "meter");
    assert.equal(session.decide("article-2000", Object.create(null)).reason, "none");
    const text = readFileSync(new URL("tests/fixtures/anonymous-metered.json", root), "utf8");
    assert.equal(Session.fromJson(vm.runInNewContext(`(${text})`)).remainingCredits("monthly-free"), 3);

    assert.throws(() => new SessionClient(new Date(0)), {
      name: "ZephrSessionError",
      message: "SessionClient options must be a plain object with baseUrl and site, but they are an instance of Date",
    });
    // The client sends no request here: it rejects the headers when it is
    // created.
    const headerErrors = [
      [{ "bad name": "x" }, 'header "bad…" has an invalid name, shown up to its first character that a name cannot hold; use letters, digits and !#$%&\'*+-.^_`|~ only'],
      [{ "": "x" }, 'header "" has an invalid name, shown up to its first character that a name cannot hold; use letters, digits and !#$%&\'*+-.^_`|~ only'],
      // A name that carries a value shows none of it.
      [{ "X-Token: secret": "x" }, 'header "X-Token…" has an invalid name, shown up to its first character that a name cannot hold; use letters, digits and !#$%&\'*+-.^_`|~ only'],
      [{ "X-Token: secret": 1 }, 'header "X-Token…" must have a string value, but it is a number'],
      [{ "X-Ok": "line\nbreak" }, 'header "X-Ok" has an invalid value; use Latin-1 text without line breaks or NUL characters'],
      [{ "X-Ok": "snow ☃" }, 'header "X-Ok" has an invalid value; use Latin-1 text without line breaks or NUL characters'],
    ];
    for (const [headers, message] of headerErrors) {
      assert.throws(() => new SessionClient({ baseUrl: "http://127.0.0.1:9", site: "www", headers }), {
        name: "ZephrSessionError",
        code: "invalid_argument",
        message,
      });
    }
    assert.throws(() => new SessionClient({ baseUrl: "http://127.0.0.1:9", site: "www", headers: new Date(0) }), {
      name: "ZephrSessionError",
      message: "headers must be a plain object, a Headers, a Map or an array of pairs, but it is an instance of Date",
    });
  });

  test("options that throw when read fail cleanly", () => {
    const session = fixture("anonymous-metered");
    const throwing = new Proxy({}, {
      ownKeys() {
        throw new RangeError("no keys");
      },
    });
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    // Each call must fail as a ZephrSessionError. An exception that left
    // the module unwound through WebAssembly would leak its stack, so many
    // calls in a row would end in a trap.
    for (let round = 0; round < 10_000; round++) {
      assert.throws(() => session.decide("article-1", throwing), {
        name: "ZephrSessionError",
        code: "invalid_argument",
        message: "decide options could not be read: inspecting them threw RangeError; pass a plain object",
      });
    }
    assert.throws(() => session.decide("article-1", revoked), {
      name: "ZephrSessionError",
      message: "decide options could not be read: inspecting them threw TypeError; pass a plain object",
    });
    assert.throws(() => Session.parse("{}", throwing), { name: "ZephrSessionError", code: "invalid_argument" });
    assert.throws(() => Session.fromJson(revoked), { name: "ZephrSessionError", code: "invalid_response" });
    const headerCases = [
      throwing,
      revoked,
      {
        [Symbol.iterator]() {
          return { next: () => { throw new RangeError("no entries"); } };
        },
      },
    ];
    for (const headers of headerCases) {
      assert.throws(() => new SessionClient({ baseUrl: "http://127.0.0.1:9", site: "www", headers }), {
        name: "ZephrSessionError",
        code: "invalid_argument",
        message: /^headers could not be read: inspecting them threw (RangeError|TypeError); pass a plain object, a Headers, a Map or an array of pairs$/,
      });
    }
    assert.equal(session.remainingCredits("monthly-free"), 3);
    session.free();
    assert.equal(fixture("seed-session").remainingCredits("property1"), 5);
  });

  test("client checks survive hostile proxies", async () => {
    // A Proxy whose getPrototypeOf trap throws makes `instanceof` throw.
    const opaque = new Proxy({}, {
      getPrototypeOf() {
        throw new RangeError("no prototype");
      },
    });
    const client = new SessionClient({ baseUrl: "http://127.0.0.1:9", site: "www" });
    await assert.rejects(client.fetchSession("abc", { signal: opaque }), {
      name: "ZephrSessionError",
      code: "invalid_argument",
      message: "signal must be an AbortSignal, but it is an object",
    });
    // The options throw `opaque` itself when inspected, so the message
    // names what was thrown by its type.
    const throwsOpaque = new Proxy({}, {
      getPrototypeOf() {
        throw opaque;
      },
    });
    assert.throws(() => new SessionClient(throwsOpaque), {
      name: "ZephrSessionError",
      code: "invalid_argument",
      message: "SessionClient options could not be read: inspecting them threw an object; pass a plain object",
    });
  });

  test("decisions name many meters and credits", () => {
    // Twenty meters and twenty credits, decided in three orders, so that an
    // id kept from an earlier decision would show up as a wrong id.
    const meters = {};
    const credits = {};
    const entitlements = [];
    for (let index = 0; index < 20; index++) {
      meters[`meter-${index}`] = { remainingCredits: index + 1, contentIds: [] };
      credits[`credit-${index}`] = { remainingCredits: index + 1, contentIds: [] };
      entitlements.push({ id: `via-meter-${index}`, direct: false, meteredBy: [`meter-${index}`], creditedBy: [] });
      entitlements.push({ id: `via-credit-${index}`, direct: false, meteredBy: [], creditedBy: [`credit-${index}`] });
    }
    const session = Session.fromJson({
      access_model: { meters, credits, delivered_entitlements: entitlements },
    });
    const order = [...Array(20).keys()];
    for (const indexes of [order, [...order].reverse(), order]) {
      for (const index of indexes) {
        assert.deepEqual(session.decide("article", { entitlementId: `via-meter-${index}` }), {
          granted: true,
          reason: "meter",
          entitlementId: `via-meter-${index}`,
          meterId: `meter-${index}`,
          remainingCredits: index + 1,
        });
        const decision = session.decide("article", { entitlementId: `via-credit-${index}` });
        assert.deepEqual(decision, {
          granted: true,
          reason: "credit",
          entitlementId: `via-credit-${index}`,
          creditId: `credit-${index}`,
          remainingCredits: index + 1,
        });
        assert.deepEqual(Object.keys(decision), ["granted", "reason", "entitlementId", "creditId", "remainingCredits"]);
      }
    }
  });

  test("decision by content id names it", () => {
    const session = Session.fromJson({
      access_model: { delivered_entitlements: [{ id: "article-é", direct: true, meteredBy: [], creditedBy: [] }] },
    });
    assert.deepEqual(session.decide("article-é"), { granted: true, reason: "entitlement", entitlementId: "article-é" });
    assert.deepEqual(session.decide("article-é", { entitlementId: undefined }), {
      granted: true,
      reason: "entitlement",
      entitlementId: "article-é",
    });
    assert.deepEqual(session.decide("other", { entitlementId: "article-é" }), {
      granted: true,
      reason: "entitlement",
      entitlementId: "article-é",
    });
  });
});

describe("SessionClient over Node's fetch", () => {
  let mock;
  let mockUrl;

  before(async () => {
    mock = await startMock();
    mockUrl = mock.url;
  });

  after(() => {
    mock?.stop();
  });

  test("fetchSession resolves with the encoded path", async () => {
    const client = new SessionClient({ baseUrl: mockUrl, site: "ok" });
    const session = await client.fetchSession("a/b c");
    assert.equal(session.sessionVariable("path"), "/v4/sessions/ok/a%2Fb%20c");
    assert.equal(session.currentSession().sessionId, "a/b c");
  });

  test("fetchSession rejects a 404 as not_found", async () => {
    const client = new SessionClient({ baseUrl: mockUrl, site: "status-404" });
    await assert.rejects(client.fetchSession("x"), { name: "ZephrSessionError", code: "not_found", status: 404 });
  });

  test("fetchSession times out", async () => {
    const client = new SessionClient({ baseUrl: mockUrl, site: "slow", timeoutMs: 200 });
    await assert.rejects(client.fetchSession("x"), { code: "timeout", status: undefined });
  });

  test("relative baseUrl is rejected in Node", () => {
    assert.throws(() => new SessionClient({ baseUrl: "/zephr", site: "www" }), {
      name: "ZephrSessionError",
      code: "invalid_argument",
      message: /relative/,
    });
  });

  // The raw paths of the lookups the mock received for `site`.
  async function requestsFor(site) {
    const paths = await (await fetch(`${mockUrl}/__requests`)).json();
    return paths.filter((path) => path.startsWith(`/v4/sessions/${site}/`));
  }

  test("a client works through a Proxy or a derived object", async () => {
    const client = new SessionClient({ baseUrl: mockUrl, site: "ok" });
    const proxy = new Proxy(client, {});
    assert.equal(proxy.site, "ok");
    assert.equal((await proxy.fetchSession("through-proxy")).currentSession().sessionId, "through-proxy");
    const derived = Object.create(client);
    assert.equal((await derived.fetchSession("through-derived")).currentSession().sessionId, "through-derived");
    proxy.free();
    await assert.rejects(client.fetchSession("after-free"), { code: "invalid_argument", message: /was freed/ });
    const frozen = Object.freeze(new SessionClient({ baseUrl: mockUrl, site: "ok" }));
    frozen.free();
    assert.throws(() => frozen.site, { code: "invalid_argument", message: /SessionClient\.site was read/ });
  });

  test("a signal made from AbortSignal.prototype is rejected", async () => {
    const client = new SessionClient({ baseUrl: mockUrl, site: "ok" });
    await assert.rejects(client.fetchSession("fake-signal", { signal: Object.create(AbortSignal.prototype) }), {
      name: "ZephrSessionError",
      code: "invalid_argument",
      message: "signal must be an AbortSignal, but it is an object",
    });
  });

  test("a header iterator's own ZephrSessionError is wrapped", () => {
    const headers = {
      [Symbol.iterator]() {
        return {
          next() {
            const error = new Error("mine");
            error.name = "ZephrSessionError";
            throw error;
          },
        };
      },
    };
    assert.throws(() => new SessionClient({ baseUrl: mockUrl, site: "ok", headers }), {
      code: "invalid_argument",
      message: "headers could not be read: inspecting them threw ZephrSessionError; pass a plain object, a Headers, a Map or an array of pairs",
    });
  });

  test("callers of one failed lookup get errors of their own", async () => {
    const client = new SessionClient({ baseUrl: mockUrl, site: "status-500", retries: 0 });
    const [first, second] = await Promise.all(
      ["shared-failure", "shared-failure"].map((id) => client.fetchSession(id).then(assert.fail, (error) => error)),
    );
    assert.notEqual(first, second);
    first.message = "changed";
    assert.equal(second.code, "http_error");
    assert.equal(second.status, 500);
    assert.match(second.message, /HTTP 500/);
    assert.equal((await requestsFor("status-500")).filter((path) => path.endsWith("/shared-failure")).length, 1);
  });

  test("storage modes ignore a stand-in localStorage", async () => {
    const writes = [];
    globalThis.localStorage = { getItem: () => null, setItem: (key) => writes.push(key), removeItem() {} };
    try {
      const client = new SessionClient({ baseUrl: mockUrl, site: "ok", cache: "local" });
      await client.fetchSession("stand-in-storage");
      assert.deepEqual(writes, []);
    } finally {
      delete globalThis.localStorage;
    }
  });

  test("clear with an id keeps sessions that share its start", async () => {
    const client = new SessionClient({ baseUrl: mockUrl, site: "counter" });
    await client.fetchSession("clear-abc");
    await client.fetchSession("clear-abcdef");
    client.clear("clear-abc");
    await client.fetchSession("clear-abc");
    await client.fetchSession("clear-abcdef");
    const paths = await requestsFor("counter");
    assert.equal(paths.filter((path) => path.endsWith("/clear-abc")).length, 2);
    assert.equal(paths.filter((path) => path.endsWith("/clear-abcdef")).length, 1);
  });

  test("clients with different headers share no cached session", async () => {
    // As on a server whose clients send different readers' headers, with
    // no session id, which Node looks up as "current".
    const readerA = new SessionClient({ baseUrl: mockUrl, site: "ok", headers: { "X-Requested-With": "reader-a" } });
    const readerB = new SessionClient({ baseUrl: mockUrl, site: "ok", headers: { "X-Requested-With": "reader-b" } });
    const [a, b] = await Promise.all([readerA.fetchSession(), readerB.fetchSession()]);
    assert.equal(a.sessionVariable("requestedWith"), "reader-a");
    assert.equal(b.sessionVariable("requestedWith"), "reader-b");
    assert.equal((await readerB.fetchSession()).sessionVariable("requestedWith"), "reader-b");
    const sameAsA = new SessionClient({ baseUrl: mockUrl, site: "ok", headers: { "X-Requested-With": "reader-a" } });
    assert.equal((await sameAsA.fetchSession()).sessionVariable("requestedWith"), "reader-a");
    assert.equal((await requestsFor("ok")).filter((path) => path.endsWith("/current")).length, 2);
  });

  test("free ends the client's subscriptions", async () => {
    const calls = [];
    const subscribing = new SessionClient({ baseUrl: mockUrl, site: "counter" });
    subscribing.subscribe((sessionId, session, source) => calls.push([sessionId, source]));
    const other = new SessionClient({ baseUrl: mockUrl, site: "counter" });
    await other.fetchSession("free-subscriber-1");
    assert.deepEqual(calls, [["free-subscriber-1", { baseUrl: mockUrl, site: "counter" }]]);
    subscribing.free();
    await other.fetchSession("free-subscriber-2");
    assert.equal(calls.length, 1);
  });

  test("refreshUntil stops when its client is freed", async () => {
    const client = new SessionClient({ baseUrl: mockUrl, site: "counter" });
    const pending = client.refreshUntil("free-until", () => false, { attempts: 5, intervalMs: 100 });
    setTimeout(() => client.free(), 50);
    await assert.rejects(pending, { code: "invalid_argument", message: /was freed during refreshUntil, so it stopped before its next lookup/ });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await requestsFor("counter")).filter((path) => path.endsWith("/free-until")).length, 1);
  });

  test("clear during a lookup keeps its result out of the cache", async () => {
    const client = new SessionClient({ baseUrl: mockUrl, site: "delay-200" });
    const pending = client.fetchSession("logout-race");
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.clear();
    await pending;
    await client.fetchSession("logout-race");
    assert.equal((await requestsFor("delay-200")).filter((path) => path.endsWith("/logout-race")).length, 2);
  });

  test("refresh takes signal as its only option", async () => {
    const client = new SessionClient({ baseUrl: mockUrl, site: "ok" });
    await assert.rejects(client.refresh("refresh-options", { fresh: false }), {
      code: "invalid_argument",
      message: 'refresh options have no option "fresh"; the options are signal',
    });
  });

  test("a client works inside a deep reactive proxy", async () => {
    // As Vue's `reactive` does: reading an object whose tag is "Object"
    // (class instances included) or an array through the proxy gives a proxy
    // of it, and other objects (a Set, an AbortController) come back as they are.
    const wrapped = (value) => ["[object Object]", "[object Array]"].includes(Object.prototype.toString.call(value));
    const reactive = (target) =>
      new Proxy(target, {
        get(object, key, receiver) {
          const value = Reflect.get(object, key, receiver);
          return value !== null && typeof value === "object" && wrapped(value) ? reactive(value) : value;
        },
      });
    const state = reactive({ client: new SessionClient({ baseUrl: mockUrl, site: "ok", headers: { "X-Requested-With": "vue" } }) });
    assert.equal(state.client.baseUrl, mockUrl);
    const session = await state.client.fetchSession("inside-reactive");
    assert.equal(session.sessionVariable("requestedWith"), "vue");
    const calls = [];
    const unsubscribe = state.client.subscribe((sessionId) => calls.push(sessionId));
    await state.client.refresh("inside-reactive");
    unsubscribe();
    state.client.free();
    assert.throws(() => state.client.site, { code: "invalid_argument" });
  });

  test("subscribers hear only of lookups with their headers", async () => {
    const notified = [];
    const readerA = new SessionClient({ baseUrl: mockUrl, site: "counter", headers: { "X-Requested-With": "a" } });
    readerA.subscribe((sessionId) => notified.push(sessionId));
    const readerB = new SessionClient({ baseUrl: mockUrl, site: "counter", headers: { "X-Requested-With": "b" } });
    await readerB.fetchSession("notified-by-b-only");
    assert.deepEqual(notified, []);
    // The same headers written another way are the same variant.
    const alsoA = new SessionClient({ baseUrl: mockUrl, site: "counter", headers: new Headers({ "x-requested-with": "a" }) });
    await alsoA.fetchSession("notified-by-a");
    assert.deepEqual(notified, ["notified-by-a"]);
    readerA.free();
  });

  test("a call after clear starts a new request", async () => {
    const client = new SessionClient({ baseUrl: mockUrl, site: "delay-200" });
    const before = client.fetchSession("clear-join");
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.clear("clear-join");
    const after = client.fetchSession("clear-join");
    await Promise.all([before, after]);
    assert.equal((await requestsFor("delay-200")).filter((path) => path.endsWith("/clear-join")).length, 2);
  });

  test("clear of another session keeps a lookup's result", async () => {
    const client = new SessionClient({ baseUrl: mockUrl, site: "delay-200" });
    const pending = client.fetchSession("clear-other-kept");
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.clear("some-other-session");
    await pending;
    await client.fetchSession("clear-other-kept");
    assert.equal((await requestsFor("delay-200")).filter((path) => path.endsWith("/clear-other-kept")).length, 1);
  });

  test("free ends a refreshUntil wait at once", async () => {
    const client = new SessionClient({ baseUrl: mockUrl, site: "counter" });
    const started = Date.now();
    const pending = client.refreshUntil("free-wait", () => false, { attempts: 3, intervalMs: 5000 });
    setTimeout(() => client.free(), 200);
    await assert.rejects(pending, { code: "invalid_argument" });
    assert.ok(Date.now() - started < 2000, `rejected after ${Date.now() - started} ms`);
  });

  test("a fetch that resolves to no Response is a network error", async () => {
    const original = globalThis.fetch;
    globalThis.fetch = async () => undefined;
    try {
      const client = new SessionClient({ baseUrl: mockUrl, site: "ok", retries: 0 });
      await assert.rejects(client.fetchSession("no-response"), {
        name: "ZephrSessionError",
        code: "network",
        message: /fetch resolved to something that is not a Response/,
      });
    } finally {
      globalThis.fetch = original;
    }
  });

  test("network error hides the session id", async () => {
    const client = new SessionClient({ baseUrl: "http://127.0.0.1:9", site: "www", retries: 0 });
    const error = await client.fetchSession("secret-id").then(
      () => assert.fail("nothing listens on port 9"),
      (error) => error,
    );
    assert.equal(error.code, "network");
    assert.ok(!error.message.includes("secret-id"), error.message);
  });
});
