// Compares the results of the module's `Session` with those of the baseline
// on one document. tests/node/baseline.test.mjs runs it on the sample and
// generated documents, and the benchmark runs it on every document it times,
// before any timing.
import { documentIds } from "./queries.mjs";

/** Content ids that no generated or sample document names. */
const UNKNOWN_IDS = ["not-in-document", "premium-not-delivered", "?", "#", "x?y#z", " ", "\u{1F600}", "\uFFFD", "\uE000", "__proto__"];

/** Arguments that every implementation must reject, by call. */
const BAD_ARGUMENTS = {
  decide: [
    [""],
    [undefined],
    [null],
    [42],
    [{}],
    [["article"]],
    ["\uD800"],
    ["article", { entitlementId: "" }],
    ["article", { entitlementId: 5 }],
    ["article", { entitlementId: "\uDC00" }],
    ["article", "premium"],
    ["article", ["premium"]],
    ["article", 7],
    ["article", () => "premium"],
    ["article", { entitlement: "premium" }],
    ["article", { entitlementId: "premium", extra: true }],
  ],
  isEntitled: [[""], [undefined], [null], [42], [{}], ["\uD800"]],
  remainingCredits: [[""], [undefined], [null], [42], [[]], ["\uDBFF"]],
};

/** Documents and options that `parse` and `fromJson` must reject, or read, alike. */
const PARSE_INPUTS = [
  [""],
  [42],
  [undefined],
  [null],
  [{}],
  ["[]"],
  ["null"],
  ['"text"'],
  ["not json"],
  ["{"],
  ["{}"],
  ["{}", { sessionId: "" }],
  ["{}", { sessionId: 5 }],
  ["{}", { sessionID: "x" }],
  ["{}", "x"],
  ["{}", { sessionId: "s-1" }],
];
const FROM_JSON_INPUTS = [
  [undefined],
  [null],
  ["{}"],
  [[]],
  [42],
  [true],
  [{}],
  [{}, { sessionId: "" }],
  [{}, { sessionID: "x" }],
  [{}, []],
];

/**
 * Bounds the work of a check that is not exhaustive. A decision without a
 * delivered entitlement searches every meter and credit, so the number of
 * content ids checked is at most this many divided by the number of meters
 * and credits (and at least 500).
 */
const SEARCH_BUDGET = 3_000_000;

/** Above this many decide calls with every pair, a document gets the sampled check. */
const MAX_PAIRS = 50_000;

/**
 * Describes a result or thrown error as text that two equal results share:
 * keys in order, `undefined` values and -0 visible, and errors by name and
 * code only, because messages may differ.
 */
export function describeOutcome(run) {
  let value;
  try {
    value = run();
  } catch (error) {
    return `throws ${error?.name} ${error?.code}`;
  }
  if (value === undefined) {
    return "undefined";
  }
  const text = JSON.stringify(value, (key, item) => {
    if (item === undefined) {
      return "<undefined>";
    }
    return Object.is(item, -0) ? "<-0>" : item;
  });
  const prototype = value !== null && typeof value === "object" ? Object.getPrototypeOf(value) : undefined;
  return prototype === undefined || prototype === Object.prototype ? text : `${text} (prototype ${prototype?.constructor?.name})`;
}

