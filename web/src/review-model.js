// The review page's rules, pure (no DOM, no Firebase; web/test/review-model.test.mjs checks
// them): how long an image has waited, the machine's scores worth showing, which images a
// decision acts on, where the arrow keys move, and the callables' batch sizes.

// The callables' limits (functions/moderation/review.py): keys a claim_reviews takes, and
// decisions a decide_reviews takes.
export const MAX_CLAIM = 50;
export const MAX_DECISIONS = 100;
export const MAX_NOTE = 500;

export const CAUSES = ["needs_review", "quarantined", "flagged"];
export const STATES = ["waiting", "decided"];
// SafeSearch's categories, in the order shown, and its likelihoods from least to most.
export const CATEGORIES = ["adult", "racy", "violence", "medical", "spoof"];
export const LIKELIHOODS = ["UNKNOWN", "VERY_UNLIKELY", "UNLIKELY", "POSSIBLE", "LIKELY",
  "VERY_LIKELY"];
// A likelihood at or above this is drawn as a warning.
const HIGH = LIKELIHOODS.indexOf("LIKELY");

// How long an image has waited, for "3 h": {unit: "now" | "minutes" | "hours" | "days",
// count}. Whole units, rounded down; days from 48 hours on.
export function ageParts(seconds) {
  const s = Number.isFinite(Number(seconds)) ? Math.max(0, Number(seconds)) : 0;
  if (s < 60) return { unit: "now", count: 0 };
  if (s < 3600) return { unit: "minutes", count: Math.floor(s / 60) };
  if (s < 48 * 3600) return { unit: "hours", count: Math.floor(s / 3600) };
  return { unit: "days", count: Math.floor(s / 86400) };
}

// The machine's scores of an item, in a fixed order: [{category, likelihood, high}] for
// Vision's likelihoods it gave, and the local model's score (0..1) or null.
export function scoreEntries(scores) {
  const likelihoods = scores && typeof scores.likelihoods === "object" && scores.likelihoods
    ? scores.likelihoods : {};
  const entries = CATEGORIES.filter((category) => typeof likelihoods[category] === "string")
    .map((category) => {
      const likelihood = LIKELIHOODS.includes(likelihoods[category])
        ? likelihoods[category] : "UNKNOWN";
      return { category, likelihood, high: LIKELIHOODS.indexOf(likelihood) >= HIGH };
    });
  const local = Number(scores?.localScore);
  return { entries, localScore: scores?.localScore !== undefined && scores?.localScore !== null
    && Number.isFinite(local) ? local : null };
}

// May a person still decide this item (as listed, or as this page last saw it)?
export function isOpen(item) {
  return Boolean(item) && (item.state === "waiting" || item.state === "deciding");
}

// Who holds the item's claim, as the page shows it: "mine", "other" or null (nobody, or a
// claim that ran out).
export function claimHolder(item, me, now = Date.now()) {
  if (!item?.claimedBy) return null;
  if (item.claimedUntil) {
    const until = Date.parse(item.claimedUntil);
    if (Number.isFinite(until) && until <= now) return null;
  }
  return item.claimedBy === me ? "mine" : "other";
}

// The keys a decision acts on: the selected open items in list order, else the focused one
// if it is open. `items`: Map key -> item.
export function decisionTargets(order, selected, focused, items) {
  const chosen = order.filter((key) => selected.has(key) && isOpen(items.get(key)));
  if (chosen.length) return chosen;
  return focused && isOpen(items.get(focused)) ? [focused] : [];
}

// Split a list into lists of at most `size`.
export function chunks(list, size) {
  if (!(size > 0)) throw new RangeError("size must be positive");
  const out = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

// Where a key moves the focus in a grid of `count` cards drawn `columns` to a row, from
// `index`; null for a key that does not move it.
export function moveIndex(key, index, count, columns = 1) {
  if (count <= 0) return null;
  const across = Math.max(1, columns);
  const clamp = (i) => Math.min(count - 1, Math.max(0, i));
  switch (key) {
    case "ArrowRight": return clamp(index + 1);
    case "ArrowLeft": return clamp(index - 1);
    case "ArrowDown": return clamp(index + across);
    case "ArrowUp": return clamp(index - across);
    case "Home": return 0;
    case "End": return count - 1;
    default: return null;
  }
}

// The shortcut a key press on a card means: "approve", "reject", "reveal", "toggle", or
// null. Letters in either case; never with Ctrl, Alt or Meta (the browser's own).
export function shortcut(event) {
  if (event.ctrlKey || event.altKey || event.metaKey) return null;
  if (event.key === " " || event.key === "Spacebar") return "toggle";
  const letter = typeof event.key === "string" && event.key.length === 1
    ? event.key.toLowerCase() : "";
  return { a: "approve", r: "reject", v: "reveal" }[letter] ?? null;
}

// claim_reviews' results split: the keys claimed, and the refusals {key, reason, message,
// claimedBy} to show in place.
export function splitClaims(results) {
  const claimed = [];
  const refused = [];
  for (const result of Array.isArray(results) ? results : []) {
    if (!result || typeof result.key !== "string") continue;
    if (result.claimed === true) claimed.push(result.key);
    else refused.push(result);
  }
  return { claimed, refused };
}

// decide_reviews' decisions for these keys: each with the revision the page listed, and
// the note when there is one.
export function decisionsFor(keys, decision, items, note) {
  const text = typeof note === "string" ? note.trim() : "";
  return keys.map((key) => {
    const entry = { key, decision };
    const revision = items.get(key)?.revision;
    if (Number.isInteger(revision) && revision >= 1) entry.revision = revision;
    if (text) entry.note = text.slice(0, MAX_NOTE);
    return entry;
  });
}
