// End-to-end test of the demo. It starts the built demo server on a free loopback port and opens
// the Gazette page in headless Chromium with the release bundle from pkg/. Each case checks the
// access decision that the page shows for one sample reader and article.
//
// Needs: the server binary (ZEPHR_SERVER_BIN, default target/debug/zephr-session-server), the
// bundle in pkg/ (scripts/build.sh) and Chromium at /usr/bin/chromium.
// Run: scripts/build.sh && cargo build -p zephr-session-server && node --test tests/e2e/

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { access, mkdir } from "node:fs/promises";
import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../support/chromium.mjs";

const testDir = path.dirname(fileURLToPath(import.meta.url));
const workspaceRoot = path.resolve(testDir, "../..");
const serverBinary = path.resolve(
  workspaceRoot,
  process.env.ZEPHR_SERVER_BIN ?? "target/debug/zephr-session-server",
);
const screenshotDir = path.join(testDir, "screenshots");

const STARTUP_TIMEOUT_MS = 30_000;
const SETTLE_TIMEOUT_MS = 15_000;

const SUBSCRIBER = "9d4c2b7a-0e1f-4a3b-8c5d-6e7f8a9b0c1d";
const SUBSCRIBER_MOBILE = "0a1b2c3d-4e5f-4061-8273-9a8b7c6d5e4f";
const ANONYMOUS = "5b0f4a52-9a7e-4c1e-8d51-3b8f0e2a7c11";
const EXHAUSTED = "e3b0c442-98fc-4c14-9afb-f4c8996fb924";
const API_SAMPLE = "26a73b7a-f7d0-48d8-85dd-a04b07313895";
const TRANSFORMS = "4c9e2f1a-7b3d-4e8f-a1c2-d3e4f5a6b7c8";
const UNKNOWN = "00000000-0000-4000-8000-000000000000";

// Expected decisions for entitlement `premium`, from the sample documents the server embeds.
const CASES = [
  {
    name: "subscriber-entitlement",
    reader: SUBSCRIBER,
    article: "article-2000",
    state: "granted",
    reason: "entitlement",
    noteIncludes: "Included in your Gazette subscription",
    details: { Authenticated: "yes", "User state": "subscribed", Device: "pc", Country: "FR" },
  },
  {
    name: "subscriber-mobile-expired",
    reader: SUBSCRIBER_MOBILE,
    article: "article-2000",
    state: "granted",
    reason: "entitlement",
    details: { Device: "mobile", Browser: "Chrome", "Session expired": "yes" },
  },
  {
    name: "anonymous-meter",
    reader: ANONYMOUS,
    article: "article-2000",
    state: "granted",
    reason: "meter",
    meter: { id: "monthly-free", remaining: "3", size: "5" },
    noteIncludes: "3 of 5 free articles left",
    details: { Authenticated: "no", "User id": "none (anonymous)", Country: "DE" },
  },
  {
    name: "anonymous-already-read",
    reader: ANONYMOUS,
    article: "article-1002",
    state: "granted",
    reason: "consumed",
    noteIncludes: "already unlocked",
    meter: { id: "monthly-free", remaining: "3", size: "5" },
  },
  {
    name: "exhausted-new-article",
    reader: EXHAUSTED,
    article: "article-2000",
    state: "denied",
    reason: "exhausted",
    meter: { id: "monthly-free", remaining: "0", size: "5" },
    paywallIncludes: ["all 5 free articles", "1 January 2027"],
  },
  {
    name: "exhausted-counted-article",
    reader: EXHAUSTED,
    article: "article-3",
    state: "granted",
    reason: "consumed",
    meter: { id: "monthly-free", remaining: "0", size: "5" },
  },
  {
    name: "api-sample-no-entitlement",
    reader: API_SAMPLE,
    article: "article-2000",
    state: "denied",
    reason: "none",
    paywallIncludes: ["for Gazette subscribers"],
    details: { "User id": "UU0123456789ABCD", Country: "GB", "Session expired": "yes" },
  },
  {
    name: "api-sample-content-entitlement",
    reader: API_SAMPLE,
    article: "0123456789ABCD",
    state: "granted",
    reason: "entitlement",
    noteIncludes: "This session expired on 8 February 2025",
  },
  {
    name: "anonymous-add-on-article",
    reader: ANONYMOUS,
    article: "article-77",
    state: "denied",
    reason: "none",
    meter: { id: "monthly-free", remaining: "3", size: "5" },
    paywallIncludes: ["needs the section-politics entitlement", "sold separately"],
    subscribeShown: false,
  },
  {
    name: "transforms-page-views",
    reader: TRANSFORMS,
    article: "article-77",
    state: "granted",
    reason: "meter",
    meter: { id: "page-views", remaining: "8", size: "10", refresh: "8 January 2027 at 00:00 UTC" },
    noteIncludes: "8 of 10 free articles left",
  },
  {
    name: "transforms-url-pack",
    reader: TRANSFORMS,
    article: "/sport/final-score?utm=x",
    state: "granted",
    reason: "consumed",
    credit: { id: "url-pack", remaining: "2" },
  },
  {
    name: "unknown-session",
    reader: UNKNOWN,
    article: "article-2000",
    state: "error",
    errorIncludes: ["was not found", "not_found", "HTTP 404"],
  },
];

