// Decides whether the reader may see the article and shows it or the
// paywall. The reader's session id comes from ?reader=SESSION_ID (the demo
// server's sample readers); without it, the client reads the page's
// blaize_session cookie or asks for the "current" session.
//
// No init() call: the bundler build instantiates the WebAssembly module
// when it is imported.
import { SessionClient } from "zephr-session";

const CONTENT_ID = "article-2000";
const ENTITLEMENT_ID = "premium";

const status = document.getElementById("status");
const article = document.getElementById("article");
const paywall = document.getElementById("paywall");

function describe(decision) {
  if (decision.granted && decision.reason === "meter") {
    return `Free article: ${decision.remainingCredits} left on meter ${decision.meterId}.`;
  }
  return decision.granted ? `Access granted (${decision.reason}).` : `Access denied (${decision.reason}).`;
}

async function show() {
  const reader = new URLSearchParams(location.search).get("reader") ?? undefined;
  const client = new SessionClient({ baseUrl: location.origin, site: "www" });
  try {
    const session = await client.fetchSession(reader);
    const decision = session.decide(CONTENT_ID, { entitlementId: ENTITLEMENT_ID });
    status.dataset.state = decision.granted ? "granted" : "denied";
    status.dataset.reason = decision.reason;
    status.textContent = describe(decision);
    article.hidden = !decision.granted;
    paywall.hidden = decision.granted;
  } catch (error) {
    status.dataset.state = "error";
    status.dataset.code = error.code ?? "";
    status.textContent = `The access check failed (${error.code ?? error.name}).`;
    paywall.hidden = false;
  }
}

show();
