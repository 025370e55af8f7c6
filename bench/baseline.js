// A plain-JavaScript implementation of three methods of zephr-session's
// `Session`: `decide`, `isEntitled` and `remainingCredits`, with `parse` and
// `fromJson` to build one. It follows the module's access rules, so it
// returns the same decision objects, reasons and ids, and throws the same
// error `code` for bad input. The benchmark times the WebAssembly module
// against it, and tests/node/baseline.test.mjs checks that both return the
// same results. It is not part of the npm package.
//
// It reads only what the three methods need, as a hand-written paywall
// would: no warnings, dates, sessions or kept document. Lookup indexes are
// built once, when the document is read, so each call costs a few map
// lookups whatever the size of the document.
//
// NOTE: two inputs that the module rejects are read here. Text with more
// than 127 nested arrays and objects is an `invalid_response` in the module
// (its parser's nesting limit) and reads normally here. `fromJson` reads
// the object's own fields, where the module reads `JSON.stringify(value)`,
// so an object with a `toJSON` method, such as a `Date`, or a boxed number
// reads differently.

const EXACT = 0;
const STRIP_PARAMS = 1;
const NEVER_MATCHES = 2;

/** Transforms by their `contentIdTransform` name. Any other name compares exactly, as `NONE` does. */
const TRANSFORMS = new Map([
  ["NONE", EXACT],
  ["STRIP_PARAMS", STRIP_PARAMS],
  ["PREPEND_RANDOM", NEVER_MATCHES],
]);

/** Creates an error shaped as the module's: `name` "ZephrSessionError", a `code`, no `status`. */
function sessionError(code, message) {
  const error = new Error(message);
  error.name = "ZephrSessionError";
  error.code = code;
  error.status = undefined;
  return error;
}

function typeName(value) {
  if (value === null) {
    return "null";
  }
  return Array.isArray(value) ? "an array" : typeof value;
}

/** Reads an optional string argument. `undefined` and `null` are absent, and other types are rejected. */
function optionalString(value, name) {
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== "string") {
    throw sessionError("invalid_argument", `${name} must be a string, but it is ${typeName(value)}`);
  }
  // The module converts arguments to UTF-8, which cannot hold a lone surrogate.
  if (!value.isWellFormed()) {
    throw sessionError("invalid_argument", `${name} contains a lone surrogate; pass well-formed text`);
  }
  return value;
}

function requiredString(value, name) {
  const text = optionalString(value, name);
  if (text === undefined) {
    throw sessionError("invalid_argument", `${name} is missing; pass a non-empty string`);
  }
  if (text === "") {
    throw sessionError("invalid_argument", `${name} is empty; pass a non-empty string`);
  }
  return text;
}

