// Browser tests of `SessionClient` through its public JavaScript API, called
// as a page calls it, in headless Chromium. They check:
// - the request the client sends: path encoding, Accept and extra headers;
// - option checks, error codes, statuses and messages;
// - timeouts, abort signals, retries and Retry-After;
// - the shared cache, lookups in flight and Web Storage entries;
// - stale documents after failures, subscribe, refresh, refreshUntil, clear
//   and prerendering;
// - faulty bodies, redirects and the debug log.
//
// The suite starts the mock lookup (tests/mock/server.mjs) and a static
// server for pkg/ and a blank test page, each on 127.0.0.1 with a free port,
// so the page's origin differs from the mock's. Each test runs its scenario
// in the page with page.evaluate and asserts in Node; the requests the mock
// received come from its GET /__requests. All tests but one share one page,
// and with it the client's cache, in-flight lookups and subscribers, so each
// test uses its own session ids.
//
// Needs: the bundle in pkg/ (scripts/build.sh), node_modules (npm ci) and
// Chromium at /usr/bin/chromium.
// Run: node --test tests/browser/

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  closedPort,
  launchChromium,
  openTestPage,
  requestCount,
  requestedPaths,
  startMock,
  startStaticServer,
} from "./support.mjs";

// A bound on each test, so that a lookup that never settles fails its test
// instead of hanging the run. The slowest test takes about 1.5 s when it passes.
const TEST_TIMEOUT_MS = 30_000;

let mock;
let staticServer;
let browser;
let shared;

before(async () => {
  mock = await startMock();
  staticServer = await startStaticServer();
  browser = await launchChromium();
  shared = await openTestPage(browser, `${staticServer.url}/`);
});

after(async () => {
  try {
    await browser?.close();
  } finally {
    try {
      await staticServer?.close();
    } finally {
      await mock?.stop();
    }
  }
});

/** Runs `scenario` in the shared page with `{ mockUrl, ...arg }` and returns its result. */
function inPage(scenario, arg = {}) {
  return shared.page.evaluate(scenario, { mockUrl: mock.url, ...arg });
}

function clientTest(name, body) {
  test(name, { timeout: TEST_TIMEOUT_MS }, body);
}

/**
 * Fetches `sessionId` of `site` from the mock with a client that retries
 * after 10 ms, and returns the settled call: the session's version, or the
 * error.
 */
function fetchRetrying(site, sessionId) {
  return inPage(
    async ({ mockUrl, site, sessionId }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site, retryBaseMs: 10 });
      return settle(client.fetchSession(sessionId, {}), (session) => session.version);
    },
    { site, sessionId },
  );
}

function countRequests(site, sessionId) {
  return requestCount(mock.url, site, sessionId);
}

async function lastRequestedPath() {
  return (await requestedPaths(mock.url)).at(-1);
}

/**
 * Checks that a settled call (from `settle` or `attempt` in the page)
 * failed with a `ZephrSessionError` of this code, and returns the error.
 */
function expectError(outcome, code, label = "") {
  assert.equal(outcome.ok, false, `${label} was expected to fail`);
  const { error } = outcome;
  assert.equal(error.isError, true, `${label} rejected with a non-Error: ${JSON.stringify(error)}`);
  assert.equal(error.name, "ZephrSessionError", `${label}: ${error.message}`);
  assert.equal(error.code, code, `${label}: ${error.message}`);
  return error;
}

function assertIncludes(text, part, label = "") {
  assert.ok(text.includes(part), `${label} ${JSON.stringify(text)} lacks ${JSON.stringify(part)}`);
}

function assertExcludes(text, part, label = "") {
  assert.ok(!text.includes(part), `${label} ${JSON.stringify(text)} shows ${JSON.stringify(part)}`);
}

