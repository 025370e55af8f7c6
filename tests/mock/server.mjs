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
//   GET /__requests                 the raw paths of every lookup so far, as JSON
//
// Every answer carries CORS headers so that the test page, served from
// another port, can read it.
import { createServer } from "node:http";

const requests = [];

function send(response, status, body, type = "application/json") {
  response.writeHead(status, {
    "Content-Type": type,
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "*",
    "Cache-Control": "no-store",
  });
  response.end(body);
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
  const [, site, encodedId] = match;
  let sessionId;
  try {
    sessionId = decodeURIComponent(encodedId);
  } catch {
    send(response, 400, "");
    return;
  }
  const status = /^status-(\d{3})$/.exec(site);
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
