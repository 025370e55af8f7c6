// `SessionClient`: fetches session documents, with a cache, one request per
// session at a time, retries, stale documents after failures, refreshes and
// change events.
//
// scripts/append-fast-paths.mjs appends this file to the JavaScript glue that
// wasm-bindgen writes, before src/js/fast_paths.js, and exports the class
// from the glue, in whose scope `Session` is the class of src/js/session.rs.
// The client reads its options and drives the requests, timers, abort
// signals, the cache and the subscribers with the platform's own APIs. The
// same steps in Rust, against those APIs and across the boundary, cost
// about 21 KB of the gzipped bundle, and here they cost about 3.5 KB. The module keeps the pure logic that has
// host tests (the lookup URL, the cache keys and stored entries, the retry
// policy) and the text of each lookup error: see the hidden static methods of
// `Session` in src/js/client.rs.
//
// The cache, the lookups in flight and the subscribers are shared by every
// client of the page, so that several widgets, each with its own client,
// send one request for the same session.
// Helpers of this file and src/js/fast_paths.js. A `ZephrSessionError` has
// its fields defined as `to_js_error` in src/js/mod.rs defines them: own
// properties, so that a setter a page defined on `Error.prototype` or
// `Object.prototype` cannot change them. `zephrFreedError` is the error for a
// call on a freed object, or on one that is not of the class, and `verb` is
// "read" for a getter. `zephrWellFormed` checks that a text has no lone
// surrogate.
const [zephrSessionError, zephrFreedError, zephrWellFormed] = (() => {
  const { defineProperty } = Object;
  const isWellFormed = String.prototype.isWellFormed;
  const loneSurrogate = /[\uD800-\uDFFF]/;
  const wellFormed = isWellFormed ? (text) => isWellFormed.call(text) : (text) => !loneSurrogate.test(text);
  const sessionError = (message, code, status) => {
    const error = new Error(message);
    for (const [key, value] of [
      ["name", "ZephrSessionError"],
      ["code", code],
      ["status", status],
    ]) {
      defineProperty(error, key, { value, writable: true, enumerable: true, configurable: true });
    }
    return error;
  };
  const freedError = (className, name, verb = "call") => {
    const past = verb === "read" ? "read" : "called";
    return sessionError(
      `${className}.${name} was ${past} on a ${className} that was freed, or on another object; ` +
        `${verb} it on a ${className} that is in use, and drop references to one after free()`,
      "invalid_argument",
      undefined,
    );
  };
  return [sessionError, freedError, wellFormed];
})();

// The static method `Session.__warmUp` (src/js/client.rs), which the block
// below takes off `Session`.
let zephrWarmUp;

// Called by the module's start function (`start` in src/js/mod.rs) once the
// module is instantiated. It schedules the warm-up, so that V8 compiles the
// parser and the rules while the page's first lookup is on the network. The
// Node build instantiates the module before this file's code has run, so the
// task reads `zephrWarmUp` only when it runs.
function zephrScheduleWarmUp() {
  try {
    setTimeout(() => zephrWarmUp(), 0);
  } catch {
    // A runtime without setTimeout skips the warm-up.
  }
}