// Chromium logs every 404 response of a fetch as a console error. Only the unknown-session
// lookup expects one.
const EXPECTED_404_LOG = /Failed to load resource: the server responded with a status of 404/;

// Records, on every DOM change, whether the page shows the article and the paywall together,
// or either of them while the state is `pending`.
function watchVisibility() {
  window.__visibilityFaults = [];
  const check = () => {
    const story = document.getElementById("story-body");
    const paywall = document.getElementById("paywall");
    if (story === null || paywall === null) {
      return;
    }
    const state = document.body.dataset.state;
    if (!story.hidden && !paywall.hidden) {
      window.__visibilityFaults.push(`article and paywall shown together (state ${state})`);
    }
    if (state === "pending" && (!story.hidden || !paywall.hidden)) {
      window.__visibilityFaults.push("article or paywall shown while pending");
    }
  };
  new MutationObserver(check).observe(document, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["hidden", "data-state"],
  });
}

let server;
let serverLog = "";
let baseUrl;
let browser;

// Starts the server binary and resolves to the URL on its first stdout line.
async function startServer() {
  server = spawn(serverBinary, ["demo", "--listen", "127.0.0.1:0", "--root", workspaceRoot], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stderr.setEncoding("utf8");
  server.stderr.on("data", (chunk) => {
    serverLog += chunk;
  });

  let timer;
  const firstLine = new Promise((resolve, reject) => {
    let stdout = "";
    server.stdout.setEncoding("utf8");
    server.stdout.on("data", (chunk) => {
      stdout += chunk;
      const newline = stdout.indexOf("\n");
      if (newline !== -1) {
        resolve(stdout.slice(0, newline));
      }
    });
    server.once("error", (error) => {
      reject(new Error(`failed to start ${serverBinary}: ${error.message}`));
    });
    server.once("exit", (code) => {
      reject(new Error(`server exited with status ${code} before printing its URL:\n${serverLog}`));
    });
    timer = setTimeout(() => {
      reject(new Error(`server printed no URL within ${STARTUP_TIMEOUT_MS} ms:\n${serverLog}`));
    }, STARTUP_TIMEOUT_MS);
  });

  let line;
  try {
    line = await firstLine;
  } finally {
    clearTimeout(timer);
  }
  const match = /^zephr-session demo: (http:\/\/127\.0\.0\.1:\d+\/)$/.exec(line);
  assert.ok(match, `unexpected first stdout line of the server: ${JSON.stringify(line)}`);
  return match[1];
}

async function stopServer() {
  if (server?.pid === undefined || server.exitCode !== null || server.signalCode !== null) {
    return;
  }
  const exited = once(server, "exit");
  process.kill(server.pid, "SIGTERM");
  const timer = setTimeout(() => {
    if (server.exitCode === null && server.signalCode === null) {
      process.kill(server.pid, "SIGKILL");
    }
  }, 5_000);
  await exited;
  clearTimeout(timer);
}

function pageUrl(reader, article) {
  return `${baseUrl}?${new URLSearchParams({ reader, article })}`;
}

// Opens a fresh page that records page errors and console errors.
async function openPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = { pageErrors: [], consoleErrors: [] };
  page.on("pageerror", (error) => problems.pageErrors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") {
      problems.consoleErrors.push(message.text());
    }
  });
  await page.addInitScript(watchVisibility);
  return { context, page, problems };
}

