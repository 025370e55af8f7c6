// Generates the session documents the benchmark runs on. The same seed and
// counts always give the same document, byte for byte.
//
// Usage: node bench/generate.mjs [OUT_DIR]    (default: target/bench/documents)
// Writes each document as OUT_DIR/NAME.json and prints its size.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Returns a pseudo-random generator of numbers in [0, 1): mulberry32, seeded with a 32-bit integer. */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

function pick(random, items) {
  return items[Math.floor(random() * items.length)];
}

function shuffle(random, items) {
  for (let index = items.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [items[index], items[other]] = [items[other], items[index]];
  }
  return items;
}

function hex(random, length) {
  let text = "";
  for (let index = 0; index < length; index++) {
    text += Math.floor(random() * 16).toString(16);
  }
  return text;
}

/**
 * Returns a recorded content id in the form its transform records:
 * an article path for NONE, a URL (sometimes with parameters) for
 * STRIP_PARAMS, and a randomly prefixed id for PREPEND_RANDOM.
 */
function recordedContentId(random, transform, article) {
  const section = pick(random, ["news", "sport", "politics", "culture", "business", "science"]);
  switch (transform) {
    case "STRIP_PARAMS": {
      const url = `https://news.example/${section}/story-${article}`;
      return random() < 0.3 ? `${url}?utm_source=newsletter` : url;
    }
    case "PREPEND_RANDOM":
      return `${hex(random, 6)}-article-${article}`;
    default:
      return `/${section}/article-${article}`;
  }
}

function transformFor(random) {
  const draw = random();
  if (draw < 0.7) {
    return "NONE";
  }
  return draw < 0.9 ? "STRIP_PARAMS" : "PREPEND_RANDOM";
}

/**
 * Generates a session document with the given numbers of meters, credits,
 * recorded content ids (spread over the meters and credits) and delivered
 * entitlements.
 *
 * About 70% of meters and credits compare content ids exactly, 20% with
 * STRIP_PARAMS and 10% with PREPEND_RANDOM. About 5% of recorded ids repeat
 * an id recorded before, so some content is counted by several sources. Each
 * entitlement is direct one time in ten, and otherwise lists one to three
 * meters and up to two credits. One listed source in fifty is not in the
 * document, so decisions skip it.
 */
export function generateDocument({ seed, meters, credits, contentIds, entitlements }) {
  const random = seededRandom(seed);
  const meterIds = shuffle(random, Array.from({ length: meters }, (_, index) => `meter-${index}`));
  const creditIds = shuffle(random, Array.from({ length: credits }, (_, index) => `credit-${index}`));
  const sources = meters + credits;
  const recorded = [];
  let article = 1000;

  // Spreads the content ids evenly, the remainder going to the first sources.
  const contentIdsOf = (sourceIndex, transform) => {
    const count = Math.floor(contentIds / sources) + (sourceIndex < contentIds % sources ? 1 : 0);
    const ids = [];
    for (let index = 0; index < count; index++) {
      if (recorded.length > 0 && random() < 0.05) {
        ids.push(pick(random, recorded));
      } else {
        const id = recordedContentId(random, transform, article++);
        recorded.push(id);
        ids.push(id);
      }
    }
    return ids;
  };

  const meterMap = {};
  meterIds.forEach((id, index) => {
    const transform = transformFor(random);
    const meterSize = 5 + Math.floor(random() * 20);
    meterMap[id] = {
      refreshTime: "2027-01-01 00:00:00",
      meterSize,
      remainingCredits: random() < 0.3 ? 0 : Math.floor(random() * (meterSize + 1)),
      contentIds: contentIdsOf(index, transform),
      contentIdTransform: transform,
    };
  });
  const creditMap = {};
  creditIds.forEach((id, index) => {
    const transform = transformFor(random);
    creditMap[id] = {
      remainingCredits: random() < 0.3 ? 0 : Math.floor(random() * 10),
      contentIds: contentIdsOf(meters + index, transform),
      contentIdTransform: transform,
    };
  });

  const sourceIds = (ids, maxCount, missingPrefix) => {
    const count = ids.length === 0 ? 0 : Math.floor(random() * (maxCount + 1));
    const listed = [];
    for (let index = 0; index < count; index++) {
      listed.push(random() < 0.02 ? `${missingPrefix}-${index}` : pick(random, ids));
    }
    return listed;
  };
  const delivered = [];
  for (let index = 0; index < entitlements; index++) {
    const direct = random() < 0.1;
    delivered.push({
      id: `entitlement-${index}`,
      direct,
      meteredBy: direct ? [] : sourceIds(meterIds, 3, "meter-missing"),
      creditedBy: direct ? [] : sourceIds(creditIds, 2, "credit-missing"),
    });
  }
  // Every non-direct entitlement lists at least one meter when there is one.
  for (const entitlement of delivered) {
    if (!entitlement.direct && entitlement.meteredBy.length === 0 && meterIds.length > 0) {
      entitlement.meteredBy.push(pick(random, meterIds));
    }
  }

  const sessionId = `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-8${hex(random, 3)}-${hex(random, 12)}`;
  return {
    tenantId: "gazette",
    subTenantId: "gazette|www",
    authenticated: false,
    v: 3,
    session_variables: { landing: "home" },
    user_id: "",
    sessions: [
      {
        tenantId: "gazette",
        subTenantId: "gazette|www",
        supplied: false,
        expiryDate: "2026-12-31 23:00 PM UTC",
        startDate: "2026-12-01 09:15 AM UTC",
        authenticated: false,
        state: "anonymous",
        device: "mobile",
        browser: "Firefox",
        os: "Android",
        country: "DE",
        session_id: sessionId,
      },
    ],
    access_model: {
      meters: meterMap,
      credits: creditMap,
      delivered_entitlements: delivered,
      granted_bundles: ["digital-basic"],
      jwt_bundles: [],
      user_state: "anonymous",
    },
    last_updated: 1796547600000,
    test_groups: { "paywall-copy": "B" },
    second_party_data: {},
  };
}

