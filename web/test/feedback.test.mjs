// Scan feedback: which signal a batch's answers give, and that switching it off is kept
// (web/src/feedback.js). The tones themselves are played in Chromium (tests/browser).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Feedback, SIGNALS, signalFor } from "../src/feedback.js";

class MemoryStorage {
  constructor() { this.map = new Map(); }
  getItem(k) { return this.map.has(k) ? this.map.get(k) : null; }
  setItem(k, v) { this.map.set(k, String(v)); }
}

// Records what would be played, shaped as the Web Audio calls the module makes.
function recordingAudio(played) {
  return () => ({
    currentTime: 0,
    destination: {},
    createGain: () => ({ gain: {}, connect: (next) => next }),
    createOscillator() {
      const tone = { frequency: {}, connect: (gain) => gain,
                     start: (at) => played.push(["start", tone.frequency.value, at]),
                     stop: (at) => played.push(["stop", tone.frequency.value, at]) };
      return tone;
    },
  });
}

test("the signal a person most needs to notice wins", () => {
  const r = (...kinds) => kinds.map((result) => ({ result }));
  assert.equal(signalFor(r("accepted")), "accepted");
  assert.equal(signalFor(r("accepted", "duplicate")), "duplicate");
  assert.equal(signalFor(r("duplicate", "unexpected", "accepted")), "unexpected");
  assert.equal(signalFor(r("accepted", "refused")), "unexpected");
  assert.equal(signalFor([]), null);
});

test("each kind has its own tones and vibration, and off plays nothing, remembered", () => {
  const storage = new MemoryStorage();
  const played = [];
  const shaken = [];
  const feedback = new Feedback({ storage, makeAudio: recordingAudio(played),
                                  vibrate: (p) => shaken.push(p) });
  assert.equal(feedback.enabled, true);
  feedback.play("duplicate");
  assert.deepEqual(played.filter(([what]) => what === "start").map(([, hz]) => hz), [660, 660]);
  assert.deepEqual(shaken, [SIGNALS.duplicate.vibrate]);
  const kinds = Object.values(SIGNALS).map((s) => JSON.stringify(s));
  assert.equal(new Set(kinds).size, 3);
  feedback.enabled = false;
  played.length = 0;
  feedback.play("accepted");
  assert.deepEqual(played, []);
  assert.equal(new Feedback({ storage }).enabled, false);  // kept for the next page
});

test("no audio or vibration on the device is no error", () => {
  const feedback = new Feedback({ storage: new MemoryStorage(),
    makeAudio: () => { throw new Error("no AudioContext"); },
    vibrate: () => { throw new Error("no vibration"); } });
  feedback.play("unexpected");
});
