// A mock session lookup for the browser tests of the client.
//
// It listens on 127.0.0.1 (port from argv[2], 0 for any free port), prints
// "mock: http://127.0.0.1:PORT" once it listens, and answers by site:
//
//   GET /v4/sessions/ok/{id}        200, a document that records the raw request
//                                   path, the decoded id and the request headers
//   GET /v4/sessions/status-{N}/x   HTTP N with an empty body (401, 404, 500, ...)
//   GET /v4/sessions/slow/{id}      200 after 5 s
//   GET /v4/sessions/slow-body/{id} 200 headers at once, the body after 5 s
//   GET /v4/sessions/not-json/{id}  200 with an HTML page
//   GET /v4/sessions/array/{id}     200 with a JSON array
//   GET /v4/sessions/script/{name}~{codes}
//                                   the Nth request for this id answers the Nth
//                                   status of the comma-separated list (the last
//                                   one repeats); 200 sends a document whose `v`
//                                   is N; "503r1" is a 503 with `Retry-After: 1`
//   GET /v4/sessions/counter/{id}   200, a document whose `v` is the number of
//                                   requests for this id; the entitlement
//                                   "premium" is direct from the third on
//   GET /v4/sessions/stable/{id}    200, the same document every time
//   GET /v4/sessions/delay-{ms}/{id} 200 after that many milliseconds
//   GET /v4/sessions/reset-body/{id}   200, half a document, then the connection is reset
//   GET /v4/sessions/trickle/{id}      200, a document sent one byte a second
//   GET /v4/sessions/plain/{id}        200, a text/plain error message
//   GET /v4/sessions/empty/{id}        200 with an empty body
//   GET /v4/sessions/no-content/{id}   204
//   GET /v4/sessions/big-{n}/{id}      200, a valid document of about n bytes, sent
//                                      in 1 KiB chunks with no Content-Length
//   GET /v4/sessions/redirect-cors/{id}   302 to the same lookup on the
//                                         "localhost" origin, site "ok"
//   GET /v4/sessions/redirect-no-cors/{id} 302 to the "localhost" origin, site
//                                         "no-cors", which sends no CORS headers
//   GET /v4/sessions/redirect-loop/{id}   302 to itself
//   GET /__requests                 the raw paths of every lookup so far, as JSON
//
// Every answer carries CORS headers so that the test page, served from
// another port, can read it.
import { createServer } from "node:http";

const requests = [];
const counts = new Map();

function countRequest(rawPath) {
  const count = (counts.get(rawPath) ?? 0) + 1;
  counts.set(rawPath, count);
  return count;
}

function send(response, status, body, type = "application/json", extraHeaders = {}) {
  response.writeHead(status, {
    "Content-Type": type,
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "*",
    "Access-Control-Expose-Headers": "Retry-After",
    "Cache-Control": "no-store",
    ...extraHeaders,
  });
  response.end(body);
}

function numberedDocument(sessionId, count) {
  return JSON.stringify({
    v: count,
    sessions: [{ session_id: sessionId }],
    access_model: {
      delivered_entitlements: [{ id: "premium", direct: count >= 3 }],
    },
  });
}

function scripted(response, sessionId, count) {
  const codes = (sessionId.split("~")[1] ?? "200").split(",");
  const code = codes[Math.min(count, codes.length) - 1];
  const [, status, retryAfter] = /^(\d{3})(?:r(\d+))?$/.exec(code) ?? [, "500"];
  if (status === "200") {
    send(response, 200, numberedDocument(sessionId, count));
  } else {
    send(response, Number(status), "", "application/json", retryAfter ? { "Retry-After": retryAfter } : {});
  }
}

function documentFor(rawPath, sessionId, headers) {
  return JSON.stringify({
    authenticated: false,
    session_variables: {
      path: rawPath,
      accept: headers.accept ?? null,
      requestedWith: headers["x-requested-with"] ?? null,
    },
    sessions: [{ session_id: sessionId, state: "anonymous" }],
    access_model: {
      meters: { "monthly-free": { meterSize: 5, remainingCredits: 2, contentIds: [] } },
      delivered_entitlements: [{ id: "premium", direct: false, meteredBy: ["monthly-free"] }],
    },
  });
}