/**
 * The documents the benchmark times, in groups:
 * - `size`: parse cost at about 1 KB, 10 KB, 100 KB and 1 MB, the counts
 *   growing together;
 * - `large`: 1,000 meters, 10,000 content ids in total and 1,000 delivered
 *   entitlements, for the helper cost on a large document;
 * - `content-ids`: 10 meters and 2 credits holding 100 to 100,000 content ids,
 *   where decisions should not slow down as the ids grow;
 * - `meters`: 10 to 10,000 meters with 10 content ids each and as many
 *   entitlements as meters.
 * `large` and `meters-1000` have the same counts but different seeds, so the
 * gap between their figures shows how much the drawn ids and the machine's
 * noise move a figure.
 */
export const DOCUMENT_SPECS = [
  { name: "size-1kb", group: "size", label: "about 1 KB", meters: 1, credits: 1, contentIds: 3, entitlements: 1 },
  { name: "size-10kb", group: "size", label: "about 10 KB", meters: 8, credits: 2, contentIds: 280, entitlements: 8 },
  { name: "size-100kb", group: "size", label: "about 100 KB", meters: 80, credits: 12, contentIds: 2900, entitlements: 80 },
  { name: "size-1mb", group: "size", label: "about 1 MB", meters: 540, credits: 54, contentIds: 31000, entitlements: 540 },
  { name: "large", group: "large", label: "1,000 meters, 10,000 content ids, 1,000 entitlements", meters: 1000, credits: 100, contentIds: 10000, entitlements: 1000 },
  { name: "content-ids-100", group: "content-ids", label: "100 content ids", meters: 10, credits: 2, contentIds: 100, entitlements: 10 },
  { name: "content-ids-1000", group: "content-ids", label: "1,000 content ids", meters: 10, credits: 2, contentIds: 1000, entitlements: 10 },
  { name: "content-ids-10000", group: "content-ids", label: "10,000 content ids", meters: 10, credits: 2, contentIds: 10000, entitlements: 10 },
  { name: "content-ids-100000", group: "content-ids", label: "100,000 content ids", meters: 10, credits: 2, contentIds: 100000, entitlements: 10 },
  { name: "meters-10", group: "meters", label: "10 meters", meters: 10, credits: 1, contentIds: 100, entitlements: 10 },
  { name: "meters-100", group: "meters", label: "100 meters", meters: 100, credits: 10, contentIds: 1000, entitlements: 100 },
  { name: "meters-1000", group: "meters", label: "1,000 meters", meters: 1000, credits: 100, contentIds: 10000, entitlements: 1000 },
  { name: "meters-10000", group: "meters", label: "10,000 meters", meters: 10000, credits: 1000, contentIds: 100000, entitlements: 10000 },
];

/** Generates every document of DOCUMENT_SPECS as `{ ...spec, document, text }`, seeded by its position. */
export function benchmarkDocuments(specs = DOCUMENT_SPECS) {
  return specs.map((spec, index) => {
    const document = generateDocument({ seed: 1000 + index, ...spec });
    return { ...spec, document, text: JSON.stringify(document) };
  });
}

/** Writes every benchmark document into `outDir` and returns their paths and sizes. */
export function writeDocuments(outDir, documents = benchmarkDocuments()) {
  mkdirSync(outDir, { recursive: true });
  return documents.map(({ name, text }) => {
    const file = path.join(outDir, `${name}.json`);
    writeFileSync(file, text);
    return { file, bytes: Buffer.byteLength(text) };
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const outDir = path.resolve(process.argv[2] ?? path.join(root, "target/bench/documents"));
  for (const { file, bytes } of writeDocuments(outDir)) {
    console.log(`generate: ${file} ${bytes} bytes`);
  }
}