async function waitForSettled(page) {
  await page.waitForFunction(() => document.body.dataset.state !== "pending", null, {
    timeout: SETTLE_TIMEOUT_MS,
  });
}

async function text(page, selector) {
  return (await page.locator(selector).textContent())?.trim() ?? "";
}

// Reads the reader details list as { term: value }.
async function readerDetails(page) {
  return page.evaluate(() => {
    const details = {};
    for (const term of document.querySelectorAll("#reader-details dt")) {
      details[term.textContent] = term.nextElementSibling?.textContent ?? "";
    }
    return details;
  });
}

before(async () => {
  try {
    await access(path.join(workspaceRoot, "pkg/zephr_session.js"));
  } catch {
    throw new Error(
      `the bundle ${path.join(workspaceRoot, "pkg/zephr_session.js")} is missing. Build it first with scripts/build.sh.`,
    );
  }
  await mkdir(screenshotDir, { recursive: true });
  console.log(`screenshots: ${screenshotDir}`);

  baseUrl = await startServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
  });
});

after(async () => {
  try {
    await browser?.close();
  } finally {
    await stopServer();
  }
});

for (const expected of CASES) {
  test(`demo page ${expected.name}`, async () => {
    const { context, page, problems } = await openPage();
    try {
      await page.goto(pageUrl(expected.reader, expected.article));
      await waitForSettled(page);
      await page.screenshot({ path: path.join(screenshotDir, `${expected.name}.png`), fullPage: true });

      assert.equal(await page.evaluate(() => document.body.dataset.state), expected.state);
      assert.equal(await page.locator("#reader").inputValue(), expected.reader);
      assert.equal(await page.locator("#article").inputValue(), expected.article);
      assert.equal(await page.locator("#pending").isVisible(), false, "pending line still shown");
      assert.equal(await page.locator("#story-body").isVisible(), expected.state === "granted", "article visibility");
      assert.equal(await page.locator("#paywall").isVisible(), expected.state === "denied", "paywall visibility");
      assert.equal(await page.locator("#error").isVisible(), expected.state === "error", "error box visibility");
      assert.equal(await page.locator("#session-details").isVisible(), expected.state !== "error", "details visibility");
      assert.deepEqual(await page.evaluate(() => window.__visibilityFaults), []);

      if (expected.state === "error") {
        const errorText = await text(page, "#error-text");
        for (const part of expected.errorIncludes) {
          assert.ok(errorText.includes(part), `error text ${JSON.stringify(errorText)} lacks ${JSON.stringify(part)}`);
        }
      } else {
        assert.equal(await text(page, "#reason"), expected.reason);
        assert.equal(await text(page, "#granted"), expected.state === "granted" ? "yes" : "no");
        assert.equal(await text(page, "#warnings"), "None");
      }

      assert.equal(await page.locator("#access-note").isVisible(), expected.state === "granted", "access note visibility");
      if (expected.state === "granted") {
        assert.ok((await text(page, "#story-body")).length > 0, "granted article has no text");
      }
      if (expected.noteIncludes !== undefined) {
        const note = await text(page, "#access-note");
        assert.ok(note.includes(expected.noteIncludes), `access note ${JSON.stringify(note)} lacks ${JSON.stringify(expected.noteIncludes)}`);
      }
      if (expected.state === "denied") {
        assert.equal(await page.locator("#subscribe").isVisible(), expected.subscribeShown ?? true, "subscribe button");
      }
      for (const part of expected.paywallIncludes ?? []) {
        const paywallText = await text(page, "#paywall-text");
        assert.ok(paywallText.includes(part), `paywall text ${JSON.stringify(paywallText)} lacks ${JSON.stringify(part)}`);
      }

      assert.equal(await page.locator("#meter").isVisible(), expected.meter !== undefined, "meter visibility");
      if (expected.meter !== undefined) {
        assert.equal(await text(page, "#meter-id"), expected.meter.id);
        assert.equal(await text(page, "#meter-remaining"), expected.meter.remaining);
        assert.equal(await text(page, "#meter-size"), expected.meter.size);
        assert.equal(await text(page, "#meter-refresh"), expected.meter.refresh ?? "1 January 2027 at 00:00 UTC");
      }

      assert.equal(await page.locator("#credit").isVisible(), expected.credit !== undefined, "credit visibility");
      if (expected.credit !== undefined) {
        assert.equal(await text(page, "#credit-id"), expected.credit.id);
        assert.equal(await text(page, "#credit-remaining"), expected.credit.remaining);
      }

      const details = await readerDetails(page);
      for (const [term, value] of Object.entries(expected.details ?? {})) {
        assert.equal(details[term], value, `reader detail ${term}`);
      }

      assert.deepEqual(problems.pageErrors, []);
      const unexpectedErrors = problems.consoleErrors.filter(
        (message) => !(expected.state === "error" && EXPECTED_404_LOG.test(message)),
      );
      assert.deepEqual(unexpectedErrors, []);
      if (expected.state === "error") {
        assert.equal(problems.consoleErrors.length, 1, `console errors: ${problems.consoleErrors}`);
      }
    } finally {
      await context.close();
    }
  });
}

