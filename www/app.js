// Demo paywall of The Gazette. It fetches the reader's session document through the
// zephr-session bundle, gets the access decision for the article, and shows the article, the
// paywall or an error. The selection lives in the query string (?reader=SESSION_ID&article=CONTENT_ID), so
// a link reproduces it.

const BUNDLE_URL = "/pkg/zephr_session.js";
// The entitlement an article needs when it names none, which the Gazette
// subscription (and the demo purchase) delivers.
const DEFAULT_ENTITLEMENT_ID = "premium";
const SUBSCRIPTION_ENTITLEMENT_ID = DEFAULT_ENTITLEMENT_ID;
// The meter that the paywall shows when the decision names none.
const DEFAULT_METER_ID = "monthly-free";

const ARTICLES = [
  {
    contentId: "article-2000",
    headline: "Council approves the river tram after a night-long vote",
    paragraphs: [
      "After eleven hours of debate, the city council approved the river tram by 31 votes to 24 shortly before dawn.",
      "The line will link the old docks to the university in eighteen minutes, with the first trams expected in three years.",
      "Opponents argued that the budget leaves no room for the bus routes that the tram replaces.",
    ],
  },
  {
    contentId: "article-1002",
    headline: "The harbour festival returns with a longer programme",
    paragraphs: [
      "The harbour festival is back for its twentieth year, now running over two weekends instead of one.",
      "Organisers expect forty thousand visitors and have added a night market along the east quay.",
    ],
  },
  {
    contentId: "article-3",
    headline: "Inside the bakery that never closes",
    paragraphs: [
      "On Mill Street, the ovens have not gone cold since 1987: three shifts of bakers keep them running day and night.",
      "The owners say the secret is simple: the same sourdough starter, fed every four hours for thirty-seven years.",
    ],
  },
  {
    contentId: "article-77",
    entitlementId: "section-politics",
    headline: "Budget vote: the three amendments that changed the bill",
    paragraphs: [
      "The final budget passed with three late amendments, each won by fewer than five votes.",
      "The largest moves two million from road works to school repairs over the next two years.",
    ],
  },
  {
    // Checked without an entitlement id, so the content id itself is the entitlement.
    contentId: "0123456789ABCD",
    entitlementId: null,
    headline: "From the archive: the night the lights went out",
    paragraphs: [
      "Forty years ago this week, a storm cut power to the whole city for eleven hours.",
      "Readers wrote in with their memories of candles, radios and a very quiet city.",
    ],
  },
  {
    // The sample with content id transforms (tests/fixtures/transforms.json)
    // delivers only section-politics, so this page is metered under it too.
    contentId: "/sport/final-score?utm=x",
    entitlementId: "section-politics",
    headline: "Final score: Gazette City win the cup in extra time",
    paragraphs: [
      "A header in the 112th minute settled a final that had swung twice in the second half.",
      "It is the club's first cup since 1994, and the captain dedicated it to the youth team.",
    ],
  },
];

const readerSelect = document.getElementById("reader");
const articleSelect = document.getElementById("article");
const elements = Object.fromEntries(
  [
    "headline", "content-id", "entitlement-id", "pending", "access-note", "story-body", "paywall", "paywall-text",
    "error", "error-text", "details-note", "session-details", "reason", "granted", "meter",
    "meter-id", "meter-remaining", "meter-size", "meter-refresh", "credit", "credit-id",
    "credit-remaining", "reader-details", "warnings", "stale-note", "subscribe", "purchase-status",
    "outage", "reset-demo",
  ].map((id) => [id, document.getElementById(id)]),
);

const dateFormat = new Intl.DateTimeFormat("en-GB", {
  dateStyle: "long",
  timeStyle: "short",
  timeZone: "UTC",
});

// Number of the latest lookup: an older lookup that settles late must not touch the page.
let latestLookup = 0;
// Aborts the request of the previous lookup when the selection changes.
let lookupController = null;
const clientReady = loadClient();

async function loadClient() {
  const { default: init, SessionClient } = await import(BUNDLE_URL);
  await init();
  // With onError "stale", a failed lookup shows the last known answer, marked as stale.
  return new SessionClient({ baseUrl: "/", site: "www", timeoutMs: 3000, onError: "stale" });
}

// ---- selection and URL ----

