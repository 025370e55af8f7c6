// Server-side rendering with zephr-session's Node build: the server looks up
// the reader's session, decides with the same rules as the browser, and
// sends the article text only to a reader who may see it. A denied reader
// gets the paywall, and the article text never leaves the server.
//
// Usage (Node 20):
//   LOOKUP_URL=http://127.0.0.1:8787 node server.mjs
//       looks sessions up at {LOOKUP_URL}/v4/sessions/{SITE}/{sessionId}
//       with SessionClient: the demo server, or the signing proxy
//   DOCUMENTS_DIR=../../tests/fixtures node server.mjs
//       reads the document of session ID from DOCUMENTS_DIR/ID.json with
//       Session.fromJson, as a server that already has the document would
//
// Other settings: SITE (default "www"), HOST (default 127.0.0.1) and PORT
// (default 8788; 0 picks a free port). The reader's session id is the
// blaize_session cookie of each request. It prints "ssr-example: URL" once
// it listens. Pages: GET /articles/{contentId}.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Session, SessionClient } from "zephr-session";

const ARTICLES = new Map([
  [
    "article-2000",
    {
      entitlementId: "premium",
      headline: "Council approves the river tram after a night-long vote",
      paragraphs: [
        "After eleven hours of debate, the city council approved the river tram by 31 votes to 24 shortly before dawn.",
        "The line will link the old docks to the university in eighteen minutes, with the first trams expected in three years.",
      ],
    },
  ],
  [
    "article-6",
    {
      entitlementId: "premium",
      headline: "The last ferryman of the north channel",
      paragraphs: [
        "For forty-one years, Ada Brennan has rowed commuters across the north channel before the bridge opens.",
        "On Friday she makes her final crossing, and the harbour board plans to keep her boat in the museum.",
      ],
    },
  ],
]);

// A session id from the cookie is used in a file name in documents mode,
// so only the characters of UUIDs and fixture names are accepted there.
const DOCUMENT_ID = /^[A-Za-z0-9_-]{1,128}$/;

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function readCookie(header, name) {
  for (const pair of (header ?? "").split(";")) {
    const [key, ...rest] = pair.split("=");
    if (key.trim() === name) {
      const value = rest.join("=").trim();
      return value === "" ? undefined : value;
    }
  }
  return undefined;
}

// Returns a function that resolves a session id to a Session, or to
// undefined when the reader has no session there.
function sessionSource({ lookupUrl, documentsDir, site }) {
  if (lookupUrl) {
    // One client for the process: its memory cache and its requests in
    // flight are shared by every reader's request, keyed by session id.
    const client = new SessionClient({ baseUrl: lookupUrl, site, timeoutMs: 2000, retries: 1, cacheTtlMs: 10_000 });
    return async (sessionId) => {
      try {
        return await client.fetchSession(sessionId);
      } catch (error) {
        if (error.code === "not_found" || error.code === "invalid_argument") {
          return undefined;
        }
        throw error;
      }
    };
  }
  return async (sessionId) => {
    if (!DOCUMENT_ID.test(sessionId)) {
      return undefined;
    }
    let text;
    try {
      text = await readFile(path.join(documentsDir, `${sessionId}.json`), "utf8");
    } catch (error) {
      if (error.code === "ENOENT") {
        return undefined;
      }
      throw error;
    }
    return Session.fromJson(JSON.parse(text), { sessionId });
  };
}

function page(title, body) {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
${body}
</body>
</html>
`;
}

function articlePage(article, decision) {
  const paragraphs = article.paragraphs.map((text) => `  <p>${escapeHtml(text)}</p>`).join("\n");
  const note =
    decision.reason === "meter" || decision.reason === "credit"
      ? `\n  <p class="note">${escapeHtml(decision.remainingCredits)} free articles left.</p>`
      : "";
  return page(
    article.headline,
    `<article data-granted="true" data-reason="${escapeHtml(decision.reason)}">
  <h1>${escapeHtml(article.headline)}</h1>${note}
${paragraphs}
</article>`,
  );
}

// The paywall carries the headline but none of the article's text.
function paywallPage(article, reason) {
  return page(
    article.headline,
    `<article data-granted="false" data-reason="${escapeHtml(reason)}">
  <h1>${escapeHtml(article.headline)}</h1>
  <section class="paywall"><p>This article is for Gazette subscribers. Subscribe to read on.</p></section>
</article>`,
  );
}

function send(response, status, html) {
  response.writeHead(status, {
    "Content-Type": "text/html; charset=utf-8",
    // Each reader gets a different page, so no shared cache may keep one.
    "Cache-Control": "private, no-store",
    Vary: "Cookie",
  });
  response.end(html);
}

/**
 * Creates the article server. Pass `lookupUrl` (an absolute URL of a session
 * lookup) or `documentsDir` (a folder of session documents named ID.json).
 */
export function createArticleServer({ lookupUrl, documentsDir, site = "www", log = console.error }) {
  if (!lookupUrl === !documentsDir) {
    throw new Error("pass exactly one of lookupUrl and documentsDir");
  }
  const loadSession = sessionSource({ lookupUrl, documentsDir, site });

  return createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const match = /^\/articles\/([^/]+)$/.exec(url.pathname);
    if (request.method !== "GET" || !match) {
      send(response, 404, page("Not found", "<p>No such page.</p>"));
      return;
    }
    let contentId;
    try {
      contentId = decodeURIComponent(match[1]);
    } catch {
      send(response, 400, page("Bad request", "<p>The article id is not valid.</p>"));
      return;
    }
    const article = ARTICLES.get(contentId);
    if (!article) {
      send(response, 404, page("Not found", `<p>No article ${escapeHtml(contentId)}.</p>`));
      return;
    }

    const sessionId = readCookie(request.headers.cookie, "blaize_session");
    if (!sessionId) {
      send(response, 200, paywallPage(article, "no-session"));
      return;
    }
    let session;
    try {
      session = await loadSession(sessionId);
    } catch (error) {
      // Fail closed: without a session document, the reader gets the paywall.
      log(`ssr-example: session lookup failed (${error.code ?? error.name}): ${error.message}`);
      send(response, 200, paywallPage(article, "lookup-failed"));
      return;
    }
    if (!session) {
      send(response, 200, paywallPage(article, "unknown-session"));
      return;
    }
    const decision = session.decide(contentId, { entitlementId: article.entitlementId });
    send(response, 200, decision.granted ? articlePage(article, decision) : paywallPage(article, decision.reason));
  });
}

function main() {
  const lookupUrl = process.env.LOOKUP_URL || undefined;
  const documentsDir = process.env.DOCUMENTS_DIR || undefined;
  if (!lookupUrl === !documentsDir) {
    console.error("ssr-example: set exactly one of LOOKUP_URL (a session lookup URL) and DOCUMENTS_DIR (a folder of ID.json documents)");
    process.exit(2);
  }
  const port = Number(process.env.PORT ?? 8788);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`ssr-example: PORT ${JSON.stringify(process.env.PORT)} is not a port number from 0 to 65535`);
    process.exit(2);
  }
  const host = process.env.HOST || "127.0.0.1";
  const server = createArticleServer({ lookupUrl, documentsDir, site: process.env.SITE || "www" });
  server.listen(port, host, () => {
    const address = server.address();
    const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
    console.log(`ssr-example: http://${shownHost}:${address.port}/`);
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main();
}
