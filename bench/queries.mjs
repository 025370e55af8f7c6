// Picks the calls that the benchmark times on a document, so that the module
// and the baseline get the same calls in the same order.
import { seededRandom } from "./generate.mjs";

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function strings(value) {
  return Array.isArray(value) ? value.filter((item) => typeof item === "string") : [];
}

/**
 * Returns the ids a document names, read as loosely as the module reads
 * them: `meterIds`, `creditIds`, `entitlements` (id with its listed meter
 * and credit ids), and `recorded` (each recorded content id with the id of
 * the meter or credit that recorded it).
 */
export function documentIds(document) {
  const access = isObject(document?.access_model) ? document.access_model : {};
  const meters = isObject(access.meters) ? access.meters : {};
  const credits = isObject(access.credits) ? access.credits : {};
  const recorded = [];
  for (const sources of [meters, credits]) {
    for (const [sourceId, fields] of Object.entries(sources)) {
      for (const contentId of strings(isObject(fields) ? fields.contentIds : undefined)) {
        recorded.push({ contentId, sourceId });
      }
    }
  }
  const entitlements = [];
  for (const fields of Array.isArray(access.delivered_entitlements) ? access.delivered_entitlements : []) {
    if (isObject(fields) && typeof fields.id === "string") {
      entitlements.push({ id: fields.id, sourceIds: [...strings(fields.meteredBy), ...strings(fields.creditedBy)] });
    }
  }
  return { meterIds: Object.keys(meters), creditIds: Object.keys(credits), entitlements, recorded };
}

/**
 * Returns the calls to time on a document, `count` of each kind, drawn with
 * a fixed seed. `decide` mixes five cases in equal shares: a recorded content
 * id checked against an entitlement that lists its meter or credit, a
 * recorded id alone, an unread id with an entitlement, an entitlement id
 * alone, and an unread id alone. The last case is the slowest for an
 * implementation that searches every meter. `isEntitled` takes recorded,
 * entitlement and unread ids; `remainingCredits` takes meter ids, one in
 * five of them unknown.
 */
export function timingCalls(document, { seed = 7, count = 200 } = {}) {
  const random = seededRandom(seed);
  const pick = (items) => items[Math.floor(random() * items.length)];
  const { meterIds, entitlements, recorded } = documentIds(document);
  const listers = new Map();
  for (const entitlement of entitlements) {
    for (const sourceId of entitlement.sourceIds) {
      if (!listers.has(sourceId)) {
        listers.set(sourceId, []);
      }
      listers.get(sourceId).push(entitlement.id);
    }
  }
  const entitlementIds = entitlements.map((entitlement) => entitlement.id);
  let unread = 0;
  const unreadId = () => `/news/unread-article-${unread++}`;
  const someEntitlement = () => (entitlementIds.length > 0 ? pick(entitlementIds) : "premium");

  const decide = [];
  for (let index = 0; index < count; index++) {
    const kind = index % 5;
    if (kind === 0 && recorded.length > 0) {
      const { contentId, sourceId } = pick(recorded);
      const entitlementId = listers.has(sourceId) ? pick(listers.get(sourceId)) : someEntitlement();
      decide.push({ contentId, options: { entitlementId } });
    } else if (kind === 1 && recorded.length > 0) {
      decide.push({ contentId: pick(recorded).contentId });
    } else if (kind === 2) {
      decide.push({ contentId: unreadId(), options: { entitlementId: someEntitlement() } });
    } else if (kind === 3 && entitlementIds.length > 0) {
      decide.push({ contentId: pick(entitlementIds) });
    } else {
      decide.push({ contentId: unreadId() });
    }
  }

  const isEntitled = [];
  for (let index = 0; index < count; index++) {
    const kind = index % 3;
    if (kind === 0 && recorded.length > 0) {
      isEntitled.push(pick(recorded).contentId);
    } else if (kind === 1 && entitlementIds.length > 0) {
      isEntitled.push(pick(entitlementIds));
    } else {
      isEntitled.push(unreadId());
    }
  }

  const remainingCredits = [];
  for (let index = 0; index < count; index++) {
    remainingCredits.push(index % 5 === 4 || meterIds.length === 0 ? `unknown-meter-${index}` : pick(meterIds));
  }
  return { decide, isEntitled, remainingCredits };
}
