// The review page's pure rules (web/src/review-model.js): ages, scores, claims, which images
// a decision acts on, batches within the callables' limits, and the keys.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  MAX_CLAIM, MAX_DECISIONS, MAX_NOTE, ageParts, scoreEntries, isOpen, claimHolder,
  decisionTargets, chunks, moveIndex, shortcut, splitClaims, decisionsFor,
} from "../src/review-model.js";

test("an age in whole minutes, hours, then days", () => {
  assert.deepEqual(ageParts(0), { unit: "now", count: 0 });
  assert.deepEqual(ageParts(59), { unit: "now", count: 0 });
  assert.deepEqual(ageParts(60), { unit: "minutes", count: 1 });
  assert.deepEqual(ageParts(3599), { unit: "minutes", count: 59 });
  assert.deepEqual(ageParts(3 * 3600 + 1800), { unit: "hours", count: 3 });
  assert.deepEqual(ageParts(47 * 3600), { unit: "hours", count: 47 });
  assert.deepEqual(ageParts(48 * 3600), { unit: "days", count: 2 });
  assert.deepEqual(ageParts(-5), { unit: "now", count: 0 });
  assert.deepEqual(ageParts("nonsense"), { unit: "now", count: 0 });
});

test("scores: the categories Vision gave in a fixed order, LIKELY and above marked", () => {
  const { entries, localScore } = scoreEntries({ likelihoods: {
    violence: "POSSIBLE", adult: "VERY_LIKELY", racy: "LIKELY", spoof: "strange" } });
  assert.deepEqual(entries.map((e) => [e.category, e.likelihood, e.high]), [
    ["adult", "VERY_LIKELY", true], ["racy", "LIKELY", true],
    ["violence", "POSSIBLE", false], ["spoof", "UNKNOWN", false]]);
  assert.equal(localScore, null);
  assert.equal(scoreEntries({ localScore: 0.93 }).localScore, 0.93);
  assert.equal(scoreEntries({ localScore: 0 }).localScore, 0);
  assert.deepEqual(scoreEntries(null), { entries: [], localScore: null });
});

test("open items, and who holds a claim", () => {
  assert.equal(isOpen({ state: "waiting" }), true);
  assert.equal(isOpen({ state: "deciding" }), true);
  assert.equal(isOpen({ state: "decided" }), false);
  assert.equal(isOpen(undefined), false);
  const now = Date.parse("2026-12-07T10:00:00Z");
  assert.equal(claimHolder({ claimedBy: null }, "mona", now), null);
  assert.equal(claimHolder({ claimedBy: "mona", claimedUntil: "2026-12-07T10:05:00Z" },
    "mona", now), "mine");
  assert.equal(claimHolder({ claimedBy: "mel", claimedUntil: "2026-12-07T10:05:00Z" },
    "mona", now), "other");
  assert.equal(claimHolder({ claimedBy: "mel", claimedUntil: "2026-12-07T09:59:00Z" },
    "mona", now), null);
  assert.equal(claimHolder({ claimedBy: "mel", claimedUntil: null }, "mona", now), "other");
});

test("a decision acts on the selected open images in list order, else the focused one", () => {
  const items = new Map([["a", { state: "waiting" }], ["b", { state: "decided" }],
    ["c", { state: "deciding" }], ["d", { state: "waiting" }]]);
  const order = ["a", "b", "c", "d"];
  assert.deepEqual(decisionTargets(order, new Set(["d", "b", "a"]), "c", items), ["a", "d"]);
  assert.deepEqual(decisionTargets(order, new Set(), "c", items), ["c"]);
  assert.deepEqual(decisionTargets(order, new Set(["b"]), "b", items), []);
  assert.deepEqual(decisionTargets(order, new Set(), null, items), []);
});

test("batches stay within what claim_reviews and decide_reviews take", () => {
  assert.equal(MAX_CLAIM, 50);
  assert.equal(MAX_DECISIONS, 100);
  const keys = Array.from({ length: 120 }, (_, i) => `k${i}`);
  const parts = chunks(keys, MAX_CLAIM);
  assert.deepEqual(parts.map((p) => p.length), [50, 50, 20]);
  assert.deepEqual(parts.flat(), keys);
  assert.deepEqual(chunks([], 5), []);
  assert.throws(() => chunks([1], 0), RangeError);
});

test("the arrow keys move through the grid, and stop at its ends", () => {
  assert.equal(moveIndex("ArrowRight", 0, 5), 1);
  assert.equal(moveIndex("ArrowRight", 4, 5), 4);
  assert.equal(moveIndex("ArrowLeft", 0, 5), 0);
  assert.equal(moveIndex("ArrowDown", 1, 7, 3), 4);
  assert.equal(moveIndex("ArrowDown", 5, 7, 3), 6);
  assert.equal(moveIndex("ArrowUp", 4, 7, 3), 1);
  assert.equal(moveIndex("ArrowUp", 1, 7, 3), 0);
  assert.equal(moveIndex("Home", 3, 7), 0);
  assert.equal(moveIndex("End", 3, 7), 6);
  assert.equal(moveIndex("a", 3, 7), null);
  assert.equal(moveIndex("ArrowDown", 0, 0), null);
});

test("the shortcuts: Space, A, R, V in either case, never with a modifier", () => {
  const press = (key, more = {}) => shortcut({ key, ctrlKey: false, altKey: false,
    metaKey: false, ...more });
  assert.equal(press(" "), "toggle");
  assert.equal(press("a"), "approve");
  assert.equal(press("A"), "approve");
  assert.equal(press("r"), "reject");
  assert.equal(press("v"), "reveal");
  assert.equal(press("a", { ctrlKey: true }), null);
  assert.equal(press("r", { metaKey: true }), null);
  assert.equal(press("x"), null);
  assert.equal(press("Enter"), null);
});

test("claims split into the claimed keys and the refusals to show", () => {
  const { claimed, refused } = splitClaims([
    { key: "a", claimed: true },
    { key: "b", claimed: false, reason: "held", claimedBy: "mel", message: "held" },
    { claimed: true }, null]);
  assert.deepEqual(claimed, ["a"]);
  assert.deepEqual(refused.map((r) => [r.key, r.reason, r.claimedBy]), [["b", "held", "mel"]]);
  assert.deepEqual(splitClaims(undefined), { claimed: [], refused: [] });
});

test("each decision carries the revision listed, and the note when there is one", () => {
  const items = new Map([["a", { revision: 3 }], ["b", { revision: "2" }]]);
  assert.deepEqual(decisionsFor(["a", "b"], "approve", items, "  a cat  "), [
    { key: "a", decision: "approve", revision: 3, note: "a cat" },
    { key: "b", decision: "approve", note: "a cat" }]);
  assert.deepEqual(decisionsFor(["a"], "reject", items, "   "),
    [{ key: "a", decision: "reject", revision: 3 }]);
  assert.equal(decisionsFor(["a"], "reject", items, "x".repeat(900))[0].note.length, MAX_NOTE);
});