describe("lookup", () => {
  clientTest("fetchSession resolves to Session", async () => {
    const result = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "ok" });
      const session = await client.fetchSession("abc");
      return {
        remaining: session.remainingCredits("monthly-free"),
        decision: session.decide("article-1", { entitlementId: "premium" }),
        currentId: session.currentSession()?.sessionId,
      };
    });

    assert.equal(result.remaining, 2);
    assert.equal(result.decision.granted, true);
    assert.equal(result.decision.reason, "meter");
    assert.equal(result.decision.meterId, "monthly-free");
    assert.equal(result.decision.remainingCredits, 2);
    assert.equal(result.currentId, "abc");
    assert.equal(await lastRequestedPath(), "/v4/sessions/ok/abc");
  });

  clientTest("fetched Session is a Session instance", async () => {
    const result = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "ok" });
      const session = await client.fetchSession("p");
      return {
        isSession: session instanceof Session,
        hasMethod: typeof session.remainingCredits === "function",
        remaining: session.remainingCredits("monthly-free"),
      };
    });

    assert.equal(result.isSession, true);
    assert.equal(result.hasMethod, true);
    assert.equal(result.remaining, 2);
  });

  clientTest("lookup sends Accept and extra headers", async () => {
    const sent = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({
        baseUrl: mockUrl,
        site: "ok",
        headers: { "X-Requested-With": "paywall" },
      });
      const session = await client.fetchSession("h");
      return {
        accept: session.sessionVariable("accept"),
        requestedWith: session.sessionVariable("requestedWith"),
      };
    });

    assert.equal(sent.accept, "application/json");
    assert.equal(sent.requestedWith, "paywall");
  });

  clientTest("headers option takes Headers, Map and pairs", async () => {
    const cases = [
      { kind: "Headers", expected: "from-headers" },
      { kind: "Map", expected: "from-map" },
      { kind: "pairs", expected: "from-pairs" },
    ];
    const sent = await inPage(
      async ({ mockUrl, cases }) => {
        const build = {
          Headers: (value) => new Headers({ "X-Requested-With": value }),
          Map: (value) => new Map([["X-Requested-With", value]]),
          pairs: (value) => [["X-Requested-With", value]],
        };
        const results = [];
        for (const [index, { kind, expected }] of cases.entries()) {
          const client = new SessionClient({ baseUrl: mockUrl, site: "ok", headers: build[kind](expected) });
          const session = await client.fetchSession(`headers-${index}`);
          results.push(session.sessionVariable("requestedWith"));
        }
        return results;
      },
      { cases },
    );

    for (const [index, { kind, expected }] of cases.entries()) {
      assert.equal(sent[index], expected, `headers as ${kind}`);
    }
  });

  clientTest("session id is one path segment", async () => {
    const cases = [
      ["a/b", "a%2Fb"],
      ["a?b=1", "a%3Fb%3D1"],
      ["a#b", "a%23b"],
      ["100%", "100%25"],
      ["two words", "two%20words"],
      ["café-✓", "caf%C3%A9-%E2%9C%93"],
      ["../admin", "..%2Fadmin"],
      ["...", "..."],
    ];
    const results = await inPage(
      async ({ mockUrl, ids }) => {
        const client = new SessionClient({ baseUrl: mockUrl, site: "ok" });
        const seen = [];
        for (const sessionId of ids) {
          const session = await client.fetchSession(sessionId);
          seen.push({ path: session.sessionVariable("path"), decodedId: session.currentSession()?.sessionId });
        }
        return seen;
      },
      { ids: cases.map(([sessionId]) => sessionId) },
    );

    for (const [index, [sessionId, encoded]] of cases.entries()) {
      assert.equal(results[index].path, `/v4/sessions/ok/${encoded}`, `id ${JSON.stringify(sessionId)}`);
      assert.equal(
        results[index].decodedId,
        sessionId,
        `the mock decoded id ${JSON.stringify(sessionId)} to another value`,
      );
    }
  });

  clientTest("site is one path segment", async () => {
    const outcome = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "a/b c" });
      return settle(client.fetchSession("x"));
    });

    expectError(outcome, "not_found", "lookup on site a/b c");
    assert.equal(await lastRequestedPath(), "/v4/sessions/a%2Fb%20c/x");
  });

  clientTest("invalid session ids send no request", async () => {
    const before = (await requestedPaths(mock.url)).length;
    const outcomes = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "ok" });
      const results = {};
      for (const sessionId of [".", "..", ""]) {
        results[sessionId] = await settle(client.fetchSession(sessionId));
      }
      results.number = await settle(client.fetchSession(42));
      return results;
    });

    for (const sessionId of [".", "..", ""]) {
      const error = expectError(outcomes[sessionId], "invalid_argument", `id ${JSON.stringify(sessionId)}`);
      assert.equal(error.status, undefined, `id ${JSON.stringify(sessionId)}`);
    }
    const notString = expectError(outcomes.number, "invalid_argument", "id 42");
    assertIncludes(notString.message, "sessionId");
    assert.equal((await requestedPaths(mock.url)).length, before);
  });

  clientTest("HTTP statuses map to error codes", async () => {
    const cases = [
      [401, "unauthorized"],
      [403, "http_error"],
      [404, "not_found"],
      [429, "http_error"],
      [500, "http_error"],
      [503, "http_error"],
    ];
    for (const [httpStatus, expectedCode] of cases) {
      const outcome = await inPage(
        async ({ mockUrl, site }) => {
          const client = new SessionClient({ baseUrl: `${mockUrl}/`, site, timeoutMs: 3000 });
          return settle(client.fetchSession("s/1"));
        },
        { site: `status-${httpStatus}` },
      );

      const error = expectError(outcome, expectedCode, `HTTP ${httpStatus}`);
      assert.equal(error.status, httpStatus);
      assertExcludes(error.message, "s/1", "message shows the session id:");
      assert.equal(await lastRequestedPath(), `/v4/sessions/status-${httpStatus}/s%2F1`);
    }
  });

  clientTest("slow response times out", async () => {
    const outcome = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: `${mockUrl}/`, site: "slow", timeoutMs: 300 });
      return settle(client.fetchSession("t"));
    });

    const error = expectError(outcome, "timeout", "lookup on site slow");
    assert.equal(error.status, undefined);
    assertIncludes(error.message, "300 ms");
  });

  clientTest("slow body times out", async () => {
    const outcome = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: `${mockUrl}/`, site: "slow-body", timeoutMs: 300 });
      return settle(client.fetchSession("t"));
    });

    expectError(outcome, "timeout", "lookup on site slow-body");
  });

  clientTest("caller abort rejects as aborted", async () => {
    const outcome = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: `${mockUrl}/`, site: "slow", timeoutMs: 3000 });
      const controller = new AbortController();
      const pending = settle(client.fetchSession("a", { signal: controller.signal }));
      await sleep(100);
      controller.abort();
      return pending;
    });

    const error = expectError(outcome, "aborted", "aborted lookup");
    assert.equal(error.status, undefined);
  });

  clientTest("aborted signal sends nothing", async () => {
    const before = (await requestedPaths(mock.url)).length;
    const outcome = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "ok" });
      const controller = new AbortController();
      controller.abort();
      return settle(client.fetchSession("a", { signal: controller.signal }));
    });

    expectError(outcome, "aborted", "lookup with an aborted signal");
    assert.equal((await requestedPaths(mock.url)).length, before);
  });

  clientTest("signal of wrong type is invalid", async () => {
    const outcome = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "ok" });
      return settle(client.fetchSession("a", { signal: 1 }));
    });

    const error = expectError(outcome, "invalid_argument", "signal 1");
    assertIncludes(error.message, "signal");
  });

  clientTest("HTML body is invalid_response", async () => {
    const outcome = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: `${mockUrl}/`, site: "not-json", timeoutMs: 3000 });
      return settle(client.fetchSession("x"));
    });

    const error = expectError(outcome, "invalid_response", "HTML response");
    assert.equal(error.status, 200);
    assertIncludes(error.message, "text/html");
  });

  clientTest("JSON array body is invalid_response", async () => {
    const outcome = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: `${mockUrl}/`, site: "array", timeoutMs: 3000 });
      return settle(client.fetchSession("x"));
    });

    const error = expectError(outcome, "invalid_response", "JSON array response");
    assertIncludes(error.message, "an array");
  });

  clientTest("closed port is network error", async () => {
    // Nothing listens on this loopback port, so the connection is refused
    // and no traffic leaves the machine.
    const port = await closedPort();
    const outcome = await inPage(
      async ({ port }) => {
        const client = new SessionClient({ baseUrl: `http://127.0.0.1:${port}`, site: "www", timeoutMs: 2000 });
        return settle(client.fetchSession("secret-id"));
      },
      { port },
    );

    const error = expectError(outcome, "network", `lookup on closed port ${port}`);
    assert.equal(error.status, undefined);
    assertExcludes(error.message, "secret-id");
  });

  clientTest("constructor rejects bad options", async () => {
    const cases = [
      [null, "options"],
      [{ site: "www" }, "baseUrl"],
      [{ baseUrl: "", site: "www" }, "baseUrl"],
      [{ baseUrl: "/z?x=1", site: "www" }, "baseUrl"],
      [{ baseUrl: "/z" }, "site"],
      [{ baseUrl: "/z", site: 5 }, "site"],
      [{ baseUrl: "/z", site: ".." }, "site"],
      [{ baseUrl: "/z", site: "www", credentials: "all" }, "credentials"],
      [{ baseUrl: "/z", site: "www", timeoutMs: 0 }, "timeoutMs"],
      [{ baseUrl: "/z", site: "www", timeoutMs: "3000" }, "timeoutMs"],
      [{ baseUrl: "/z", site: "www", headers: [1] }, "header"],
      [{ baseUrl: "/z", site: "www", headers: "X-A: 1" }, "headers"],
      [{ baseUrl: "/z", site: "www", timeoutMS: 10 }, "timeoutMS"],
      [{ baseUrl: "data:text/plain,x", site: "www" }, "scheme"],
      // The constructor rejects this URL, so no request is ever sent to it.
      [{ baseUrl: "https://u:TOPSECRET@x.test", site: "www" }, "password"],
      [{ baseUrl: "/z", site: "www", headers: { "X-A": 1 } }, "X-A"],
      [{ baseUrl: "/z", site: "www", headers: { "bad name": "v" } }, "\"bad…\" has an invalid name"],
      [{ baseUrl: "/z", site: "www", headers: { "X-A": "line\nbreak" } }, "X-A"],
    ];
    const outcomes = await inPage(
      ({ optionsList }) => optionsList.map((options) => attempt(() => new SessionClient(options))),
      { optionsList: cases.map(([options]) => options) },
    );

    for (const [index, [options, named]] of cases.entries()) {
      const label = JSON.stringify(options);
      const error = expectError(outcomes[index], "invalid_argument", label);
      assertIncludes(error.message, named, `${label}:`);
      assertExcludes(error.message, "line\nbreak", "message shows a header value:");
      assertExcludes(error.message, "TOPSECRET", "message shows a password:");
    }
  });
});

