// The test page's module, which loads the release bundle as a page does.
// The scenarios of client.test.mjs run in the page through page.evaluate and
// use the globals it sets: the bundle's exports, and helpers that return
// plain values, which Playwright can send back to Node.
import init, { Session, SessionClient } from "/pkg/zephr_session.js";

/** Copies what the tests check of an error into a plain object. */
function describeError(error) {
  return {
    isError: error instanceof Error,
    name: error?.name,
    code: error?.code,
    status: error?.status,
    message: String(error?.message ?? error),
  };
}

/**
 * Waits for `promise` and returns `{ ok: true, value: map(value) }` or
 * `{ ok: false, error: describeError(error) }`. `map` turns a `Session`
 * into something Playwright can send back to Node.
 */
async function settle(promise, map = (value) => value) {
  let value;
  try {
    value = await promise;
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
  return { ok: true, value: map(value) };
}

/** Calls `make` and returns `{ ok: true }`, or `{ ok: false, error }` with what it threw. */
function attempt(make) {
  try {
    make();
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
  return { ok: true };
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Replaces `console.debug` with a recorder of each call's arguments, joined
 * into one line. The returned function restores the original and returns the lines.
 */
function captureDebug() {
  const original = console.debug;
  const lines = [];
  console.debug = (...parts) => {
    lines.push(parts.map(String).join(" "));
  };
  return () => {
    console.debug = original;
    return lines;
  };
}

/** Replaces `console.debug` with a function that throws. The returned function restores it. */
function breakConsoleDebug() {
  const original = console.debug;
  console.debug = () => {
    throw new Error("console.debug is broken");
  };
  return () => {
    console.debug = original;
  };
}

/**
 * Makes every Web Storage read throw a SecurityError and every write a
 * QuotaExceededError, as private browsing and full quotas do. The returned
 * function restores both.
 */
function breakStorage() {
  const saved = { get: Storage.prototype.getItem, set: Storage.prototype.setItem };
  Storage.prototype.getItem = function () {
    throw new DOMException("denied", "SecurityError");
  };
  Storage.prototype.setItem = function () {
    throw new DOMException("full", "QuotaExceededError");
  };
  return () => {
    Storage.prototype.getItem = saved.get;
    Storage.prototype.setItem = saved.set;
  };
}

/**
 * Makes the document report `prerendering` as a prerendered page does. The
 * returned function ends it and fires `prerenderingchange`, as activation does.
 */
function startPrerendering() {
  Object.defineProperty(document, "prerendering", { value: true, configurable: true });
  return () => {
    Object.defineProperty(document, "prerendering", { value: false, configurable: true });
    document.dispatchEvent(new Event("prerenderingchange"));
  };
}

Object.assign(window, {
  Session,
  SessionClient,
  describeError,
  settle,
  attempt,
  sleep,
  captureDebug,
  breakConsoleDebug,
  breakStorage,
  startPrerendering,
});

try {
  await init();
  window.harnessReady = true;
} catch (error) {
  window.harnessError = String(error?.stack ?? error);
}