const server = createServer((request, response) => {
  const rawPath = request.url ?? "";
  if (request.method === "OPTIONS") {
    send(response, 204, "");
    return;
  }
  if (rawPath === "/__requests") {
    send(response, 200, JSON.stringify(requests));
    return;
  }
  const match = /^\/v4\/sessions\/([^/]*)\/([^/]*)$/.exec(rawPath);
  if (!match) {
    requests.push(rawPath);
    send(response, 404, "");
    return;
  }
  requests.push(rawPath);
  const count = countRequest(rawPath);
  const [, site, encodedId] = match;
  let sessionId;
  try {
    sessionId = decodeURIComponent(encodedId);
  } catch {
    send(response, 400, "");
    return;
  }
  const status = /^status-(\d{3})$/.exec(site);
  const delay = /^delay-(\d+)$/.exec(site);
  const big = /^big-(\d+)$/.exec(site);
  if (status) {
    send(response, Number(status[1]), "");
  } else if (site === "ok") {
    send(response, 200, documentFor(rawPath, sessionId, request.headers));
  } else if (site === "slow") {
    const timer = setTimeout(() => send(response, 200, documentFor(rawPath, sessionId, request.headers)), 5000);
    response.on("close", () => clearTimeout(timer));
  } else if (site === "slow-body") {
    response.writeHead(200, { "Content-Type": "application/json", "Access-Control-Allow-Origin": "*" });
    response.write('{"authenticated":');
    const timer = setTimeout(() => response.end("false}"), 5000);
    response.on("close", () => clearTimeout(timer));
  } else if (site === "script") {
    scripted(response, sessionId, count);
  } else if (site === "counter") {
    send(response, 200, numberedDocument(sessionId, count));
  } else if (site === "stable") {
    send(response, 200, numberedDocument(sessionId, 1));
  } else if (delay) {
    const timer = setTimeout(() => send(response, 200, numberedDocument(sessionId, count)), Number(delay[1]));
    response.on("close", () => clearTimeout(timer));
  } else if (site === "reset-body") {
    response.writeHead(200, { "Content-Type": "application/json", "Access-Control-Allow-Origin": "*" });
    response.write('{"authenticated": true, "sessions": [');
    setTimeout(() => response.socket?.destroy(), 50);
  } else if (site === "trickle") {
    response.writeHead(200, { "Content-Type": "application/json", "Access-Control-Allow-Origin": "*" });
    const body = documentFor(rawPath, sessionId, request.headers);
    let sent = 0;
    const timer = setInterval(() => {
      response.write(body.slice(sent, sent + 1));
      sent += 1;
      if (sent >= body.length) {
        clearInterval(timer);
        response.end();
      }
    }, 1000);
    response.on("close", () => clearInterval(timer));
  } else if (site === "plain") {
    send(response, 200, "Service temporarily unavailable", "text/plain");
  } else if (site === "empty") {
    send(response, 200, "");
  } else if (site === "no-content") {
    send(response, 204, "");
  } else if (big) {
    response.writeHead(200, { "Content-Type": "application/json", "Access-Control-Allow-Origin": "*" });
    const size = Number(big[1]);
    response.write('{"padding": "');
    for (let written = 0; written < size; written += 1024) {
      response.write("x".repeat(1024));
    }
    response.end('"}');
  } else if (site === "redirect-cors" || site === "redirect-no-cors") {
    const target = site === "redirect-cors" ? "ok" : "no-cors";
    const { port } = server.address();
    send(response, 302, "", "text/plain", { Location: `http://localhost:${port}/v4/sessions/${target}/${encodedId}` });
  } else if (site === "redirect-loop") {
    send(response, 302, "", "text/plain", { Location: rawPath });
  } else if (site === "no-cors") {
    response.writeHead(200, { "Content-Type": "application/json" });
    response.end(documentFor(rawPath, sessionId, request.headers));
  } else if (site === "not-json") {
    send(response, 200, "<!doctype html><title>Log in</title>", "text/html");
  } else if (site === "array") {
    send(response, 200, "[]");
  } else {
    send(response, 404, "");
  }
});

server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  const { port } = server.address();
  console.log(`mock: http://127.0.0.1:${port}`);
});