describe("cache, retries and refresh", () => {
  clientTest("concurrent calls share one request", async () => {
    const count = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "delay-200" });
      const calls = Array.from({ length: 10 }, () => client.fetchSession("share-10"));
      const sessions = await Promise.all(calls);
      return sessions.length;
    });

    assert.equal(count, 10);
    assert.equal(await countRequests("delay-200", "share-10"), 1);
  });

  clientTest("calls within cacheTtlMs hit cache", async () => {
    const versions = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "counter" });
      const seen = [];
      for (let call = 0; call < 100; call += 1) {
        seen.push((await client.fetchSession("ttl-100", {})).version);
      }
      return seen;
    });

    assert.equal(versions.length, 100);
    for (const [call, version] of versions.entries()) {
      assert.equal(version, 1, `call ${call}`);
    }
    assert.equal(await countRequests("counter", "ttl-100"), 1);
  });

  clientTest("expired cache entry is fetched again", async () => {
    const version = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "counter", cacheTtlMs: 50 });
      await client.fetchSession("ttl-expired", {});
      await sleep(80);
      return (await client.fetchSession("ttl-expired", {})).version;
    });

    assert.equal(version, 2);
    assert.equal(await countRequests("counter", "ttl-expired"), 2);
  });

  clientTest("cache none always requests", async () => {
    await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "counter", cache: "none" });
      for (let call = 0; call < 3; call += 1) {
        await client.fetchSession("no-cache", {});
      }
    });

    assert.equal(await countRequests("counter", "no-cache"), 3);
  });

  clientTest("fresh and refresh skip cache", async () => {
    const versions = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "counter" });
      await client.fetchSession("fresh-1", {});
      const fresh = await client.fetchSession("fresh-1", { fresh: true });
      const refreshed = await client.refresh("fresh-1");
      const cached = await client.fetchSession("fresh-1", {});
      return { fresh: fresh.version, refreshed: refreshed.version, cached: cached.version };
    });

    assert.equal(versions.fresh, 2);
    assert.equal(versions.refreshed, 3);
    assert.equal(versions.cached, 3);
    assert.equal(await countRequests("counter", "fresh-1"), 3);
  });

  clientTest("retries until success", async () => {
    const outcome = await fetchRetrying("script", "seq~503,503,200");

    assert.deepEqual(outcome, { ok: true, value: 3 });
    assert.equal(await countRequests("script", "seq~503,503,200"), 3);
  });

  clientTest("last attempt's error rejects", async () => {
    const outcome = await fetchRetrying("script", "seq~502,503,504,200");

    const error = expectError(outcome, "http_error", "three failed attempts");
    assert.equal(error.status, 504);
    assert.equal(await countRequests("script", "seq~502,503,504,200"), 3);
  });

  clientTest("4xx and HTTP 500 are not retried", async () => {
    const cases = [
      ["nf~404", "not_found"],
      ["auth~401", "unauthorized"],
      ["bad~400", "http_error"],
      ["srv~500", "http_error"],
    ];
    const outcomes = await inPage(
      async ({ mockUrl, ids }) => {
        const client = new SessionClient({ baseUrl: mockUrl, site: "script", retryBaseMs: 10 });
        const results = [];
        for (const sessionId of ids) {
          results.push(await settle(client.fetchSession(sessionId, {})));
        }
        return results;
      },
      { ids: cases.map(([sessionId]) => sessionId) },
    );

    for (const [index, [sessionId, expectedCode]] of cases.entries()) {
      expectError(outcomes[index], expectedCode, sessionId);
      assert.equal(await countRequests("script", sessionId), 1, sessionId);
    }
  });

  clientTest("HTTP 429 is retried", async () => {
    const outcome = await fetchRetrying("script", "limited~429,200");

    assert.deepEqual(outcome, { ok: true, value: 2 });
    assert.equal(await countRequests("script", "limited~429,200"), 2);
  });

  clientTest("invalid_response is not retried", async () => {
    const outcome = await fetchRetrying("not-json", "html-once");

    expectError(outcome, "invalid_response", "HTML response");
    assert.equal(await countRequests("not-json", "html-once"), 1);
  });

  clientTest("Retry-After delays next attempt", async (t) => {
    const result = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "script", retryBaseMs: 10 });
      const started = Date.now();
      const session = await client.fetchSession("wait~503r1,200", {});
      return { version: session.version, elapsed: Date.now() - started };
    });
    t.diagnostic(`Retry-After: 1 took ${result.elapsed} ms`);

    assert.equal(result.version, 2);
    assert.ok(result.elapsed >= 950, `the retry came after ${result.elapsed} ms`);
    assert.equal(await countRequests("script", "wait~503r1,200"), 2);
  });

  clientTest("retryMaxMs caps Retry-After", async (t) => {
    const elapsed = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "script", retryBaseMs: 10, retryMaxMs: 100 });
      const started = Date.now();
      await client.fetchSession("cap~503r1,200", {});
      return Date.now() - started;
    });
    t.diagnostic(`Retry-After: 1 capped at 100 ms took ${elapsed} ms`);

    assert.ok(elapsed < 900, `the cap was ignored: ${elapsed} ms`);
  });

  clientTest("timed-out attempts end within bound", async (t) => {
    const result = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({
        baseUrl: mockUrl,
        site: "slow",
        timeoutMs: 200,
        retries: 2,
        retryBaseMs: 50,
        retryMaxMs: 100,
      });
      const started = Date.now();
      const outcome = await settle(client.fetchSession("always-slow", {}));
      return { outcome, elapsed: Date.now() - started };
    });
    t.diagnostic(`three timed-out attempts took ${result.elapsed} ms`);

    // Three attempts of 200 ms and two backoffs of at most 100 ms make
    // 800 ms. The rest of the bound is slack for a loaded machine.
    expectError(result.outcome, "timeout", "always slow lookup");
    assert.ok(result.elapsed >= 600, `${result.elapsed} ms`);
    assert.ok(result.elapsed < 800 + 2000, `${result.elapsed} ms`);
    assert.equal(await countRequests("slow", "always-slow"), 3);
  });

  clientTest("one caller's abort spares others", async () => {
    const result = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "delay-300" });
      const controller = new AbortController();
      const aborted = settle(client.fetchSession("abort-one", { signal: controller.signal }));
      const patient = settle(client.fetchSession("abort-one"), (session) => session.version);
      await sleep(50);
      controller.abort();
      return { aborted: await aborted, patient: await patient };
    });

    expectError(result.aborted, "aborted", "aborted call");
    assert.deepEqual(result.patient, { ok: true, value: 1 });
    assert.equal(await countRequests("delay-300", "abort-one"), 1);
  });

  clientTest("lookup in flight survives free", async () => {
    const result = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "delay-300" });
      const pending = settle(client.fetchSession("freed-in-flight"), (session) => session.version);
      client.free();
      const afterFree = await settle(client.fetchSession("freed-in-flight"));
      return { pending: await pending, afterFree };
    });

    assert.deepEqual(result.pending, { ok: true, value: 1 });
    const error = expectError(result.afterFree, "invalid_argument", "call after free");
    assertIncludes(error.message, "SessionClient.fetchSession was called on a SessionClient that was freed");
  });

  clientTest("last waiter's abort cancels request", async () => {
    const result = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "delay-300" });
      const controller = new AbortController();
      const aborted = settle(client.fetchSession("abort-all", { signal: controller.signal }));
      await sleep(50);
      controller.abort();
      const abortedOutcome = await aborted;
      // The cancelled request cached nothing, so this call sends another.
      const next = await settle(client.fetchSession("abort-all", {}), (session) => session.version);
      return { aborted: abortedOutcome, next };
    });

    expectError(result.aborted, "aborted", "aborted call");
    assert.equal(result.next.ok, true, `next lookup failed: ${result.next.error?.message}`);
    assert.equal(await countRequests("delay-300", "abort-all"), 2);
  });

  clientTest("tampered storage entries are replaced", async () => {
    const results = await inPage(async ({ mockUrl }) => {
      const key = `zephr-session:${encodeURIComponent(mockUrl)}|counter|`;
      const now = Date.now();
      const cases = [
        ["tamper-garbage", "{not json"],
        ["tamper-foreign", JSON.stringify({ format: 1, key: `${key}someone-else`, fetchedAt: now, document: { v: 99 } })],
        ["tamper-format", JSON.stringify({ format: 0, key: `${key}tamper-format`, fetchedAt: now, document: { v: 99 } })],
        ["tamper-expired", JSON.stringify({ format: 1, key: `${key}tamper-expired`, fetchedAt: 1, document: { v: 99 } })],
        [
          "tamper-future",
          JSON.stringify({ format: 1, key: `${key}tamper-future`, fetchedAt: now + 1e9, document: { v: 99 } }),
        ],
      ];
      const client = new SessionClient({ baseUrl: mockUrl, site: "counter", cache: "local" });
      const seen = [];
      for (const [sessionId, entry] of cases) {
        const storageKey = `${key}${sessionId}`;
        localStorage.setItem(storageKey, entry);
        const session = await client.fetchSession(sessionId, {});
        seen.push({ sessionId, version: session.version, stored: localStorage.getItem(storageKey) });
      }
      return seen;
    });

    assert.equal(results.length, 5);
    for (const { sessionId, version, stored } of results) {
      assert.equal(version, 1, `${sessionId} served the tampered entry`);
      assert.equal(await countRequests("counter", sessionId), 1, sessionId);
      assert.notEqual(stored, null, `${sessionId}: the fetched document is not stored`);
      assertIncludes(stored, '"v":1', `${sessionId}:`);
    }
  });

  clientTest("valid storage entry is served", async () => {
    const version = await inPage(async ({ mockUrl }) => {
      const key = `zephr-session:${encodeURIComponent(mockUrl)}|counter|stored-ok`;
      const entry = JSON.stringify({
        format: 1,
        key: key.slice("zephr-session:".length),
        fetchedAt: Date.now(),
        document: { v: 42 },
      });
      sessionStorage.setItem(key, entry);
      const client = new SessionClient({ baseUrl: mockUrl, site: "counter", cache: "session" });
      return (await client.fetchSession("stored-ok", {})).version;
    });

    assert.equal(version, 42);
    assert.equal(await countRequests("counter", "stored-ok"), 0);
  });

  clientTest("storage keeps clients with other headers apart", async () => {
    const result = await inPage(async ({ mockUrl }) => {
      const options = (reader) => ({ baseUrl: mockUrl, site: "ok", cache: "local", headers: { "X-Requested-With": reader } });
      const alice = await new SessionClient(options("alice")).fetchSession("storage-variant");
      const bob = await new SessionClient(options("bob")).fetchSession("storage-variant");
      const keys = Object.keys(localStorage).filter((key) => key.includes("storage-variant"));
      new SessionClient(options("alice")).clear("storage-variant");
      const left = Object.keys(localStorage).filter((key) => key.includes("storage-variant"));
      return {
        alice: alice.sessionVariable("requestedWith"),
        bob: bob.sessionVariable("requestedWith"),
        keys: keys.length,
        secretInKeys: keys.some((key) => key.includes("alice") || key.includes("bob")),
        left: left.length,
      };
    });

    assert.equal(result.alice, "alice");
    assert.equal(result.bob, "bob");
    assert.equal(result.keys, 2);
    assert.equal(result.secretInKeys, false);
    assert.equal(result.left, 0);
    assert.equal(await countRequests("ok", "storage-variant"), 2);
  });

  clientTest("throwing storage falls back to memory", async () => {
    const outcomes = await inPage(async ({ mockUrl }) => {
      const restore = breakStorage();
      try {
        const client = new SessionClient({ baseUrl: mockUrl, site: "counter", cache: "local" });
        const version = (session) => session.version;
        const first = await settle(client.fetchSession("broken-storage", {}), version);
        const second = await settle(client.fetchSession("broken-storage", {}), version);
        return { first, second };
      } finally {
        restore();
      }
    });

    assert.deepEqual(outcomes.first, { ok: true, value: 1 });
    assert.deepEqual(outcomes.second, { ok: true, value: 1 }, "the cached lookup");
    assert.equal(await countRequests("counter", "broken-storage"), 1);
  });

  clientTest("stale answer after failed lookup", async () => {
    const result = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({
        baseUrl: mockUrl,
        site: "script",
        onError: "stale",
        cacheTtlMs: 0,
        retries: 0,
      });
      const first = await client.fetchSession("stale~200,500", {});
      const stale = await client.fetchSession("stale~200,500", {});
      return {
        firstIsStale: first.isStale,
        staleIsStale: stale.isStale,
        staleVersion: stale.version,
        staleError: describeError(stale.staleError),
      };
    });

    assert.equal(result.firstIsStale, false);
    assert.equal(result.staleIsStale, true);
    assert.equal(result.staleVersion, 1);
    assert.equal(result.staleError.code, "http_error");
    assert.equal(result.staleError.status, 500);
    assert.equal(await countRequests("script", "stale~200,500"), 2);
  });

  clientTest("stale without cache rejects", async () => {
    const outcome = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "script", onError: "stale", retries: 0 });
      return settle(client.fetchSession("stale-empty~500", {}));
    });

    expectError(outcome, "http_error", "failed lookup with nothing cached");
  });

  clientTest("onError stale rejects not_found", async () => {
    const outcome = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({
        baseUrl: mockUrl,
        site: "script",
        onError: "stale",
        cacheTtlMs: 0,
        retries: 0,
      });
      await client.fetchSession("gone~200,404", {});
      return settle(client.fetchSession("gone~200,404", {}));
    });

    expectError(outcome, "not_found", "HTTP 404 after a cached document");
  });

  clientTest("subscribe fires once per change", async (t) => {
    const result = await inPage(async ({ mockUrl }) => {
      const calls = [];
      const callback = (sessionId, session) => {
        if (sessionId === "sub-stable" || sessionId === "sub-counter") {
          calls.push({ sessionId, versionType: typeof session.version });
        }
      };
      const stable = new SessionClient({ baseUrl: mockUrl, site: "stable" });
      const unsubscribe = stable.subscribe(callback);
      try {
        for (let call = 0; call < 3; call += 1) {
          await stable.fetchSession("sub-stable", { fresh: true });
        }
        await stable.fetchSession("sub-stable", {});
        const afterStable = calls.length;

        const counter = new SessionClient({ baseUrl: mockUrl, site: "counter" });
        for (let call = 0; call < 3; call += 1) {
          await counter.fetchSession("sub-counter", { fresh: true });
        }
        const afterCounter = calls.length;

        unsubscribe();
        await counter.fetchSession("sub-counter", { fresh: true });
        const afterUnsubscribe = calls.length;
        const secondUnsubscribe = attempt(unsubscribe);
        return { calls, afterStable, afterCounter, afterUnsubscribe, secondUnsubscribe };
      } finally {
        unsubscribe();
      }
    });
    t.diagnostic(`subscriber calls: ${result.afterStable} for 3 identical documents, ${result.afterCounter} after 3 changed ones`);

    assert.equal(result.afterStable, 1);
    assert.equal(result.afterCounter, 4);
    assert.equal(result.afterUnsubscribe, 4);
    for (const call of result.calls) {
      assert.equal(call.versionType, "number", `the callback for ${call.sessionId} got no version`);
    }
    assert.deepEqual(result.secondUnsubscribe, { ok: true }, "a second unsubscribe throws");
  });

  clientTest("throwing subscriber does not fail lookup", async () => {
    const outcome = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "counter" });
      const unsubscribe = client.subscribe(() => {
        throw new Error("subscriber bug");
      });
      try {
        return await settle(client.fetchSession("sub-throws", {}), (session) => session.version);
      } finally {
        unsubscribe();
      }
    });

    assert.deepEqual(outcome, { ok: true, value: 1 });
  });

  clientTest("refreshUntil stops when predicate holds", async () => {
    const result = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "counter" });
      const { session, satisfied } = await client.refreshUntil(
        "until-premium",
        (session) => session.isEntitled("premium"),
        { attempts: 10, intervalMs: 20 },
      );
      return { satisfied, version: session.version };
    });

    assert.equal(result.satisfied, true);
    assert.equal(result.version, 3);
    assert.equal(await countRequests("counter", "until-premium"), 3);
  });

  clientTest("refreshUntil gives up after attempts", async () => {
    const satisfied = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "stable" });
      const result = await client.refreshUntil(
        "until-never",
        (session) => session.isEntitled("premium"),
        { attempts: 4, intervalMs: 10 },
      );
      return result.satisfied;
    });

    assert.equal(satisfied, false);
    assert.equal(await countRequests("stable", "until-never"), 4);
  });

  clientTest("refreshUntil rejects bad arguments", async () => {
    const outcomes = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "stable" });
      return {
        predicateNumber: await settle(client.refreshUntil("until-bad", 1)),
        zeroAttempts: await settle(client.refreshUntil("until-bad", () => true, { attempts: 0 })),
        negativeInterval: await settle(client.refreshUntil("until-bad", () => true, { intervalMs: -1 })),
      };
    });

    expectError(outcomes.predicateNumber, "invalid_argument", "predicate 1");
    expectError(outcomes.zeroAttempts, "invalid_argument", "attempts 0");
    expectError(outcomes.negativeInterval, "invalid_argument", "intervalMs -1");
    assert.equal(await countRequests("stable", "until-bad"), 0);
  });

  clientTest("missing id reads cookie, then current", async () => {
    const paths = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "ok", cache: "none" });
      document.cookie = "blaize_session=from-cookie; path=/";
      let fromCookie;
      try {
        fromCookie = await client.fetchSession();
      } finally {
        document.cookie = "blaize_session=; path=/; max-age=0";
      }
      const withoutCookie = await client.fetchSession(null);
      return { fromCookie: fromCookie.sessionVariable("path"), withoutCookie: withoutCookie.sessionVariable("path") };
    });

    assert.equal(paths.fromCookie, "/v4/sessions/ok/from-cookie");
    assert.equal(paths.withoutCookie, "/v4/sessions/ok/current");
  });

  clientTest("clear drops memory and storage", async () => {
    await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "counter", cache: "local" });
      window.clearTestClient = client;
      await client.fetchSession("clear-one", {});
      await client.fetchSession("clear-two", {});
      client.clear("clear-one");
      await client.fetchSession("clear-one", {});
      await client.fetchSession("clear-two", {});
    });
    assert.equal(await countRequests("counter", "clear-one"), 2);
    assert.equal(await countRequests("counter", "clear-two"), 1);

    const keysLeft = await inPage(async ({ mockUrl }) => {
      const client = window.clearTestClient;
      delete window.clearTestClient;
      client.clear();
      const prefix = `zephr-session:${encodeURIComponent(mockUrl)}|counter|`;
      const keys = Object.keys(localStorage).filter((key) => key.startsWith(prefix));
      await client.fetchSession("clear-two", {});
      return keys;
    });
    assert.deepEqual(keysLeft, []);
    assert.equal(await countRequests("counter", "clear-two"), 2);
  });

  clientTest("prerendering defers request", async () => {
    await inPage(async ({ mockUrl }) => {
      window.showPrerenderedPage = startPrerendering();
      const client = new SessionClient({ baseUrl: mockUrl, site: "counter" });
      window.prerenderedLookup = settle(client.fetchSession("prerendered"), (session) => session.version);
    });
    let countWhilePrerendering;
    let outcome;
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      countWhilePrerendering = await countRequests("counter", "prerendered");
    } finally {
      outcome = await inPage(async () => {
        window.showPrerenderedPage();
        return window.prerenderedLookup;
      });
    }

    assert.equal(countWhilePrerendering, 0);
    assert.deepEqual(outcome, { ok: true, value: 1 }, "lookup after activation");
    assert.equal(await countRequests("counter", "prerendered"), 1);
  });

  clientTest("constructor checks retry and cache options", async () => {
    const cases = [
      [{ retries: -1 }, "retries"],
      [{ retries: 1.5 }, "retries"],
      [{ retries: "2" }, "retries"],
      [{ retryBaseMs: -5 }, "retryBaseMs"],
      [{ retryMaxMs: "x" }, "retryMaxMs"],
      [{ cache: "disk" }, "cache"],
      [{ cacheTtlMs: -1 }, "cacheTtlMs"],
      [{ onError: "ignore" }, "onError"],
      [{ deferWhilePrerendering: "yes" }, "deferWhilePrerendering"],
    ];
    const outcomes = await inPage(
      ({ extras }) => extras.map((extra) => attempt(() => new SessionClient({ baseUrl: "/z", site: "www", ...extra }))),
      { extras: cases.map(([extra]) => extra) },
    );

    for (const [index, [extra, named]] of cases.entries()) {
      const label = JSON.stringify(extra);
      const error = expectError(outcomes[index], "invalid_argument", label);
      assertIncludes(error.message, named, `${label}:`);
    }
  });

  clientTest("subscribe rejects non-function", async () => {
    const outcome = await inPage(({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "stable" });
      return attempt(() => client.subscribe("not a function"));
    });

    expectError(outcome, "invalid_argument", "subscribe with a string");
  });
});