function fillArticleOptions() {
  for (const article of ARTICLES) {
    articleSelect.append(new Option(article.headline, article.contentId));
  }
}

// Selects `value` in `select`, adding an option for a value that arrived through a link.
function selectValue(select, value, label) {
  if (value === null || value === "") {
    return;
  }
  if (![...select.options].some((option) => option.value === value)) {
    select.append(new Option(label, value));
  }
  select.value = value;
}

function applyQuery() {
  const query = new URLSearchParams(window.location.search);
  const reader = query.get("reader");
  const article = query.get("article");
  selectValue(readerSelect, reader, `Session from the link (${reader})`);
  selectValue(articleSelect, article, `Content from the link (${article})`);
}

function writeQuery() {
  const query = new URLSearchParams({ reader: readerSelect.value, article: articleSelect.value });
  history.replaceState(null, "", `${window.location.pathname}?${query}`);
}

function selectedArticle() {
  const contentId = articleSelect.value;
  return (
    ARTICLES.find((article) => article.contentId === contentId) ?? {
      contentId,
      headline: "An article from the link",
      paragraphs: [`This is the text of the article with content id ${contentId}.`],
    }
  );
}

// The options of decide() for an article: its entitlement, the default one, or none.
function decideOptions(article) {
  if (article.entitlementId === null) {
    return {};
  }
  return { entitlementId: article.entitlementId ?? DEFAULT_ENTITLEMENT_ID };
}

// ---- lookup ----

// While the simulated outage is on, every lookup skips the cache, so that
// switching readers shows the stale answers instead of cached ones.
let outageOn = false;

async function checkAccess({ fresh = outageOn } = {}) {
  latestLookup += 1;
  const lookup = latestLookup;
  lookupController?.abort();
  const controller = new AbortController();
  lookupController = controller;

  const sessionId = readerSelect.value;
  const article = selectedArticle();
  showPending(article);

  let session;
  try {
    const client = await clientReady;
    session = await client.fetchSession(sessionId, { signal: controller.signal, fresh });
  } catch (error) {
    if (lookup === latestLookup) {
      showError(error);
    }
    return;
  }

  try {
    if (lookup !== latestLookup) {
      return;
    }
    const decision = session.decide(article.contentId, decideOptions(article));
    showDecision(session, article, decision);
    showStale(session);
  } catch (error) {
    showError(error, { lookupFailed: false });
  } finally {
    // Releases the session's wasm memory now instead of waiting for garbage collection.
    session.free?.();
  }
}

// ---- rendering ----

function setState(state) {
  document.body.dataset.state = state;
}

function showPending(article) {
  setState("pending");
  elements["stale-note"].hidden = true;
  elements["purchase-status"].hidden = true;
  elements.subscribe.disabled = false;
  elements.headline.textContent = article.headline;
  elements["content-id"].textContent = article.contentId;
  elements["entitlement-id"].textContent = decideOptions(article).entitlementId ?? "none (the content id itself)";
  elements.pending.hidden = false;
  elements["access-note"].hidden = true;
  elements["story-body"].hidden = true;
  elements.paywall.hidden = true;
  elements.error.hidden = true;
  elements["details-note"].textContent = "Loading the session document…";
  elements["details-note"].hidden = false;
  elements["session-details"].hidden = true;
}

function showDecision(session, article, decision) {
  elements.reason.textContent = decision.reason;
  elements.granted.textContent = decision.granted ? "yes" : "no";

  const meterId = decision.meterId ?? DEFAULT_METER_ID;
  const meter = session.meter(meterId);
  showMeter(meter);
  showCredit(decision.creditId === undefined ? undefined : session.credit(decision.creditId));
  showReader(session);
  showWarnings(session.warnings);

  elements["details-note"].hidden = true;
  elements["session-details"].hidden = false;

  elements.pending.hidden = true;
  if (decision.granted) {
    elements["access-note"].textContent = accessNote(decision, meter) + expiryNote(session);
    elements["access-note"].hidden = false;
    const paragraphs = article.paragraphs.map((text) => element("p", text));
    elements["story-body"].replaceChildren(...paragraphs);
    elements["story-body"].hidden = false;
  } else {
    // The subscription unlocks only the articles that need its entitlement.
    const entitlementId = decideOptions(article).entitlementId;
    const subscriptionHelps = entitlementId === SUBSCRIPTION_ENTITLEMENT_ID;
    elements["paywall-text"].textContent = subscriptionHelps
      ? paywallText(decision, meter)
      : addOnText(session, article, entitlementId);
    elements.subscribe.hidden = !subscriptionHelps;
    elements.paywall.hidden = false;
  }
  setState(decision.granted ? "granted" : "denied");
}

