// Starts the mock lookup (tests/mock/server.mjs) on a free port of 127.0.0.1
// for the Node tests. Its name matches no test file pattern, so `node --test
// tests/node/` does not run it as a test.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

const server = new URL("../mock/server.mjs", import.meta.url);

/** Starts the mock and resolves with its URL and a function that stops it. */
export async function startMock() {
  const child = spawn(process.execPath, [server.pathname, "0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  for await (const line of createInterface({ input: child.stdout })) {
    if (line.startsWith("mock: ")) {
      return { url: line.slice("mock: ".length), stop: () => child.kill() };
    }
  }
  child.kill();
  throw new Error("the mock exited before printing its URL; run node tests/mock/server.mjs 0 to see why");
}