describe("faulty responses", () => {
  /** Fetches `sessionId` with a client for `site` that neither retries nor caches. */
  function faultLookup(site, extraOptions = {}, sessionId = "fault") {
    return inPage(
      async ({ mockUrl, site, extraOptions, sessionId }) => {
        const client = new SessionClient({ baseUrl: mockUrl, site, retries: 0, cache: "none", ...extraOptions });
        const started = Date.now();
        const outcome = await settle(client.fetchSession(sessionId), (session) => ({
          path: session.sessionVariable("path"),
          warnings: session.warnings,
        }));
        return { ...outcome, elapsed: Date.now() - started };
      },
      { site, extraOptions, sessionId },
    );
  }

  clientTest("reset mid-body is network error", async (t) => {
    const outcome = await faultLookup("reset-body");
    t.diagnostic(`reset mid-body: ${outcome.error?.message}`);

    const error = expectError(outcome, "network", "reset mid-body");
    assert.equal(error.status, undefined);
  });

  clientTest("trickling body times out", async (t) => {
    const outcome = await faultLookup("trickle", { timeoutMs: 1500 });
    t.diagnostic(`a body at one byte a second timed out after ${outcome.elapsed} ms`);

    expectError(outcome, "timeout", "trickling body");
    assert.ok(outcome.elapsed >= 1400, `${outcome.elapsed} ms`);
  });

  clientTest("HTML page error says to check baseUrl", async () => {
    const outcome = await faultLookup("not-json");

    const error = expectError(outcome, "invalid_response", "HTML page");
    assert.equal(error.status, 200);
    assertIncludes(error.message, "text/html");
    assertIncludes(error.message, "check that baseUrl");
  });

  clientTest("plain text body is invalid_response", async () => {
    const outcome = await faultLookup("plain");

    const error = expectError(outcome, "invalid_response", "text/plain response");
    assertIncludes(error.message, "text/plain");
  });

  clientTest("empty body is invalid_response", async () => {
    const outcome = await faultLookup("empty");

    const error = expectError(outcome, "invalid_response", "empty body");
    assert.equal(error.status, 200);
    assertIncludes(error.message, "empty body");
  });

  clientTest("HTTP 204 is invalid_response", async () => {
    const outcome = await faultLookup("no-content");

    const error = expectError(outcome, "invalid_response", "HTTP 204");
    assert.equal(error.status, 204);
  });

  clientTest("oversized body stops at maxBytes", async () => {
    const outcome = await faultLookup("big-20000", { maxBytes: 4096 });

    const error = expectError(outcome, "invalid_response", "20000-byte body");
    assertIncludes(error.message, "maxBytes (4096 bytes)");
  });

  clientTest("body within maxBytes is read", async () => {
    const outcome = await faultLookup("big-20000", { maxBytes: 30000 }, "fits");

    assert.equal(outcome.ok, true, `a document under maxBytes failed: ${outcome.error?.message}`);
    assert.deepEqual(outcome.value.warnings, []);
  });

  clientTest("default maxBytes is one mebibyte", async () => {
    const tooBig = await faultLookup("big-1100000");
    const fits = await faultLookup("big-1000000", {}, "fits");

    const error = expectError(tooBig, "invalid_response", "1100000-byte body");
    assertIncludes(error.message, "maxBytes (1048576 bytes)");
    assert.equal(fits.ok, true, `a document of about 1 MB failed: ${fits.error?.message}`);
  });

  clientTest("redirect to CORS origin is followed", async () => {
    const outcome = await faultLookup("redirect-cors", {}, "moved");

    assert.equal(outcome.ok, true, `the redirect was not followed: ${outcome.error?.message}`);
    assert.equal(outcome.value.path, "/v4/sessions/ok/moved");
  });

  clientTest("redirect without CORS is network error", async () => {
    const outcome = await faultLookup("redirect-no-cors");

    const error = expectError(outcome, "network", "redirect to an origin without CORS");
    assertIncludes(error.message, "CORS");
  });

  clientTest("redirect loop is network error", async () => {
    const outcome = await faultLookup("redirect-loop");

    expectError(outcome, "network", "redirect loop");
  });

  clientTest("client works after failed lookups", async () => {
    const failed = await faultLookup("not-json");
    const result = await inPage(async ({ mockUrl }) => {
      const parsed = attempt(() => Session.parse("{"));
      const client = new SessionClient({ baseUrl: mockUrl, site: "ok", retries: 0, cache: "none" });
      const remaining = await settle(client.fetchSession("after-failure"), (session) =>
        session.remainingCredits("monthly-free"),
      );
      return { parsed, remaining };
    });

    assert.equal(failed.ok, false);
    assert.equal(result.parsed.ok, false);
    assert.deepEqual(result.remaining, { ok: true, value: 2 });
  });
});

