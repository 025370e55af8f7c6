// Starts what the browser tests of the client need: the mock lookup
// (tests/mock/server.mjs) as a child process, a static server for pkg/ and
// the test page, and headless Chromium. Every server listens on 127.0.0.1
// with a free port, so the page's origin differs from the mock's.
// Its name matches no test file pattern, so `node --test tests/browser/`
// does not run it as a test.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { access, readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { createServer as createTcpServer } from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../support/chromium.mjs";

const testDir = path.dirname(fileURLToPath(import.meta.url));
const workspaceRoot = path.resolve(testDir, "../..");
const pkgDir = path.join(workspaceRoot, "pkg");
const mockScript = path.join(workspaceRoot, "tests/mock/server.mjs");
const pageHelpers = path.join(testDir, "page-helpers.js");

const STARTUP_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const PAGE_READY_TIMEOUT_MS = 10_000;

// Chromium resolves no host name except the loopback ones, so a lookup that
// the client sends anywhere else fails instead of leaving this machine.
const LOOPBACK_ONLY_ARG = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost";

// The test page loads page-helpers.js, which loads the bundle the way a page
// does and sets `window.harnessReady` once `init()` resolved.
const TEST_PAGE = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>zephr-session client tests</title>
<script type="module" src="/page-helpers.js"
  onerror="window.harnessError = 'page-helpers.js or the bundle it imports failed to load'"></script>
</html>
`;

const CONTENT_TYPES = {
  ".js": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".ts": "text/plain; charset=utf-8",
};

/**
 * Starts the mock lookup and resolves to `{ url, stop }`. `stop` ends the
 * process by its PID: SIGTERM, then SIGKILL if it is still running after 5 s.
 */
export async function startMock() {
  const child = spawn(process.execPath, [mockScript, "0"], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });

  let timer;
  const started = new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      if (line.startsWith("mock: ")) {
        resolve(line.slice("mock: ".length));
      }
    });
    child.once("error", (error) => reject(new Error(`failed to start ${mockScript}: ${error.message}`)));
    child.once("exit", (status) => {
      reject(new Error(`the mock exited with status ${status} before printing its URL:\n${stderr}`));
    });
    timer = setTimeout(() => {
      reject(new Error(`the mock printed no URL within ${STARTUP_TIMEOUT_MS} ms:\n${stderr}`));
    }, STARTUP_TIMEOUT_MS);
  });

  let url;
  try {
    url = await started;
  } catch (error) {
    await stopProcess(child);
    throw error;
  } finally {
    clearTimeout(timer);
  }
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) {
    await stopProcess(child);
    throw new Error(`the mock printed an unexpected URL: ${JSON.stringify(url)}`);
  }
  return { url, pid: child.pid, stop: () => stopProcess(child) };
}

async function stopProcess(child) {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = once(child, "exit");
  process.kill(child.pid, "SIGTERM");
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, "SIGKILL");
    }
  }, STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts an HTTP server in this process that serves the test page at `/`,
 * page-helpers.js, and the files of pkg/ under `/pkg/`. Resolves to
 * `{ url, close }`.
 */
export async function startStaticServer() {
  try {
    await access(path.join(pkgDir, "zephr_session.js"));
  } catch {
    throw new Error(`the bundle ${path.join(pkgDir, "zephr_session.js")} is missing. Build it first with scripts/build.sh.`);
  }

  const server = createServer(async (request, response) => {
    const { pathname } = new URL(request.url ?? "/", "http://127.0.0.1");
    try {
      if (pathname === "/") {
        sendFile(response, 200, TEST_PAGE, "text/html; charset=utf-8");
      } else if (pathname === "/page-helpers.js") {
        sendFile(response, 200, await readFile(pageHelpers), CONTENT_TYPES[".js"]);
      } else if (pathname.startsWith("/pkg/")) {
        const file = path.resolve(pkgDir, `.${decodeURIComponent(pathname.slice("/pkg".length))}`);
        if (!file.startsWith(`${pkgDir}${path.sep}`)) {
          sendFile(response, 404, "not found", "text/plain");
          return;
        }
        const type = CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream";
        sendFile(response, 200, await readFile(file), type);
      } else {
        sendFile(response, 404, "not found", "text/plain");
      }
    } catch (error) {
      const status = error.code === "ENOENT" ? 404 : 500;
      sendFile(response, status, `${request.url}: ${error.message}`, "text/plain");
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

function sendFile(response, status, body, type) {
  response.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store" });
  response.end(body);
}

/**
 * Resolves to a port of 127.0.0.1 that nothing listens on, taken from a
 * server that was opened and closed again. Another process could bind it in
 * the meantime, which would turn the closed-port test into a failure.
 */
export async function closedPort() {
  const server = createTcpServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}

/** Launches headless Chromium with the project's arguments and loopback-only name resolution. */
export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, LOOPBACK_ONLY_ARG],
  });
}

/**
 * Opens the test page in a new context of `browser` and waits until the
 * bundle is initialised. Resolves to `{ context, page }`.
 */
export async function openTestPage(browser, pageUrl) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(pageUrl);
  await page.waitForFunction(() => window.harnessReady === true || window.harnessError !== undefined, null, {
    timeout: PAGE_READY_TIMEOUT_MS,
  });
  const loadError = await page.evaluate(() => window.harnessError);
  if (loadError !== undefined) {
    await context.close();
    throw new Error(`the test page failed to load the bundle: ${loadError}. Rebuild pkg/ with scripts/build.sh.`);
  }
  return { context, page };
}

/** Resolves to the raw paths of every lookup the mock received so far, in order. */
export async function requestedPaths(mockUrl) {
  const response = await fetch(`${mockUrl}/__requests`);
  if (!response.ok) {
    throw new Error(`GET ${mockUrl}/__requests failed with HTTP ${response.status}`);
  }
  return response.json();
}

/** Counts the lookups the mock received for one site and session id. */
export async function requestCount(mockUrl, site, sessionId) {
  const lookupPath = `/v4/sessions/${site}/${encodeURIComponent(sessionId)}`;
  const paths = await requestedPaths(mockUrl);
  return paths.filter((seen) => seen === lookupPath).length;
}
