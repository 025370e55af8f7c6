// Quick results for the calls a paywall makes on every page: `decide`,
// `isEntitled` and `remainingCredits`.
//
// scripts/append-fast-paths.mjs appends this file to the JavaScript glue that
// wasm-bindgen writes, in whose scope `Session` is the class of
// src/js/session.rs, so a page loads no extra file. The glue's own methods
// read their arguments and build their results through calls between
// JavaScript and WebAssembly: a decision took 2.4 microseconds in the
// benchmark's Chromium. Here, JavaScript checks the common arguments: a
// non-empty string id, and no options or an object literal whose only option
// is a string `entitlementId`. The module returns one number (`verdict_code`
// in session.rs), and the result is an object literal.
// `remainingCredits` reads a map of the session's meters instead. Any
// other argument goes to the glue's method, which returns the same results
// and throws the errors of the contract.
//
// It also guards every method of `Session` against a freed object (see
// `guardFreed` below); `SessionClient` (src/js/client.js) checks its own.
//
// NOTE: when the options are a Proxy that the quick path hands to the glue's
// method (a trap threw, or it is not an object literal with only
// `entitlementId`), that method runs the traps a second time. An option's
// getter runs once.
{
  const prototype = Session.prototype;

  // Takes a method off the class, so that callers never see it.
  const take = (name) => {
    const method = prototype[name];
    if (typeof method !== "function") {
      throw new Error(`zephr-session: the glue has no Session.prototype.${name}; rebuild the package`);
    }
    delete prototype[name];
    return method;
  };
  // The quick paths call the module's export of this method directly.
  take("__verdictCode");
  const sourceId = take("__sourceId");
  const sourceRemaining = take("__sourceRemaining");
  const meterCounts = take("__meterCounts");
  const recordedIds = take("__recordedIds");
  const entitlementIdsByPosition = take("__entitlementIdsByPosition");
  const stripsParams = take("__stripsParams");
  const lookupSize = take("__lookupSize");
  // The quick paths call the module's export of this method directly.
  take("__verdictAt");
  const meterIds = prototype.meterIds;
  const scratch = Session.__scratch;
  if (typeof scratch !== "function") {
    throw new Error("zephr-session: the glue has no Session.__scratch; rebuild the package");
  }
  delete Session.__scratch;
  const fullDecide = prototype.decide;
  const fullIsEntitled = prototype.isEntitled;
  const fullRemainingCredits = prototype.remainingCredits;

  // Taken now, so that a page that replaces them later changes no result.
  const { isArray } = Array;
  const { getPrototypeOf } = Object;
  const stringIncludes = String.prototype.includes;
  // Whether an id has a `?` or `#`, where `STRIP_PARAMS` cuts it.
  const hasParameters = (id) => stringIncludes.call(id, "?") || stringIncludes.call(id, "#");
  const objectPrototype = getPrototypeOf({});
  // An id with a lone surrogate is an error, which the glue's method reports.
  // Only a text with a character past ASCII can have one, so `writeScratch`
  // checks those alone.
  const wellFormed = zephrWellFormed;
  // Whether the quick path may take an id: a non-empty string.
  const usable = (id) => typeof id === "string" && id !== "";
  // The maximum length of a quick call's ids together, in UTF-16 units, so
  // that the scratch buffer never grows past 12 KB. Longer ids take the
  // glue's method.
  const MAX_QUICK_UNITS = 4096;

  // The ids of a quick call go to the module as UTF-8 in its scratch buffer
  // (`scratch` in session.rs), which is reused from call to call. Written
  // here, they cost no allocation in the module, where wasm-bindgen's glue
  // would allocate and free a copy of each.
  const encoder = new TextEncoder();
  let scratchAddress = 0;
  let scratchLength = 0;
  // The module is not loaded yet when this code runs; an empty view is
  // replaced at the first call.
  let memory = new Uint8Array(0);
  // Makes room for `units` UTF-16 code units, which take at most three
  // bytes each, and returns a view of the module's memory, or undefined when
  // the module cannot make room.
  const scratchView = (units) => {
    if (units * 3 > scratchLength) {
      const length = Math.max(units * 3, 256);
      const address = scratch(length);
      if (address === 0) {
        return undefined;
      }
      scratchAddress = address;
      scratchLength = length;
    }
    // When the module's memory grows, the old view is detached and has no
    // length.
    if (memory.length === 0) {
      memory = getUint8ArrayMemory0();
    }
    return memory;
  };
  // Writes `text`, which `usable` accepted, at `offset` of the scratch
  // buffer and returns the number of bytes written, or -1 when the text has
  // a lone surrogate. ASCII is copied one unit at a time; the rest of a text
  // with any other character is written by the TextEncoder.
  const writeScratch = (view, text, offset) => {
    const start = scratchAddress + offset;
    const length = text.length;
    for (let index = 0; index < length; index++) {
      const unit = text.charCodeAt(index);
      if (unit > 127) {
        if (!wellFormed(text)) {
          return -1;
        }
        const rest = view.subarray(start + index, scratchAddress + scratchLength);
        return index + encoder.encodeInto(text.slice(index), rest).written;
      }
      view[start + index] = unit;
    }
    return length;
  };

  // The number `verdict_code` returns when the glue's method must decide.
  const FULL = 0xffffffff;

  // Reads `options.entitlementId` in the order the glue's method does.
  // Returns undefined for none, the id, or `{ fallback }` with the options
  // for the glue's method. Once the value is read, those are a new object
  // with that value, so that a getter runs once.
  const entitlementOption = (options) => {
    if (options === undefined || options === null) {
      return undefined;
    }
    if (typeof options !== "object") {
      return { fallback: options };
    }
    let value;
    try {
      if (isArray(options)) {
        return { fallback: options };
      }
      const parent = getPrototypeOf(options);
      if (parent !== objectPrototype && parent !== null) {
        return { fallback: options };
      }
      // Every enumerable key, own or inherited: the options qualify when
      // that is at most `entitlementId`. A loop allocates nothing, where
      // `Object.keys` makes an array.
      for (const key in options) {
        if (key !== "entitlementId") {
          return { fallback: options };
        }
      }
      value = options.entitlementId;
    } catch {
      return { fallback: options };
    }
    if (value === undefined || value === null) {
      return undefined;
    }
    return usable(value) ? value : { fallback: { entitlementId: value } };
  };

  // Returns a map from each id of a list to its first position.
  const positions = (ids) => {
    const map = new Map();
    for (let index = 0; index < ids.length; index++) {
      if (!map.has(ids[index])) {
        map.set(ids[index], index);
      }
    }
    return map;
  };

  // A session builds its maps of ids (`contents` and `entitlements` in its
  // state below) once it has made this many quick decisions per id.
  // Building them cost about 1.4 microseconds an id in Node 20 (44 ms for a
  // 1 MB document), and a decision through them saved about 0.08
  // microseconds. So by then they have about paid for themselves, and a
  // page that decides a few times never builds them.
  const BUILD_AFTER_CALLS_PER_ID = 16;

  // What the quick paths keep for each session, which is never changed. One
  // object, so that a call looks the session up once.
  const states = new WeakMap();
  const stateOf = (session) => {
    let state = states.get(session);
    if (state === undefined) {
      state = {
        // The id and credits left of each meter and credit a decision has
        // named, under the bits of the verdict code that name it: twice the
        // position plus one, plus one for a credit. A Map, because an array
        // with such scattered indexes is slower: 15 ns of a 215 ns decision
        // on the benchmark's large document in Node 20.
        sources: new Map(),
        // The meters, from id to credits left (-1 when absent), built at the
        // first `remainingCredits` call: a Map lookup costs less than a call
        // into the module.
        meters: undefined,
        // Maps from the content ids the tables record, and from the
        // delivered entitlements, to their positions in the module. With
        // them, a decision passes two numbers instead of copying its ids into
        // the module's memory, which cost about 2 ns a character.
        calls: 0,
        buildAfter: BUILD_AFTER_CALLS_PER_ID * lookupSize.call(session),
        contents: undefined,
        entitlements: undefined,
        stripsParams: false,
      };
      states.set(session, state);
    }
    return state;
  };

  // Returns the meter or credit that a verdict code names.
  const sourceOf = (state, session, code) => {
    const key = code >>> 4;
    let source = state.sources.get(key);
    if (source === undefined) {
      source = { id: sourceId.call(session, code), remaining: sourceRemaining.call(session, code) };
      state.sources.set(key, source);
    }
    return source;
  };

  // Returns the session's meters, from id to credits left.
  const meterTable = (state, session) => {
    if (state.meters === undefined) {
      const ids = meterIds.call(session);
      const counts = meterCounts.call(session);
      state.meters = new Map();
      for (let index = 0; index < ids.length; index++) {
        state.meters.set(ids[index], counts[index]);
      }
    }
    return state.meters;
  };

  // Returns whether the session's maps of ids are built, and builds them
  // when the session has made enough quick decisions.
  const hasLookup = (state, session) => {
    if (state.contents === undefined) {
      if (state.calls++ < state.buildAfter) {
        return false;
      }
      state.contents = positions(recordedIds.call(session));
      state.entitlements = positions(entitlementIdsByPosition.call(session));
      state.stripsParams = stripsParams.call(session);
    }
    return true;
  };

  // Asks the module for the verdict on ids that `usable` accepted, of which
  // the content id is well-formed.
  const quickVerdict = (state, session, contentId, entitlementId) => {
    if (!hasLookup(state, session)) {
      return scratchVerdict(session, contentId, entitlementId);
    }
    // A `STRIP_PARAMS` source matches an id with `?` or `#` by cutting it,
    // which the module does.
    if (state.stripsParams && hasParameters(contentId)) {
      return scratchVerdict(session, contentId, entitlementId);
    }
    // An id with a lone surrogate is an error, which the glue's method
    // reports, and the maps hold well-formed ids only.
    if (entitlementId !== undefined && !wellFormed(entitlementId)) {
      return FULL;
    }
    // A content id outside the map matches no recorded id, and an
    // entitlement outside the map is not delivered.
    const content = state.contents.get(contentId) ?? -1;
    const entitlement = state.entitlements.get(entitlementId ?? contentId) ?? -1;
    return wasm.session___verdictAt(session.__wbg_ptr, content, entitlement) >>> 0;
  };

  // Asks the module for the verdict on ids that `usable` accepted, written
  // to its scratch buffer.
  const scratchVerdict = (session, contentId, entitlementId) => {
    const units = contentId.length + (entitlementId === undefined ? 0 : entitlementId.length);
    const view = units > MAX_QUICK_UNITS ? undefined : scratchView(units);
    if (view === undefined) {
      return FULL;
    }
    const contentLength = writeScratch(view, contentId, 0);
    if (contentLength < 0) {
      return FULL;
    }
    let entitlementLength = -1;
    if (entitlementId !== undefined) {
      entitlementLength = writeScratch(view, entitlementId, contentLength);
      if (entitlementLength < 0) {
        return FULL;
      }
    }
    // The glue's `__verdictCode` method makes this same call, so calling the
    // module's export directly saves a call. The quick methods rule out a
    // freed session before they get here.
    return wasm.session___verdictCode(session.__wbg_ptr, contentLength, entitlementLength) >>> 0;
  };

  // Builds the decision that a verdict code describes, with its keys in the
  // order of `Decision::to_json` in src/rules.rs.
  const decision = (state, session, code, entitlementId) => {
    const named = (code & 8) !== 0;
    const byCredit = (code & 16) !== 0;
    switch (code & 7) {
      case 0:
        return { granted: true, reason: "entitlement", entitlementId };
      case 1: {
        const { id } = sourceOf(state, session, code);
        if (named) {
          return byCredit
            ? { granted: true, reason: "consumed", entitlementId, creditId: id }
            : { granted: true, reason: "consumed", entitlementId, meterId: id };
        }
        return byCredit
          ? { granted: true, reason: "consumed", creditId: id }
          : { granted: true, reason: "consumed", meterId: id };
      }
      case 2: {
        const { id, remaining } = sourceOf(state, session, code);
        return { granted: true, reason: "meter", entitlementId, meterId: id, remainingCredits: remaining };
      }
      case 3: {
        const { id, remaining } = sourceOf(state, session, code);
        return { granted: true, reason: "credit", entitlementId, creditId: id, remainingCredits: remaining };
      }
      case 4:
        return { granted: false, reason: "exhausted", entitlementId };
      default:
        return { granted: false, reason: "none" };
    }
  };

  // The error for a call on a freed object, or on one that is not a
  // `Session`, from src/js/client.js, which comes first in the glue.
  const { defineProperty, getOwnPropertyDescriptor } = Object;
  const freedError = zephrFreedError;

  // wasm-bindgen's methods throw from inside the module when an object was
  // freed, which leaves part of the module's stack in use. After some
  // thousands of such calls the module traps, and stops working for the
  // whole page. So each method and getter checks the object's pointer first:
  // a call throws `freedError`, and `free()` or `[Symbol.dispose]()` does
  // nothing a second time. The quick methods below check it themselves.
  const guardFreed = (target, skipped) => {
    const prototype = target.prototype;
    const className = target.name;
    const free = prototype.free;
    for (const key of Reflect.ownKeys(prototype)) {
      const name = String(key);
      if (key === "constructor" || name.startsWith("__") || skipped.includes(name)) {
        continue;
      }
      const descriptor = getOwnPropertyDescriptor(prototype, key);
      if (descriptor.get !== undefined) {
        const getter = descriptor.get;
        const guarded = {
          get [name]() {
            if (!this?.__wbg_ptr) {
              throw freedError(className, name, "read");
            }
            return getter.call(this);
          },
        };
        descriptor.get = getOwnPropertyDescriptor(guarded, name).get;
      } else if (typeof descriptor.value === "function") {
        const method = descriptor.value;
        if (method === free) {
          descriptor.value = function free() {
            if (this?.__wbg_ptr) {
              method.call(this);
            }
          };
        } else {
          descriptor.value = {
            [name](...args) {
              if (!this?.__wbg_ptr) {
                throw freedError(className, name);
              }
              return method.apply(this, args);
            },
          }[name];
        }
        // A wrapper takes any arguments, so it reports the glue's count.
        defineProperty(descriptor.value, "length", { value: method.length });
      } else {
        continue;
      }
      defineProperty(prototype, key, descriptor);
    }
  };
  guardFreed(Session, ["decide", "isEntitled", "remainingCredits"]);

  const methods = {
    decide(contentId, options) {
      if (!this?.__wbg_ptr) {
        throw freedError("Session", "decide");
      }
      // The glue's method rejects a bad content id before it reads the
      // options, so this checks the whole id before reading them.
      if (!usable(contentId) || !wellFormed(contentId)) {
        return fullDecide.call(this, contentId, options);
      }
      const entitlementId = entitlementOption(options);
      if (typeof entitlementId === "object") {
        return fullDecide.call(this, contentId, entitlementId.fallback);
      }
      const state = stateOf(this);
      const code = quickVerdict(state, this, contentId, entitlementId);
      if (code !== FULL) {
        return decision(state, this, code, entitlementId === undefined ? contentId : entitlementId);
      }
      return fullDecide.call(this, contentId, entitlementId === undefined ? undefined : { entitlementId });
    },

    isEntitled(contentId) {
      if (!this?.__wbg_ptr) {
        throw freedError("Session", "isEntitled");
      }
      if (usable(contentId) && wellFormed(contentId)) {
        const code = quickVerdict(stateOf(this), this, contentId, undefined);
        if (code !== FULL) {
          // Reasons 0 to 3 grant access.
          return (code & 7) < 4;
        }
      }
      return fullIsEntitled.call(this, contentId);
    },

    remainingCredits(meterId) {
      if (!this?.__wbg_ptr) {
        throw freedError("Session", "remainingCredits");
      }
      if (usable(meterId) && wellFormed(meterId)) {
        const count = meterTable(stateOf(this), this).get(meterId);
        return count === undefined || count < 0 ? undefined : count;
      }
      return fullRemainingCredits.call(this, meterId);
    },
  };

  // `warm_up` in src/js/mod.rs calls this on a session of a small built-in
  // document, in a task after the module loads, so that V8 compiles these
  // functions before the page's first call.
  Object.defineProperty(prototype, Symbol.for("zephr-session.warm-up"), {
    value() {
      methods.decide.call(this, "a", { entitlementId: "e" });
      methods.isEntitled.call(this, "b");
      methods.remainingCredits.call(this, "m");
    },
  });

  for (const name of ["decide", "isEntitled", "remainingCredits"]) {
    Object.defineProperty(prototype, name, {
      value: methods[name],
      writable: true,
      enumerable: false,
      configurable: true,
    });
  }
}