/** Reads an options object: `undefined` and `null` are no options, and a key outside `allowed` is rejected. */
function readOptions(value, name, allowed) {
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== "object" || Array.isArray(value)) {
    throw sessionError("invalid_argument", `${name} must be an object, but it is ${typeName(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      const message = `${name} have no option ${JSON.stringify(key)}; the options are ${allowed.join(", ")}`;
      throw sessionError("invalid_argument", message);
    }
  }
  return value;
}

/** Validates `{ sessionId }`, which the three methods do not use. */
function checkSessionOptions(options) {
  const sessionOptions = readOptions(options, "Session options", ["sessionId"]);
  const sessionId = optionalString(sessionOptions?.sessionId, "sessionId");
  if (sessionId === "") {
    throw sessionError("invalid_argument", "sessionId is empty; pass the session id or leave it out");
  }
}

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Returns the entries of a JSON map, or none when the value is not an object.
 * An empty array is an empty map, as the upstream documentation writes it.
 */
function mapEntries(value) {
  return isObject(value) ? Object.entries(value) : [];
}

/**
 * Returns text as the module stores it: JSON text is read into UTF-8, where
 * each lone surrogate becomes U+FFFD.
 */
function wellFormed(text) {
  return text.isWellFormed() ? text : text.toWellFormed();
}

/** Reads an array of strings, dropping elements of other types. */
function stringList(value) {
  if (!Array.isArray(value)) {
    return [];
  }
  const strings = [];
  for (const item of value) {
    if (typeof item === "string") {
      strings.push(wellFormed(item));
    }
  }
  return strings;
}

/**
 * Reads a count: an integer no larger than 2^53 - 1 in size, with a negative
 * one read as 0. Anything else, `Infinity` from a number such as `1e400`
 * included, is absent.
 */
function readCount(value) {
  if (!Number.isInteger(value) || Math.abs(value) > Number.MAX_SAFE_INTEGER) {
    return undefined;
  }
  // Math.max also turns -0 into 0.
  return Math.max(0, value);
}

/** Returns the part of a content id that STRIP_PARAMS compares: everything before the first `?` or `#`. */
function stripParams(contentId) {
  const end = contentId.search(/[?#]/);
  return end === -1 ? contentId : contentId.slice(0, end);
}

/**
 * Orders strings by code point, as the module orders meter and credit ids
 * (Rust compares UTF-8 bytes). Comparing UTF-16 code units, as `<` does,
 * would put U+10000 and above before U+E000 to U+FFFF.
 */
function compareCodePoints(left, right) {
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index++) {
    const a = left.charCodeAt(index);
    const b = right.charCodeAt(index);
    if (a !== b) {
      return codePointRank(a) - codePointRank(b);
    }
  }
  return left.length - right.length;
}

/** Moves surrogates (0xD800 to 0xDFFF), which start code points above 0xFFFF, after 0xE000 to 0xFFFF. */
function codePointRank(codeUnit) {
  if (codeUnit >= 0xe000) {
    return codeUnit - 0x800;
  }
  if (codeUnit >= 0xd800) {
    return codeUnit + 0x2000;
  }
  return codeUnit;
}

/**
 * Reads the meters or credits of `access_model` into a map from id to
 * `{ id, rank, remainingCredits, transform, recorded }`, where `rank` is the
 * position in ascending id order and `recorded` contains the comparable form
 * of each recorded content id.
 */
function readSources(value) {
  const sources = new Map();
  for (const [key, fields] of mapEntries(value)) {
    if (!isObject(fields)) {
      continue;
    }
    const id = wellFormed(key);
    const transformName = fields.contentIdTransform;
    const transform = (typeof transformName === "string" && TRANSFORMS.get(transformName)) || EXACT;
    const recorded = new Set();
    if (transform !== NEVER_MATCHES) {
      for (const contentId of stringList(fields.contentIds)) {
        recorded.add(transform === STRIP_PARAMS ? stripParams(contentId) : contentId);
      }
    }
    // A repeated id keeps the last entry, as JSON.parse does.
    sources.set(id, { id, rank: 0, remainingCredits: readCount(fields.remainingCredits), transform, recorded });
  }
  const ids = [...sources.keys()].sort(compareCodePoints);
  ids.forEach((id, rank) => {
    sources.get(id).rank = rank;
  });
  return sources;
}

/** Returns whether a meter or credit already counted `contentId`. */
function hasRecorded(source, contentId) {
  switch (source.transform) {
    case EXACT:
      return source.recorded.has(contentId);
    case STRIP_PARAMS:
      return source.recorded.has(stripParams(contentId));
    default:
      return false;
  }
}

/**
 * Indexes every recorded content id of a set of meters or credits, for
 * decisions without a delivered entitlement: for each id, the first source
 * in ascending id order that recorded it, once for exact and once for
 * STRIP_PARAMS comparison.
 */
function indexRecorded(sources) {
  const exact = new Map();
  const stripped = new Map();
  for (const source of [...sources.values()].sort((a, b) => a.rank - b.rank)) {
    if (source.transform === NEVER_MATCHES) {
      continue;
    }
    const index = source.transform === STRIP_PARAMS ? stripped : exact;
    for (const contentId of source.recorded) {
      if (!index.has(contentId)) {
        index.set(contentId, source);
      }
    }
  }
  return { exact, stripped };
}

/** Returns the first source, in ascending id order, that recorded `contentId`. */
function firstRecorder({ exact, stripped }, contentId) {
  const exactMatch = exact.get(contentId);
  if (stripped.size === 0) {
    return exactMatch;
  }
  const strippedMatch = stripped.get(stripParams(contentId));
  if (exactMatch === undefined || strippedMatch === undefined) {
    return exactMatch ?? strippedMatch;
  }
  return exactMatch.rank < strippedMatch.rank ? exactMatch : strippedMatch;
}

/**
 * Reads `delivered_entitlements` into a map from id to `{ id, direct,
 * meters, credits }`, with the listed meters and credits resolved and
 * unknown ones skipped. Entries that repeat an id are merged into the first:
 * direct when any is, with the sources of all in order of appearance.
 */
function readEntitlements(value, meters, credits) {
  const listed = new Map();
  for (const fields of Array.isArray(value) ? value : []) {
    if (!isObject(fields) || typeof fields.id !== "string") {
      continue;
    }
    const id = wellFormed(fields.id);
    const entry = listed.get(id) ?? { id, direct: false, meterIds: new Set(), creditIds: new Set() };
    entry.direct ||= fields.direct === true;
    for (const meterId of stringList(fields.meteredBy)) {
      entry.meterIds.add(meterId);
    }
    for (const creditId of stringList(fields.creditedBy)) {
      entry.creditIds.add(creditId);
    }
    listed.set(id, entry);
  }

  const entitlements = new Map();
  for (const { id, direct, meterIds, creditIds } of listed.values()) {
    entitlements.set(id, {
      id,
      direct,
      meters: resolve(meterIds, meters),
      credits: resolve(creditIds, credits),
    });
  }
  return entitlements;
}

function resolve(ids, sources) {
  const resolved = [];
  for (const id of ids) {
    const source = sources.get(id);
    if (source !== undefined) {
      resolved.push(source);
    }
  }
  return resolved;
}

function firstWithCredits(sources) {
  return sources.find((source) => source.remainingCredits > 0);
}

/** A reader's session document, read for `decide`, `isEntitled` and `remainingCredits`. */
export class BaselineSession {
  #meters;
  #credits;
  #entitlements;
  #recordedByMeters;
  #recordedByCredits;

  /** Reads a document object. Call `parse` or `fromJson` instead, which check their input. */
  constructor(document) {
    const access = isObject(document.access_model) ? document.access_model : {};
    this.#meters = readSources(access.meters);
    this.#credits = readSources(access.credits);
    this.#entitlements = readEntitlements(access.delivered_entitlements, this.#meters, this.#credits);
    this.#recordedByMeters = indexRecorded(this.#meters);
    this.#recordedByCredits = indexRecorded(this.#credits);
  }

  /** Reads a session document from JSON text. Throws `invalid_response` unless the text is a JSON object. */
  static parse(text, options) {
    checkSessionOptions(options);
    if (typeof text !== "string") {
      throw sessionError("invalid_argument", `Session.parse expects JSON text, but got ${typeName(text)}`);
    }
    let document;
    try {
      document = JSON.parse(text);
    } catch (error) {
      throw sessionError("invalid_response", `the session document is not valid JSON (${error.message})`);
    }
    return BaselineSession.#fromDocument(document);
  }

  /** Reads a session document already parsed into an object. */
  static fromJson(value, options) {
    checkSessionOptions(options);
    if (value === undefined) {
      throw sessionError("invalid_response", "the session document is undefined; pass the parsed JSON object");
    }
    return BaselineSession.#fromDocument(value);
  }

  static #fromDocument(document) {
    if (!isObject(document)) {
      throw sessionError("invalid_response", `the session document must be a JSON object, but it is ${typeName(document)}`);
    }
    return new BaselineSession(document);
  }

  /** Returns the credits left on a meter, or `undefined` when the meter or its count is absent. */
  remainingCredits(meterId) {
    const id = requiredString(meterId, "meterId");
    return this.#meters.get(id)?.remainingCredits;
  }

  /** Returns `decide(contentId).granted`. */
  isEntitled(contentId) {
    const id = requiredString(contentId, "contentId");
    return this.#decide(id, this.#entitlements.get(id)).granted;
  }

  /**
   * Decides whether the reader may see `contentId`, checking
   * `options.entitlementId` or, without it, the content id itself. Returns
   * `{ granted, reason, entitlementId?, meterId?, creditId?, remainingCredits? }`,
   * with its keys in that order.
   */
  decide(contentId, options) {
    const id = requiredString(contentId, "contentId");
    const decideOptions = readOptions(options, "decide options", ["entitlementId"]);
    const entitlementId = optionalString(decideOptions?.entitlementId, "entitlementId");
    if (entitlementId === "") {
      throw sessionError(
        "invalid_argument",
        "entitlementId is empty; pass the entitlement that unlocks the content, or leave it out",
      );
    }
    return this.#decide(id, this.#entitlements.get(entitlementId ?? id));
  }

  /** Applies the decision rules in order, and returns the decision of the first that applies. */
  #decide(contentId, entitlement) {
    if (entitlement?.direct) {
      return { granted: true, reason: "entitlement", entitlementId: entitlement.id };
    }

    const consumed = this.#consumed(contentId, entitlement);
    if (consumed !== undefined) {
      return consumed;
    }
    if (entitlement === undefined) {
      return { granted: false, reason: "none" };
    }

    const meter = firstWithCredits(entitlement.meters);
    if (meter !== undefined) {
      const { id: meterId, remainingCredits } = meter;
      return { granted: true, reason: "meter", entitlementId: entitlement.id, meterId, remainingCredits };
    }
    const credit = firstWithCredits(entitlement.credits);
    if (credit !== undefined) {
      const { id: creditId, remainingCredits } = credit;
      return { granted: true, reason: "credit", entitlementId: entitlement.id, creditId, remainingCredits };
    }
    return { granted: false, reason: "exhausted", entitlementId: entitlement.id };
  }

  /**
   * Finds the meter, then the credit, that already counted `contentId`:
   * among the delivered entitlement's own sources in their listed order,
   * or without one among all of them in ascending id order.
   */
  #consumed(contentId, entitlement) {
    let meter;
    let credit;
    if (entitlement !== undefined) {
      meter = entitlement.meters.find((source) => hasRecorded(source, contentId));
      credit = meter === undefined ? entitlement.credits.find((source) => hasRecorded(source, contentId)) : undefined;
    } else {
      meter = firstRecorder(this.#recordedByMeters, contentId);
      credit = meter === undefined ? firstRecorder(this.#recordedByCredits, contentId) : undefined;
    }
    if (meter === undefined && credit === undefined) {
      return undefined;
    }
    const decision = { granted: true, reason: "consumed" };
    if (entitlement !== undefined) {
      decision.entitlementId = entitlement.id;
    }
    if (meter !== undefined) {
      decision.meterId = meter.id;
    } else {
      decision.creditId = credit.id;
    }
    return decision;
  }
}
