// A TypeScript consumer of the packed npm package, checked by
// `tsc --strict --noEmit -p tests/types` in scripts/test.sh. It calls every
// export with the types a publisher would write, checks that results have
// exactly the declared types, and marks with @ts-expect-error the mistakes
// that the declarations must reject. Nothing here runs.
import init, { initSync } from "zephr-session/web";
import type { InitInput, InitOutput, SyncInitInput } from "zephr-session/web";
import { Session, SessionClient } from "zephr-session";
import type {
  ContentIdTransform,
  Credit,
  DecideOptions,
  Decision,
  DecisionReason,
  DeniedDecision,
  DeniedReason,
  FetchSessionOptions,
  GrantedDecision,
  GrantedReason,
  HeadersOption,
  JsonValue,
  Meter,
  RefreshOptions,
  RefreshUntilOptions,
  RefreshUntilResult,
  SessionClientOptions,
  SessionDocument,
  SessionEntry,
  SessionOptions,
  ZephrSessionError,
  ZephrSessionErrorCode,
} from "zephr-session";

// Compiles only when A and B are the same type, not merely assignable.
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<A, B>(proof: Equals<A, B>): void {
  void proof;
}

async function startWebBuild(wasmUrl: URL, bytes: Uint8Array): Promise<void> {
  const output: InitOutput = await init({ module_or_path: wasmUrl });
  void output.memory;
  const input: InitInput = wasmUrl;
  await init(input);
  const syncInput: SyncInitInput = bytes;
  initSync({ module: syncInput });
}

function readSession(document: SessionDocument, text: string): Session {
  const options: SessionOptions = { sessionId: "26a73b7a-f7d0-48d8-85dd-a04b07313895" };
  const parsed = Session.parse(text, options);
  const fromValue = Session.fromJson(document);
  expectType<ReturnType<typeof Session.fromJson>, Session>(true);
  void parsed;
  return fromValue;
}

function askSession(session: Session): void {
  expectType<ReturnType<Session["remainingCredits"]>, number | undefined>(true);
  expectType<ReturnType<Session["meter"]>, Meter | undefined>(true);
  expectType<ReturnType<Session["credit"]>, Credit | undefined>(true);
  expectType<ReturnType<Session["meterIds"]>, string[]>(true);
  expectType<ReturnType<Session["creditIds"]>, string[]>(true);
  expectType<ReturnType<Session["decide"]>, Decision>(true);
  expectType<ReturnType<Session["isEntitled"]>, boolean>(true);
  expectType<ReturnType<Session["hasEntitlement"]>, boolean>(true);
  expectType<ReturnType<Session["entitlementIds"]>, string[]>(true);
  expectType<ReturnType<Session["hasBundle"]>, boolean>(true);
  expectType<ReturnType<Session["testGroup"]>, string | undefined>(true);
  expectType<ReturnType<Session["secondPartyData"]>, string | undefined>(true);
  expectType<ReturnType<Session["sessionVariable"]>, JsonValue | undefined>(true);
  expectType<ReturnType<Session["sessions"]>, SessionEntry[]>(true);
  expectType<ReturnType<Session["currentSession"]>, SessionEntry | undefined>(true);
  expectType<ReturnType<Session["isExpired"]>, boolean>(true);
  expectType<ReturnType<Session["toJSON"]>, SessionDocument>(true);
  expectType<Session["isAuthenticated"], boolean>(true);
  expectType<Session["userId"], string | undefined>(true);
  expectType<Session["userState"], string | undefined>(true);
  expectType<Session["version"], number | undefined>(true);
  expectType<Session["lastUpdated"], Date | undefined>(true);
  expectType<Session["tenantId"], string | undefined>(true);
  expectType<Session["subTenantId"], string | undefined>(true);
  expectType<Session["warnings"], string[]>(true);
  expectType<Session["isStale"], boolean>(true);
  expectType<Session["staleError"], ZephrSessionError | undefined>(true);

  const left: number | undefined = session.remainingCredits("monthly-free");
  const meter = session.meter("monthly-free");
  if (meter) {
    const size: number | undefined = meter.meterSize;
    const refresh: Date | undefined = meter.refreshTime;
    const transform: ContentIdTransform | undefined = meter.contentIdTransform;
    const counted: string[] = meter.contentIds;
    void [size, refresh, transform, counted];
  }
  const credit = session.credit("url-pack");
  const creditLeft: number | undefined = credit?.remainingCredits;
  void [left, creditLeft, session.meterIds(), session.creditIds()];

  const options: DecideOptions = { entitlementId: "premium" };
  const decision = session.decide("article-2000", options);
  if (decision.granted) {
    const reason: GrantedReason = decision.reason;
    const meterId: string | undefined = decision.meterId;
    void [reason, meterId, decision.creditId, decision.remainingCredits];
  } else {
    const reason: DeniedReason = decision.reason;
    void reason;
  }
  const anyReason: DecisionReason = decision.reason;
  const granted: GrantedDecision | DeniedDecision = decision;
  void [anyReason, granted, session.isEntitled("article-2000"), session.decide("article-1")];

  void [session.hasEntitlement("premium"), session.entitlementIds(), session.hasBundle("bundle-1")];
  void [session.isAuthenticated, session.userId, session.userState, session.version, session.lastUpdated];
  void [session.tenantId, session.subTenantId, session.warnings, session.isStale];
  void [session.testGroup("paywall-copy"), session.secondPartyData("segment"), session.sessionVariable("landing")];

  const entries: SessionEntry[] = session.sessions();
  const current = session.currentSession();
  const expiry: Date | undefined = current?.expiryDate;
  void [entries, expiry, session.isExpired(), session.isExpired(new Date()), session.isExpired(Date.now())];

  const document: SessionDocument = session.toJSON();
  const text: string = JSON.stringify(session);
  void [document, text];

  const stale = session.staleError;
  if (stale) {
    const code: ZephrSessionErrorCode = stale.code;
    const status: number | undefined = stale.status;
    void [code, status, stale.message];
  }
  session.free();
}