test("demo page shows only the latest lookup", async () => {
  const { context, page, problems } = await openPage();
  const slowDelayMs = 1_500;
  let slowRouteErrors = 0;
  try {
    // Holds the subscriber's lookup back, so the reader changes while it is in flight.
    await page.route(`**/v4/sessions/www/${SUBSCRIBER}`, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, slowDelayMs));
      try {
        await route.continue();
      } catch {
        // The page aborted the request when the reader changed.
        slowRouteErrors += 1;
      }
    });

    const slowRequest = page.waitForRequest((request) => request.url().includes(SUBSCRIBER));
    await page.goto(pageUrl(SUBSCRIBER, "article-2000"));
    await slowRequest;

    assert.equal(await page.evaluate(() => document.body.dataset.state), "pending");
    assert.equal(await page.locator("#pending").isVisible(), true, "pending line hidden");
    assert.equal(await text(page, "#pending"), "Checking your access…");
    assert.equal(await page.locator("#story-body").isVisible(), false, "article shown while pending");
    assert.equal(await page.locator("#paywall").isVisible(), false, "paywall shown while pending");

    await page.locator("#reader").selectOption(EXHAUSTED);
    await waitForSettled(page);
    assert.equal(await page.evaluate(() => document.body.dataset.state), "denied");
    assert.equal(await text(page, "#reason"), "exhausted");

    // Wait until the held lookup has been released, then check that it changed nothing.
    await page.waitForTimeout(slowDelayMs + 500);
    await page.screenshot({ path: path.join(screenshotDir, "latest-lookup-wins.png"), fullPage: true });
    assert.equal(await page.evaluate(() => document.body.dataset.state), "denied");
    assert.equal(await text(page, "#reason"), "exhausted");
    assert.ok(slowRouteErrors <= 1);

    const query = new URL(page.url()).searchParams;
    assert.equal(query.get("reader"), EXHAUSTED);
    assert.equal(query.get("article"), "article-2000");

    await page.locator("#article").selectOption("article-3");
    await waitForSettled(page);
    assert.equal(await page.evaluate(() => document.body.dataset.state), "granted");
    assert.equal(await text(page, "#reason"), "consumed");
    assert.equal(new URL(page.url()).searchParams.get("article"), "article-3");

    assert.deepEqual(await page.evaluate(() => window.__visibilityFaults), []);
    assert.deepEqual(problems.pageErrors, []);
    assert.deepEqual(problems.consoleErrors, []);
  } finally {
    await context.close();
  }
});

