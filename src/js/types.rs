//! TypeScript declarations of the object shapes that cross the JavaScript
//! boundary. wasm-bindgen appends this text to the generated `.d.ts`, and
//! the `unchecked_param_type` and `unchecked_return_type` attributes on the
//! exported functions name these types. Nothing here is checked at run
//! time: the functions validate their arguments themselves, and the shapes
//! below must follow what `session.rs`, `client.rs` and `mod.rs` build.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPESCRIPT_DECLARATIONS: &'static str = r#"
/** A JSON value, as `JSON.parse` returns it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A session document as the lookup sends it: a JSON object, unknown fields included. */
export type SessionDocument = { [key: string]: JsonValue };

/**
 * The comparison a meter or credit uses between a content id and the ones
 * it recorded. Any other value is kept as it came and compared as `"NONE"`.
 */
export type ContentIdTransform = "NONE" | "STRIP_PARAMS" | "PREPEND_RANDOM" | (string & {});

/** A meter of `access_model.meters`, as `Session.meter(id)` returns it. */
export interface Meter {
  id: string;
  /** The number of credits per period. */
  meterSize: number | undefined;
  /** The credits left in this period. */
  remainingCredits: number | undefined;
  /** When the meter starts a new period. */
  refreshTime: Date | undefined;
  /** The content ids this meter already counted in this period. */
  contentIds: string[];
  contentIdTransform: ContentIdTransform | undefined;
}

/** A credit of `access_model.credits`, as `Session.credit(id)` returns it. */
export interface Credit {
  id: string;
  /** The credits left. */
  remainingCredits: number | undefined;
  /** The content ids this credit already counted. */
  contentIds: string[];
  contentIdTransform: ContentIdTransform | undefined;
}

/** The reasons of a decision that grants access, in the order the rules try them. */
export type GrantedReason = "entitlement" | "consumed" | "meter" | "credit";

/** The reasons of a decision that denies access. */
export type DeniedReason = "exhausted" | "none";

/** Every reason a decision can give. */
export type DecisionReason = GrantedReason | DeniedReason;

/** A decision that grants access. */
export interface GrantedDecision {
  granted: true;
  reason: GrantedReason;
  /** The entitlement checked, when the reader has it delivered. */
  entitlementId?: string;
  /** The meter that counted the content (`consumed`) or has credits left (`meter`). */
  meterId?: string;
  /** The credit that counted the content (`consumed`) or has credits left (`credit`). */
  creditId?: string;
  /** The credits left, for reasons `meter` and `credit`. */
  remainingCredits?: number;
}

/** A decision that denies access. */
export interface DeniedDecision {
  granted: false;
  reason: DeniedReason;
  /** The entitlement checked, for reason `exhausted`. */
  entitlementId?: string;
}

/** The result of `Session.decide`: whether the reader may see the content, and why. */
export type Decision = GrantedDecision | DeniedDecision;

/** One entry of the document's `sessions`: a session of this reader on one device. */
export interface SessionEntry {
  sessionId: string | undefined;
  /** Such as `"anonymous"` or `"authenticated"`. */
  state: string | undefined;
  authenticated: boolean | undefined;
  supplied: boolean | undefined;
  startDate: Date | undefined;
  expiryDate: Date | undefined;
  device: string | undefined;
  browser: string | undefined;
  os: string | undefined;
  city: string | undefined;
  geoState: string | undefined;
  deviceName: string | undefined;
  country: string | undefined;
  userId: string | undefined;
  tenantId: string | undefined;
  subTenantId: string | undefined;
}

/** Options of `Session.fromJson` and `Session.parse`. */
export interface SessionOptions {
  /** The id the document was fetched for; it picks `currentSession()` among several sessions. */
  sessionId?: string | null;
}

/** Options of `Session.decide`. */
export interface DecideOptions {
  /** The entitlement that unlocks the content; without it, the content id itself is checked. */
  entitlementId?: string | null;
}

/** The `code` of a `ZephrSessionError`. */
export type ZephrSessionErrorCode =
  | "invalid_argument"
  | "unauthorized"
  | "not_found"
  | "http_error"
  | "network"
  | "timeout"
  | "aborted"
  | "invalid_response";

/**
 * Every error this module throws or rejects with: an `Error` whose `name`
 * is `"ZephrSessionError"`. There is no class to test with `instanceof`;
 * test `error.name` instead.
 */
export interface ZephrSessionError extends Error {
  name: "ZephrSessionError";
  code: ZephrSessionErrorCode;
  /** The HTTP status of the response, when one arrived. */
  status?: number;
}

/** Request headers, as an object, a `Headers`, a `Map` or `[name, value]` pairs. */
export type HeadersOption = Record<string, string> | Iterable<readonly [string, string]>;

/** Options of `new SessionClient(options)`. Any other key throws `invalid_argument`. */
export interface SessionClientOptions {
  /** The lookup endpoint, absolute (`http:` or `https:`) or relative to the page; absolute in Node. */
  baseUrl: string;
  /** The site segment of the lookup path. */
  site: string;
  /** As for `fetch`. Default `"same-origin"`. */
  credentials?: "omit" | "same-origin" | "include";
  /** Extra request headers. */
  headers?: HeadersOption | null;
  /** The time allowed for each attempt's complete response, in milliseconds. Default 3000. */
  timeoutMs?: number;
  /** Extra attempts after a network error, a timeout, or HTTP 429, 502, 503 or 504. Default 2. */
  retries?: number;
  /** The first backoff ceiling between attempts, in milliseconds. Default 200. */
  retryBaseMs?: number;
  /** The largest delay between attempts, `Retry-After` included, in milliseconds. Default 5000. */
  retryMaxMs?: number;
  /** The storage for fetched documents. Default `"memory"`. */
  cache?: "none" | "memory" | "session" | "local";
  /** The time a fetched document is served without a request, in milliseconds. Default 60000. */
  cacheTtlMs?: number;
  /** With `"stale"`, a failed lookup resolves with the last cached document, marked `isStale`. Default `"throw"`. */
  onError?: "throw" | "stale";
  /** Whether a prerendered page waits until it is shown before any lookup. Default true. */
  deferWhilePrerendering?: boolean;
  /** The largest document body read, in bytes. Default 1048576. */
  maxBytes?: number;
  /** Whether to log lookups, cache hits, retries and decisions with `console.debug`. Default false. */
  debug?: boolean;
}

/** Options of `SessionClient.fetchSession`. */
export interface FetchSessionOptions {
  /** Ends this call's wait, and the request once no other call waits for it. */
  signal?: AbortSignal | null;
  /** Skips the cache. */
  fresh?: boolean;
}

/** Options of `SessionClient.refresh`. */
export interface RefreshOptions {
  signal?: AbortSignal | null;
}

/** Options of `SessionClient.refreshUntil`. */
export interface RefreshUntilOptions {
  /** The largest number of lookups. Default 5. */
  attempts?: number;
  /** The wait between lookups, in milliseconds. Default 1000. */
  intervalMs?: number;
  signal?: AbortSignal | null;
}

/** The result of `SessionClient.refreshUntil`. */
export interface RefreshUntilResult {
  /** The last session fetched. */
  session: Session;
  /** Whether the predicate returned a truthy value for it. */
  satisfied: boolean;
}
"#;
