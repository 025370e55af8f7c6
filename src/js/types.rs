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
/**
 * Fetches reader sessions from a lookup endpoint, with a cache shared by
 * every client of the page, one request per session at a time, retries,
 * stale documents after failures, refreshes and change events.
 */
export class SessionClient {
  /**
   * Creates a client. `baseUrl` (absolute, or relative to the page) and
   * `site` are required; every other option has a default, given in
   * parentheses:
   *
   * - `credentials`: `"omit"`, `"same-origin"` (default) or `"include"`.
   * - `headers`: extra request headers, as a plain object, a `Headers`, a
   *   `Map` or an array of `[name, value]` pairs.
   * - `timeoutMs` (3000): the time allowed for each attempt's complete response.
   * - `retries` (2): extra attempts after a network error, a timeout, or
   *   HTTP 429, 502, 503 or 504, with exponential backoff and full jitter
   *   from `retryBaseMs` (200) up to `retryMaxMs` (5000), which also caps
   *   a `Retry-After` delay.
   * - `cache` (`"memory"`): `"none"`, `"memory"`, `"session"`
   *   (sessionStorage) or `"local"` (localStorage), for `cacheTtlMs` (60000).
   * - `onError` (`"throw"`): with `"stale"`, a failed lookup resolves with
   *   the last cached document, marked `isStale`.
   * - `deferWhilePrerendering` (true): a prerendered page sends no lookup
   *   until it is shown.
   * - `maxBytes` (1048576): the largest document body read; a larger one
   *   fails as `invalid_response` without being buffered whole.
   * - `debug` (false): logs each lookup, cache hit, retry, stale document
   *   and decision with `console.debug`, prefixed `[zephr-session]`.
   *
   * Throws `invalid_argument` naming the option that is missing or wrong.
   */
  constructor(options: SessionClientOptions);
  /**
   * Fetches `GET {baseUrl}/v4/sessions/{site}/{sessionId}` and resolves
   * to a `Session`.
   *
   * Without `sessionId`, the id is the page's `blaize_session` cookie when
   * the page can read it, else `"current"`, which the endpoint resolves
   * from the request's own cookie. A fresh cached document resolves with
   * no request, unless `options.fresh` is true; calls for the same
   * session while a lookup is in flight share it. `options.signal` is an
   * `AbortSignal` that ends this call's wait (and the request, when no
   * other call waits for it).
   *
   * The promise rejects with a `ZephrSessionError` whose `code` is
   * `invalid_argument`, `unauthorized`, `not_found`, `http_error`,
   * `network`, `timeout`, `aborted` or `invalid_response`.
   */
  fetchSession(sessionId?: string | null, options?: FetchSessionOptions): Promise<Session>;
  /**
   * Fetches the session again, skipping the cache, as after a login or
   * a purchase: `fetchSession(sessionId, { fresh: true, signal })`.
   */
  refresh(sessionId?: string | null, options?: RefreshOptions): Promise<Session>;
  /**
   * Fetches the session fresh, again and again, until
   * `predicate(session)` returns a truthy value, as after a checkout
   * until the new entitlement shows. Options: `attempts` (default 5),
   * `intervalMs` (default 1000) between attempts, and `signal`.
   *
   * Resolves to `{ session, satisfied }` with the last session fetched.
   * Rejects with the last error when no attempt fetched a session, and
   * also when the predicate throws or `signal` aborts.
   */
  refreshUntil(
    sessionId: string | undefined | null,
    predicate: (session: Session) => unknown,
    options?: RefreshUntilOptions,
  ): Promise<RefreshUntilResult>;
  /**
   * Calls `callback(sessionId, session, source)` each time a client of the
   * page with the same `credentials` and `headers` fetches a document that
   * differs from the one before for that session, or the first one. The
   * comparison is by content, which includes `v` and `last_updated`, and a
   * cache hit calls nothing. `source` names the fetching client's `baseUrl`
   * and `site`. Returns a function that unsubscribes; `free()` ends the
   * client's subscriptions too.
   *
   * Throws `invalid_argument` when `callback` is not a function.
   */
  subscribe(
    callback: (sessionId: string, session: Session, source: { baseUrl: string; site: string }) => void,
  ): () => void;
  /**
   * Drops the cached document of one session, or with no id every cached
   * document of this base URL and site, from memory and Web Storage (on
   * logout). A lookup of those sessions in flight when it runs caches
   * nothing, and a later call sends a new request.
   *
   * Throws `invalid_argument` when `sessionId` is given and is not a
   * non-empty string.
   */
  clear(sessionId?: string | null): void;
  /** The base URL the client sends lookups to. */
  readonly baseUrl: string;
  /** The site the client looks sessions up in. */
  readonly site: string;
  /**
   * Lets go of the client: later calls on it fail with `invalid_argument`,
   * its subscriptions end, and a `refreshUntil` waiting between lookups
   * rejects. Lookups in flight finish, and the page's cache keeps what they
   * fetch.
   */
  free(): void;
  [Symbol.dispose](): void;
}
"#;
