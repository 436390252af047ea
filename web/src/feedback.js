// What a person scanning hears and feels, so that they need not look at the screen: a short
// tone (Web Audio, no sound files) and a vibration, different for a scan counted, one
// already counted, and one the count did not expect or did not take. It can be switched
// off; the choice is kept on the device.

const KEY = "console.feedback";  // "off" when switched off

// [frequency Hz, seconds] per tone, played one after the other; vibration in ms on/off.
export const SIGNALS = {
  accepted: { tones: [[880, 0.08]], vibrate: [40] },
  duplicate: { tones: [[660, 0.07], [660, 0.07]], vibrate: [40, 60, 40] },
  unexpected: { tones: [[220, 0.3]], vibrate: [250] },
};

// The signal for a batch's answers: the one a person most needs to notice.
export function signalFor(results) {
  const kinds = new Set(results.map((r) => r.result));
  if (kinds.has("unexpected") || kinds.has("refused")) return "unexpected";
  if (kinds.has("duplicate")) return "duplicate";
  return kinds.has("accepted") ? "accepted" : null;
}

export class Feedback {
  constructor({ storage, makeAudio = () => new AudioContext(),
                vibrate = (pattern) => navigator.vibrate?.(pattern) }) {
    Object.assign(this, { storage, makeAudio, vibrate });
    this.audio = null;
  }

  get enabled() {
    try { return this.storage.getItem(KEY) !== "off"; } catch { return true; }
  }

  set enabled(on) {
    try { this.storage.setItem(KEY, on ? "on" : "off"); } catch { /* not kept */ }
  }

  // Play the signal of `kind` (accepted | duplicate | unexpected); nothing when off.
  play(kind) {
    const signal = SIGNALS[kind];
    if (!signal || !this.enabled) return;
    try {
      this.vibrate(signal.vibrate);
    } catch { /* no vibration here */ }
    try {
      this.audio ??= this.makeAudio();
      let at = this.audio.currentTime;
      for (const [frequency, seconds] of signal.tones) {
        const tone = this.audio.createOscillator();
        const volume = this.audio.createGain();
        tone.frequency.value = frequency;
        volume.gain.value = 0.2;
        tone.connect(volume).connect(this.audio.destination);
        tone.start(at);
        tone.stop(at + seconds);
        at += seconds + 0.05;
      }
    } catch { /* no audio here: the screen still says it */ }
  }
}