const SessionClient = (() => {
  // Takes a hidden method off `Session` or its prototype, so that callers
  // never see it.
  const take = (target, name) => {
    const method = target[name];
    if (typeof method !== "function") {
      throw new Error(`zephr-session: the glue has no Session.${name}; rebuild the package`);
    }
    delete target[name];
    return method;
  };
  const quote = take(Session, "__quote");
  const checkEndpoint = take(Session, "__checkEndpoint");
  const cacheTarget = take(Session, "__cacheTarget");
  const hash = take(Session, "__hash");
  const lookupFailure = take(Session, "__lookupFailure");
  const retryDelay = take(Session, "__retryDelay");
  const warmUp = take(Session, "__warmUp");
  zephrWarmUp = warmUp;
  const fromBody = take(Session, "__fromBody");
  const fromStorage = take(Session, "__fromStorage");
  const share = take(Session.prototype, "__share");
  const storageEntry = take(Session.prototype, "__storageEntry");
  const fingerprint = take(Session.prototype, "__fingerprint");

  // The kinds of error that `__lookupFailure` in src/js/client.rs builds.
  const FAILURE_ABORTED = 0;
  const FAILURE_TIMEOUT = 1;
  const FAILURE_NETWORK = 2;
  const FAILURE_STATUS = 3;
  const FAILURE_TOO_LARGE = 4;
  const FAILURE_EMPTY_BODY = 5;
  const FAILURE_NO_RESULT = 6;
  // The cache modes of `settings.cache`.
  const CACHE_NONE = 0;
  const CACHE_MEMORY = 1;
  const CACHE_SESSION_STORAGE = 2;
  const CACHE_LOCAL_STORAGE = 3;
  // How many sessions the memory cache keeps; the oldest fetch goes first.
  const MAX_MEMORY_ENTRIES = 64;
  // The largest delay `setTimeout` accepts, 2^31 - 1 milliseconds.
  const MAX_TIMER_MS = 2147483647;
  // The largest document body read by default, 1 MiB.
  const DEFAULT_MAX_BYTES = 1048576;
  // The largest `maxBytes` accepted, 256 MiB.
  const MAX_MAX_BYTES = 268435456;
  // The largest `retries` accepted; more would only delay a certain failure.
  const MAX_RETRIES = 10;
  // The session id that requests the session named by the request's own cookie.
  const CURRENT_SESSION_ID = "current";
  // What cut a request short: nothing yet, its timeout, or the caller.
  const CUT_NONE = 0;
  const CUT_TIMEOUT = 1;
  const CUT_CALLER = 2;

  // The options `SessionClient` reads. Any other name is rejected, so that a
  // misspelled option such as `timeoutMS` fails at once instead of being ignored.
  const OPTION_NAMES = [
    "baseUrl",
    "site",
    "credentials",
    "headers",
    "timeoutMs",
    "retries",
    "retryBaseMs",
    "retryMaxMs",
    "cache",
    "cacheTtlMs",
    "onError",
    "deferWhilePrerendering",
    "maxBytes",
    "debug",
  ];

  // Taken now, so that a page that replaces them later changes no check.
  const { getPrototypeOf, keys: ownKeys, entries: ownEntries, defineProperty } = Object;
  const { isArray } = Array;
  const objectPrototype = getPrototypeOf({});
  const wellFormed = zephrWellFormed;
  const invalidArgument = (message) => zephrSessionError(message, "invalid_argument", undefined);

  // The checks below give the same messages as those of src/js/convert.rs,
  // which reads the options of `Session`.

  // Whether a value is an object, and not a function or null.
  const isObject = (value) => typeof value === "object" && value !== null;

  // Describes a value's type for a message, without its contents: `a
  // number`, `an array`, `null`, `undefined`.
  const typeName = (value) => {
    if (value === null) {
      return "null";
    }
    let array = false;
    try {
      array = isArray(value);
    } catch {
      // A revoked Proxy; it is described as an object.
    }
    if (array) {
      return "an array";
    }
    const kind = typeof value;
    if (kind === "undefined") {
      return kind;
    }
    return kind === "object" ? "an object" : `a ${kind}`;
  };

  // Reads `object[key]`, or undefined when it is not an object or a
  // function, or when the getter throws.
  const get = (object, key) => {
    if (!isObject(object) && typeof object !== "function") {
      return undefined;
    }
    try {
      return object[key];
    } catch {
      return undefined;
    }
  };

  // Names what was thrown, for a message: the error's `name`, or else the
  // thrown value's type. Its text may hold anything, so a message never
  // quotes it.
  const thrownKind = (error) => {
    try {
      if (error instanceof Error) {
        return String(error.name);
      }
    } catch {
      // A Proxy whose trap throws, or a `name` getter that throws, is
      // described by its type.
    }
    return typeName(error);
  };

  // The error for an argument that threw when it was inspected, as a
  // revoked Proxy or one whose traps throw does.
  const unreadable = (name, error, expected) =>
    invalidArgument(`${name} could not be read: inspecting them threw ${thrownKind(error)}; pass ${expected}`);

  // Whether an object is plain: its prototype is null or the
  // `Object.prototype` of its realm, as for an object literal made here or
  // in another frame. Throws what a Proxy trap throws.
  const isPlainObject = (value) => {
    const prototype = getPrototypeOf(value);
    if (prototype === null || prototype === objectPrototype) {
      return true;
    }
    // Another realm's Object.prototype has no prototype of its own, and its
    // constructor is that realm's Object, whose prototype it is.
    if (!isObject(prototype) || getPrototypeOf(prototype) !== null) {
      return false;
    }
    const constructor = get(prototype, "constructor");
    return typeof constructor === "function" && get(constructor, "prototype") === prototype && get(constructor, "name") === "Object";
  };

  // Describes an object that is not plain, for a message: `an instance of
  // Map`, or `an instance of a class` when its constructor has no name.
  const instanceDescription = (value) => {
    let name;
    try {
      const constructor = get(getPrototypeOf(value), "constructor");
      name = typeof constructor === "function" ? get(constructor, "name") : undefined;
    } catch {
      // A Proxy whose trap throws has no name to show.
    }
    const className = typeof name === "string" && name !== "" ? name : "a class";
    // Only called for an object that is not plain, so a constructor named
    // Object means a prototype chain that does not end at once in
    // Object.prototype, as `Object.create(other)` gives.
    return className === "Object" ? "an object whose prototype is not Object.prototype" : `an instance of ${className}`;
  };

  // Reads an option, undefined when `options` is not an object. A getter
  // that throws fails as `invalid_argument`, so that a broken option is
  // never read as absent.
  const readOption = (options, key) => {
    if (!isObject(options)) {
      return undefined;
    }
    try {
      return options[key];
    } catch (error) {
      throw invalidArgument(`reading the option ${key} threw ${thrownKind(error)}; pass a plain value for ${key}`);
    }
  };

  // Reads an optional string: undefined and null are absent, and any other
  // type than a string is an error.
  const optionalString = (value, name) => {
    if (typeof value === "string") {
      if (!wellFormed(value)) {
        throw invalidArgument(`${name} contains a lone surrogate, which no id or URL can hold; pass well-formed text`);
      }
      return value;
    }
    if (value === undefined || value === null) {
      return undefined;
    }
    throw invalidArgument(`${name} must be a string, but it is ${typeName(value)}; pass a non-empty string`);
  };

  const requiredString = (value, name) => {
    const text = optionalString(value, name);
    if (text === undefined) {
      throw invalidArgument(`${name} is missing; pass a non-empty string`);
    }
    if (text === "") {
      throw invalidArgument(`${name} is empty; pass a non-empty string`);
    }
    return text;
  };

  // Rejects an options object with a key outside `allowed`, so that a
  // misspelled option fails at once instead of being ignored.
  const checkOptionNames = (options, name, allowed) => {
    let keys;
    try {
      keys = ownKeys(options);
    } catch (error) {
      throw unreadable(name, error, "a plain object");
    }
    for (const key of keys) {
      if (!allowed.includes(key)) {
        throw invalidArgument(`${name} have no option ${quote(key)}; the options are ${allowed.join(", ")}`);
      }
    }
  };

  // Reads an options object: undefined and null are no options, and any
  // other type than a plain object is an error.
  const optionsObject = (value, name, allowed) => {
    if (value === undefined || value === null) {
      return undefined;
    }
    let array;
    let plain;
    try {
      array = isArray(value);
      plain = isObject(value) && !array && isPlainObject(value);
    } catch (error) {
      throw unreadable(name, error, "a plain object");
    }
    if (!isObject(value) || array) {
      throw invalidArgument(
        `${name} must be an object, but it is ${typeName(value)}; pass an object with the options ${allowed.join(", ")}, or leave it out`,
      );
    }
    if (!plain) {
      throw invalidArgument(
        `${name} must be a plain object, but it is ${instanceDescription(value)}; pass an object literal with the options ${allowed.join(", ")}, or leave it out`,
      );
    }
    checkOptionNames(value, name, allowed);
    return value;
  };

  // Reads a number option from `min` to `max`, or `fallback` when it is absent.
  const readNumber = (value, name, fallback, min, max) => {
    if (value === undefined) {
      return fallback;
    }
    if (typeof value === "number" && value >= min && value <= max) {
      return value;
    }
    const actual = typeof value === "number" ? String(value) : typeName(value);
    throw invalidArgument(`${name} must be a number from ${min} to ${max}, but it is ${actual}`);
  };

  const readInteger = (value, name, fallback, min, max) => {
    const number = readNumber(value, name, fallback, min, max);
    if (!Number.isInteger(number)) {
      throw invalidArgument(`${name} must be a whole number, but it is ${number}`);
    }
    return number;
  };

  const readFlag = (value, name, fallback) => {
    if (value === undefined) {
      return fallback;
    }
    if (typeof value !== "boolean") {
      throw invalidArgument(`${name} must be true or false, but it is ${typeName(value)}`);
    }
    return value;
  };

  // Reads a string option that is one of `choices`, the first being the
  // default, and returns its position.
  const readChoice = (value, name, choices, listed) => {
    const text = optionalString(value, name);
    if (text === undefined) {
      return 0;
    }
    const position = choices.indexOf(text);
    if (position < 0) {
      throw invalidArgument(`${name} ${quote(text)} is not valid; pass ${listed}`);
    }
    return position;
  };

  // Returns whether `name` is an HTTP token (RFC 9110, section 5.6.2), as a
  // header name must be.
  const isToken = (name) => /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name);

  // Quotes a header name for a message, cut before its first character
  // that no name can hold: a name such as "X-Token: secret" carries a value.
  const quoteName = (name) => {
    const bad = name.search(/[^!#$%&'*+\-.^_`|~0-9A-Za-z]/);
    return quote(bad < 0 ? name : `${name.slice(0, bad)}…`);
  };

  // Returns the items of an iterable, or undefined when the value is not
  // one (or reading its iterator throws). Throws what its iterator throws.
  const itemsOf = (value) => {
    let iterator;
    try {
      const method = value[Symbol.iterator];
      iterator = typeof method === "function" ? method.call(value) : undefined;
      if (!isObject(iterator) || typeof iterator.next !== "function") {
        return undefined;
      }
    } catch {
      return undefined;
    }
    const items = [];
    for (let step = iterator.next(); !step.done; step = iterator.next()) {
      items.push(step.value);
    }
    return items;
  };

  // Reads the extra headers, from a plain object, a `Headers`, a `Map` or an
  // array of `[name, value]` pairs, and checks each with the platform's
  // `Headers`, so that a bad name or value fails here and not on every
  // lookup. Returns them as `[name, value]` pairs.
  const readHeaders = (value) => {
    if (value === undefined || value === null) {
      return [];
    }
    const expected = "a plain object, a Headers, a Map or an array of pairs";
    if (!isObject(value)) {
      throw invalidArgument(`headers must be an object, a Headers, a Map or an array of pairs, but it is ${typeName(value)}`);
    }
    let entries;
    let plain = true;
    try {
      entries = itemsOf(value);
      if (entries === undefined) {
        plain = isPlainObject(value);
        entries = plain ? ownEntries(value) : [];
      }
    } catch (error) {
      throw unreadable("headers", error, expected);
    }
    if (!plain) {
      throw invalidArgument(`headers must be ${expected}, but it is ${instanceDescription(value)}`);
    }

    const headers = new Headers();
    for (const entry of entries) {
      const name = get(entry, 0);
      if (typeof name !== "string") {
        throw invalidArgument(`each header must be a [name, value] pair of strings, but a name is ${typeName(name)}`);
      }
      // The message names the header but never shows its value, which may be a secret.
      const text = get(entry, 1);
      if (typeof text !== "string") {
        throw invalidArgument(`header ${quoteName(name)} must have a string value, but it is ${typeName(text)}`);
      }
      try {
        headers.append(name, text);
      } catch {
        // The platform rejects both in one error, so the name is checked
        // here to say which one is wrong.
        throw invalidArgument(
          isToken(name)
            ? `header ${quoteName(name)} has an invalid value; use Latin-1 text without line breaks or NUL characters`
            : `header ${quoteName(name)} has an invalid name, shown up to its first character that a name cannot ` +
                "hold; use letters, digits and !#$%&'*+-.^_`|~ only",
        );
      }
    }
    // As the platform lists them: names in lower case and in order, and a
    // repeated name's values joined. So the same headers written another way
    // give the same list, which the cache keys rely on.
    return [...headers];
  };

  const abortedOf =
    (typeof AbortSignal === "function" && Object.getOwnPropertyDescriptor(AbortSignal.prototype, "aborted")?.get) ||
    (() => {
      throw new TypeError("this host has no AbortSignal");
    });
  const readSignal = (value) => {
    if (value === undefined || value === null) {
      return undefined;
    }
    let signal = false;
    try {
      // The platform's `aborted` getter accepts a real signal only, also one
      // from another frame, and not an object made from AbortSignal.prototype.
      abortedOf.call(value);
      signal = true;
    } catch {
      // A Proxy whose trap throws is not a signal.
    }
    if (signal) {
      return value;
    }
    throw invalidArgument(`signal must be an AbortSignal, but it is ${typeName(value)}`);
  };

  // The variant of a client with the default credentials and no headers.
  const DEFAULT_VARIANT = JSON.stringify(["same-origin", []]);

  // Whether the host has a page URL (`location`) that relative URLs resolve
  // against: windows and workers have one, Node has none.
  const hasPageUrl = () => {
    try {
      return globalThis.location !== undefined && globalThis.location !== null;
    } catch {
      return false;
    }
  };

  // Trims the characters of Unicode's White_Space property from both ends.
  // String.prototype.trim also takes U+FEFF, which is not white space, and
  // leaves U+0085, which is.
  const spaceAtEnds = /^[\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+|[\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+$/g;
  const trimSpace = (text) => text.replace(spaceAtEnds, "");

  // Reads the `blaize_session` cookie when the page can read it (not in a
  // worker or Node, and not when the cookie is HttpOnly).
  const sessionCookie = () => {
    let cookies;
    try {
      cookies = globalThis.document?.cookie;
    } catch {
      return undefined;
    }
    if (typeof cookies !== "string") {
      return undefined;
    }
    for (const pair of cookies.split(";")) {
      const equals = pair.indexOf("=");
      if (equals < 0 || trimSpace(pair.slice(0, equals)) !== "blaize_session") {
        continue;
      }
      const value = trimSpace(pair.slice(equals + 1)).replace(/^"+|"+$/g, "");
      if (value !== "") {
        return value;
      }
    }
    return undefined;
  };

  // Reads the options of a new client into its settings.
  const readSettings = (options) => {
    if (!isObject(options)) {
      throw invalidArgument(`SessionClient options must be an object with baseUrl and site, but they are ${typeName(options)}`);
    }
    let plain;
    try {
      plain = isPlainObject(options);
    } catch (error) {
      throw unreadable("SessionClient options", error, "a plain object");
    }
    if (!plain) {
      throw invalidArgument(
        `SessionClient options must be a plain object with baseUrl and site, but they are ${instanceDescription(options)}`,
      );
    }
    checkOptionNames(options, "SessionClient options", OPTION_NAMES);

    const option = (name) => readOption(options, name);
    const baseUrl = requiredString(option("baseUrl"), "baseUrl");
    checkEndpoint(baseUrl, undefined, hasPageUrl());
    const site = requiredString(option("site"), "site");
    checkEndpoint(undefined, site, true);

    const retryBaseMs = readNumber(option("retryBaseMs"), "retryBaseMs", 200, 0, MAX_TIMER_MS);
    const retryMaxMs = readNumber(option("retryMaxMs"), "retryMaxMs", 5000, 0, MAX_TIMER_MS);
    const credentials = ["same-origin", "omit", "include"][
      readChoice(option("credentials"), "credentials", ["same-origin", "omit", "include"], '"omit", "same-origin" or "include"')
    ];
    const headers = readHeaders(option("headers"));
    const timeoutMs = Math.ceil(readNumber(option("timeoutMs"), "timeoutMs", 3000, 1, MAX_TIMER_MS));
    const retries = readInteger(option("retries"), "retries", 2, 0, MAX_RETRIES);
    const deferWhilePrerendering = readFlag(option("deferWhilePrerendering"), "deferWhilePrerendering", true);
    const maxBytes = readInteger(option("maxBytes"), "maxBytes", DEFAULT_MAX_BYTES, 1, MAX_MAX_BYTES);
    const debug = readFlag(option("debug"), "debug", false);
    const cache = [CACHE_MEMORY, CACHE_NONE, CACHE_SESSION_STORAGE, CACHE_LOCAL_STORAGE][
      readChoice(option("cache"), "cache", ["memory", "none", "session", "local"], '"none", "memory", "session" or "local"')
    ];
    const cacheTtlMs = readNumber(option("cacheTtlMs"), "cacheTtlMs", 60000, 0, MAX_TIMER_MS);
    const staleOnError = readChoice(option("onError"), "onError", ["throw", "stale"], '"throw" or "stale"') === 1;

    // What, besides the session id, can change the document a lookup
    // returns: the cookie and headers sent with it. Clients that differ in
    // it share no cached document, request or subscriber, so that a server
    // whose clients send different readers' cookies never gives one reader's
    // session to another.
    const variant = JSON.stringify([credentials, headers]);
    return {
      baseUrl,
      site,
      // Only the debug log names the site, so a client without it makes
      // no call into the module for it.
      label: debug ? `site ${quote(site)}` : "",
      credentials,
      headers,
      timeoutMs,
      retries,
      retryBaseMs,
      retryMaxMs,
      deferWhilePrerendering,
      maxBytes,
      debug,
      cache,
      cacheTtlMs,
      staleOnError,
      variant,
      // Web Storage keys name the variant by its hash, so that no header
      // value is written to storage.
      storageTag: variant === DEFAULT_VARIANT ? "" : `|${hash(variant).toString(36)}`,
    };
  };

  // Reads the session id of a lookup (from the argument, the cookie, or
  // "current") and returns what the lookup needs to know of it.
  const lookupPlan = (settings, sessionIdArgument) => {
    const sessionId = optionalString(sessionIdArgument, "sessionId") ?? sessionCookie() ?? CURRENT_SESSION_ID;
    const [url, cacheKey, storageKey] = cacheTarget(settings.baseUrl, settings.site, sessionId);
    // `key` names the lookup in memory, in flight and for the subscribers,
    // `cacheKey` inside a stored entry, and `storageKey` in Web Storage.
    const key = `${cacheKey}\n${settings.variant}`;
    return {
      sessionId,
      url,
      key,
      cacheKey,
      storageKey: storageKey + settings.storageTag,
      signal: undefined,
      fresh: false,
    };
  };

  // Reads the arguments of `fetchSession` and, with `refresh` true, of
  // `refresh`, whose only option is `signal`.
  const fetchPlan = (settings, sessionId, options, refresh) => {
    const plan = lookupPlan(settings, sessionId);
    if (refresh) {
      plan.fresh = true;
      plan.signal = readSignal(readOption(optionsObject(options, "refresh options", ["signal"]), "signal"));
      return plan;
    }
    const read = optionsObject(options, "fetchSession options", ["signal", "fresh"]);
    plan.fresh = readFlag(readOption(read, "fresh"), "fresh", false);
    plan.signal = readSignal(readOption(read, "signal"));
    return plan;
  };

  // Cache key to `{ fetchedAt, session }`; the session is never handed out,
  // only copies that share its document.
  const memory = new Map();
  // Cache key to the lookup in flight for it.
  const inFlight = new Map();
  // Cache key to the fingerprint of the last document seen for it.
  const lastSeen = new Map();
  // Subscribers, `{ callback, variant }` each, in the order they subscribed.
  const subscribers = new Set();
  // The keys that `clear` dropped, as prefixes of keys in memory, each with
  // the count of clears when it last ran. A lookup that a `clear` of its key
  // overlapped caches nothing, so that it cannot undo a logout.
  let clears = 0;
  const lastClears = new Map();


  // The debug log: one line per lookup, cache hit, retry and stale document.
  // A line names the site and the first characters of the session id (half
  // of a short one), never the whole id, a header or an error message,
  // because those can carry credentials.
  // `line` is a function, so that a client without the log builds no text.
  const log = (settings, line) => {
    if (!settings.debug) {
      return;
    }
    try {
      console.debug(`[zephr-session] ${line()}`);
    } catch {
      // A console that throws must not break a lookup.
    }
  };
  const label = (settings, sessionId) => {
    const characters = Array.from(sessionId);
    const prefix = characters.slice(0, Math.min(4, Math.floor(characters.length / 2)));
    return `${settings.label}, session ${prefix.join("")}…`;
  };
  // Names an error by its code and status only, because its message may
  // name the base URL.
  const describe = (error) => (error.status === undefined ? error.code : `${error.code} (HTTP ${error.status})`);
  // Builds the error of a failed lookup; see `__lookupFailure` in
  // client.rs. It needs only the settings, so a lookup still reports its
  // errors after its client was freed.
  const fail = (settings, kind, status, detail) =>
    lookupFailure(kind, status, detail, settings.site, settings.baseUrl, settings.timeoutMs, settings.maxBytes);
  const ageOf = (entry) => Math.round(Date.now() - entry.fetchedAt);

  // Returns a Web Storage area, or undefined when the host has none or
  // denies access to it (sandboxed frames and some privacy modes throw).
  // Only a real `Storage` serves, so that a stand-in object that a server
  // defines never keeps readers' documents.
  const openStorage = (mode) => {
    try {
      const storage = globalThis[mode === CACHE_LOCAL_STORAGE ? "localStorage" : "sessionStorage"];
      return typeof Storage === "function" && storage instanceof Storage ? storage : undefined;
    } catch {
      return undefined;
    }
  };

  const isFresh = (entry, ttl) => {
    const now = Date.now();
    // An entry from the future (a changed clock or a tampered entry) is not.
    return entry.fetchedAt <= now && now - entry.fetchedAt < ttl;
  };

  const remember = (key, entry) => {
    if (memory.size >= MAX_MEMORY_ENTRIES && !memory.has(key)) {
      let oldest;
      for (const [known, cached] of memory) {
        if (oldest === undefined || cached.fetchedAt < memory.get(oldest).fetchedAt) {
          oldest = known;
        }
      }
      memory.delete(oldest);
    }
    memory.set(key, entry);
  };

  // Returns the cached `{ fetchedAt, session }` of `key`: a fresh one, or
  // with `anyAge` one of any age, to stand in for a failed lookup. An expired
  // entry is deleted unless the client keeps them for that, and a corrupt
  // or foreign stored entry is always deleted.
  const cached = (settings, { key, cacheKey, storageKey, sessionId }, anyAge) => {
    if (settings.cache === CACHE_NONE) {
      return undefined;
    }
    const usable = (entry) => anyAge || isFresh(entry, settings.cacheTtlMs);
    const deleteExpired = !anyAge && !settings.staleOnError;

    const inMemory = memory.get(key);
    if (inMemory !== undefined) {
      if (usable(inMemory)) {
        return inMemory;
      }
      if (deleteExpired) {
        memory.delete(key);
      }
    }
    if (settings.cache < CACHE_SESSION_STORAGE) {
      return undefined;
    }

    const storage = openStorage(settings.cache);
    let text;
    try {
      text = storage?.getItem(storageKey);
    } catch {
      return undefined;
    }
    if (typeof text !== "string") {
      return undefined;
    }
    const stored = fromStorage(text, cacheKey, sessionId);
    const entry = stored && { fetchedAt: stored[0], session: stored[1] };
    if (entry && usable(entry)) {
      remember(key, entry);
      return entry;
    }
    if (entry && !deleteExpired) {
      return undefined;
    }
    try {
      storage.removeItem(storageKey);
    } catch {
      // A storage that throws keeps its entry, and reading it fails the same way again.
    }
    return undefined;
  };

  // Stores a fetched document in memory and, for a storage mode, in Web
  // Storage. A storage that throws (private browsing, a full quota) is
  // skipped, so the memory copy still serves.
  const store = (settings, { key, cacheKey, storageKey }, session, fetchedAt) => {
    if (settings.cache === CACHE_NONE) {
      return;
    }
    remember(key, { fetchedAt, session });
    if (settings.cache >= CACHE_SESSION_STORAGE) {
      try {
        openStorage(settings.cache)?.setItem(storageKey, storageEntry.call(session, cacheKey, fetchedAt));
      } catch {
        // See above.
      }
    }
  };

  // Notes the document a cache hit served, so that the next fetched
  // document is compared with it.
  const noteSeen = (key, session) => {
    if (!lastSeen.has(key)) {
      lastSeen.set(key, fingerprint.call(session));
    }
  };

  // Records a fetched document and, when it differs from the one seen
  // before for `key` (or none was), calls every subscriber with
  // `(sessionId, session)`. An exception in one subscriber does not stop
  // the others, and none reaches the lookup.
  const publish = (settings, key, sessionId, session) => {
    const print = fingerprint.call(session);
    const before = lastSeen.get(key);
    lastSeen.set(key, print);
    if (before === print) {
      return;
    }
    for (const { callback, variant } of [...subscribers]) {
      // A subscriber hears only of documents fetched as its own client
      // fetches them: with the same credentials and headers.
      if (variant !== settings.variant) {
        continue;
      }
      try {
        const source = { baseUrl: settings.baseUrl, site: settings.site };
        callback.call(null, sessionId, share.call(session, undefined, settings.debug), source);
      } catch {
        // NOTE: a subscriber's exception is dropped, because the library logs nothing by default.
      }
    }
  };

  // Waits `delay` ms, or until one of the signals aborts; resolves to false
  // when one did. A signal may be undefined.
  const sleep = (delay, ...maybeSignals) => {
    const signals = maybeSignals.filter((signal) => signal !== undefined);
    if (signals.some((signal) => signal.aborted)) {
      return Promise.resolve(false);
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        for (const signal of signals) {
          signal.removeEventListener("abort", done);
        }
        resolve(!signals.some((signal) => signal.aborted));
      };
      const timer = setTimeout(done, Math.min(Math.max(delay, 0), MAX_TIMER_MS));
      for (const signal of signals) {
        signal.addEventListener("abort", done);
      }
    });
  };

  // Waits while the page is being prerendered, until it is shown; returns at
  // once when it is not prerendering or the host has no `document`.
  const untilShown = () => {
    let prerendering = false;
    let document;
    try {
      document = globalThis.document;
      prerendering = document?.prerendering === true && typeof EventTarget === "function" && document instanceof EventTarget;
    } catch {
      // A host whose document throws is treated as not prerendering.
    }
    if (!prerendering) {
      return undefined;
    }
    return new Promise((resolve) => {
      document.addEventListener("prerenderingchange", () => resolve(), { once: true });
    });
  };

  // The platform's message of a failure, as "Name: message", or `fallback`
  // for a thrown value that is not an Error.
  const errorText = (error, fallback) => {
    try {
      if (error instanceof Error) {
        return `${error.name}: ${error.message}`;
      }
    } catch {
      // An error whose fields throw gets the fallback text.
    }
    return fallback;
  };

  // Reads a response body chunk by chunk and stops, cancelling the stream,
  // as soon as it would pass `maxBytes`, so no more than that is buffered.
  // Resolves to the bytes, or to a string that gives why reading failed, or
  // to null when the body is too large.
  const readBody = async (body, maxBytes) => {
    const reader = body.getReader();
    const chunks = [];
    let length = 0;
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (error) {
        return errorText(error, "the body stream failed");
      }
      if (chunk?.done !== false) {
        break;
      }
      const { value } = chunk;
      if (!(value instanceof Uint8Array)) {
        return "the body stream sent a chunk that is not bytes";
      }
      if (length + value.length > maxBytes) {
        reader.cancel().catch(() => {});
        return null;
      }
      chunks.push(value);
      length += value.length;
    }
    const bytes = new Uint8Array(length);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    return bytes;
  };

  // A failed attempt: the error, and the `Retry-After` value its response
  // sent, if any.
  const failed = (error, retryAfter) => ({ error, retryAfter });

  // Makes one request. Resolves to `{ text, contentType }`, or to a failure.
  const attempt = async (settings, sessionId, url, signal) => {
    if (signal.aborted) {
      return failed(fail(settings, FAILURE_ABORTED, 0, ""));
    }
    const controller = new AbortController();
    let cut = CUT_NONE;
    const cutShort = (reason) => () => {
      if (cut === CUT_NONE) {
        cut = reason;
        controller.abort();
      }
    };
    const timer = setTimeout(cutShort(CUT_TIMEOUT), settings.timeoutMs);
    const onAbort = cutShort(CUT_CALLER);
    signal.addEventListener("abort", onAbort);
    // Names why a request failed, from what cut it short, if anything. The
    // platform's message is kept with the session id taken out, because the
    // id is the value of the reader's cookie.
    const requestFailure = (detail) => {
      if (cut === CUT_CALLER) {
        return failed(fail(settings, FAILURE_ABORTED, 0, ""));
      }
      if (cut === CUT_TIMEOUT) {
        return failed(fail(settings, FAILURE_TIMEOUT, 0, ""));
      }
      const scrubbed = detail.replaceAll(encodeURIComponent(sessionId), "{sessionId}").replaceAll(sessionId, "{sessionId}");
      return failed(fail(settings, FAILURE_NETWORK, 0, scrubbed));
    };
    try {
      let response;
      try {
        const headers = new Headers([["Accept", "application/json"], ...settings.headers]);
        const request = new Request(url, {
          method: "GET",
          headers,
          credentials: settings.credentials,
          signal: controller.signal,
        });
        const pending = fetch(request);
        // The parser and the quick paths compile while the request is on
        // the network, unless the task scheduled at load has compiled them.
        warmUp();
        response = await pending;
      } catch (error) {
        return requestFailure(errorText(error, "fetch failed with a value that is not an Error"));
      }
      // A page may have replaced `fetch` with one that resolves to anything.
      if (!(typeof Response === "function" && response instanceof Response)) {
        return requestFailure("fetch resolved to something that is not a Response");
      }
      const { status, headers } = response;
      if (status < 200 || status > 299) {
        return failed(fail(settings, FAILURE_STATUS, status, ""), headers.get("Retry-After") ?? undefined);
      }
      const contentType = headers.get("Content-Type") ?? "";
      const declared = headers.get("Content-Length")?.trim();
      if (declared !== undefined && /^\+?[0-9]+$/.test(declared) && Number(declared) > settings.maxBytes) {
        return failed(fail(settings, FAILURE_TOO_LARGE, 0, ""));
      }
      const bytes = response.body ? await readBody(response.body, settings.maxBytes) : new Uint8Array(0);
      if (bytes === null) {
        return failed(fail(settings, FAILURE_TOO_LARGE, 0, ""));
      }
      if (typeof bytes === "string") {
        return requestFailure(bytes);
      }
      if (bytes.length === 0) {
        return failed(fail(settings, FAILURE_EMPTY_BODY, status, contentType));
      }
      // As `Response.text()` decodes: UTF-8, a leading byte order mark
      // dropped and invalid bytes replaced by U+FFFD.
      return { text: new TextDecoder().decode(bytes), contentType };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    }
  };

  // Fetches the document body, trying again after failures that may pass,
  // until `signal` aborts. The error of the last attempt is the one thrown.
  const fetchBody = async (settings, sessionId, url, signal) => {
    if (settings.deferWhilePrerendering) {
      await untilShown();
    }
    for (let retry = 0; ; retry += 1) {
      const outcome = await attempt(settings, sessionId, url, signal);
      if (outcome.error === undefined) {
        return outcome;
      }
      const { error, retryAfter } = outcome;
      const delay = retryDelay(
        retry,
        settings.retries,
        error.code,
        error.status,
        retryAfter,
        Date.now(),
        Math.random(),
        settings.retryBaseMs,
        settings.retryMaxMs,
      );
      if (delay < 0) {
        throw error;
      }
      log(
        settings,
        () =>
          `retry ${retry + 1} of ${settings.retries} in ${Math.round(delay)} ms after ${describe(error)}: ${label(settings, sessionId)}`,
      );
      if (!(await sleep(delay, signal))) {
        throw fail(settings, FAILURE_ABORTED, 0, "");
      }
    }
  };

  // Fetches and parses the document, caches it and notifies the subscribers.
  const fetchDocument = async (settings, plan, signal) => {
    const clearsAtStart = clears;
    const { sessionId, key, url } = plan;
    log(settings, () => `lookup started: ${label(settings, sessionId)}`);
    let session;
    try {
      const body = await fetchBody(settings, sessionId, url, signal);
      session = fromBody(body.text, sessionId, body.contentType);
    } catch (error) {
      log(settings, () => `lookup failed with ${describe(error)}: ${label(settings, sessionId)}`);
      throw error;
    }
    log(settings, () => `lookup succeeded: ${label(settings, sessionId)}, ${session.warnings.length} warnings`);
    const clearedSince = [...lastClears].some(([prefix, count]) => count > clearsAtStart && key.startsWith(prefix));
    if (!clearedSince) {
      store(settings, plan, session, Date.now());
    }
    publish(settings, key, sessionId, session);
    return session;
  };

  // Starts the request for a lookup and records it as in flight. Its
  // `done` promise always resolves, once `result` is set.
  const startFlight = (settings, plan) => {
    const { key } = plan;
    const controller = new AbortController();
    const flight = { key, controller, waiters: 0, result: undefined, done: undefined };
    flight.done = fetchDocument(settings, plan, controller.signal)
      .then(
        (session) => {
          flight.result = { session };
        },
        (error) => {
          flight.result = { error };
        },
      )
      .then(() => {
        if (inFlight.get(key) === flight) {
          inFlight.delete(key);
        }
      });
    inFlight.set(key, flight);
    return flight;
  };

  // Waits for a lookup in flight, or for this caller's signal to abort.
  // The last caller to give up aborts the request itself.
  const waitFor = async (settings, flight, signal) => {
    flight.waiters += 1;
    let waited = true;
    if (signal === undefined) {
      await flight.done;
    } else {
      let onAbort;
      const aborted = new Promise((resolve) => {
        onAbort = () => resolve(false);
        signal.addEventListener("abort", onAbort);
      });
      waited = await Promise.race([flight.done.then(() => true), aborted]);
      signal.removeEventListener("abort", onAbort);
      waited = waited && !signal.aborted;
    }
    flight.waiters = Math.max(0, flight.waiters - 1);
    if (!waited) {
      if (flight.waiters === 0) {
        // A call that comes after this one starts a new request instead of
        // joining the one being cancelled.
        if (inFlight.get(flight.key) === flight) {
          inFlight.delete(flight.key);
        }
        flight.controller.abort();
      }
      throw fail(settings, FAILURE_ABORTED, 0, "");
    }
    const { result } = flight;
    if (result === undefined) {
      throw fail(settings, FAILURE_NO_RESULT, 0, "");
    }
    // Each caller gets an error of its own, so that one that changes it
    // changes no other caller's.
    const { error } = result;
    if (error !== undefined) {
      throw error.name === "ZephrSessionError" ? zephrSessionError(error.message, error.code, error.status) : error;
    }
    return result.session;
  };

  // Serves a lookup from the cache, from a lookup in flight, or from a new
  // request, and falls back to a stale document when the client is set to
  // `onError: "stale"`. `plan` is what `lookupPlan` returns.
  const lookup = async (settings, plan) => {
    const { sessionId, key, signal, fresh } = plan;
    if (signal?.aborted) {
      throw fail(settings, FAILURE_ABORTED, 0, "");
    }
    if (!fresh) {
      const hit = cached(settings, plan, false);
      if (hit !== undefined) {
        log(settings, () => `cache hit: ${label(settings, sessionId)}, fetched ${ageOf(hit)} ms ago`);
        noteSeen(key, hit.session);
        return share.call(hit.session, undefined, settings.debug);
      }
    }
    let flight = fresh ? undefined : inFlight.get(key);
    if (flight === undefined) {
      flight = startFlight(settings, plan);
    } else {
      log(settings, () => `joining the lookup in flight: ${label(settings, sessionId)}`);
    }
    try {
      return share.call(await waitFor(settings, flight, signal), undefined, settings.debug);
    } catch (error) {
      // A 404 never gets a stale document, because the session no longer exists.
      const eligible = settings.staleOnError && error.code !== "aborted" && error.code !== "not_found" && error.code !== "invalid_argument";
      const stale = eligible ? cached(settings, plan, true) : undefined;
      if (stale === undefined) {
        throw error;
      }
      log(settings, () => `stale answer after ${describe(error)}: ${label(settings, sessionId)}, fetched ${ageOf(stale)} ms ago`);
      return share.call(stale.session, error, settings.debug);
    }
  };

  // The key of each client's state, `{ settings }`, whose settings a freed
  // client no longer has. A property and not a WeakMap keyed by the client,
  // so that a client reached through a Proxy (as Vue's `reactive` makes) or
  // through an object that inherits from it still works, as wasm-bindgen's
  // classes do. The state is one object, so that `free()` reaches it
  // through a Proxy or on a frozen client too.
  const STATE = Symbol("zephr-session.client");

  // The settings of the client a method was called on, or a getter read
  // on. A call on a freed client, or on another object, fails as `Session`'s
  // methods do then.
  const settingsOf = (client, method, verb = "call") => {
    let settings;
    try {
      settings = client?.[STATE]?.settings;
    } catch {
      // A Proxy whose trap throws is not a client in use.
    }
    if (settings === undefined) {
      throw zephrFreedError("SessionClient", method, verb);
    }
    return settings;
  };

  // The declarations of this class, with the documentation of each member,
  // are in src/js/types.rs.
  class SessionClient {
    constructor(options) {
      // `subscriptions` are those made through this client, which `free()` ends.
      // Writable, because a Proxy's get trap may return another value only
      // for a property that is writable or configurable, and Vue's
      // `reactive` returns a reactive copy of the state.
      const state = { settings: readSettings(options), subscriptions: new Set(), freed: new AbortController() };
      defineProperty(this, STATE, { value: state, writable: true });
    }

    async fetchSession(sessionId, options) {
      const settings = settingsOf(this, "fetchSession");
      return lookup(settings, fetchPlan(settings, sessionId, options, false));
    }

    async refresh(sessionId, options) {
      const settings = settingsOf(this, "refresh");
      return lookup(settings, fetchPlan(settings, sessionId, options, true));
    }

    async refreshUntil(sessionId, predicate, options) {
      const settings = settingsOf(this, "refreshUntil");
      const plan = lookupPlan(settings, sessionId);
      plan.fresh = true;
      if (typeof predicate !== "function") {
        throw invalidArgument(`refreshUntil expects a predicate function, but got ${typeName(predicate)}`);
      }
      const read = optionsObject(options, "refreshUntil options", ["attempts", "intervalMs", "signal"]);
      const attempts = readInteger(readOption(read, "attempts"), "attempts", 5, 1, 1000);
      const intervalMs = readNumber(readOption(read, "intervalMs"), "intervalMs", 1000, 0, MAX_TIMER_MS);
      plan.signal = readSignal(readOption(read, "signal"));

      const state = this[STATE];
      let last;
      for (let attempt = 0; attempt < attempts; attempt += 1) {
        const waited = attempt === 0 || (await sleep(intervalMs, plan.signal, state.freed.signal));
        // A lookup in flight at `free()` finishes, but a freed client starts
        // no new one, and `free()` ends the wait before it.
        if (state.settings === undefined) {
          throw invalidArgument(
            "the SessionClient was freed during refreshUntil, so it stopped before its next lookup; " +
              "free a client only after its calls end",
          );
        }
        if (!waited) {
          throw fail(settings, FAILURE_ABORTED, 0, "");
        }
        let session;
        try {
          session = await lookup(settings, plan);
        } catch (error) {
          if (error?.code === "aborted") {
            throw error;
          }
          // A session fetched earlier is kept; of errors, the last one is.
          if (last?.session === undefined) {
            last = { error };
          }
          continue;
        }
        if (predicate.call(null, session)) {
          return { session, satisfied: true };
        }
        last = { session };
      }
      if (last.session === undefined) {
        throw last.error;
      }
      return { session: last.session, satisfied: false };
    }

    subscribe(callback) {
      const { variant } = settingsOf(this, "subscribe");
      const { subscriptions } = this[STATE];
      if (typeof callback !== "function") {
        throw invalidArgument(`subscribe expects a function, but got ${typeName(callback)}`);
      }
      // One entry per subscription, so that subscribing one callback twice
      // needs two calls to unsubscribe.
      const subscriber = { callback, variant };
      subscribers.add(subscriber);
      subscriptions.add(subscriber);
      return () => {
        subscribers.delete(subscriber);
        subscriptions.delete(subscriber);
      };
    }

    clear(sessionId) {
      const settings = settingsOf(this, "clear");
      const id = optionalString(sessionId, "sessionId");
      const [, cacheKey, storageKey] = cacheTarget(settings.baseUrl, settings.site, id);
      // With an id, the keys of that session alone (a prefix would also take
      // the sessions whose ids start with it), for every variant. Without
      // one, every key of the base URL and site: their parts are
      // percent-encoded, so no other base URL or site shares the prefix.
      const inMemory = id === undefined ? cacheKey : `${cacheKey}\n`;
      clears += 1;
      lastClears.set(inMemory, clears);

      // A call after this one starts a new request instead of joining one
      // that started before, which still finishes for those who wait for it.
      for (const map of [memory, lastSeen, inFlight]) {
        for (const key of [...map.keys()]) {
          if (key.startsWith(inMemory)) {
            map.delete(key);
          }
        }
      }

      const matches =
        id === undefined
          ? (key, start) => key.startsWith(start)
          : (key, whole) => key === whole || key.startsWith(`${whole}|`);
      for (const mode of [CACHE_SESSION_STORAGE, CACHE_LOCAL_STORAGE]) {
        const storage = openStorage(mode);
        try {
          const keys = [];
          for (let index = 0; index < storage.length; index += 1) {
            const key = storage.key(index);
            if (typeof key === "string" && matches(key, storageKey)) {
              keys.push(key);
            }
          }
          for (const key of keys) {
            storage.removeItem(key);
          }
        } catch {
          // A storage that is missing or throws has nothing this page can clear.
        }
      }
    }

    get baseUrl() {
      return settingsOf(this, "baseUrl", "read").baseUrl;
    }

    get site() {
      return settingsOf(this, "site", "read").site;
    }

    free() {
      try {
        const state = this?.[STATE];
        if (state !== undefined) {
          state.settings = undefined;
          state.freed.abort();
          for (const subscriber of state.subscriptions) {
            subscribers.delete(subscriber);
          }
          state.subscriptions.clear();
        }
      } catch {
        // Not a client: there is nothing to free.
      }
    }
  }
  if (Symbol.dispose) {
    SessionClient.prototype[Symbol.dispose] = SessionClient.prototype.free;
  }
  return SessionClient;
})();
