// The scan queue: ids, offline resend, batching, undo, invalid ids (web/src/scans.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ScanQueue, isQrId } from "../src/scans.js";

class MemoryStorage {
  constructor() { this.map = new Map(); }
  get length() { return this.map.size; }
  key(i) { return [...this.map.keys()][i] ?? null; }
  getItem(k) { return this.map.has(k) ? this.map.get(k) : null; }
  setItem(k, v) { this.map.set(k, String(v)); }
  removeItem(k) { this.map.delete(k); }
}

function server() {
  const seen = new Map(); // client_scan_id -> result
  const found = new Set();
  return {
    calls: [],
    down: false,
    async send(sessionId, scans) {
      this.calls.push(scans.map((s) => s.client_scan_id));
      if (this.down) throw Object.assign(new Error("offline"), { retryable: true });
      return { results: scans.map((s) => {
        if (seen.has(s.client_scan_id)) return { ...seen.get(s.client_scan_id), resent: true };
        const result = found.has(s.qr_id) ? "duplicate" : "accepted";
        found.add(s.qr_id);
        const r = { client_scan_id: s.client_scan_id, qr_id: s.qr_id, result, reason: null,
                    resent: false, undone: false };
        seen.set(s.client_scan_id, r);
        return r;
      }) };
    },
    async undo() { return { undone: true }; },
  };
}

function queue(storage, srv, timers = []) {
  return new ScanQueue({ storage, send: (s, b) => srv.send(s, b), undo: (s, c) => srv.undo(s, c),
    now: () => 1700000000000, random: () => "abc123",
    setTimer: (fn, ms) => { timers.push({ fn, ms }); return timers.length; },
    clearTimer: () => {} });
}

test("qr ids are checked like the server does", () => {
  assert.ok(isQrId("VIDA-M8-abcdefgh2345"));
  assert.ok(isQrId("u~2byraym566-abcdefgh2345"));
  assert.ok(!isQrId("VIDA M8"));
  assert.ok(!isQrId("a..b"));
  assert.ok(!isQrId("-x"));
  assert.ok(!isQrId("ÇİVİ-1"));
});

test("each scan gets <install id>-<counter> and is kept before it is sent", () => {
  const storage = new MemoryStorage();
  const q = queue(storage, server());
  const a = q.add("s1", "  P-1-aaaaaaaaaaaa ");
  const b = q.add("s1", "P-1-bbbbbbbbbbbb");
  assert.equal(a.client_scan_id, "abc123-1");
  assert.equal(b.client_scan_id, "abc123-2");
  assert.equal(a.qr_id, "P-1-aaaaaaaaaaaa");
  assert.equal(a.scanned_at, 1700000000000);
  assert.equal(q.pendingCount("s1"), 2);
  // A new page (reload) sees the same queue and goes on counting.
  const again = queue(storage, server());
  assert.equal(again.pendingCount("s1"), 2);
  assert.equal(again.add("s1", "P-1-cccccccccccc").client_scan_id, "abc123-3");
});

test("offline: nothing is lost, the same ids are sent again, results arrive", async () => {
  const storage = new MemoryStorage();
  const srv = server();
  const timers = [];
  const q = queue(storage, srv, timers);
  q.add("s1", "P-1-aaaaaaaaaaaa");
  q.add("s1", "P-1-aaaaaaaaaaaa");
  srv.down = true;
  await q.flush();
  assert.equal(q.pendingCount("s1"), 2);
  assert.ok(q.errors.get("s1").retryable);
  assert.equal(timers.at(-1).ms, 2000, "a retry is scheduled");
  srv.down = false;
  await q.flush();
  assert.equal(q.pendingCount("s1"), 0);
  assert.deepEqual(srv.calls, [["abc123-1", "abc123-2"], ["abc123-1", "abc123-2"]]);
  assert.deepEqual(q.entries("s1").map((e) => e.status), ["duplicate", "accepted"]);
});

test("a refusal no resend can fix stops the session's queue until discarded", async () => {
  const storage = new MemoryStorage();
  const q = new ScanQueue({ storage, undo: async () => ({}),
    send: async () => { throw Object.assign(new Error("The session is finished"),
      { retryable: false }); },
    setTimer: () => 0, clearTimer: () => {} });
  q.add("s1", "P-1-aaaaaaaaaaaa");
  await q.flush();
  assert.equal(q.errors.get("s1").message, "The session is finished");
  q.discardPending("s1");
  assert.equal(q.pendingCount("s1"), 0);
  assert.equal(q.entries("s1")[0].status, "discarded");
});

test("batches hold at most 200 scans", async () => {
  const storage = new MemoryStorage();
  const srv = server();
  const q = queue(storage, srv);
  for (let i = 0; i < 450; i += 1) q.add("s1", `P-${i}-aaaaaaaaaaaa`);
  await q.flush();
  assert.deepEqual(srv.calls.map((c) => c.length), [200, 200, 50]);
  assert.equal(q.pendingCount("s1"), 0);
});

test("a text that is no label id is shown but never sent", async () => {
  const storage = new MemoryStorage();
  const srv = server();
  const q = queue(storage, srv);
  const entry = q.add("s1", "https://example.com/x");
  assert.equal(entry.status, "invalid");
  await q.flush();
  assert.deepEqual(srv.calls, []);
});

test("undo: a waiting scan is dropped here, a sent one is undone on the server", async () => {
  const storage = new MemoryStorage();
  const srv = server();
  let undone = [];
  srv.undo = async (s, c) => { undone.push(c); return { undone: true }; };
  const q = queue(storage, srv);
  const a = q.add("s1", "P-1-aaaaaaaaaaaa");
  await q.undo("s1", a.client_scan_id);
  assert.equal(q.pendingCount("s1"), 0);
  assert.deepEqual(undone, []);
  const b = q.add("s1", "P-1-bbbbbbbbbbbb");
  await q.flush();
  await q.undo("s1", b.client_scan_id);
  assert.deepEqual(undone, [b.client_scan_id]);
  assert.ok(q.entries("s1").every((e) => e.undone));
});

test("scans the server refused (the count had closed) leave the queue, shown as refused", async () => {
  const storage = new MemoryStorage();
  const srv = server();
  srv.send = async (sessionId, scans) => ({ results: scans.map((s, i) => (i === 0
    ? { client_scan_id: s.client_scan_id, qr_id: s.qr_id, result: "accepted", reason: null,
        resent: false, undone: false }
    : { client_scan_id: s.client_scan_id, qr_id: s.qr_id, result: "refused",
        reason: "session_finishing", resent: false, undone: false })) });
  const q = queue(storage, srv);
  q.add("s1", "P-1-aaaaaaaaaaaa");
  q.add("s1", "P-1-bbbbbbbbbbbb");
  await q.flush();
  assert.equal(q.pendingCount("s1"), 0);
  assert.deepEqual(q.entries("s1").map((e) => [e.status, e.reason]),
                   [["refused", "session_finishing"], ["accepted", null]]);
});
