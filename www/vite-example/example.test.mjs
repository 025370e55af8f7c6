// Tests the Vite example as a reader sees it: the page built by `vite build`
// (dist/), served by the demo server on a free loopback port, in headless
// Chromium. The demo server serves the lookups from its sample readers.
//
// Needs: scripts/package.sh, then scripts/setup.sh examples and `npm run build` in this folder,
// the demo server binary (ZEPHR_SERVER_BIN, default
// target/debug/zephr-session-server) and Chromium at /usr/bin/chromium.
// Run: node --test www/vite-example/
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../../tests/support/chromium.mjs";

const exampleDir = path.dirname(fileURLToPath(import.meta.url));
const workspaceRoot = path.resolve(exampleDir, "../..");
const distDir = path.join(exampleDir, "dist");
const serverBinary = path.resolve(
  workspaceRoot,
  process.env.ZEPHR_SERVER_BIN ?? "target/debug/zephr-session-server",
);

const STARTUP_TIMEOUT_MS = 30_000;
const SETTLE_TIMEOUT_MS = 15_000;

// Sample readers of the demo server, and the decision each gets for
// article-2000 with entitlement "premium".
const CASES = [
  { name: "subscriber", reader: "9d4c2b7a-0e1f-4a3b-8c5d-6e7f8a9b0c1d", state: "granted", reason: "entitlement" },
  {
    name: "anonymous reader with free articles",
    reader: "5b0f4a52-9a7e-4c1e-8d51-3b8f0e2a7c11",
    state: "granted",
    reason: "meter",
    text: "3 left on meter monthly-free",
  },
  { name: "exhausted meter", reader: "e3b0c442-98fc-4c14-9afb-f4c8996fb924", state: "denied", reason: "exhausted" },
  { name: "unknown session", reader: "00000000-0000-4000-8000-000000000000", state: "error", code: "not_found" },
];

let server;
let siteRoot;
let baseUrl;
let browser;

// Starts the demo server on a copy of dist/ and resolves to the URL on its first stdout line.
async function startServer() {
  siteRoot = mkdtempSync(path.join(tmpdir(), "zephr-vite-example-"));
  cpSync(distDir, path.join(siteRoot, "www"), { recursive: true });
  mkdirSync(path.join(siteRoot, "pkg"));
  server = spawn(serverBinary, ["demo", "--listen", "127.0.0.1:0", "--root", siteRoot], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the demo server printed no URL within 30 s")), STARTUP_TIMEOUT_MS);
    let stdout = "";
    server.stdout.setEncoding("utf8");
    server.stdout.on("data", (chunk) => {
      stdout += chunk;
      const newline = stdout.indexOf("\n");
      if (newline !== -1) {
        clearTimeout(timer);
        // The line reads "zephr-session demo: http://127.0.0.1:PORT/".
        const url = /http:\/\/127\.0\.0\.1:\d+/.exec(stdout.slice(0, newline));
        if (url) {
          resolve(url[0]);
        } else {
          reject(new Error(`the demo server printed no URL: ${stdout.slice(0, newline)}`));
        }
      }
    });
    server.on("exit", (code) => reject(new Error(`the demo server exited with status ${code}`)));
  });
}

before(async () => {
  assert.ok(readdirSync(distDir).includes("index.html"), "dist/index.html exists; run npm run build first");
  baseUrl = await startServer();
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    server.kill();
    await once(server, "exit");
  }
  if (siteRoot) {
    rmSync(siteRoot, { recursive: true, force: true });
  }
});

test("installed package is the packed one", () => {
  // npm can install a file: tarball from its cache when package-lock.json
  // records the tarball's integrity, so check that the example built
  // against the package that scripts/package.sh assembled last.
  const file = "bundler/zephr_session_bg.wasm";
  const installed = readFileSync(path.join(exampleDir, "node_modules/zephr-session", file));
  const packed = readFileSync(path.join(workspaceRoot, "target/package/zephr-session", file));
  assert.ok(installed.equals(packed), `node_modules/zephr-session/${file} differs from the packed build`);
});

test("bundle contains the wasm module", () => {
  const assets = readdirSync(path.join(distDir, "assets"));
  assert.ok(assets.some((name) => name.endsWith(".wasm")), `no .wasm file among ${assets.join(", ")}`);
});

for (const expected of CASES) {
  test(`decision for ${expected.name}`, async () => {
    const page = await browser.newPage();
    const problems = [];
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      // The lookup of the unknown session returns 404, which Chromium logs as a failed resource.
      if (message.type() === "error" && !message.text().includes("404")) {
        problems.push(`console error: ${message.text()}`);
      }
    });
    try {
      await page.goto(`${baseUrl}/?reader=${expected.reader}`);
      const status = page.locator("#status:not([data-state='loading'])");
      await status.waitFor({ timeout: SETTLE_TIMEOUT_MS }).catch((error) => {
        throw new Error(`the page showed no decision (${error.message}); ${problems.join("; ") || "no page errors"}`);
      });
      assert.equal(await status.getAttribute("data-state"), expected.state);
      if (expected.reason) {
        assert.equal(await status.getAttribute("data-reason"), expected.reason);
      }
      if (expected.code) {
        assert.equal(await status.getAttribute("data-code"), expected.code);
      }
      if (expected.text) {
        assert.match(await status.textContent(), new RegExp(expected.text));
      }
      const granted = expected.state === "granted";
      assert.equal(await page.locator("#article").isVisible(), granted, "article visibility");
      assert.equal(await page.locator("#paywall").isVisible(), !granted, "paywall visibility");
      assert.deepEqual(problems, []);
    } finally {
      await page.close();
    }
  });
}