async function useClient(signal: AbortSignal): Promise<void> {
  const headers: HeadersOption = { "X-Requested-With": "paywall" };
  const options: SessionClientOptions = {
    baseUrl: "/zephr",
    site: "www",
    credentials: "same-origin",
    headers,
    timeoutMs: 3000,
    retries: 2,
    retryBaseMs: 200,
    retryMaxMs: 5000,
    cache: "session",
    cacheTtlMs: 60_000,
    onError: "stale",
    deferWhilePrerendering: true,
    maxBytes: 1_048_576,
    debug: true,
  };
  const client = new SessionClient(options);
  new SessionClient({ baseUrl: "/zephr", site: "www", headers: new Map([["X-A", "1"]]) });
  new SessionClient({ baseUrl: "/zephr", site: "www", headers: [["X-A", "1"]] });
  const baseUrl: string = client.baseUrl;
  const site: string = client.site;
  void [baseUrl, site];

  const fetchOptions: FetchSessionOptions = { signal, fresh: true };
  const session: Session = await client.fetchSession("26a73b7a-f7d0-48d8-85dd-a04b07313895", fetchOptions);
  const fromCookie: Session = await client.fetchSession();
  const refreshOptions: RefreshOptions = { signal };
  const refreshed: Session = await client.refresh(undefined, refreshOptions);
  void [session, fromCookie, refreshed];

  const untilOptions: RefreshUntilOptions = { attempts: 5, intervalMs: 1000, signal };
  const result: RefreshUntilResult = await client.refreshUntil(
    undefined,
    (candidate) => candidate.hasEntitlement("premium"),
    untilOptions,
  );
  expectType<typeof result, { session: Session; satisfied: boolean }>(true);

  const unsubscribe: () => void = client.subscribe((sessionId: string, changed: Session) => {
    void [sessionId, changed.version];
  });
  unsubscribe();
  client.clear("26a73b7a-f7d0-48d8-85dd-a04b07313895");
  client.clear();

  try {
    await client.fetchSession("x");
  } catch (caught) {
    const error = caught as ZephrSessionError;
    if (error.name === "ZephrSessionError" && error.code === "not_found") {
      const status: number | undefined = error.status;
      void status;
    }
  }
  client.free();
}

function mistakes(session: Session, decision: Decision, error: ZephrSessionError): void {
  // @ts-expect-error "metered" is not a reason.
  const reason: DecisionReason = "metered";
  // @ts-expect-error "granted" never equals a reason.
  void (decision.reason === "granted");
  // @ts-expect-error the error codes have no "timed_out".
  void (error.code === "timed_out");
  // @ts-expect-error timeoutMS is a misspelling of timeoutMs.
  new SessionClient({ baseUrl: "/zephr", site: "www", timeoutMS: 3000 });
  // @ts-expect-error site is required.
  new SessionClient({ baseUrl: "/zephr" });
  // @ts-expect-error cache takes "none", "memory", "session" or "local".
  new SessionClient({ baseUrl: "/zephr", site: "www", cache: "disk" });
  // @ts-expect-error fromJson takes the parsed object, not its text.
  Session.fromJson("{}");
  // @ts-expect-error the meter may be absent.
  void session.meter("monthly-free").remainingCredits;
  // @ts-expect-error the version may be absent.
  const version: number = session.version;
  // @ts-expect-error a denied decision names no meter.
  void (decision.granted === false && decision.meterId);
  // @ts-expect-error getters are read-only.
  session.isStale = true;
  void [reason, version];
}

void [startWebBuild, readSession, askSession, useClient, mistakes];
