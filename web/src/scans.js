// The offline-safe scan queue of the counting page.
//
// Every scan gets a client_scan_id from crypto.randomUUID() (never the same twice, in any
// tab) and scanned_at (epoch ms), is written to localStorage at once, and is sent to
// record_scans in batches. A batch that fails for a reason that may pass (offline, server
// busy) is sent again later with the same ids; the server answers a resent scan as before
// and counts it once, so closing the tab, losing the network or reloading loses nothing.
//
// The queue belongs to the signed-in person: kept per uid and per session under
// "console.queue.<uid, URI-encoded>|<session_id>": {pending: [scan], log: [entry]}; only
// the owner's scans are ever sent (with the owner's token), and another account signed
// in on the same device sees only that someone else's scans wait here.
//
// where an entry is {client_scan_id, qr_id, scanned_at, status, reason, undone} and status
// is pending | accepted | duplicate | unexpected | refused (the count had closed) | invalid
// (not a label id: never sent).
// The storage, the calls and the timers are passed in, so node tests can drive it.

export const BATCH_SIZE = 200;        // record_scans takes 1000; smaller answers come sooner
export const LOG_SIZE = 200;          // entries kept per session
const SEND_DELAY_MS = 250;            // a wedge scanner's burst goes out as one batch
const MAX_RETRY_MS = 30_000;
const PREFIX = "console.queue.";
const LEGACY_PREFIX = "console.scans.";  // before the queue was per person

// The server's qr_id rule (functions/qr/ids.py validate_qr_id): a scan that cannot be a
// label is refused here, since one bad id makes the server refuse the whole batch.
const QR_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const HASHED_QR_ID = /^u~[a-z2-7]{10}-[a-z2-7]{12}$/;
export function isQrId(text) {
  return HASHED_QR_ID.test(text) || (QR_ID.test(text) && !text.includes(".."));
}

export class ScanQueue {
  constructor({ storage, send, undo, now = () => Date.now(),
                newId = () => crypto.randomUUID(),
                setTimer = (fn, ms) => setTimeout(fn, ms), clearTimer = (id) => clearTimeout(id) }) {
    Object.assign(this, { storage, sendBatch: send, undoCall: undo, now, newId, setTimer,
                          clearTimer });
    this.owner = null;          // the signed-in uid: only its scans are read, kept and sent
    this.listeners = new Set();
    this.resultListeners = new Set();  // (session_id, results) for each batch answered
    this.flushing = null;       // the promise of the flush under way
    this.inFlight = new Set();  // client_scan_ids of the batch being sent
    this.timer = null;
    this.retryMs = 0;
    this.errors = new Map();    // session_id -> ApiError of its last failed send
  }

  // -- storage ----------------------------------------------------------------------------

  // Who is signed in (null: nobody). Queues kept from before there were owners go to the
  // first person who signs in after the update.
  setOwner(uid) {
    this.owner = uid || null;
    this.errors.clear();
    if (this.owner) this.adoptLegacy();
    this.changed(null);
  }

  ownerPrefix(owner = this.owner) {
    return `${PREFIX}${encodeURIComponent(owner)}|`;
  }

  keys(prefix) {
    const found = [];
    for (let i = 0; i < this.storage.length; i += 1) {
      const key = this.storage.key(i);
      if (key?.startsWith(prefix)) found.push(key);
    }
    return found;
  }

  parse(key) {
    try {
      const state = JSON.parse(this.storage.getItem(key) || "null");
      if (state && Array.isArray(state.pending) && Array.isArray(state.log)) return state;
    } catch { /* damaged: start again */ }
    return { pending: [], log: [] };
  }

  read(sessionId, owner = this.owner) {
    return owner ? this.parse(this.ownerPrefix(owner) + sessionId) : { pending: [], log: [] };
  }

  write(sessionId, state, owner = this.owner) {
    if (!owner) return;
    state.log = state.log.slice(-LOG_SIZE);
    this.storage.setItem(this.ownerPrefix(owner) + sessionId, JSON.stringify(state));
  }

  adoptLegacy() {
    for (const key of this.keys(LEGACY_PREFIX)) {
      const sessionId = key.slice(LEGACY_PREFIX.length);
      const old = this.parse(key);
      const mine = this.read(sessionId);
      this.write(sessionId, { pending: [...mine.pending, ...old.pending],
                              log: [...old.log, ...mine.log] });
      this.storage.removeItem(key);
    }
  }

  sessionsWithPending(owner = this.owner) {
    if (!owner) return [];
    const prefix = this.ownerPrefix(owner);
    return this.keys(prefix).map((key) => key.slice(prefix.length))
      .filter((sessionId) => this.read(sessionId, owner).pending.length);
  }

  // Scans of other accounts waiting on this device (never sent while they are away).
  othersPending() {
    const mine = this.owner ? this.ownerPrefix() : null;
    return this.keys(PREFIX).filter((key) => !mine || !key.startsWith(mine))
      .reduce((sum, key) => sum + this.parse(key).pending.length, 0);
  }

