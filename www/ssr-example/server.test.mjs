// Tests the server-rendering example as a reader's browser meets it. The
// example runs as its own process on a free loopback port, once against the
// demo server's lookup and once on the sample documents in tests/fixtures/.
// Each request carries the reader's blaize_session cookie.
//
// Needs: `npm ci` in this folder after scripts/package.sh, and the demo
// server binary (ZEPHR_SERVER_BIN, default target/debug/zephr-session-server).
// Run: node --test www/ssr-example/
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const exampleDir = path.dirname(fileURLToPath(import.meta.url));
const workspaceRoot = path.resolve(exampleDir, "../..");
const serverBinary = path.resolve(
  workspaceRoot,
  process.env.ZEPHR_SERVER_BIN ?? "target/debug/zephr-session-server",
);

const SUBSCRIBER = "9d4c2b7a-0e1f-4a3b-8c5d-6e7f8a9b0c1d";
const SUBSCRIBER_MOBILE = "0a1b2c3d-4e5f-4061-8273-9a8b7c6d5e4f";
const ANONYMOUS = "5b0f4a52-9a7e-4c1e-8d51-3b8f0e2a7c11";
const EXHAUSTED = "e3b0c442-98fc-4c14-9afb-f4c8996fb924";
const API_SAMPLE = "26a73b7a-f7d0-48d8-85dd-a04b07313895";
const UNKNOWN = "00000000-0000-4000-8000-000000000000";

// Sentences of the articles' text, which only a granted reader may receive.
const ARTICLE_TEXT = {
  "article-2000": ["After eleven hours of debate", "The line will link the old docks"],
  "article-6": ["For forty-one years, Ada Brennan", "On Friday she makes her final crossing"],
};

const started = [];

// Starts a process and resolves to the URL in its first stdout line that starts with `prefix`.
async function startProcess(command, args, { env = {}, prefix }) {
  const child = spawn(command, args, {
    cwd: exampleDir,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  started.push(child);
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`${path.basename(command)} ${args.join(" ")} exited with status ${code}`);
  });
  const lines = createInterface({ input: child.stdout });
  const printed = (async () => {
    for await (const line of lines) {
      if (line.startsWith(prefix)) {
        return /http:\/\/127\.0\.0\.1:\d+/.exec(line)?.[0];
      }
    }
    throw new Error(`${command} printed no line starting with ${prefix}`);
  })();
  const url = await Promise.race([printed, exited]);
  assert.ok(url, `${command} printed its URL`);
  return url;
}

async function startExample(env) {
  return startProcess(process.execPath, ["server.mjs"], { env: { PORT: "0", ...env }, prefix: "ssr-example: " });
}

