// The package as Node's module resolution finds it (`module: NodeNext`, checked by
// tsconfig.node.json): the "node" export condition gives the Node build's
// declarations, which have no initSync() because that build loads its
// WebAssembly module when it is first required.
import { Session, SessionClient } from "zephr-session";
import type { Decision } from "zephr-session";
// @ts-expect-error the Node build exports no initSync.
import { initSync } from "zephr-session";

export function decideOnServer(document: object, contentId: string): Decision {
  const session = Session.fromJson(document, { sessionId: "26a73b7a-f7d0-48d8-85dd-a04b07313895" });
  return session.decide(contentId, { entitlementId: "premium" });
}

export function serverClient(lookupUrl: string): SessionClient {
  void initSync;
  return new SessionClient({ baseUrl: lookupUrl, site: "www", cache: "memory" });
}