describe("debug log", () => {
  const PREFIX = "[zephr-session] ";

  function linesContaining(lines, needle) {
    return lines.filter((line) => line.includes(needle));
  }

  /** Returns the one line that contains `needle`, and fails unless there is exactly one. */
  function onlyLine(lines, needle) {
    const found = linesContaining(lines, needle);
    assert.equal(found.length, 1, `expected one line with ${JSON.stringify(needle)} in ${JSON.stringify(lines)}`);
    return found[0];
  }

  function assertAllPrefixed(lines) {
    for (const line of lines) {
      assert.ok(line.startsWith(PREFIX), `line without the prefix: ${line}`);
    }
  }

  function assertNoneContains(lines, secret) {
    for (const line of lines) {
      assertExcludes(line, secret, "debug line");
    }
  }

  clientTest("debug logs lookup, cache hit and decision", async () => {
    const sessionId = "debug-lookup-0123456789";
    const result = await inPage(
      async ({ mockUrl, sessionId }) => {
        const client = new SessionClient({
          baseUrl: mockUrl,
          site: "ok",
          debug: true,
          headers: { "X-Requested-With": "header-value-secret" },
        });
        const finish = captureDebug();
        try {
          const session = await client.fetchSession(sessionId);
          await client.fetchSession(sessionId);
          session.decide("article-1", { entitlementId: "premium" });
          const granted = session.isEntitled("article-2");
          return { granted, lines: finish() };
        } finally {
          finish();
        }
      },
      { sessionId },
    );
    const { lines } = result;

    assert.equal(result.granted, false);
    assertAllPrefixed(lines);
    assertNoneContains(lines, sessionId);
    assertNoneContains(lines, "header-value-secret");
    assertNoneContains(lines, mock.url);
    assertIncludes(onlyLine(lines, "lookup started"), 'site "ok", session debu…');
    onlyLine(lines, "lookup succeeded");
    onlyLine(lines, "cache hit");
    const decided = onlyLine(lines, "decide: ");
    assertIncludes(decided, 'content "article-1", entitlementId "premium"');
    assertIncludes(decided, '"granted":true,"reason":"meter"');
    assertIncludes(onlyLine(lines, "isEntitled: "), '"granted":false,"reason":"none"');
  });

  clientTest("debug logs retries and failure", async () => {
    const result = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({
        baseUrl: mockUrl,
        site: "script",
        debug: true,
        retries: 2,
        retryBaseMs: 1,
        retryMaxMs: 1,
      });
      const finish = captureDebug();
      try {
        const session = await settle(client.fetchSession("dbg-retry~503,502,200"), (session) => session.version);
        const failed = await settle(client.fetchSession("dbg-fail~404"));
        return { session, failed, lines: finish() };
      } finally {
        finish();
      }
    });
    const { lines } = result;

    assert.deepEqual(result.session, { ok: true, value: 3 });
    expectError(result.failed, "not_found", "lookup of dbg-fail~404");
    assertAllPrefixed(lines);
    assertNoneContains(lines, "dbg-retry~503,502,200");
    const retries = linesContaining(lines, "retry ");
    assert.equal(retries.length, 2, `expected two retry lines in ${JSON.stringify(lines)}`);
    assertIncludes(retries[0], "retry 1 of 2 in ");
    assertIncludes(retries[0], "after http_error (HTTP 503)");
    assertIncludes(retries[1], "retry 2 of 2 in ");
    assertIncludes(retries[1], "after http_error (HTTP 502)");
    onlyLine(lines, "lookup failed with not_found (HTTP 404)");
  });

  clientTest("debug logs stale answer", async () => {
    const result = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "script", debug: true, retries: 0, onError: "stale" });
      await client.fetchSession("dbg-stale~200,500");
      const finish = captureDebug();
      try {
        const stale = await client.refresh("dbg-stale~200,500");
        return { isStale: stale.isStale, lines: finish() };
      } finally {
        finish();
      }
    });

    assert.equal(result.isStale, true);
    const staleLine = onlyLine(result.lines, "stale answer after http_error (HTTP 500)");
    assertIncludes(staleLine, "session dbg-…");
  });

  clientTest("debug never logs cookie value", async () => {
    const result = await inPage(async ({ mockUrl }) => {
      document.cookie = "blaize_session=cookie-value-secret; path=/";
      const client = new SessionClient({ baseUrl: mockUrl, site: "ok", debug: true });
      const finish = captureDebug();
      try {
        const fetched = await settle(client.fetchSession(), () => "fetched");
        return { fetched, lines: finish() };
      } finally {
        finish();
        document.cookie = "blaize_session=; path=/; max-age=0";
      }
    });
    const { lines } = result;

    assert.deepEqual(result.fetched, { ok: true, value: "fetched" }, "lookup with the cookie's id");
    assert.ok(lines.length > 0, "nothing was logged");
    assertNoneContains(lines, "cookie-value-secret");
    assert.equal(linesContaining(lines, "session cook…").length, 2, JSON.stringify(lines));
  });

  clientTest("debug cuts short session ids", async () => {
    // Other tests look up "abc" and "a" too, so this one gets a page of its own.
    const { context, page } = await openTestPage(browser, `${staticServer.url}/`);
    try {
      const lines = await page.evaluate(
        async ({ mockUrl }) => {
          const client = new SessionClient({ baseUrl: mockUrl, site: "ok", debug: true, cache: "none" });
          const finish = captureDebug();
          try {
            for (const sessionId of ["abcdefgh", "abc", "a"]) {
              await client.fetchSession(sessionId);
            }
            return finish();
          } finally {
            finish();
          }
        },
        { mockUrl: mock.url },
      );

      const started = linesContaining(lines, "lookup started");
      assert.equal(started.length, 3, `expected three lookups in ${JSON.stringify(lines)}`);
      assert.ok(started[0].endsWith("session abcd…"), started[0]);
      assert.ok(started[1].endsWith("session a…"), started[1]);
      assert.ok(started[2].endsWith("session …"), started[2]);
    } finally {
      await context.close();
    }
  });

  clientTest("client is silent without debug", async () => {
    const cases = [
      { label: "no debug option", debugOption: {}, retriedId: "quiet-retry-unset~503,200" },
      { label: "debug false", debugOption: { debug: false }, retriedId: "quiet-retry-false~503,200" },
    ];
    for (const { label, debugOption, retriedId } of cases) {
      const lines = await inPage(
        async ({ mockUrl, debugOption, retriedId }) => {
          const scripted = new SessionClient({
            baseUrl: mockUrl,
            site: "script",
            retries: 1,
            retryBaseMs: 1,
            retryMaxMs: 1,
            ...debugOption,
          });
          const plain = new SessionClient({ baseUrl: mockUrl, site: "ok", ...debugOption });
          const finish = captureDebug();
          try {
            const session = await plain.fetchSession("quiet-1");
            await plain.fetchSession("quiet-1");
            session.decide("article-1", { entitlementId: "premium" });
            session.isEntitled("article-1");
            await scripted.fetchSession(retriedId);
            return finish();
          } finally {
            finish();
          }
        },
        { debugOption, retriedId },
      );

      assert.deepEqual(lines, [], `${label} logged lines`);
    }
  });

  clientTest("throwing console.debug spares lookup", async () => {
    const result = await inPage(async ({ mockUrl }) => {
      const client = new SessionClient({ baseUrl: mockUrl, site: "ok", debug: true });
      const restore = breakConsoleDebug();
      try {
        const fetched = await settle(client.fetchSession("dbg-throwing-console"), (session) =>
          attempt(() => session.decide("article-1")),
        );
        return fetched;
      } finally {
        restore();
      }
    });

    assert.equal(result.ok, true, `lookup failed: ${result.error?.message}`);
    assert.deepEqual(result.value, { ok: true }, "decide failed");
  });

  clientTest("debug option must be boolean", async () => {
    const outcome = await inPage(({ mockUrl }) =>
      attempt(() => new SessionClient({ baseUrl: mockUrl, site: "ok", debug: "yes" })),
    );

    const error = expectError(outcome, "invalid_argument", 'debug "yes"');
    assertIncludes(error.message, "debug");
  });
});