  pendingCount(sessionId) {
    return this.read(sessionId).pending.length;
  }

  // The session's entries, newest first.
  entries(sessionId) {
    return this.read(sessionId).log.slice().reverse();
  }

  forget(sessionId) {
    if (this.owner) this.storage.removeItem(this.ownerPrefix() + sessionId);
    this.errors.delete(sessionId);
    this.changed(sessionId);
  }

  // -- listeners --------------------------------------------------------------------------

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(sessionId) {
    for (const listener of this.listeners) listener(sessionId);
  }

  onResults(listener) {
    this.resultListeners.add(listener);
    return () => this.resultListeners.delete(listener);
  }

  // -- scanning ---------------------------------------------------------------------------

  // One scan of `text` (trimmed) into the session; returns its entry.
  add(sessionId, text) {
    if (!this.owner) throw new Error("nobody is signed in");
    const qrId = String(text).trim();
    const scan = { qr_id: qrId, client_scan_id: this.newId(), scanned_at: this.now() };
    const state = this.read(sessionId);
    const valid = isQrId(qrId);
    const entry = { ...scan, status: valid ? "pending" : "invalid",
                    reason: valid ? null : "not_a_label", undone: false };
    if (valid) state.pending.push(scan);
    state.log.push(entry);
    this.write(sessionId, state);
    this.changed(sessionId);
    if (valid) this.schedule(SEND_DELAY_MS);
    return entry;
  }

  schedule(ms) {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = this.setTimer(() => { this.timer = null; this.flush(); }, ms);
  }

  // Send every session's waiting scans; resolves when done or given up for now.
  flush() {
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    this.flushing = this.sendAll().finally(() => {
      this.flushing = null;
      if (this.again) {
        this.again = false;
        this.schedule(0);
      }
    });
    return this.flushing;
  }

  async sendAll() {
    let retry = false;
    const owner = this.owner;  // its scans only, and only while it is still signed in
    for (const sessionId of this.sessionsWithPending(owner)) {
      for (;;) {
        if (this.owner !== owner) return;
        const batch = this.read(sessionId, owner).pending.slice(0, BATCH_SIZE);
        if (!batch.length) break;
        batch.forEach((scan) => this.inFlight.add(scan.client_scan_id));
        let reply;
        try {
          reply = await this.sendBatch(sessionId, batch);
        } catch (err) {
          this.errors.set(sessionId, err);
          retry ||= Boolean(err?.retryable);
          this.changed(sessionId);
          break; // this session waits; the next one may still go
        } finally {
          this.inFlight.clear();
        }
        this.errors.delete(sessionId);
        this.applyResults(sessionId, reply?.results || [], owner);
      }
    }
    if (retry) {
      this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs ? this.retryMs * 2 : 2000);
      this.schedule(this.retryMs);
    } else {
      this.retryMs = 0;
    }
  }

  applyResults(sessionId, results, owner = this.owner) {
    const state = this.read(sessionId, owner);  // read again: scans may have been added
    const byId = new Map(results.map((r) => [r.client_scan_id, r]));
    state.pending = state.pending.filter((scan) => !byId.has(scan.client_scan_id));
    for (const entry of state.log) {
      const result = byId.get(entry.client_scan_id);
      if (!result) continue;
      entry.status = result.result;
      entry.reason = result.reason ?? null;
      entry.undone = entry.undone || Boolean(result.undone);
    }
    this.write(sessionId, state, owner);
    this.changed(sessionId);
    if (results.length) for (const listener of this.resultListeners) listener(sessionId, results);
  }

  // Take a scan back: one not sent yet is dropped here; a sent one is undone by undo_scan
  // (online only). Throws the call's ApiError.
  async undo(sessionId, clientScanId) {
    if (this.inFlight.has(clientScanId) && this.flushing) await this.flushing;
    const state = this.read(sessionId);
    const waiting = state.pending.findIndex((s) => s.client_scan_id === clientScanId);
    if (waiting >= 0) {
      state.pending.splice(waiting, 1);
    } else {
      await this.undoCall(sessionId, clientScanId);
    }
    const fresh = waiting >= 0 ? state : this.read(sessionId);
    for (const entry of fresh.log) {
      if (entry.client_scan_id === clientScanId) entry.undone = true;
    }
    this.write(sessionId, fresh);
    this.changed(sessionId);
  }

  // Drop the session's waiting scans (after a refusal no resend can fix).
  discardPending(sessionId) {
    const state = this.read(sessionId);
    const dropped = new Set(state.pending.map((s) => s.client_scan_id));
    state.pending = [];
    for (const entry of state.log) {
      if (dropped.has(entry.client_scan_id)) entry.status = "discarded";
    }
    this.write(sessionId, state);
    this.errors.delete(sessionId);
    this.changed(sessionId);
  }
}