function accessNote(decision, meter) {
  switch (decision.reason) {
    case "entitlement":
      return "Included in your Gazette subscription.";
    case "consumed":
      return "You have already unlocked this article, so reading it again uses no free article.";
    case "meter": {
      const size = meter?.meterSize === undefined ? "" : ` of ${meter.meterSize}`;
      return `Free article: you have ${decision.remainingCredits}${size} free articles left in this period, this one included.`;
    }
    case "credit":
      return `This article uses one of your article credits: ${decision.remainingCredits} left, this one included.`;
    default:
      return "";
  }
}

// decide() does not look at the session's expiry, so the page notes when it has passed.
function expiryNote(session) {
  const current = session.currentSession();
  if (current === undefined || !session.isExpired()) {
    return "";
  }
  return ` This session expired on ${formatDate(current.expiryDate)}: a live site would ask the reader to sign in again.`;
}

function paywallText(decision, meter) {
  if (decision.reason === "exhausted" && meter !== undefined) {
    const size = meter.meterSize === undefined ? "your" : `all ${meter.meterSize}`;
    return (
      `You have read ${size} free articles for this period. ` +
      `Your free articles come back on ${formatDate(meter.refreshTime)}, ` +
      "or subscribe now to read without limits."
    );
  }
  if (decision.reason === "exhausted") {
    return "You have used all the free articles of your plan. Subscribe to read without limits.";
  }
  return "This article is for Gazette subscribers. Subscribe to read it and the whole archive.";
}

// The paywall for an article that the Gazette subscription does not unlock.
function addOnText(session, article, entitlementId) {
  const needs = entitlementId === undefined ? `its own entitlement ${article.contentId}` : `the ${entitlementId} entitlement`;
  const subscription = session.decide(article.contentId, { entitlementId: SUBSCRIPTION_ENTITLEMENT_ID });
  const subscribed = subscription.reason === "entitlement" ? ", which your Gazette subscription does not include" : "";
  return `This article needs ${needs}${subscribed}. It is sold separately.`;
}

function showMeter(meter) {
  elements.meter.hidden = meter === undefined;
  if (meter === undefined) {
    return;
  }
  elements["meter-id"].textContent = meter.id;
  elements["meter-remaining"].textContent = formatCount(meter.remainingCredits);
  elements["meter-size"].textContent = formatCount(meter.meterSize);
  elements["meter-refresh"].textContent = formatDate(meter.refreshTime);
}

function showCredit(credit) {
  elements.credit.hidden = credit === undefined;
  if (credit === undefined) {
    return;
  }
  elements["credit-id"].textContent = credit.id;
  elements["credit-remaining"].textContent = formatCount(credit.remainingCredits);
}

function showReader(session) {
  const current = session.currentSession();
  const rows = [
    ["Authenticated", session.isAuthenticated ? "yes" : "no"],
    ["User id", session.userId || "none (anonymous)"],
    ["User state", session.userState ?? "unknown"],
  ];
  if (current === undefined) {
    rows.push(["Session", "no entry for this session id in the document"]);
  } else {
    rows.push(
      ["Session state", current.state ?? "unknown"],
      ["Device", current.device ?? "unknown"],
      ["Browser", current.browser ?? "unknown"],
      ["Country", current.country ?? "unknown"],
      ["Session expires", formatDate(current.expiryDate)],
      ["Session expired", session.isExpired() ? "yes" : "no"],
    );
  }
  const cells = rows.flatMap(([term, value]) => [element("dt", term), element("dd", value)]);
  elements["reader-details"].replaceChildren(...cells);
}

function showWarnings(warnings) {
  const items = warnings.length === 0 ? [element("li", "None")] : warnings.map((text) => element("li", text));
  elements.warnings.replaceChildren(...items);
}