function stripParams(contentId) {
  const end = contentId.search(/[?#]/);
  return end === -1 ? contentId : contentId.slice(0, end);
}

/**
 * Returns the content ids to check: every id the document names, and
 * unknown ids. Unless `exhaustive`, the named ids stop at the search budget,
 * evenly sampled beyond it. Variants (parameters added or cut, a random
 * prefix removed) follow for every id, or for every tenth when `sampled`.
 */
function contentIdsToCheck(ids, { sampled, exhaustive }) {
  const named = new Set();
  for (const { contentId } of ids.recorded) {
    named.add(contentId);
  }
  for (const id of [...ids.meterIds, ...ids.creditIds]) {
    named.add(id);
  }
  for (const entitlement of ids.entitlements) {
    named.add(entitlement.id);
    for (const sourceId of entitlement.sourceIds) {
      named.add(sourceId);
    }
  }
  named.delete("");

  let checked = [...named];
  const limit = Math.max(500, Math.floor(SEARCH_BUDGET / (ids.meterIds.length + ids.creditIds.length + 1)));
  if (!exhaustive && checked.length > limit) {
    const stride = checked.length / limit;
    checked = Array.from({ length: limit }, (_, index) => checked[Math.floor(index * stride)]);
  }

  const variants = [];
  checked.forEach((contentId, index) => {
    if (sampled && index % 10 !== 0) {
      return;
    }
    variants.push(stripParams(contentId), `${stripParams(contentId)}?utm=x`, `${contentId}#top`);
    const dash = contentId.indexOf("-");
    if (dash > 0) {
      // A PREPEND_RANDOM id without its random prefix.
      variants.push(contentId.slice(dash + 1));
    }
  });
  return [...new Set([...checked, ...variants, ...UNKNOWN_IDS])].filter((id) => id !== "");
}

/**
 * Yields `[contentId, options]` pairs: every content id with every option
 * unless `sampled`. When sampled, each content id comes alone and with one
 * entitlement in rotation, and every tenth with more options.
 */
function* decideArguments(ids, contentIds, { sampled, optionIds }) {
  const fixedOptions = [undefined, null, {}, { entitlementId: undefined }, { entitlementId: null }];
  for (const [index, contentId] of contentIds.entries()) {
    yield [contentId];
    if (!sampled) {
      for (const options of fixedOptions) {
        yield [contentId, options];
      }
      for (const entitlementId of optionIds) {
        yield [contentId, { entitlementId }];
      }
      continue;
    }
    yield [contentId, { entitlementId: optionIds[index % optionIds.length] }];
    if (index % 10 === 0) {
      yield [contentId, fixedOptions[(index / 10) % fixedOptions.length]];
      yield [contentId, { entitlementId: optionIds[(index * 31 + 7) % optionIds.length] }];
      yield [contentId, { entitlementId: "not-delivered" }];
    }
  }

  // Recorded content against the entitlements that list its meter or credit
  // (every tenth entitlement when sampled), so that the scoped search for
  // consumed content runs on large documents too.
  const recordedBy = new Map();
  for (const { contentId, sourceId } of ids.recorded) {
    const list = recordedBy.get(sourceId) ?? [];
    if (list.length < 3) {
      list.push(contentId);
      recordedBy.set(sourceId, list);
    }
  }
  for (const [index, entitlement] of ids.entitlements.entries()) {
    if (entitlement.id === "" || (sampled && index % 10 !== 0)) {
      continue;
    }
    for (const sourceId of entitlement.sourceIds) {
      for (const contentId of recordedBy.get(sourceId) ?? []) {
        yield [contentId, { entitlementId: entitlement.id }];
        yield [`${stripParams(contentId)}?ref=check`, { entitlementId: entitlement.id }];
      }
    }
  }
}

/**
 * Compares module and baseline results on one document, read by `parse`
 * from `text` and by `fromJson` from its parsed value. Returns `{ compared,
 * differences }`: the number of calls compared and at most `maxDifferences`
 * lines, one per differing result, none when all agree.
 *
 * `Module` is the module's `Session` class and `Baseline` the baseline's
 * `BaselineSession` class. With `exhaustive`, `decide` gets every content id
 * the document names, however many meters each decision searches.
 */
export function compareResults({ Module, Baseline, name, text, exhaustive = false, maxDifferences = 20 }) {
  const differences = [];
  let compared = 0;
  const compare = (call, moduleRun, baselineRun) => {
    if (differences.length >= maxDifferences) {
      return;
    }
    compared++;
    const expected = describeOutcome(moduleRun);
    const actual = describeOutcome(baselineRun);
    if (expected !== actual) {
      differences.push(`${name}: ${call}: module ${expected}, baseline ${actual}`);
    }
  };

  const document = JSON.parse(text);
  const pairs = [
    ["parse", Module.parse(text), Baseline.parse(text)],
    ["fromJson", Module.fromJson(document), Baseline.fromJson(document)],
  ];
  const ids = documentIds(document);
  const entitlementIds = [...new Set(ids.entitlements.map((entitlement) => entitlement.id))].filter((id) => id !== "");
  const optionIds = [...entitlementIds, ...ids.meterIds.slice(0, 3), "not-delivered", "\u{1F600}"];
  // Each named id comes with up to four variants.
  const sampled = 5 * (ids.recorded.length + ids.meterIds.length + entitlementIds.length) * optionIds.length > MAX_PAIRS;
  const contentIds = contentIdsToCheck(ids, { sampled, exhaustive });
  const meterIds = [...ids.meterIds, ...ids.creditIds, ...entitlementIds, ...UNKNOWN_IDS].filter((id) => id !== "");

  try {
    for (const [built, moduleSession, baselineSession] of pairs) {
      const check = (method, args) =>
        compare(
          `${built} then ${method}(${args.map(describeArgument).join(", ")})`,
          () => moduleSession[method](...args),
          () => baselineSession[method](...args),
        );
      // On a sampled document, the sessions read by fromJson get every tenth
      // content id, because both implementations read the same fields as
      // after parse. isEntitled, which returns decide's `granted`, gets every
      // tenth too.
      const everyTenth = contentIds.filter((_, index) => index % 10 === 0);
      const checkedIds = sampled && built === "fromJson" ? everyTenth : contentIds;
      for (const args of decideArguments(ids, checkedIds, { sampled, optionIds })) {
        check("decide", args);
      }
      for (const contentId of sampled ? everyTenth : contentIds) {
        check("isEntitled", [contentId]);
      }
      for (const meterId of meterIds) {
        check("remainingCredits", [meterId]);
      }
      for (const [method, argumentLists] of Object.entries(BAD_ARGUMENTS)) {
        for (const args of argumentLists) {
          check(method, args);
        }
      }
    }
  } finally {
    for (const [, moduleSession] of pairs) {
      moduleSession.free();
    }
  }
  return { compared, differences };
}

/** Compares how module and baseline read bad or odd documents and options. Returns the differing lines. */
export function compareParsing({ Module, Baseline }) {
  const differences = [];
  const outcome = (run) =>
    describeOutcome(() => {
      const session = run();
      session?.free?.();
      // A built session counts as one result, whatever its contents.
      return session === undefined ? undefined : "a session";
    });
  for (const [method, inputs] of [
    ["parse", PARSE_INPUTS],
    ["fromJson", FROM_JSON_INPUTS],
  ]) {
    for (const args of inputs) {
      const expected = outcome(() => Module[method](...args));
      const actual = outcome(() => Baseline[method](...args));
      if (expected !== actual) {
        differences.push(`${method}(${args.map(describeArgument).join(", ")}): module ${expected}, baseline ${actual}`);
      }
    }
  }
  return differences;
}

function describeArgument(value) {
  if (value === undefined) {
    return "undefined";
  }
  if (typeof value === "function") {
    return "a function";
  }
  return JSON.stringify(value);
}