async function read(baseUrl, pathname, sessionId) {
  const headers = sessionId === undefined ? {} : { Cookie: `theme=dark; blaize_session=${sessionId}` };
  const response = await fetch(new URL(pathname, baseUrl), { headers });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

function attribute(body, name) {
  return new RegExp(`${name}="([^"]*)"`).exec(body)?.[1];
}

function assertGranted(page, contentId, reason) {
  assert.equal(page.status, 200);
  assert.equal(attribute(page.body, "data-granted"), "true", page.body);
  assert.equal(attribute(page.body, "data-reason"), reason);
  for (const sentence of ARTICLE_TEXT[contentId]) {
    assert.ok(page.body.includes(sentence), `the page lacks "${sentence}"`);
  }
}

function assertPaywall(page, contentId, reason) {
  assert.equal(page.status, 200);
  assert.equal(attribute(page.body, "data-granted"), "false", page.body);
  assert.equal(attribute(page.body, "data-reason"), reason);
  assert.match(page.body, /for Gazette subscribers/);
  for (const sentence of ARTICLE_TEXT[contentId]) {
    assert.ok(!page.body.includes(sentence), `the paywall sends "${sentence}"`);
  }
}

after(async () => {
  for (const child of started) {
    if (child.exitCode === null) {
      child.kill();
      await once(child, "exit");
    }
  }
});

test("installed package is the packed one", () => {
  // npm can install a file: tarball from its cache when package-lock.json
  // records the tarball's integrity, so check that the example runs the
  // package that scripts/package.sh assembled last.
  const file = "node/zephr_session_bg.wasm";
  const installed = readFileSync(path.join(exampleDir, "node_modules/zephr-session", file));
  const packed = readFileSync(path.join(workspaceRoot, "target/package/zephr-session", file));
  assert.ok(installed.equals(packed), `node_modules/zephr-session/${file} differs from the packed build`);
});

describe("with the demo server's lookup", () => {
  let demoUrl;
  let exampleUrl;

  before(async () => {
    demoUrl = await startProcess(serverBinary, ["demo", "--listen", "127.0.0.1:0", "--root", workspaceRoot], {
      prefix: "zephr-session demo: ",
    });
    exampleUrl = await startExample({ LOOKUP_URL: demoUrl });
  });

  test("subscriber reads the article", async () => {
    assertGranted(await read(exampleUrl, "/articles/article-2000", SUBSCRIBER), "article-2000", "entitlement");
  });

  test("metered reader reads with a note", async () => {
    const page = await read(exampleUrl, "/articles/article-2000", ANONYMOUS);
    assertGranted(page, "article-2000", "meter");
    assert.match(page.body, /3 free articles left/);
  });

  test("exhausted meter gets the paywall only", async () => {
    assertPaywall(await read(exampleUrl, "/articles/article-2000", EXHAUSTED), "article-2000", "exhausted");
  });

  test("reader without the entitlement gets the paywall", async () => {
    assertPaywall(await read(exampleUrl, "/articles/article-2000", API_SAMPLE), "article-2000", "none");
  });

  test("no cookie gets the paywall", async () => {
    assertPaywall(await read(exampleUrl, "/articles/article-2000"), "article-2000", "no-session");
  });

  test("unknown session gets the paywall", async () => {
    assertPaywall(await read(exampleUrl, "/articles/article-2000", UNKNOWN), "article-2000", "unknown-session");
  });

  test("invalid session id gets the paywall", async () => {
    assertPaywall(await read(exampleUrl, "/articles/article-2000", ".."), "article-2000", "unknown-session");
  });

  test("lookup outage fails closed", async () => {
    const outage = await fetch(new URL("/demo/outage?on=true", demoUrl), { method: "POST" });
    assert.equal(outage.status, 204);
    let page;
    try {
      // A reader this example has not looked up yet, so no cached document answers.
      page = await read(exampleUrl, "/articles/article-6", SUBSCRIBER_MOBILE);
    } finally {
      await fetch(new URL("/demo/outage?on=false", demoUrl), { method: "POST" });
    }
    assertPaywall(page, "article-6", "lookup-failed");
    assertGranted(await read(exampleUrl, "/articles/article-6", SUBSCRIBER_MOBILE), "article-6", "entitlement");
  });

  test("pages are private to the reader", async () => {
    const page = await read(exampleUrl, "/articles/article-2000", SUBSCRIBER);
    assert.equal(page.headers.get("cache-control"), "private, no-store");
    assert.equal(page.headers.get("vary"), "Cookie");
    assert.match(page.headers.get("content-type"), /^text\/html/);
  });

  test("unknown article is 404 with the id escaped", async () => {
    const page = await read(exampleUrl, "/articles/%3Cscript%3Ealert(1)%3C%2Fscript%3E", SUBSCRIBER);
    assert.equal(page.status, 404);
    assert.ok(!page.body.includes("<script>"), page.body);
    assert.match(page.body, /&#60;script&#62;/);
  });
});

describe("with documents from tests/fixtures", () => {
  let exampleUrl;

  before(async () => {
    exampleUrl = await startExample({ DOCUMENTS_DIR: path.join(workspaceRoot, "tests/fixtures") });
  });

  test("metered fixture reads the article", async () => {
    assertGranted(await read(exampleUrl, "/articles/article-2000", "anonymous-metered"), "article-2000", "meter");
  });

  test("exhausted fixture gets the paywall only", async () => {
    assertPaywall(await read(exampleUrl, "/articles/article-6", "meter-exhausted"), "article-6", "exhausted");
  });

  test("subscriber fixture reads the article", async () => {
    assertGranted(await read(exampleUrl, "/articles/article-6", "subscriber"), "article-6", "entitlement");
  });

  test("path in the cookie is not read", async () => {
    for (const sessionId of ["../fixtures/subscriber", "..%2Fsubscriber", "subscriber.json"]) {
      assertPaywall(await read(exampleUrl, "/articles/article-6", sessionId), "article-6", "unknown-session");
    }
  });
});
