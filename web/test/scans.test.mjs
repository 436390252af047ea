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

function queue(storage, srv, timers = [], owner = "alice") {
  const q = new ScanQueue({ storage, send: (s, b) => srv.send(s, b),
    undo: (s, c) => srv.undo(s, c), now: () => 1700000000000,
    setTimer: (fn, ms) => { timers.push({ fn, ms }); return timers.length; },
    clearTimer: () => {} });
  q.setOwner(owner);
  return q;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test("qr ids are checked like the server does", () => {
  assert.ok(isQrId("VIDA-M8-abcdefgh2345"));
  assert.ok(isQrId("u~2byraym566-abcdefgh2345"));
  assert.ok(!isQrId("VIDA M8"));
  assert.ok(!isQrId("a..b"));
  assert.ok(!isQrId("-x"));
  assert.ok(!isQrId("ÇİVİ-1"));
});

test("each scan gets a random UUID and is kept before it is sent", () => {
  const storage = new MemoryStorage();
  const q = queue(storage, server());
  const a = q.add("s1", "  P-1-aaaaaaaaaaaa ");
  const b = q.add("s1", "P-1-bbbbbbbbbbbb");
  assert.match(a.client_scan_id, UUID);
  assert.match(b.client_scan_id, UUID);
  assert.notEqual(a.client_scan_id, b.client_scan_id);
  assert.equal(a.qr_id, "P-1-aaaaaaaaaaaa");
  assert.equal(a.scanned_at, 1700000000000);
  assert.equal(q.pendingCount("s1"), 2);
  // A new page (reload), or a second tab, sees the same queue and never repeats an id.
  const again = queue(storage, server());
  assert.equal(again.pendingCount("s1"), 2);
  const ids = new Set([a.client_scan_id, b.client_scan_id]);
  for (let n = 0; n < 500; n += 1) ids.add(again.add("s1", "P-1-cccccccccccc").client_scan_id);
  assert.equal(ids.size, 502);
});

test("a queue belongs to its person: another account never sends it, only sees it waits",
  async () => {
    const storage = new MemoryStorage();
    const srv = server();
    srv.down = true;
    const alice = queue(storage, srv);
    alice.add("s1", "P-1-aaaaaaaaaaaa");
    alice.add("s1", "P-1-bbbbbbbbbbbb");
    await alice.flush();
    assert.equal(alice.pendingCount("s1"), 2);
    srv.down = false;
    srv.calls.length = 0;
    alice.setOwner("root");          // alice signs out, root signs in on the same phone
    assert.equal(alice.pendingCount("s1"), 0);
    assert.deepEqual(alice.entries("s1"), []);
    assert.equal(alice.othersPending(), 2);
    await alice.flush();
    assert.deepEqual(srv.calls, []);  // nothing of alice's went out under root's token
    alice.setOwner(null);            // nobody: nothing read, nothing sent
    assert.equal(alice.othersPending(), 2);
    await alice.flush();
    assert.deepEqual(srv.calls, []);
    alice.setOwner("alice");         // alice again: hers go out
    assert.equal(alice.othersPending(), 0);
    await alice.flush();
    assert.equal(srv.calls.length, 1);
    assert.equal(alice.pendingCount("s1"), 0);
  });

test("a person signing out while their batch is on its way: the answer is kept as theirs",
  async () => {
    const storage = new MemoryStorage();
    const srv = server();
    let release;
    const sent = srv.send.bind(srv);
    srv.send = (s, b) => new Promise((resolve) => { release = () => resolve(sent(s, b)); });
    const q = queue(storage, srv);
    q.add("s1", "P-1-aaaaaaaaaaaa");
    const flushing = q.flush();
    await new Promise((r) => setImmediate(r));
    q.setOwner("root");
    release();
    await flushing;
    assert.equal(q.pendingCount("s1"), 0);  // root has none
    q.setOwner("alice");
    assert.deepEqual(q.entries("s1").map((e) => e.status), ["accepted"]);
    assert.equal(q.pendingCount("s1"), 0);
  });

test("a queue kept before queues had owners goes to the first person who signs in", () => {
  const storage = new MemoryStorage();
  storage.setItem("console.scans.s1", JSON.stringify({
    pending: [{ qr_id: "P-1-aaaaaaaaaaaa", client_scan_id: "old-1", scanned_at: 1 }],
    log: [{ qr_id: "P-1-aaaaaaaaaaaa", client_scan_id: "old-1", scanned_at: 1,
            status: "pending", reason: null, undone: false }] }));
  const q = queue(storage, server(), [], "mel");
  assert.equal(q.pendingCount("s1"), 1);
  assert.equal(storage.getItem("console.scans.s1"), null);
  q.setOwner("root");
  assert.equal(q.pendingCount("s1"), 0);
});

test("offline: nothing is lost, the same ids are sent again, results arrive", async () => {
  const storage = new MemoryStorage();
  const srv = server();
  const timers = [];
  const q = queue(storage, srv, timers);
  const first = q.add("s1", "P-1-aaaaaaaaaaaa").client_scan_id;
  const second = q.add("s1", "P-1-aaaaaaaaaaaa").client_scan_id;
  srv.down = true;
  await q.flush();
  assert.equal(q.pendingCount("s1"), 2);
  assert.ok(q.errors.get("s1").retryable);
  assert.equal(timers.at(-1).ms, 2000, "a retry is scheduled");
  srv.down = false;
  await q.flush();
  assert.equal(q.pendingCount("s1"), 0);
  assert.deepEqual(srv.calls, [[first, second], [first, second]]);
  assert.deepEqual(q.entries("s1").map((e) => e.status), ["duplicate", "accepted"]);
});

test("a refusal no resend can fix stops the session's queue until discarded", async () => {
  const storage = new MemoryStorage();
  const q = new ScanQueue({ storage, undo: async () => ({}),
    send: async () => { throw Object.assign(new Error("The session is finished"),
      { retryable: false }); },
    setTimer: () => 0, clearTimer: () => {} });
  q.setOwner("alice");
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
