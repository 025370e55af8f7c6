// The benchmark's local server: the release bundle, the benchmark pages and
// session lookups, all on one origin on 127.0.0.1.
//
//   GET /pkg/FILE                      a file of the bundle folder
//   GET /bench/FILE                    a page or module of bench/
//   GET /v4/sessions/bench/NAME        the session document NAME, as JSON
//   GET /__counts                      the number of requests for each path so far
//
// Every response carries `Cache-Control: no-store`, so that no load reuses
// another's download. Lookups carry CORS headers too, for a page on another
// origin.
//
// Usage: node bench/server.mjs [--pkg DIR] [--documents DIR]...
// The bundle folder defaults to pkg/. Each --documents folder adds its *.json
// files, each named by its file name without .json. Without --documents, the
// server reads the sample documents and generates the benchmark's. It prints
// "bench server: URL" once it listens, and stops on SIGINT or SIGTERM.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const benchDir = path.dirname(fileURLToPath(import.meta.url));

const CONTENT_TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
};

/**
 * Returns the path of `relative` inside `folder`, or undefined when it would
 * leave the folder or names a file type the server does not serve.
 */
function fileInside(folder, relative) {
  const file = path.resolve(folder, relative);
  if (!file.startsWith(folder + path.sep) || !(path.extname(file) in CONTENT_TYPES)) {
    return undefined;
  }
  return file;
}

/**
 * Starts the server on 127.0.0.1 on a free port. `documents` maps a session
 * id to its JSON text. Resolves to `{ url, counts, close }`, where `counts`
 * maps each path to the number of requests for it so far.
 */
export async function startServer({ pkgDir, documents }) {
  const roots = { "/pkg/": path.resolve(pkgDir), "/bench/": benchDir };
  const counts = new Map();

  const server = createServer(async (request, response) => {
    const headers = { "Cache-Control": "no-store" };
    const send = (status, body, type = "text/plain; charset=utf-8") => {
      response.writeHead(status, { ...headers, "Content-Type": type });
      response.end(request.method === "HEAD" ? undefined : body);
    };

    if (request.method === "OPTIONS") {
      response.writeHead(204, {
        ...headers,
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Headers": "*",
      });
      response.end();
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      send(405, "only GET and HEAD are served\n");
      return;
    }

    const { pathname } = new URL(request.url, "http://127.0.0.1");
    if (pathname === "/__counts") {
      send(200, JSON.stringify(Object.fromEntries(counts)), CONTENT_TYPES[".json"]);
      return;
    }
    counts.set(pathname, (counts.get(pathname) ?? 0) + 1);
    let decoded;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      send(400, `invalid percent-encoding in ${pathname}\n`);
      return;
    }

    const lookup = pathname.match(/^\/v4\/sessions\/([^/]+)\/([^/]+)$/);
    if (lookup) {
      headers["Access-Control-Allow-Origin"] = "*";
      const [site, id] = lookup.slice(1).map(decodeURIComponent);
      const text = site === "bench" ? documents.get(id) : undefined;
      if (text === undefined) {
        send(404, "");
      } else {
        send(200, text, CONTENT_TYPES[".json"]);
      }
      return;
    }

    const prefix = Object.keys(roots).find((candidate) => decoded.startsWith(candidate));
    const file = prefix && fileInside(roots[prefix], decoded.slice(prefix.length));
    if (!file) {
      send(404, `not found: ${pathname}\n`);
      return;
    }
    try {
      send(200, await readFile(file), CONTENT_TYPES[path.extname(file)]);
    } catch (error) {
      send(error.code === "ENOENT" ? 404 : 500, `cannot read ${pathname}: ${error.code}\n`);
    }
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

function readDocuments(folder, documents) {
  for (const file of readdirSync(folder).filter((name) => name.endsWith(".json"))) {
    documents.set(path.basename(file, ".json"), readFileSync(path.join(folder, file), "utf8"));
  }
}

async function main(argv) {
  const root = path.resolve(benchDir, "..");
  let pkgDir = path.join(root, "pkg");
  const documentDirs = [];
  for (let index = 0; index < argv.length; index++) {
    const value = argv[index + 1];
    if (argv[index] === "--pkg" && value !== undefined) {
      pkgDir = path.resolve(value);
    } else if (argv[index] === "--documents" && value !== undefined) {
      documentDirs.push(path.resolve(value));
    } else {
      const usage = "usage: node bench/server.mjs [--pkg DIR] [--documents DIR]...";
      console.error(`bench server: unknown argument ${JSON.stringify(argv[index])}; ${usage}`);
      process.exit(2);
    }
    index++;
  }

  const documents = new Map();
  if (documentDirs.length > 0) {
    documentDirs.forEach((folder) => readDocuments(folder, documents));
  } else {
    const { benchmarkDocuments } = await import("./generate.mjs");
    readDocuments(path.join(root, "tests/fixtures"), documents);
    for (const { name, text } of benchmarkDocuments()) {
      documents.set(name, text);
    }
  }

  const server = await startServer({ pkgDir, documents });
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, () => server.close().then(() => process.exit(0)));
  }
  console.log(`bench server: ${server.url}`);
  const example = "variant=baseline&session=anonymous-metered&content=article-2000&entitlement=premium";
  console.log(`  for example ${server.url}/bench/first-decision.html?${example}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main(process.argv.slice(2));
}