async function post(pathAndQuery) {
  const response = await fetch(new URL(pathAndQuery, baseUrl), { method: "POST" });
  assert.ok(response.ok, `POST ${pathAndQuery} answered HTTP ${response.status}`);
}

test("demo purchase unlocks the article", async () => {
  const { context, page, problems } = await openPage();
  try {
    await page.goto(pageUrl(EXHAUSTED, "article-2000"));
    await waitForSettled(page);
    assert.equal(await page.evaluate(() => document.body.dataset.state), "denied");

    await page.locator("#subscribe").click();
    await page.waitForFunction(() => document.body.dataset.state === "granted", null, {
      timeout: SETTLE_TIMEOUT_MS,
    });
    await page.screenshot({ path: path.join(screenshotDir, "purchase-granted.png"), fullPage: true });
    assert.equal(await text(page, "#reason"), "entitlement");
    assert.ok((await text(page, "#access-note")).includes("Included in your Gazette subscription"));
    const details = await readerDetails(page);
    assert.equal(details["User state"], "subscribed");
    assert.deepEqual(await page.evaluate(() => window.__visibilityFaults), []);
    assert.deepEqual(problems.pageErrors, []);
    assert.deepEqual(problems.consoleErrors, []);
  } finally {
    await context.close();
    await post("/demo/reset");
  }
});

test("demo outage shows the last answer as stale", async () => {
  const { context, page, problems } = await openPage();
  try {
    await page.goto(pageUrl(ANONYMOUS, "article-2000"));
    await waitForSettled(page);
    assert.equal(await page.locator("#stale-note").isVisible(), false, "stale note before the outage");

    await page.locator("#outage").check();
    await page.waitForFunction(
      () => document.body.dataset.state !== "pending" && !document.getElementById("stale-note").hidden,
      null,
      { timeout: SETTLE_TIMEOUT_MS },
    );
    await page.screenshot({ path: path.join(screenshotDir, "outage-stale.png"), fullPage: true });
    assert.equal(await page.evaluate(() => document.body.dataset.state), "granted");
    assert.equal(await text(page, "#reason"), "meter");
    const note = await text(page, "#stale-note");
    assert.ok(note.includes("http_error, HTTP 503"), note);

    await page.locator("#outage").uncheck();
    await page.waitForFunction(
      () => document.body.dataset.state !== "pending" && document.getElementById("stale-note").hidden,
      null,
      { timeout: SETTLE_TIMEOUT_MS },
    );
    assert.deepEqual(await page.evaluate(() => window.__visibilityFaults), []);
    assert.deepEqual(problems.pageErrors, []);
    // Chromium logs each 503 answer as a console error; nothing else may appear.
    const unexpected = problems.consoleErrors.filter((message) => !/status of 503/.test(message));
    assert.deepEqual(unexpected, []);
  } finally {
    await context.close();
    await post("/demo/outage?on=false");
  }
});

test("server log never shows a whole session id", () => {
  assert.ok(serverLog.includes("path=/v4/sessions/www/9d4c…"), serverLog);
  for (const sessionId of [SUBSCRIBER, ANONYMOUS, EXHAUSTED, API_SAMPLE, TRANSFORMS, UNKNOWN]) {
    assert.ok(!serverLog.includes(sessionId), `server log contains ${sessionId}`);
  }
});