// A stale session is the last document fetched before the lookup failed.
function showStale(session) {
  elements["stale-note"].hidden = !session.isStale;
  if (session.isStale) {
    const error = session.staleError;
    const where = error.status === undefined ? error.code : `${error.code}, HTTP ${error.status}`;
    elements["stale-note"].textContent =
      `Offline answer: the access check failed (${where}), so this is your last known access.`;
  }
}

// ---- demo purchase, outage and reset ----

// Buys a subscription on the demo server, then polls fresh lookups until the
// new entitlement shows, as a real checkout page would.
async function subscribe() {
  const sessionId = readerSelect.value;
  const article = selectedArticle();
  elements.subscribe.disabled = true;
  showPurchaseStatus("Processing your subscription…");
  try {
    const response = await fetch(`/demo/purchase/${encodeURIComponent(sessionId)}`, { method: "POST" });
    if (!response.ok) {
      throw new Error(`the demo purchase failed with HTTP ${response.status}`);
    }
    showPurchaseStatus("Payment received. Confirming your subscription…");
    const client = await clientReady;
    // The demo purchase delivers the subscription entitlement directly.
    const { session, satisfied } = await client.refreshUntil(
      sessionId,
      (candidate) => candidate.decide(article.contentId, { entitlementId: SUBSCRIPTION_ENTITLEMENT_ID }).reason === "entitlement",
      { attempts: 5, intervalMs: 500 },
    );
    session.free?.();
    if (!satisfied) {
      showPurchaseStatus("Your subscription is not active yet. Reload the page in a minute.");
      elements.subscribe.disabled = false;
      return;
    }
    await checkAccess();
  } catch (error) {
    showPurchaseStatus(`The purchase failed: ${error.message}`);
    elements.subscribe.disabled = false;
  }
}

function showPurchaseStatus(text) {
  elements["purchase-status"].textContent = text;
  elements["purchase-status"].hidden = false;
}

async function setOutage(on) {
  outageOn = on;
  await fetch(`/demo/outage?on=${on}`, { method: "POST" });
  await checkAccess({ fresh: true });
}

async function resetDemo() {
  await fetch("/demo/reset", { method: "POST" });
  elements.outage.checked = false;
  outageOn = false;
  await fetch("/demo/outage?on=false", { method: "POST" });
  (await clientReady).clear();
  await checkAccess({ fresh: true });
}

function showError(error, { lookupFailed = true } = {}) {
  elements["error-text"].textContent = errorText(error, lookupFailed);
  elements["details-note"].textContent = lookupFailed
    ? "No session document: the lookup failed."
    : "The session document loaded, but the decision failed.";
  elements["details-note"].hidden = false;
  elements["session-details"].hidden = true;
  elements.pending.hidden = true;
  elements["story-body"].hidden = true;
  elements.paywall.hidden = true;
  elements.error.hidden = false;
  setState("error");
}

function errorText(error, lookupFailed) {
  if (error?.name !== "ZephrSessionError") {
    return `The paywall module failed to load or run: ${error}. Build the bundle into pkg/ with scripts/build.sh and reload.`;
  }
  const where = error.status === undefined ? error.code : `${error.code}, HTTP ${error.status}`;
  if (error.code === "not_found") {
    return `This reading session was not found (${where}). Pick another reader, or sign in again to start a new session.`;
  }
  if (!lookupFailed) {
    return `The paywall could not decide for this article (${where}): ${error.message}`;
  }
  return `The access check failed (${where}): ${error.message}`;
}

function formatDate(date) {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    return "unknown";
  }
  return `${dateFormat.format(date)} UTC`;
}

function formatCount(count) {
  return count === undefined ? "unknown" : String(count);
}

function element(tag, text) {
  const node = document.createElement(tag);
  node.textContent = text;
  return node;
}

// ---- start ----

fillArticleOptions();
applyQuery();
writeQuery();
readerSelect.addEventListener("change", () => {
  writeQuery();
  checkAccess();
});
articleSelect.addEventListener("change", () => {
  writeQuery();
  checkAccess();
});
elements.subscribe.addEventListener("click", subscribe);
elements.outage.addEventListener("change", () => setOutage(elements.outage.checked));
elements["reset-demo"].addEventListener("click", resetDemo);
// The outage box starts unchecked, so an outage left on by an earlier visit is switched off.
fetch("/demo/outage?on=false", { method: "POST" })
  .catch(() => {})
  .finally(() => checkAccess());
